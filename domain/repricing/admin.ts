import pMap from 'p-map';
import { checkBundleItems, parseBundle } from '../pricing/bundle.ts';
import {
  DEFAULT_PRICING_RULES,
  parsePricingRules,
  REPRICING_ENGINE,
  type RulesInForce,
} from '../pricing/pricing-rules.ts';
import type { PriceDecision } from '../pricing/reprice.ts';
import {
  MAX_DRY_RUN_SKUS,
  parseDryRunRequest,
  parseWhatIfRequest,
  type WhatIfRequest,
} from '../pricing/requests.ts';
import { hourlyRunsBetween } from '../pricing/schedule.ts';
import { type WhatIfSku, whatIf } from '../pricing/what-if.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { bundlePricer } from './consumers.ts';
import { toSkuHistory } from './history.ts';
import { evaluatePage, observationLookbackMs, type RepricingDeps } from './run.ts';
import { changeSummary, skuPricingAdmin } from './sku-pricing.ts';
import type { PriceChange, StoredBundle, StoredSkuPricing, WhatIfJob } from './store.ts';

export { skuPricingView } from './sku-pricing.ts';

/**
 * The pricing operations API's use cases (issue #13): the rules (versioned), a SKU's pricing
 * fields (set by `PUT /api/skus/{sku}` beside restock's), bundles, a dry run of the rules now, a
 * what-if replay of a past period, and a SKU's price history. Saves are optimistic (a version read,
 * a conditional write, a few retries).
 */

const SAVE_ATTEMPTS = 5;
/** A what-if replays at most this many SKU-runs per request (1,000 SKUs over 7 days). */
export const MAX_WHAT_IF_SKU_RUNS = 168_000;
/** Concurrent history reads of a what-if. */
const HISTORY_CONCURRENCY = 16;
/** SKU-runs one step of a what-if job replays (100 SKUs over 7 days: seconds of work, one part). */
export const WHAT_IF_CHUNK_SKU_RUNS = 16_800;
/**
 * The largest what-if answered at once, in bytes of JSON: under Lambda's 6 MB response limit
 * (a synchronous invocation's payload) with room for the envelope; a larger one is a job.
 */
export const MAX_WHAT_IF_ANSWER_BYTES = 5_000_000;
/**
 * Time a what-if answered at once keeps back before its invocation's end: when less than this
 * (plus twice its slowest chunk so far) is left, what is replayed is kept and a job does the rest.
 */
export const WHAT_IF_RESERVE_MS = 5_000;

/** SKUs a what-if job's step (and a chunk of an answer given at once) replays for `runs` hourly runs. */
const whatIfChunkSize = (runs: number) => Math.max(1, Math.floor(WHAT_IF_CHUNK_SKU_RUNS / Math.max(1, runs)));

const JobQuery = z.object({
  cursor: z.optional(z.string().check(z.regex(/^\d{1,6}$/, 'is not a cursor this job handed out'))),
});

/** A job as `POST` (202) and `GET` show it before its result. */
const jobView = (job: WhatIfJob) => ({
  jobId: job.jobId,
  status: job.status,
  progress: { skus: job.skus.length, replayed: job.replayed },
  from: job.from,
  to: job.to,
  timeZone: job.timeZone,
  rulesVersion: job.rulesVersion,
  catalogCursor: job.catalogCursor,
  error: job.error,
  createdAt: job.createdAt,
  updatedAt: job.updatedAt,
  location: `/api/repricing/what-if/${job.jobId}`,
});

const PageQuery = (max: number, fallback: number) =>
  z.object({
    limit: z._default(
      z.coerce
        .number(`must be a number from 1 to ${max}`)
        .check(
          z.int('must be a whole number'),
          z.minimum(1, 'must be at least 1'),
          z.maximum(max, `must be at most ${max}`),
        ),
      fallback,
    ),
    cursor: z.optional(
      z.string().check(z.minLength(1), z.maxLength(2048, 'is not a cursor this API handed out')),
    ),
  });
const HistoryQuery = PageQuery(500, 100);
const CatalogQuery = PageQuery(MAX_DRY_RUN_SKUS, MAX_DRY_RUN_SKUS);

/** A change as `GET /api/skus/{sku}/prices` shows it: the summary and the receipt. */
const changeView = (c: PriceChange) => ({
  ...changeSummary(c),
  rulesVersion: c.rulesVersion,
  version: c.version,
  trail: c.decision?.trail ?? [],
  guardrails: c.decision?.guardrails ?? [],
  limits: c.decision?.limits ?? null,
  inputs: c.decision?.inputs ?? null,
});

const decisionView = (d: PriceDecision) => ({
  sku: d.sku,
  outcome: d.outcome,
  old: d.old,
  new: d.new,
  change: d.change,
  trail: d.trail,
  guardrails: d.guardrails,
  boundBy: d.boundBy,
  limits: d.limits,
  inputs: d.inputs,
});

/** A what-if SKU, compact: the price after each run (aligned with `runs`), and the runs that moved it. */
const whatIfView = (s: WhatIfSku, runs: readonly string[]) => {
  const byRun = new Map(s.hours.map((h) => [h.at, h]));
  return {
    sku: s.sku,
    currency: s.start?.currency ?? s.end?.currency ?? null,
    start: s.start,
    end: s.end,
    /** The price after each run (minor units; null: not repriced in that run). */
    prices: runs.map((at) => byRun.get(at)?.price.amount ?? null),
    changes: s.changes,
    changed: s.hours
      .filter((h) => h.outcome === 'changed')
      .map((h) => ({
        at: h.at,
        runId: h.runId,
        old: h.old,
        new: h.price,
        rules: h.moved,
        guardrail: h.boundBy,
      })),
    runsSkipped: s.runsSkipped,
    guardrailsBound: s.guardrailsBound,
    revenueEstimate: s.revenueEstimate,
  };
};

/** Starts what-if jobs in the background (a workflow per job on AWS). */
export interface WhatIfJobStarter {
  newId(): string;
  start(jobId: string): Promise<void>;
  /** The largest answer given at once (default {@link MAX_WHAT_IF_ANSWER_BYTES}; tests lower it). */
  readonly maxAnswerBytes?: number;
}

export function pricingAdmin(deps: RepricingDeps & { readonly whatIfJobs?: WhatIfJobStarter }) {
  const nowIso = () => deps.clock.now().toISOString();
  const rulesInForce = async () => (await deps.store.getRules()) ?? DEFAULT_PRICING_RULES;
  const bundles = bundlePricer(deps);
  const skuPricing = skuPricingAdmin(deps);

  /** A job for a what-if request over the SKUs `page` covers. */
  function newJob(
    request: WhatIfRequest,
    rules: RulesInForce,
    stored: RulesInForce,
    page: { readonly items: readonly StoredSkuPricing[]; readonly cursor: string | null },
  ): WhatIfJob {
    const at = nowIso();
    const runs = hourlyRunsBetween(request.from, request.to, rules.timeZone).length;
    return {
      jobId: deps.whatIfJobs?.newId() ?? '',
      status: 'running',
      rules,
      rulesVersion: request.rules ? null : (stored.version ?? null),
      from: request.from,
      to: request.to,
      timeZone: rules.timeZone,
      skus: page.items.map((i) => i.sku),
      chunkSize: whatIfChunkSize(runs),
      parts: 0,
      replayed: 0,
      catalogCursor: page.cursor,
      error: null,
      createdAt: at,
      updatedAt: at,
    };
  }

  /**
   * Keeps a job's first `parts` (its chunks' SKU views, in order) as its result so far; `complete`:
   * they are all of it (the job succeeds), else its steps replay the chunks after them.
   */
  async function keepParts(job: WhatIfJob, parts: readonly (readonly unknown[])[], complete: boolean) {
    let replayed = 0;
    for (const [index, part] of parts.entries()) {
      replayed += part.length;
      await deps.store.saveWhatIfPart(job.jobId, index, part, {
        replayed,
        last: complete && index + 1 === parts.length,
        at: nowIso(),
      });
    }
  }

  /**
   * Replays `skus` over [from, to) with `rules`: each SKU's recorded history read once (three
   * Queries), then the pure replay in memory; the compact per-SKU views.
   */
  async function replay(
    skus: readonly string[],
    rules: RulesInForce,
    from: string,
    to: string,
    zone: string,
  ) {
    const lookbackMs = observationLookbackMs(rules);
    const histories = await pMap(
      skus,
      async (sku) => toSkuHistory(await deps.store.history(sku, from, to, lookbackMs)),
      { concurrency: HISTORY_CONCURRENCY },
    );
    const report = whatIf({ skus: histories }, rules, from, to, zone);
    return { ...report, skus: report.skus.map((s) => whatIfView(s, report.runs)) };
  }

  async function bundleView(bundle: StoredBundle) {
    return {
      bundleId: bundle.bundleId,
      items: bundle.items,
      saving: bundle.saving,
      price: bundle.pricing?.price ?? null,
      priceReason: bundle.pricing?.reason ?? null,
      computedAt: bundle.pricing?.computedAt ?? null,
      receipt: bundle.pricing?.receipt ?? null,
      version: bundle.version,
      createdAt: bundle.createdAt,
      updatedAt: bundle.updatedAt,
    };
  }

  /** The priced SKUs a dry run or what-if covers: those named (404 for unknown), or a catalog page. */
  async function covered(skus: readonly string[] | undefined, query: unknown, cap: number) {
    if (skus) {
      const found = await deps.store.getPricings(skus);
      const missing = skus.filter((s) => !found.get(s)?.price);
      if (missing.length) {
        throw new NotFoundError(
          `no price for ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}: set one with PUT /api/skus/{sku}`,
        );
      }
      return { items: skus.map((s) => found.get(s) as StoredSkuPricing), cursor: null };
    }
    const q = parseOrThrow(CatalogQuery, query ?? {});
    return deps.store.listPricings(q.cursor ?? null, Math.min(q.limit, cap));
  }

  return {
    // --- rules ---
    async getRules() {
      return rulesInForce();
    },
    async putRules(body: unknown) {
      const next = parsePricingRules(body);
      for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
        const current = await rulesInForce();
        const saved = await deps.store.saveRules(next, current.version, nowIso());
        if (saved.saved) return saved.record;
      }
      throw new ConflictError('the pricing rules kept changing while they were being saved; try again');
    },

    ...skuPricing,

    // --- price history ---
    async priceHistory(sku: string, query: unknown) {
      const id = parseId(sku, 'sku');
      const q = parseOrThrow(HistoryQuery, query ?? {});
      const pricing = await deps.store.getPricing(id);
      if (!pricing) throw new NotFoundError(`SKU ${id} has no pricing; set it with PUT /api/skus/{sku}`);
      const page = await deps.store.listPriceChanges(id, q.cursor ?? null, q.limit);
      return {
        sku: id,
        price: pricing.price,
        items: page.items.map(changeView),
        nextCursor: page.cursor,
      };
    },

    // --- bundles ---
    async putBundle(bundleId: unknown, body: unknown) {
      const spec = parseBundle(bundleId, body);
      const pricings = await deps.store.getPricings(spec.items.map((i) => i.sku));
      // A SKU without pricing fields counts as one without a price (set one first).
      checkBundleItems(spec, new Map(spec.items.map((i) => [i.sku, pricings.get(i.sku)?.price ?? null])));
      // The items know they are in the bundle before its price is computed: a price change written
      // after this mark is published as one to recompute bundles on, one written before it is in
      // the computation below.
      await deps.store.markBundleMembers(
        spec.bundleId,
        spec.items.map((i) => i.sku),
      );
      for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
        const existing = await deps.store.getBundle(spec.bundleId);
        const pricing = await bundles.compute(spec);
        const saved = await deps.store.saveBundle(
          { bundleId: spec.bundleId, items: spec.items, saving: spec.saving, pricing },
          existing?.version ?? null,
          nowIso(),
          existing?.items.map((i) => i.sku) ?? [],
        );
        if (saved.saved) return { created: saved.created, bundle: await bundleView(saved.record) };
      }
      throw new ConflictError(`bundle ${spec.bundleId} kept changing while it was being saved; try again`);
    },
    async getBundle(bundleId: string) {
      const bundle = await deps.store.getBundle(parseId(bundleId, 'bundleId'));
      if (!bundle) throw new NotFoundError(`bundle ${bundleId} does not exist`);
      return bundleView(bundle);
    },

    // --- dry run and what-if ---
    /**
     * `POST /api/repricing/dry-run`: what a run would decide now for the SKUs named (or a page of
     * the catalog), with the same function and inputs as a live run; nothing is applied or recorded.
     */
    async dryRun(body: unknown, query: unknown) {
      const request = parseDryRunRequest(body);
      const rules: RulesInForce = request.rules ?? (await rulesInForce());
      const page = await covered(request.skus, query, MAX_DRY_RUN_SKUS);
      const at = nowIso();
      const evaluations = await evaluatePage(deps, page.items, at, rules, { record: false });
      const decisions = evaluations.map((e) => e.decision);
      return {
        at,
        rulesVersion: request.rules ? null : (rules.version ?? null),
        applied: false,
        summary: {
          decided: decisions.length,
          changed: decisions.filter((d) => d.outcome === 'changed').length,
          unchanged: decisions.filter((d) => d.outcome === 'unchanged').length,
          locked: decisions.filter((d) => d.outcome === 'locked').length,
        },
        items: decisions.map(decisionView),
        nextCursor: page.cursor,
      };
    },

    /**
     * `POST /api/repricing/what-if`: the hourly runs of a past period replayed on the recorded
     * history with the rules to try (those in force when none are given), for the SKUs named or a
     * page of the catalog. Up to {@link MAX_WHAT_IF_SKU_RUNS} SKU-runs it answers at once (200);
     * asked to (`respondAsync`: `Prefer: respond-async`) or for more SKU-runs (up to 1,000 named
     * SKUs over 31 days), it accepts a job (202) whose progress and result
     * `GET /api/repricing/what-if/{jobId}` shows. One answered at once that runs short of its
     * invocation's time (`timeLeftMs`) becomes such a job too, keeping what it replayed.
     */
    async whatIf(
      body: unknown,
      query: unknown,
      options: {
        readonly respondAsync?: boolean;
        /** The invocation's time left (ms; Lambda's `getRemainingTimeInMillis`): watched while replaying. */
        readonly timeLeftMs?: () => number;
      } = {},
    ) {
      const request = parseWhatIfRequest(body, deps.clock.now());
      const stored = await rulesInForce();
      const rules: RulesInForce = request.rules ?? stored;
      const zone = rules.timeZone;
      const runs = hourlyRunsBetween(request.from, request.to, zone).length;
      const cap = Math.max(1, Math.floor(MAX_WHAT_IF_SKU_RUNS / Math.max(1, runs)));
      const tooMany = request.skus !== undefined && request.skus.length > cap;
      if ((options.respondAsync || tooMany) && deps.whatIfJobs) {
        const page = await covered(request.skus, query, MAX_DRY_RUN_SKUS);
        const job = newJob(request, rules, stored, page);
        if (!(await deps.store.createWhatIfJob(job))) throw new ConflictError('a job with this id exists');
        await deps.whatIfJobs.start(job.jobId);
        return { status: 202 as const, body: jobView(job) };
      }
      if (tooMany) {
        throw ValidationError.field(
          'skus',
          `must name at most ${cap} SKUs for ${runs} hourly runs (${MAX_WHAT_IF_SKU_RUNS} SKU-runs per request); shorten the period or split the SKUs`,
        );
      }
      const page = await covered(request.skus, query, cap);
      // Replayed chunk by chunk (a job's chunks), watching the invocation's time: one that would
      // not finish in time hands what it replayed to a job (202) instead of timing out (a 5xx).
      const skus = page.items.map((i) => i.sku);
      const chunkSize = whatIfChunkSize(runs);
      const parts: Awaited<ReturnType<typeof replay>>[] = [];
      let slowestMs = 0;
      for (let start = 0; start === 0 || start < skus.length; start += chunkSize) {
        const before = options.timeLeftMs?.();
        if (before !== undefined && deps.whatIfJobs && before < WHAT_IF_RESERVE_MS + 2 * slowestMs) {
          const job = newJob(request, rules, stored, page);
          if (!(await deps.store.createWhatIfJob(job))) throw new ConflictError('a job with this id exists');
          await keepParts(
            job,
            parts.map((p) => p.skus),
            false,
          );
          await deps.whatIfJobs.start(job.jobId);
          return { status: 202 as const, body: jobView((await deps.store.getWhatIfJob(job.jobId)) ?? job) };
        }
        parts.push(await replay(skus.slice(start, start + chunkSize), rules, request.from, request.to, zone));
        if (before !== undefined)
          slowestMs = Math.max(slowestMs, before - (options.timeLeftMs?.() ?? before));
      }
      const report = {
        ...(parts[0] as Awaited<ReturnType<typeof replay>>),
        skus: parts.flatMap((p) => p.skus),
      };
      const answer = {
        from: request.from,
        to: request.to,
        timeZone: report.timeZone,
        runs: report.runs,
        rulesVersion: request.rules ? null : (stored.version ?? null),
        engine: report.engine,
        applied: false,
        skus: report.skus,
        nextCursor: page.cursor,
      };
      // An answer over Lambda's 6 MB response limit (many changes: ~200 bytes each) is kept as a
      // finished job instead, its result a part at a time: 202 and where to read it.
      const limit = deps.whatIfJobs?.maxAnswerBytes ?? MAX_WHAT_IF_ANSWER_BYTES;
      if (deps.whatIfJobs && JSON.stringify(answer).length > limit) {
        const job = newJob(request, rules, stored, page);
        if (!(await deps.store.createWhatIfJob(job))) throw new ConflictError('a job with this id exists');
        await keepParts(
          job,
          Array.from({ length: Math.ceil(report.skus.length / job.chunkSize) }, (_, index) =>
            report.skus.slice(index * job.chunkSize, (index + 1) * job.chunkSize),
          ),
          true,
        );
        const done = (await deps.store.getWhatIfJob(job.jobId)) ?? job;
        return { status: 202 as const, body: jobView(done) };
      }
      return { status: 200 as const, body: answer };
    },

    /**
     * One step of a what-if job: replays chunk `chunk` of its SKUs and keeps that part of the
     * result (a retried step finds it kept); `next`: the chunk after it, null when done.
     */
    async whatIfChunk(jobId: string, chunk: number) {
      const job = await deps.store.getWhatIfJob(jobId);
      if (!job) throw new NotFoundError(`what-if job ${jobId} does not exist`);
      const chunks = Math.max(1, Math.ceil(job.skus.length / job.chunkSize));
      if (job.status !== 'running' || chunk >= chunks) return { next: null };
      if (chunk < job.parts) return { next: chunk + 1 < chunks ? chunk + 1 : null };
      const skus = job.skus.slice(chunk * job.chunkSize, (chunk + 1) * job.chunkSize);
      const report = await replay(skus, job.rules, job.from, job.to, job.timeZone);
      const last = chunk + 1 >= chunks;
      await deps.store.saveWhatIfPart(jobId, chunk, report.skus, {
        replayed: Math.min(job.skus.length, (chunk + 1) * job.chunkSize),
        last,
        at: nowIso(),
      });
      return { next: last ? null : chunk + 1 };
    },

    /** A job that cannot finish (its workflow failed): marked failed with the reason. */
    async whatIfFailed(jobId: string, error: string) {
      await deps.store.failWhatIfJob(jobId, error.slice(0, 1000), nowIso());
      return { failed: true };
    },

    /**
     * `GET /api/repricing/what-if/{jobId}`: the job's progress; once it has succeeded, its result
     * a part at a time (`cursor`: the part; `nextCursor` the next one), in the shape of the
     * synchronous answer.
     */
    async whatIfJob(jobId: string, query: unknown) {
      const id = parseId(jobId, 'jobId');
      const job = await deps.store.getWhatIfJob(id);
      if (!job) throw new NotFoundError(`what-if job ${id} does not exist (jobs are kept 7 days)`);
      const view = jobView(job);
      if (job.status !== 'succeeded') return view;
      const q = parseOrThrow(JobQuery, query ?? {});
      const index = q.cursor === undefined ? 0 : Number(q.cursor);
      const part = await deps.store.getWhatIfPart(id, index);
      if (!part) throw ValidationError.field('cursor', 'is not a cursor this job handed out');
      return {
        ...view,
        runs: hourlyRunsBetween(job.from, job.to, job.timeZone).map((r) => r.toISOString()),
        engine: REPRICING_ENGINE,
        applied: false,
        skus: part,
        nextCursor: index + 1 < job.parts ? String(index + 1) : null,
      };
    },
  };
}
export type PricingAdmin = ReturnType<typeof pricingAdmin>;
