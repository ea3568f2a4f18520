import { type CanonicalEvent, canonicalEvent, type DetailType, type EventData } from '../events/catalog.ts';
import { type PublishableEvent, toPublishable } from '../events/publisher.ts';
import { deterministicId } from '../shared/ids.ts';
import type { Campaign } from './campaign.ts';

export const CAMPAIGNS_ORIGIN = 'workflow:campaigns';

/**
 * A campaign event with an id derived from the campaign and the event type (each happens at most
 * once per campaign), so a retried step republishes the same id and the timeline keeps one line.
 */
export function campaignEvent(
  event: CanonicalEvent,
  key: string,
  publishedAt: string,
  correlationId: string,
): PublishableEvent {
  return toPublishable(event, {
    eventId: deterministicId(CAMPAIGNS_ORIGIN, key, event.detailType),
    publishedAt,
    correlationId,
    origin: CAMPAIGNS_ORIGIN,
  });
}

type CampaignDetail = Exclude<Extract<DetailType, `Campaign${string}`>, never>;

/** A campaign's event with its reference fields filled from the campaign. */
export function campaignFact<T extends CampaignDetail>(
  type: T,
  campaign: Campaign,
  at: string,
  data: Omit<EventData<T>, 'campaignId' | 'name' | 'status' | 'at'>,
  correlationId: string,
): PublishableEvent {
  const event = canonicalEvent(type, {
    campaignId: campaign.campaignId,
    name: campaign.name,
    status: campaign.status,
    at,
    ...data,
  } as EventData<T>);
  return campaignEvent(event, campaign.campaignId, at, correlationId);
}
