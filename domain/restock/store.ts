import type { Money } from '../shared/money.ts';
import type { Page } from '../shared/page.ts';
import type { Sku, SkuSpec, Supplier } from './catalog.ts';
import type { RestockPolicy, VersionedPolicy } from './policy.ts';
import type { PurchaseOrder, PurchaseOrderStatus, Receipt } from './purchase-order.ts';
import type { SupplierTerms } from './rules.ts';

/**
 * Port: where restock keeps its state. Every write is a single-item conditional (or idempotent)
 * write, so the rules hold under concurrency and retries without transactions: one open purchase
 * order per SKU and supplier is a conditional write on a slot item, never a read-then-write.
 */

export type SaveResult<T> =
  | { readonly saved: true; readonly created: boolean; readonly record: T }
  /** The item changed since the version read: read again. */
  | { readonly saved: false };

/** The one open purchase order a SKU and supplier may have (the slot), and how many came before. */
export interface OpenSlot {
  readonly sku: string;
  readonly supplierId: string;
  /** Purchase orders this SKU and supplier have had (the next one is seq + 1). */
  readonly seq: number;
  readonly open: {
    readonly poId: string;
    readonly quantity: number;
    readonly received: number;
    /** The check that claimed the slot (a retried check recognises its own claim). */
    readonly claimedBy: string;
    /** When (the check's instant); an old claim with no purchase order is abandoned. */
    readonly claimedAt?: string;
  } | null;
}

export interface SkuMeasure {
  readonly sales30d: number;
  readonly measuredAt: string;
  /** The sweep that measured it. */
  readonly sweep: string;
}

export interface SkuCheck {
  readonly at: string;
  readonly trigger: string;
  readonly outcome: 'ordered' | 'open-po-exists' | 'enough' | 'no-supplier';
  readonly poId: string | null;
  readonly needsRestock: boolean;
  readonly reorderPoint: number | null;
  readonly position: number;
}

export interface Ranking {
  readonly asOf: string;
  readonly sweep: string;
  readonly top: Array<{ readonly sku: string; readonly units: number }>;
}

/** One order's sale as the sales ledger keeps it (an order's lines count once, on the day paid). */
export interface OrderSale {
  readonly orderId: string;
  readonly day: string | null;
  readonly lines: Readonly<Record<string, number>>;
  readonly returns: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly cancelled: boolean;
  readonly version: number;
}

export type { Page };

/** What a projection of an order's units left behind (see `projectSale`). */
export type ProjectionResult = 'written' | 'superseded';

export interface RestockStore {
  // --- policy ---
  getPolicy(): Promise<VersionedPolicy | null>;
  getPolicyVersion(version: number): Promise<VersionedPolicy | null>;
  /** Saves the next version; refused when the current one is no longer `expectedVersion`. */
  savePolicy(
    policy: RestockPolicy,
    expectedVersion: number,
    at: string,
  ): Promise<SaveResult<VersionedPolicy>>;

  // --- suppliers ---
  getSupplier(supplierId: string): Promise<Supplier | null>;
  listSuppliers(): Promise<Supplier[]>;
  saveSupplier(
    terms: SupplierTerms,
    expectedVersion: number | null,
    at: string,
  ): Promise<SaveResult<Supplier>>;
  /** Records a placed purchase order's total for its supplier and store year (idempotent per PO). */
  recordPurchase(supplierId: string, year: string, poId: string, total: Money): Promise<void>;
  purchasedInYear(supplierId: string, year: string, currency: string): Promise<Money>;

  // --- SKUs ---
  getSku(sku: string): Promise<Sku | null>;
  /** Creates or updates the SKU; `onHand` (when given) replaces its stock levels by the `api` location. */
  saveSku(
    spec: SkuSpec,
    onHand: number | undefined,
    expectedVersion: number | null,
    at: string,
  ): Promise<SaveResult<Sku>>;
  /** Sets a location's level unless a newer one is stored; the stock before and after, null if unknown SKU. */
  setStockLevel(
    sku: string,
    locationId: string,
    available: number,
    at: string,
  ): Promise<{ readonly before: number; readonly after: number; readonly applied: boolean } | null>;
  /** Adds a receipt's units to a location, once per receipt id. */
  addReceivedStock(
    sku: string,
    receiptId: string,
    locationId: string,
    quantity: number,
    at: string,
  ): Promise<void>;
  /** The SKUs of one catalog bucket, a page at a time (the sweep fans out over buckets). */
  listBucket(bucket: number, cursor: string | null, limit: number): Promise<Page<Sku>>;
  /** Every SKU, a page at a time. */
  listSkus(cursor: string | null, limit: number): Promise<Page<Sku>>;
  getMeasure(sku: string): Promise<SkuMeasure | null>;
  /** What a check reads of a SKU besides the SKU itself, in one read: its last measure and check, its slots. */
  skuState(sku: string): Promise<{ measure: SkuMeasure | null; check: SkuCheck | null; slots: OpenSlot[] }>;
  saveMeasures(measures: ReadonlyArray<{ sku: string } & SkuMeasure>): Promise<void>;
  getCheck(sku: string): Promise<SkuCheck | null>;
  /**
   * Records checks; `previous` (the last check of each SKU, when known) spares the needs-restock
   * list a write for every SKU whose answer did not change.
   */
  saveChecks(
    checks: ReadonlyArray<{ sku: string } & SkuCheck>,
    previous?: ReadonlyMap<string, SkuCheck | null>,
  ): Promise<void>;
  /** The SKUs whose last check found them below their reorder point. */
  listNeedsRestock(cursor: string | null, limit: number): Promise<Page<string>>;

  // --- sales ledger ---
  getOrderSale(orderId: string): Promise<OrderSale | null>;
  /** Records the paid order's lines once (a later OrderPaid of the same order changes nothing). */
  recordSale(orderId: string, day: string, lines: Readonly<Record<string, number>>): Promise<OrderSale>;
  recordReturn(
    orderId: string,
    refundId: string,
    lines: Readonly<Record<string, number>>,
  ): Promise<OrderSale>;
  recordCancellation(orderId: string): Promise<OrderSale>;
  /**
   * Writes an order's net units per SKU on its day. `written`: nothing newer is left overwritten.
   * `superseded`: a newer version of the order exists and these writes may have landed over its
   * projection; the caller projects the newer version again.
   */
  projectSale(sale: OrderSale, units: Readonly<Record<string, number>>): Promise<ProjectionResult>;
  /** Net units sold of a SKU on the store days [from, to]. */
  unitsSold(sku: string, from: string, to: string): Promise<number>;
  saveRanking(ranking: Ranking): Promise<void>;
  getRanking(): Promise<Ranking | null>;
  /** A sweep page's best sellers, kept until the sweep ranks them. */
  saveRankCandidates(sweep: string, page: string, top: Ranking['top']): Promise<void>;
  listRankCandidates(sweep: string): Promise<Ranking['top']>;

  // --- purchase orders ---
  getSlot(sku: string, supplierId: string): Promise<OpenSlot>;
  openSlots(sku: string): Promise<OpenSlot[]>;
  /**
   * Claims the SKU and supplier's open slot for purchase order `seq` (the slot must still be at
   * `seq − 1` and empty); false when someone else got there first.
   */
  claimSlot(
    sku: string,
    supplierId: string,
    seq: number,
    open: NonNullable<OpenSlot['open']>,
  ): Promise<boolean>;
  /** Updates the quantity or received count of the slot's open purchase order (if still `poId`). */
  updateSlot(
    sku: string,
    supplierId: string,
    poId: string,
    changes: { readonly quantity?: number; readonly received?: number },
  ): Promise<void>;
  /** Empties the slot if it still holds `poId`. */
  releaseSlot(sku: string, supplierId: string, poId: string): Promise<void>;
  getPurchaseOrder(poId: string): Promise<PurchaseOrder | null>;
  /** Writes a new purchase order; returns the stored one when it exists. */
  createPurchaseOrder(po: PurchaseOrder): Promise<{ created: boolean; po: PurchaseOrder }>;
  /**
   * Moves a purchase order from one of `from` to `next`, applying `changes`; returns the stored one
   * (unchanged) when its status is not in `from`.
   */
  transitionPurchaseOrder(
    poId: string,
    from: readonly PurchaseOrderStatus[],
    next: PurchaseOrderStatus,
    changes: Partial<Pick<PurchaseOrder, 'approval' | 'closedAt' | 'approvalExpiresAt'>>,
    at: string,
  ): Promise<{ moved: boolean; po: PurchaseOrder | null }>;
  /** Adds a receipt once (by id) while placed; closes it when all is received. */
  receive(
    poId: string,
    receipt: Receipt,
  ): Promise<{ outcome: 'received' | 'duplicate' | 'not-placed' | 'too-many'; po: PurchaseOrder | null }>;
  /** Stores the task token of the approval run's wait. */
  parkApproval(poId: string, taskToken: string): Promise<PurchaseOrder | null>;
  approvalToken(poId: string): Promise<string | null>;
  listPurchaseOrders(
    filter: { status?: PurchaseOrderStatus; sku?: string; supplierId?: string },
    cursor: string | null,
    limit: number,
  ): Promise<Page<PurchaseOrder>>;
}
