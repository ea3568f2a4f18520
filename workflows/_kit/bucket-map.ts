import {
  Choice,
  Condition,
  DistributedMap,
  JsonPath,
  Pass,
  StateMachineType,
  Succeed,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { WorkflowSteps } from './steps.ts';

export interface BucketMapOptions<S extends string> {
  /** The Map state's name; its inner states are named after it (`<id>NextPage`, `<id>MorePages?`, `<id>BucketDone`). */
  readonly id: string;
  /** The step state that handles one page of a bucket. */
  readonly pageState: S;
  /** The `step` the step function dispatches on. */
  readonly step: string;
  /** Where each child carries the run's context (`$.start.context` of the parent). */
  readonly contextKey: string;
  /** Buckets in flight at once: bounded, so a run never floods the table or the bus. */
  readonly maxConcurrency: number;
}

/**
 * The kit's bucket walk, shared by every run over a whole catalog (the restock sweep, the hourly
 * repricing run, the members' nightly re-evaluation): a Distributed Map over the buckets the start
 * step returned (`$.start.buckets`), each bucket a child execution that walks its bucket a page at
 * a time:
 *
 * ```
 * <id> (Distributed Map, maxConcurrency at once): <pageState> ─► more? ─► <pageState> …
 * ```
 *
 * Payloads carry the run's context, a bucket and a cursor, never the items, so a catalog of
 * 100 000 stays far from Step Functions' 25 000-event history and 256 KB payload limits. The
 * workflow that uses it calls `acknowledgeDistributedMapChildren()` (its child executions' grant).
 */
export function bucketMap<S extends string>(
  scope: Construct,
  steps: WorkflowSteps<S>,
  options: BucketMapOptions<S>,
): DistributedMap {
  const { id, contextKey } = options;
  const page = steps.step(
    options.pageState,
    {
      step: options.step,
      [contextKey]: JsonPath.objectAt(`$.${contextKey}`),
      bucket: JsonPath.numberAt('$.bucket'),
      cursor: JsonPath.stringAt('$.cursor'),
    },
    '$.page',
  );
  const nextPage = new Pass(scope, `${id}NextPage`, {
    parameters: {
      [`${contextKey}.$`]: `$.${contextKey}`,
      'bucket.$': '$.bucket',
      'cursor.$': '$.page.cursor',
    },
  });
  nextPage.next(page);
  const processor = page.next(
    new Choice(scope, `${id}MorePages?`)
      .when(Condition.isNotNull('$.page.cursor'), nextPage)
      .otherwise(new Succeed(scope, `${id}BucketDone`)),
  );
  return new DistributedMap(scope, id, {
    itemsPath: '$.start.buckets',
    itemSelector: {
      'bucket.$': '$$.Map.Item.Value',
      [`${contextKey}.$`]: '$.start.context',
      // The first page (an empty cursor: Step Functions drops a null from parameters).
      cursor: '',
    },
    maxConcurrency: options.maxConcurrency,
    mapExecutionType: StateMachineType.STANDARD,
    resultPath: JsonPath.DISCARD,
  }).itemProcessor(processor);
}
