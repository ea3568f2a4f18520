import type { PricePoint, SkuHistory, SkuPricingVersion } from '../pricing/history.ts';
import type { SkuPricing } from '../pricing/sku-pricing.ts';
import type { Money } from '../shared/money.ts';
import type { ObservedPrice, RecordedHistory, SkuFacts } from './store.ts';

/**
 * The recorded history of a SKU as the pricing domain's replay reads it (domain/pricing/history.ts):
 * the settings points (each `PUT`) and the facts the runs used (stock, cost) merged into versions
 * of "pricing fields and cost from an instant on", stock points, observations with their recorded
 * instants, units sold per run hour, and the prices charged.
 */
export function toSkuHistory(recorded: RecordedHistory): SkuHistory {
  type Step = { at: string; order: number; apply: () => void };
  let pricing: SkuPricing | null = null;
  let cost: Money | null = null;
  const steps: Step[] = [
    ...recorded.settings.map((s, i) => ({
      at: s.at,
      order: i,
      apply: () => {
        pricing = {
          listPrice: s.listPrice,
          price: s.price,
          minMarginBps: s.minMarginBps,
          maxMarkupBps: s.maxMarkupBps,
          campaignLocked: s.campaignLocked,
        };
      },
    })),
    ...recorded.facts.map((f, i) => ({
      at: f.at,
      order: recorded.settings.length + i,
      apply: () => {
        cost = f.cost;
      },
    })),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.order - b.order);
  const versions: SkuPricingVersion[] = [];
  for (const step of steps) {
    step.apply();
    if (pricing) versions.push({ at: step.at, pricing, cost });
  }
  const prices: PricePoint[] = recorded.changes.map((c) => ({
    at: c.at,
    price: c.newPrice,
    source: c.source === 'run' ? 'run' : 'operator',
  }));
  return {
    sku: recorded.sku,
    versions,
    stock: recorded.facts.map((f) => ({ at: f.at, onHand: f.onHand })),
    observations: recorded.observations.map(toRecorded),
    sales: recorded.sold.map((s) => ({ at: s.at, units: s.units })),
    prices,
  };
}

export const toRecorded = (o: ObservedPrice) => ({
  competitor: o.competitor,
  price: o.price,
  observedAt: o.observedAt,
  recordedAt: o.recordedAt,
  url: o.url,
});

/**
 * The history the live run decides on at `at`: the SKU's pricing and price as read, the stock and
 * cost it uses, and the observations recorded by then. Built the same way a replay's is, so
 * `pricingInputsAt` gives the live run and the replay the same inputs for the same records.
 */
export function liveHistory(
  sku: string,
  pricing: SkuPricing,
  facts: SkuFacts,
  observations: readonly ObservedPrice[],
  at: string,
): SkuHistory {
  return {
    sku,
    versions: [{ at, pricing, cost: facts.cost }],
    stock: [{ at, onHand: facts.onHand }],
    observations: observations.map(toRecorded),
    sales: [],
    // The price is the one read (the caller passes it): what the run starts from.
    prices: [],
  };
}
