import type { CanonicalEvent } from './catalog.ts';
import type { EventMetadata } from './envelope.ts';

/**
 * The shared kernel's event publisher: what every producer (webhook ingestion, every workflow)
 * publishes through, and the shape an event has on the bus.
 */

/** A canonical event with its metadata, exactly as it goes on the bus. */
export interface PublishableEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: { readonly metadata: EventMetadata; readonly data: unknown };
}

/** A canonical event with the metadata it is published under. */
export function toPublishable(event: CanonicalEvent, metadata: EventMetadata): PublishableEvent {
  return { source: event.source, detailType: event.detailType, detail: { metadata, data: event.data } };
}

/** Port: publishes events (at least once; consumers deduplicate on `metadata.eventId`). */
export interface EventPublisher {
  publish(events: readonly PublishableEvent[]): Promise<void>;
}

/**
 * The event, marked as one whose timeline lines its producer writes itself (with
 * `eventTimelineEntries`, in the batch of the writes it describes): the timeline recorder's rule
 * skips it (decision 33).
 */
export function markRecorded(event: PublishableEvent): PublishableEvent {
  return {
    ...event,
    detail: { ...event.detail, metadata: { ...event.detail.metadata, timeline: 'recorded' } },
  };
}
