import type { Money } from '../shared/money.ts';
import type { Page } from '../shared/page.ts';
import type { PromisePolicy, StoredPolicy } from './policy.ts';

/** A promise's life (SPEC §4). */
export const PROMISE_STATUSES = ['OPEN', 'KEPT', 'BREACHED', 'NOT_ELIGIBLE'] as const;
export type PromiseStatus = (typeof PROMISE_STATUSES)[number];

/** Whom a promise is made to: an order, or an after-sales ticket. */
export interface PromiseSubject {
  readonly type: 'order' | 'ticket';
  readonly id: string;
}

/** A breach's compensation, once decided (the receipt: what was asked, what the cap left). */
export interface PromiseCompensation {
  readonly type: 'coupon' | 'refund';
  readonly amount: Money;
  readonly requested: Money;
  readonly capped: boolean;
  readonly basis: string;
  readonly multiplierBps: number;
  readonly lateSeconds: number;
  readonly rule: string;
  readonly idempotencyKey: string;
  readonly issuedAt: string;
}

export interface SlaPromise {
  /** `<subject type>:<subject id>:<policy id>`: one promise per subject and policy. */
  readonly promiseId: string;
  readonly subject: PromiseSubject;
  /** The order the promise is about (a ticket's order when it names one). */
  readonly orderId: string | null;
  readonly ticketId: string | null;
  readonly customerId: string | null;
  readonly policyId: string;
  readonly kind: string;
  /** The policy as it was when the promise was made (its terms for the promise's whole life). */
  readonly policy: StoredPolicy;
  readonly status: PromiseStatus;
  readonly reason: string | null;
  readonly startedAt: string;
  /** The event that started it. */
  readonly startEvent: { readonly detailType: string; readonly eventId: string };
  readonly deadline: string | null;
  readonly fulfilledAt: string | null;
  /** Set for a fulfilment after the deadline (the breach stands). */
  readonly lateSeconds: number | null;
  readonly breachedAt: string | null;
  /** The breach's compensation: null until issued (a tiered one waits for the lateness). */
  readonly compensation: PromiseCompensation | null;
  readonly registeredAt: string;
  readonly updatedAt: string;
}

/** What the SLA workflow keeps of a paid order, for the promises started after it. */
export interface OrderFacts {
  readonly orderId: string;
  readonly total: Money;
  readonly customerId: string | null;
  readonly region: string | null;
  readonly skus: readonly string[];
  readonly paidAt: string;
}

export type { Page };

/**
 * Port: where promises live. Every change is a single-item conditional write, so duplicates,
 * retries and restarts change nothing twice.
 */
export interface PromiseStore {
  /** The policies set with the API (the shipped catalogue fills in the rest). */
  listPolicies(): Promise<StoredPolicy[]>;
  savePolicy(policy: PromisePolicy, expectedVersion: number | null, at: string): Promise<StoredPolicy | null>;

  recordOrder(facts: OrderFacts): Promise<void>;
  getOrder(orderId: string): Promise<OrderFacts | null>;
  /** The catalog categories of SKUs (unknown SKUs are left out). */
  categoriesOf(skus: readonly string[]): Promise<string[]>;

  /** Records that a subject's fulfilling event happened (the earliest instant is kept). */
  recordFulfilment(subject: PromiseSubject, detailType: string, at: string): Promise<string>;
  fulfilment(subject: PromiseSubject, detailType: string): Promise<string | null>;
  /** Every fulfilment recorded for a subject, by detail type, in one read. */
  fulfilmentsOf(subject: PromiseSubject): Promise<Record<string, string>>;

  /** Creates the promise; returns the stored one when it exists. */
  register(promise: SlaPromise): Promise<{ created: boolean; promise: SlaPromise }>;
  getPromise(promiseId: string): Promise<SlaPromise | null>;
  listPromises(subject: PromiseSubject): Promise<SlaPromise[]>;
  /**
   * Applies `changes` when the promise's status is one of `from` (and, when `compensation` is
   * given, it has none yet); returns whether it moved and the promise as stored.
   */
  update(
    promiseId: string,
    from: readonly PromiseStatus[],
    changes: Partial<
      Pick<SlaPromise, 'status' | 'fulfilledAt' | 'lateSeconds' | 'breachedAt' | 'compensation'>
    >,
    at: string,
  ): Promise<{ moved: boolean; promise: SlaPromise | null }>;

  /**
   * Reserves a promise's compensation under its order's cap: grants min(amount, cap − paid so
   * far), once per promise (a second call returns the first grant), atomically against concurrent
   * breaches of the same order.
   */
  reserve(capKey: string, promiseId: string, amount: Money, cap: Money): Promise<Money>;

  /** Breaches whose deadline is in [from, to), oldest first, optionally of one kind. */
  listBreaches(
    filter: { from: string; to: string; kind?: string },
    cursor: string | null,
    limit: number,
  ): Promise<Page<SlaPromise>>;
  /** Count and compensation per kind of every breach in [from, to). */
  breachTotals(filter: {
    from: string;
    to: string;
    kind?: string;
  }): Promise<Array<{ kind: string; count: number; amount: Money }>>;
}

/** Port: a timer that calls back once at an instant (on AWS a one-time EventBridge Scheduler schedule). */
export interface DeadlineTimers {
  /** Calls `fire(payload)` at `at`; setting the same name again is a no-op. */
  set(
    name: string,
    at: string,
    payload: { promiseId: string; timer: 'deadline' | 'final-tier' },
  ): Promise<void>;
  /** Cancels a timer (a no-op when it fired or never existed). */
  cancel(name: string): Promise<void>;
}
