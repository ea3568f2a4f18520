import {
  type EventData,
  PRESALE_DEPOSIT_OUTCOMES,
  PRESALE_REJECTION_REASONS,
  type PresaleDepositOutcome,
  type PresaleRejectionReason,
} from '../events/catalog.ts';
import { ConflictError } from '../shared/errors.ts';
import { type Money, MoneySchema, toDecimalString } from '../shared/money.ts';
import * as z from '../shared/zod.ts';
import { type InstantInput, InstantSchema, toUtcIso, windowPhase } from './instants.ts';
import type { ForfeitPolicy, Presale } from './presale.ts';
import {
  type BalanceRefusal,
  balanceDue,
  checkBalancePayment,
  type PresaleTerms,
  PresaleTermsSchema,
  shipBy,
  termsOf,
} from './terms.ts';

export { PRESALE_REJECTION_REASONS, type PresaleDepositOutcome, type PresaleRejectionReason };

/**
 * The presale order's life (SPEC §2, issue #5):
 *
 * ```
 *   (deposit) ──► DEPOSIT_PAID ──► BALANCE_DUE ──► BALANCE_PAID
 *       │              │               ├────────► FORFEITED   (balance window closed unpaid)
 *       │              └───────────────┴────────► CANCELLED   (presale.cancelled before the balance)
 *       └─────► REJECTED (PresaleNotFound | PresaleClosed | PresaleSoldOut | PresaleDepositMismatch)
 * ```
 */
export const PRESALE_ORDER_STATUSES = [
  'DEPOSIT_PAID',
  'BALANCE_DUE',
  'BALANCE_PAID',
  'FORFEITED',
  'CANCELLED',
  'REJECTED',
] as const;
export type PresaleOrderStatus = (typeof PRESALE_ORDER_STATUSES)[number];

/** The statuses an order starts in: its deposit was accepted, or rejected. */
export const INITIAL_STATUSES: readonly PresaleOrderStatus[] = ['DEPOSIT_PAID', 'REJECTED'];

/** Every allowed edge; anything else is refused. Terminal statuses have none. */
export const ALLOWED_TRANSITIONS: Readonly<Record<PresaleOrderStatus, readonly PresaleOrderStatus[]>> = {
  DEPOSIT_PAID: ['BALANCE_DUE', 'CANCELLED'],
  BALANCE_DUE: ['BALANCE_PAID', 'FORFEITED', 'CANCELLED'],
  BALANCE_PAID: [],
  FORFEITED: [],
  CANCELLED: [],
  REJECTED: [],
};

export function canTransition(from: PresaleOrderStatus, to: PresaleOrderStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

export function isTerminal(status: PresaleOrderStatus): boolean {
  return ALLOWED_TRANSITIONS[status].length === 0;
}

/**
 * Whether an order in this status holds a unit of the quota. A rejected order never took one; a
 * forfeited or cancelled one gave it back (SPEC §2). The quota's taken count is the number of
 * orders that hold a unit.
 */
export function holdsUnit(status: PresaleOrderStatus): boolean {
  return status === 'DEPOSIT_PAID' || status === 'BALANCE_DUE' || status === 'BALANCE_PAID';
}

/** A transition the order's status does not allow (e.g. cancelling after the balance was paid). */
export class PresaleTransitionError extends ConflictError {
  readonly from: PresaleOrderStatus;
  readonly to: PresaleOrderStatus;
  constructor(orderId: string, from: PresaleOrderStatus, to: PresaleOrderStatus) {
    const allowed = ALLOWED_TRANSITIONS[from];
    super(
      `presale order ${orderId} is ${from} and cannot become ${to}` +
        (allowed.length ? ` (from ${from}: ${allowed.join(', ')})` : ` (${from} is final)`),
      { orderId, from, to },
    );
    this.from = from;
    this.to = to;
  }
}

/** A presale order as recorded and as `GET /api/presale-orders/{orderId}` shows it. */
export interface PresaleOrder {
  readonly orderId: string;
  readonly presaleId: string;
  readonly customerId: string;
  readonly status: PresaleOrderStatus;
  /** The deposit the customer paid (what a refund gives back). */
  readonly deposit: Money;
  readonly depositPaidAt: string;
  /** The terms snapshot taken at the deposit; null only for a deposit to an unknown presale. */
  readonly terms: PresaleTerms | null;
  /** max(0, listPrice − depositValue) of the terms; null when rejected. */
  readonly balanceDue: Money | null;
  /** Set when the balance is paid: payment + terms.shipWithinDays. */
  readonly shipBy: string | null;
  readonly balancePaidAt: string | null;
  /** Why a REJECTED order was rejected. */
  readonly reason: PresaleRejectionReason | null;
  /** The human-readable explanation of a rejection. */
  readonly message: string | null;
  /** The reason carried by `presale.cancelled`. */
  readonly cancelReason: string | null;
  /** For REJECTED, FORFEITED and CANCELLED orders: whether the deposit is kept or refunded. */
  readonly depositOutcome: PresaleDepositOutcome | null;
  /** When the order entered its current status. */
  readonly statusChangedAt: string;
}

export const PresaleOrderSchema = z.object({
  orderId: z.string().check(z.minLength(1)),
  presaleId: z.string().check(z.minLength(1)),
  customerId: z.string().check(z.minLength(1)),
  status: z.enum(PRESALE_ORDER_STATUSES),
  deposit: MoneySchema,
  depositPaidAt: InstantSchema,
  terms: z.nullable(PresaleTermsSchema),
  balanceDue: z.nullable(MoneySchema),
  shipBy: z.nullable(InstantSchema),
  balancePaidAt: z.nullable(InstantSchema),
  reason: z.nullable(z.enum(PRESALE_REJECTION_REASONS)),
  message: z.nullable(z.string()),
  cancelReason: z.nullable(z.string()),
  depositOutcome: z.nullable(z.enum(PRESALE_DEPOSIT_OUTCOMES)),
  statusChangedAt: InstantSchema,
});

// ---- Windows ---------------------------------------------------------------------------------

/** Deposits are taken while the deposit window is open: `start ≤ at < end`. */
export function isDepositWindowOpen(presale: Pick<Presale, 'depositWindow'>, at: InstantInput): boolean {
  return windowPhase(presale.depositWindow, at) === 'OPEN';
}

/** The balance is taken while the balance window is open: `start ≤ at < end`. */
export function isBalanceWindowOpen(terms: Pick<PresaleTerms, 'balanceWindow'>, at: InstantInput): boolean {
  return windowPhase(terms.balanceWindow, at) === 'OPEN';
}

// ---- Deposit ---------------------------------------------------------------------------------

/** A paid deposit: the `PresaleDepositPaid` event's data. */
export type DepositPaid = EventData<'PresaleDepositPaid'>;

export type DepositDecision =
  | { readonly kind: 'accept'; readonly terms: PresaleTerms }
  | {
      readonly kind: 'reject';
      readonly reason: PresaleRejectionReason;
      readonly message: string;
      /** The presale's terms at the time, for the record; null when the presale is unknown. */
      readonly terms: PresaleTerms | null;
    };

const show = (m: Money) => `${toDecimalString(m)} ${m.currency}`;

/**
 * A rejection of a deposit to this presale; also what the caller records when the conditional
 * quota write fails (`rejection('PresaleSoldOut', presale)`).
 */
export function rejection(
  reason: PresaleRejectionReason,
  presale: Presale | undefined,
  detail?: string,
  presaleId: string | undefined = presale?.presaleId,
): Extract<DepositDecision, { kind: 'reject' }> {
  const name = presaleId === undefined ? 'the presale' : `presale ${presaleId}`;
  const base = {
    PresaleNotFound: `${name} does not exist`,
    PresaleClosed: `${name} is not taking deposits`,
    PresaleSoldOut: `${name} is sold out${presale ? ` (quota ${presale.quota})` : ''}`,
    PresaleDepositMismatch: `the deposit does not match ${name}`,
  }[reason];
  return {
    kind: 'reject',
    reason,
    message: detail ? `${base}: ${detail}` : base,
    terms: presale ? termsOf(presale) : null,
  };
}

/**
 * Whether a deposit is accepted (SPEC §2: the presale must exist and be open, and a unit of quota
 * must be left). Checked in this order: PresaleNotFound, PresaleClosed (outside the deposit
 * window), PresaleDepositMismatch (a deposit is accepted only for exactly the presale's deposit
 * amount and currency: only that deposit earns the deposit value), PresaleSoldOut. `at` is when
 * the deposit was paid (the event's `paidAt`), so a deposit paid inside the window but processed
 * just after it closes is still accepted. Accepting does not take the unit: the caller takes it
 * with a conditional write and, if that fails, rejects with `rejection('PresaleSoldOut', presale)`.
 */
export function decideDeposit(
  presale: Presale | undefined,
  at: InstantInput,
  quotaLeft: number,
  amount: Money,
): DepositDecision {
  if (!presale) return rejection('PresaleNotFound', undefined);
  const phase = windowPhase(presale.depositWindow, at);
  if (phase === 'NOT_OPEN') {
    return rejection(
      'PresaleClosed',
      presale,
      `the deposit window opens at ${presale.depositWindow.start}; deposit paid at ${toUtcIso(at)}`,
    );
  }
  if (phase === 'CLOSED') {
    return rejection(
      'PresaleClosed',
      presale,
      `the deposit window closed at ${presale.depositWindow.end}; deposit paid at ${toUtcIso(at)}`,
    );
  }
  if (amount.currency !== presale.deposit.currency || amount.amount !== presale.deposit.amount) {
    return rejection(
      'PresaleDepositMismatch',
      presale,
      `the deposit is ${show(presale.deposit)}; got ${show(amount)}`,
    );
  }
  if (quotaLeft <= 0) return rejection('PresaleSoldOut', presale);
  return { kind: 'accept', terms: termsOf(presale) };
}

/**
 * {@link decideDeposit} for a deposit event, naming the event's presale id in a rejection of an
 * unknown presale.
 */
export function decideDepositFor(
  deposit: DepositPaid,
  presale: Presale | undefined,
  quotaLeft: number,
): DepositDecision {
  if (!presale) return rejection('PresaleNotFound', undefined, undefined, deposit.presaleId);
  if (presale.presaleId !== deposit.presaleId) {
    throw new Error(`presale ${presale.presaleId} is not the deposit's presale ${deposit.presaleId}`);
  }
  return decideDeposit(presale, deposit.paidAt, quotaLeft, deposit.amount);
}

/** The order of an accepted deposit: DEPOSIT_PAID with its terms snapshot and balance due. */
export function acceptDeposit(deposit: DepositPaid, terms: PresaleTerms): PresaleOrder {
  if (terms.presaleId !== deposit.presaleId) {
    throw new Error(`terms of presale ${terms.presaleId} for a deposit to ${deposit.presaleId}`);
  }
  const paidAt = toUtcIso(deposit.paidAt);
  return {
    orderId: deposit.orderId,
    presaleId: deposit.presaleId,
    customerId: deposit.customerId,
    status: 'DEPOSIT_PAID',
    deposit: { ...deposit.amount },
    depositPaidAt: paidAt,
    terms,
    balanceDue: balanceDue(terms),
    shipBy: null,
    balancePaidAt: null,
    reason: null,
    message: null,
    cancelReason: null,
    depositOutcome: null,
    statusChangedAt: paidAt,
  };
}

/**
 * The order of a rejected deposit: REJECTED, final, holding no unit. The deposit is refunded
 * whatever the presale's forfeit policy: the customer got nothing for it.
 */
export function rejectDeposit(
  deposit: DepositPaid,
  decision: Extract<DepositDecision, { kind: 'reject' }>,
  at: InstantInput,
): PresaleOrder {
  return {
    orderId: deposit.orderId,
    presaleId: deposit.presaleId,
    customerId: deposit.customerId,
    status: 'REJECTED',
    deposit: { ...deposit.amount },
    depositPaidAt: toUtcIso(deposit.paidAt),
    terms: decision.terms,
    balanceDue: null,
    shipBy: null,
    balancePaidAt: null,
    reason: decision.reason,
    message: decision.message,
    cancelReason: null,
    depositOutcome: 'refunded',
    statusChangedAt: toUtcIso(at),
  };
}

// ---- Transitions -----------------------------------------------------------------------------

function move(order: PresaleOrder, to: PresaleOrderStatus): void {
  if (!canTransition(order.status, to)) throw new PresaleTransitionError(order.orderId, order.status, to);
}

/** Orders that can move have terms (acceptDeposit sets them); a record without is corrupt. */
function termsOfOrder(order: PresaleOrder): PresaleTerms {
  if (!order.terms) throw new Error(`presale order ${order.orderId} has no terms snapshot`);
  return order.terms;
}

/** DEPOSIT_PAID → BALANCE_DUE, when the balance window opens (the run announces PresaleBalanceDue). */
export function openBalance(order: PresaleOrder, at: InstantInput): PresaleOrder {
  move(order, 'BALANCE_DUE');
  return { ...order, status: 'BALANCE_DUE', statusChangedAt: toUtcIso(at) };
}

export type BalancePaymentResult =
  | { readonly ok: true; readonly order: PresaleOrder }
  | ({ readonly ok: false } & BalanceRefusal);

/**
 * BALANCE_DUE → BALANCE_PAID for a payment of exactly the balance due inside the balance window;
 * shipBy = payment + shipWithinDays (SPEC §2). A payment of the wrong amount or currency, or
 * outside the window, is refused with its reason and the order stays BALANCE_DUE (the run keeps
 * waiting). An order that is not awaiting its balance throws PresaleTransitionError.
 */
export function payBalance(
  order: PresaleOrder,
  payment: { readonly amount: Money; readonly paidAt: InstantInput },
): BalancePaymentResult {
  move(order, 'BALANCE_PAID');
  const terms = termsOfOrder(order);
  const check = checkBalancePayment(terms, payment.amount, payment.paidAt);
  if (!check.ok) return check;
  const paidAt = toUtcIso(payment.paidAt);
  return {
    ok: true,
    order: {
      ...order,
      status: 'BALANCE_PAID',
      balancePaidAt: paidAt,
      shipBy: shipBy(paidAt, terms.shipWithinDays),
      statusChangedAt: paidAt,
    },
  };
}

export type DepositSettlement =
  | { readonly outcome: 'kept'; readonly refund: null }
  | { readonly outcome: 'refunded'; readonly refund: Money };

/** What the forfeit policy does with a deposit (SPEC §2: kept by default, configurable: refund). */
export function depositOutcome(policy: ForfeitPolicy, deposit: Money): DepositSettlement {
  return policy === 'refund'
    ? { outcome: 'refunded', refund: { ...deposit } }
    : { outcome: 'kept', refund: null };
}

/**
 * BALANCE_DUE → FORFEITED when the balance window closes unpaid: the unit goes back to the quota
 * and the deposit is kept or refunded per the terms' policy (SPEC §2).
 */
export function forfeit(order: PresaleOrder, at: InstantInput): PresaleOrder {
  move(order, 'FORFEITED');
  const terms = termsOfOrder(order);
  return {
    ...order,
    status: 'FORFEITED',
    depositOutcome: depositOutcome(terms.forfeitPolicy, order.deposit).outcome,
    statusChangedAt: toUtcIso(at),
  };
}

/**
 * DEPOSIT_PAID or BALANCE_DUE → CANCELLED (`presale.cancelled` before the balance): the unit goes
 * back and the deposit is kept or refunded per the terms' policy (SPEC §2). After the balance is
 * paid the order is BALANCE_PAID and a cancellation is refused (that is an ordinary refund).
 */
export function cancel(order: PresaleOrder, reason: string, at: InstantInput): PresaleOrder {
  move(order, 'CANCELLED');
  const terms = termsOfOrder(order);
  return {
    ...order,
    status: 'CANCELLED',
    cancelReason: reason,
    depositOutcome: depositOutcome(terms.forfeitPolicy, order.deposit).outcome,
    statusChangedAt: toUtcIso(at),
  };
}

/** The deposit refund an order calls for (to issue exactly once per order), or null. */
export function depositRefund(order: PresaleOrder): Money | null {
  return order.depositOutcome === 'refunded' ? { ...order.deposit } : null;
}
