import type { EventData } from '../events/catalog.ts';
import { type BundlePrice, type PricedBundleItem, priceBundle } from '../pricing/bundle.ts';
import { DEFAULT_PRICING_RULES } from '../pricing/pricing-rules.ts';
import { scheduledRunAt } from '../pricing/schedule.ts';
import { marginFloor } from '../pricing/sku-pricing.ts';
import { type CatalogReader, marginCost } from '../shared/catalog.ts';
import type { Clock } from '../shared/clock.ts';
import type { Money } from '../shared/money.ts';
import type { BundlePricing, PricingStore, StoredBundle } from './store.ts';

/**
 * What repricing learns from the bus: competitor prices (`CompetitorPriceObserved`: the latest per
 * SKU and competitor, and the history a what-if replays), units sold (`OrderPaid` lines of priced
 * SKUs, per run hour, for the what-if's revenue estimate), and its own `PriceChanged`, which
 * recomputes the bundles the SKU is in.
 */
export function pricingFollower(deps: {
  readonly store: PricingStore;
  readonly catalog: CatalogReader;
  readonly clock: Clock;
}) {
  const bundles = bundlePricer(deps);
  return {
    async competitorPriceObserved(data: EventData<'CompetitorPriceObserved'>, eventId: string) {
      const recordedAt = deps.clock.now().toISOString();
      const { latest } = await deps.store.recordObservation(
        data.sku,
        {
          competitor: data.competitor,
          price: data.price,
          observedAt: new Date(data.observedAt).toISOString(),
          recordedAt,
          url: data.url,
        },
        eventId,
      );
      return { outcome: latest ? ('latest' as const) : ('older' as const), recordedAt };
    },

    async orderPaid(order: EventData<'OrderPaid'>) {
      const units = new Map<string, number>();
      for (const line of order.lines) {
        if (line.sku && line.quantity > 0) units.set(line.sku, (units.get(line.sku) ?? 0) + line.quantity);
      }
      if (units.size === 0) return { recorded: 0 };
      const priced = await deps.store.getPricings([...units.keys()]);
      const rules = (await deps.store.getRules()) ?? DEFAULT_PRICING_RULES;
      const hour = scheduledRunAt(order.paidAt, rules.timeZone).toISOString();
      const entries = [...units]
        .filter(([sku]) => priced.get(sku)?.price)
        .map(([sku, n]) => ({ sku, hour, orderId: order.orderId, units: n }));
      await deps.store.recordSold(entries);
      return { recorded: entries.length };
    },

    async priceChanged(change: EventData<'PriceChanged'>) {
      const ids = await deps.store.bundlesOf(change.sku);
      const results = [];
      for (const id of ids) results.push(await bundles.recompute(id));
      return { bundles: results.length };
    },
  };
}

/** Bundles priced from their items' current prices and floors (SPEC §6). */
export function bundlePricer(deps: {
  readonly store: PricingStore;
  readonly catalog: CatalogReader;
  readonly clock: Clock;
}) {
  /** The bundle's price from its items now: null with the reason when an item cannot be priced. */
  async function compute(bundle: Pick<StoredBundle, 'items' | 'saving'>): Promise<BundlePricing> {
    const computedAt = deps.clock.now().toISOString();
    const skus = bundle.items.map((i) => i.sku);
    const [pricings, facts, rules] = await Promise.all([
      deps.store.getPricings(skus),
      deps.catalog.facts(skus),
      deps.store.getRules(),
    ]);
    const minMargin = (rules ?? DEFAULT_PRICING_RULES).defaultMinMarginBps;
    const items: PricedBundleItem[] = [];
    for (const item of bundle.items) {
      const pricing = pricings.get(item.sku);
      const price: Money | null | undefined = pricing?.price;
      if (!price || price.currency !== bundle.saving.currency) {
        return {
          price: null,
          computedAt,
          reason: price ? `${item.sku} is priced in ${price.currency}` : `${item.sku} has no price`,
          receipt: {},
        };
      }
      const cost = marginCost(facts.get(item.sku), price.currency);
      items.push({ ...item, price, floor: marginFloor(cost, pricing?.minMarginBps ?? minMargin) });
    }
    const priced: BundlePrice = priceBundle(items, bundle.saving);
    return {
      price: priced.price,
      computedAt,
      reason: null,
      receipt: {
        items: items.map((i) => ({ sku: i.sku, qty: i.qty, price: i.price, floor: i.floor })),
        itemsTotal: priced.itemsTotal,
        saving: priced.saving,
        floor: priced.floor,
        boundBy: priced.boundBy,
        floorUnknown: priced.floorUnknown,
        defaultMinMarginBps: minMargin,
      },
    };
  }

  return {
    compute,
    /** Recomputes and stores a bundle's price (again when the bundle changed meanwhile). */
    async recompute(bundleId: string) {
      for (let attempt = 1; attempt <= 5; attempt++) {
        const bundle = await deps.store.getBundle(bundleId);
        if (!bundle) return null;
        const pricing = await compute(bundle);
        if (await deps.store.saveBundlePricing(bundleId, pricing, bundle.version)) return pricing;
      }
      throw new Error(`bundle ${bundleId} kept changing while its price was recomputed; retry`);
    },
  };
}
