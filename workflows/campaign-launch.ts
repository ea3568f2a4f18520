import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  Errors,
  Fail,
  JsonPath,
  Succeed,
  type TaskStateBase,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  CAMPAIGN_ABORTED,
  CAMPAIGN_DECIDED,
  CAMPAIGN_LAUNCH_WORKFLOW,
  CAMPAIGN_STEP_REJECTED,
  type LaunchTaskState,
} from '#domain/campaigns/run';
import type { StageConfig } from '../lib/config.ts';
import { StoreflowWorkflow } from './_kit/state-machine.ts';
import { COMPENSATE_ATTEMPTS } from './_kit/steps.ts';

export interface CampaignLaunchWorkflowProps {
  /** The function that performs every step (functions/campaign-step.handler.ts). */
  readonly step: IFunction;
  readonly config: StageConfig;
}

/**
 * A campaign's launch run (SPEC §5, issue #17), one Standard run named by the campaign:
 *
 * ```
 * Schedule ─► AwaitStart (token; timeout: the start) ─► StartPilot (PILOT, SKUs locked)
 *   ─► AwaitPilotEnd (token; timeout: the pilot's end) ─► Evaluate ─► Next?
 *        ├ rollout ─► RollOut ─► AwaitEnd (token; timeout: the end) ─► End ─► Ended
 *        ├ rollback ─► RollBack ─► RolledBack
 *        └ await ─► AwaitDecision (token; timeout: approvalTimeoutHours)
 *              ├ approved / CampaignDecided ─► RollOut
 *              └ States.Timeout ─► TimeOutDecision (rolled back) ─► RolledBack
 * CampaignAborted (a wait's token failed by the abort API, or a step finding ABORTED) ─► Abort ─► Aborted
 * any step failing for good ─► Compensate (locks released, ABORTED) ─► Failed
 * ```
 *
 * Waits are task tokens with timeouts, not Wait states, so an abort ends any of them at once.
 */
export class CampaignLaunchWorkflow extends StoreflowWorkflow<LaunchTaskState> {
  constructor(scope: Construct, id: string, props: CampaignLaunchWorkflowProps) {
    super(scope, id, {
      config: props.config,
      step: props.step,
      finalErrors: [CAMPAIGN_ABORTED, CAMPAIGN_DECIDED, CAMPAIGN_STEP_REJECTED],
      comment: 'Campaign launch: start → pilot → evaluate → roll out or back (or a person decides) → end',
      operations: {
        name: CAMPAIGN_LAUNCH_WORKFLOW,
        key: { type: 'campaign' },
        waits: {
          AwaitStart: { kind: 'campaign-start', by: 'time' },
          AwaitPilotEnd: { kind: 'campaign-pilot', by: 'time' },
          AwaitDecision: { kind: 'campaign-decision', by: 'person' },
          AwaitEnd: { kind: 'campaign-end', by: 'time' },
        },
      },
      failedAlarm:
        'A campaign launch run failed for good; its SKUs were unlocked and the campaign aborted (see its timeline)',
      definition: ({ step, waitForCallback, onFailure }, scope) => {
        const campaignId = JsonPath.stringAt('$.campaignId');
        const failed = new Fail(scope, 'Failed', {
          error: 'CampaignLaunchFailed',
          cause: 'A step failed for good; the campaign was aborted and its SKUs unlocked (see its timeline)',
        });
        const compensate = step(
          'Compensate',
          { step: 'compensate', campaignId, error: JsonPath.objectAt('$.error') },
          '$.compensation',
          COMPENSATE_ATTEMPTS,
        ).next(failed);
        const abort = step('Abort', { step: 'abort', campaignId }, '$.aborted', COMPENSATE_ATTEMPTS)
          .addCatch(failed, onFailure)
          .next(new Succeed(scope, 'Aborted'));
        const onAbort = { errors: [CAMPAIGN_ABORTED], resultPath: '$.abort' };
        const guard = <T extends TaskStateBase>(task: T): T =>
          task.addCatch(abort, onAbort).addCatch(compensate, onFailure) as T;

        const end = guard(step('End', { step: 'end', campaignId }, '$.ended')).next(
          new Succeed(scope, 'Ended'),
        );
        const awaitEnd = guard(
          waitForCallback(
            'AwaitEnd',
            { step: 'park', campaignId, phase: 'end' },
            { timeout: Timeout.at('$.rollout.seconds'), resultPath: JsonPath.DISCARD },
          ).addCatch(end, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' }),
        );
        awaitEnd.next(end);

        const rolledBack = new Succeed(scope, 'RolledBack');
        const rollOut = guard(step('RollOut', { step: 'rollOut', campaignId }, '$.rollout'));
        rollOut.next(
          new Choice(scope, 'RolledOut?')
            .when(Condition.stringEquals('$.rollout.status', 'ROLLED_OUT'), awaitEnd)
            .otherwise(rolledBack),
        );
        const afterRollBack = (id: string) =>
          new Choice(scope, id)
            .when(Condition.stringEquals('$.rollback.status', 'ROLLED_OUT'), rollOut)
            .otherwise(rolledBack);
        const rollBack = guard(
          step('RollBack', { step: 'rollBack', campaignId, timedOut: false }, '$.rollback'),
        ).next(afterRollBack('RolledBack?'));
        const timeOutDecision = guard(
          step('TimeOutDecision', { step: 'rollBack', campaignId, timedOut: true }, '$.rollback'),
        ).next(afterRollBack('DecidedInTime?'));

        const awaitDecision = guard(
          waitForCallback(
            'AwaitDecision',
            { step: 'park', campaignId, phase: 'decision' },
            { timeout: Timeout.at('$.evaluation.seconds'), resultPath: '$.answer' },
          )
            .addCatch(timeOutDecision, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' })
            .addCatch(rollOut, { errors: [CAMPAIGN_DECIDED], resultPath: '$.decided' }),
        );
        awaitDecision.next(rollOut);

        const evaluate = guard(step('Evaluate', { step: 'evaluate', campaignId }, '$.evaluation')).next(
          new Choice(scope, 'Next?')
            .when(Condition.stringEquals('$.evaluation.next', 'await'), awaitDecision)
            .when(Condition.stringEquals('$.evaluation.next', 'rollout'), rollOut)
            .otherwise(rollBack),
        );
        const awaitPilotEnd = guard(
          waitForCallback(
            'AwaitPilotEnd',
            { step: 'park', campaignId, phase: 'pilot' },
            { timeout: Timeout.at('$.pilot.seconds'), resultPath: JsonPath.DISCARD },
          ).addCatch(evaluate, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' }),
        );
        awaitPilotEnd.next(evaluate);
        const startPilot = guard(step('StartPilot', { step: 'startPilot', campaignId }, '$.pilot')).next(
          awaitPilotEnd,
        );
        const awaitStart = guard(
          waitForCallback(
            'AwaitStart',
            { step: 'park', campaignId, phase: 'start' },
            { timeout: Timeout.at('$.schedule.seconds'), resultPath: JsonPath.DISCARD },
          ).addCatch(startPilot, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' }),
        );
        awaitStart.next(startPilot);
        return guard(step('Schedule', { step: 'schedule', campaignId }, '$.schedule')).next(awaitStart);
      },
    });
  }
}
