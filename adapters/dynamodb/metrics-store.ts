import { createHash } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '#domain/metrics/access';
import type { PaidOrder, Refund, UserDay, VariantMark } from '#domain/metrics/figures';
import { monthsOf } from '#domain/metrics/figures';
import type { StorefrontFactStore, TaggedWrite, UserDayResult, UserDayWrite } from '#domain/metrics/ingest';
import type { Channel, MetricsReader, MetricsWriter } from '#domain/metrics/ports';
import type { StorefrontEventType } from '#domain/metrics/storefront';
import { batchGet } from './batch.ts';
import { isConditionalCheckFailed } from './client.ts';
import { keys } from './schema.ts';

/** Partitions a store day's users are spread over (writes of a busy day never meet in one). */
export const USER_DAY_SHARDS = 8;
/** Writes of one request in flight at once. */
const WRITE_CONCURRENCY = 16;
/** Catalog buckets of restock's SKU index (domain/restock/sweep.ts CATALOG_BUCKETS). */
const CATALOG_BUCKETS = 64;

/** The shard of a user key: stable, spread evenly. */
export function userShard(userKey: string): number {
  return createHash('sha256').update(userKey).digest().readUInt32BE(0) % USER_DAY_SHARDS;
}

const CHANNEL_PREFIX = 'c:';

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
 * The metrics' facts in the single table (decision 31). A user's store day is one item whose
 * string sets are only ever added to — its event ids (the dedupe record), its steps per channel
 * (`c:<channel>`) and its visits — so one UpdateItem per user-day and request both deduplicates
 * (the ids it held before come back) and aggregates, atomically, and a repeat changes nothing.
 * Orders and refunds sit in month partitions by store day; a customer's first payment is a
 * conditional minimum.
 */
export class DynamoMetricsStore implements StorefrontFactStore, MetricsReader, MetricsWriter, RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  // --- storefront facts ---------------------------------------------------------------------------

  async addTagged(writes: readonly TaggedWrite[]): Promise<void> {
    await pool(writes, WRITE_CONCURRENCY, (w) =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.metricsMark(w.kind, w.id, w.day, userShard(w.userKey), w.variant, w.userKey),
          UpdateExpression: 'ADD m :m SET variant = :v, u = :u',
          ExpressionAttributeValues: { ':m': new Set(w.marks), ':v': w.variant, ':u': w.userKey },
        }),
      ),
    );
  }

  async addUserDays(writes: readonly UserDayWrite[]): Promise<UserDayResult[]> {
    return pool(writes, WRITE_CONCURRENCY, async (w): Promise<UserDayResult> => {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':ids': new Set(w.eventIds), ':u': w.userKey, ':d': w.day };
      const adds = ['ids :ids'];
      let i = 0;
      for (const [channel, steps] of w.steps) {
        names[`#c${i}`] = `${CHANNEL_PREFIX}${channel}`;
        values[`:c${i}`] = new Set(steps);
        adds.push(`#c${i} :c${i}`);
        i++;
      }
      if (w.visits.length > 0) {
        values[':v'] = new Set(w.visits);
        adds.push('v :v');
      }
      try {
        const result = await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.metricsUserDay(w.day, userShard(w.userKey), w.userKey),
            UpdateExpression: `ADD ${adds.join(', ')} SET u = :u, d = :d`,
            ...(i > 0 ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: values,
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        const old = result.Attributes?.ids as Set<string> | undefined;
        return { seenBefore: old ?? new Set() };
      } catch (error) {
        if (isItemTooLarge(error)) return { full: true };
        throw error;
      }
    });
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
    const partitions = days.flatMap((day) =>
      Array.from({ length: USER_DAY_SHARDS }, (_, s) => keys.metricsUserDayPartition(day, s)),
    );
    const pages = await pool(partitions, 8, (pk) => this.#partition(pk));
    return pages.flat().map(toUserDay);
  }

  async userDaysOf(wanted: ReadonlyArray<{ day: string; userKey: string }>): Promise<UserDay[]> {
    const items = await batchGet(
      this.db,
      this.tableName,
      wanted.map((k) => keys.metricsUserDay(k.day, userShard(k.userKey), k.userKey)),
    );
    return items.map(toUserDay);
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
    const partitions = days.flatMap((day) =>
      Array.from({ length: USER_DAY_SHARDS }, (_, s) => keys.metricsMarkPartition(kind, id, day, s)),
    );
    const pages = await pool(partitions, 8, (pk) => this.#partition(pk));
    return pages.flat().flatMap((i) =>
      [...((i.m as Set<string> | undefined) ?? [])].map((mark) => {
        const bar = mark.lastIndexOf('|');
        return {
          variant: String(i.variant),
          userKey: String(i.u),
          at: mark.slice(0, bar),
          type: mark.slice(bar + 1) as StorefrontEventType,
        };
      }),
    );
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

  /** One user-day as stored (tests and tools). */
  async userDay(day: string, userKey: string): Promise<UserDay | null> {
    const r = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.metricsUserDay(day, userShard(userKey), userKey),
      }),
    );
    return r.Item ? toUserDay(r.Item) : null;
  }
}

function toUserDay(item: Record<string, unknown>): UserDay {
  const steps = new Map<string, Set<StorefrontEventType>>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(CHANNEL_PREFIX) && value instanceof Set) {
      steps.set(name.slice(CHANNEL_PREFIX.length), value as Set<StorefrontEventType>);
    }
  }
  const visits = [...((item.v as Set<string> | undefined) ?? [])].map((v) => {
    const bar = v.lastIndexOf('|');
    return { at: v.slice(0, bar), channel: v.slice(bar + 1) };
  });
  return { day: String(item.d), userKey: String(item.u), steps, visits };
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
