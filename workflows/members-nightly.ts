import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { JsonPath, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { MEMBERS_STEP_REJECTED } from '#domain/members/nightly';
import type { StageConfig } from '../lib/config.ts';
import { bucketMap } from './_kit/bucket-map.ts';
import { StoreflowWorkflow } from './_kit/state-machine.ts';

export interface MembersNightlyWorkflowProps {
  /** The function that performs every step (functions/members-step.handler.ts). */
  readonly step: IFunction;
  readonly config: StageConfig;
}

/** Buckets in flight at once: bounded, so a run never floods the table or the bus. */
export const NIGHTLY_MAX_CONCURRENCY = 8;

type NightlyState = 'StartNightly' | 'EvaluatePage';

/**
 * The members' nightly re-evaluation (SPEC §7, issue #18), one Standard run per store date, like
 * the restock sweep:
 *
 * ```
 * StartNightly ─► Evaluate (Distributed Map over the 64 member buckets, 8 at a time:
 *                          EvaluatePage ─► more? ─► EvaluatePage …) ─► Done
 * ```
 *
 * Each bucket is a child execution of its own, a page of 200 customers per step; payloads carry
 * the run's context and a cursor, never customers, so 100 000 customers stay far from Step
 * Functions' history and payload limits.
 */
export class MembersNightlyWorkflow extends StoreflowWorkflow<NightlyState> {
  constructor(scope: Construct, id: string, props: MembersNightlyWorkflowProps) {
    super(scope, id, {
      config: props.config,
      step: props.step,
      finalErrors: [MEMBERS_STEP_REJECTED],
      comment: 'Nightly member re-evaluation: every customer whose orders left the 12-month window',
      operations: { name: 'MembersNightly', key: { type: 'run' } },
      failedAlarm: 'A nightly member re-evaluation failed; some tiers may not have been re-evaluated tonight',
      definition: (steps, scope) => {
        const start = steps.step(
          'StartNightly',
          { step: 'start', date: JsonPath.stringAt('$.date') },
          '$.start',
        );
        const evaluate = bucketMap(scope, steps, {
          id: 'Evaluate',
          pageState: 'EvaluatePage',
          step: 'evaluate',
          contextKey: 'context',
          maxConcurrency: NIGHTLY_MAX_CONCURRENCY,
        });
        return start.next(evaluate).next(new Succeed(scope, 'Done'));
      },
    });
    this.acknowledgeDistributedMapChildren();
  }
}
