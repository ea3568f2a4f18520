/**
 * The single table: one source of truth for its key schema, its indexes and the named access
 * patterns. The CDK stateful stack builds the table from this module and the repositories build
 * their keys from it, so index and attribute names cannot drift.
 */
export const tableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes expired items (TTL). */
  ttlAttribute: 'expiresAt',
  indexes: {
    /**
     * Overloaded sparse index: only items that take part in a GSI1 pattern carry gsi1pk. No
     * pattern uses it today (unpublished deliveries no longer need a listing: a delivery is only
     * acknowledged once published); kept because the table is stateful and retained.
     */
    gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  },
} as const;

/** Rank of each timeline kind inside one instant, so a webhook sorts before the events it caused. */
const kindRank = {
  webhook: 0,
  event: 1,
  run: 2,
  state: 3,
  promise: 4,
  compensation: 5,
  'purchase-order': 6,
  'price-change': 7,
} as const;

const KEY_PREFIX = {
  order: 'ORDER',
  sku: 'SKU',
  presale: 'PRESALE',
  ticket: 'TICKET',
  customer: 'CUSTOMER',
  product: 'PRODUCT',
  'purchase-order': 'PO',
  campaign: 'CAMPAIGN',
  experiment: 'EXPERIMENT',
} as const;

/**
 * Named access patterns. Every key the application writes or reads is built here.
 *
 * | pattern                     | index | pk                           | sk                          |
 * |-----------------------------|-------|------------------------------|-----------------------------|
 * | fact by identity (dedupe)   | table | DELIVERY#<source>#<factKey>  | DELIVERY                    |
 * | platform delivery id        | table | DELIVERYID#<source>#<id>     | DELIVERYID                  |
 * | delivery id reused          | table | DELIVERYID#<source>#<id>     | REUSE#<body sha256>         |
 * | timeline of a business key  | table | <TYPE>#<id>                  | TL#<at>#<rank>#<ref>        |
 * | SKU of an inventory item    | table | INVITEM#<inventoryItemId>    | SKU                         |
 * | presale by id (quota, terms)| table | PRESALE#<presaleId>          | PRESALE                     |
 * | presale order by id         | table | ORDER#<orderId>              | PRESALE_ORDER               |
 * | restock policy (current)    | table | RESTOCK#POLICY               | CURRENT                     |
 * | restock policy versions     | table | RESTOCK#POLICY               | V#<version, 10 digits>      |
 * | supplier                    | table | SUPPLIER#<supplierId>        | SUPPLIER                    |
 * | all suppliers               | gsi1  | SUPPLIERS                    | <supplierId>                |
 * | a supplier's year purchases | table | SUPPLIER#<supplierId>        | PURCHASE#<year>#<poId>      |
 * | restock SKU (catalog)       | table | SKU#<sku>                    | SKU                         |
 * | SKUs of a catalog bucket    | gsi1  | CATALOG#<bucket 00–63>       | <sku>                       |
 * | a SKU's last measure, check | table | SKU#<sku>                    | MEASURE / CHECK             |
 * | SKU and supplier open slot  | table | SKU#<sku>                    | OPENPO#<supplierId>         |
 * | units sold per day and order| table | SKU#<sku>                    | SOLD#<day>#<orderId>        |
 * | SKUs needing restock        | table | RESTOCK#NEEDED               | <sku>                       |
 * | an order's sale (ledger)    | table | ORDER#<orderId>              | SALES                       |
 * | top-ten ranking             | table | RESTOCK#RANKING              | CURRENT                     |
 * | a sweep's rank candidates   | table | RESTOCK#SWEEP#<sweep>        | TOP#<page>                  |
 * | purchase order              | table | PO#<poId>                    | PO                          |
 * | purchase orders, newest     | gsi1  | POS                          | <createdAt>#<poId>          |
 * | promise policies            | table | SLA#POLICY                   | <policyId>                  |
 * | an order's facts (SLA)      | table | ORDER#<orderId>              | SLA#ORDER                   |
 * | a promise                   | table | ORDER#<id> / TICKET#<id>     | PROMISE#<policyId>          |
 * | a subject's fulfilment      | table | ORDER#<id> / TICKET#<id>     | SLA#FULFIL#<detail type>    |
 * | breaches by deadline        | gsi1  | SLA#BREACHES                 | <deadline>#<promiseId>      |
 * | compensation under a cap    | table | SLA#CAP#<order or ticket>    | CAP                         |
 * | pricing rules (current)     | table | PRICING#RULES                | CURRENT                     |
 * | pricing rules versions      | table | PRICING#RULES                | V#<version, 10 digits>      |
 * | a SKU's pricing             | table | SKU#<sku>                    | PRICING                     |
 * | priced SKUs of a bucket     | gsi1  | PRICING#<bucket 00–63>       | <sku>                       |
 * | the buckets in use          | table | PRICING#BUCKETS              | CURRENT                     |
 * | latest competitor prices    | table | SKU#<sku>                    | PCOMP                       |
 * | a SKU's price changes       | table | SKU#<sku>                    | PRICE#<at>#<run or api-v>   |
 * | a SKU's pricing settings    | table | SKU#<sku>                    | PSET#<at>#<version>         |
 * | what-if history (TTL)       | table | SKU#<sku>                    | PHIST#<at>#<F|O|S>#<ref>    |
 * | bundle                      | table | BUNDLE#<bundleId>            | BUNDLE                      |
 * | bundles of a SKU            | table | SKU#<sku>                    | BUNDLE#<bundleId>           |
 * | a what-if job (TTL)         | table | WHATIF#<jobId>               | JOB                         |
 * | a what-if result part (TTL) | table | WHATIF#<jobId>               | PART#<index, 6 digits>      |
 * | campaign (terms, status)    | table | CAMPAIGN#<campaignId>        | CAMPAIGN                    |
 * | a campaign's budget counter | table | CAMPAIGN#<campaignId>        | BUDGET                      |
 * | a budget reservation        | table | CAMPAIGN#<campaignId>        | RESERVE#<orderId>           |
 * | an order's reservations     | table | ORDER#<orderId>              | CAMPAIGN_RESERVE#<campaign> |
 * | live campaigns (the quote)  | table | CAMPAIGNS#LIVE               | <campaignId>                |
 * | experiment                  | table | EXPERIMENT#<experimentId>    | EXPERIMENT                  |
 * | a user's first identity     | table | IDENTITY#<userId>            | LINK                        |
 * | storefront dedupe (TTL)     | table | MX#SEEN#<minute of at>#<s>   | SEEN                        |
 * | storefront event segments   | table | MX#SEG#<day>#<shard 0–7>     | <content hash>              |
 * | paid orders of a month      | table | MX#ORDERS#<YYYY-MM>          | <day>#<orderId>             |
 * | a paid order by id          | table | MX#ORDER#<orderId>           | ORDER                       |
 * | refunds of a month          | table | MX#REFUNDS#<YYYY-MM>         | <day>#<refundId>            |
 * | a customer's first payment  | table | CUSTOMER#<customerId>        | MX#FIRSTPAID                |
 * | marketing channels          | table | MX#CHANNELS                  | <channelId>                 |
 * | write-key rate window (TTL) | table | MX#RATE#<keyId>              | <epoch second>              |
 * | member policy (current)     | table | MEMBER#POLICY                | CURRENT                     |
 * | member policy versions      | table | MEMBER#POLICY                | V#<version, 10 digits>      |
 * | a customer's member record  | table | CUSTOMER#<customerId>        | MEMBER                      |
 * | members of a bucket         | gsi1  | MEMBERS#<bucket 00–63>       | <customerId>                |
 * | member buckets in use       | table | MEMBER#BUCKETS               | CURRENT                     |
 * | an order's customer         | table | ORDER#<orderId>              | MEMBER#ORDER                |
 * | referral code → customer    | table | REFCODE#<code>               | REFCODE                     |
 * | a coupon (the ledger)       | table | COUPON#<code>                | COUPON                      |
 * | a customer's coupons        | gsi1  | COUPONS#<customerId>         | <issuedAt>#<code>           |
 * | rewarded referrals of an IP | table | REFIP#<ip>                   | WEEK#<monday>               |
 * | leaderboard of a period     | table | LEADERBOARD#<2026-12|2026>   | <inviterId>                 |
 * | the annual grant of a year  | table | MEMBER#ANNUAL                | <year>                      |
 *
 * Pricing's items in a SKU's partition sort outside restock's `CHECK`…`OPENPO#` range (its
 * one-Query read of a SKU's state) and the timeline's `TL#` prefix.
 */
export const keys = {
  /** The record of one business fact received by webhook (dedupe + outbox); for storeflow factKey = id. */
  delivery: (source: string, factKey: string) => ({
    pk: `DELIVERY#${source}#${factKey}`,
    sk: 'DELIVERY',
  }),
  /** Which body a platform's (unsigned) delivery id carried first. */
  deliveryId: (source: string, deliveryId: string) => ({
    pk: `DELIVERYID#${source}#${deliveryId}`,
    sk: 'DELIVERYID',
  }),
  /** A delivery id that came again with another body, one item per body. */
  deliveryIdReuse: (source: string, deliveryId: string, bodySha256: string) => ({
    pk: `DELIVERYID#${source}#${deliveryId}`,
    sk: `REUSE#${bodySha256}`,
  }),
  businessKey: (type: keyof typeof KEY_PREFIX, id: string) => `${KEY_PREFIX[type]}#${id}`,
  timelinePrefix: 'TL#',
  timelineEntry: (
    type: keyof typeof KEY_PREFIX,
    id: string,
    at: string,
    kind: keyof typeof kindRank,
    ref: string,
  ) => ({
    pk: `${KEY_PREFIX[type]}#${id}`,
    sk: `TL#${at}#${kindRank[kind]}#${ref}`,
  }),
  inventoryItem: (inventoryItemId: string) => ({ pk: `INVITEM#${inventoryItemId}`, sk: 'SKU' }),
  /** The presale with its quota count, version and holders (one item: single-item conditions). */
  presale: (presaleId: string) => ({ pk: `${KEY_PREFIX.presale}#${presaleId}`, sk: 'PRESALE' }),
  /** The presale order, in the order's partition beside its timeline (`TL#…`) items. */
  presaleOrder: (orderId: string) => ({ pk: `${KEY_PREFIX.order}#${orderId}`, sk: 'PRESALE_ORDER' }),
  restockPolicy: () => ({ pk: 'RESTOCK#POLICY', sk: 'CURRENT' }),
  restockPolicyVersion: (version: number) => ({
    pk: 'RESTOCK#POLICY',
    sk: `V#${String(version).padStart(10, '0')}`,
  }),
  supplier: (supplierId: string) => ({ pk: `SUPPLIER#${supplierId}`, sk: 'SUPPLIER' }),
  supplierIndex: (supplierId: string) => ({ gsi1pk: 'SUPPLIERS', gsi1sk: supplierId }),
  purchase: (supplierId: string, year: string, poId: string) => ({
    pk: `SUPPLIER#${supplierId}`,
    sk: `PURCHASE#${year}#${poId}`,
  }),
  sku: (sku: string) => ({ pk: `${KEY_PREFIX.sku}#${sku}`, sk: 'SKU' }),
  catalogIndex: (bucket: number, sku: string) => ({
    gsi1pk: `CATALOG#${String(bucket).padStart(2, '0')}`,
    gsi1sk: sku,
  }),
  skuMeasure: (sku: string) => ({ pk: `${KEY_PREFIX.sku}#${sku}`, sk: 'MEASURE' }),
  skuCheck: (sku: string) => ({ pk: `${KEY_PREFIX.sku}#${sku}`, sk: 'CHECK' }),
  slot: (sku: string, supplierId: string) => ({ pk: `${KEY_PREFIX.sku}#${sku}`, sk: `OPENPO#${supplierId}` }),
  sold: (sku: string, day: string, orderId: string) => ({
    pk: `${KEY_PREFIX.sku}#${sku}`,
    sk: `SOLD#${day}#${orderId}`,
  }),
  needsRestock: (sku: string) => ({ pk: 'RESTOCK#NEEDED', sk: sku }),
  orderSale: (orderId: string) => ({ pk: `${KEY_PREFIX.order}#${orderId}`, sk: 'SALES' }),
  ranking: () => ({ pk: 'RESTOCK#RANKING', sk: 'CURRENT' }),
  rankCandidates: (sweep: string, page: string) => ({ pk: `RESTOCK#SWEEP#${sweep}`, sk: `TOP#${page}` }),
  purchaseOrder: (poId: string) => ({ pk: `${KEY_PREFIX['purchase-order']}#${poId}`, sk: 'PO' }),
  purchaseOrderIndex: (createdAt: string, poId: string) => ({
    gsi1pk: 'POS',
    gsi1sk: `${createdAt}#${poId}`,
  }),
  promisePolicy: (policyId: string) => ({ pk: 'SLA#POLICY', sk: policyId }),
  slaOrder: (orderId: string) => ({ pk: `${KEY_PREFIX.order}#${orderId}`, sk: 'SLA#ORDER' }),
  promise: (type: 'order' | 'ticket', id: string, policyId: string) => ({
    pk: `${KEY_PREFIX[type]}#${id}`,
    sk: `PROMISE#${policyId}`,
  }),
  fulfilment: (type: 'order' | 'ticket', id: string, detailType: string) => ({
    pk: `${KEY_PREFIX[type]}#${id}`,
    sk: `SLA#FULFIL#${detailType}`,
  }),
  breach: (deadline: string, promiseId: string) => ({
    gsi1pk: 'SLA#BREACHES',
    gsi1sk: `${deadline}#${promiseId}`,
  }),
  compensationCap: (capKey: string) => ({ pk: `SLA#CAP#${capKey}`, sk: 'CAP' }),
  pricingRules: () => ({ pk: 'PRICING#RULES', sk: 'CURRENT' }),
  pricingRulesVersion: (version: number) => ({
    pk: 'PRICING#RULES',
    sk: `V#${String(version).padStart(10, '0')}`,
  }),
  skuPricing: (sku: string) => ({ pk: `${KEY_PREFIX.sku}#${sku}`, sk: 'PRICING' }),
  pricingIndex: (bucket: number, sku: string) => ({
    gsi1pk: `PRICING#${String(bucket).padStart(2, '0')}`,
    gsi1sk: sku,
  }),
  pricingBuckets: () => ({ pk: 'PRICING#BUCKETS', sk: 'CURRENT' }),
  competitorPrices: (sku: string) => ({ pk: `${KEY_PREFIX.sku}#${sku}`, sk: 'PCOMP' }),
  priceChange: (sku: string, at: string, ref: string) => ({
    pk: `${KEY_PREFIX.sku}#${sku}`,
    sk: `PRICE#${at}#${ref}`,
  }),
  pricingSettings: (sku: string, at: string, version: number) => ({
    pk: `${KEY_PREFIX.sku}#${sku}`,
    sk: `PSET#${at}#${String(version).padStart(10, '0')}`,
  }),
  /** F: the stock and cost a run used; O: a competitor observation; S: units sold in an hour. */
  pricingHistory: (sku: string, at: string, kind: 'F' | 'O' | 'S', ref: string) => ({
    pk: `${KEY_PREFIX.sku}#${sku}`,
    sk: `PHIST#${at}#${kind}#${ref}`,
  }),
  bundle: (bundleId: string) => ({ pk: `BUNDLE#${bundleId}`, sk: 'BUNDLE' }),
  /** A what-if job (`POST /api/repricing/what-if` → 202) and the parts of its result. */
  whatIfJob: (jobId: string) => ({ pk: `WHATIF#${jobId}`, sk: 'JOB' }),
  whatIfPart: (jobId: string, index: number) => ({
    pk: `WHATIF#${jobId}`,
    sk: `PART#${String(index).padStart(6, '0')}`,
  }),
  campaign: (campaignId: string) => ({ pk: `${KEY_PREFIX.campaign}#${campaignId}`, sk: 'CAMPAIGN' }),
  campaignBudget: (campaignId: string) => ({ pk: `${KEY_PREFIX.campaign}#${campaignId}`, sk: 'BUDGET' }),
  campaignReservation: (campaignId: string, orderId: string) => ({
    pk: `${KEY_PREFIX.campaign}#${campaignId}`,
    sk: `RESERVE#${orderId}`,
  }),
  /** Points from an order to a campaign's reservation for it (a cancellation or refund finds it). */
  orderReservation: (orderId: string, campaignId: string) => ({
    pk: `${KEY_PREFIX.order}#${orderId}`,
    sk: `CAMPAIGN_RESERVE#${campaignId}`,
  }),
  orderReservations: (orderId: string) => ({
    pk: `${KEY_PREFIX.order}#${orderId}`,
    skPrefix: 'CAMPAIGN_RESERVE#',
  }),
  liveCampaign: (campaignId: string) => ({ pk: 'CAMPAIGNS#LIVE', sk: campaignId }),
  /** The live campaigns' terms in one item, rebuilt from the partition above (decision 48). */
  liveIndex: () => ({ pk: 'CAMPAIGNS#LIVE_INDEX', sk: 'INDEX' }),
  experiment: (experimentId: string) => ({
    pk: `${KEY_PREFIX.experiment}#${experimentId}`,
    sk: 'EXPERIMENT',
  }),
  identityLink: (userId: string) => ({ pk: `IDENTITY#${userId}`, sk: 'LINK' }),
  /** Metrics (issue #16): the ids seen in one minute of storefront events' `at`, one shard. */
  metricsSeen: (slot: string, shard: number) => ({ pk: `MX#SEEN#${slot}#${shard}`, sk: 'SEEN' }),
  /** A segment of a store day's storefront events, named by its content. */
  metricsSegment: (day: string, shard: number, hash: string) => ({ pk: `MX#SEG#${day}#${shard}`, sk: hash }),
  metricsSegmentPartition: (day: string, shard: number) => `MX#SEG#${day}#${shard}`,
  metricsOrder: (day: string, orderId: string) => ({
    pk: `MX#ORDERS#${day.slice(0, 7)}`,
    sk: `${day}#${orderId}`,
  }),
  metricsOrdersPartition: (month: string) => `MX#ORDERS#${month}`,
  metricsOrderById: (orderId: string) => ({ pk: `MX#ORDER#${orderId}`, sk: 'ORDER' }),
  metricsRefund: (day: string, refundId: string) => ({
    pk: `MX#REFUNDS#${day.slice(0, 7)}`,
    sk: `${day}#${refundId}`,
  }),
  metricsRefundsPartition: (month: string) => `MX#REFUNDS#${month}`,
  metricsFirstPaid: (customerId: string) => ({
    pk: `${KEY_PREFIX.customer}#${customerId}`,
    sk: 'MX#FIRSTPAID',
  }),
  metricsChannelsPartition: 'MX#CHANNELS',
  metricsChannel: (channelId: string) => ({ pk: 'MX#CHANNELS', sk: channelId }),
  metricsRate: (keyId: string, second: number) => ({ pk: `MX#RATE#${keyId}`, sk: String(second) }),
  memberPolicy: () => ({ pk: 'MEMBER#POLICY', sk: 'CURRENT' }),
  memberPolicyVersion: (version: number) => ({
    pk: 'MEMBER#POLICY',
    sk: `V#${String(version).padStart(10, '0')}`,
  }),
  member: (customerId: string) => ({ pk: `${KEY_PREFIX.customer}#${customerId}`, sk: 'MEMBER' }),
  memberIndex: (bucket: number, customerId: string) => ({
    gsi1pk: `MEMBERS#${String(bucket).padStart(2, '0')}`,
    gsi1sk: customerId,
  }),
  memberBuckets: () => ({ pk: 'MEMBER#BUCKETS', sk: 'CURRENT' }),
  memberOrder: (orderId: string) => ({ pk: `${KEY_PREFIX.order}#${orderId}`, sk: 'MEMBER#ORDER' }),
  referralCode: (code: string) => ({ pk: `REFCODE#${code}`, sk: 'REFCODE' }),
  coupon: (code: string) => ({ pk: `COUPON#${code}`, sk: 'COUPON' }),
  customerCoupons: (customerId: string, issuedAt: string, code: string) => ({
    gsi1pk: `COUPONS#${customerId}`,
    gsi1sk: `${issuedAt}#${code}`,
  }),
  ipReferrals: (ip: string, week: string) => ({ pk: `REFIP#${ip}`, sk: `WEEK#${week}` }),
  leaderboard: (period: string, inviterId: string) => ({ pk: `LEADERBOARD#${period}`, sk: inviterId }),
  annualGrant: (year: string) => ({ pk: 'MEMBER#ANNUAL', sk: year }),
  bundleMember: (sku: string, bundleId: string) => ({
    pk: `${KEY_PREFIX.sku}#${sku}`,
    sk: `BUNDLE#${bundleId}`,
  }),
} as const;
