import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '#domain/metrics/access';
import type { PaidOrder, Refund, StoredEvent, UserDay, VariantMark } from '#domain/metrics/figures';
import { foldMarks, foldUserDays, monthsOf } from '#domain/metrics/figures';
import type { SeenResult, SeenWrite, StorefrontFactStore } from '#domain/metrics/ingest';
import type { Channel, MetricsReader, MetricsWriter } from '#domain/metrics/ports';
import { variantCountsSource } from '#domain/metrics/queries';
import type { NormalizedEvent } from '#domain/metrics/storefront';
import type { VariantCountsSource } from '#domain/shared/variant-counts';
import { batchGet } from './batch.ts';
import { isConditionalCheckFailed } from './client.ts';
import { keys } from './schema.ts';

/** Partitions a store day's event segments are spread over (writes of a busy day never meet in one). */
export const SEGMENT_SHARDS = 8;
/** Events per segment item: even at the longest ids a segment stays far below 400 KB. */
const SEGMENT_EVENTS = 250;
/** Dedupe slots kept this long after their minute (beyond the 30 days an event may be late). */
const SEEN_TTL_SECONDS = 35 * 86_400;
/** Writes of one request in flight at once. */
const WRITE_CONCURRENCY = 16;
/** Catalog buckets of restock's SKU index (domain/restock/sweep.ts CATALOG_BUCKETS). */
const CATALOG_BUCKETS = 64;

type Row = [
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

/** A segment's events as compact rows (gzip JSON): id, user, type, channel, at, sku, campaign, experiment, variant. */
function encodeSegment(events: readonly NormalizedEvent[]): Buffer {
  const rows: Row[] = events.map((e) => [
    e.eventId,
    e.userKey,
    e.type,
    e.channel,
    e.at,
    e.sku ?? null,
    e.campaignId ?? null,
    e.experimentId ?? null,
    e.variant ?? null,
  ]);
  return gzipSync(JSON.stringify(rows));
}

function* decodeSegment(day: string, data: Uint8Array): Generator<StoredEvent> {
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

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
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

const isItemTooLarge = (error: unknown) =>
  (error as { name?: string })?.name === 'ValidationException' &&
  /item size/i.test((error as Error).message ?? '');

/**
 * The metrics' facts in the single table (decision 31). The dedupe record of storefront events is
 * one item per minute of their `at` and shard, a string set of id hashes only ever added to, so one
 * UpdateItem answers atomically which ids it held before. The events themselves are kept in
 * segments (gzip JSON, ≤ 250 events, named by their content) under their store day; readers fold
 * them into user-days and marks, counting each eventId once. Orders and refunds sit in month
 * partitions by store day; a customer's first payment is a conditional minimum.
 */
export class DynamoMetricsStore implements StorefrontFactStore, MetricsReader, MetricsWriter, RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  // --- storefront facts ---------------------------------------------------------------------------

  async markSeen(writes: readonly SeenWrite[]): Promise<SeenResult[]> {
    return pool(writes, WRITE_CONCURRENCY, async (w): Promise<SeenResult> => {
      try {
        const result = await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.metricsSeen(w.slot, w.shard),
            UpdateExpression: 'ADD ids :ids SET expiresAt = if_not_exists(expiresAt, :ttl)',
            ExpressionAttributeValues: {
              ':ids': new Set(w.hashes),
              ':ttl': Math.floor(Date.parse(`${w.slot}:00Z`) / 1000) + SEEN_TTL_SECONDS,
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return { seenBefore: (result.Attributes?.ids as Set<string> | undefined) ?? new Set() };
      } catch (error) {
        if (isItemTooLarge(error)) return { full: true };
        throw error;
      }
    });
  }

  async addEvents(day: string, events: readonly NormalizedEvent[]): Promise<void> {
    const chunks: NormalizedEvent[][] = [];
    for (let i = 0; i < events.length; i += SEGMENT_EVENTS) chunks.push(events.slice(i, i + SEGMENT_EVENTS));
    await pool(chunks, WRITE_CONCURRENCY, (chunk) => {
      const data = encodeSegment(chunk);
      // Named by its content: the same events again overwrite the same item.
      const digest = createHash('sha256').update(data).digest();
      return this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.metricsSegment(day, digest[0]! % SEGMENT_SHARDS, digest.subarray(0, 12).toString('hex')),
            n: chunk.length,
            e: data,
          },
        }),
      );
    });
  }

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

  // --- reads ----------------------------------------------------------------------------------------

  async #queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          ...input,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    return items;
  }

  #partition(pk: string, range?: { from: string; to: string }) {
    return this.#queryAll({
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
      this.#queryAll({
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

  // --- writes from the bus and the API -------------------------------------------------------------

  async recordOrderPaid(order: PaidOrder): Promise<void> {
    const item = { entity: 'MetricsOrder', ...order };
    await Promise.all([
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.metricsOrder(order.day, order.orderId), ...item },
        }),
      ),
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.metricsOrderById(order.orderId), ...item },
        }),
      ),
    ]);
    if (order.customerId === null) return;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.metricsFirstPaid(order.customerId),
          UpdateExpression: 'SET firstPaidAt = :at, firstOrderId = :o, customerId = :c',
          ConditionExpression: 'attribute_not_exists(firstPaidAt) OR firstPaidAt > :at',
          ExpressionAttributeValues: { ':at': order.paidAt, ':o': order.orderId, ':c': order.customerId },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async recordRefund(refund: Refund): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.metricsRefund(refund.day, refund.refundId), entity: 'MetricsRefund', ...refund },
      }),
    );
  }

  async putChannel(channel: Channel): Promise<{ created: boolean }> {
    const result = await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.metricsChannel(channel.channelId), entity: 'MetricsChannel', ...channel },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return { created: !result.Attributes };
  }

  // --- the write key's rate window -------------------------------------------------------------------

  async take(keyId: string, events: number, limit: number, now: Date) {
    const second = Math.floor(now.getTime() / 1000);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.metricsRate(keyId, second),
          UpdateExpression: 'ADD n :n SET expiresAt = :ttl',
          ConditionExpression: 'attribute_not_exists(n) OR n <= :room',
          ExpressionAttributeValues: { ':n': events, ':room': limit - events, ':ttl': second + 120 },
        }),
      );
      return { ok: true as const };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { ok: false as const, retryAfterSeconds: 1 };
    }
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
  db: DynamoDBDocumentClient,
  tableName: string,
  timeZone: string,
): VariantCountsSource {
  return variantCountsSource({ reader: new DynamoMetricsStore(db, tableName), timeZone });
}
