import { type Money, MoneySchema, maxMoney, money, subtract, toDecimalString } from '../shared/money.ts';
import * as z from '../shared/zod.ts';
import {
  DAY_MS,
  type InstantInput,
  toMs,
  toUtcIso,
  type WindowPhase,
  WindowSchema,
  windowPhase,
} from './instants.ts';
import { FORFEIT_POLICIES, type Presale } from './presale.ts';

/**
 * The terms of one presale order, snapshotted from the presale when its deposit is accepted
 * (SPEC §0: rules are snapshotted into the run; a later edit of the presale does not touch orders
 * already taken). Everything the order's run decides from is here; the quota is not a term.
 */
export type PresaleTerms = Omit<Presale, 'quota'>;

export const PresaleTermsSchema = z.object({
  presaleId: z.string().check(z.minLength(1)),
  sku: z.string().check(z.minLength(1)),
  listPrice: MoneySchema,
  deposit: MoneySchema,
  depositValue: MoneySchema,
  depositWindow: WindowSchema,
  balanceWindow: WindowSchema,
  shipWithinDays: z.int().check(z.minimum(1)),
  forfeitPolicy: z.enum(FORFEIT_POLICIES),
});

/** A copy of the presale's terms that shares nothing with the presale. */
export function termsOf(presale: Presale): PresaleTerms {
  return {
    presaleId: presale.presaleId,
    sku: presale.sku,
    listPrice: { ...presale.listPrice },
    deposit: { ...presale.deposit },
    depositValue: { ...presale.depositValue },
    depositWindow: { ...presale.depositWindow },
    balanceWindow: { ...presale.balanceWindow },
    shipWithinDays: presale.shipWithinDays,
    forfeitPolicy: presale.forfeitPolicy,
  };
}

/**
 * SPEC §2: balance due = max(0, list price − deposit value), in the list price's currency and
 * integer minor units. A deposit worth more than the list price leaves nothing to pay, never a
 * negative balance (no cash back).
 */
export function balanceDue(terms: Pick<PresaleTerms, 'listPrice' | 'depositValue'>): Money {
  const { listPrice, depositValue } = terms;
  return maxMoney(subtract(listPrice, depositValue), money(0, listPrice.currency));
}

/** Where an instant falls relative to the order's balance window (`[start, end)`). */
export function balanceWindowPhase(
  terms: Pick<PresaleTerms, 'balanceWindow'>,
  at: InstantInput,
): WindowPhase {
  return windowPhase(terms.balanceWindow, at);
}

/** When the run announces the balance (`PresaleBalanceDue`). */
export function balanceWindowOpensAt(terms: Pick<PresaleTerms, 'balanceWindow'>): string {
  return terms.balanceWindow.start;
}

/** When the run stops waiting for the balance: the callback's timeout (SPEC §2). */
export function balanceWindowClosesAt(terms: Pick<PresaleTerms, 'balanceWindow'>): string {
  return terms.balanceWindow.end;
}

/** Seconds from `at` until the balance window closes (0 once closed): the task-token timeout. */
export function secondsUntilBalanceCloses(
  terms: Pick<PresaleTerms, 'balanceWindow'>,
  at: InstantInput,
): number {
  return Math.max(0, Math.ceil((toMs(terms.balanceWindow.end) - toMs(at)) / 1000));
}

export const BALANCE_REFUSAL_REASONS = [
  'BalanceWindowNotOpen',
  'BalanceWindowClosed',
  'WrongCurrency',
  'WrongAmount',
] as const;
export type BalanceRefusalReason = (typeof BALANCE_REFUSAL_REASONS)[number];

export interface BalanceRefusal {
  readonly reason: BalanceRefusalReason;
  /** For the customer-service screen and the timeline: names expected and received values. */
  readonly message: string;
  readonly expected: Money;
  readonly got: Money;
}

export type BalanceCheck =
  | { readonly ok: true; readonly amount: Money }
  | ({ readonly ok: false } & BalanceRefusal);

const show = (m: Money) => `${toDecimalString(m)} ${m.currency}`;

/**
 * Checks a `PresaleBalancePaid` against the order's terms (SPEC §2: a payment of the wrong amount
 * is rejected with a clear reason and the run keeps waiting). The amount must be exactly the
 * balance due in the terms' currency; with `paidAt`, it must also fall inside the balance window
 * (`[start, end)`).
 */
export function checkBalancePayment(terms: PresaleTerms, amount: Money, paidAt?: InstantInput): BalanceCheck {
  const expected = balanceDue(terms);
  const refuse = (reason: BalanceRefusalReason, message: string): BalanceCheck => ({
    ok: false,
    reason,
    message,
    expected,
    got: amount,
  });
  if (paidAt !== undefined) {
    const phase = balanceWindowPhase(terms, paidAt);
    if (phase === 'NOT_OPEN') {
      return refuse(
        'BalanceWindowNotOpen',
        `balance paid at ${toUtcIso(paidAt)}, before the balance window opens at ${terms.balanceWindow.start}`,
      );
    }
    if (phase === 'CLOSED') {
      return refuse(
        'BalanceWindowClosed',
        `balance paid at ${toUtcIso(paidAt)}, after the balance window closed at ${terms.balanceWindow.end}`,
      );
    }
  }
  if (amount.currency !== expected.currency) {
    return refuse(
      'WrongCurrency',
      `balance must be paid in ${expected.currency} (${show(expected)} due); got ${show(amount)}`,
    );
  }
  if (amount.amount !== expected.amount) {
    return refuse('WrongAmount', `balance due is ${show(expected)}; got ${show(amount)}`);
  }
  return { ok: true, amount: expected };
}

/**
 * The ship-by date (SPEC §2): the balance payment instant plus `shipWithinDays` whole days of
 * 24 h, ISO-8601 UTC. A duration, not a calendar rule, so the store's time zone does not enter.
 */
export function shipBy(paidAt: InstantInput, shipWithinDays: number): string {
  if (!Number.isSafeInteger(shipWithinDays) || shipWithinDays < 0) {
    throw new RangeError(`shipWithinDays must be a non-negative integer, got ${shipWithinDays}`);
  }
  return toUtcIso(new Date(toMs(paidAt) + shipWithinDays * DAY_MS));
}
