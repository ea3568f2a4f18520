import { type CanonicalEvent, canonicalEvent, type EventData } from '../events/catalog.ts';
import type { Money } from '../shared/money.ts';
import type { PresaleOrder, PresaleOrderStatus } from './order.ts';
import type { PresaleTerms } from './terms.ts';

/**
 * The events a presale order's run publishes (SPEC §2, issue #5), built from the order in the
 * status that announces them, validated against the catalog. Each names the order, the presale
 * and the SKU, so it shows on all three timelines.
 */

function expectStatus(order: PresaleOrder, status: PresaleOrderStatus, event: string): void {
  if (order.status !== status) {
    throw new Error(`${event} is published for a ${status} order; order ${order.orderId} is ${order.status}`);
  }
}

function termsOf(order: PresaleOrder, event: string): PresaleTerms {
  if (!order.terms) throw new Error(`${event}: presale order ${order.orderId} has no terms snapshot`);
  return order.terms;
}

/** REJECTED: the deposit was not accepted (and is to be refunded). */
export function depositRejectedEvent(order: PresaleOrder): CanonicalEvent<'PresaleDepositRejected'> {
  expectStatus(order, 'REJECTED', 'PresaleDepositRejected');
  if (!order.reason) throw new Error(`PresaleDepositRejected: order ${order.orderId} has no reason`);
  return canonicalEvent('PresaleDepositRejected', {
    orderId: order.orderId,
    presaleId: order.presaleId,
    customerId: order.customerId,
    sku: order.terms?.sku ?? null,
    amount: order.deposit,
    reason: order.reason,
    message: order.message ?? order.reason,
    rejectedAt: order.statusChangedAt,
  });
}

/** BALANCE_DUE: the balance window opened; pay `balanceDue` by `dueBy`. */
export function balanceDueEvent(order: PresaleOrder): CanonicalEvent<'PresaleBalanceDue'> {
  expectStatus(order, 'BALANCE_DUE', 'PresaleBalanceDue');
  const terms = termsOf(order, 'PresaleBalanceDue');
  if (!order.balanceDue) throw new Error(`PresaleBalanceDue: order ${order.orderId} has no balance due`);
  return canonicalEvent('PresaleBalanceDue', {
    orderId: order.orderId,
    presaleId: order.presaleId,
    customerId: order.customerId,
    sku: terms.sku,
    balanceDue: order.balanceDue,
    dueBy: terms.balanceWindow.end,
    openedAt: order.statusChangedAt,
  });
}

/**
 * BALANCE_PAID: the fulfilment with its ship-by date; the SLA domain (SPEC §4) registers the
 * "presale ship-by" promise from it (deadline `shipBy`, fulfilled by the order's dispatch).
 */
export function fulfilmentPromisedEvent(order: PresaleOrder): CanonicalEvent<'PresaleFulfilmentPromised'> {
  expectStatus(order, 'BALANCE_PAID', 'PresaleFulfilmentPromised');
  const terms = termsOf(order, 'PresaleFulfilmentPromised');
  if (!order.shipBy || !order.balancePaidAt) {
    throw new Error(`PresaleFulfilmentPromised: order ${order.orderId} has no ship-by date`);
  }
  return canonicalEvent('PresaleFulfilmentPromised', {
    orderId: order.orderId,
    presaleId: order.presaleId,
    customerId: order.customerId,
    sku: terms.sku,
    shipBy: order.shipBy,
    paidAt: order.balancePaidAt,
  });
}

/** FORFEITED: the balance window closed unpaid; the unit went back, the deposit per policy. */
export function forfeitedEvent(order: PresaleOrder): CanonicalEvent<'PresaleForfeited'> {
  expectStatus(order, 'FORFEITED', 'PresaleForfeited');
  const terms = termsOf(order, 'PresaleForfeited');
  if (!order.depositOutcome)
    throw new Error(`PresaleForfeited: order ${order.orderId} has no deposit outcome`);
  return canonicalEvent('PresaleForfeited', {
    orderId: order.orderId,
    presaleId: order.presaleId,
    customerId: order.customerId,
    sku: terms.sku,
    deposit: order.deposit,
    depositOutcome: order.depositOutcome,
    forfeitedAt: order.statusChangedAt,
  });
}

/**
 * The event announcing the order's current status, if that status has one (DEPOSIT_PAID and
 * CANCELLED have none of their own: `PresaleDepositPaid` and `PresaleCancelled` caused them).
 */
export function eventForStatus(order: PresaleOrder): CanonicalEvent | null {
  switch (order.status) {
    case 'REJECTED':
      return depositRejectedEvent(order);
    case 'BALANCE_DUE':
      return balanceDueEvent(order);
    case 'BALANCE_PAID':
      return fulfilmentPromisedEvent(order);
    case 'FORFEITED':
      return forfeitedEvent(order);
    case 'DEPOSIT_PAID':
    case 'CANCELLED':
      return null;
  }
}

/** CANCELLED (a customer's `presale.cancelled`, or compensation of a failed run). */
export function orderCancelledEvent(order: PresaleOrder): CanonicalEvent<'PresaleOrderCancelled'> {
  expectStatus(order, 'CANCELLED', 'PresaleOrderCancelled');
  if (!order.depositOutcome || order.cancelReason === null) {
    throw new Error(`PresaleOrderCancelled: order ${order.orderId} has no cancellation outcome`);
  }
  return canonicalEvent('PresaleOrderCancelled', {
    orderId: order.orderId,
    presaleId: order.presaleId,
    customerId: order.customerId,
    sku: order.terms?.sku ?? null,
    deposit: order.deposit,
    depositOutcome: order.depositOutcome,
    reason: order.cancelReason,
    cancelledAt: order.statusChangedAt,
  });
}

/** A balance payment that was not accepted: the platform refunds `amount`. */
export function balanceRefusedEvent(
  order: PresaleOrder,
  refusal: {
    readonly reason: EventData<'PresaleBalanceRefused'>['reason'];
    readonly message: string;
    readonly amount: Money;
    readonly paidAt: string;
    readonly refusedAt: string;
  },
): CanonicalEvent<'PresaleBalanceRefused'> {
  return canonicalEvent('PresaleBalanceRefused', {
    orderId: order.orderId,
    presaleId: order.presaleId,
    customerId: order.customerId,
    sku: order.terms?.sku ?? null,
    amount: refusal.amount,
    expected: order.balanceDue,
    reason: refusal.reason,
    message: refusal.message,
    paidAt: refusal.paidAt,
    refusedAt: refusal.refusedAt,
  });
}
