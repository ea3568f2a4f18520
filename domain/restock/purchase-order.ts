import type { Money } from '../shared/money.ts';
import type { RestockNumbers, SupplierTier } from './rules.ts';

/** A purchase order's life (issue #11). */
export const PO_STATUSES = [
  'OPEN',
  'AWAITING_APPROVAL',
  'APPROVED',
  'REJECTED',
  'EXPIRED',
  'RECEIVED',
  'CANCELLED',
] as const;
export type PurchaseOrderStatus = (typeof PO_STATUSES)[number];

/** Placed with the supplier: stock is on its way (inbound) and the purchase counts for the year. */
export const PLACED: readonly PurchaseOrderStatus[] = ['OPEN', 'APPROVED'];
/** Still holding the SKU and supplier's one open slot. */
export const HOLDS_SLOT: readonly PurchaseOrderStatus[] = ['OPEN', 'AWAITING_APPROVAL', 'APPROVED'];

/** What started the check that created a purchase order. */
export interface RestockTrigger {
  readonly kind: 'sweep' | 'stock' | 'api';
  /** The sweep's run name, or the stock event's id. */
  readonly id: string;
}

/** The receipt of a decision: everything it used, the rule and policy versions (SPEC §0). */
export interface PurchaseOrderDecision {
  readonly rule: string;
  readonly policyVersion: number;
  readonly decidedAt: string;
  /** The store's date of the decision, in the policy's time zone. */
  readonly storeDate: string;
  readonly timeZone: string;
  readonly trigger: RestockTrigger;
  readonly supplier: {
    readonly supplierId: string;
    readonly tier: SupplierTier;
    readonly chosenOver: string[];
  };
  readonly purchasedThisYear: Money;
  readonly volumeTerms: boolean;
  readonly approvalThreshold: Money;
  readonly numbers: RestockNumbers;
}

export interface Receipt {
  readonly receiptId: string;
  readonly quantity: number;
  readonly at: string;
  readonly locationId: string;
}

export interface PurchaseOrder {
  readonly poId: string;
  readonly sku: string;
  readonly supplierId: string;
  readonly supplierName: string;
  readonly quantity: number;
  readonly unitCost: Money;
  readonly total: Money;
  readonly paymentTermsDays: number;
  readonly paymentDueDate: string;
  readonly rebateBps: number;
  readonly rebate: Money;
  readonly status: PurchaseOrderStatus;
  readonly createdAt: string;
  readonly decision: PurchaseOrderDecision;
  /** Set while AWAITING_APPROVAL: the approval run gives up (EXPIRED) then. */
  readonly approvalExpiresAt: string | null;
  readonly approval: {
    readonly decision: 'APPROVED' | 'REJECTED' | 'EXPIRED';
    readonly by: string;
    readonly reason: string | null;
    readonly at: string;
  } | null;
  readonly received: number;
  readonly receipts: readonly Receipt[];
  readonly closedAt: string | null;
  readonly updatedAt: string;
}

/** The PO id of the n-th purchase order of a SKU and supplier: stable across retries of a check. */
export function purchaseOrderId(
  hash: (...parts: string[]) => string,
  sku: string,
  supplierId: string,
  seq: number,
) {
  return `PO-${hash('purchase-order', sku, supplierId, String(seq)).replaceAll('-', '').slice(0, 16).toUpperCase()}`;
}
