import pMap from 'p-map';
import type { EventPublisher } from '../events/publisher.ts';
import { pricingInputsAt } from '../pricing/history.ts';
import {
  DEFAULT_PRICING_RULES,
  type RulesInForce,
  ruleOf,
  type VersionedPricingRules,
} from '../pricing/pricing-rules.ts';
import { type PriceDecision, repriceSku } from '../pricing/reprice.ts';
import { priceChangeKey, repriceRunId, scheduledRunAt } from '../pricing/schedule.ts';
import { pricingCurrency } from '../pricing/sku-pricing.ts';
import { type CatalogFacts, type CatalogReader, marginCost } from '../shared/catalog.ts';
import type { Clock } from '../shared/clock.ts';
import type { RunContext } from '../workflow/run.ts';
import { StepRejectedError } from '../workflow/run.ts';
import { priceChangedEvent } from './events.ts';
import { liveHistory } from './history.ts';
import { FACTS_REFRESH_MS, RUN_PAGE_SIZE } from './limits.ts';
import type { ObservedPrice, PriceChange, PricingStore, SkuFacts, StoredSkuPricing } from './store.ts';

/**
 * The hourly repricing run (SPEC §6, issue #13): at the top of every store hour the catalog's
 * priced SKUs are repriced under the rules snapshotted when the run starts, fanned out over
 * buckets with bounded concurrency (a Distributed Map on AWS, like the restock sweep). Each step
 * handles one page of one bucket and is idempotent: a SKU's change is one conditional write on its
 * pricing version that also records the run's instant on it, so a retried, resumed or overlapping
 * run never applies a change twice, and two runs never interleave on one SKU.
 */

/** SKUs of a page decided and applied at once (each touches only its own items). */
export const RUN_SKU_CONCURRENCY = 10;
/** Attempts at one SKU's change when its pricing keeps changing under the run. */
const APPLY_ATTEMPTS = 3;

export { FACTS_REFRESH_MS, PRICING_BUCKETS, RUN_PAGE_SIZE } from './limits.ts';

export const REPRICING_RUN_WORKFLOW = 'RepricingRun';

/** A repricing step that no retry can fix. */
export class RepricingStepRejectedError extends StepRejectedError {
  override readonly name = 'RepricingStepRejected';
  readonly code = 'RepricingStepRejected';
}
export const REPRICING_STEP_REJECTED = 'RepricingStepRejected';

export interface RepricingDeps {
  readonly store: PricingStore;
  readonly catalog: CatalogReader;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
}

/** The run as every step receives it: its id, its instant and the rules snapshotted at its start. */
export interface RepricingRunContext {
  readonly runId: string;
  readonly at: string;
  readonly rules: VersionedPricingRules;
}

/** One SKU's decision as a run or a dry run makes it, with the facts it used. */
export interface SkuEvaluation {
  readonly item: StoredSkuPricing;
  readonly facts: SkuFacts;
  readonly decision: PriceDecision;
}

/** How far back a decision at `at` looks at competitor observations under `rules`. */
export function observationLookbackMs(rules: RulesInForce): number {
  const competitor = ruleOf(rules, 'competitor');
  return competitor?.enabled ? competitor.maxAgeHours * 3_600_000 : 0;
}

const sameFacts = (a: SkuFacts, b: SkuFacts) =>
  a.onHand === b.onHand &&
  (a.cost === null) === (b.cost === null) &&
  (a.cost === null || (a.cost.amount === b.cost!.amount && a.cost.currency === b.cost!.currency));

/**
 * Decides the SKUs of a page at `at` under `rules`: their stock and cost from the catalog, the
 * latest competitor observations recorded by then, and the pricing domain's `repriceSku` on the
 * inputs `pricingInputsAt` makes of them (the same a replay makes of the records). With `record`
 * (a live run) the stock and cost used are recorded for replays, first one per run instant wins,
 * so a retried step decides on what the first attempt recorded.
 */
export async function evaluatePage(
  deps: Pick<RepricingDeps, 'store' | 'catalog'>,
  items: readonly StoredSkuPricing[],
  at: string,
  rules: RulesInForce,
  options: { readonly record: boolean },
): Promise<SkuEvaluation[]> {
  const priced = items.filter((i) => i.price !== null);
  if (priced.length === 0) return [];
  const skus = priced.map((i) => i.sku);
  const [catalog, latest] = await Promise.all([
    deps.catalog.facts(skus),
    deps.store.latestObservations(skus),
  ]);
  const lookbackMs = observationLookbackMs(rules);
  const points: Array<{ sku: string; facts: SkuFacts }> = [];
  const evaluations = await pMap(
    priced,
    (item) =>
      evaluateSku(deps, item, catalog.get(item.sku), latest.get(item.sku) ?? [], at, rules, {
        record: options.record ? (facts) => points.push({ sku: item.sku, facts }) : null,
        lookbackMs,
      }),
    { concurrency: RUN_SKU_CONCURRENCY },
  );
  // The facts points before any change is applied: a SKU changed by this run is not decided again.
  if (points.length) await deps.store.recordFacts(points);
  return evaluations.filter((e): e is SkuEvaluation => e !== null);
}

async function evaluateSku(
  deps: Pick<RepricingDeps, 'store'>,
  item: StoredSkuPricing,
  catalog: CatalogFacts | undefined,
  latest: readonly ObservedPrice[],
  at: string,
  rules: RulesInForce,
  options: { readonly record: ((facts: SkuFacts) => void) | null; readonly lookbackMs: number },
): Promise<SkuEvaluation | null> {
  const currency = pricingCurrency(item);
  if (!currency) return null;
  const fresh: SkuFacts = { onHand: catalog?.onHand ?? 0, cost: marginCost(catalog, currency), at };
  let facts = fresh;
  if (options.record) {
    const seen = item.factsSeen;
    if (seen?.at === at) {
      // An earlier attempt of this run kept them: decide on those (and record their point again).
      facts = seen;
      options.record(facts);
    } else if (!seen || !sameFacts(seen, fresh) || Date.parse(at) - Date.parse(seen.at) >= FACTS_REFRESH_MS) {
      facts = await deps.store.claimFacts(item.sku, fresh);
      options.record(facts);
    }
  }
  // The latest observation a competitor has may have been recorded after the run's instant: the
  // run then looks at what was recorded by its instant, as a replay of this hour will.
  let observations: readonly ObservedPrice[] = latest;
  const t = Date.parse(at);
  if (latest.some((o) => Date.parse(o.recordedAt) > t)) {
    observations = [
      ...latest.filter((o) => Date.parse(o.recordedAt) <= t),
      ...(await deps.store.observationsRecorded(
        item.sku,
        new Date(t - options.lookbackMs).toISOString(),
        at,
      )),
    ];
  }
  const inputs = pricingInputsAt(liveHistory(item.sku, item, facts, observations, at), at, item.price);
  if (!inputs) return null;
  return { item, facts, decision: repriceSku(inputs, rules) };
}

/** The change a decision makes to a SKU in a run (its receipt in the price history). */
export function runChange(
  evaluation: SkuEvaluation,
  ctx: Pick<RepricingRunContext, 'runId' | 'at'>,
): PriceChange {
  const { decision, item } = evaluation;
  return {
    sku: item.sku,
    at: ctx.at,
    source: 'run',
    runId: ctx.runId,
    oldPrice: decision.old,
    newPrice: decision.new,
    rules: decision.trail.filter((s) => s.applied).map((s) => s.rule),
    guardrail: decision.boundBy,
    rulesVersion: decision.rulesVersion,
    decision,
    version: item.version + 1,
  };
}

export function repricingRun(deps: RepricingDeps) {
  const nowIso = () => deps.clock.now().toISOString();

  /**
   * Applies a page's changed decisions, each once: a SKU whose pricing changed under the run is
   * read and decided again; one this run already changed (a retried step) is finished from the
   * change recorded on it; one a later run changed is left to it.
   */
  async function apply(ctx: RepricingRunContext, evaluations: readonly SkuEvaluation[]) {
    const applied: PriceChange[] = [];
    await pMap(
      evaluations,
      async (first) => {
        let evaluation: SkuEvaluation | null = first;
        for (let attempt = 1; evaluation?.decision.changed && attempt <= APPLY_ATTEMPTS; attempt++) {
          const change = runChange(evaluation, ctx);
          const outcome = await deps.store.applyRunChange(change, evaluation.item.version);
          if (outcome === 'applied') {
            applied.push(change);
            return;
          }
          const current = await deps.store.getPricing(evaluation.item.sku);
          if (!current) return;
          if (outcome === 'done' || current.lastRun?.at === ctx.at) {
            if (current.lastRun?.runId === ctx.runId && current.lastChange) applied.push(current.lastChange);
            return;
          }
          evaluation = (await evaluatePage(deps, [current], ctx.at, ctx.rules, { record: true }))[0] ?? null;
        }
        if (evaluation?.decision.changed) {
          throw new Error(`${first.item.sku} kept changing while run ${ctx.runId} applied its price; retry`);
        }
      },
      { concurrency: RUN_SKU_CONCURRENCY },
    );
    return applied;
  }

  return {
    /** StartRun: the run's context (its rules snapshotted now) and the buckets to fan out over. */
    async start(input: { at?: string | undefined }, run: RunContext) {
      const rules = (await deps.store.getRules()) ?? DEFAULT_PRICING_RULES;
      const at = scheduledRunAt(input.at ?? run.startedAt ?? nowIso(), rules.timeZone).toISOString();
      const context: RepricingRunContext = { runId: run.name, at, rules };
      // Only the buckets that hold priced SKUs: a small catalog is not 64 child executions an hour.
      return { context, buckets: await deps.store.nonEmptyBuckets() };
    },

    /** RepricePage: one page of a bucket decided, and its changes applied and published once. */
    async page(input: { run: RepricingRunContext; bucket: number; cursor: string | null }) {
      const ctx = input.run;
      const page = await deps.store.listBucket(input.bucket, input.cursor || null, RUN_PAGE_SIZE);
      // SKUs this run already changed (a retried step): finish their record and event.
      const done = page.items.filter((i) => i.lastRun?.at === ctx.at);
      const finished = done.flatMap((i) =>
        i.lastRun?.runId === ctx.runId && i.lastChange ? [i.lastChange] : [],
      );
      const evaluations = await evaluatePage(
        deps,
        page.items.filter((i) => i.lastRun?.at !== ctx.at && !(i.lastRun && i.lastRun.at > ctx.at)),
        ctx.at,
        ctx.rules,
        { record: true },
      );
      const changes = [...finished, ...(await apply(ctx, evaluations))];
      await Promise.all(changes.map((c) => deps.store.recordPriceChange(c)));
      // Published at the change's own instant, not now: a retried page republishes the same event
      // (same id, same instant), so the timeline, keyed by instant and id, keeps one line.
      await deps.publisher.publish(
        changes.map((c) => priceChangedEvent(c, c.at, priceChangeKey(c.runId ?? ctx.runId, c.sku))),
      );
      return {
        cursor: page.cursor,
        priced: evaluations.length + done.length,
        changed: changes.length,
        locked: evaluations.filter((e) => e.decision.outcome === 'locked').length,
      };
    },
  };
}
export type RepricingRun = ReturnType<typeof repricingRun>;

/**
 * The runs' clock (an EventBridge Scheduler schedule every 15 minutes, in the deploy's store time
 * zone): a tick in the first 20 minutes of a store hour starts that hour's run, named after it, so
 * the first tick starts it and the next is a no-op. The rules' time zone decides the
 * hours, so a store in a zone with a half- or quarter-hour offset is repriced at its own hh:00.
 */
/** How long after the top of its hour a run may still start (the :00 tick and the :15 one). */
export const RUN_START_WINDOW_MS = 20 * 60_000;

export function repricingTick(deps: Pick<RepricingDeps, 'store' | 'clock'>) {
  return async (): Promise<{ due: false } | { due: true; name: string; at: string }> => {
    // No priced SKU yet: no run (an empty store is not 24 executions a day).
    if ((await deps.store.nonEmptyBuckets()).length === 0) return { due: false };
    const rules = (await deps.store.getRules()) ?? DEFAULT_PRICING_RULES;
    const now = deps.clock.now();
    const at = scheduledRunAt(now, rules.timeZone);
    // A run starts at the top of its hour (the :00 tick, the :15 one if that was lost), never late
    // in the hour: the store's first priced SKU at 09:30 waits for the 10:00 run.
    if (now.getTime() - at.getTime() > RUN_START_WINDOW_MS) return { due: false };
    return { due: true, name: repriceRunId(at, rules.timeZone), at: at.toISOString() };
  };
}
