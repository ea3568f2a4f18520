import type { StorefrontEvent } from '#domain/metrics/storefront';
import type { GeneratedOrder, GeneratedRefund } from '#domain/metrics/traffic';
import { addDays, localDate } from '#domain/shared/calendar';

/**
 * The metrics computed straight from generated traffic, independently of domain/metrics/figures.ts:
 * plain loops over the events, orders and refunds a test sent, with the rules as docs/rules/metrics.md
 * states them. Integration tests compare the API's answers with these.
 */
export function expectedMetrics(
  data: {
    events: readonly StorefrontEvent[];
    orders: readonly GeneratedOrder[];
    refunds: readonly GeneratedRefund[];
  },
  timeZone: string,
) {
  const day = (at: string) => localDate(new Date(at), timeZone);
  const userOf = (e: StorefrontEvent) => e.userId ?? `anon:${e.anonymousId}`;
  const half = (n: number, d: number) =>
    d === 0 ? null : Math.sign(n) * Math.floor((2 * Math.abs(n) + d) / (2 * d));
  const ratio = (n: number, d: number) => (d === 0 ? null : Math.floor((2 * n * 10_000 + d) / (2 * d)));

  // Unique events (a test may send some twice).
  const unique = [...new Map(data.events.map((e) => [e.eventId, e])).values()];
  const visits = unique.filter((e) => e.type === 'visit');
  const channelOf = (o: GeneratedOrder) => {
    const paidDay = day(o.paidAt);
    const days = [addDays(paidDay, -1), paidDay];
    let best: StorefrontEvent | undefined;
    for (const v of visits) {
      if (userOf(v) !== o.customerId || !days.includes(day(v.at)) || v.at > o.paidAt) continue;
      if (!best || v.at > best.at || (v.at === best.at && v.channel < best.channel)) best = v;
    }
    return best?.channel ?? 'direct';
  };
  const firstPaid = new Map<string, string>();
  for (const o of data.orders) {
    const f = firstPaid.get(o.customerId);
    if (f === undefined || o.paidAt < f) firstPaid.set(o.customerId, o.paidAt);
  }

  const funnel = (from: string, to: string, channel?: string) => {
    const steps = ['visit', 'product_view', 'add_to_cart', 'checkout_started', 'paid'];
    const reached = new Map<string, Set<string>>();
    for (const e of unique) {
      const d = day(e.at);
      if (d < from || d > to || (channel && e.channel !== channel)) continue;
      const set = reached.get(userOf(e)) ?? new Set();
      set.add(e.type);
      reached.set(userOf(e), set);
    }
    for (const o of data.orders) {
      const d = day(o.paidAt);
      if (d < from || d > to || (channel && channelOf(o) !== channel)) continue;
      reached.get(o.customerId)?.add('paid');
    }
    const counts = steps.map(
      (_, i) => [...reached.values()].filter((s) => steps.slice(0, i + 1).every((x) => s.has(x))).length,
    );
    return steps.map((step, i) => ({
      step,
      users: counts[i]!,
      dropOffBps: i === 0 ? 0 : ratio(counts[i - 1]! - counts[i]!, counts[i - 1]!),
    }));
  };

  const gmv = (from: string, to: string, by: 'day' | 'channel') => {
    const inside = (at: string) => day(at) >= from && day(at) <= to;
    const keyOf = (at: string, channel: string) => (by === 'day' ? day(at) : channel);
    const rows = new Map<string, { visitors: Set<string>; orders: GeneratedOrder[]; refunded: number }>();
    const row = (k: string) => {
      const r = rows.get(k) ?? { visitors: new Set<string>(), orders: [], refunded: 0 };
      rows.set(k, r);
      return r;
    };
    const total = { visitors: new Set<string>(), orders: [] as GeneratedOrder[], refunded: 0 };
    if (by === 'day') for (let d = from; d <= to; d = addDays(d, 1)) row(d);
    for (const v of visits) {
      if (!inside(v.at)) continue;
      row(keyOf(v.at, v.channel)).visitors.add(userOf(v));
      total.visitors.add(userOf(v));
    }
    for (const o of data.orders) {
      if (!inside(o.paidAt)) continue;
      row(keyOf(o.paidAt, channelOf(o))).orders.push(o);
      total.orders.push(o);
    }
    for (const r of data.refunds) {
      if (!inside(r.refundedAt)) continue;
      const order = data.orders.find((o) => o.orderId === r.orderId)!;
      row(keyOf(r.refundedAt, channelOf(order))).refunded += r.amount;
      total.refunded += r.amount;
    }
    const figures = (
      key: string,
      r: { visitors: Set<string>; orders: GeneratedOrder[]; refunded: number },
    ) => {
      const paid = r.orders.reduce((n, o) => n + o.total, 0);
      const g = paid - r.refunded;
      const buyers = new Map<string, string[]>();
      for (const o of r.orders) buyers.set(o.customerId, [...(buyers.get(o.customerId) ?? []), o.paidAt]);
      let repeat = 0;
      for (const [c, ats] of buyers) {
        if (ats.length > 1 || firstPaid.get(c)! < [...ats].sort()[0]!) repeat++;
      }
      return {
        key,
        traffic: r.visitors.size,
        orders: r.orders.length,
        conversionBps: ratio(r.orders.length, r.visitors.size),
        aov: half(g, r.orders.length),
        gmv: g,
        repurchaseBps: ratio(repeat, buyers.size),
      };
    };
    return {
      rows: [...rows.keys()].sort().map((k) => figures(k, rows.get(k)!)),
      total: figures('total', total),
    };
  };

  return { funnel, gmv, channelOf };
}
