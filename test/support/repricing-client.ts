import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pricingBucket } from '#adapters/dynamodb/pricing-store';
import { signStoreflow } from '#domain/ingestion/signatures';
import type { Body } from './api-body.ts';
import { restockClient } from './restock-client.ts';

const cny = (amount: number) => ({ amount, currency: 'CNY' });

/**
 * Drives repricing on a running local runtime as a price scraper and an operator do: signed
 * storeflow `competitor.price_observed` webhooks dated at the runtime's clock, SKUs with their
 * pricing fields, the rules, dry runs, what-ifs and price histories — on top of the restock
 * client (the catalog, Shopify orders, the virtual clock, the runs).
 */
export function repricingClient(url: string, dataDir: string) {
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
    secrets: Record<string, string>;
  };
  const base = restockClient(url, dataDir);
  let deliveries = 0;
  const client = {
    ...base,
    /** A signed `competitor.price_observed` (observed `observedAt`, default the runtime's now). */
    async observe(sku: string, competitor: string, amount: number, observedAt?: number): Promise<Response> {
      const now = await base.now();
      const body = JSON.stringify({
        id: `observe-${++deliveries}-${sku}-${competitor}`,
        type: 'competitor.price_observed',
        occurredAt: new Date(now).toISOString(),
        data: {
          sku,
          competitor,
          price: cny(amount),
          ...(observedAt === undefined ? {} : { observedAt: new Date(observedAt).toISOString() }),
          url: `https://shop.example.com/${competitor}/${sku}`,
        },
      });
      return fetch(`${url}/webhooks/storeflow`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'storeflow-signature': signStoreflow(
            body,
            secrets.secrets.StoreflowWebhookSecret!,
            Math.floor(now / 1000),
          ),
        },
        body,
      });
    },
    /** A SKU in the catalog (supplier `supplierId`, unit cost `cost`) with its pricing fields. */
    async sku(
      sku: string,
      fields: { onHand: number; cost: number; price?: number; listPrice?: number; campaignLocked?: boolean },
      supplierId = 'S1',
    ): Promise<Body> {
      return base.ok('PUT', `/api/skus/${sku}`, {
        title: sku,
        category: 'pricing',
        onHand: fields.onHand,
        supply: [{ supplierId, unitCost: cny(fields.cost), casePack: 1, minOrderQty: 0 }],
        ...(fields.price === undefined ? {} : { price: cny(fields.price) }),
        ...(fields.listPrice === undefined ? {} : { listPrice: cny(fields.listPrice) }),
        ...(fields.campaignLocked === undefined ? {} : { campaignLocked: fields.campaignLocked }),
      });
    },
    /** Every entry of a SKU's price history, newest first. */
    async prices(sku: string): Promise<Body[]> {
      const items: Body[] = [];
      let cursor: string | null = null;
      do {
        const page: Body = await base.ok(
          'GET',
          `/api/skus/${encodeURIComponent(sku)}/prices?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        );
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return items;
    },
    async price(sku: string): Promise<number> {
      return (await base.ok('GET', `/api/skus/${encodeURIComponent(sku)}`)).price.amount;
    },
  };
  return client;
}
export type RepricingClient = ReturnType<typeof repricingClient>;

/**
 * SKU ids made of `names` (`LOW` → `LOW-12`) that all fall in one pricing bucket, so an hourly run
 * over them is one child execution: runtime tests that run a week of hourly runs stay short.
 */
export function oneBucket<const T extends readonly string[]>(
  names: T,
  bucket = 7,
): { [K in keyof T]: string } {
  return names.map((name) => {
    for (let n = 0; ; n++) if (pricingBucket(`${name}-${n}`) === bucket) return `${name}-${n}`;
  }) as { [K in keyof T]: string };
}
