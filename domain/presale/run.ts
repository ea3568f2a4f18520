import type { CanonicalEvent } from '../events/catalog.ts';
import type { BusinessKey } from '../events/envelope.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { Clock } from '../shared/clock.ts';
import type { TimelineRepository } from '../timeline/timeline.ts';
import {
  atLeastOneSecond,
  RunCancelledError,
  type RunContext,
  runName,
  StepRejectedError,
} from '../workflow/run.ts';
import { runTimeline } from '../workflow/run-timeline.ts';
import {
  balanceDueEvent,
  depositRejectedEvent,
  eventForStatus,
  forfeitedEvent,
  fulfilmentPromisedEvent,
  orderCancelledEvent,
} from './events.ts';
import { toMs } from './instants.ts';
import {
  acceptDeposit,
  cancel,
  type DepositPaid,
  decideDepositFor,
  forfeit,
  holdsUnit,
  isTerminal,
  openBalance,
  type PresaleOrder,
  type PresaleOrderStatus,
  PresaleTransitionError,
  payBalance,
  rejectDeposit,
  rejection,
} from './order.ts';
import { quotaLeft } from './presale.ts';
import { type Payment, presaleEvent, refuseBalance } from './publish.ts';
import type { AwaitPhase, BalanceRefusalRecord, PresaleStore, StoredPresaleOrder } from './store.ts';
import { balanceWindowOpensAt, type PresaleTerms, secondsUntilBalanceCloses, termsOf } from './terms.ts';

/**
 * The steps of a presale order's run (SPEC §2, issue #5), one function per state of the Standard
 * workflow in workflows/presale-order.ts. Each step is idempotent: Step Functions retries a step
 * whose Lambda failed, and a step that crashed after its write must give the same answer with no
 * second effect when it runs again. Every write is one conditional single-item write; events carry
 * deterministic ids (the order id and what happened), so consumers deduplicate a re-publication.
 */

export const PRESALE_WORKFLOW = 'PresaleOrder';

export interface PresaleRunDeps {
  readonly store: PresaleStore;
  readonly publisher: EventPublisher;
  readonly timeline: TimelineRepository;
  readonly clock: Clock;
}

export type { RunContext };

/**
 * The run was asked to cancel (`presale.cancelled`): thrown by a step that finds the request, and
 * sent by the callback handler as the task failure of a wait. The state machine catches it by name
 * and goes to the Cancel state.
 */
export class PresaleCancelledError extends RunCancelledError {
  override readonly name = 'PresaleCancelled';
  readonly code = 'PresaleCancelled';
}
export const PRESALE_CANCELLED = 'PresaleCancelled';

/** A step that can never succeed (corrupt or contradictory state): not retried, compensated. */
export class PresaleStepRejectedError extends StepRejectedError {
  override readonly name = 'PresaleStepRejected';
  readonly code = 'PresaleStepRejected';
}
export const PRESALE_STEP_REJECTED = 'PresaleStepRejected';

/**
 * How long the run waits for the balance: until the window closes, plus a grace period so that a
 * balance paid inside the window but delivered a little late (webhook retries, queues) still finds
 * the run waiting. Whether a payment was in time is decided by its `paidAt`, never by its arrival.
 */
export const BALANCE_GRACE_SECONDS = 900;
const balanceWaitSeconds = (terms: PresaleTerms, at: Date) =>
  atLeastOneSecond(secondsUntilBalanceCloses(terms, at) + BALANCE_GRACE_SECONDS);

const orderKey = (orderId: string): BusinessKey => ({ type: 'order', id: orderId });

/**
 * The workflow's states in the order a run goes through them. Timeline lines of one instant sort
 * by their reference; this rank keeps a run's steps in order when they share an instant (as they
 * do on a virtual clock, or within a millisecond).
 */
export const PRESALE_TASK_STATES = [
  'TakeUnit',
  'RecordRejection',
  'RecordOrder',
  'AwaitBalanceWindow',
  'OpenBalance',
  'AwaitBalance',
  'PayBalance',
  'Forfeit',
  'CancelOrder',
  'Compensate',
] as const;
/** A task state of the presale order workflow (workflows/presale-order.ts names its states with these). */
export type PresaleTaskState = (typeof PRESALE_TASK_STATES)[number];

export function presaleRun(deps: PresaleRunDeps) {
  const now = () => deps.clock.now();
  const nowIso = () => now().toISOString();
  const lines = runTimeline({
    timeline: deps.timeline,
    clock: deps.clock,
    workflow: PRESALE_WORKFLOW,
    states: PRESALE_TASK_STATES,
  });

  /** The run's line on the order's timeline: its state (`state`), or its start or end (`run`). */
  async function line(
    orderId: string,
    run: RunContext,
    kind: 'state' | 'run',
    detail: Record<string, unknown>,
  ): Promise<void> {
    await deps.timeline.record(lines.entries([orderKey(orderId)], run, kind, detail));
  }

  async function publish(order: PresaleOrder, event: CanonicalEvent): Promise<void> {
    await deps.publisher.publish([presaleEvent(event, order, nowIso())]);
  }

  const refusePayment = (
    order: PresaleOrder,
    payment: Payment,
    reason: BalanceRefusalRecord['reason'],
    message: string,
  ) => refuseBalance(deps, order, payment, { reason, message, refusedAt: nowIso() });

  async function mustGet(orderId: string): Promise<StoredPresaleOrder> {
    const stored = await deps.store.getOrder(orderId);
    if (!stored) throw new PresaleStepRejectedError(`presale order ${orderId} is not recorded`);
    return stored;
  }

  /**
   * Writes `next` if the order is still `from`; a stored order already in `next.status` is this
   * step's own earlier write (a retry) and is returned as it is.
   */
  async function move(next: PresaleOrder, from: PresaleOrderStatus): Promise<PresaleOrder> {
    const result = await deps.store.transition(next, from);
    if (result.ok) return next;
    const existing = result.existing?.order;
    if (existing?.status === next.status) return existing;
    if (!existing) throw new PresaleStepRejectedError(`presale order ${next.orderId} is not recorded`);
    throw new PresaleTransitionError(next.orderId, existing.status, next.status);
  }

  function throwIfCancelRequested(stored: StoredPresaleOrder): void {
    if (stored.cancelRequest && !isTerminal(stored.order.status)) {
      throw new PresaleCancelledError(
        `presale order ${stored.order.orderId} was cancelled: ${stored.cancelRequest.reason}`,
      );
    }
  }

  /** The end of a forfeited or cancelled order's run: its unit back, its event, the run's end. */
  async function release(
    order: PresaleOrder,
    event: CanonicalEvent,
    run: RunContext,
  ): Promise<{ status: PresaleOrderStatus }> {
    const unitReturned = await deps.store.returnUnit(order.presaleId, order.orderId);
    await publish(order, event);
    await line(order.orderId, run, 'state', {
      status: order.status,
      depositOutcome: order.depositOutcome,
      unitReturned,
    });
    await line(order.orderId, run, 'run', { status: 'SUCCEEDED', outcome: order.status });
    return { status: order.status };
  }

  return {
    /**
     * TakeUnit: decides the deposit against the presale and takes one unit of quota with a
     * conditional write (never oversold). The decision is re-made if the presale changed between
     * the read and the write, so it is always made on the terms the unit was taken under.
     */
    async take(
      deposit: DepositPaid,
      run: RunContext,
    ): Promise<
      | { accepted: true; terms: PresaleTerms }
      | { accepted: false; reason: string; message: string; terms: PresaleTerms | null }
    > {
      await line(deposit.orderId, run, 'run', { status: 'RUNNING', presaleId: deposit.presaleId });
      const refuse = async (decision: { reason: string; message: string; terms: PresaleTerms | null }) => {
        // A rejected order holds no unit; a retried step that took one before it crashed gives it back.
        const returned = await deps.store.returnUnit(deposit.presaleId, deposit.orderId);
        await line(deposit.orderId, run, 'state', {
          accepted: false,
          reason: decision.reason,
          unitReturned: returned,
        });
        return {
          accepted: false as const,
          reason: decision.reason,
          message: decision.message,
          terms: decision.terms,
        };
      };
      for (let attempt = 1; attempt <= 10; attempt++) {
        const record = await deps.store.getPresale(deposit.presaleId);
        const left = record ? quotaLeft(record.presale, record.taken) : 0;
        const decision = decideDepositFor(deposit, record?.presale, left);
        if (!record || (decision.kind === 'reject' && decision.reason !== 'PresaleSoldOut')) {
          return refuse(decision as Extract<typeof decision, { kind: 'reject' }>);
        }
        // Sold out by the read: still try, since a retried step may already hold its unit ('held').
        const taken = await deps.store.takeUnit(deposit.presaleId, deposit.orderId, record.version);
        if (taken.outcome !== 'refused') {
          await line(deposit.orderId, run, 'state', {
            accepted: true,
            unit: taken.outcome,
            quotaLeft: quotaLeft(taken.record.presale, taken.record.taken),
          });
          return { accepted: true, terms: termsOf(taken.record.presale) };
        }
        const current = taken.record;
        if (current && current.version === record.version && current.taken >= current.presale.quota) {
          return refuse(rejection('PresaleSoldOut', current.presale));
        }
        // The presale was edited between the read and the write: decide again on its new terms.
      }
      throw new Error(
        `presale ${deposit.presaleId} kept changing while taking a unit; the step will be retried`,
      );
    },

    /** RecordRejection: the REJECTED order and PresaleDepositRejected (the platform refunds). */
    async reject(
      deposit: DepositPaid,
      decision: { reason: string; message: string; terms: PresaleTerms | null },
      run: RunContext,
    ): Promise<{ status: PresaleOrderStatus }> {
      const reason = decision.reason as Parameters<typeof rejection>[0];
      const order = rejectDeposit(
        deposit,
        { kind: 'reject', reason, message: decision.message, terms: decision.terms },
        now(),
      );
      const created = await deps.store.createOrder(order);
      const stored = created.created ? order : created.existing.order;
      if (stored.status === 'REJECTED') await publish(stored, depositRejectedEvent(stored));
      await line(order.orderId, run, 'state', { status: stored.status, reason: stored.reason });
      await line(order.orderId, run, 'run', { status: 'SUCCEEDED', outcome: stored.status });
      return { status: stored.status };
    },

    /**
     * RecordOrder: the DEPOSIT_PAID order with its terms snapshot. Returns how long to wait for
     * the balance window to open.
     */
    async record(
      deposit: DepositPaid,
      terms: PresaleTerms,
      run: RunContext,
    ): Promise<{ status: PresaleOrderStatus; seconds: number }> {
      const order = acceptDeposit(deposit, terms);
      const created = await deps.store.createOrder(order);
      const stored = created.created ? order : created.existing.order;
      const opensAt = balanceWindowOpensAt(stored.terms ?? terms);
      await line(order.orderId, run, 'state', {
        status: stored.status,
        balanceDue: stored.balanceDue,
        balanceWindowOpensAt: opensAt,
      });
      return {
        status: stored.status,
        seconds: atLeastOneSecond((toMs(opensAt) - now().getTime()) / 1000),
      };
    },

    /**
     * AwaitBalanceWindow / AwaitBalance (`.waitForTaskToken`): stores the run's task token on the
     * order so that `presale.cancelled` (both waits) and `presale.balance_paid` (the second) can
     * reach the run. A cancellation already requested ends the wait at once.
     */
    async park(orderId: string, phase: AwaitPhase, taskToken: string, run: RunContext): Promise<void> {
      const status: PresaleOrderStatus = phase === 'BALANCE_WINDOW' ? 'DEPOSIT_PAID' : 'BALANCE_DUE';
      const parked = await deps.store.park(orderId, status, phase, taskToken);
      if (parked.outcome === 'cancel-requested') throwIfCancelRequested(parked.stored);
      if (parked.outcome === 'wrong-status') {
        throw new PresaleStepRejectedError(
          `presale order ${orderId} cannot wait for ${phase}: it is ${parked.stored?.order.status ?? 'not recorded'}`,
        );
      }
      const stored = await mustGet(orderId);
      const until =
        phase === 'BALANCE_WINDOW'
          ? stored.order.terms?.balanceWindow.start
          : stored.order.terms?.balanceWindow.end;
      await line(orderId, run, 'state', { status, waitingFor: phase, until });
    },

    /** OpenBalance: DEPOSIT_PAID → BALANCE_DUE and PresaleBalanceDue. Returns the wait until the window closes. */
    async open(orderId: string, run: RunContext): Promise<{ status: PresaleOrderStatus; seconds: number }> {
      const stored = await mustGet(orderId);
      throwIfCancelRequested(stored);
      const order =
        stored.order.status === 'BALANCE_DUE'
          ? stored.order
          : await move(openBalance(stored.order, now()), 'DEPOSIT_PAID');
      await publish(order, balanceDueEvent(order));
      await line(orderId, run, 'state', { status: order.status, balanceDue: order.balanceDue });
      const terms = order.terms;
      if (!terms) throw new PresaleStepRejectedError(`presale order ${orderId} has no terms snapshot`);
      return { status: order.status, seconds: balanceWaitSeconds(terms, now()) };
    },

    /**
     * PayBalance: the payment the callback forwarded. Paid → BALANCE_PAID with shipBy and
     * PresaleFulfilmentPromised. A payment refused here (the callback checks first, so only a
     * race gets here) leaves the order BALANCE_DUE and the run waits again.
     */
    async pay(
      orderId: string,
      payment: Payment,
      run: RunContext,
    ): Promise<{ paid: boolean; status: PresaleOrderStatus; seconds: number }> {
      const stored = await mustGet(orderId);
      let order = stored.order;
      if (order.status !== 'BALANCE_PAID') {
        const result = payBalance(order, payment);
        if (!result.ok) {
          await refusePayment(order, payment, result.reason, result.message);
          await line(orderId, run, 'state', { paid: false, reason: result.reason, message: result.message });
          const terms = order.terms;
          return {
            paid: false,
            status: order.status,
            seconds: terms ? balanceWaitSeconds(terms, now()) : 1,
          };
        }
        order = await move(result.order, 'BALANCE_DUE');
      }
      await publish(order, fulfilmentPromisedEvent(order));
      // The payment reached the run before the cancellation did: the sale stands.
      const lateCancel = stored.cancelRequest ? { cancellationRefused: stored.cancelRequest.reason } : {};
      await line(orderId, run, 'state', { status: order.status, shipBy: order.shipBy, ...lateCancel });
      await line(orderId, run, 'run', { status: 'SUCCEEDED', outcome: order.status });
      return { paid: true, status: order.status, seconds: 0 };
    },

    /** Forfeit: the window closed unpaid → FORFEITED, the unit back, the deposit per policy. */
    async forfeit(orderId: string, run: RunContext): Promise<{ status: PresaleOrderStatus }> {
      const stored = await mustGet(orderId);
      const order =
        stored.order.status === 'FORFEITED'
          ? stored.order
          : await move(forfeit(stored.order, now()), 'BALANCE_DUE');
      return release(order, forfeitedEvent(order), run);
    },

    /** Cancel: `presale.cancelled` before the balance → CANCELLED, the unit back, the deposit per policy. */
    async cancel(orderId: string, run: RunContext): Promise<{ status: PresaleOrderStatus }> {
      const stored = await mustGet(orderId);
      let order = stored.order;
      if (order.status !== 'CANCELLED') {
        const reason = stored.cancelRequest?.reason ?? 'cancelled';
        order = await move(cancel(order, reason, now()), order.status);
      }
      return release(order, orderCancelledEvent(order), run);
    },

    /**
     * Compensate: a step failed for good. A unit the order took is given back and an order that
     * was still waiting is cancelled with its deposit refunded (the store failed, not the
     * customer). A paid order keeps its unit: the failure came after the sale was complete.
     */
    async compensate(
      deposit: DepositPaid,
      error: { Error?: string; Cause?: string } | null,
      payment: Payment | null,
      run: RunContext,
    ): Promise<{ status: PresaleOrderStatus | null; unitReturned: boolean }> {
      const orderId = deposit.orderId;
      const failure = `WorkflowFailed: ${error?.Error ?? 'unknown error'}`;
      const stored = await deps.store.getOrder(orderId);
      let order = stored?.order ?? null;
      if (order?.status === 'BALANCE_DUE' && payment) {
        // A right balance was forwarded and the step that takes it failed: finish the sale.
        const paid = payBalance(order, payment);
        if (paid.ok) order = await move(paid.order, 'BALANCE_DUE');
      }
      if (order && !isTerminal(order.status)) {
        const cancelled = cancel(order, failure, now());
        order = await move({ ...cancelled, depositOutcome: 'refunded' }, order.status);
      } else if (!order) {
        const created = await deps.store.createOrder({
          ...rejectDeposit(
            deposit,
            rejection('PresaleNotFound', undefined, undefined, deposit.presaleId),
            now(),
          ),
          status: 'CANCELLED',
          reason: null,
          message: null,
          cancelReason: failure,
          depositOutcome: 'refunded',
        });
        order = created.created ? null : created.existing.order;
        order ??= (await mustGet(orderId)).order;
      }
      const unitReturned = holdsUnit(order.status)
        ? false
        : await deps.store.returnUnit(deposit.presaleId, orderId);
      // The event of the order's final status, again under its id: the failed step may have
      // written the status and died before publishing it (a refund or a ship-by promise).
      const event = order.status === 'CANCELLED' ? orderCancelledEvent(order) : eventForStatus(order);
      if (event) await publish(order, event);
      if (payment && order.status !== 'BALANCE_PAID') {
        await refusePayment(
          order,
          payment,
          'OrderNotAwaitingBalance',
          `the order could not take the payment: ${failure}`,
        );
      }
      await line(orderId, run, 'state', {
        status: order.status,
        error: error?.Error ?? null,
        cause: error?.Cause?.slice(0, 500) ?? null,
        unitReturned,
      });
      await line(orderId, run, 'run', { status: 'FAILED', error: error?.Error ?? null });
      return { status: order.status, unitReturned };
    },
  };
}

export type PresaleRun = ReturnType<typeof presaleRun>;
export type { Payment };

/**
 * The run's name: the order id itself when Step Functions accepts it as an execution name, so a
 * duplicate start is a no-op and the run is found by its order; otherwise a stable digest of it.
 */
export function presaleRunName(orderId: string): string {
  return runName(orderId, { prefix: 'order', seed: 'presale-run' });
}
