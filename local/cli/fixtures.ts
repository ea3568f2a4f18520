import { randomInt, randomUUID } from 'node:crypto';
import type { DetailType } from '../../domain/events/catalog.ts';
import type { ShopifyTopic } from '../../domain/ingestion/shopify.ts';
import type { StoreflowType } from '../../domain/ingestion/storeflow.ts';

/**
 * The test deliveries `storeflow trigger` sends: one realistic body per Shopify topic and storeflow
 * type, keyed by it, so supporting a new one is one entry here (the tables are typed as complete
 * records, and test/local/cli-fixtures.test.ts checks each against the ingestion schemas).
 *
 * Each build takes fresh ids and instants, so every trigger is a new business fact (an order, a
 * fulfilment, a refund, a ticket: a new id; a product or stock level of the demo catalogue: a new
 * `updated_at`), never a duplicate of the last one. Amounts are Shopify's decimal strings and
 * storeflow's integer minor units; ids stay below 2^53 so they survive JSON in any language.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A timeline the delivery's events land on (`GET /api/<kind>s/{id}/timeline`). */
export interface TimelineKey {
  readonly kind: 'order' | 'sku' | 'ticket' | 'customer';
  readonly id: string;
}

/** Fresh values for one delivery. */
export interface Fresh {
  /** a Shopify-style numeric id (13 digits, unique in practice) */
  shopifyId(): number;
  /** a prefixed readable id: `TCK-83920514` */
  id(prefix: string): string;
  /** the delivery's instant plus `offsetSeconds`, in the store's +08:00 (as Shopify stamps them) */
  at(offsetSeconds?: number): string;
  /** the same in UTC (`…Z`), as storeflow envelopes carry it */
  utc(offsetSeconds?: number): string;
  uuid(): string;
}

export interface Fixture {
  readonly source: 'shopify' | 'storeflow';
  /** one line for `storeflow trigger --list` */
  readonly summary: string;
  /** the canonical events the delivery publishes */
  readonly events: readonly DetailType[];
  build(fresh: Fresh): JsonObject;
  /** where its events show up, read from the body as it is sent (after `--set`) */
  timeline(body: JsonObject): TimelineKey | undefined;
}

/** The store's UTC offset for Shopify timestamps (the default store time zone, Asia/Shanghai). */
const STORE_OFFSET_MINUTES = 8 * 60;

let lastInstant = 0;

/**
 * Fresh values for one delivery at `clockMs` (the runtime's clock, so a virtual clock moved days
 * ahead still gets current instants). Each delivery's instant is later than the previous one's in
 * this process, so two deliveries about the same product in the same millisecond are two facts.
 */
export function freshValues(clockMs: number): Fresh {
  lastInstant = Math.max(Math.floor(clockMs), lastInstant + 1);
  const base = lastInstant;
  return {
    shopifyId: () => 1_000_000_000_000 + randomInt(0, 8_999_999_999_999),
    id: (prefix) => `${prefix}-${randomInt(10_000_000, 99_999_999)}`,
    at: (offsetSeconds = 0) => storeTime(base + offsetSeconds * 1000),
    utc: (offsetSeconds = 0) => new Date(base + offsetSeconds * 1000).toISOString(),
    uuid: () => randomUUID(),
  };
}

/** `2026-11-20T10:16:30.123+08:00`, as Shopify stamps a shop's resources (with milliseconds). */
export function storeTime(ms: number): string {
  return `${new Date(ms + STORE_OFFSET_MINUTES * 60_000).toISOString().slice(0, -1)}+08:00`;
}

// --- the demo catalogue: one product, two variants, their inventory items -------------------------

const PRODUCT = { id: 632910392, title: 'IPod Nano - 8GB', vendor: 'Apple', type: 'Cult Products' };
const VARIANTS = [
  { id: 808950810, sku: 'IPOD2008PINK', title: 'Pink', price: '199.00', inventoryItemId: 39072856 },
  { id: 49148385, sku: 'IPOD2008RED', title: 'Red', price: '199.00', inventoryItemId: 49148385 },
] as const;
const LOCATION_ID = 24826418;
const SHIPPING = '10.00';

const gid = (type: string, id: number) => `gid://shopify/${type}/${id}`;

/** A Shopify order of one of each variant, as `orders/*` webhooks carry it. */
function order(fresh: Fresh, overrides: JsonObject = {}): JsonObject {
  const id = fresh.shopifyId();
  const createdAt = fresh.at(-120);
  const subtotal = VARIANTS.reduce((sum, v) => sum + Number(v.price), 0);
  return {
    id,
    admin_graphql_api_id: gid('Order', id),
    name: `#${randomInt(1000, 99999)}`,
    order_number: randomInt(1000, 99999),
    email: 'jon@example.com',
    contact_email: 'jon@example.com',
    created_at: createdAt,
    processed_at: createdAt,
    updated_at: createdAt,
    currency: 'CNY',
    presentment_currency: 'CNY',
    financial_status: 'pending',
    fulfillment_status: null,
    cancel_reason: null,
    cancelled_at: null,
    subtotal_price: subtotal.toFixed(2),
    total_line_items_price: subtotal.toFixed(2),
    total_discounts: '0.00',
    total_tax: '0.00',
    total_price: (subtotal + Number(SHIPPING)).toFixed(2),
    source_name: 'web',
    test: true,
    customer: {
      id: 115310627,
      admin_graphql_api_id: gid('Customer', 115310627),
      email: 'jon@example.com',
      first_name: 'Jon',
      last_name: 'Snow',
    },
    line_items: VARIANTS.map((v, i) => ({
      id: id + i + 1,
      admin_graphql_api_id: gid('LineItem', id + i + 1),
      product_id: PRODUCT.id,
      variant_id: v.id,
      sku: v.sku,
      title: PRODUCT.title,
      variant_title: v.title,
      name: `${PRODUCT.title} - ${v.title}`,
      quantity: 1,
      price: v.price,
      fulfillable_quantity: 1,
      fulfillment_service: 'manual',
      requires_shipping: true,
      taxable: true,
      grams: 567,
    })),
    shipping_address: {
      first_name: 'Jon',
      last_name: 'Snow',
      address1: '1 Century Avenue',
      city: 'Shanghai',
      province: 'Shanghai',
      country: 'China',
      country_code: 'CN',
      zip: '200120',
    },
    shipping_lines: [{ id: id + 100, code: 'standard', title: 'Standard', price: SHIPPING }],
    ...overrides,
  };
}

function fulfillment(fresh: Fresh, shipmentStatus: 'delivered' | null): JsonObject {
  const id = fresh.shopifyId();
  const orderId = fresh.shopifyId();
  // A delivered shipment left the warehouse the day before.
  const createdAt = fresh.at(shipmentStatus === 'delivered' ? -86_400 : 0);
  const tracking = `SF${randomInt(1_000_000_000, 9_999_999_999)}`;
  return {
    id,
    admin_graphql_api_id: gid('Fulfillment', id),
    order_id: orderId,
    name: `#${randomInt(1000, 99999)}.1`,
    status: 'success',
    service: 'manual',
    location_id: LOCATION_ID,
    created_at: createdAt,
    updated_at: shipmentStatus ? fresh.at() : createdAt,
    shipment_status: shipmentStatus,
    tracking_company: 'SF Express',
    tracking_number: tracking,
    tracking_numbers: [tracking],
    tracking_url: `https://www.sf-express.com/track?${tracking}`,
    line_items: VARIANTS.map((v, i) => ({
      id: orderId + i + 1,
      product_id: PRODUCT.id,
      variant_id: v.id,
      sku: v.sku,
      title: PRODUCT.title,
      quantity: 1,
      price: v.price,
      fulfillment_status: 'fulfilled',
    })),
  };
}

const str = (value: Json | undefined): string | undefined =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
const obj = (value: Json | undefined): JsonObject =>
  value && typeof value === 'object' && !Array.isArray(value) ? value : {};
const key = (kind: TimelineKey['kind'], id: string | undefined): TimelineKey | undefined =>
  id ? { kind, id } : undefined;
const firstSku = (lines: Json | undefined, pick: (line: JsonObject) => Json | undefined = (l) => l.sku) =>
  Array.isArray(lines) ? lines.map((l) => str(pick(obj(l)))).find(Boolean) : undefined;

const orderTimeline = (body: JsonObject) => key('order', str(body.id));
const orderIdTimeline = (body: JsonObject) => key('order', str(body.order_id));

export const SHOPIFY_FIXTURES: Readonly<Record<ShopifyTopic, Fixture>> = {
  'orders/create': {
    source: 'shopify',
    summary: 'a new order of two variants, not paid yet',
    events: ['OrderPlaced'],
    build: (fresh) => order(fresh),
    timeline: orderTimeline,
  },
  'orders/paid': {
    source: 'shopify',
    summary: 'an order paid now (starts its SLA promises)',
    events: ['OrderPaid'],
    build: (fresh) => {
      const paidAt = fresh.at();
      return order(fresh, { financial_status: 'paid', processed_at: paidAt, updated_at: paidAt });
    },
    timeline: orderTimeline,
  },
  'orders/cancelled': {
    source: 'shopify',
    summary: 'an order the customer cancelled',
    events: ['OrderCancelled'],
    build: (fresh) => {
      const at = fresh.at();
      return order(fresh, {
        financial_status: 'voided',
        cancel_reason: 'customer',
        cancelled_at: at,
        updated_at: at,
      });
    },
    timeline: orderTimeline,
  },
  'orders/fulfilled': {
    source: 'shopify',
    summary: 'an order shipped in full',
    events: ['ShipmentDispatched'],
    build: (fresh) =>
      order(fresh, { financial_status: 'paid', fulfillment_status: 'fulfilled', updated_at: fresh.at() }),
    timeline: orderTimeline,
  },
  'fulfillments/create': {
    source: 'shopify',
    summary: 'a shipment handed to the carrier',
    events: ['ShipmentDispatched'],
    build: (fresh) => fulfillment(fresh, null),
    timeline: orderIdTimeline,
  },
  'fulfillments/update': {
    source: 'shopify',
    summary: 'a shipment delivered (shipment_status delivered; other statuses publish nothing)',
    events: ['OrderDelivered'],
    build: (fresh) => fulfillment(fresh, 'delivered'),
    timeline: orderIdTimeline,
  },
  'refunds/create': {
    source: 'shopify',
    summary: 'one line of an order refunded',
    events: ['RefundIssued'],
    build: (fresh) => {
      const id = fresh.shopifyId();
      const orderId = fresh.shopifyId();
      const at = fresh.at();
      const line = VARIANTS[1];
      return {
        id,
        admin_graphql_api_id: gid('Refund', id),
        order_id: orderId,
        created_at: at,
        processed_at: at,
        note: 'wrong colour',
        restock: true,
        refund_line_items: [
          {
            id: id + 1,
            line_item_id: orderId + 2,
            location_id: LOCATION_ID,
            quantity: 1,
            restock_type: 'return',
            subtotal: Number(line.price),
            subtotal_set: {
              shop_money: { amount: line.price, currency_code: 'CNY' },
              presentment_money: { amount: line.price, currency_code: 'CNY' },
            },
            line_item: {
              id: orderId + 2,
              sku: line.sku,
              quantity: 1,
              price: line.price,
              title: PRODUCT.title,
            },
          },
        ],
        transactions: [
          {
            id: id + 2,
            order_id: orderId,
            kind: 'refund',
            status: 'success',
            amount: line.price,
            currency: 'CNY',
            gateway: 'bogus',
            created_at: at,
          },
        ],
      };
    },
    timeline: orderIdTimeline,
  },
  'inventory_levels/update': {
    source: 'shopify',
    summary: `the demo SKU ${VARIANTS[0].sku}'s stock at the warehouse (its SKU is known once products/update was seen)`,
    events: ['StockLevelChanged'],
    build: (fresh) => ({
      inventory_item_id: VARIANTS[0].inventoryItemId,
      location_id: LOCATION_ID,
      available: randomInt(0, 40),
      updated_at: fresh.at(),
      admin_graphql_api_id: `gid://shopify/InventoryLevel/${LOCATION_ID}?inventory_item_id=${VARIANTS[0].inventoryItemId}`,
    }),
    // The SKU of the demo catalogue's inventory item (a level carries no SKU of its own).
    timeline: (body) =>
      key(
        'sku',
        VARIANTS.find((v) => String(v.inventoryItemId) === str(body.inventory_item_id))?.sku ?? undefined,
      ),
  },
  'products/update': {
    source: 'shopify',
    summary: 'the demo product and its variants (teaches inventory item → SKU)',
    events: ['ProductUpdated'],
    build: (fresh) => ({
      id: PRODUCT.id,
      admin_graphql_api_id: gid('Product', PRODUCT.id),
      title: PRODUCT.title,
      vendor: PRODUCT.vendor,
      product_type: PRODUCT.type,
      handle: 'ipod-nano',
      status: 'active',
      created_at: storeTime(Date.parse('2026-01-05T09:00:00Z')),
      updated_at: fresh.at(),
      variants: VARIANTS.map((v, i) => ({
        id: v.id,
        admin_graphql_api_id: gid('ProductVariant', v.id),
        product_id: PRODUCT.id,
        title: v.title,
        sku: v.sku,
        price: v.price,
        position: i + 1,
        inventory_item_id: v.inventoryItemId,
        inventory_quantity: 10,
      })),
    }),
    timeline: (body) => key('sku', firstSku(body.variants)),
  },
};

/** A storeflow envelope: a fresh id (the dedupe key) and `occurredAt` now. */
const envelope = (type: StoreflowType, fresh: Fresh, data: JsonObject): JsonObject => ({
  id: `evt_${fresh.uuid()}`,
  type,
  occurredAt: fresh.utc(),
  data,
});
const cny = (amount: number): JsonObject => ({ amount, currency: 'CNY' });
const dataOf = (body: JsonObject) => obj(body.data);
const dataOrder = (body: JsonObject) => key('order', str(dataOf(body).orderId));
const dataTicket = (body: JsonObject) => key('ticket', str(dataOf(body).ticketId));

export const STOREFLOW_FIXTURES: Readonly<Record<StoreflowType, Fixture>> = {
  'presale.deposit_paid': {
    source: 'storeflow',
    summary: 'a 500 CNY deposit on presale SOFA-2026 (create it with PUT /api/presales/SOFA-2026 first)',
    events: ['PresaleDepositPaid'],
    build: (fresh) =>
      envelope('presale.deposit_paid', fresh, {
        orderId: String(fresh.shopifyId()),
        presaleId: 'SOFA-2026',
        customerId: fresh.id('C'),
        amount: cny(50_000),
      }),
    timeline: dataOrder,
  },
  'presale.balance_paid': {
    source: 'storeflow',
    summary: 'the 2,500 CNY balance of a presale order (--set data.orderId=<a deposit’s order>)',
    events: ['PresaleBalancePaid'],
    build: (fresh) =>
      envelope('presale.balance_paid', fresh, { orderId: String(fresh.shopifyId()), amount: cny(250_000) }),
    timeline: dataOrder,
  },
  'presale.cancelled': {
    source: 'storeflow',
    summary: 'a presale order cancelled by the customer',
    events: ['PresaleCancelled'],
    build: (fresh) =>
      envelope('presale.cancelled', fresh, {
        orderId: String(fresh.shopifyId()),
        reason: 'customer changed their mind',
      }),
    timeline: dataOrder,
  },
  'ticket.opened': {
    source: 'storeflow',
    summary: 'an after-sales ticket about an order (starts the first-response promise)',
    events: ['TicketOpened'],
    build: (fresh) =>
      envelope('ticket.opened', fresh, {
        ticketId: fresh.id('TCK'),
        orderId: String(fresh.shopifyId()),
        customerId: fresh.id('C'),
        subject: 'The sofa arrived with a scratch',
      }),
    timeline: dataTicket,
  },
  'ticket.responded': {
    source: 'storeflow',
    summary: 'the first answer to a ticket (--set data.ticketId=<an opened ticket>)',
    events: ['TicketResponded'],
    build: (fresh) =>
      envelope('ticket.responded', fresh, { ticketId: fresh.id('TCK'), orderId: String(fresh.shopifyId()) }),
    timeline: dataTicket,
  },
  'ticket.resolved': {
    source: 'storeflow',
    summary: 'a ticket resolved',
    events: ['TicketResolved'],
    build: (fresh) =>
      envelope('ticket.resolved', fresh, { ticketId: fresh.id('TCK'), orderId: String(fresh.shopifyId()) }),
    timeline: dataTicket,
  },
  'installation.completed': {
    source: 'storeflow',
    summary: 'an installation done at the customer’s home',
    events: ['InstallationCompleted'],
    build: (fresh) =>
      envelope('installation.completed', fresh, { orderId: String(fresh.shopifyId()), sku: VARIANTS[0].sku }),
    timeline: dataOrder,
  },
  'delivery.completed': {
    source: 'storeflow',
    summary: 'a delivery confirmed by a carrier outside Shopify',
    events: ['OrderDelivered'],
    build: (fresh) =>
      envelope('delivery.completed', fresh, {
        orderId: String(fresh.shopifyId()),
        shipmentId: String(fresh.shopifyId()),
      }),
    timeline: dataOrder,
  },
  'competitor.price_observed': {
    source: 'storeflow',
    summary: `a competitor's price for ${VARIANTS[0].sku}`,
    events: ['CompetitorPriceObserved'],
    build: (fresh) =>
      envelope('competitor.price_observed', fresh, {
        sku: VARIANTS[0].sku,
        competitor: 'jd.com',
        price: cny(18_900),
        observedAt: fresh.utc(-30),
        url: 'https://item.jd.com/100012043978.html',
      }),
    timeline: (body) => key('sku', str(dataOf(body).sku)),
  },
  'customer.registered': {
    source: 'storeflow',
    summary: 'a customer registered (add --set data.referralCode=<a code> to come invited)',
    events: ['CustomerRegistered'],
    build: (fresh) =>
      envelope('customer.registered', fresh, {
        customerId: String(fresh.shopifyId()),
        email: `${fresh.id('c').toLowerCase()}@example.com`,
        ip: '203.0.113.7',
      }),
    timeline: (body) => key('customer', str(dataOf(body).customerId)),
  },
};

/** Every fixture by its topic or type (names do not overlap: topics have `/`, types `.`). */
export const FIXTURES: Readonly<Record<string, Fixture>> = { ...SHOPIFY_FIXTURES, ...STOREFLOW_FIXTURES };
