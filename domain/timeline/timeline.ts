import type { BusinessKey } from '../events/envelope.ts';

/** What one line of a timeline is about (SPEC §9). */
export const TIMELINE_KINDS = [
  'webhook',
  'event',
  'run',
  'state',
  'promise',
  'compensation',
  'purchase-order',
  'price-change',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  readonly key: BusinessKey;
  /** ISO-8601 UTC instant the fact was recorded. */
  readonly at: string;
  readonly kind: TimelineKind;
  /** For an event, its detail type; for a webhook, its topic or type; for a run, the workflow. */
  readonly name: string;
  readonly detail: Record<string, unknown>;
  /** Unique per fact and key: recording the same fact twice keeps one line. */
  readonly ref: string;
}

export interface TimelinePage {
  readonly items: TimelineEntry[];
  readonly nextCursor: string | null;
}

/** Port: where timelines live. `record` is idempotent per (key, ref). */
export interface TimelineRepository {
  record(entries: readonly TimelineEntry[]): Promise<void>;
  list(key: BusinessKey, options: { limit: number; cursor: string | null }): Promise<TimelinePage>;
}

/** Fan a fact out to every key it concerns, once per distinct key. */
export function entriesFor(keys: readonly BusinessKey[], fact: Omit<TimelineEntry, 'key'>): TimelineEntry[] {
  const seen = new Set<string>();
  const entries: TimelineEntry[] = [];
  for (const key of keys) {
    const id = `${key.type}:${key.id}`;
    if (seen.has(id)) continue;
    seen.add(id);
    entries.push({ ...fact, key });
  }
  return entries;
}
