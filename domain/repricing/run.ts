import pMap from 'p-map';
import { type EventPublisher, markRecorded } from '../events/publisher.ts';
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
import type { TimelineRepository } from '../timeline/timeline.ts';
import { eventTimelineEntries } from '../timeline/use-cases.ts';
import type { RunContext } from '../workflow/run.ts';
import { StepRejectedError } from '../workflow/run.ts';
import { priceChangedEvent } from './events.ts';
import { liveHistory } from './history.ts';
import { FACTS_REFRESH_MS, RUN_PAGE_SIZE } from './limits.ts';
import type {
  ObservedPrice,
  PriceChange,
  PricingStore,
  RunWrite,
  RunWriteOutcome,
  SkuFacts,
  StoredSkuPricing,
} from './store.ts';

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

/** The hourly run's: where it writes its price changes' timeline lines (its events skip the recorder). */
export interface RepricingRunDeps extends RepricingDeps {
  readonly timeline: TimelineRepository;
}

/** The run as every step receives it: its id, its instant and the rules snapshotted at its start. */
export interface RepricingRunContext {
  readonly runId: string;
  readonly at: string;
  readonly rules: VersionedPricingRules;
}

/**
 * How the stock and cost a live decision used relate to those kept on the SKU for its run instant:
 * `kept` (an earlier attempt of the run kept them: decided on those), `new` (they differ from the
 * last recorded, or those are a week old: kept and recorded with this run), `same` (as last
 * recorded: nothing to keep). A dry run's are always `same`.
 */
export type FactsState = 'kept' | 'new' | 'same';

/** One SKU's decision as a run or a dry run makes it, with the facts it used. */
export interface SkuEvaluation {
  readonly item: StoredSkuPricing;
  readonly facts: SkuFacts;
  readonly factsState: FactsState;
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
 * Decides the SKUs of a page at `at` under `rules`: their stock and cost from the catalog (two
 * batch reads per page: the catalog's items and the latest competitor prices), the latest
 * competitor observations recorded by then, and the pricing domain's `repriceSku` on the inputs
 * `pricingInputsAt` makes of them (the same a replay makes of the records). Nothing is written:
 * with `record` (a live run) each evaluation says whether its facts are new for the run instant
 * (the run keeps them with the change, or alone when nothing changes) or those an earlier attempt
 * kept, which it then decides on.
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
  const evaluations = await pMap(
    priced,
    (item) =>
      evaluateSku(deps, item, catalog.get(item.sku), latest.get(item.sku) ?? [], at, rules, {
        record: options.record,
        lookbackMs,
      }),
    { concurrency: RUN_SKU_CONCURRENCY },
  );
  return evaluations.filter((e): e is SkuEvaluation => e !== null);
}

async function evaluateSku(
  deps: Pick<RepricingDeps, 'store'>,
  item: StoredSkuPricing,
  catalog: CatalogFacts | undefined,
  latest: readonly ObservedPrice[],
  at: string,
  rules: RulesInForce,
  options: { readonly record: boolean; readonly lookbackMs: number },
): Promise<SkuEvaluation | null> {
  const currency = pricingCurrency(item);
  if (!currency) return null;
  const fresh: SkuFacts = { onHand: catalog?.onHand ?? 0, cost: marginCost(catalog, currency), at };
  let facts = fresh;
  let factsState: FactsState = 'same';
  if (options.record) {
    const seen = item.factsSeen;
    if (seen?.at === at) {
      // An earlier attempt of this run kept them: decide on those (and record their point again).
      facts = seen;
      factsState = 'kept';
    } else if (!seen || !sameFacts(seen, fresh) || Date.parse(at) - Date.parse(seen.at) >= FACTS_REFRESH_MS) {
      factsState = 'new';
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
  return { item, facts, factsState, decision: repriceSku(inputs, rules) };
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

export function repricingRun(deps: RepricingRunDeps) {
  const nowIso = () => deps.clock.now().toISOString();

  /** A change to publish, and whether the SKU was in a bundle as it was written. */
  type Published = { readonly change: PriceChange; readonly inBundles: boolean };

  /**
   * Settles a page's decisions, each once: a changed one is one conditional write (the price, and
   * new facts with it), an unchanged one with new facts keeps them on the SKU (first attempt wins);
   * the page's first writes go to the store together (`applyRunWrites`: one transaction on DynamoDB).
   * A SKU whose pricing changed under the run (or whose facts another attempt kept first, or that
   * joined a bundle) is read and decided again; one this run already changed (a concurrent or
   * retried step) is finished from the change recorded on it; one a later run changed is left to
   * it. `points` receives the facts each SKU's decision used when they are to be recorded for
   * replays (new, or kept by an earlier attempt).
   */
  async function settle(
    ctx: RepricingRunContext,
    evaluations: readonly SkuEvaluation[],
    points: Map<string, SkuFacts>,
  ): Promise<Published[]> {
    const applied: Published[] = [];
    /** The write a decision makes (null: nothing to write). */
    const writeOf = ({ item, facts, factsState, decision }: SkuEvaluation): RunWrite | null => {
      if (!decision.changed) return factsState === 'new' ? { kind: 'facts', sku: item.sku, facts } : null;
      return {
        kind: 'change',
        change: runChange({ item, facts, factsState, decision }, ctx),
        expectedVersion: item.version,
        guard: {
          keepFacts: factsState === 'new' ? facts : null,
          factsKept: factsState === 'kept',
          inNoBundle: item.bundles.length === 0,
        },
      };
    };
    // The first attempt of every SKU of the page together (one transaction on DynamoDB); a SKU
    // decided again writes alone.
    const firstWrites = new Map(evaluations.map((e) => [e, writeOf(e)] as const));
    const toSend = [...firstWrites].filter((entry): entry is [SkuEvaluation, RunWrite] => entry[1] !== null);
    const sent = toSend.length > 0 ? await deps.store.applyRunWrites(toSend.map(([, w]) => w)) : [];
    const firstOutcomes = new Map(toSend.map(([e], i) => [e, sent[i]!] as const));

    await pMap(
      evaluations,
      async (first) => {
        let evaluation: SkuEvaluation | null = first;
        for (let attempt = 1; evaluation && attempt <= APPLY_ATTEMPTS; attempt++) {
          const { item, facts, factsState } = evaluation;
          const write = attempt === 1 ? firstWrites.get(first)! : writeOf(evaluation);
          if (!write) {
            if (factsState !== 'same') points.set(item.sku, facts);
            return;
          }
          const outcome: RunWriteOutcome =
            attempt === 1 ? firstOutcomes.get(first)! : (await deps.store.applyRunWrites([write]))[0]!;
          if (write.kind === 'facts') {
            const kept = (outcome as { kept: SkuFacts }).kept;
            if (!sameFacts(kept, facts)) {
              // Another attempt of this run kept other facts first: decide on those.
              evaluation = await again(ctx, { ...item, factsSeen: kept });
              continue;
            }
            points.set(item.sku, facts);
            return;
          }
          if (outcome === 'applied') {
            applied.push({ change: write.change, inBundles: item.bundles.length > 0 });
            if (factsState !== 'same') points.set(item.sku, facts);
            return;
          }
          const current = await deps.store.getPricing(item.sku);
          if (!current) return;
          if (outcome === 'done' || current.lastRun?.at === ctx.at) {
            if (current.lastRun?.runId === ctx.runId && current.lastChange) {
              applied.push({ change: current.lastChange, inBundles: current.bundles.length > 0 });
            }
            if (current.factsSeen?.at === ctx.at) points.set(item.sku, current.factsSeen);
            return;
          }
          evaluation = await again(ctx, current);
        }
        if (evaluation) {
          throw new Error(`${first.item.sku} kept changing while run ${ctx.runId} applied its price; retry`);
        }
      },
      { concurrency: RUN_SKU_CONCURRENCY },
    );
    return applied;
  }

  /** A SKU decided again on its pricing as just read. */
  const again = async (ctx: RepricingRunContext, current: StoredSkuPricing) =>
    (await evaluatePage(deps, [current], ctx.at, ctx.rules, { record: true }))[0] ?? null;

  return {
    /** StartRun: the run's context (its rules snapshotted now) and the buckets to fan out over. */
    async start(input: { at?: string | undefined }, run: RunContext) {
      const rules = (await deps.store.getRules()) ?? DEFAULT_PRICING_RULES;
      const at = scheduledRunAt(input.at ?? run.startedAt ?? nowIso(), rules.timeZone).toISOString();
      const context: RepricingRunContext = { runId: run.name, at, rules };
      // Only the buckets that hold priced SKUs: a small catalog is not 64 child executions an hour.
      return { context, buckets: await deps.store.nonEmptyBuckets() };
    },

    /**
     * RepricePage: one page of a bucket decided, and its changes applied and published once. Per
     * page: a Query for the page, two batch reads (catalog, competitor prices), one transaction of
     * the conditional writes of the SKUs that change or have new facts, and batched writes of the
     * price-history records and the replay points; one PutEvents per 10 changes.
     */
    async page(input: { run: RepricingRunContext; bucket: number; cursor: string | null }) {
      const ctx = input.run;
      const page = await deps.store.listBucket(input.bucket, input.cursor || null, RUN_PAGE_SIZE);
      // SKUs this run already changed (a retried step): finish their record, facts point and event.
      const done = page.items.filter((i) => i.lastRun?.at === ctx.at);
      const finished: Published[] = done.flatMap((i) =>
        i.lastRun?.runId === ctx.runId && i.lastChange
          ? [{ change: i.lastChange, inBundles: i.bundles.length > 0 }]
          : [],
      );
      const points = new Map<string, SkuFacts>();
      for (const i of done) if (i.factsSeen?.at === ctx.at) points.set(i.sku, i.factsSeen);
      const evaluations = await evaluatePage(
        deps,
        page.items.filter((i) => i.lastRun?.at !== ctx.at && !(i.lastRun && i.lastRun.at > ctx.at)),
        ctx.at,
        ctx.rules,
        { record: true },
      );
      const changes = [...finished, ...(await settle(ctx, evaluations, points))];
      // Published at the change's own instant, not now: a retried page republishes the same event
      // (same id, same instant), so the timeline, keyed by instant and id, keeps one line. The run
      // writes the events' timeline lines itself, batched with the records (decision 33).
      const events = changes.map(({ change: c, inBundles }) =>
        markRecorded(priceChangedEvent(c, c.at, priceChangeKey(c.runId ?? ctx.runId, c.sku), inBundles)),
      );
      // The replay points, the history records and the timeline lines after the writes they
      // describe: a retried page finds the SKUs it changed (above) and writes the same items again.
      await Promise.all([
        points.size > 0
          ? deps.store.recordFacts([...points].map(([sku, facts]) => ({ sku, facts })))
          : undefined,
        changes.length > 0 ? deps.store.recordPriceChanges(changes.map((c) => c.change)) : undefined,
        events.length > 0 ? deps.timeline.record(events.flatMap(eventTimelineEntries)) : undefined,
      ]);
      await deps.publisher.publish(events);
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
