import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { signShopify } from '#domain/ingestion/signatures';
import type { Body } from './api-body.ts';

/** The store's time zone in these tests: Asia/Shanghai is UTC+8 all year (no daylight saving). */
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/**
 * Drives restock on a running local runtime as a platform and an operator do: signed Shopify
 * webhooks (orders, products, inventory levels), the operations API with the admin token, the
 * virtual clock, and the Step Functions API for the runs.
 */
export function restockClient(url: string, dataDir: string) {
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
    adminToken: string;
    secrets: Record<string, string>;
  };
  const sfn = new SFNClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let deliveries = 0;
  const client = {
    url,
    authorization: `Bearer ${secrets.adminToken}`,
    async now(): Promise<number> {
      const res = await fetch(`${url}/_local/clock`);
      return Date.parse(((await res.json()) as { now: string }).now);
    },
    async settle() {
      await fetch(`${url}/_local/settle`, { method: 'POST' });
    },
    async advance(seconds: number) {
      const res = await fetch(`${url}/_local/clock/advance`, {
        method: 'POST',
        body: JSON.stringify({ seconds }),
      });
      if (res.status !== 200) throw new Error(`advance: ${res.status} ${await res.text()}`);
    },
    /** Moves the clock to the next time the store's (Shanghai) clock shows `hh:mm`. */
    async advanceToLocal(hhmm: string): Promise<number> {
      const now = await client.now();
      const [h, m] = hhmm.split(':').map(Number) as [number, number];
      const local = new Date(now + SHANGHAI_OFFSET_MS);
      let target =
        Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), h, m) - SHANGHAI_OFFSET_MS;
      if (target <= now) target += 86_400_000;
      await client.advance((target - now) / 1000);
      return target;
    },
    /** The store's (Shanghai) date of an instant. */
    storeDate(at: number): string {
      return new Date(at + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
    },
    async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: client.authorization, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as Body };
    },
    async ok(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Body> {
      const res = await client.api(method, path, body, headers);
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    /** A signed Shopify delivery; `webhookId` reused is a platform retry (default: a new one). */
    async shopify(topic: string, payload: unknown, webhookId = `restock-${++deliveries}`): Promise<Response> {
      const body = JSON.stringify(payload);
      return fetch(`${url}/webhooks/shopify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': topic,
          'x-shopify-hmac-sha256': signShopify(body, secrets.secrets.ShopifyWebhookSecret!),
          'x-shopify-webhook-id': webhookId,
          'x-shopify-shop-domain': 'demo.myshopify.com',
        },
        body,
      });
    },
    /** A paid Shopify order with `lines` (SKU → units), paid at `paidAt`. */
    async orderPaid(orderId: number, paidAt: number, lines: Record<string, number>) {
      const at = new Date(paidAt).toISOString();
      const res = await client.shopify('orders/paid', {
        id: orderId,
        name: `#${orderId}`,
        currency: 'CNY',
        total_price: '1.00',
        created_at: at,
        processed_at: at,
        updated_at: at,
        line_items: Object.entries(lines).map(([sku, quantity], i) => ({
          sku,
          product_id: i + 1,
          variant_id: i + 1,
          title: sku,
          quantity,
          price: '1.00',
        })),
      });
      if (res.status !== 200) throw new Error(`orders/paid ${orderId}: ${res.status} ${await res.text()}`);
    },
    async timeline(
      kind: 'orders' | 'skus',
      id: string,
    ): Promise<Array<{ at: string; kind: string; name: string; detail: Body }>> {
      return (await client.ok('GET', `/api/${kind}/${encodeURIComponent(id)}/timeline?limit=1000`)).items;
    },
    async purchaseOrders(query = ''): Promise<Body[]> {
      const items: Body[] = [];
      let cursor: string | null = null;
      do {
        const page = await client.ok(
          'GET',
          `/api/purchase-orders?limit=100${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return items;
    },
    async runs(machine: RegExp): Promise<Array<{ name: string; status: string }>> {
      const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
      const arn = stateMachines.find((m) => machine.test(m.name ?? ''))?.stateMachineArn;
      if (!arn) throw new Error(`no state machine ${machine}`);
      const { executions = [] } = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 1000 }),
      );
      return executions.map((e) => ({ name: e.name!, status: e.status! }));
    },
    close() {
      sfn.destroy();
    },
  };
  return client;
}
export type RestockClient = ReturnType<typeof restockClient>;
