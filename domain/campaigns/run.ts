import { canonicalEvent } from '../events/catalog.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { Clock } from '../shared/clock.ts';
import type { VariantCountsSource } from '../shared/variant-counts.ts';
import type { TimelineRepository } from '../timeline/timeline.ts';
import { atLeastOneSecond, RunCancelledError, type RunContext, StepRejectedError } from '../workflow/run.ts';
import { runTimeline } from '../workflow/run-timeline.ts';
import { type Campaign, type CampaignStatus, FINAL_STATUSES } from './campaign.ts';
import { type EvaluationDecision, evaluatePilot } from './evaluation.ts';
import { campaignEvent, campaignFact } from './events.ts';
import { type ExperimentConclusion, experimentResults } from './experiment.ts';
import type { CampaignStore, CatalogPrices, SkuPricingPort } from './store.ts';

export {
  CAMPAIGN_ABORTED,
  CAMPAIGN_DECIDED,
  CAMPAIGN_STEP_REJECTED,
  experimentRunName,
  launchRunName,
} from './names.ts';

/**
 * The launch run of a campaign (SPEC §5, workflows/campaign-launch.ts) and the run of an A/B test
 * (workflows/experiment-run.ts): their steps, each idempotent (a retry finds the transition made
 * and republishes the same event ids).
 */

/** The campaign was aborted (by a person, or before the step ran): the run ends it cleanly. */
export class CampaignAbortedError extends RunCancelledError {
  override readonly name = 'CampaignAborted';
  readonly code = 'CampaignAborted';
}

/** A person decided before the run parked for the decision: the run carries the decision out. */
export class CampaignDecidedError extends RunCancelledError {
  override readonly name = 'CampaignDecided';
  readonly code = 'CampaignDecided';
}

export class CampaignStepRejectedError extends StepRejectedError {
  override readonly name = 'CampaignStepRejected';
  readonly code = 'CampaignStepRejected';
}

export const CAMPAIGN_LAUNCH_WORKFLOW = 'CampaignLaunch';
export const LAUNCH_TASK_STATES = [
  'Schedule',
  'AwaitStart',
  'StartPilot',
  'AwaitPilotEnd',
  'Evaluate',
  'AwaitDecision',
  'RollOut',
  'RollBack',
  'TimeOutDecision',
  'AwaitEnd',
  'End',
  'Abort',
  'Compensate',
] as const;
export type LaunchTaskState = (typeof LAUNCH_TASK_STATES)[number];

export const EXPERIMENT_RUN_WORKFLOW = 'ExperimentRun';
export const EXPERIMENT_TASK_STATES = ['AwaitExperimentEnd', 'Conclude'] as const;
export type ExperimentTaskState = (typeof EXPERIMENT_TASK_STATES)[number];

export interface CampaignRunDeps {
  readonly store: CampaignStore;
  readonly counts: VariantCountsSource;
  readonly pricing: SkuPricingPort;
  readonly catalog: Pick<CatalogPrices, 'skusInCategories'>;
  readonly publisher: EventPublisher;
  readonly timeline: TimelineRepository;
  readonly clock: Clock;
}

const secondsUntil = (at: string, now: Date) => atLeastOneSecond((Date.parse(at) - now.getTime()) / 1000);

export function campaignRun(deps: CampaignRunDeps) {
  const lines = runTimeline({
    timeline: deps.timeline,
    clock: deps.clock,
    workflow: CAMPAIGN_LAUNCH_WORKFLOW,
    states: LAUNCH_TASK_STATES,
  });
  const experimentLines = runTimeline({
    timeline: deps.timeline,
    clock: deps.clock,
    workflow: EXPERIMENT_RUN_WORKFLOW,
    states: EXPERIMENT_TASK_STATES,
  });
  const at = (run: RunContext) => run.enteredAt ?? deps.clock.now().toISOString();
  const key = (id: string) => [{ type: 'campaign' as const, id }];

  async function load(id: string): Promise<Campaign> {
    const c = await deps.store.getCampaign(id);
    if (!c) throw new CampaignStepRejectedError(`campaign ${id} does not exist`);
    return c;
  }
  const abortedIf = (c: Campaign) => {
    if (c.status === 'ABORTED') throw new CampaignAbortedError(`campaign ${c.campaignId} was aborted`);
  };

  async function move(
    id: string,
    from: readonly CampaignStatus[],
    to: CampaignStatus,
    run: RunContext,
    reason: string,
    patch: Parameters<CampaignStore['transition']>[3] = {},
  ) {
    // Staying in a status (a patch alone) adds no history line.
    const same = from.length === 1 && from[0] === to;
    const change = same ? null : { status: to, at: at(run), by: 'storeflow', reason };
    const t = await deps.store.transition(id, from, to, patch, change);
    if (!t.campaign) throw new CampaignStepRejectedError(`campaign ${id} does not exist`);
    await deps.store.syncLive(t.campaign);
    return t.campaign;
  }

  /** Releases the campaign's locks, except SKUs another live campaign still locks. */
  async function unlock(c: Campaign) {
    if (!c.lockedSkus.length) return;
    const others = (await deps.store.liveCampaigns()).filter((o) => o.campaignId !== c.campaignId);
    const held = new Set(others.flatMap((o) => o.lockedSkus));
    for (const sku of c.lockedSkus) if (!held.has(sku)) await deps.pricing.setCampaignLock(sku, false);
  }

  async function ended(
    c: Campaign,
    run: RunContext,
    outcome: 'ended' | 'rolled-back' | 'aborted' | 'failed',
    reason: string,
  ) {
    await unlock(c);
    await deps.publisher.publish([
      campaignFact('CampaignEnded', c, at(run), { outcome, reason, lockedSkus: [...c.lockedSkus] }, run.name),
    ]);
    await lines.state(key(c.campaignId), run, { status: c.status, outcome, reason });
    await lines.run(key(c.campaignId), run, {
      status: outcome === 'failed' ? 'FAILED' : 'SUCCEEDED',
      campaign: c.status,
    });
  }

  return {
    /** Schedule: the terms (frozen at the PUT) are the run's snapshot; how long until the start. */
    async schedule(id: string, run: RunContext) {
      const c = await load(id);
      abortedIf(c);
      await deps.publisher.publish([
        campaignFact(
          'CampaignScheduled',
          c,
          c.createdAt,
          { start: c.start, end: c.end, pilotStart: c.pilotStart, pilotEnd: c.pilotEnd },
          run.name,
        ),
      ]);
      await lines.run(key(id), run, { status: 'RUNNING' });
      await lines.state(key(id), run, { status: c.status, start: c.start, pilotEnd: c.pilotEnd, end: c.end });
      return {
        seconds: secondsUntil(c.start, deps.clock.now()),
        engine: c.evaluation?.engine ?? 'campaigns/1',
      };
    },

    /** A wait (`.waitForTaskToken`): keeps the token where an abort or an approval finds it. */
    async park(id: string, phase: string, taskToken: string) {
      const c = await deps.store.parkToken(id, phase, taskToken);
      if (!c) throw new CampaignStepRejectedError(`campaign ${id} does not exist`);
      abortedIf(c);
      if (phase === 'decision' && c.status === 'ROLLED_OUT')
        throw new CampaignDecidedError(`campaign ${id} was approved before the run waited`);
      return { parked: true };
    },

    /** StartPilot: PILOT, the SKUs locked from repricing (unless allowed), CampaignPilotStarted. */
    async startPilot(id: string, run: RunContext) {
      const before = await load(id);
      abortedIf(before);
      const skus = before.allowRepricing
        ? []
        : (before.skus ?? (before.categories ? await deps.catalog.skusInCategories(before.categories) : []));
      const c = await move(id, ['SCHEDULED'], 'PILOT', run, 'the pilot started', { lockedSkus: skus });
      abortedIf(c);
      if (c.status !== 'PILOT')
        throw new CampaignStepRejectedError(`campaign ${id} is ${c.status}; its pilot cannot start`);
      for (const sku of c.lockedSkus) await deps.pricing.setCampaignLock(sku, true);
      await deps.publisher.publish([
        campaignFact(
          'CampaignPilotStarted',
          c,
          c.pilotStart,
          { pilotEnd: c.pilotEnd, lockedSkus: [...c.lockedSkus] },
          run.name,
        ),
      ]);
      await lines.state(key(id), run, { status: c.status, lockedSkus: c.lockedSkus, pilotEnd: c.pilotEnd });
      return { seconds: secondsUntil(c.pilotEnd, deps.clock.now()) };
    },

    /** Evaluate: the counts per group through the metrics port, the decision receipt, CampaignEvaluated. */
    async evaluate(
      id: string,
      run: RunContext,
    ): Promise<{ decision: EvaluationDecision; next: string; seconds: number }> {
      let c = await move(id, ['PILOT'], 'EVALUATING', run, 'the pilot ended');
      abortedIf(c);
      const seconds = c.pilot.approvalTimeoutHours * 3600;
      if (c.evaluation && c.status !== 'EVALUATING') {
        // A retry after the evaluation was stored: the same answer.
        return {
          decision: c.evaluation.decision,
          next: nextAfter(c.evaluation.decision, c.pilot.decision),
          seconds,
        };
      }
      const window = { from: c.pilotStart, to: c.pilotEnd };
      const counts = await deps.counts.variantCounts({ kind: 'campaign', id, ...window });
      const evaluation = c.evaluation ?? evaluatePilot(c.pilot, counts, window, at(run));
      const next = nextAfter(evaluation.decision, c.pilot.decision);
      c = await move(
        id,
        ['EVALUATING'],
        next === 'await' ? 'AWAITING_DECISION' : 'EVALUATING',
        run,
        next === 'await'
          ? evaluation.decision === 'hold'
            ? `held for a person: ${evaluation.reason}`
            : `waiting for a person's approval: ${evaluation.reason}`
          : evaluation.reason,
        { evaluation },
      );
      abortedIf(c);
      await deps.publisher.publish([
        campaignFact(
          'CampaignEvaluated',
          c,
          evaluation.evaluatedAt,
          {
            decision: evaluation.decision,
            reason: evaluation.reason,
            liftBps: evaluation.liftBps,
            pValue: evaluation.pValue,
            sampleRatioOk: evaluation.sampleRatioOk,
            pilot: evaluation.pilot,
            control: evaluation.control,
          },
          run.name,
        ),
      ]);
      await lines.state(key(id), run, {
        status: c.status,
        decision: evaluation.decision,
        reason: evaluation.reason,
      });
      return { decision: evaluation.decision, next, seconds };
    },

    /** RollOut: everyone gets the campaign (automatically, or as a person approved). */
    async rollOut(id: string, run: RunContext) {
      const before = await load(id);
      abortedIf(before);
      const reason = before.evaluation?.reason ?? 'rolled out';
      const c = await move(id, ['EVALUATING', 'AWAITING_DECISION'], 'ROLLED_OUT', run, reason, {
        decision: before.decision ?? { action: 'rollout', by: 'storeflow', reason, at: at(run) },
      });
      abortedIf(c);
      if (c.status !== 'ROLLED_OUT') return { status: c.status, seconds: 1 };
      const d = c.decision ?? { by: 'storeflow', reason };
      await deps.publisher.publish([
        campaignFact(
          'CampaignRolledOut',
          c,
          c.decision?.at ?? at(run),
          { by: d.by, reason: d.reason, lockedSkus: [...c.lockedSkus] },
          run.name,
        ),
      ]);
      await lines.state(key(id), run, { status: c.status, by: d.by, reason: d.reason });
      return { status: c.status, seconds: secondsUntil(c.end, deps.clock.now()) };
    },

    /** RollBack: the measured numbers as the reason (or nobody decided in time); locks released; ended. */
    async rollBack(id: string, run: RunContext, timedOut: boolean) {
      const before = await load(id);
      abortedIf(before);
      const evaluated = before.evaluation?.reason ?? 'rolled back';
      const reason = timedOut
        ? `nobody decided within ${before.pilot.approvalTimeoutHours} h: rolled back (${evaluated})`
        : evaluated;
      const c = await move(id, ['EVALUATING', 'AWAITING_DECISION'], 'ROLLED_BACK', run, reason, {
        decision: { action: 'rollback', by: 'storeflow', reason, at: at(run) },
      });
      abortedIf(c);
      if (c.status !== 'ROLLED_BACK') return { status: c.status };
      await deps.publisher.publish([
        campaignFact(
          'CampaignRolledBack',
          c,
          c.decision?.at ?? at(run),
          { by: 'storeflow', reason: c.decision?.reason ?? reason, lockedSkus: [...c.lockedSkus] },
          run.name,
        ),
      ]);
      await ended(c, run, 'rolled-back', c.decision?.reason ?? reason);
      return { status: c.status };
    },

    /** End: the campaign's end time came. */
    async end(id: string, run: RunContext) {
      const before = await load(id);
      abortedIf(before);
      const c = await move(id, ['ROLLED_OUT'], 'ENDED', run, `the campaign ended at ${before.end}`);
      abortedIf(c);
      await ended(c, run, 'ended', `the campaign ended at ${c.end}`);
      return { status: c.status };
    },

    /** Abort: the campaign was aborted (by the API); the locks released, CampaignEnded. */
    async abort(id: string, run: RunContext) {
      let c = await load(id);
      if (!FINAL_STATUSES.includes(c.status) && c.status !== 'ROLLED_OUT') {
        c = await move(id, [c.status], 'ABORTED', run, 'aborted');
      } else await deps.store.syncLive(c);
      await ended(c, run, 'aborted', c.decision?.reason ?? 'aborted');
      return { status: c.status };
    },

    /** Compensate: a step failed for good — the locks released, the campaign ended as ABORTED. */
    async compensate(id: string, run: RunContext, error: unknown) {
      const cause = (error as { Cause?: string } | null)?.Cause ?? 'a step failed';
      let c = await deps.store.getCampaign(id);
      if (!c) return { status: 'missing' };
      if (!FINAL_STATUSES.includes(c.status)) {
        c = await move(id, [c.status], 'ABORTED', run, `the launch run failed: ${cause}`, {
          decision: {
            action: 'abort',
            by: 'storeflow',
            reason: `the launch run failed: ${cause}`,
            at: at(run),
          },
        });
      }
      await ended(c, run, 'failed', `the launch run failed: ${cause}`);
      return { status: c.status };
    },

    // --- the experiment's run ----------------------------------------------------------------
    async experimentPark(id: string, taskToken: string) {
      const e = await deps.store.parkExperimentToken(id, taskToken);
      if (!e) throw new CampaignStepRejectedError(`experiment ${id} does not exist`);
      const seconds = secondsUntil(e.end, deps.clock.now());
      return { parked: true, seconds };
    },

    /** Conclude: the results at the end; the winner applied (a price through the guardrails) or the control kept. */
    async conclude(id: string, run: RunContext) {
      const e = await deps.store.getExperiment(id);
      if (!e) throw new CampaignStepRejectedError(`experiment ${id} does not exist`);
      let done = e;
      if (e.status !== 'CONCLUDED') {
        const counts = await deps.counts.variantCounts({ kind: 'experiment', id, from: e.start, to: e.end });
        const results = experimentResults(e, counts, at(run));
        let conclusion: ExperimentConclusion;
        const winner = results.winner ? e.variants.find((v) => v.id === results.winner) : undefined;
        if (!winner) {
          conclusion = { winner: null, applied: null, kept: 'control', reason: results.reason, at: at(run) };
        } else if (e.field === 'price' && typeof winner.value === 'object') {
          const set = await deps.pricing.setPrice(e.sku, winner.value);
          conclusion = set.applied
            ? {
                winner: winner.id,
                applied: { field: 'price', value: winner.value },
                kept: null,
                reason: `${results.reason}; the price was set through the repricing guardrails`,
                at: at(run),
              }
            : {
                winner: winner.id,
                applied: null,
                kept: 'control',
                reason: `${results.reason}; the price was refused by the repricing guardrails (${set.reason}): the control is kept`,
                at: at(run),
              };
        } else {
          conclusion = {
            winner: winner.id,
            applied: { field: e.field, value: winner.value },
            kept: null,
            reason: `${results.reason}; the storefront shows the winning ${e.field}`,
            at: at(run),
          };
        }
        done = (await deps.store.concludeExperiment(id, results, conclusion)) ?? e;
      }
      const c = done.conclusion!;
      await deps.publisher.publish([
        campaignEvent(
          canonicalEvent('ExperimentConcluded', {
            experimentId: id,
            sku: done.sku,
            field: done.field,
            winner: c.winner,
            applied: c.applied !== null,
            reason: c.reason,
            concludedAt: c.at,
          }),
          `experiment#${id}`,
          c.at,
          run.name,
        ),
      ]);
      const keys = [{ type: 'experiment' as const, id }];
      await experimentLines.state(keys, run, {
        winner: c.winner,
        applied: c.applied !== null,
        reason: c.reason,
      });
      await experimentLines.run(keys, run, { status: 'SUCCEEDED', winner: c.winner });
      return { winner: c.winner };
    },
  };
}
export type CampaignRun = ReturnType<typeof campaignRun>;

/** After an evaluation: wait for a person (a hold, or approval mode), else roll out or back at once. */
export function nextAfter(
  decision: EvaluationDecision,
  mode: 'auto' | 'approval',
): 'await' | 'rollout' | 'rollback' {
  if (decision === 'hold' || mode === 'approval') return 'await';
  return decision;
}
