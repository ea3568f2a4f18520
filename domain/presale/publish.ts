import type { CanonicalEvent } from '../events/catalog.ts';
import { type EventPublisher, type PublishableEvent, toPublishable } from '../events/publisher.ts';
import { deterministicId } from '../shared/ids.ts';
import type { Money } from '../shared/money.ts';
import { balanceRefusedEvent } from './events.ts';
import type { PresaleOrder } from './order.ts';
import type { BalanceRefusalRecord, PresaleStore } from './store.ts';

/** Where the presale order run's events come from (`metadata.origin`). */
export const PRESALE_ORIGIN = 'workflow:presale-order';

/**
 * A presale event with a deterministic id (the order, the event type, and `idParts` for an event
 * a run may publish more than once for different causes), so a retried step republishes the same
 * id and consumers deduplicate.
 */
export function presaleEvent(
  event: CanonicalEvent,
  order: Pick<PresaleOrder, 'orderId'>,
  publishedAt: string,
  correlationId: string = order.orderId,
  ...idParts: string[]
): PublishableEvent {
  return toPublishable(event, {
    eventId: deterministicId(PRESALE_ORIGIN, order.orderId, event.detailType, ...idParts),
    publishedAt,
    correlationId,
    origin: PRESALE_ORIGIN,
  });
}

/** A balance payment as the callback sees it and forwards it to the run. */
export interface Payment {
  readonly amount: Money;
  readonly paidAt: string;
  readonly paymentEventId?: string | undefined;
}

/**
 * Refuses a balance payment the order cannot take: kept on the order for customer service and
 * published as `PresaleBalanceRefused` (the platform refunds it), once per payment: the payment's
 * event id (or its instant) is part of the event id.
 */
export async function refuseBalance(
  deps: { readonly store: PresaleStore; readonly publisher: EventPublisher },
  order: PresaleOrder,
  payment: Payment,
  refusal: Pick<BalanceRefusalRecord, 'reason' | 'message' | 'refusedAt'>,
  correlationId: string = order.orderId,
): Promise<BalanceRefusalRecord> {
  const record: BalanceRefusalRecord = { ...refusal, amount: payment.amount, paidAt: payment.paidAt };
  await deps.store.recordBalanceRefusal(order.orderId, record);
  await deps.publisher.publish([
    presaleEvent(
      balanceRefusedEvent(order, record),
      order,
      record.refusedAt,
      correlationId,
      payment.paymentEventId ?? payment.paidAt,
    ),
  ]);
  return record;
}
