import { isMoney, type Money } from './format.ts';

/**
 * A customer's member answer (issue #18's contract: `GET /api/customers/{id}`) and the referral
 * leaderboard, read tolerantly and shaped for the console: pure functions, unit-tested in
 * test/console/members-data.test.ts. Everything but the id may be absent (a customer with no
 * order has no tier, no history, no coupons).
 */

export interface TierChange {
  readonly at: string;
  readonly from: string | null;
  readonly to: string;
  readonly reason: string;
  readonly detail: Record<string, unknown>;
}

export interface Coupon {
  readonly code: string;
  readonly amount: Money | null;
  readonly minSpend: Money | null;
  readonly status: string;
  readonly source: string;
  readonly expiresAt: string | null;
  readonly redeemedAt: string | null;
  readonly orderId: string | null;
}

export interface NextTier {
  readonly tier: string;
  /** more spend needed in the window (null when the API does not say) */
  readonly spendNeeded: Money | null;
  readonly ordersNeeded: number | null;
  /** share of the next tier's spend threshold already reached, percent (null without one) */
  readonly progressPercent: number | null;
}

export interface CustomerView {
  readonly id: string;
  readonly tier: string;
  readonly since: string | null;
  readonly spend: Money | null;
  readonly orders: number | null;
  /** the trailing window the spend and orders cover */
  readonly window: {
    readonly from: string | null;
    readonly to: string | null;
    readonly months: number | null;
  } | null;
  readonly next: NextTier | null;
  readonly coupons: Coupon[];
  readonly referralCode: string | null;
  /** who invited them, and how that referral was decided */
  readonly invitedBy: {
    readonly customerId: string | null;
    readonly status: string | null;
    readonly reason: string | null;
  } | null;
  /** their rewarded referrals as an inviter: this month's and this year's (`{ period, rewarded }`) */
  readonly referrals: Array<{ readonly scope: string; readonly period: string; readonly rewarded: number }>;
  readonly history: TierChange[];
  /** what the tier gives, in words (`5.00% off`, `free shipping`, …); empty without benefits */
  readonly benefits: string[];
  /** no paid order yet: the first-order perks apply */
  readonly newUser: boolean;
}

/** A tier's benefits in words, from `{ discountBps, freeShipping, dedicatedSupport, slaMultiplierBps }`. */
export function benefitsOf(v: unknown): string[] {
  const b = obj(v);
  const out: string[] = [];
  const discount = num(b.discountBps);
  if (discount) out.push(`${(discount / 100).toFixed(2)}% off`);
  if (b.freeShipping === true) out.push('free shipping');
  if (b.dedicatedSupport === true) out.push('dedicated support');
  const sla = num(b.slaMultiplierBps);
  if (sla !== null && sla !== 10_000) out.push(`SLA compensation ×${(sla / 10_000).toFixed(2)}`);
  return out;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const money = (v: unknown): Money | null => (isMoney(v) ? v : null);

/** Coupons as the ledger lists them: `[…]` or `{ items: […] }` or `{ open: […], used: […] }`. */
export function couponList(v: unknown): Coupon[] {
  const o = obj(v);
  const raw: unknown[] = Array.isArray(v)
    ? v
    : Array.isArray(o.items)
      ? o.items
      : Array.isArray(o.coupons)
        ? o.coupons
        : [
            ...(Array.isArray(o.open) ? o.open.map((c) => ({ status: 'open', ...obj(c) })) : []),
            ...(Array.isArray(o.used) ? o.used.map((c) => ({ status: 'redeemed', ...obj(c) })) : []),
          ];
  return raw.map((c) => {
    const r = obj(c);
    return {
      code: String(r.code ?? ''),
      amount: money(r.amount),
      minSpend: money(r.minSpend),
      status: String(r.status ?? 'open'),
      source: String(r.source ?? ''),
      expiresAt: str(r.expiresAt),
      redeemedAt: str(r.redeemedAt),
      orderId: str(r.orderId ?? r.redeemedBy),
    };
  });
}

export function nextTier(v: unknown, spend: Money | null): NextTier | null {
  const n = obj(v);
  const tier = str(n.tier ?? n.name);
  if (!tier) return null;
  const spendNeeded = money(n.spendNeeded ?? n.spend ?? n.moreSpend);
  const minSpend = money(n.minSpend);
  const threshold =
    minSpend ??
    (spend && spendNeeded ? { amount: spend.amount + spendNeeded.amount, currency: spend.currency } : null);
  const progressPercent =
    threshold && spend && threshold.amount > 0
      ? Math.min(100, Math.floor((spend.amount * 10_000) / threshold.amount) / 100)
      : null;
  return {
    tier,
    spendNeeded,
    ordersNeeded: num(n.ordersNeeded ?? n.orders ?? n.moreOrders),
    progressPercent,
  };
}

/** Who invited a customer: an id, or `{ customerId, status, reason, … }`; null for nobody. */
function invitedByOf(v: unknown): CustomerView['invitedBy'] {
  if (typeof v === 'string' && v) return { customerId: v, status: null, reason: null };
  const o = obj(v);
  if (Object.keys(o).length === 0) return null;
  return { customerId: str(o.customerId ?? o.inviterId), status: str(o.status), reason: str(o.reason) };
}

/** The customer answer, whatever optional parts it has. */
export function customerView(id: string, answer: unknown): CustomerView {
  const c = obj(answer);
  const w = obj(c.window);
  const spend = money(c.spend ?? c.windowSpend ?? w.spend);
  const history = (Array.isArray(c.tierHistory) ? c.tierHistory : []).map((h) => {
    const r = obj(h);
    return {
      at: String(r.at ?? r.since ?? ''),
      from: str(r.from),
      to: String(r.to ?? r.tier ?? ''),
      reason: String(r.reason ?? ''),
      detail: Object.fromEntries(
        Object.entries(r).filter(([k]) => !['at', 'from', 'to', 'tier', 'reason'].includes(k)),
      ),
    };
  });
  // newest change first, as a receipt reads
  history.sort((a, b) => b.at.localeCompare(a.at));
  const referral = obj(c.referral);
  return {
    id: String(c.customerId ?? id),
    tier: str(c.tier) ?? 'none',
    since: str(c.tierSince ?? c.since),
    spend,
    orders: num(c.orders ?? c.windowOrders ?? w.orders),
    window:
      str(w.from) || num(w.months) !== null
        ? { from: str(w.from), to: str(w.to), months: num(w.months) }
        : null,
    next: nextTier(c.nextTier ?? c.next, spend),
    coupons: couponList(c.coupons),
    referralCode: str(c.referralCode ?? referral.code),
    invitedBy: invitedByOf(c.invitedBy ?? c.inviter ?? referral.invitedBy),
    referrals: Object.entries(obj(c.referrals)).flatMap(([scope, v]) => {
      const r = obj(v);
      const rewarded = num(r.rewarded);
      return rewarded === null ? [] : [{ scope, period: String(r.period ?? scope), rewarded }];
    }),
    history,
    benefits: benefitsOf(c.benefits),
    newUser: c.newUser === true,
  };
}

export interface LeaderRow {
  readonly rank: number;
  readonly customerId: string;
  readonly rewarded: number;
  readonly firstAt: string | null;
}

/**
 * The leaderboard's rows in rank order: the API's `rank` when given, else its order (ties already
 * broken by who got there first).
 */
export function leaderRows(answer: unknown): LeaderRow[] {
  const a = obj(answer);
  const list = (
    Array.isArray(a.entries)
      ? a.entries
      : Array.isArray(a.leaders)
        ? a.leaders
        : Array.isArray(a.rows)
          ? a.rows
          : Array.isArray(a.items)
            ? a.items
            : []
  ) as unknown[];
  return list
    .map((e, i) => {
      const r = obj(e);
      return {
        rank: num(r.rank) ?? i + 1,
        customerId: String(r.customerId ?? r.inviter ?? r.inviterId ?? ''),
        rewarded: num(r.rewarded ?? r.rewardedReferrals ?? r.referrals ?? r.count) ?? 0,
        firstAt: str(r.reachedAt ?? r.firstAt ?? r.lastRewardedAt ?? r.at),
      };
    })
    .sort((x, y) => x.rank - y.rank);
}
