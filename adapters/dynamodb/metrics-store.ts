import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '#domain/metrics/access';
import type { PaidOrder, Refund } from '#domain/metrics/figures';
import type { SeenResult, SeenWrite, StorefrontFactStore } from '#domain/metrics/ingest';
import type { Channel, MetricsReader, MetricsWriter } from '#domain/metrics/ports';
import type { NormalizedEvent } from '#domain/metrics/storefront';
import { isConditionalCheckFailed } from './client.ts';
import { DynamoMetricsReader, pool, type Row, SEGMENT_SHARDS } from './metrics-reader.ts';
import { keys } from './schema.ts';

export { SEGMENT_SHARDS };

/** Events per segment item: even at the longest ids a segment stays far below 400 KB. */
const SEGMENT_EVENTS = 250;
/** Dedupe slots kept this long after their minute (beyond the 30 days an event may be late). */
const SEEN_TTL_SECONDS = 35 * 86_400;
/** Writes of one request in flight at once. */
const WRITE_CONCURRENCY = 16;

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
export class DynamoMetricsStore
  extends DynamoMetricsReader
  implements StorefrontFactStore, MetricsReader, MetricsWriter, RateLimiter
{
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

export { dynamoVariantCountsSource } from './metrics-reader.ts';
