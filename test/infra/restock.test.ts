import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_BUCKETS, SWEEP_PAGE_SIZE } from '#domain/restock/sweep';
import { statementsOf } from '#test/support/iam';
import { appTemplate, synthesizedWorkflow } from '#test/support/workflow-harness';
import { SWEEP_MAX_CONCURRENCY } from '#workflows/restock-sweep';

/** Restock's infrastructure as CloudFormation sees it (issue #11). */
type States = Record<string, Record<string, unknown>>;
let sweep: { StartAt: string; States: States };
let approval: { StartAt: string; States: States };

beforeAll(() => {
  sweep = JSON.parse(synthesizedWorkflow('Restock/SweepWorkflow').definition);
  approval = JSON.parse(synthesizedWorkflow('Restock/ApprovalWorkflow').definition);
});

describe('the nightly restock sweep (template)', () => {
  it('fans out over the catalog buckets with Distributed Maps, bounded, in Standard child executions', () => {
    expect(sweep.StartAt).toBe('StartSweep');
    for (const [name, page] of [
      ['Measure', 'MeasurePage'],
      ['Check', 'CheckPage'],
    ] as const) {
      const map = sweep.States[name]!;
      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.start.buckets',
        MaxConcurrency: SWEEP_MAX_CONCURRENCY,
        ItemSelector: { 'bucket.$': '$$.Map.Item.Value', 'sweep.$': '$.start.context', cursor: '' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: page,
        },
        ResultPath: null,
      });
      // A child walks its bucket a page at a time: the step's cursor decides whether to go on.
      const processor = (map.ItemProcessor as { States: States }).States;
      expect(processor[`${name}MorePages?`]).toMatchObject({
        Type: 'Choice',
        Choices: [{ Variable: '$.page.cursor', IsNull: false, Next: `${name}NextPage` }],
      });
      expect(processor[page]!.Parameters).toMatchObject({
        step: name === 'Measure' ? 'measure' : 'check',
        'sweep.$': '$.sweep',
        'bucket.$': '$.bucket',
        'cursor.$': '$.cursor',
      });
    }
    expect(Object.keys(sweep.States).sort()).toEqual(['Check', 'Done', 'Measure', 'Rank', 'StartSweep']);
  });

  it('stays far from Step Functions’ limits for 100 000 SKUs', () => {
    // Payloads carry a bucket, a cursor and the sweep's context, never SKUs; a child execution's
    // history grows with its bucket's pages: ~6 events per page (task scheduled/started/succeeded,
    // the choice, the pass), so even 100 000 SKUs leave it far below 25 000 events.
    const skus = 100_000;
    const pagesPerChild = Math.ceil(skus / CATALOG_BUCKETS / SWEEP_PAGE_SIZE);
    const eventsPerPage = 6 + 4; // generous: a retry or two
    expect(pagesPerChild * eventsPerPage + 10).toBeLessThan(25_000 / 100);
    // The parent records the two maps' runs, not the children's states.
    expect(CATALOG_BUCKETS * 2).toBeLessThan(25_000);
    const payload = JSON.stringify({
      sweep: {
        sweep: 'sweep-2026-12-01',
        date: '2026-12-01',
        policyVersion: 99,
        at: '2026-12-01T18:00:00.000Z',
      },
      bucket: 63,
      cursor: 'x'.repeat(600),
    });
    expect(Buffer.byteLength(payload)).toBeLessThan((256 * 1024) / 100);
  });

  it('retries every step with backoff and jitter, and alarms on a failed sweep', () => {
    const tasks = [
      sweep.States.StartSweep!,
      sweep.States.Rank!,
      ...(['Measure', 'Check'] as const).map(
        (m) => (sweep.States[m]!.ItemProcessor as { States: States }).States[`${m}Page`]!,
      ),
    ];
    for (const task of tasks) {
      expect(task.Retry).toEqual([
        { ErrorEquals: ['RestockStepRejected'], MaxAttempts: 0 },
        expect.objectContaining({
          ErrorEquals: ['States.TaskFailed'],
          BackoffRate: 2,
          JitterStrategy: 'FULL',
          MaxAttempts: 10,
        }),
      ]);
    }
    appTemplate().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('restock sweep failed'),
      MetricName: 'ExecutionsFailed',
    });
  });

  it('is started by an EventBridge Scheduler clock every 15 minutes in the store’s time zone', () => {
    appTemplate().hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0/15 * * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      Target: Match.objectLike({
        Arn: Match.anyValue(),
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 900 },
      }),
    });
    // The clock reads the policy and starts this state machine, nothing else.
    const clock = statementsOf('RestockSweepClock');
    expect(clock.map((s) => s.actions).sort()).toEqual([['dynamodb:GetItem'], ['states:StartExecution']]);
    expect(clock.find((s) => s.actions.includes('states:StartExecution'))?.resource).toContain(
      'RestockSweepWorkflowStateMachine',
    );
  });
});

describe('purchase order approval (template)', () => {
  it('waits for a person with a task token until the approval window closes, then expires', () => {
    expect(approval.StartAt).toBe('Prepare');
    expect(approval.States.AwaitApproval).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.prepare.seconds',
      Parameters: { Payload: { step: 'park', 'poId.$': '$.poId', 'taskToken.$': '$$.Task.Token' } },
      Catch: [
        { ErrorEquals: ['States.Timeout'], Next: 'Expire', ResultPath: '$.timeout' },
        { ErrorEquals: ['PurchaseOrderDecided'], Next: 'Settle', ResultPath: '$.decided' },
        { ErrorEquals: ['States.ALL'], Next: 'Failed', ResultPath: '$.error' },
      ],
      Next: 'Settle',
    });
  });

  it('is started per purchase order by PurchaseOrderApprovalRequested; the API alone answers its waits', () => {
    appTemplate().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['storeflow.restock'], 'detail-type': ['PurchaseOrderApprovalRequested'] },
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
    });
    const start = statementsOf('RestockStartApproval').filter((s) =>
      s.actions.some((a) => a.startsWith('states:')),
    );
    expect(start.map((s) => s.actions)).toEqual([['states:StartExecution']]);
    expect(start[0]?.resource).toContain('RestockApprovalWorkflowStateMachine');
    const api = statementsOf('RestockApi').filter((s) => s.actions.some((a) => a.startsWith('states:')));
    expect(api.flatMap((s) => s.actions).sort()).toEqual(
      ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'].sort(),
    );
    expect(statementsOf('RestockSweepStep').some((s) => s.actions.some((a) => a.startsWith('states:')))).toBe(
      false,
    );
  });
});

describe('restock functions', () => {
  it('consume sales and stock from the bus with retries and a dead-letter queue', () => {
    appTemplate().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['storeflow.orders', 'storeflow.inventory'],
        'detail-type': ['OrderPaid', 'RefundIssued', 'OrderCancelled', 'StockLevelChanged'],
      },
      Targets: [
        Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: Match.anyValue() }),
      ],
    });
  });

  it('query only the table and its gsi1 index, never every index', () => {
    for (const fn of ['RestockApi', 'RestockSweepStep', 'RestockEvents', 'RestockApprovalStep']) {
      const dynamo = statementsOf(fn).filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
      for (const s of dynamo) {
        expect(s.resource, fn).toContain('StoreflowTableArn');
        expect(s.resource, fn).not.toContain('/index/*');
      }
    }
    const sweepIndex = statementsOf('RestockSweepStep').find((s) => s.resource.includes('/index/gsi1'));
    expect(sweepIndex?.actions).toEqual(['dynamodb:Query']);
  });
});
