import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signStoreflow } from '#domain/ingestion/signatures';
import type { Body } from './api-body.ts';
import { restockClient } from './restock-client.ts';

export interface PaidOrder {
  /** SKU → units */
  readonly lines: Record<string, number>;
  readonly province?: string;
  /** the order total in yuan, as Shopify writes it ("256.00") */
  readonly total?: string;
  readonly customerId?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A Shopify orders/paid body. */
export function orderPaidPayload(orderId: number, paidAt: number, order: PaidOrder) {
  const at = iso(paidAt);
  return {
    id: orderId,
    name: `#${orderId}`,
    currency: 'CNY',
    total_price: order.total ?? '256.00',
    created_at: at,
    processed_at: at,
    updated_at: at,
    ...(order.customerId ? { customer: { id: order.customerId } } : {}),
    shipping_address: { province: order.province ?? 'Shanghai', country_code: 'CN' },
    line_items: Object.entries(order.lines).map(([sku, quantity], i) => ({
      sku,
      product_id: i + 1,
      variant_id: i + 1,
      title: sku,
      quantity,
      price: '1.00',
    })),
  };
}

/** A Shopify fulfillments/create body: the order's shipment left at `at`. */
export function dispatchedPayload(orderId: number, at: number) {
  return {
    id: orderId * 10,
    order_id: orderId,
    status: 'success',
    created_at: iso(at),
    updated_at: iso(at),
    tracking_company: 'SF Express',
    tracking_number: `SF${orderId * 10}`,
    line_items: [],
  };
}

/** A Shopify fulfillments/update body: the order's shipment delivered at `at`. */
export function deliveredPayload(orderId: number, at: number) {
  return {
    id: orderId * 10,
    order_id: orderId,
    status: 'success',
    shipment_status: 'delivered',
    created_at: iso(at - 3_600_000),
    updated_at: iso(at),
    line_items: [],
  };
}

/**
 * Drives SLA compensation on a running local runtime as the platforms and an operator do: signed
 * Shopify orders and fulfilments, signed storeflow ticket and delivery webhooks, the operations
 * API, the virtual clock. Built on the restock client (its catalog gives SKUs their categories).
 */
export function slaClient(url: string, dataDir: string) {
  const base = restockClient(url, dataDir);
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
    secrets: Record<string, string>;
  };
  let envelopes = 0;
  let deliveries = 0;
  const client = {
    ...base,
    async expectOk(res: Response, what: string) {
      if (res.status !== 200) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    },
    /** A signed Shopify delivery with the given webhook id (a platform retry reuses it). */
    shopifyAs(topic: string, payload: unknown, webhookId: string) {
      return base.shopify(topic, payload, webhookId);
    },
    /** A paid Shopify order (orders/paid), paid at `paidAt`; returns the delivery's webhook id. */
    async paid(orderId: number, paidAt: number, order: PaidOrder, webhookId = `sla-${++deliveries}`) {
      await client.expectOk(
        await client.shopifyAs('orders/paid', orderPaidPayload(orderId, paidAt, order), webhookId),
        `orders/paid ${orderId}`,
      );
      return webhookId;
    },
    /** A shipment leaves (fulfillments/create). */
    async dispatched(orderId: number, at: number, webhookId = `sla-${++deliveries}`) {
      await client.expectOk(
        await client.shopifyAs('fulfillments/create', dispatchedPayload(orderId, at), webhookId),
        `fulfillments/create ${orderId}`,
      );
      return webhookId;
    },
    /** The shipment is delivered (fulfillments/update with shipment_status delivered). */
    async delivered(orderId: number, at: number, webhookId = `sla-${++deliveries}`) {
      await client.expectOk(
        await client.shopifyAs('fulfillments/update', deliveredPayload(orderId, at), webhookId),
        `fulfillments/update ${orderId}`,
      );
      return webhookId;
    },
    /** A signed storeflow webhook (`ticket.opened`, `delivery.completed`, ...). */
    async storeflow(type: string, data: Record<string, unknown>, occurredAt: number, id?: string) {
      const body = JSON.stringify({
        id: id ?? `sla-${++envelopes}`,
        type,
        occurredAt: iso(occurredAt),
        data,
      });
      return fetch(`${url}/webhooks/storeflow`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'storeflow-signature': signStoreflow(
            body,
            secrets.secrets.StoreflowWebhookSecret!,
            Math.floor((await base.now()) / 1000),
          ),
        },
        body,
      });
    },
    async promises(kind: 'orders' | 'tickets', id: string | number): Promise<Body[]> {
      return (await base.ok('GET', `/api/${kind}/${encodeURIComponent(String(id))}/promises`)).items;
    },
    async promise(kind: 'orders' | 'tickets', id: string | number, policyId: string): Promise<Body> {
      const found = (await client.promises(kind, id)).find((p) => p.policyId === policyId);
      if (!found) throw new Error(`no ${policyId} promise for ${kind} ${id}`);
      return found;
    },
    /** Every breach in [from, to), page by page. */
    async ledger(from: number, to: number, kind?: string) {
      const items: Body[] = [];
      let totals: Body = null;
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ from: iso(from), to: iso(to), limit: '50' });
        if (kind) query.set('kind', kind);
        if (cursor) query.set('cursor', cursor);
        const page = await base.ok('GET', `/api/sla/ledger?${query}`);
        items.push(...page.items);
        totals = page.totals;
        cursor = page.nextCursor;
      } while (cursor);
      return { items, totals };
    },
    /** An order's or a ticket's timeline. */
    async timelineOf(kind: 'orders' | 'tickets', id: string | number): Promise<Body[]> {
      return (await base.ok('GET', `/api/${kind}/${encodeURIComponent(String(id))}/timeline?limit=1000`))
        .items;
    },
    /** The `CompensationIssued` lines of an order's (or ticket's) timeline. */
    async compensations(id: string | number, kind: 'orders' | 'tickets' = 'orders'): Promise<Body[]> {
      return (await client.timelineOf(kind, id)).filter((l: Body) => l.name === 'CompensationIssued');
    },
  };
  return client;
}
export type SlaClient = ReturnType<typeof slaClient>;
