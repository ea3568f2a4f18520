import type { TaskCallbacks } from '../events/callbacks.ts';
import type { EventData } from '../events/catalog.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { Clock } from '../shared/clock.ts';
import type { TimelineRepository } from '../timeline/timeline.ts';
import { toUtcIso } from './instants.ts';
import type { PresaleOrder } from './order.ts';
import { refuseBalance } from './publish.ts';
import { PRESALE_CANCELLED } from './run.ts';
import type { BalanceRefusalRecord, PresaleStore } from './store.ts';
import { checkBalancePayment } from './terms.ts';

/**
 * The platform's answers to a waiting run (SPEC §2): `PresaleBalancePaid` and `PresaleCancelled`
 * reach the run through the task token its wait stored on the order. A wrong balance is refused
 * here, against the order's terms snapshot, without touching the wait: the run keeps waiting and
 * the refusal is recorded on the order and published (PresaleBalanceRefused: the platform refunds
 * the payment).
 */

export type { TaskCallbacks };

export interface PresaleCallbackDeps {
  readonly store: PresaleStore;
  readonly callbacks: TaskCallbacks;
  readonly publisher: EventPublisher;
  readonly timeline: TimelineRepository;
  readonly clock: Clock;
}

/**
 * The order is not (yet) where this message can be handled, but will be: the run has not recorded
 * it, or is between two waits. Thrown so that the event's delivery is retried (EventBridge →
 * Lambda asynchronous invocation retries, then the dead-letter queue).
 */
export class RunNotReadyError extends Error {
  override readonly name = 'RunNotReady';
}

export type BalanceOutcome =
  | { readonly outcome: 'forwarded' }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'refused'; readonly refusal: BalanceRefusalRecord };

export type CancelOutcome =
  | { readonly outcome: 'requested'; readonly interrupted: boolean }
  | { readonly outcome: 'refused'; readonly status: string };

export function presaleCallbacks(deps: PresaleCallbackDeps) {
  const nowIso = () => deps.clock.now().toISOString();

  async function refuse(
    order: PresaleOrder,
    payment: EventData<'PresaleBalancePaid'>,
    paymentEventId: string,
    reason: BalanceRefusalRecord['reason'],
    message: string,
  ): Promise<BalanceOutcome> {
    const refusal = await refuseBalance(
      deps,
      order,
      { amount: payment.amount, paidAt: toUtcIso(payment.paidAt), paymentEventId },
      { reason, message, refusedAt: nowIso() },
      paymentEventId,
    );
    return { outcome: 'refused', refusal };
  }

  return {
    /** `PresaleBalancePaid`: forwarded to the run's balance wait when it is right, else refused. */
    async balancePaid(
      payment: EventData<'PresaleBalancePaid'>,
      paymentEventId: string,
    ): Promise<BalanceOutcome> {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const stored = await deps.store.getOrder(payment.orderId);
        if (!stored) throw new RunNotReadyError(`presale order ${payment.orderId} is not recorded yet`);
        const { order } = stored;
        const terms = order.terms;
        if (
          order.status === 'BALANCE_PAID' &&
          order.balancePaidAt === toUtcIso(payment.paidAt) &&
          order.balanceDue?.amount === payment.amount.amount &&
          order.balanceDue.currency === payment.amount.currency
        ) {
          // The payment that paid this order, delivered again: nothing to do, nothing to refund.
          return { outcome: 'duplicate' };
        }
        if (order.status !== 'DEPOSIT_PAID' && order.status !== 'BALANCE_DUE') {
          return refuse(
            order,
            payment,
            paymentEventId,
            'OrderNotAwaitingBalance',
            `presale order ${order.orderId} is ${order.status} and takes no balance payment`,
          );
        }
        if (stored.cancelRequest) {
          return refuse(
            order,
            payment,
            paymentEventId,
            'OrderNotAwaitingBalance',
            `presale order ${order.orderId} is being cancelled (${stored.cancelRequest.reason}) and takes no balance payment`,
          );
        }
        if (!terms) throw new Error(`presale order ${order.orderId} has no terms snapshot`);
        const check = checkBalancePayment(terms, payment.amount, payment.paidAt);
        if (!check.ok) return refuse(order, payment, paymentEventId, check.reason, check.message);
        if (order.status !== 'BALANCE_DUE' || stored.awaiting !== 'BALANCE' || !stored.taskToken) {
          throw new RunNotReadyError(`presale order ${order.orderId} is not awaiting its balance yet`);
        }
        const sent = await deps.callbacks.succeed(stored.taskToken, {
          amount: payment.amount,
          paidAt: toUtcIso(payment.paidAt),
          paymentEventId,
        });
        if (sent === 'sent') return { outcome: 'forwarded' };
        // The wait ended meanwhile (the window closed, or a cancellation won): look again.
      }
      throw new RunNotReadyError(`presale order ${payment.orderId}: its wait kept changing`);
    },

    /** `PresaleCancelled`: asks the run to cancel and interrupts the wait it is in, if any. */
    async cancelled(cancellation: EventData<'PresaleCancelled'>): Promise<CancelOutcome> {
      const result = await deps.store.requestCancel(
        cancellation.orderId,
        cancellation.reason,
        toUtcIso(cancellation.cancelledAt),
      );
      if (!result.requested) {
        if (!result.stored)
          throw new RunNotReadyError(`presale order ${cancellation.orderId} is not recorded yet`);
        const status = result.stored.order.status;
        await deps.timeline.record([
          {
            key: { type: 'order', id: cancellation.orderId },
            at: nowIso(),
            kind: 'state',
            name: 'CancellationRefused',
            detail: {
              status,
              reason: `the order is ${status}: a cancellation only applies before the balance`,
            },
            ref: `cancel-refused:${toUtcIso(cancellation.cancelledAt)}`,
          },
        ]);
        return { outcome: 'refused', status };
      }
      // Without a token the run is between steps; its next step or wait sees the request.
      const token = result.stored.taskToken;
      const interrupted =
        token !== null &&
        (await deps.callbacks.fail(token, PRESALE_CANCELLED, cancellation.reason)) === 'sent';
      return { outcome: 'requested', interrupted };
    },
  };
}
