import { DynamoPresaleStore } from '#adapters/dynamodb/presale-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/publisher';
import { clock, db, eventBridgeClient, loadConfig, requireEnv } from './runtime.ts';

/** Wires the presale use cases to the single table, the storeflow bus and the clock. */
export function presaleDeps() {
  const config = loadConfig();
  return {
    store: new DynamoPresaleStore(db(), config.TABLE_NAME),
    publisher: new EventBridgePublisher(
      eventBridgeClient(),
      requireEnv(config.EVENT_BUS_NAME, 'EVENT_BUS_NAME'),
    ),
    timeline: new DynamoTimelineRepository(db(), config.TABLE_NAME),
    clock,
  };
}
