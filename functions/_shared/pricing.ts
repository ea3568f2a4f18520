import { DynamoCatalogReader } from '#adapters/dynamodb/catalog-reader';
import { DynamoPricingStore } from '#adapters/dynamodb/pricing-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/publisher';
import { clock, db, eventBridgeClient, loadConfig, requireEnv } from './runtime.ts';

/** Wires repricing's use cases to the single table (its items and the catalog's), the bus and the clock. */
export function pricingDeps() {
  const config = loadConfig();
  return {
    store: new DynamoPricingStore(db(), config.TABLE_NAME, {
      transactions: config.REPRICING_WRITES === 'transaction',
    }),
    catalog: new DynamoCatalogReader(db(), config.TABLE_NAME),
    publisher: new EventBridgePublisher(
      eventBridgeClient(),
      requireEnv(config.EVENT_BUS_NAME, 'EVENT_BUS_NAME'),
    ),
    timeline: new DynamoTimelineRepository(db(), config.TABLE_NAME),
    clock,
  };
}
