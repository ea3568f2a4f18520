import { addDays, localDate, zonedInstant } from '../shared/calendar.ts';
import type { VariantCounts } from '../shared/variant-counts.ts';
import { FUNNEL_STEPS, type FunnelStep, type StorefrontEventType } from './storefront-limits.ts';

/**
 * The metrics' arithmetic (SPEC §8, issue #16), pure: funnel, GMV decomposition, channel ROI,
 * sell-through, cohort retention and the campaign variant counts, from the facts the store keeps.
 * Money is integer minor units (fen); ratios are basis points rounded half-up from their exact
 * numerator and denominator (both are in the answer, so the exact ratio is never lost).
 */

/** One user's store day: the steps reached per channel and the visits. */
export interface UserDay {
  readonly day: string;
  readonly userKey: string;
  readonly steps: ReadonlyMap<string, ReadonlySet<StorefrontEventType>>;
  readonly visits: ReadonlyArray<{ readonly at: string; readonly channel: string }>;
}

export interface PaidOrder {
  readonly orderId: string;
  readonly customerId: string | null;
  readonly paidAt: string;
  /** store day of paidAt */
  readonly day: string;
  /** fen */
  readonly total: number;
  readonly skus: readonly string[];
}

export interface Refund {
  readonly refundId: string;
  readonly orderId: string;
  /** fen */
  readonly amount: number;
  readonly refundedAt: string;
  /** store day of refundedAt */
  readonly day: string;
}

/** The channel of an order nobody's visit explains. */
export const DIRECT_CHANNEL = 'direct';

/** A period of whole store days, `from` and `to` inclusive, and the instants it covers. */
export interface Period {
  readonly from: string;
  readonly to: string;
  readonly timeZone: string;
  /** first instant (inclusive) */
  readonly start: string;
  /** instant after the last day (exclusive) */
  readonly end: string;
}

export function period(from: string, to: string, timeZone: string): Period {
  return {
    from,
    to,
    timeZone,
    start: zonedInstant(from, '00:00', timeZone).toISOString(),
    end: zonedInstant(addDays(to, 1), '00:00', timeZone).toISOString(),
  };
}

/** The dates from `from` to `to`, inclusive. */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return days;
}

/** `n / d`, rounded half away from zero to an integer; d > 0. Exact on integers (no float ratio). */
export function divideHalfUp(n: number, d: number): number {
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(d) || d <= 0) {
    throw new RangeError(`divideHalfUp(${n}, ${d}) needs integers and d > 0`);
  }
  const sign = n < 0 ? -1 : 1;
  const a = BigInt(Math.abs(n));
  const b = BigInt(d);
  return sign * Number((2n * a + b) / (2n * b));
}

/** `num / den` in basis points (1/10,000) rounded half-up; null when den is 0. */
export function bps(num: number, den: number): number | null {
  if (den === 0) return null;
  const sign = num < 0 ? -1 : 1;
  const a = BigInt(Math.abs(num)) * 10_000n;
  const b = BigInt(den);
  return sign * Number((2n * a + b) / (2n * b));
}

/**
 * The channel an order belongs to: the buyer's last visit at or before the payment, on the
 * payment's store day or the day before; else {@link DIRECT_CHANNEL}. Decided from the facts at
 * read time, so a late visit moves the order to its channel once it arrives.
 */
export function attributeOrder(
  order: Pick<PaidOrder, 'customerId' | 'paidAt' | 'day'>,
  visitsOf: (userKey: string, day: string) => ReadonlyArray<{ at: string; channel: string }>,
): string {
  if (order.customerId === null) return DIRECT_CHANNEL;
  let best: { at: string; channel: string } | undefined;
  for (const day of [addDays(order.day, -1), order.day]) {
    for (const v of visitsOf(order.customerId, day)) {
      if (
        v.at <= order.paidAt &&
        (!best || v.at > best.at || (v.at === best.at && v.channel < best.channel))
      ) {
        best = v;
      }
    }
  }
  return best?.channel ?? DIRECT_CHANNEL;
}

export interface FunnelRow {
  readonly step: FunnelStep;
  readonly users: number;
  /** share of the previous step's users who did not reach this one; 0 for the first step */
  readonly dropOffBps: number | null;
}

/**
 * The funnel over a period: users reaching each step having reached every step before it (in the
 * period, on the channel when one is given), so a step never counts more users than the one
 * before. `paid` = of those at `checkout_started`, the ones with a paid order in the period (on
 * that channel: attributed to it).
 */
export function funnel(
  userDays: readonly UserDay[],
  paidOrders: ReadonlyArray<{ readonly customerId: string | null; readonly channel: string }>,
  channel?: string,
): FunnelRow[] {
  const reached = new Map<string, Set<FunnelStep>>();
  for (const ud of userDays) {
    for (const [ch, steps] of ud.steps) {
      if (channel !== undefined && ch !== channel) continue;
      let set = reached.get(ud.userKey);
      if (!set) {
        set = new Set();
        reached.set(ud.userKey, set);
      }
      for (const s of steps) set.add(s);
    }
  }
  for (const o of paidOrders) {
    if (o.customerId === null || (channel !== undefined && o.channel !== channel)) continue;
    reached.get(o.customerId)?.add('paid');
  }
  const counts = FUNNEL_STEPS.map(() => 0);
  for (const steps of reached.values()) {
    for (let i = 0; i < FUNNEL_STEPS.length && steps.has(FUNNEL_STEPS[i]!); i++) counts[i]! += 1;
  }
  return FUNNEL_STEPS.map((step, i) => ({
    step,
    users: counts[i]!,
    dropOffBps: i === 0 ? 0 : bps(counts[i - 1]! - counts[i]!, counts[i - 1]!),
  }));
}

export interface GmvRow {
  readonly key: string;
  /** unique visitors */
  readonly traffic: number;
  /** paid orders */
  readonly orders: number;
  /** orders / traffic */
  readonly conversionBps: number | null;
  /** gmv / orders, fen, half-up */
  readonly aov: number | null;
  /** paid orders' totals minus the refunds issued, fen */
  readonly gmv: number;
  /** paying buyers with a paid order before (or two in the row) / paying buyers */
  readonly repurchaseBps: number | null;
  /** paid orders' totals before refunds, fen */
  readonly paid: number;
  /** refunds issued, fen */
  readonly refunded: number;
  readonly buyers: number;
  readonly repeatBuyers: number;
}

interface RowInput {
  key: string;
  visitors: Set<string>;
  orders: PaidOrder[];
  refunds: Refund[];
}

function gmvRow(row: RowInput, firstPaidAt: ReadonlyMap<string, string>): GmvRow {
  const paid = row.orders.reduce((s, o) => s + o.total, 0);
  const refunded = row.refunds.reduce((s, r) => s + r.amount, 0);
  const gmv = paid - refunded;
  const byBuyer = new Map<string, string[]>();
  for (const o of row.orders) {
    if (o.customerId === null) continue;
    const list = byBuyer.get(o.customerId) ?? [];
    list.push(o.paidAt);
    byBuyer.set(o.customerId, list);
  }
  let repeat = 0;
  for (const [customer, paidAts] of byBuyer) {
    const earliest = [...paidAts].sort()[0]!;
    const first = firstPaidAt.get(customer);
    if (paidAts.length >= 2 || (first !== undefined && first < earliest)) repeat += 1;
  }
  const orders = row.orders.length;
  return {
    key: row.key,
    traffic: row.visitors.size,
    orders,
    conversionBps: bps(orders, row.visitors.size),
    aov: orders === 0 ? null : divideHalfUp(gmv, orders),
    gmv,
    repurchaseBps: bps(repeat, byBuyer.size),
    paid,
    refunded,
    buyers: byBuyer.size,
    repeatBuyers: repeat,
  };
}

export interface GmvInput {
  readonly days: readonly string[];
  readonly userDays: readonly UserDay[];
  /** orders paid in the period, each with its channel */
  readonly orders: ReadonlyArray<PaidOrder & { readonly channel: string }>;
  /** refunds issued in the period, each with its order's channel */
  readonly refunds: ReadonlyArray<Refund & { readonly channel: string }>;
  /** each buyer's first paid order ever */
  readonly firstPaidAt: ReadonlyMap<string, string>;
}

/**
 * GMV = traffic × conversion × AOV per day or per channel, and the total over the period (its
 * traffic is the period's unique visitors, not a sum of the rows').
 */
export function gmv(input: GmvInput, by: 'day' | 'channel'): { rows: GmvRow[]; total: GmvRow } {
  const rows = new Map<string, RowInput>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) {
      r = { key, visitors: new Set(), orders: [], refunds: [] };
      rows.set(key, r);
    }
    return r;
  };
  const total: RowInput = { key: 'total', visitors: new Set(), orders: [], refunds: [] };
  if (by === 'day') for (const d of input.days) row(d);
  for (const ud of input.userDays) {
    for (const [ch, steps] of ud.steps) {
      if (!steps.has('visit')) continue;
      total.visitors.add(ud.userKey);
      row(by === 'day' ? ud.day : ch).visitors.add(ud.userKey);
    }
  }
  for (const o of input.orders) {
    total.orders.push(o);
    row(by === 'day' ? o.day : o.channel).orders.push(o);
  }
  for (const r of input.refunds) {
    total.refunds.push(r);
    row(by === 'day' ? r.day : r.channel).refunds.push(r);
  }
  const keys = [...rows.keys()].sort();
  return {
    rows: keys.map((k) => gmvRow(rows.get(k)!, input.firstPaidAt)),
    total: gmvRow(total, input.firstPaidAt),
  };
}

export interface ChannelRow {
  readonly channelId: string;
  readonly name: string;
  readonly gmv: number;
  readonly spend: number;
  /** GMV / spend in basis points (投产比: 35,000 = 3.5×); null without spend */
  readonly roiBps: number | null;
  readonly orders: number;
  readonly traffic: number;
}

/** Per channel: GMV (as `gmv(…, 'channel')`), the spend of the period's days and ROI = GMV / spend. */
export function channelRoi(
  byChannel: readonly GmvRow[],
  channels: ReadonlyArray<{
    readonly channelId: string;
    readonly name: string;
    readonly spend: ReadonlyArray<{ day: string; amount: number }>;
  }>,
  days: readonly string[],
): ChannelRow[] {
  const inPeriod = new Set(days);
  const configured = new Map(channels.map((c) => [c.channelId, c]));
  const ids = new Set([...configured.keys(), ...byChannel.map((r) => r.key)]);
  return [...ids].sort().map((channelId) => {
    const r = byChannel.find((x) => x.key === channelId);
    const c = configured.get(channelId);
    const spend = (c?.spend ?? []).filter((s) => inPeriod.has(s.day)).reduce((s, x) => s + x.amount, 0);
    const g = r?.gmv ?? 0;
    return {
      channelId,
      name: c?.name ?? channelId,
      gmv: g,
      spend,
      roiBps: bps(g, spend),
      orders: r?.orders ?? 0,
      traffic: r?.traffic ?? 0,
    };
  });
}

/** Share of the catalog's SKUs (and any SKU sold) with at least one paid order in the period. */
export function sellThrough(
  orders: ReadonlyArray<Pick<PaidOrder, 'skus'>>,
  catalog: readonly string[],
): { skus: number; skusWithSales: number; sellThroughBps: number | null } {
  const sold = new Set(orders.flatMap((o) => o.skus));
  const all = new Set([...catalog, ...sold]);
  return { skus: all.size, skusWithSales: sold.size, sellThroughBps: bps(sold.size, all.size) };
}

/** `YYYY-MM` months from `from` to `to`, inclusive. */
export function monthsOf(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  for (let guard = 0; guard < 1200; guard++) {
    const month = `${y}-${String(m).padStart(2, '0')}`;
    if (month > to) break;
    out.push(month);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

export interface CohortRow {
  readonly cohort: string;
  readonly customers: number;
  readonly months: ReadonlyArray<{
    readonly month: string;
    readonly offset: number;
    readonly customers: number;
    readonly retainedBps: number | null;
  }>;
}

/**
 * Cohorts by the month of each customer's first paid order (store time zone), and for each later
 * month up to `to` the share of the cohort with a paid order in it.
 */
export function retention(
  orders: ReadonlyArray<Pick<PaidOrder, 'customerId' | 'day'>>,
  firstPaidMonth: ReadonlyMap<string, string>,
  from: string,
  to: string,
): CohortRow[] {
  const months = monthsOf(from, to);
  const cohorts = new Map<string, Set<string>>(months.map((m) => [m, new Set()]));
  const activeIn = new Map<string, Set<string>>(months.map((m) => [m, new Set()]));
  for (const o of orders) {
    if (o.customerId === null) continue;
    const month = o.day.slice(0, 7);
    activeIn.get(month)?.add(o.customerId);
    const first = firstPaidMonth.get(o.customerId);
    if (first !== undefined) cohorts.get(first)?.add(o.customerId);
  }
  return months.map((cohort, ci) => {
    const members = cohorts.get(cohort)!;
    return {
      cohort,
      customers: members.size,
      months: months.slice(ci + 1).map((month, k) => {
        const active = activeIn.get(month)!;
        let n = 0;
        for (const c of members) if (active.has(c)) n += 1;
        return { month, offset: k + 1, customers: n, retainedBps: bps(n, members.size) };
      }),
    };
  });
}

/** A campaign's or experiment's mark: one event of a user in a variant. */
export interface VariantMark {
  readonly variant: string;
  readonly userKey: string;
  readonly at: string;
  readonly type: StorefrontEventType;
}

/**
 * The counts behind a pilot's or an A/B test's evaluation (domain/shared/variant-counts.ts): per
 * variant the distinct users with a mark in [from, to), of them those with a product_view there,
 * and those with a paid order at or after their first mark there and before `to`.
 */
export function variantCounts(
  marks: readonly VariantMark[],
  orders: ReadonlyArray<{ readonly customerId: string | null; readonly paidAt: string }>,
  from: string,
  to: string,
): VariantCounts[] {
  const firstAt = new Map<string, Map<string, string>>();
  const clicked = new Map<string, Set<string>>();
  for (const m of marks) {
    if (m.at < from || m.at >= to) continue;
    let users = firstAt.get(m.variant);
    if (!users) {
      users = new Map();
      firstAt.set(m.variant, users);
      clicked.set(m.variant, new Set());
    }
    const seen = users.get(m.userKey);
    if (seen === undefined || m.at < seen) users.set(m.userKey, m.at);
    if (m.type === 'product_view') clicked.get(m.variant)!.add(m.userKey);
  }
  const paidAts = new Map<string, string[]>();
  for (const o of orders) {
    if (o.customerId === null || o.paidAt >= to) continue;
    const list = paidAts.get(o.customerId) ?? [];
    list.push(o.paidAt);
    paidAts.set(o.customerId, list);
  }
  return [...firstAt.keys()].sort().map((variant) => {
    const users = firstAt.get(variant)!;
    let conversions = 0;
    for (const [user, first] of users) {
      if ((paidAts.get(user) ?? []).some((p) => p >= first)) conversions += 1;
    }
    return { variant, users: users.size, clicks: clicked.get(variant)!.size, conversions };
  });
}

/** The store days an instant range [from, to) touches. */
export function daysTouched(from: string, to: string, timeZone: string): string[] {
  const first = localDate(new Date(from), timeZone);
  const last = localDate(new Date(Date.parse(to) - 1), timeZone);
  return first <= last ? daysOf(first, last) : [];
}

/** A stored storefront event as readers fold it. */
export interface StoredEvent {
  readonly eventId: string;
  readonly userKey: string;
  readonly day: string;
  readonly type: StorefrontEventType;
  readonly channel: string;
  readonly at: string;
  readonly sku?: string | undefined;
  readonly campaignId?: string | undefined;
  readonly experimentId?: string | undefined;
  readonly variant?: string | undefined;
}

/** Each eventId once (a batch sent again keeps its events again): the first of each, in order. */
export function* uniqueEvents(events: Iterable<StoredEvent>): Generator<StoredEvent> {
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    yield e;
  }
}

/**
 * Events folded into user-days: the steps per channel and the visits of each user's store day.
 * One pass, each eventId once; `events` may be a generator (the store decodes its segments into
 * it one at a time, so a day of a million events is never held as a million objects).
 */
export function foldUserDays(events: Iterable<StoredEvent>): UserDay[] {
  type Folding = {
    day: string;
    userKey: string;
    steps: Map<string, Set<StorefrontEventType>>;
    visits: Map<string, { at: string; channel: string }>;
  };
  // by day, then by user: events come a day at a time (a segment holds one day), so the day's map
  // is looked up once per run of events, and no `day + user` key is built per event
  const byDay = new Map<string, Map<string, Folding>>();
  const folded: Folding[] = [];
  let day: string | undefined;
  let users: Map<string, Folding> | undefined;
  for (const e of uniqueEvents(events)) {
    if (e.day !== day || users === undefined) {
      day = e.day;
      users = byDay.get(day);
      if (!users) {
        users = new Map();
        byDay.set(day, users);
      }
    }
    let d = users.get(e.userKey);
    if (!d) {
      d = { day: e.day, userKey: e.userKey, steps: new Map(), visits: new Map() };
      users.set(e.userKey, d);
      folded.push(d);
    }
    let steps = d.steps.get(e.channel);
    if (!steps) {
      steps = new Set();
      d.steps.set(e.channel, steps);
    }
    steps.add(e.type);
    if (e.type === 'visit') d.visits.set(`${e.at}|${e.channel}`, { at: e.at, channel: e.channel });
  }
  return folded.map((d) => ({
    day: d.day,
    userKey: d.userKey,
    steps: d.steps,
    visits: [...d.visits.values()],
  }));
}

/** A campaign's or experiment's marks among the events. */
export function foldMarks(
  events: Iterable<StoredEvent>,
  kind: 'campaign' | 'experiment',
  id: string,
): VariantMark[] {
  const marks: VariantMark[] = [];
  for (const e of uniqueEvents(events)) {
    if ((kind === 'campaign' ? e.campaignId : e.experimentId) === id && e.variant !== undefined) {
      marks.push({ variant: e.variant, userKey: e.userKey, at: e.at, type: e.type });
    }
  }
  return marks;
}
