import type { PresaleBalanceRefusalReason } from '../events/catalog.ts';
import type { Money } from '../shared/money.ts';
import type { PresaleOrder, PresaleOrderStatus } from './order.ts';
import type { Presale } from './presale.ts';

/**
 * Port: where presales and presale orders live. Every method is one single-item conditional
 * write or a consistent read, so the rules hold under concurrency without transactions (SPEC §2:
 * never oversell, also under concurrent deposits) and every method is safe to retry: a workflow
 * step that crashed after its write and runs again gets the same answer, with no second effect.
 */

/** A presale with the units its orders hold and its optimistic-concurrency version. */
export interface PresaleRecord {
  readonly presale: Presale;
  /** Units held by orders (DEPOSIT_PAID, BALANCE_DUE, BALANCE_PAID); never above the quota. */
  readonly taken: number;
  /** Starts at 1, +1 on every save; taking or returning a unit does not change it. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type SavePresaleResult =
  | { readonly saved: true; readonly record: PresaleRecord; readonly created: boolean }
  /** The presale changed since `expectedVersion` (or exists, or took units): read again. */
  | { readonly saved: false };

export type TakeUnitOutcome =
  /** This call took the unit. */
  | { readonly outcome: 'taken'; readonly record: PresaleRecord }
  /** The order already holds a unit (a retried step): nothing changed. */
  | { readonly outcome: 'held'; readonly record: PresaleRecord }
  /** No unit taken: the presale is sold out or its version moved on (`record` is the current one). */
  | { readonly outcome: 'refused'; readonly record: PresaleRecord | undefined };

/** Which wait of the run a stored task token belongs to. */
export type AwaitPhase = 'BALANCE_WINDOW' | 'BALANCE';

/** A refused balance payment, kept on the order for customer service. */
export interface BalanceRefusalRecord {
  readonly reason: PresaleBalanceRefusalReason;
  readonly message: string;
  readonly amount: Money;
  readonly paidAt: string;
  readonly refusedAt: string;
}

/** The order as stored: the domain order plus what its run needs to be reached. */
export interface StoredPresaleOrder {
  readonly order: PresaleOrder;
  /** The run's current callback, while it waits. */
  readonly taskToken: string | null;
  readonly awaiting: AwaitPhase | null;
  /** Set by `presale.cancelled`; the run ends in CANCELLED at its next step or wait. */
  readonly cancelRequest: { readonly reason: string; readonly at: string } | null;
  readonly lastBalanceRefusal: BalanceRefusalRecord | null;
}

export type ParkOutcome =
  | { readonly outcome: 'parked' }
  /** A cancellation was requested before the run could park: it must cancel instead. */
  | { readonly outcome: 'cancel-requested'; readonly stored: StoredPresaleOrder }
  /** The order is not in the status the wait belongs to (or does not exist). */
  | { readonly outcome: 'wrong-status'; readonly stored: StoredPresaleOrder | undefined };

export interface PresaleStore {
  /** Consistent read. */
  getPresale(presaleId: string): Promise<PresaleRecord | undefined>;
  /**
   * Creates (`expectedVersion` null: only if absent) or replaces the presale's terms and quota
   * (only if still at `expectedVersion` and the new quota is not below the units taken).
   */
  savePresale(presale: Presale, expectedVersion: number | null, at: string): Promise<SavePresaleResult>;
  /**
   * Takes one unit for the order: only if the presale is still at `expectedVersion` (so the
   * caller's decision was made on the current terms), `taken < quota`, and the order holds none.
   */
  takeUnit(presaleId: string, orderId: string, expectedVersion: number): Promise<TakeUnitOutcome>;
  /** Gives the order's unit back; false when it holds none (never taken, or already returned). */
  returnUnit(presaleId: string, orderId: string): Promise<boolean>;

  /** Consistent read. */
  getOrder(orderId: string): Promise<StoredPresaleOrder | undefined>;
  /** Records a new order; returns the stored one instead when the order id is already known. */
  createOrder(
    order: PresaleOrder,
  ): Promise<{ readonly created: true } | { readonly created: false; readonly existing: StoredPresaleOrder }>;
  /**
   * Moves the order from `from` to `next.status` (writing every field of `next`) and clears its
   * task token. When the order is no longer in `from`, nothing is written and the stored order is
   * returned: the caller decides whether that is its own earlier write (a retry) or a conflict.
   */
  transition(
    next: PresaleOrder,
    from: PresaleOrderStatus,
  ): Promise<
    { readonly ok: true } | { readonly ok: false; readonly existing: StoredPresaleOrder | undefined }
  >;
  /** Stores the run's task token for a wait, if the order is in `status` and not asked to cancel. */
  park(
    orderId: string,
    status: PresaleOrderStatus,
    phase: AwaitPhase,
    taskToken: string,
  ): Promise<ParkOutcome>;
  /**
   * Records a cancellation request on an order that is DEPOSIT_PAID or BALANCE_DUE and returns the
   * order (with the token of the wait to interrupt); otherwise returns what is stored, unchanged.
   */
  requestCancel(
    orderId: string,
    reason: string,
    at: string,
  ): Promise<
    | { readonly requested: true; readonly stored: StoredPresaleOrder }
    | { readonly requested: false; readonly stored: StoredPresaleOrder | undefined }
  >;
  /** Keeps the latest refused balance payment on the order (no status change). */
  recordBalanceRefusal(orderId: string, refusal: BalanceRefusalRecord): Promise<void>;
}
