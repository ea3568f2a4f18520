import { catalogSkusInCategories, DynamoCampaignStore } from '#adapters/dynamodb/campaign-store';
import { DynamoCatalogReader } from '#adapters/dynamodb/catalog-reader';
import { DynamoSkuPricingStore } from '#adapters/dynamodb/sku-pricing-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/publisher';
import type { SkuPricingPort } from '#domain/campaigns/store';
import { skuPricingAdmin } from '#domain/repricing/sku-pricing';
import { ValidationError } from '#domain/shared/errors';
import { storefrontCounts } from './campaigns.ts';
import { clock, db, eventBridgeClient, loadConfig, requireEnv } from './runtime.ts';

/**
 * Repricing's SKU pricing as a campaign or an experiment changes it: through repricing's own use
 * case (its guardrails, its history and its PriceChanged), so a lock or a winning price is a change
 * like any other.
 */
export function skuPricingPort(): SkuPricingPort {
  const config = loadConfig();
  const store = new DynamoSkuPricingStore(db(), config.TABLE_NAME);
  const catalog = new DynamoCatalogReader(db(), config.TABLE_NAME);
  const admin = skuPricingAdmin({ store, publisher: publisher(), clock });
  return {
    async setCampaignLock(sku, locked) {
      const current = await store.getPricing(sku);
      if ((current?.campaignLocked ?? false) === locked) return;
      await admin.saveSkuPricing(sku, { campaignLocked: locked });
    },
    async setPrice(sku, price) {
      const facts = (await catalog.facts([sku])).get(sku);
      try {
        await admin.checkSkuPricing(sku, { price }, facts?.unitCosts ?? []);
      } catch (error) {
        if (error instanceof ValidationError) return { applied: false, reason: error.message };
        throw error;
      }
      await admin.saveSkuPricing(sku, { price });
      return { applied: true };
    },
  };
}

export function publisher() {
  return new EventBridgePublisher(
    eventBridgeClient(),
    requireEnv(loadConfig().EVENT_BUS_NAME, 'EVENT_BUS_NAME'),
  );
}

/** The launch and experiment runs' steps: the campaign deps, the bus, the timeline and repricing. */
export function campaignRunDeps() {
  const table = loadConfig().TABLE_NAME;
  return {
    store: new DynamoCampaignStore(db(), table),
    // A campaign on categories locks the catalog's SKUs in them (the quote's reads stay out).
    catalog: {
      skusInCategories: (categories: readonly string[]) => catalogSkusInCategories(db(), table, categories),
    },
    counts: storefrontCounts(),
    clock,
    publisher: publisher(),
    timeline: new DynamoTimelineRepository(db(), table),
    pricing: skuPricingPort(),
  };
}
