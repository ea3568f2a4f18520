import { pricingFollower } from '#domain/repricing/consumers';
import { eventTargetHandler } from './_shared/event-target.ts';
import { pricingDeps } from './_shared/pricing.ts';

/**
 * What repricing learns from the bus: competitor prices (the latest per SKU and competitor, and
 * the history a what-if replays), units sold of priced SKUs, and its own price changes, which
 * recompute the bundles the SKU is in.
 */
const follower = pricingFollower(pricingDeps());

export const handler = eventTargetHandler('pricing', {
  CompetitorPriceObserved: (observation, event) =>
    follower.competitorPriceObserved(observation, event.detail.metadata.eventId),
  OrderPaid: (order) => follower.orderPaid(order),
  PriceChanged: (change) => follower.priceChanged(change),
});
