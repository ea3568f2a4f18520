import { canonicalEvent } from '../events/catalog.ts';
import { type PublishableEvent, toPublishable } from '../events/publisher.ts';
import { deterministicId } from '../shared/ids.ts';
import type { PriceChange } from './store.ts';

/** Where repricing's events come from (`metadata.origin`). */
export const REPRICING_ORIGIN = 'workflow:repricing';

/**
 * `PriceChanged` for an applied change, with an id derived from the change's key (a run's: the
 * pricing domain's `priceChangeKey` of the run and the SKU; a `PUT`'s: {@link apiChangeKey}), so a
 * retried step republishes the same id and the timeline keeps one line. `inBundles`: whether the
 * SKU's pricing item, as the change was written, named a bundle (the bundles' recompute follows
 * only those changes).
 */
export function priceChangedEvent(
  change: PriceChange,
  publishedAt: string,
  key: string,
  inBundles: boolean,
): PublishableEvent {
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
      inBundles,
    }),
    {
      eventId: deterministicId(REPRICING_ORIGIN, key),
      publishedAt,
      correlationId: change.runId ?? `api:${change.sku}`,
      origin: change.runId !== null ? REPRICING_ORIGIN : 'api:pricing',
    },
  );
}

/** The key of a price set through the API: the SKU and the pricing version the `PUT` made. */
export const apiChangeKey = (change: Pick<PriceChange, 'sku' | 'version'>) =>
  `api#${change.sku}#${change.version}`;
