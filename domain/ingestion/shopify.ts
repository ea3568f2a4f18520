import { type CanonicalEvent, canonicalEvent } from '../events/catalog.ts';
import type { BusinessKey } from '../events/envelope.ts';
import { ValidationError } from '../shared/errors.ts';
import { CurrencySchema, fromDecimalString, type Money, MoneyError } from '../shared/money.ts';
import { hasControlCharacters, instantSchema } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';

/** The Shopify topics storeflow subscribes to (SPEC §1). */
export const SHOPIFY_TOPICS = [
  'orders/create',
  'orders/paid',
  'orders/cancelled',
  'orders/fulfilled',
  'fulfillments/create',
  'fulfillments/update',
  'refunds/create',
  'inventory_levels/update',
  'products/update',
] as const;
export type ShopifyTopic = (typeof SHOPIFY_TOPICS)[number];

export function isShopifyTopic(value: string): value is ShopifyTopic {
  return (SHOPIFY_TOPICS as readonly string[]).includes(value);
}

/** Shopify ids are unsigned 64-bit integers (at most 20 digits): kept as exact decimal strings. */
const shopifyId = z.pipe(
  z.union(
    [
      z.string().check(z.regex(/^\d{1,20}$/, 'must be a numeric id of at most 20 digits')),
      z.int().check(z.nonnegative()),
    ],
    'must be a numeric id',
  ),
  z.transform(String),
);
const optionalId = z.pipe(
  z.nullish(shopifyId),
  z.transform((v) => v ?? null),
);
/**
 * An amount Shopify sends as a decimal string. Totals, prices and refunds are never negative; the
 * digits are bounded so a 100 KB "number" is refused before it is parsed.
 */
const decimal = z
  .string()
  .check(
    z.regex(
      /^\d{1,16}(\.\d{1,8})?$/,
      'must be a non-negative decimal amount such as "199.00" (at most 16 digits before the point)',
    ),
  );
const timestamp = instantSchema();
const currency = CurrencySchema;
const count = z.int().check(z.nonnegative());
const maybeString = z.nullish(z.string());
/** Shopify's own limit for a SKU; a SKU is also a business key (timelines, restock). */
export const MAX_SKU_LENGTH = 255;
const sku = z.nullish(
  z.string().check(
    z.maxLength(MAX_SKU_LENGTH, `must be at most ${MAX_SKU_LENGTH} characters`),
    z.refine((v) => !hasControlCharacters(v), 'must not contain control characters'),
  ),
);

const LineItem = z.object({
  sku,
  product_id: optionalId,
  variant_id: optionalId,
  title: z._default(z.string(), ''),
  quantity: count,
  price: decimal,
});

const Order = z.object({
  id: shopifyId,
  name: maybeString,
  currency,
  total_price: decimal,
  subtotal_price: z.nullish(decimal),
  created_at: timestamp,
  processed_at: z.nullish(timestamp),
  updated_at: z.nullish(timestamp),
  cancelled_at: z.nullish(timestamp),
  cancel_reason: maybeString,
  customer: z.nullish(z.object({ id: shopifyId })),
  line_items: z.array(LineItem),
  shipping_address: z.nullish(z.object({ province: maybeString, country_code: maybeString })),
  discount_codes: z._default(
    z
      .array(
        z.object({
          code: z.string().check(z.minLength(1), z.maxLength(255, 'must be at most 255 characters')),
        }),
      )
      .check(z.maxLength(100, 'must list at most 100 codes')),
    [],
  ),
});

const FulfillmentLine = z.object({ sku, quantity: count });
const Fulfillment = z.object({
  id: shopifyId,
  order_id: shopifyId,
  created_at: timestamp,
  updated_at: z.nullish(timestamp),
  tracking_company: maybeString,
  tracking_number: maybeString,
  shipment_status: maybeString,
  line_items: z._default(z.array(FulfillmentLine), []),
});

const Refund = z.object({
  id: shopifyId,
  order_id: shopifyId,
  created_at: timestamp,
  refund_line_items: z._default(
    z.array(
      z.object({
        quantity: count,
        line_item: z.nullish(z.object({ sku })),
        subtotal_set: z.nullish(z.object({ shop_money: z.object({ currency_code: currency }) })),
      }),
    ),
    [],
  ),
  transactions: z._default(
    z.array(
      z.object({ amount: decimal, currency: z.nullish(currency), kind: z.string(), status: z.string() }),
    ),
    [],
  ),
});

const InventoryLevel = z.object({
  inventory_item_id: shopifyId,
  location_id: shopifyId,
  available: z.nullable(z.int()),
  updated_at: timestamp,
});

const Product = z.object({
  id: shopifyId,
  title: z.string(),
  updated_at: timestamp,
  variants: z._default(
    z.array(z.object({ id: shopifyId, sku, price: decimal, inventory_item_id: optionalId })),
    [],
  ),
});

/** What normalization needs to know beyond the payload. */
export interface ShopifyContext {
  readonly shopDomain: string | null;
  /** The store's currency for payloads that carry none (products). */
  readonly storeCurrency: string;
  /** Resolves a Shopify inventory item to its SKU (learned from products/update). */
  skuForInventoryItem(inventoryItemId: string): Promise<string | null>;
}

function toMoney(value: string, cur: string, field: string): Money {
  try {
    return fromDecimalString(value, cur);
  } catch (error) {
    if (error instanceof MoneyError) throw ValidationError.field(field, error.message);
    throw error;
  }
}

/** Shopify prefers the gid when the numeric id would not survive a float round-trip. */
function orderFields(order: z.infer<typeof Order>, ctx: ShopifyContext) {
  const lines = order.line_items.map((line, i) => ({
    sku: line.sku || null,
    productId: line.product_id,
    variantId: line.variant_id,
    title: line.title,
    quantity: line.quantity,
    unitPrice: toMoney(line.price, order.currency, `line_items.${i}.price`),
  }));
  const total = toMoney(order.total_price, order.currency, 'total_price');
  return {
    orderId: order.id,
    orderName: order.name ?? null,
    shopDomain: ctx.shopDomain,
    customerId: order.customer?.id ?? null,
    total,
    subtotal: order.subtotal_price ? toMoney(order.subtotal_price, order.currency, 'subtotal_price') : total,
    lines,
    shippingRegion: order.shipping_address?.province ?? order.shipping_address?.country_code ?? null,
    placedAt: order.created_at,
  };
}

/**
 * What a delivery turns into: canonical events, keys it concerns that no event names, and the
 * identity of the fact it reports.
 */
export interface Normalized {
  readonly events: CanonicalEvent[];
  readonly extraKeys: BusinessKey[];
  /**
   * The business fact, independent of the delivery: topic, resource id and the resource's version
   * (`orders/paid:450789469001@2026-11-20T10:16:30+08:00`). Shopify's webhook id is not covered by
   * its signature, so the same signed body sent under a new id must be recognised as the same fact
   * (SPEC §1, issue #10): this is the dedupe key and the seed of the event ids.
   */
  readonly factKey: string;
  /** The payload field that makes the events big, named when they exceed a downstream limit. */
  readonly sizeField: string;
}

/**
 * Normalizes one Shopify delivery into zero or more canonical events. A payload that breaks its
 * topic's schema is a ValidationError naming the field.
 */
export async function normalizeShopify(
  topic: ShopifyTopic,
  payload: unknown,
  ctx: ShopifyContext,
): Promise<Normalized> {
  switch (topic) {
    case 'orders/create':
    case 'orders/paid':
    case 'orders/cancelled':
    case 'orders/fulfilled': {
      const order = parseOrThrow(Order, payload);
      // Every amount is checked against its currency, whatever the topic uses of it: a payload
      // with a malformed total is refused, not half-read.
      orderFields(order, ctx);
      return {
        events: orderEvents(topic, order, ctx),
        extraKeys: [],
        factKey: factKey(topic, order.id, order.updated_at ?? order.processed_at ?? order.created_at),
        sizeField: 'line_items',
      };
    }
    case 'fulfillments/create':
    case 'fulfillments/update': {
      const f = parseOrThrow(Fulfillment, payload);
      return {
        events: fulfillmentEvents(topic, f),
        // An update that is not a delivery publishes nothing but still belongs on the order's timeline.
        extraKeys: topic === 'fulfillments/update' ? [{ type: 'order', id: f.order_id }] : [],
        factKey: factKey(topic, f.id, f.updated_at ?? f.created_at, f.shipment_status ?? ''),
        sizeField: 'line_items',
      };
    }
    case 'refunds/create': {
      const r = parseOrThrow(Refund, payload);
      // A refund never changes once created: its id is its identity.
      return {
        events: [refundEvent(r)],
        extraKeys: [],
        factKey: factKey(topic, r.id),
        sizeField: 'refund_line_items',
      };
    }
    case 'inventory_levels/update': {
      const level = parseOrThrow(InventoryLevel, payload);
      return {
        events: [
          canonicalEvent('StockLevelChanged', {
            sku: await ctx.skuForInventoryItem(level.inventory_item_id),
            inventoryItemId: level.inventory_item_id,
            locationId: level.location_id,
            available: level.available,
            changedAt: level.updated_at,
          }),
        ],
        extraKeys: [],
        // Two levels stamped in the same second are different facts when the quantity differs.
        factKey: factKey(
          topic,
          `${level.inventory_item_id}/${level.location_id}`,
          level.updated_at,
          String(level.available),
        ),
        sizeField: '(body)',
      };
    }
    case 'products/update': {
      const p = parseOrThrow(Product, payload);
      return {
        events: [
          canonicalEvent('ProductUpdated', {
            productId: p.id,
            title: p.title,
            variants: p.variants.map((v, i) => ({
              variantId: v.id,
              sku: v.sku || null,
              inventoryItemId: v.inventory_item_id,
              price: toMoney(v.price, ctx.storeCurrency, `variants.${i}.price`),
            })),
            updatedAt: p.updated_at,
          }),
        ],
        extraKeys: [],
        factKey: factKey(topic, p.id, p.updated_at),
        sizeField: 'variants',
      };
    }
  }
}

/** `topic:resource@version[#discriminator]`: every part bounded (ids ≤ 20 digits, ISO instants). */
function factKey(topic: ShopifyTopic, resourceId: string, version?: string, discriminator?: string): string {
  return `${topic}:${resourceId}${version ? `@${version}` : ''}${discriminator ? `#${discriminator}` : ''}`;
}

function orderEvents(
  topic: 'orders/create' | 'orders/paid' | 'orders/cancelled' | 'orders/fulfilled',
  order: z.infer<typeof Order>,
  ctx: ShopifyContext,
): CanonicalEvent[] {
  switch (topic) {
    case 'orders/create':
      return [canonicalEvent('OrderPlaced', orderFields(order, ctx))];
    case 'orders/paid': {
      const paidAt = order.processed_at ?? order.updated_at ?? order.created_at;
      const discountCodes = [...new Set(order.discount_codes.map((d) => d.code))];
      return [
        canonicalEvent('OrderPaid', {
          ...orderFields(order, ctx),
          paidAt,
          ...(discountCodes.length > 0 ? { discountCodes } : {}),
        }),
      ];
    }
    case 'orders/cancelled':
      if (!order.cancelled_at)
        throw ValidationError.field('cancelled_at', 'is required for orders/cancelled');
      return [
        canonicalEvent('OrderCancelled', {
          orderId: order.id,
          reason: order.cancel_reason ?? null,
          cancelledAt: order.cancelled_at,
          skus: [...new Set(order.line_items.map((l) => l.sku).filter((s): s is string => Boolean(s)))],
        }),
      ];
    case 'orders/fulfilled':
      return [
        canonicalEvent('ShipmentDispatched', {
          orderId: order.id,
          shipmentId: null,
          carrier: null,
          trackingNumber: null,
          lines: order.line_items.map((l) => ({ sku: l.sku || null, quantity: l.quantity })),
          dispatchedAt: order.updated_at ?? order.created_at,
        }),
      ];
  }
}

function fulfillmentEvents(
  topic: 'fulfillments/create' | 'fulfillments/update',
  f: z.infer<typeof Fulfillment>,
): CanonicalEvent[] {
  if (topic === 'fulfillments/create') {
    return [
      canonicalEvent('ShipmentDispatched', {
        orderId: f.order_id,
        shipmentId: f.id,
        carrier: f.tracking_company ?? null,
        trackingNumber: f.tracking_number ?? null,
        lines: f.line_items.map((l) => ({ sku: l.sku || null, quantity: l.quantity })),
        dispatchedAt: f.created_at,
      }),
    ];
  }
  // Only a delivered shipment is a business fact storeflow acts on; other updates stay on the
  // timeline as the webhook itself.
  if (f.shipment_status !== 'delivered') return [];
  return [
    canonicalEvent('OrderDelivered', {
      orderId: f.order_id,
      shipmentId: f.id,
      deliveredAt: f.updated_at ?? f.created_at,
    }),
  ];
}

function refundEvent(r: z.infer<typeof Refund>): CanonicalEvent {
  const refunds = r.transactions.filter((t) => t.kind === 'refund' && t.status === 'success');
  const cur =
    refunds.find((t) => t.currency)?.currency ??
    r.refund_line_items.find((l) => l.subtotal_set)?.subtotal_set?.shop_money.currency_code;
  if (!cur) throw ValidationError.field('transactions', 'no currency on any refund transaction or line');
  const amount = refunds.reduce((sum, t) => {
    const i = r.transactions.indexOf(t);
    return sum + toMoney(t.amount, cur, `transactions.${i}.amount`).amount;
  }, 0);
  if (!Number.isSafeInteger(amount))
    throw ValidationError.field('transactions', 'the refunded total is too large');
  return canonicalEvent('RefundIssued', {
    orderId: r.order_id,
    refundId: r.id,
    amount: { amount, currency: cur },
    lines: r.refund_line_items.map((l) => ({ sku: l.line_item?.sku || null, quantity: l.quantity })),
    refundedAt: r.created_at,
  });
}
