import type { RateLimiter } from '#domain/metrics/access';
import {
  foldMarks,
  foldUserDays,
  type PaidOrder,
  type Refund,
  type StoredEvent,
} from '#domain/metrics/figures';
import type { SeenResult, SeenWrite, StorefrontFactStore } from '#domain/metrics/ingest';
import type { Channel, MetricsReader, MetricsWriter } from '#domain/metrics/ports';
import type { NormalizedEvent } from '#domain/metrics/storefront';

/** In-memory metrics store with the DynamoDB adapter's semantics (sets only grow; first payment is a minimum). */
export class MemoryMetricsStore implements StorefrontFactStore, MetricsReader, MetricsWriter, RateLimiter {
  readonly seen = new Map<string, Set<string>>();
  /** every event kept, in order (repeats included, as segments keep them) */
  readonly kept: StoredEvent[] = [];
  readonly orders = new Map<string, PaidOrder>();
  readonly refunds = new Map<string, Refund>();
  readonly first = new Map<string, string>();
  readonly channelMap = new Map<string, Channel>();
  readonly windows = new Map<string, number>();
  catalog: string[] = [];
  /** Max hashes a dedupe slot holds (to exercise "full"). */
  maxIds = Number.POSITIVE_INFINITY;
  seenWrites = 0;

  async markSeen(writes: readonly SeenWrite[]): Promise<SeenResult[]> {
    return writes.map((w) => {
      this.seenWrites++;
      const key = `${w.slot}#${w.shard}`;
      const ids = this.seen.get(key) ?? new Set<string>();
      if (new Set([...ids, ...w.hashes]).size > this.maxIds) return { full: true as const };
      const seenBefore = new Set(w.hashes.filter((h) => ids.has(h)));
      for (const h of w.hashes) ids.add(h);
      this.seen.set(key, ids);
      return { seenBefore };
    });
  }

  async addEvents(day: string, events: readonly NormalizedEvent[]) {
    for (const e of events) this.kept.push({ ...e, day });
  }

  /** The user-days of the events kept (each eventId once). */
  userDayOf(day: string, userKey: string) {
    return foldUserDays(this.kept.filter((e) => e.day === day && e.userKey === userKey))[0];
  }

  async userDays(days: readonly string[]) {
    return foldUserDays(this.kept.filter((e) => days.includes(e.day)));
  }
  async userDaysOf(keys: ReadonlyArray<{ day: string; userKey: string }>) {
    const wanted = new Set(keys.map((k) => `${k.day}\u0000${k.userKey}`));
    return foldUserDays(this.kept.filter((e) => wanted.has(`${e.day}\u0000${e.userKey}`)));
  }
  async ordersPaid(fromDay: string, toDay: string) {
    return [...this.orders.values()].filter((o) => o.day >= fromDay && o.day <= toDay);
  }
  async refundsIssued(fromDay: string, toDay: string) {
    return [...this.refunds.values()].filter((r) => r.day >= fromDay && r.day <= toDay);
  }
  async ordersById(ids: readonly string[]) {
    return new Map(ids.flatMap((id) => (this.orders.has(id) ? [[id, this.orders.get(id)!] as const] : [])));
  }
  async firstPaid(customers: readonly string[]) {
    return new Map(customers.flatMap((c) => (this.first.has(c) ? [[c, this.first.get(c)!] as const] : [])));
  }
  async channels() {
    return [...this.channelMap.values()];
  }
  async catalogSkus() {
    return this.catalog;
  }
  async marks(kind: 'campaign' | 'experiment', id: string, days: readonly string[]) {
    return foldMarks(
      this.kept.filter((e) => days.includes(e.day)),
      kind,
      id,
    );
  }
  async recordOrderPaid(order: PaidOrder) {
    this.orders.set(order.orderId, order);
    if (order.customerId !== null) {
      const f = this.first.get(order.customerId);
      if (f === undefined || order.paidAt < f) this.first.set(order.customerId, order.paidAt);
    }
  }
  async recordRefund(refund: Refund) {
    this.refunds.set(refund.refundId, refund);
  }
  async putChannel(channel: Channel) {
    const created = !this.channelMap.has(channel.channelId);
    this.channelMap.set(channel.channelId, channel);
    return { created };
  }
  async take(keyId: string, events: number, limit: number, now: Date) {
    const key = `${keyId}:${Math.floor(now.getTime() / 1000)}`;
    const n = this.windows.get(key) ?? 0;
    if (n + events > limit) return { ok: false as const, retryAfterSeconds: 1 };
    this.windows.set(key, n + events);
    return { ok: true as const };
  }
}
