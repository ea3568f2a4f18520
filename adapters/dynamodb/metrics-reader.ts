import { gunzipSync } from 'node:zlib';
import type { PaidOrder, Refund, StoredEvent, UserDay, VariantMark } from '#domain/metrics/figures';
import { foldMarks, foldUserDays, monthsOf } from '#domain/metrics/figures';
import type { Channel, MetricsReader } from '#domain/metrics/ports';
import { variantCountsSource } from '#domain/metrics/variant-counts';
import { CATALOG_BUCKETS } from '#domain/shared/catalog';
import type { VariantCountsSource } from '#domain/shared/variant-counts';
import { batchGet } from './batch.ts';
import { type DocumentClient, queryAll } from './client.ts';
import { keys } from './schema.ts';

/**
 * The metrics' facts as readers see them (decision 31; the writes are metrics-store.ts): apart from
 * the writes so that a function that only reads the facts (the campaigns' counts) does not bundle
 * the ingestion's writes.
 */

/** Partitions a store day's event segments are spread over (writes of a busy day never meet in one). */
export const SEGMENT_SHARDS = 8;

export type Row = [
  string,
  string,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
];

export function* decodeSegment(day: string, data: Uint8Array): Generator<StoredEvent> {
  const rows = JSON.parse(gunzipSync(data).toString('utf8')) as Row[];
  for (const [eventId, userKey, type, channel, at, sku, campaignId, experimentId, variant] of rows) {
    const e: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = {
      eventId,
      userKey,
      day,
      type: type as StoredEvent['type'],
      channel,
      at,
    };
    if (sku !== null) e.sku = sku;
    if (campaignId !== null) e.campaignId = campaignId;
    if (experimentId !== null) e.experimentId = experimentId;
    if (variant !== null) e.variant = variant;
    yield e;
  }
}

/** The events of stored segments, decoded one segment at a time as they are read. */
function* decodeSegments(segments: ReadonlyArray<{ day: string; data: Uint8Array }>): Generator<StoredEvent> {
  for (const { day, data } of segments) yield* decodeSegment(day, data);
}

export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Reads of the metrics' facts: events folded into user-days and marks, orders, refunds, channels. */
export class DynamoMetricsReader implements MetricsReader {
  constructor(
    protected readonly db: DocumentClient,
    protected readonly tableName: string,
  ) {}

  /** The stored events of these store days (each eventId may appear more than once). */
  async events(days: readonly string[]): Promise<StoredEvent[]> {
    return [...decodeSegments(await this.#segments(days))];
  }

  /** The stored segments (still compressed) of these store days. */
  async #segments(days: readonly string[]): Promise<Array<{ day: string; data: Uint8Array }>> {
    const partitions = days.flatMap((day) =>
      Array.from({ length: SEGMENT_SHARDS }, (_, s) => ({ day, pk: keys.metricsSegmentPartition(day, s) })),
    );
    const pages = await pool(partitions, 8, async ({ day, pk }) =>
      (await this.#partition(pk)).map((item) => ({ day, data: item.e as Uint8Array })),
    );
    return pages.flat();
  }

  #partition(pk: string, range?: { from: string; to: string }) {
    return queryAll(this.db, this.tableName, {
      KeyConditionExpression: range ? 'pk = :p AND sk BETWEEN :a AND :b' : 'pk = :p',
      ExpressionAttributeValues: { ':p': pk, ...(range ? { ':a': range.from, ':b': range.to } : {}) },
    });
  }

  async userDays(days: readonly string[]): Promise<UserDay[]> {
    return foldUserDays(decodeSegments(await this.#segments(days)));
  }

  async userDaysOf(wanted: ReadonlyArray<{ day: string; userKey: string }>): Promise<UserDay[]> {
    const users = new Set(wanted.map((k) => `${k.day}\u0000${k.userKey}`));
    const segments = await this.#segments([...new Set(wanted.map((k) => k.day))]);
    return foldUserDays(
      (function* () {
        for (const e of decodeSegments(segments)) if (users.has(`${e.day}\u0000${e.userKey}`)) yield e;
      })(),
    );
  }

  async ordersPaid(fromDay: string, toDay: string): Promise<PaidOrder[]> {
    const months = monthsOf(fromDay.slice(0, 7), toDay.slice(0, 7));
    const pages = await pool(months, 4, (m) =>
      this.#partition(keys.metricsOrdersPartition(m), { from: `${fromDay}#`, to: `${toDay}#\uffff` }),
    );
    return pages.flat().map(toOrder);
  }

  async refundsIssued(fromDay: string, toDay: string): Promise<Refund[]> {
    const months = monthsOf(fromDay.slice(0, 7), toDay.slice(0, 7));
    const pages = await pool(months, 4, (m) =>
      this.#partition(keys.metricsRefundsPartition(m), { from: `${fromDay}#`, to: `${toDay}#\uffff` }),
    );
    return pages.flat().map(
      (i): Refund => ({
        refundId: String(i.refundId),
        orderId: String(i.orderId),
        amount: Number(i.amount),
        refundedAt: String(i.refundedAt),
        day: String(i.day),
      }),
    );
  }

  async ordersById(orderIds: readonly string[]): Promise<Map<string, PaidOrder>> {
    const items = await batchGet(this.db, this.tableName, [...new Set(orderIds)].map(keys.metricsOrderById));
    return new Map(items.map((i) => [String(i.orderId), toOrder(i)]));
  }

  async firstPaid(customerIds: readonly string[]): Promise<Map<string, string>> {
    const items = await batchGet(
      this.db,
      this.tableName,
      [...new Set(customerIds)].map(keys.metricsFirstPaid),
    );
    return new Map(items.map((i) => [String(i.customerId), String(i.firstPaidAt)]));
  }

  async channels(): Promise<Channel[]> {
    const items = await this.#partition(keys.metricsChannelsPartition);
    return items.map((i) => ({
      channelId: String(i.channelId),
      name: String(i.name),
      currency: String(i.currency),
      spend: (i.spend ?? []) as Channel['spend'],
      updatedAt: String(i.updatedAt),
    }));
  }

  async catalogSkus(): Promise<string[]> {
    const buckets = Array.from({ length: CATALOG_BUCKETS }, (_, b) => b);
    const pages = await pool(buckets, 8, (b) =>
      queryAll(this.db, this.tableName, {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': keys.catalogIndex(b, '').gsi1pk },
        ProjectionExpression: 'gsi1sk',
      }),
    );
    return pages.flat().map((i) => String(i.gsi1sk));
  }

  async marks(kind: 'campaign' | 'experiment', id: string, days: readonly string[]): Promise<VariantMark[]> {
    return foldMarks(decodeSegments(await this.#segments(days)), kind, id);
  }
}

function toOrder(i: Record<string, unknown>): PaidOrder {
  return {
    orderId: String(i.orderId),
    customerId: i.customerId === null || i.customerId === undefined ? null : String(i.customerId),
    paidAt: String(i.paidAt),
    day: String(i.day),
    total: Number(i.total),
    skus: (i.skus ?? []) as string[],
  };
}

/**
 * The `VariantCountsSource` campaigns and experiments read (domain/shared/variant-counts.ts), over
 * the metrics' facts in the table. The reading function needs `dynamodb:Query` on the table.
 */
export function dynamoVariantCountsSource(
  db: DocumentClient,
  tableName: string,
  timeZone: string,
): VariantCountsSource {
  return variantCountsSource({ reader: new DynamoMetricsReader(db, tableName), timeZone });
}
