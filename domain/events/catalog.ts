import { MoneySchema, NonNegativeMoneySchema, PositiveMoneySchema } from '../shared/money.ts';
import { idSchema, instantSchema } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import type { BusinessKey } from './envelope.ts';

/**
 * The canonical events: one zod schema per detail type, shared by producers (webhook
 * normalization, workflows) and consumers (timeline, workflows). Detail types are past tense;
 * sources are `storeflow.<domain>`.
 */
const iso = instantSchema();
/**
 * Ids are business keys (DynamoDB keys, run names): bounded and free of control characters, so a
 * huge or odd id is a 400 at the boundary, not a stuck run (issue #10).
 */
const id = idSchema();
const nullableId = z.nullable(idSchema());
const count = z.int().check(z.nonnegative());
const nullableString = z.nullable(z.string());
/** Money that is never negative on an order, a line, a refund or a balance. */
const amount = NonNegativeMoneySchema;

/** The member tiers (domain/members/policy.ts), and `none` below them. */
const MEMBER_TIERS = ['none', 'silver', 'gold', 'diamond'] as const;

const LineSchema = z.object({
  sku: nullableId,
  productId: nullableId,
  variantId: nullableId,
  title: z.string(),
  quantity: count,
  unitPrice: amount,
});

const OrderSchema = z.object({
  orderId: id,
  orderName: nullableString,
  shopDomain: nullableString,
  customerId: nullableId,
  total: amount,
  subtotal: amount,
  lines: z.array(LineSchema),
  shippingRegion: nullableString,
  placedAt: iso,
});

const ShippedLineSchema = z.object({ sku: nullableId, quantity: count });

/** Why a presale deposit was not accepted (SPEC §2, issue #5); the deposit is then refunded. */
export const PRESALE_REJECTION_REASONS = [
  'PresaleNotFound',
  'PresaleClosed',
  'PresaleSoldOut',
  'PresaleDepositMismatch',
] as const;
export type PresaleRejectionReason = (typeof PRESALE_REJECTION_REASONS)[number];

/** What happened to the deposit of a forfeited or cancelled presale order (SPEC §2). */
export const PRESALE_DEPOSIT_OUTCOMES = ['kept', 'refunded'] as const;
export type PresaleDepositOutcome = (typeof PRESALE_DEPOSIT_OUTCOMES)[number];

/**
 * Why a balance payment was refused (SPEC §2: a payment of the wrong amount is rejected with a
 * clear reason and the run keeps waiting); the payment is then to be refunded by the platform.
 */
export const PRESALE_BALANCE_REFUSAL_REASONS = [
  'BalanceWindowNotOpen',
  'BalanceWindowClosed',
  'WrongCurrency',
  'WrongAmount',
  'OrderNotAwaitingBalance',
] as const;
export type PresaleBalanceRefusalReason = (typeof PRESALE_BALANCE_REFUSAL_REASONS)[number];

const PurchaseOrderRef = {
  poId: id,
  sku: id,
  supplierId: id,
};

/** Every campaign event names the campaign and when it happened. */
const CampaignRef = { campaignId: id, name: z.string(), status: z.string(), at: iso };

const PromiseRef = {
  promiseId: id,
  policyId: id,
  kind: z.string(),
  orderId: nullableId,
  ticketId: nullableId,
};

export const eventSchemas = {
  OrderPlaced: OrderSchema,
  OrderPaid: z.extend(OrderSchema, {
    paidAt: iso,
    /** The discount codes the order carried (Shopify `discount_codes`); absent when none. */
    discountCodes: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(255)))),
  }),
  OrderCancelled: z.object({
    orderId: id,
    reason: nullableString,
    cancelledAt: iso,
    skus: z.array(id),
  }),
  ShipmentDispatched: z.object({
    orderId: id,
    shipmentId: nullableString,
    carrier: nullableString,
    trackingNumber: nullableString,
    lines: z.array(ShippedLineSchema),
    dispatchedAt: iso,
  }),
  OrderDelivered: z.object({ orderId: id, shipmentId: nullableString, deliveredAt: iso }),
  RefundIssued: z.object({
    orderId: id,
    refundId: id,
    amount,
    lines: z.array(ShippedLineSchema),
    refundedAt: iso,
  }),
  StockLevelChanged: z.object({
    sku: nullableId,
    inventoryItemId: id,
    locationId: id,
    available: z.nullable(z.int()),
    changedAt: iso,
  }),
  ProductUpdated: z.object({
    productId: id,
    title: z.string(),
    variants: z.array(
      z.object({ variantId: id, sku: nullableId, inventoryItemId: nullableId, price: amount }),
    ),
    updatedAt: iso,
  }),
  PresaleDepositPaid: z.object({
    orderId: id,
    presaleId: id,
    customerId: id,
    amount: PositiveMoneySchema,
    paidAt: iso,
  }),
  PresaleBalancePaid: z.object({ orderId: id, amount, paidAt: iso }),
  PresaleCancelled: z.object({ orderId: id, reason: z.string(), cancelledAt: iso }),
  PresaleDepositRejected: z.object({
    orderId: id,
    presaleId: id,
    customerId: id,
    /** Null when the presale is unknown. */
    sku: nullableString,
    amount: MoneySchema,
    reason: z.enum(PRESALE_REJECTION_REASONS),
    message: z.string(),
    rejectedAt: iso,
  }),
  PresaleBalanceDue: z.object({
    orderId: id,
    presaleId: id,
    customerId: id,
    sku: id,
    balanceDue: MoneySchema,
    /** The balance window's end: unpaid by then, the order is forfeited. */
    dueBy: iso,
    openedAt: iso,
  }),
  PresaleFulfilmentPromised: z.object({
    orderId: id,
    presaleId: id,
    customerId: id,
    sku: id,
    /** The promise's deadline (SPEC §4): the balance payment + the presale's shipWithinDays. */
    shipBy: iso,
    paidAt: iso,
  }),
  PresaleForfeited: z.object({
    orderId: id,
    presaleId: id,
    customerId: id,
    sku: id,
    deposit: MoneySchema,
    depositOutcome: z.enum(PRESALE_DEPOSIT_OUTCOMES),
    forfeitedAt: iso,
  }),
  PresaleBalanceRefused: z.object({
    orderId: id,
    presaleId: id,
    customerId: id,
    sku: nullableString,
    /** What was paid, to refund. */
    amount: MoneySchema,
    /** The balance due, when the order has one. */
    expected: z.nullable(MoneySchema),
    reason: z.enum(PRESALE_BALANCE_REFUSAL_REASONS),
    message: z.string(),
    paidAt: iso,
    refusedAt: iso,
  }),
  PresaleOrderCancelled: z.object({
    orderId: id,
    presaleId: id,
    customerId: id,
    /** Null when the order never got its terms (a run that failed before recording it). */
    sku: nullableString,
    deposit: MoneySchema,
    depositOutcome: z.enum(PRESALE_DEPOSIT_OUTCOMES),
    /** The customer's reason from `presale.cancelled`, or `WorkflowFailed: ...` from compensation. */
    reason: z.string(),
    cancelledAt: iso,
  }),
  TicketOpened: z.object({
    ticketId: id,
    orderId: nullableId,
    customerId: nullableId,
    subject: nullableString,
    openedAt: iso,
  }),
  TicketResponded: z.object({ ticketId: id, orderId: nullableId, respondedAt: iso }),
  TicketResolved: z.object({ ticketId: id, orderId: nullableId, resolvedAt: iso }),
  InstallationCompleted: z.object({ orderId: id, sku: nullableId, completedAt: iso }),
  CompetitorPriceObserved: z.object({
    sku: id,
    competitor: id,
    price: PositiveMoneySchema,
    url: nullableString,
    observedAt: iso,
  }),
  /** A purchase order was created (SPEC §3); `status` OPEN, or AWAITING_APPROVAL above the threshold. */
  PurchaseOrderCreated: z.object({
    ...PurchaseOrderRef,
    supplierName: z.string(),
    quantity: count,
    unitCost: MoneySchema,
    total: MoneySchema,
    status: z.enum(['OPEN', 'AWAITING_APPROVAL']),
    paymentTermsDays: count,
    paymentDueDate: z.string(),
    rebateBps: count,
    trigger: z.string(),
    createdAt: iso,
  }),
  /** A purchase order above the approval threshold waits for a person until `expiresAt`. */
  PurchaseOrderApprovalRequested: z.object({
    ...PurchaseOrderRef,
    total: MoneySchema,
    threshold: MoneySchema,
    expiresAt: iso,
    requestedAt: iso,
  }),
  PurchaseOrderApproved: z.object({
    ...PurchaseOrderRef,
    by: z.string(),
    reason: nullableString,
    approvedAt: iso,
  }),
  PurchaseOrderRejected: z.object({
    ...PurchaseOrderRef,
    by: z.string(),
    reason: nullableString,
    rejectedAt: iso,
  }),
  /** Nobody approved in time: the purchase order is cancelled and this is the alert. */
  PurchaseOrderExpired: z.object({
    ...PurchaseOrderRef,
    total: MoneySchema,
    requestedAt: iso,
    expiredAt: iso,
    message: z.string(),
  }),
  PurchaseOrderReceived: z.object({
    ...PurchaseOrderRef,
    receiptId: id,
    quantity: count,
    receivedTotal: count,
    remaining: count,
    closed: z.boolean(),
    receivedAt: iso,
  }),
  /** A promise was made (SPEC §4): OPEN with its deadline, or NOT_ELIGIBLE with the reason. */
  PromiseRegistered: z.object({
    ...PromiseRef,
    status: z.enum(['OPEN', 'NOT_ELIGIBLE']),
    deadline: z.nullable(iso),
    reason: nullableString,
    registeredAt: iso,
  }),
  PromiseKept: z.object({ ...PromiseRef, deadline: iso, fulfilledAt: iso }),
  SlaBreached: z.object({ ...PromiseRef, deadline: iso, breachedAt: iso }),
  /**
   * A breach's compensation, issued once per promise; `idempotencyKey` (from the order and the
   * promise) is what the coupon or payment provider deduplicates on.
   */
  CompensationIssued: z.object({
    ...PromiseRef,
    customerId: nullableId,
    type: z.enum(['coupon', 'refund']),
    amount: MoneySchema,
    requested: MoneySchema,
    capped: z.boolean(),
    lateSeconds: z.int().check(z.nonnegative()),
    idempotencyKey: id,
    rule: z.string(),
    issuedAt: iso,
  }),
  /**
   * A SKU's selling price changed (SPEC §6): by an hourly repricing run (`runId`, the rules that
   * moved it and the guardrail that bound it) or by an operator through the API (`runId` null).
   */
  CampaignScheduled: z.object({ ...CampaignRef, start: iso, end: iso, pilotStart: iso, pilotEnd: iso }),
  CampaignPilotStarted: z.object({ ...CampaignRef, pilotEnd: iso, lockedSkus: z.array(id) }),
  CampaignEvaluated: z.object({
    ...CampaignRef,
    decision: z.enum(['rollout', 'rollback', 'hold']),
    reason: z.string(),
    liftBps: z.nullable(z.int()),
    pValue: z.nullable(z.number()),
    sampleRatioOk: z.boolean(),
    pilot: z.object({ users: count, conversions: count }),
    control: z.object({ users: count, conversions: count }),
  }),
  CampaignRolledOut: z.object({
    ...CampaignRef,
    by: z.string(),
    reason: z.string(),
    lockedSkus: z.array(id),
  }),
  CampaignRolledBack: z.object({
    ...CampaignRef,
    by: z.string(),
    reason: z.string(),
    lockedSkus: z.array(id),
  }),
  CampaignEnded: z.object({
    ...CampaignRef,
    outcome: z.enum(['ended', 'rolled-back', 'aborted', 'failed']),
    reason: z.string(),
    lockedSkus: z.array(id),
  }),
  ExperimentConcluded: z.object({
    experimentId: id,
    sku: id,
    field: z.enum(['image', 'title', 'price']),
    winner: nullableId,
    applied: z.boolean(),
    reason: z.string(),
    concludedAt: iso,
  }),
  PriceChanged: z.object({
    sku: id,
    oldPrice: z.nullable(PositiveMoneySchema),
    newPrice: PositiveMoneySchema,
    runId: nullableId,
    /** The rules that moved the price, in the order they applied. */
    rules: z.array(z.string()),
    /** The guardrail that bound the result, if one did. */
    guardrail: nullableString,
    rulesVersion: z.nullable(count),
    source: z.enum(['run', 'api']),
    changedAt: iso,
    /**
     * Whether the SKU was in a bundle when its price changed (read in the same write): only then
     * does the change recompute bundles. Absent: unknown (events published before the field).
     */
    inBundles: z.optional(z.boolean()),
  }),
  /** A customer registered (storeflow `customer.registered`), with the referral code they came with. */
  CustomerRegistered: z.object({
    customerId: id,
    email: nullableString,
    phone: nullableString,
    referralCode: nullableString,
    ip: nullableString,
    registeredAt: iso,
  }),
  /** A member's tier changed (SPEC §7): up on a paid order, down on a refund or the nightly run. */
  MemberTierChanged: z.object({
    customerId: id,
    from: z.enum(MEMBER_TIERS),
    to: z.enum(MEMBER_TIERS),
    direction: z.enum(['up', 'down']),
    reason: z.string(),
    orderId: nullableId,
    spend: MoneySchema,
    orders: count,
    policyVersion: count,
    rule: z.string(),
    changedAt: iso,
  }),
  /** The invitee's first paid order rewarded inviter and invitee, once each. */
  ReferralRewarded: z.object({
    inviterId: id,
    inviteeId: id,
    orderId: id,
    reward: MoneySchema,
    inviterCoupon: id,
    inviteeCoupon: id,
    rewardedAt: iso,
  }),
  /** A referral refused (self-referral, an earlier paid order, an unknown code) or held for review. */
  ReferralRefused: z.object({
    inviterId: nullableId,
    inviteeId: id,
    status: z.enum(['refused', 'held']),
    reason: z.string(),
    refusedAt: iso,
  }),
  /** A coupon entered the ledger (SLA compensation, a referral reward, the annual free order). */
  CouponIssued: z.object({
    code: id,
    customerId: id,
    amount: MoneySchema,
    minSpend: MoneySchema,
    source: z.string(),
    ref: z.object({ type: z.string(), id }),
    expiresAt: z.nullable(iso),
    issuedAt: iso,
  }),
  /** A coupon was redeemed, once, on an order (the API's checkout or a paid Shopify order). */
  CouponRedeemed: z.object({
    code: id,
    customerId: id,
    orderId: id,
    amount: MoneySchema,
    via: z.enum(['api', 'shopify']),
    redeemedAt: iso,
  }),
  /** An unused coupon was cancelled (the referral's first order returned in the no-reason window). */
  CouponCancelled: z.object({ code: id, customerId: id, reason: z.string(), cancelledAt: iso }),
  /** One of last year's top inviters got the annual free-order benefit, once. */
  AnnualFreeOrderGranted: z.object({
    customerId: id,
    year: z.string(),
    rank: count,
    rewarded: count,
    code: id,
    amount: MoneySchema,
    grantedAt: iso,
  }),
} as const;

export type DetailType = keyof typeof eventSchemas;
export type EventData<T extends DetailType> = z.infer<(typeof eventSchemas)[T]>;

/** The source (`storeflow.<domain>`) each detail type is published under. */
export const eventSources: Record<DetailType, string> = {
  OrderPlaced: 'storeflow.orders',
  OrderPaid: 'storeflow.orders',
  OrderCancelled: 'storeflow.orders',
  RefundIssued: 'storeflow.orders',
  ShipmentDispatched: 'storeflow.fulfilment',
  OrderDelivered: 'storeflow.fulfilment',
  StockLevelChanged: 'storeflow.inventory',
  ProductUpdated: 'storeflow.catalog',
  PresaleDepositPaid: 'storeflow.presale',
  PresaleBalancePaid: 'storeflow.presale',
  PresaleCancelled: 'storeflow.presale',
  PresaleDepositRejected: 'storeflow.presale',
  PresaleBalanceDue: 'storeflow.presale',
  PresaleFulfilmentPromised: 'storeflow.presale',
  PresaleForfeited: 'storeflow.presale',
  PresaleBalanceRefused: 'storeflow.presale',
  PresaleOrderCancelled: 'storeflow.presale',
  TicketOpened: 'storeflow.aftersales',
  TicketResponded: 'storeflow.aftersales',
  TicketResolved: 'storeflow.aftersales',
  InstallationCompleted: 'storeflow.aftersales',
  CompetitorPriceObserved: 'storeflow.pricing',
  PurchaseOrderCreated: 'storeflow.restock',
  PurchaseOrderApprovalRequested: 'storeflow.restock',
  PurchaseOrderApproved: 'storeflow.restock',
  PurchaseOrderRejected: 'storeflow.restock',
  PurchaseOrderExpired: 'storeflow.restock',
  PurchaseOrderReceived: 'storeflow.restock',
  PromiseRegistered: 'storeflow.sla',
  PromiseKept: 'storeflow.sla',
  SlaBreached: 'storeflow.sla',
  CompensationIssued: 'storeflow.sla',
  PriceChanged: 'storeflow.pricing',
  CustomerRegistered: 'storeflow.members',
  MemberTierChanged: 'storeflow.members',
  ReferralRewarded: 'storeflow.members',
  ReferralRefused: 'storeflow.members',
  CouponIssued: 'storeflow.members',
  CouponRedeemed: 'storeflow.members',
  CouponCancelled: 'storeflow.members',
  AnnualFreeOrderGranted: 'storeflow.members',
  CampaignScheduled: 'storeflow.campaigns',
  CampaignPilotStarted: 'storeflow.campaigns',
  CampaignEvaluated: 'storeflow.campaigns',
  CampaignRolledOut: 'storeflow.campaigns',
  CampaignRolledBack: 'storeflow.campaigns',
  CampaignEnded: 'storeflow.campaigns',
  ExperimentConcluded: 'storeflow.campaigns',
};

const order = (orderId: string | null | undefined): BusinessKey[] =>
  orderId ? [{ type: 'order', id: orderId }] : [];
const customer = (customerId: string | null | undefined): BusinessKey[] =>
  customerId ? [{ type: 'customer', id: customerId }] : [];
const skus = (values: ReadonlyArray<string | null | undefined>): BusinessKey[] =>
  [...new Set(values.filter((s): s is string => Boolean(s)))].map((sku) => ({ type: 'sku', id: sku }));

const presaleOrder = (d: { orderId: string; presaleId: string; sku: string | null }): BusinessKey[] => [
  ...order(d.orderId),
  { type: 'presale', id: d.presaleId },
  ...skus([d.sku]),
];

const purchaseOrder = (d: { poId: string; sku: string }): BusinessKey[] => [
  { type: 'purchase-order', id: d.poId },
  { type: 'sku', id: d.sku },
];

const promiseKeys = (d: { orderId: string | null; ticketId: string | null }): BusinessKey[] => [
  ...order(d.orderId),
  ...(d.ticketId ? [{ type: 'ticket' as const, id: d.ticketId }] : []),
];

const campaign = (d: { campaignId: string }): BusinessKey[] => [{ type: 'campaign', id: d.campaignId }];

type KeysOf = { [T in DetailType]: (data: EventData<T>) => BusinessKey[] };

/** The business keys an event concerns: the timeline records it under each of them. */
export const eventKeys: KeysOf = {
  OrderPlaced: (d) => [...order(d.orderId), ...skus(d.lines.map((l) => l.sku))],
  OrderPaid: (d) => [...order(d.orderId), ...skus(d.lines.map((l) => l.sku))],
  OrderCancelled: (d) => [...order(d.orderId), ...skus(d.skus)],
  ShipmentDispatched: (d) => [...order(d.orderId), ...skus(d.lines.map((l) => l.sku))],
  OrderDelivered: (d) => order(d.orderId),
  RefundIssued: (d) => [...order(d.orderId), ...skus(d.lines.map((l) => l.sku))],
  StockLevelChanged: (d) => skus([d.sku]),
  ProductUpdated: (d) => [{ type: 'product', id: d.productId }, ...skus(d.variants.map((v) => v.sku))],
  PresaleDepositPaid: (d) => [...order(d.orderId), { type: 'presale', id: d.presaleId }],
  PresaleBalancePaid: (d) => order(d.orderId),
  PresaleCancelled: (d) => order(d.orderId),
  PresaleDepositRejected: presaleOrder,
  PresaleBalanceDue: presaleOrder,
  PresaleFulfilmentPromised: presaleOrder,
  PresaleForfeited: presaleOrder,
  PresaleBalanceRefused: presaleOrder,
  PresaleOrderCancelled: presaleOrder,
  TicketOpened: (d) => [{ type: 'ticket', id: d.ticketId }, ...order(d.orderId)],
  TicketResponded: (d) => [{ type: 'ticket', id: d.ticketId }, ...order(d.orderId)],
  TicketResolved: (d) => [{ type: 'ticket', id: d.ticketId }, ...order(d.orderId)],
  InstallationCompleted: (d) => [...order(d.orderId), ...skus([d.sku])],
  CompetitorPriceObserved: (d) => skus([d.sku]),
  PurchaseOrderCreated: purchaseOrder,
  PurchaseOrderApprovalRequested: purchaseOrder,
  PurchaseOrderApproved: purchaseOrder,
  PurchaseOrderRejected: purchaseOrder,
  PurchaseOrderExpired: purchaseOrder,
  PurchaseOrderReceived: purchaseOrder,
  PromiseRegistered: promiseKeys,
  PromiseKept: promiseKeys,
  SlaBreached: promiseKeys,
  CompensationIssued: promiseKeys,
  PriceChanged: (d) => skus([d.sku]),
  CustomerRegistered: (d) => customer(d.customerId),
  MemberTierChanged: (d) => [...customer(d.customerId), ...order(d.orderId)],
  ReferralRewarded: (d) => [...customer(d.inviteeId), ...customer(d.inviterId), ...order(d.orderId)],
  ReferralRefused: (d) => [...customer(d.inviteeId), ...customer(d.inviterId)],
  CouponIssued: (d) => customer(d.customerId),
  CouponRedeemed: (d) => [...customer(d.customerId), ...order(d.orderId)],
  CouponCancelled: (d) => customer(d.customerId),
  AnnualFreeOrderGranted: (d) => customer(d.customerId),
  CampaignScheduled: (d) => campaign(d),
  CampaignPilotStarted: (d) => [...campaign(d), ...skus(d.lockedSkus)],
  CampaignEvaluated: (d) => campaign(d),
  CampaignRolledOut: (d) => [...campaign(d), ...skus(d.lockedSkus)],
  CampaignRolledBack: (d) => [...campaign(d), ...skus(d.lockedSkus)],
  CampaignEnded: (d) => [...campaign(d), ...skus(d.lockedSkus)],
  ExperimentConcluded: (d) => [{ type: 'experiment', id: d.experimentId }, ...skus([d.sku])],
};

/**
 * The timeline kind of an event's line, when it is not `event`: a purchase order's events are
 * `purchase-order` lines and a price change a `price-change` line (SPEC §9), so a SKU's timeline
 * shows them as such.
 */
export function timelineKindOf(
  detailType: string,
): 'event' | 'purchase-order' | 'promise' | 'compensation' | 'price-change' {
  if (detailType.startsWith('PurchaseOrder')) return 'purchase-order';
  if (detailType === 'PriceChanged') return 'price-change';
  if (detailType === 'PromiseRegistered' || detailType === 'PromiseKept' || detailType === 'SlaBreached') {
    return 'promise';
  }
  return detailType === 'CompensationIssued' ? 'compensation' : 'event';
}

export function isDetailType(value: string): value is DetailType {
  return Object.hasOwn(eventSchemas, value);
}

/** A canonical event ready to publish: validated data plus its metadata. */
export interface CanonicalEvent<T extends DetailType = DetailType> {
  readonly detailType: T;
  readonly source: string;
  readonly data: EventData<T>;
}

/**
 * Builds a canonical event, validated against its schema. A violation is a ValidationError naming
 * `data.<field>` (never a raw zod error, which would surface as a 500).
 */
export function canonicalEvent<T extends DetailType>(detailType: T, data: EventData<T>): CanonicalEvent<T> {
  const parsed = parseOrThrow(eventSchemas[detailType], data, 'data') as EventData<T>;
  return { detailType, source: eventSources[detailType], data: parsed };
}

export function keysOf(event: CanonicalEvent): BusinessKey[] {
  return (eventKeys[event.detailType] as (d: unknown) => BusinessKey[])(event.data);
}
