import pMap from 'p-map';
import type { BusinessKey } from '../events/envelope.ts';
import { addDays, localDate, localTime } from '../shared/calendar.ts';
import { CATALOG_BUCKETS } from '../shared/catalog.ts';
import type { RunContext } from '../workflow/run.ts';
import { StepRejectedError } from '../workflow/run.ts';
import { cached, type RestockCheck, type RestockDeps, restockCheck } from './check.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { SALES_WINDOW_DAYS } from './rules.ts';
import type { SkuCheck } from './store.ts';

/**
 * The nightly sweep (SPEC §3, issue #11): at 02:00 store time the whole catalog is checked, fanned
 * out over catalog buckets with bounded concurrency (a Distributed Map on AWS). Two passes: first
 * every SKU's 30-day sales are measured and the top ten ranked, then every SKU is checked against
 * that ranking. Each step handles one page of one bucket and is idempotent, so a sweep resumed
 * after a crash checks every SKU and creates no second purchase order.
 */

export { CATALOG_BUCKETS };
/** SKUs one step handles: a page, well inside a Lambda's time and Step Functions' payload limit. */
export const SWEEP_PAGE_SIZE = 100;
/**
 * SKUs of a page checked at once. A SKU's check touches only its own items (its slots, its
 * purchase order, its timeline) and reads the sweep's shared inputs (suppliers, purchases this
 * year, the ranking) once per sweep through the context, so the checks of a page are independent;
 * run one after another, a page's step waited on ~12 requests per SKU in turn.
 */
export const SWEEP_CHECK_CONCURRENCY = 10;

export const RESTOCK_SWEEP_WORKFLOW = 'RestockSweep';

/** A restock step that no retry can fix. */
export class RestockStepRejectedError extends StepRejectedError {
  override readonly name = 'RestockStepRejected';
  readonly code = 'RestockStepRejected';
}
export const RESTOCK_STEP_REJECTED = 'RestockStepRejected';

/** The sweep as every step receives it (from its first step's result). */
export interface SweepContext {
  /** The run's name, `sweep-<store date>`: the trigger id of its checks. */
  readonly sweep: string;
  readonly date: string;
  readonly policyVersion: number;
  /** The instant the sweep's decisions are made at (the run's start). */
  readonly at: string;
}

/** The sweep's run name for a store date: one sweep per night. */
export const sweepRunName = (date: string) => `sweep-${date}`;

const top = (entries: Array<{ sku: string; units: number }>, n = 10) =>
  [...entries].sort((a, b) => b.units - a.units || a.sku.localeCompare(b.sku)).slice(0, n);

export function restockSweep(deps: RestockDeps) {
  const checks: RestockCheck = restockCheck(deps);
  const contexts = new Map<string, ReturnType<RestockCheck['context']>>();
  const contextOf = (sweep: SweepContext) =>
    cached(contexts, sweep.sweep, () => checks.context(sweep.policyVersion, new Date(sweep.at)));

  return {
    /** StartSweep: the sweep's context (its policy version, its instant) and the buckets to fan out over. */
    async start(input: { date?: string | undefined }, run: RunContext) {
      const policy = (await deps.store.getPolicy()) ?? DEFAULT_POLICY;
      const at = run.startedAt ?? deps.clock.now().toISOString();
      const sweep: SweepContext = {
        sweep: run.name,
        date: input.date ?? localDate(new Date(at), policy.timeZone),
        policyVersion: policy.version,
        at,
      };
      return { context: sweep, buckets: Array.from({ length: CATALOG_BUCKETS }, (_, i) => i) };
    },

    /** MeasureBucket: one page's 30-day sales, and its best sellers as ranking candidates. */
    async measure(input: { sweep: SweepContext; bucket: number; cursor: string | null }) {
      const ctx = await contextOf(input.sweep);
      const page = await deps.store.listBucket(input.bucket, input.cursor || null, SWEEP_PAGE_SIZE);
      const today = localDate(ctx.at, ctx.policy.timeZone);
      const from = addDays(today, -(SALES_WINDOW_DAYS - 1));
      const measures = await Promise.all(
        page.items.map(async (sku) => ({
          sku: sku.sku,
          sales30d: await deps.store.unitsSold(sku.sku, from, today),
          measuredAt: input.sweep.at,
          sweep: input.sweep.sweep,
        })),
      );
      await deps.store.saveMeasures(measures);
      await deps.store.saveRankCandidates(
        input.sweep.sweep,
        `${input.bucket}:${input.cursor ?? ''}`,
        top(measures.map((m) => ({ sku: m.sku, units: m.sales30d }))),
      );
      return { cursor: page.cursor, measured: measures.length };
    },

    /** Rank: the ten SKUs with the most units sold in 30 days (ties by SKU id). */
    async rank(input: { sweep: SweepContext }) {
      const ranking = {
        asOf: input.sweep.at,
        sweep: input.sweep.sweep,
        top: top((await deps.store.listRankCandidates(input.sweep.sweep)).filter((t) => t.units > 0)),
      };
      await deps.store.saveRanking(ranking);
      return { top: ranking.top.map((t) => t.sku) };
    },

    /** CheckBucket: one page's per-SKU checks, under the sweep's policy version and ranking. */
    async check(input: { sweep: SweepContext; bucket: number; cursor: string | null }) {
      const ctx = await contextOf(input.sweep);
      const page = await deps.store.listBucket(input.bucket, input.cursor || null, SWEEP_PAGE_SIZE);
      const previous = new Map<string, SkuCheck | null>();
      const results = await pMap(
        page.items,
        async (sku) => {
          // One read for what the check needs besides the SKU: this sweep's measure, the slots.
          const state = await deps.store.skuState(sku.sku);
          previous.set(sku.sku, state.check);
          return checks.check(
            sku,
            { kind: 'sweep', id: input.sweep.sweep, at: input.sweep.at },
            ctx,
            state.measure?.sweep === input.sweep.sweep ? state.measure : undefined,
            state.slots,
          );
        },
        { concurrency: SWEEP_CHECK_CONCURRENCY },
      );
      await deps.store.saveChecks(results, previous);
      return {
        cursor: page.cursor,
        checked: results.length,
        ordered: results.filter((r) => r.outcome === 'ordered').length,
      };
    },
  };
}
export type RestockSweep = ReturnType<typeof restockSweep>;

/**
 * The sweep's clock (an EventBridge Scheduler schedule ticking every 15 minutes in the store's
 * time zone): the first tick at or after the policy's `sweepAt` on a store day starts that day's
 * sweep, named after the date, so a repeated tick is a no-op. `sweepAt` and the time zone come
 * from the policy, so the store changes them with the API, not a redeploy.
 */
export function sweepTick(deps: Pick<RestockDeps, 'store' | 'clock'>) {
  return async (): Promise<{ due: false } | { due: true; name: string; date: string }> => {
    const policy = (await deps.store.getPolicy()) ?? DEFAULT_POLICY;
    const now = deps.clock.now();
    if (localTime(now, policy.timeZone) < policy.sweepAt) return { due: false };
    const date = localDate(now, policy.timeZone);
    return { due: true, name: sweepRunName(date), date };
  };
}

export const skuKey = (sku: string): BusinessKey => ({ type: 'sku', id: sku });
