import { DynamoCatalogRepository } from '#adapters/dynamodb/catalog-repository';
import { DynamoDeliveryStore } from '#adapters/dynamodb/delivery-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/publisher';
import { acceptDelivery } from '#domain/ingestion/accept-delivery';
import { clock, db, eventBridgeClient, loadConfig, requireEnv } from './runtime.ts';

/** Wires the accept-delivery use case to the single table and the storeflow bus. */
export function ingestionDeps() {
  const config = loadConfig();
  const table = config.TABLE_NAME;
  const catalog = new DynamoCatalogRepository(db(), table);
  const accept = acceptDelivery({
    deliveries: new DynamoDeliveryStore(db(), table),
    publisher: new EventBridgePublisher(
      eventBridgeClient(),
      requireEnv(config.EVENT_BUS_NAME, 'EVENT_BUS_NAME'),
    ),
    timeline: new DynamoTimelineRepository(db(), table),
    catalog,
    clock,
  });
  return { accept, catalog, clock, storeCurrency: config.STORE_CURRENCY };
}
