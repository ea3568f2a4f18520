import { DynamoCampaignStore, DynamoCatalogPrices } from '#adapters/dynamodb/campaign-store';
import type { DocumentClient } from '#adapters/dynamodb/client';
import { DynamoMetricsReader } from '#adapters/dynamodb/metrics-reader';
import { variantCountsSource } from '#domain/metrics/variant-counts';
import type { VariantCountsSource } from '#domain/shared/variant-counts';
import { clock, db, loadConfig, requireEnv } from './runtime.ts';

/**
 * The pilot's and the A/B tests' counts: the metrics feature's port over its facts (issue #16),
 * in the store's time zone (its days partition the facts).
 */
export function storefrontCounts(): VariantCountsSource {
  return variantCountsSource({
    reader: new DynamoMetricsReader(db(), loadConfig().TABLE_NAME),
    timeZone: requireEnv(process.env.STORE_TIME_ZONE, 'STORE_TIME_ZONE'),
  });
}

/**
 * What every campaign function reads and writes: the campaign store, the catalog's prices, the
 * storefront's counts and the clock. The API adds the members' perks (campaigns-api.handler.ts),
 * the runs the bus, the timeline and repricing (campaign-run.ts) — each function bundles only
 * what it uses (decision 34: the per-function bundle budget). `client`: the document client of the
 * store and the catalog (the API's merges the reads it sends together, decision 38).
 */
export function campaignDeps(client: DocumentClient = db()) {
  const config = loadConfig();
  return {
    store: new DynamoCampaignStore(client, config.TABLE_NAME),
    catalog: new DynamoCatalogPrices(client, config.TABLE_NAME),
    counts: storefrontCounts(),
    clock,
  };
}
