import { type CanonicalEvent, canonicalEvent } from '../events/catalog.ts';
import { type PublishableEvent, toPublishable } from '../events/publisher.ts';
import { deterministicId } from '../shared/ids.ts';
import type { PurchaseOrder, Receipt } from './purchase-order.ts';

/** Where restock's events come from (`metadata.origin`). */
export const RESTOCK_ORIGIN = 'workflow:restock';

/**
 * A restock event with a deterministic id (the purchase order, the event type and, for an event
 * that happens more than once — a receipt — its own id), so a retried step republishes the same id
 * and consumers keep one.
 */
export function restockEvent(
  event: CanonicalEvent,
  po: Pick<PurchaseOrder, 'poId'>,
  publishedAt: string,
  correlationId: string,
  ...idParts: string[]
): PublishableEvent {
  return toPublishable(event, {
    eventId: deterministicId(RESTOCK_ORIGIN, po.poId, event.detailType, ...idParts),
    publishedAt,
    correlationId,
    origin: RESTOCK_ORIGIN,
  });
}

const ref = (po: PurchaseOrder) => ({ poId: po.poId, sku: po.sku, supplierId: po.supplierId });

export const purchaseOrderCreated = (po: PurchaseOrder) =>
  canonicalEvent('PurchaseOrderCreated', {
    ...ref(po),
    supplierName: po.supplierName,
    quantity: po.quantity,
    unitCost: po.unitCost,
    total: po.total,
    status: po.status === 'AWAITING_APPROVAL' ? 'AWAITING_APPROVAL' : 'OPEN',
    paymentTermsDays: po.paymentTermsDays,
    paymentDueDate: po.paymentDueDate,
    rebateBps: po.rebateBps,
    trigger: `${po.decision.trigger.kind}:${po.decision.trigger.id}`,
    createdAt: po.createdAt,
  });

export const approvalRequested = (po: PurchaseOrder) =>
  canonicalEvent('PurchaseOrderApprovalRequested', {
    ...ref(po),
    total: po.total,
    threshold: po.decision.approvalThreshold,
    expiresAt: po.approvalExpiresAt ?? po.createdAt,
    requestedAt: po.createdAt,
  });

export function decisionEvent(po: PurchaseOrder): CanonicalEvent | null {
  const a = po.approval;
  if (!a) return null;
  if (a.decision === 'APPROVED') {
    return canonicalEvent('PurchaseOrderApproved', {
      ...ref(po),
      by: a.by,
      reason: a.reason,
      approvedAt: a.at,
    });
  }
  if (a.decision === 'REJECTED') {
    return canonicalEvent('PurchaseOrderRejected', {
      ...ref(po),
      by: a.by,
      reason: a.reason,
      rejectedAt: a.at,
    });
  }
  return canonicalEvent('PurchaseOrderExpired', {
    ...ref(po),
    total: po.total,
    requestedAt: po.createdAt,
    expiredAt: a.at,
    message: a.reason ?? 'nobody approved the purchase order in time',
  });
}

export const purchaseOrderReceived = (po: PurchaseOrder, receipt: Receipt) =>
  canonicalEvent('PurchaseOrderReceived', {
    ...ref(po),
    receiptId: receipt.receiptId,
    quantity: receipt.quantity,
    receivedTotal: po.received,
    remaining: po.quantity - po.received,
    closed: po.status === 'RECEIVED',
    receivedAt: receipt.at,
  });
