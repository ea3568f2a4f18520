import { addDays, localDate, localSecondsOfDay, zonedInstant } from '../shared/calendar.ts';
import { type Money, toDecimalString } from '../shared/money.ts';
import type { Compensation, Deadline, PromisePolicy } from './policy.ts';

/**
 * The SLA rules (SPEC §4, docs/rules/sla.md) as pure functions: when a promise is due, whether an
 * order is eligible, and what a breach pays. Money is integer minor units; a percentage rounds
 * half-up to the fen; the order's cap holds across all its promises.
 */

/** The version of these rules, recorded with every compensation. */
export const SLA_RULES_VERSION = 'sla/1';

const seconds = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 3600 + m * 60;
};

/** `hh:mm:ss` on the store's clock. */
const storeClock = (at: Date, timeZone: string) => {
  const s = localSecondsOfDay(at, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
};

export type DueDate =
  | { readonly eligible: true; readonly deadline: string }
  | { readonly eligible: false; readonly reason: string };

/**
 * When a promise started at `startedAt` is due:
 * - `afterSeconds`: that long after the start;
 * - `{ cutoff, dueAt, days }`: started strictly before the cutoff on the store's clock (11:59:59 for a
 *   12:00 cutoff) → due at `dueAt` on the store's calendar, `days` later; at or after → not eligible;
 * - `{ field }`: the instant the start event carries.
 */
export function dueDate(
  deadline: Deadline,
  startedAt: string,
  startData: Readonly<Record<string, unknown>>,
  timeZone: string,
): DueDate {
  const start = new Date(startedAt);
  if ('afterSeconds' in deadline) {
    return {
      eligible: true,
      deadline: new Date(start.getTime() + deadline.afterSeconds * 1000).toISOString(),
    };
  }
  if ('cutoff' in deadline) {
    if (localSecondsOfDay(start, timeZone) >= seconds(deadline.cutoff)) {
      return {
        eligible: false,
        reason: `started at ${storeClock(start, timeZone)} store time (${start.toISOString()}), at or after the ${deadline.cutoff} cutoff (${timeZone})`,
      };
    }
    const day = addDays(localDate(start, timeZone), deadline.days ?? 0);
    return { eligible: true, deadline: zonedInstant(day, deadline.dueAt, timeZone).toISOString() };
  }
  const value = startData[deadline.field];
  if (typeof value !== 'string' || !Number.isFinite(Date.parse(value))) {
    return { eligible: false, reason: `the start event has no date in ${deadline.field}` };
  }
  return { eligible: true, deadline: new Date(value).toISOString() };
}

/** What the promise's eligibility rules look at: the order's SKU categories and shipping region. */
export interface OrderFacts {
  readonly categories: readonly string[];
  readonly region: string | null;
}

/** Whether an order is covered: a line in one of the categories, shipping to one of the regions. */
export function eligibility(
  eligible: PromisePolicy['eligible'],
  facts: OrderFacts | null,
): { readonly eligible: true } | { readonly eligible: false; readonly reason: string } {
  if (eligible.categories) {
    const hit = facts?.categories.some((c) => eligible.categories!.includes(c));
    if (!hit) {
      return {
        eligible: false,
        reason: facts
          ? `no line of the order is in ${eligible.categories.join(', ')} (its categories: ${facts.categories.join(', ') || 'none known'})`
          : `the order's lines are unknown; the promise needs one in ${eligible.categories.join(', ')}`,
      };
    }
  }
  if (eligible.regions) {
    const region = facts?.region ?? null;
    if (!region || !eligible.regions.some((r) => r.toLowerCase() === region.toLowerCase())) {
      return {
        eligible: false,
        reason: `ships to ${region ?? 'an unknown region'}, outside ${eligible.regions.join(', ')}`,
      };
    }
  }
  return { eligible: true };
}

/** Half-up to the minor unit (amounts here are never negative). */
const bpsOf = (amount: number, bps: number) =>
  Number((BigInt(amount) * BigInt(bps) * 2n + 10_000n) / 20_000n);

export interface CompensationInputs {
  readonly compensation: Compensation;
  /** The order's total, for a refund share; null when the promise has no order total. */
  readonly orderTotal: Money | null;
  /** How late the fulfilment was (0 at the deadline). */
  readonly lateSeconds: number;
  /** The member tier's multiplier (10 000 = ×1.0, the default without a tier). */
  readonly multiplierBps: number;
  /** The currency of the cap (and of coupons). */
  readonly currency: string;
}

/** The step a lateness falls in: the last tier whose `lateSeconds` it has reached. */
export function tierFor<T extends { readonly lateSeconds: number }>(
  tiers: readonly T[],
  lateSeconds: number,
): T {
  let chosen = tiers[0]!;
  for (const tier of tiers) if (lateSeconds >= tier.lateSeconds) chosen = tier;
  return chosen;
}

/** The compensation before the cap, and how it was computed. */
export function compensationFor(inputs: CompensationInputs): { amount: Money; basis: string } {
  const { compensation } = inputs;
  const step = 'tiers' in compensation ? tierFor(compensation.tiers, inputs.lateSeconds) : compensation;
  const multiply = (amount: number) => bpsOf(amount, inputs.multiplierBps);
  if ('coupon' in step) {
    return {
      amount: { amount: multiply(step.coupon.amount), currency: step.coupon.currency },
      basis: `coupon ${toDecimalString(step.coupon)} ${step.coupon.currency}${inputs.multiplierBps === 10_000 ? '' : ` × ${inputs.multiplierBps / 10_000}`}`,
    };
  }
  if (!inputs.orderTotal)
    return {
      amount: { amount: 0, currency: inputs.currency },
      basis: 'refund share of an unknown order total',
    };
  const refund = bpsOf(inputs.orderTotal.amount, step.refundBps);
  return {
    amount: { amount: multiply(refund), currency: inputs.orderTotal.currency },
    basis: `${step.refundBps / 100}% of ${toDecimalString(inputs.orderTotal)} ${inputs.orderTotal.currency}`,
  };
}

/** What the cap still allows: never negative, never more than asked. */
export function capped(amount: number, paidSoFar: number, cap: number): number {
  return Math.max(0, Math.min(amount, cap - paidSoFar));
}

/** Whether a tiered compensation is settled at the breach (one step) or waits for the lateness. */
export function settlesAtBreach(compensation: Compensation): boolean {
  return !('tiers' in compensation) || compensation.tiers.length === 1;
}

/** The lateness after which a tiered compensation pays its last step without waiting further. */
export function lastTierSeconds(compensation: Compensation): number {
  return 'tiers' in compensation ? (compensation.tiers.at(-1)?.lateSeconds ?? 0) : 0;
}
