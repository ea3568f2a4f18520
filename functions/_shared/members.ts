import { DynamoMemberStore } from '#adapters/dynamodb/members-store';
import { EventBridgePublisher } from '#adapters/eventbridge/publisher';
import type { EventPublisher } from '#domain/events/publisher';
import { members } from '#domain/members/members';
import { clock, db, eventBridgeClient, loadConfig } from './runtime.ts';

/** A function without the bus (the SLA functions reading perks) publishes nothing. */
const noPublisher: EventPublisher = {
  publish: async (events) => {
    if (events.length > 0) throw new Error('this function has no event bus to publish members events on');
  },
};

/** Wires the members use cases to the single table, the bus (when the function has one) and the clock. */
export function membersDeps() {
  const config = loadConfig();
  return {
    store: new DynamoMemberStore(db(), config.TABLE_NAME),
    publisher: config.EVENT_BUS_NAME
      ? new EventBridgePublisher(eventBridgeClient(), config.EVENT_BUS_NAME)
      : noPublisher,
    clock,
  };
}

export const membersUseCases = () => members(membersDeps());
