import type { DetailType } from '#domain/events/catalog';
import { eventTargetHandler } from './_shared/event-target.ts';
import { sla } from './_shared/sla.ts';

/**
 * The events promises start and end on (SPEC §4): each registers the promises that start on it
 * (and sets their deadline timers) and keeps, or marks late, the open promises it fulfils.
 */
const promises = sla();
const on =
  (detailType: DetailType) =>
  (data: unknown, event: { detail: { metadata: { eventId: string; publishedAt: string } } }) =>
    promises.onEvent(
      detailType,
      data as Record<string, unknown>,
      event.detail.metadata.eventId,
      event.detail.metadata.publishedAt,
    );

export const handler = eventTargetHandler('sla', {
  OrderPaid: on('OrderPaid'),
  ShipmentDispatched: on('ShipmentDispatched'),
  OrderDelivered: on('OrderDelivered'),
  PresaleFulfilmentPromised: on('PresaleFulfilmentPromised'),
  TicketOpened: on('TicketOpened'),
  TicketResponded: on('TicketResponded'),
  TicketResolved: on('TicketResolved'),
  InstallationCompleted: on('InstallationCompleted'),
});
