import { canonicalEvent } from '../events/catalog.ts';
import { type PublishableEvent, toPublishable } from '../events/publisher.ts';
import { priceChangeKey } from '../pricing/schedule.ts';
import { deterministicId } from '../shared/ids.ts';
import type { PriceChange } from './store.ts';

/** Where repricing's events come from (`metadata.origin`). */
export const REPRICING_ORIGIN = 'workflow:repricing';

/**
 * `PriceChanged` for an applied change, with an id derived from the change's key (the run and the
 * SKU, or the SKU and the pricing version a `PUT` made), so a retried step republishes the same id
 * and the timeline keeps one line.
 */
export function priceChangedEvent(change: PriceChange, publishedAt: string): PublishableEvent {
  const key =
    change.runId !== null ? priceChangeKey(change.runId, change.sku) : `api#${change.sku}#${change.version}`;
  return toPublishable(
    canonicalEvent('PriceChanged', {
      sku: change.sku,
      oldPrice: change.oldPrice,
      newPrice: change.newPrice,
      runId: change.runId,
      rules: [...change.rules],
      guardrail: change.guardrail,
      rulesVersion: change.rulesVersion,
      source: change.source,
      changedAt: change.at,
    }),
    {
      eventId: deterministicId(REPRICING_ORIGIN, key),
      publishedAt,
      correlationId: change.runId ?? `api:${change.sku}`,
      origin: change.runId !== null ? REPRICING_ORIGIN : 'api:pricing',
    },
  );
}
