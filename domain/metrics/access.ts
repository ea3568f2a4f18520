import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The storefront write key (issue #16): one per store, safe to ship in a storefront's JavaScript
 * (it can only add storefront events), rotatable. The configured value may hold several keys
 * separated by whitespace or commas, so a rotation adds the new key, ships it, then removes the
 * old one without refusing a single event.
 */
export function writeKeys(configured: string): string[] {
  return configured
    .split(/[\s,]+/)
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The id of the presented key (a SHA-256 prefix: names its rate-limit window, never the key) when
 * it matches one of the configured keys, else undefined. Every configured key is compared, in
 * constant time over fixed-length digests, whatever matches first.
 */
export function matchWriteKey(
  presented: string | undefined,
  configured: readonly string[],
): string | undefined {
  if (!presented || presented.length > 512) return undefined;
  const given = digest(presented);
  let match: Buffer | undefined;
  for (const key of configured) {
    const d = digest(key);
    if (timingSafeEqual(given, d) && !match) match = d;
  }
  return match?.subarray(0, 8).toString('hex');
}

/** Port: a per-key fixed-window counter of events (adapters/dynamodb/metrics-store.ts). */
export interface RateLimiter {
  /**
   * Takes `events` from the key's allowance for the second `now` falls in; refuses (taking
   * nothing) when that would pass `limit`, saying how many seconds until the next window.
   */
  take(
    keyId: string,
    events: number,
    limit: number,
    now: Date,
  ): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }>;
}

/** Default allowance per write key: events per second (a batch counts its events). */
export const DEFAULT_EVENTS_PER_SECOND = 20_000;
