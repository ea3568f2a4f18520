import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { JsonPath, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { RESTOCK_STEP_REJECTED } from '#domain/restock/sweep';
import type { StageConfig } from '../lib/config.ts';
import { bucketMap } from './_kit/bucket-map.ts';
import { StoreflowWorkflow } from './_kit/state-machine.ts';

export interface RestockSweepWorkflowProps {
  /** The function that performs every step (functions/restock-step.handler.ts). */
  readonly step: IFunction;
  readonly config: StageConfig;
}

/** Buckets in flight at once: bounded, so a sweep never floods the table or the bus. */
export const SWEEP_MAX_CONCURRENCY = 8;

type SweepState = 'StartSweep' | 'MeasurePage' | 'Rank' | 'CheckPage';

/**
 * The nightly restock sweep (SPEC §3, issue #11), one Standard run per store date:
 *
 * ```
 * StartSweep ─► Measure (Distributed Map over the catalog's buckets, 8 at a time:
 *                        MeasurePage ─► more? ─► MeasurePage …)
 *            ─► Rank (the top ten by 30-day units)
 *            ─► Check (Distributed Map: CheckPage ─► more? ─► CheckPage …) ─► Done
 * ```
 *
 * Each bucket is a child execution of its own (Distributed Map), so a sweep of 100 000 SKUs
 * stays far from Step Functions' 25 000-event history and 256 KB payload limits: the parent
 * records 2 × 64 children, a child a page of 100 SKUs per step, and payloads carry ids and
 * cursors, never SKUs. Every step is idempotent; a resumed sweep checks every SKU again and
 * creates no second purchase order.
 */
export class RestockSweepWorkflow extends StoreflowWorkflow<SweepState> {
  constructor(scope: Construct, id: string, props: RestockSweepWorkflowProps) {
    super(scope, id, {
      config: props.config,
      step: props.step,
      finalErrors: [RESTOCK_STEP_REJECTED],
      comment: 'Nightly restock sweep: measure 30-day sales, rank the top ten, check every SKU',
      operations: { name: 'RestockSweep', key: { type: 'run' } },
      failedAlarm: 'A nightly restock sweep failed; some SKUs may not have been checked tonight',
      definition: (steps, scope) => {
        const start = steps.step(
          'StartSweep',
          { step: 'start', date: JsonPath.stringAt('$.date') },
          '$.start',
        );
        const measure = bucketMap(scope, steps, {
          id: 'Measure',
          pageState: 'MeasurePage',
          step: 'measure',
          contextKey: 'sweep',
          maxConcurrency: SWEEP_MAX_CONCURRENCY,
        });
        const rank = steps.step(
          'Rank',
          { step: 'rank', sweep: JsonPath.objectAt('$.start.context') },
          '$.ranking',
        );
        const check = bucketMap(scope, steps, {
          id: 'Check',
          pageState: 'CheckPage',
          step: 'check',
          contextKey: 'sweep',
          maxConcurrency: SWEEP_MAX_CONCURRENCY,
        });
        return start.next(measure).next(rank).next(check).next(new Succeed(scope, 'Done'));
      },
    });
    this.acknowledgeDistributedMapChildren();
  }
}
