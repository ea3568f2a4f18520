import { createHash } from 'node:crypto';

/**
 * Stable assignment (SPEC §5, docs/rules/campaigns.md): a user's bucket for a campaign or an
 * experiment is a pure function of the id and the user's subject, so the storefront can compute
 * it too and the same user always gets the same answer:
 *
 *     bucket = uint32_be(sha256_utf8(id + ":" + subject)[0..4]) mod 10000
 *
 * (10 000 buckets: one per basis point of the audience.)
 */
export const BUCKETS = 10_000;

export function bucketOf(id: string, subject: string): number {
  return createHash('sha256').update(`${id}:${subject}`, 'utf8').digest().readUInt32BE(0) % BUCKETS;
}

/** Percent (0.01–100) → buckets, exactly for two decimals. */
export const percentToBuckets = (percent: number) => Math.round(percent * 100);

export type CampaignGroup = 'pilot' | 'control' | 'everyone' | 'none';

export type Segment = { readonly hashPercent: number } | { readonly channel: string };

/**
 * The pilot's group of a bucket: `[0, pilot)` pilot, `[pilot, pilot + control)` control, else none
 * — disjoint by construction. A channel segment: the user's channel puts them in the pilot; the
 * control is the hash's first `control` buckets of the other channels.
 */
export function pilotGroup(
  segment: Segment,
  controlPercent: number,
  bucket: number,
  channel?: string | null,
): 'pilot' | 'control' | 'none' {
  const control = percentToBuckets(controlPercent);
  if ('channel' in segment) {
    if (channel !== undefined && channel !== null && channel === segment.channel) return 'pilot';
    return bucket < control ? 'control' : 'none';
  }
  const pilot = percentToBuckets(segment.hashPercent);
  if (bucket < pilot) return 'pilot';
  return bucket < pilot + control ? 'control' : 'none';
}

/**
 * An experiment's variant of a bucket: the buckets are shared among the variants by cumulative
 * weight (bucket × Σweights < 10 000 × cumulative weight), so every user has exactly one variant.
 */
export function variantOf<V extends { readonly id: string; readonly weight: number }>(
  variants: readonly V[],
  bucket: number,
): V {
  const total = variants.reduce((s, v) => s + v.weight, 0);
  let cumulative = 0;
  for (const v of variants) {
    cumulative += v.weight;
    if (bucket * total < BUCKETS * cumulative) return v;
  }
  return variants[variants.length - 1]!;
}

/**
 * The subject a user is assigned by: the anonymous id the user was first linked to when they
 * signed in (their first identity, so an anonymous visitor who signs in keeps one assignment),
 * else the user id itself.
 */
export const subjectOf = (userId: string, linkedAnonymousId: string | null | undefined) =>
  linkedAnonymousId ?? userId;
