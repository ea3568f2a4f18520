import type { RateLimiter } from '#domain/metrics/access';
import type { PaidOrder, Refund, UserDay, VariantMark } from '#domain/metrics/figures';
import type { StorefrontFactStore, TaggedWrite, UserDayResult, UserDayWrite } from '#domain/metrics/ingest';
import type { Channel, MetricsReader, MetricsWriter } from '#domain/metrics/ports';
import type { StorefrontEventType } from '#domain/metrics/storefront';

/** In-memory metrics store with the DynamoDB adapter's semantics (sets only grow; first payment is a minimum). */
export class MemoryMetricsStore implements StorefrontFactStore, MetricsReader, MetricsWriter, RateLimiter {
  readonly days = new Map<
    string,
    {
      ids: Set<string>;
      steps: Map<string, Set<StorefrontEventType>>;
      visits: Set<string>;
      day: string;
      userKey: string;
    }
  >();
  readonly tagged = new Map<
    string,
    { variant: string; userKey: string; day: string; kind: string; id: string; marks: Set<string> }
  >();
  readonly orders = new Map<string, PaidOrder>();
  readonly refunds = new Map<string, Refund>();
  readonly first = new Map<string, string>();
  readonly channelMap = new Map<string, Channel>();
  readonly windows = new Map<string, number>();
  catalog: string[] = [];
  /** Max event ids a user-day holds (to exercise "full"). */
  maxIds = Number.POSITIVE_INFINITY;
  userDayWrites = 0;

  async addTagged(writes: readonly TaggedWrite[]) {
    for (const w of writes) {
      const key = [w.kind, w.id, w.day, w.variant, w.userKey].join('\u0000');
      const t = this.tagged.get(key) ?? { ...w, marks: new Set<string>() };
      for (const m of w.marks) t.marks.add(m);
      this.tagged.set(key, t);
    }
  }

  async addUserDays(writes: readonly UserDayWrite[]): Promise<UserDayResult[]> {
    return writes.map((w) => {
      this.userDayWrites++;
      const key = `${w.day}\u0000${w.userKey}`;
      const d = this.days.get(key) ?? {
        ids: new Set(),
        steps: new Map(),
        visits: new Set(),
        day: w.day,
        userKey: w.userKey,
      };
      if (new Set([...d.ids, ...w.eventIds]).size > this.maxIds) return { full: true as const };
      const seenBefore = new Set([...d.ids].filter((id) => w.eventIds.includes(id)));
      for (const id of w.eventIds) d.ids.add(id);
      for (const [ch, steps] of w.steps) {
        const set = d.steps.get(ch) ?? new Set();
        for (const s of steps) set.add(s);
        d.steps.set(ch, set);
      }
      for (const v of w.visits) d.visits.add(v);
      this.days.set(key, d);
      return { seenBefore };
    });
  }

  #userDay(d: {
    steps: Map<string, Set<StorefrontEventType>>;
    visits: Set<string>;
    day: string;
    userKey: string;
  }): UserDay {
    return {
      day: d.day,
      userKey: d.userKey,
      steps: d.steps,
      visits: [...d.visits].map((v) => ({
        at: v.slice(0, v.lastIndexOf('|')),
        channel: v.slice(v.lastIndexOf('|') + 1),
      })),
    };
  }

  async userDays(days: readonly string[]) {
    return [...this.days.values()].filter((d) => days.includes(d.day)).map((d) => this.#userDay(d));
  }
  async userDaysOf(keys: ReadonlyArray<{ day: string; userKey: string }>) {
    return keys.flatMap((k) => {
      const d = this.days.get(`${k.day}\u0000${k.userKey}`);
      return d ? [this.#userDay(d)] : [];
    });
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
  async marks(kind: 'campaign' | 'experiment', id: string, days: readonly string[]): Promise<VariantMark[]> {
    return [...this.tagged.values()]
      .filter((t) => t.kind === kind && t.id === id && days.includes(t.day))
      .flatMap((t) =>
        [...t.marks].map((m) => ({
          variant: t.variant,
          userKey: t.userKey,
          at: m.slice(0, m.lastIndexOf('|')),
          type: m.slice(m.lastIndexOf('|') + 1) as StorefrontEventType,
        })),
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
