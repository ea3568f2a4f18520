import { withoutSkuPricingFields } from '#domain/pricing/sku-pricing';
import { type SkuPricingAdmin, skuPricingView } from '#domain/repricing/sku-pricing';
import type { RestockAdmin } from '#domain/restock/admin';
import type { Money } from '#domain/shared/money';
import { parseId } from '#domain/shared/schemas';
import { type HttpResult, json } from './http.ts';

/**
 * `PUT`/`GET /api/skus/{sku}` compose two features' fields of one SKU:
 * restock's (title, category, stock, supply) and pricing's (list price, price, margins, campaign
 * lock), each kept in its feature's own item, so neither feature imports the other (decision 24).
 * A `PUT` checks both before it saves either — pricing's fields against the cost the body's supply
 * gives the SKU — then saves restock's (the catalog entry) and pricing's.
 */
export function skuRoutes(restock: RestockAdmin, pricing: SkuPricingAdmin) {
  /** The unit costs a SKU body's supply names (what its margin floor will be measured against). */
  const unitCostsOf = (body: unknown): Money[] => {
    const supply = (body as { supply?: unknown } | null)?.supply;
    if (!Array.isArray(supply)) return [];
    return supply.flatMap((o) => {
      const cost = (o as { unitCost?: Partial<Money> } | null)?.unitCost;
      return cost && Number.isSafeInteger(cost.amount) && typeof cost.currency === 'string'
        ? [{ amount: cost.amount as number, currency: cost.currency }]
        : [];
    });
  };

  return {
    async put(sku: unknown, body: unknown): Promise<HttpResult> {
      const id = parseId(sku, 'sku');
      const { patch } = await pricing.checkSkuPricing(id, body, unitCostsOf(body));
      const saved = await restock.putSku(id, withoutSkuPricingFields(body));
      const priced = await pricing.saveSkuPricing(id, patch);
      return json(saved.created ? 201 : 200, { ...saved.sku, ...skuPricingView(priced) });
    },
    async get(sku: string): Promise<HttpResult> {
      const view = await restock.getSku(sku);
      return json(200, { ...view, ...skuPricingView(await pricing.getSkuPricing(view.sku)) });
    },
  };
}
