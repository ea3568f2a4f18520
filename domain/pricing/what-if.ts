import type { Money } from '../shared/money.ts';
import {
  type PricePoint,
  type PricingHistory,
  priceBeforeRun,
  pricingInputsAt,
  recordedPriceAt,
  type SkuHistory,
} from './history.ts';
import { REPRICING_ENGINE, type RulesInForce } from './pricing-rules.ts';
import { type GuardrailName, type PriceDecision, repriceSku } from './reprice.ts';
import { hourlyRunsBetween, repriceRunId } from './schedule.ts';

/**
 * What-if (SPEC §6, issue #13): replay the hourly runs of a past period on the recorded history with
 * rules to try, carrying each SKU's simulated price from run to run; nothing is applied. Each run
 * reads the state with {@link pricingInputsAt} and decides with {@link repriceSku} — the very
 * functions of the live run — so the same rules over the same history give the live prices.
 */

/** One simulated run of one SKU. */
export interface WhatIfHour {
  readonly at: string;
  readonly runId: string;
  /** The price before the run (the simulated price carried forward, or a person's set). */
  readonly old: Money;
  /** The price the run would have set (in force until the next run). */
  readonly price: Money;
  readonly outcome: PriceDecision['outcome'];
  readonly boundBy: GuardrailName | null;
  /** The rules that moved the price this run. */
  readonly moved: ReadonlyArray<'lowStock' | 'competitor' | 'charmEnding'>;
}

export interface RevenueEstimate {
  /** Always true: recorded units at other prices would not have sold the same; it is an estimate. */
  readonly estimate: true;
  readonly basis: string;
  /** Units sold in the period (net of refunds). */
  readonly units: number;
  /** Σ units × the simulated price in force at each sale; null without any price. */
  readonly simulated: Money | null;
  /** Σ units × the recorded price in force at each sale; null when no recorded price is known. */
  readonly recorded: Money | null;
  /** simulated − recorded. */
  readonly difference: Money | null;
  /** Units sold while the SKU had no simulated / recorded price (left out of the sums). */
  readonly unitsWithoutPrice: { readonly simulated: number; readonly recorded: number };
}

export interface WhatIfSku {
  readonly sku: string;
  /** The price the replay starts from: in force at `from` before a run there; null: not priced then. */
  readonly start: Money | null;
  /** The simulated price at `to`. */
  readonly end: Money | null;
  readonly hours: readonly WhatIfHour[];
  /** Runs in which the SKU had no pricing fields or no price (not repriced). */
  readonly runsSkipped: number;
  readonly changes: number;
  /** How many runs each guardrail bound (clipped the price) in; campaignLock: runs left alone. */
  readonly guardrailsBound: Readonly<Record<GuardrailName, number>>;
  readonly revenueEstimate: RevenueEstimate;
}

export interface WhatIfReport {
  readonly from: string;
  readonly to: string;
  readonly timeZone: string;
  /** The run instants replayed. */
  readonly runs: readonly string[];
  readonly rulesVersion: number | null;
  readonly engine: typeof REPRICING_ENGINE;
  readonly skus: readonly WhatIfSku[];
}

const ms = (at: string | Date) => (typeof at === 'string' ? Date.parse(at) : at.getTime());

/**
 * The prices a person set: `prices` with source `operator`; without recorded prices, every
 * version whose price differs from the version before.
 */
function operatorSets(history: SkuHistory): PricePoint[] {
  if (history.prices) return history.prices.filter((p) => p.source === 'operator');
  const sorted = [...history.versions].sort((a, b) => ms(a.at) - ms(b.at));
  const sets: PricePoint[] = [];
  let last: Money | null = null;
  for (const v of sorted) {
    const p = v.pricing.price;
    if (p && (!last || p.amount !== last.amount || p.currency !== last.currency)) {
      sets.push({ at: v.at, price: p, source: 'operator' });
    }
    last = p;
  }
  return sets;
}

/** The last point at or before `t` of a time-ordered list (binary search). */
function priceAt(points: ReadonlyArray<{ t: number; price: Money }>, t: number): Money | null {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((points[mid] as { t: number }).t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? (points[lo - 1]?.price ?? null) : null;
}

/** Replays one SKU over the given run instants. Exported for the live/what-if equivalence tests. */
export function replaySku(
  history: SkuHistory,
  rules: RulesInForce,
  runs: readonly Date[],
  from: string,
  to: string,
  zone: string,
  /** The runs' ids when known (a replay of many SKUs names its runs once). */
  runIds: readonly string[] = runs.map((r) => repriceRunId(r, zone)),
): { readonly report: WhatIfSku; readonly decisions: readonly PriceDecision[] } {
  const fromT = ms(from);
  const toT = ms(to);
  const sets = operatorSets(history)
    .map((p) => ({ t: ms(p.at), price: p.price }))
    .sort((a, b) => a.t - b.t);
  const start = priceBeforeRun(history, new Date(fromT).toISOString());
  /** The simulated price over time: the start, a person's sets, the runs' prices. */
  const timeline: Array<{ t: number; price: Money }> = start ? [{ t: fromT, price: start }] : [];
  let sim = start;
  let setIndex = sets.findIndex((s) => s.t > fromT);
  if (setIndex < 0) setIndex = sets.length;
  const hours: WhatIfHour[] = [];
  const decisions: PriceDecision[] = [];
  const bound: Record<GuardrailName, number> = { campaignLock: 0, maxChange: 0, ceiling: 0, floor: 0 };
  let skipped = 0;
  for (const [r, run] of runs.entries()) {
    const t = run.getTime();
    while (setIndex < sets.length && (sets[setIndex] as { t: number }).t <= t) {
      const set = sets[setIndex] as { t: number; price: Money };
      sim = set.price;
      timeline.push(set);
      setIndex++;
    }
    const at = run.toISOString();
    const inputs = sim ? pricingInputsAt(history, at, sim) : null;
    if (!inputs) {
      skipped++;
      continue;
    }
    const decision = repriceSku(inputs, rules);
    decisions.push(decision);
    for (const g of decision.guardrails) if (g.bound) bound[g.guardrail]++;
    hours.push({
      at,
      runId: runIds[r] as string,
      old: decision.old,
      price: decision.new,
      outcome: decision.outcome,
      boundBy: decision.boundBy,
      moved: decision.trail.filter((s) => s.applied).map((s) => s.rule),
    });
    sim = decision.new;
    timeline.push({ t, price: decision.new });
  }
  while (setIndex < sets.length && (sets[setIndex] as { t: number }).t < toT) {
    const set = sets[setIndex] as { t: number; price: Money };
    sim = set.price;
    timeline.push(set);
    setIndex++;
  }
  return {
    report: {
      sku: history.sku,
      start,
      end: sim,
      hours,
      runsSkipped: skipped,
      changes: hours.filter((h) => h.outcome === 'changed').length,
      guardrailsBound: bound,
      revenueEstimate: revenue(history, timeline, fromT, toT),
    },
    decisions,
  };
}

function revenue(
  history: SkuHistory,
  timeline: ReadonlyArray<{ t: number; price: Money }>,
  fromT: number,
  toT: number,
): RevenueEstimate {
  let units = 0;
  let simulated = 0n;
  let recorded = 0n;
  let simCurrency: string | null = null;
  let recCurrency: string | null = null;
  const without = { simulated: 0, recorded: 0 };
  for (const sale of history.sales) {
    const t = ms(sale.at);
    if (t < fromT || t >= toT) continue;
    units += sale.units;
    const sim = priceAt(timeline, t);
    if (sim && (simCurrency ?? sim.currency) === sim.currency) {
      simCurrency = sim.currency;
      simulated += BigInt(sim.amount) * BigInt(sale.units);
    } else without.simulated += sale.units;
    const rec = recordedPriceAt(history, sale.at);
    if (rec && (recCurrency ?? rec.currency) === rec.currency) {
      recCurrency = rec.currency;
      recorded += BigInt(rec.amount) * BigInt(sale.units);
    } else without.recorded += sale.units;
  }
  const money = (amount: bigint, currency: string | null): Money | null =>
    currency ? { amount: Number(amount), currency } : null;
  const s = money(simulated, simCurrency ?? timeline[0]?.price.currency ?? null);
  const r = money(
    recorded,
    recCurrency ?? recordedPriceAt(history, new Date(fromT).toISOString())?.currency ?? null,
  );
  return {
    estimate: true,
    basis:
      'recorded units sold × the price in force at each sale (the same units at other prices: an estimate)',
    units,
    simulated: s,
    recorded: r,
    difference:
      s && r && s.currency === r.currency ? { amount: s.amount - r.amount, currency: s.currency } : null,
    unitsWithoutPrice: without,
  };
}

/**
 * Replays the hourly runs in [from, to) of the store's zone (`zone`, default the rules') over the
 * recorded history with `rules`; nothing is applied. Per SKU: the price each run would have set,
 * how often each guardrail bound, and the revenue at the recorded units (an estimate).
 */
export function whatIf(
  history: PricingHistory,
  rules: RulesInForce,
  from: string,
  to: string,
  zone: string = rules.timeZone,
): WhatIfReport {
  if (!(ms(from) < ms(to))) throw new RangeError(`from (${from}) must be before to (${to})`);
  const runs = hourlyRunsBetween(from, to, zone);
  const runIds = runs.map((r) => repriceRunId(r, zone));
  return {
    from: new Date(ms(from)).toISOString(),
    to: new Date(ms(to)).toISOString(),
    timeZone: zone,
    runs: runs.map((r) => r.toISOString()),
    rulesVersion: rules.version ?? null,
    engine: REPRICING_ENGINE,
    skus: history.skus.map((h) => replaySku(h, rules, runs, from, to, zone, runIds).report),
  };
}
