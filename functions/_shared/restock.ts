import { DynamoRestockStore } from '#adapters/dynamodb/restock-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/publisher';
import { clock, db, eventBridgeClient, loadConfig, requireEnv } from './runtime.ts';

/** Wires restock's use cases to the single table, the bus and the clock. */
export function restockDeps() {
  const config = loadConfig();
  return {
    store: new DynamoRestockStore(db(), config.TABLE_NAME),
    publisher: new EventBridgePublisher(
      eventBridgeClient(),
      requireEnv(config.EVENT_BUS_NAME, 'EVENT_BUS_NAME'),
    ),
    timeline: new DynamoTimelineRepository(db(), config.TABLE_NAME),
    clock,
  };
}
