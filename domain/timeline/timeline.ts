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

/** The line a webhook delivery leaves on the timelines it concerns (one per fact, idempotent). */
export function webhookLine(
  delivery: {
    readonly source: string;
    readonly deliveryId: string;
    readonly factKey: string;
    readonly name: string;
    readonly receivedAt: string;
    readonly events: readonly string[];
  },
  origin: string,
): Omit<TimelineEntry, 'key'> {
  return {
    at: delivery.receivedAt,
    kind: 'webhook',
    name: delivery.name,
    detail: {
      source: delivery.source,
      deliveryId: delivery.deliveryId,
      origin,
      events: [...delivery.events],
    },
    ref: `${delivery.source}:${delivery.factKey}`,
  };
}

/** Largest `detail` a timeline line keeps; beyond it only the scalar fields stay. */
export const MAX_TIMELINE_DETAIL_BYTES = 4096;

interface Line {
  readonly sku?: string | null;
  readonly quantity?: number;
}

/**
 * What an event line keeps of the event's data: a small summary and references, never the
 * document (issue #10: a 500-line order copied onto 500 SKU timelines wrote 33 MB). Arrays of
 * lines or variants become counts; on a SKU's timeline the lines of that SKU stay. Whatever is
 * still over {@link MAX_TIMELINE_DETAIL_BYTES} keeps only its short scalar fields.
 */
export function summarizeEventData(data: Record<string, unknown>, key: BusinessKey): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(data)) {
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object' && value[0] !== null) {
      const items = value as Line[];
      summary[`${field}Count`] = items.length;
      if (items.some((i) => typeof i.quantity === 'number')) {
        summary[`${field}Units`] = items.reduce((n, i) => n + (i.quantity ?? 0), 0);
      }
      if (key.type === 'sku') {
        const own = items.filter((i) => i.sku === key.id);
        if (own.length > 0) summary[field] = own;
      }
    } else if (Array.isArray(value) && value.length > 20) {
      summary[`${field}Count`] = value.length;
    } else {
      summary[field] = value;
    }
  }
  if (Buffer.byteLength(JSON.stringify(summary)) <= MAX_TIMELINE_DETAIL_BYTES) return summary;
  const scalars: Record<string, unknown> = { truncated: true };
  for (const [field, value] of Object.entries(summary)) {
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) scalars[field] = value;
    else if (typeof value === 'string')
      scalars[field] = value.length > 256 ? `${value.slice(0, 256)}…` : value;
  }
  return scalars;
}
