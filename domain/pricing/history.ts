import type { Money } from '../shared/money.ts';
import type { CompetitorObservation, PricingInputs } from './reprice.ts';
import type { SkuPricing } from './sku-pricing.ts';

/**
 * The recorded history of a SKU, as a what-if replay reads it — and "the state as of an instant"
 * ({@link pricingInputsAt}), which the live hourly run uses too, so that a replay of a past period
 * with the same rules computes exactly the prices the live runs set (docs/rules/repricing.md).
 *
 * "As of an instant" includes what happened at that very instant. All lists may be in any order. A
 * history is read as immutable: it is indexed once, on first use.
 */

/** The SKU's pricing fields and cost from an instant on (a `PUT /api/skus`, a cost change). */
export interface SkuPricingVersion {
  readonly at: string;
  readonly pricing: SkuPricing;
  /** The unit cost the margin floor is measured against (the highest supplier cost); null when unknown. */
  readonly cost: Money | null;
}

/** Units on hand from an instant on (absolute, not a delta). */
export interface StockPoint {
  readonly at: string;
  readonly onHand: number;
}

/** A competitor observation with the instant storeflow recorded it. */
export interface RecordedObservation extends CompetitorObservation {
  readonly recordedAt: string;
}

/** Units sold at an instant (net: a refund is negative). */
export interface Sale {
  readonly at: string;
  readonly units: number;
}

/** The selling price from an instant on: set by a person (`operator`) or by an hourly run (`run`). */
export interface PricePoint {
  readonly at: string;
  readonly price: Money;
  readonly source: 'operator' | 'run';
}

export interface SkuHistory {
  readonly sku: string;
  readonly versions: readonly SkuPricingVersion[];
  readonly stock: readonly StockPoint[];
  readonly observations: readonly RecordedObservation[];
  readonly sales: readonly Sale[];
  /** The recorded selling price over time (what was charged), when known. */
  readonly prices?: readonly PricePoint[] | undefined;
}

/** The catalog's history over a period (and a little before it: the state at its start). */
export interface PricingHistory {
  readonly skus: readonly SkuHistory[];
}

const ms = (at: string) => Date.parse(at);

/** Entries with their instants parsed, in time order (equal instants: in list order). */
type Timed<T> = ReadonlyArray<{ readonly t: number; readonly e: T }>;

function timed<T extends { readonly at: string }>(entries: readonly T[]): Array<{ t: number; e: T }> {
  return entries.map((e, i) => ({ t: ms(e.at), e, i })).sort((a, b) => a.t - b.t || a.i - b.i);
}

/** The entry in force at `t`: the last one at or before it (ties: the later listed). */
function lastAtOrBefore<T>(entries: Timed<T>, t: number): T | undefined {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as { t: number }).t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? entries[lo - 1]?.e : undefined;
}

/** Whether observation `o` replaces `kept` in the store: observed later, or as late and recorded first. */
function replaces(o: RecordedObservation, kept: RecordedObservation | undefined): boolean {
  if (!kept) return true;
  const d = ms(o.observedAt) - ms(kept.observedAt);
  return d > 0 || (d === 0 && ms(o.recordedAt) < ms(kept.recordedAt));
}

/** A history with its lists parsed and sorted once (a replay asks it ~168 times per SKU). */
interface Indexed {
  readonly versions: Timed<SkuPricingVersion>;
  readonly stock: Timed<StockPoint>;
  readonly prices: Timed<PricePoint>;
  /** The persons' sets only. */
  readonly operatorSets: Timed<PricePoint>;
  /** Per competitor, in recording order: the observation the store held after each recording. */
  readonly held: ReadonlyArray<Timed<RecordedObservation>>;
}

const indexes = new WeakMap<SkuHistory, Indexed>();

function indexOf(history: SkuHistory): Indexed {
  let index = indexes.get(history);
  if (!index) {
    const byCompetitor = new Map<string, RecordedObservation[]>();
    for (const o of history.observations) {
      const list = byCompetitor.get(o.competitor) ?? [];
      list.push(o);
      byCompetitor.set(o.competitor, list);
    }
    const held = [...byCompetitor.keys()]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((competitor) => {
        const recorded = timed((byCompetitor.get(competitor) ?? []).map((o) => ({ at: o.recordedAt, o })));
        let kept: RecordedObservation | undefined;
        return recorded.map(({ t, e }) => {
          if (replaces(e.o, kept)) kept = e.o;
          return { t, e: kept as RecordedObservation };
        });
      });
    index = {
      versions: timed(history.versions),
      stock: timed(history.stock),
      // At one instant a person's set comes before a run's change: the run saw it.
      prices: timed(history.prices ?? []).sort((a, b) => a.t - b.t || rank(a.e) - rank(b.e)),
      operatorSets: timed((history.prices ?? []).filter((p) => p.source === 'operator')),
      held,
    };
    indexes.set(history, index);
  }
  return index;
}

/** The entry in force at `at`: the last one at or before it (ties: the later listed). */
export function asOf<T extends { readonly at: string }>(entries: readonly T[], at: string): T | undefined {
  return lastAtOrBefore(timed(entries), ms(at));
}

/**
 * The latest observation per competitor as the store held it at `at`: among those recorded by
 * then, the one observed last (an observation that arrives late never replaces a newer one; equal
 * observation instants keep the one recorded first). Sorted by competitor id.
 */
export function latestObservations(history: SkuHistory, at: string): RecordedObservation[] {
  const t = ms(at);
  return indexOf(history)
    .held.map((list) => lastAtOrBefore(list, t))
    .filter((o): o is RecordedObservation => o !== undefined);
}

const rank = (p: PricePoint) => (p.source === 'operator' ? 0 : 1);

/**
 * The selling price recorded as in force at `at`, a run's change at that very instant included
 * (null when unknown). Without recorded prices: the price of the version in force.
 */
export function recordedPriceAt(history: SkuHistory, at: string): Money | null {
  const t = ms(at);
  const index = indexOf(history);
  return lastAtOrBefore(index.prices, t)?.price ?? lastAtOrBefore(index.versions, t)?.pricing.price ?? null;
}

/**
 * The selling price a run at `at` starts from: as {@link recordedPriceAt}, but without a run's
 * change recorded at that very instant (that is the run's own result); a person's set at the instant
 * counts.
 */
export function priceBeforeRun(history: SkuHistory, at: string): Money | null {
  const t = ms(at);
  const index = indexOf(history);
  const before = lastAtOrBefore(index.prices, t - 1);
  const set = lastAtOrBefore(index.operatorSets, t);
  const last = set && ms(set.at) === t ? set : before;
  return last?.price ?? lastAtOrBefore(index.versions, t)?.pricing.price ?? null;
}

/**
 * The inputs of the SKU's decision at `at`: its pricing fields and cost in force then, its stock
 * then (0 before any record), the latest observation per competitor recorded by then, and the
 * price — `price` when given (a replay's simulated price), else the recorded price the run at `at`
 * starts from ({@link priceBeforeRun}).
 * null when the SKU has no pricing fields or no price then (its version in force has none: it is
 * not repriced).
 */
export function pricingInputsAt(history: SkuHistory, at: string, price?: Money | null): PricingInputs | null {
  const t = ms(at);
  const index = indexOf(history);
  const version = lastAtOrBefore(index.versions, t);
  // A SKU whose price was cleared is out of repricing, whatever price a replay carries.
  if (!version?.pricing.price) return null;
  const current = price ?? priceBeforeRun(history, at);
  if (!current) return null;
  const p = version.pricing;
  return {
    sku: history.sku,
    currency: current.currency,
    price: current,
    listPrice: p.listPrice,
    cost: version.cost,
    onHand: lastAtOrBefore(index.stock, t)?.onHand ?? 0,
    competitors: latestObservations(history, at),
    campaignLocked: p.campaignLocked,
    minMarginBps: p.minMarginBps,
    maxMarkupBps: p.maxMarkupBps,
    at: new Date(t).toISOString(),
  };
}
