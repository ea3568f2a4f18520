import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { EventPublisher, PublishableEvent } from '#domain/events/publisher';

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;
const ATTEMPTS = 3;

/**
 * Publishes canonical events to the storeflow bus. Entries the service reports as failed are
 * retried; if any still fail, it throws so the caller's retry (and the delivery outbox) take over.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(events: readonly PublishableEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += BATCH) {
      let pending: PutEventsRequestEntry[] = events.slice(start, start + BATCH).map((event) => ({
        EventBusName: this.eventBusName,
        Source: event.source,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
        Time: new Date(event.detail.metadata.publishedAt),
      }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const result = await this.client.send(new PutEventsCommand({ Entries: pending }));
        if (!result.FailedEntryCount) break;
        const failed = pending.filter((_, i) => result.Entries?.[i]?.ErrorCode);
        if (attempt >= ATTEMPTS) {
          const codes = [...new Set(result.Entries?.map((e) => e.ErrorCode).filter(Boolean))].join(', ');
          throw new Error(
            `PutEvents failed for ${failed.length} event(s) after ${ATTEMPTS} attempts: ${codes}`,
          );
        }
        pending = failed;
      }
    }
  }
}
