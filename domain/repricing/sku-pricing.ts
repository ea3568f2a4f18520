import type { EventPublisher } from '../events/publisher.ts';
import { DEFAULT_PRICING_RULES } from '../pricing/pricing-rules.ts';
import {
  applySkuPricing,
  checkSkuPricing,
  NO_SKU_PRICING,
  parseSkuPricing,
  type SkuPricing,
  type SkuPricingPatch,
} from '../pricing/sku-pricing.ts';
import { marginCost } from '../shared/catalog.ts';
import type { Clock } from '../shared/clock.ts';
import { ConflictError } from '../shared/errors.ts';
import type { Money } from '../shared/money.ts';
import { apiChangeKey, priceChangedEvent } from './events.ts';
import type { PriceChange, PricingStore, StoredSkuPricing } from './store.ts';

/**
 * A SKU's pricing fields as `PUT`/`GET /api/skus/{sku}` set and show them beside restock's
 * (functions/_shared/sku-api.ts): a module of its own, so the restock API's bundle carries only
 * this much of pricing.
 */

const SAVE_ATTEMPTS = 5;

/** The pricing fields a SKU view shows. */
export function skuPricingView(pricing: StoredSkuPricing | null) {
  const p = pricing ?? NO_SKU_PRICING;
  return {
    listPrice: p.listPrice,
    price: p.price,
    minMarginBps: p.minMarginBps,
    maxMarkupBps: p.maxMarkupBps,
    campaignLocked: p.campaignLocked,
    pricingVersion: pricing?.version ?? 0,
    lastPriceChange: pricing?.lastChange ? changeSummary(pricing.lastChange) : null,
  };
}

export const changeSummary = (c: PriceChange) => ({
  at: c.at,
  source: c.source,
  runId: c.runId,
  old: c.oldPrice,
  new: c.newPrice,
  rules: c.rules,
  guardrail: c.guardrail,
});

export function skuPricingAdmin(deps: {
  readonly store: Pick<PricingStore, 'getRules' | 'getPricing' | 'savePricing'>;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
}) {
  const nowIso = () => deps.clock.now().toISOString();
  const rulesInForce = async () => (await deps.store.getRules()) ?? DEFAULT_PRICING_RULES;
  return {
    /**
     * The pricing fields of a SKU body checked against the SKU's pricing now and the cost the body
     * gives it (its supply), before anything is saved: 400 naming the field.
     */
    async checkSkuPricing(sku: string, body: unknown, unitCosts: readonly Money[]) {
      const patch = parseSkuPricing(body);
      if (Object.keys(patch).length === 0) return { patch, pricing: null };
      const current = await deps.store.getPricing(sku);
      const pricing = applySkuPricing(current ?? NO_SKU_PRICING, patch);
      const currency = pricing.price?.currency ?? pricing.listPrice?.currency;
      const cost = currency ? marginCost({ sku, onHand: 0, unitCosts }, currency) : null;
      checkSkuPricing(pricing, { cost, rules: await rulesInForce() }, patch);
      return { patch, pricing };
    },
    /** Saves the SKU's pricing fields; a price set by hand is a price change (history, event). */
    async saveSkuPricing(sku: string, patch: SkuPricingPatch) {
      if (Object.keys(patch).length === 0) return deps.store.getPricing(sku);
      for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
        const current = await deps.store.getPricing(sku);
        const pricing: SkuPricing = applySkuPricing(current ?? NO_SKU_PRICING, patch);
        const at = nowIso();
        const old = current?.price ?? null;
        const moved =
          pricing.price !== null &&
          patch.price !== undefined &&
          (old === null || old.amount !== pricing.price.amount || old.currency !== pricing.price.currency);
        const change: Omit<PriceChange, 'version'> | null = moved
          ? {
              sku,
              at,
              source: 'api',
              runId: null,
              oldPrice: old,
              newPrice: pricing.price as Money,
              rules: [],
              guardrail: null,
              rulesVersion: null,
              decision: null,
            }
          : null;
        const saved = await deps.store.savePricing(sku, pricing, current?.version ?? null, at, change);
        if (saved.saved) {
          if (change) {
            await deps.publisher.publish([
              priceChangedEvent(
                { ...change, version: saved.record.version },
                at,
                apiChangeKey({ sku, version: saved.record.version }),
                saved.record.bundles.length > 0,
              ),
            ]);
          }
          return saved.record;
        }
      }
      throw new ConflictError(`the pricing of SKU ${sku} kept changing while it was being saved; try again`);
    },
    async getSkuPricing(sku: string) {
      return deps.store.getPricing(sku);
    },
  };
}
export type SkuPricingAdmin = ReturnType<typeof skuPricingAdmin>;
