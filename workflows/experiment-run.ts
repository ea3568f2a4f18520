import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Errors, Fail, JsonPath, Succeed, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  CAMPAIGN_STEP_REJECTED,
  EXPERIMENT_RUN_WORKFLOW,
  type ExperimentTaskState,
} from '#domain/campaigns/run';
import type { StageConfig } from '../lib/config.ts';
import { StoreflowWorkflow } from './_kit/state-machine.ts';

export interface ExperimentRunWorkflowProps {
  readonly step: IFunction;
  readonly config: StageConfig;
}

/**
 * An A/B test's run (SPEC §5, issue #17), one Standard run per experiment:
 *
 * ```
 * AwaitExperimentEnd (token; timeout: the end, given at the start) ─► Conclude ─► Concluded
 * ```
 *
 * Conclude reads the counts, names a winner only when significant and applies it (a price through
 * the repricing guardrails) or keeps the control.
 */
export class ExperimentRunWorkflow extends StoreflowWorkflow<ExperimentTaskState> {
  constructor(scope: Construct, id: string, props: ExperimentRunWorkflowProps) {
    super(scope, id, {
      config: props.config,
      step: props.step,
      finalErrors: [CAMPAIGN_STEP_REJECTED],
      comment: 'A/B test: wait for the end, then conclude (the winner applied, or the control kept)',
      operations: {
        name: EXPERIMENT_RUN_WORKFLOW,
        key: { type: 'experiment' },
        waits: { AwaitExperimentEnd: { kind: 'experiment-end', by: 'time' } },
      },
      failedAlarm: 'An A/B test run failed for good; the experiment was not concluded',
      definition: ({ step, waitForCallback, onFailure }, scope) => {
        const experimentId = JsonPath.stringAt('$.experimentId');
        const failed = new Fail(scope, 'Failed', {
          error: 'ExperimentRunFailed',
          cause: 'A step failed for good',
        });
        const conclude = step('Conclude', { step: 'conclude', experimentId }, '$.conclusion')
          .addCatch(failed, onFailure)
          .next(new Succeed(scope, 'Concluded'));
        const wait = waitForCallback(
          'AwaitExperimentEnd',
          { step: 'experimentPark', experimentId },
          { timeout: Timeout.at('$.seconds'), resultPath: JsonPath.DISCARD },
        )
          .addCatch(conclude, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' })
          .addCatch(failed, onFailure);
        wait.next(conclude);
        return wait;
      },
    });
  }
}
