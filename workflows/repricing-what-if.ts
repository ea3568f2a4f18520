import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Fail, JsonPath, Pass, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { WHAT_IF_STEP_REJECTED } from '#domain/repricing/what-if-steps';
import type { StageConfig } from '../lib/config.ts';
import { StoreflowWorkflow } from './_kit/state-machine.ts';

export interface RepricingWhatIfWorkflowProps {
  /** The function that performs every step (functions/repricing-what-if.handler.ts). */
  readonly step: IFunction;
  readonly config: StageConfig;
}

type WhatIfState = 'ReplayChunk' | 'MarkFailed';

/**
 * A what-if job (`POST /api/repricing/what-if` → 202), one Standard execution named after the job:
 *
 * ```
 * ReplayChunk ─► more? ─► ReplayChunk … ─► Done
 *      └─ (gave up) ─► MarkFailed ─► Failed
 * ```
 *
 * A step replays one chunk of the job's SKUs (~16,800 SKU-runs: seconds) and keeps that part of
 * the result in the table; payloads carry the job id and a chunk number, never results. A job of
 * 1,000 SKUs over 31 days is ~45 chunks: ~140 events of the 25,000 an execution may record.
 */
export class RepricingWhatIfWorkflow extends StoreflowWorkflow<WhatIfState> {
  constructor(scope: Construct, id: string, props: RepricingWhatIfWorkflowProps) {
    super(scope, id, {
      config: props.config,
      step: props.step,
      finalErrors: [WHAT_IF_STEP_REJECTED],
      comment: 'A what-if job: the hourly runs of a past period replayed chunk by chunk, nothing applied',
      // Named after its job id: a run key, like the hourly runs'.
      operations: { name: 'RepricingWhatIf', key: { type: 'run' } },
      failedAlarm: 'A repricing what-if job failed; its GET shows the reason',
      definition: (steps, scope) => {
        const chunk = steps.step(
          'ReplayChunk',
          { step: 'chunk', jobId: JsonPath.stringAt('$.jobId'), chunk: JsonPath.numberAt('$.chunk') },
          '$.replay',
        );
        const markFailed = steps
          .step(
            'MarkFailed',
            { step: 'fail', jobId: JsonPath.stringAt('$.jobId'), error: JsonPath.objectAt('$.error') },
            JsonPath.DISCARD,
          )
          .next(new Fail(scope, 'Failed', { error: 'WhatIfJobFailed', cause: 'the what-if job failed' }));
        chunk.addCatch(markFailed, steps.onFailure);
        const next = new Pass(scope, 'NextChunk', {
          parameters: { 'jobId.$': '$.jobId', 'chunk.$': '$.replay.next' },
        });
        next.next(chunk);
        return chunk.next(
          new Choice(scope, 'MoreChunks?')
            .when(Condition.isNotNull('$.replay.next'), next)
            .otherwise(new Succeed(scope, 'Done')),
        );
      },
    });
  }
}
