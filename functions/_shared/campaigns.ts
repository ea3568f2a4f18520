import { DynamoCampaignStore, DynamoCatalogPrices } from '#adapters/dynamodb/campaign-store';
import { DynamoCatalogReader } from '#adapters/dynamodb/catalog-reader';
import { DynamoCustomerPerks } from '#adapters/dynamodb/member-perks';
import { DynamoMetricsStore } from '#adapters/dynamodb/metrics-store';
import { DynamoPricingStore } from '#adapters/dynamodb/pricing-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/publisher';
import type { SkuPricingPort } from '#domain/campaigns/store';
import { variantCountsSource } from '#domain/metrics/queries';
import { skuPricingAdmin } from '#domain/repricing/sku-pricing';
import { ValidationError } from '#domain/shared/errors';
import type { VariantCountsSource } from '#domain/shared/variant-counts';
import { clock, db, eventBridgeClient, loadConfig, requireEnv } from './runtime.ts';

/**
 * The pilot's and the A/B tests' counts: the metrics feature's port over its facts (issue #16),
 * in the store's time zone (its days partition the facts).
 */
export function storefrontCounts(): VariantCountsSource {
  return variantCountsSource({
    reader: new DynamoMetricsStore(db(), loadConfig().TABLE_NAME),
    timeZone: requireEnv(process.env.STORE_TIME_ZONE, 'STORE_TIME_ZONE'),
  });
}

/**
 * Repricing's SKU pricing as a campaign or an experiment changes it: through repricing's own use
 * case (its guardrails, its history and its PriceChanged), so a lock or a winning price is a change
 * like any other.
 */
export function skuPricingPort(): SkuPricingPort {
  const config = loadConfig();
  const store = new DynamoPricingStore(db(), config.TABLE_NAME);
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

function publisher() {
  return new EventBridgePublisher(
    eventBridgeClient(),
    requireEnv(loadConfig().EVENT_BUS_NAME, 'EVENT_BUS_NAME'),
  );
}

/** Wires the campaign use cases to the single table, the bus and the clock. */
export function campaignDeps() {
  const config = loadConfig();
  const members = new DynamoCustomerPerks(db(), config.TABLE_NAME, clock);
  return {
    store: new DynamoCampaignStore(db(), config.TABLE_NAME),
    catalog: new DynamoCatalogPrices(db(), config.TABLE_NAME),
    counts: storefrontCounts(),
    // The member tier, new-user perks and the coupon ledger (issue #18), through their ports.
    perks: members,
    coupons: members,
    publisher: publisher(),
    timeline: new DynamoTimelineRepository(db(), config.TABLE_NAME),
    clock,
  };
}
