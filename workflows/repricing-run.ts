import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { JsonPath, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { REPRICING_STEP_REJECTED } from '#domain/repricing/run';
import type { StageConfig } from '../lib/config.ts';
import { bucketMap } from './_kit/bucket-map.ts';
import { StoreflowWorkflow } from './_kit/state-machine.ts';

export interface RepricingRunWorkflowProps {
  /** The function that performs every step (functions/repricing-step.handler.ts). */
  readonly step: IFunction;
  readonly config: StageConfig;
}

/** Buckets in flight at once: bounded, so a run never floods the table or the bus. */
export const REPRICING_MAX_CONCURRENCY = 8;

type RepricingState = 'StartRun' | 'RepricePage';

/**
 * The hourly repricing run (SPEC §6, issue #13), one Standard run per store hour:
 *
 * ```
 * StartRun (the rules snapshotted into the run's context)
 *   ─► Reprice (Distributed Map over the priced SKUs' buckets, 8 at a time:
 *               RepricePage ─► more? ─► RepricePage …) ─► Done
 * ```
 *
 * Each bucket is a child execution (Distributed Map), so 100 000 SKUs stay far from Step
 * Functions' 25 000-event history and 256 KB payload limits: the parent records 64 children, a
 * child a page of 100 SKUs per step, and payloads carry the run's context (its id, instant and
 * rules), a bucket and a cursor, never SKUs. Every step is idempotent: a resumed or retried run
 * applies no change twice.
 */
export class RepricingRunWorkflow extends StoreflowWorkflow<RepricingState> {
  constructor(scope: Construct, id: string, props: RepricingRunWorkflowProps) {
    super(scope, id, {
      config: props.config,
      step: props.step,
      finalErrors: [REPRICING_STEP_REJECTED],
      comment: 'Hourly repricing: the rules snapshotted, every priced SKU repriced once, bucket by bucket',
      operations: { name: 'RepricingRun', key: { type: 'run' } },
      failedAlarm: 'An hourly repricing run failed; some SKUs may not have been repriced this hour',
      definition: (steps, scope) => {
        const start = steps.step('StartRun', { step: 'start', at: JsonPath.stringAt('$.at') }, '$.start');
        const reprice = bucketMap(scope, steps, {
          id: 'Reprice',
          pageState: 'RepricePage',
          step: 'page',
          contextKey: 'pricingRun',
          maxConcurrency: REPRICING_MAX_CONCURRENCY,
        });
        return start.next(reprice).next(new Succeed(scope, 'Done'));
      },
    });
    this.acknowledgeDistributedMapChildren();
  }
}
