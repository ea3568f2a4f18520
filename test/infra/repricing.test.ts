import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRICING_BUCKETS, RUN_PAGE_SIZE } from '#domain/repricing/run';
import { ConfigError, stageConfig } from '#lib/config';
import { statementsOf } from '#test/support/iam';
import { appTemplate, synthesizedWorkflow } from '#test/support/workflow-harness';
import { REPRICING_MAX_CONCURRENCY } from '#workflows/repricing-run';
import { compilePattern } from '../../local/eventbridge/pattern.ts';

/** Repricing's infrastructure as CloudFormation sees it (issue #13, decision 24). */
type States = Record<string, Record<string, unknown>>;
let run: { StartAt: string; States: States };
let logicalId: string;

beforeAll(() => {
  const machine = synthesizedWorkflow('Repricing/RunWorkflow');
  run = JSON.parse(machine.definition);
  logicalId = machine.logicalId;
});

const actionsOf = (prefix: string) =>
  statementsOf(prefix)
    .flatMap((s) => s.actions)
    .sort();

describe('the hourly repricing run (template)', () => {
  it('snapshots the rules, then fans out over the buckets with a bounded Distributed Map', () => {
    expect(logicalId).toMatch(/^RepricingRunWorkflowStateMachine/);
    expect(run.StartAt).toBe('StartRun');
    expect(Object.keys(run.States).sort()).toEqual(['Done', 'Reprice', 'StartRun']);
    expect(run.States.StartRun).toMatchObject({
      Parameters: { step: 'start', 'at.$': '$.at' },
      ResultPath: '$.start',
      Next: 'Reprice',
    });
    const map = run.States.Reprice!;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.start.buckets',
      MaxConcurrency: REPRICING_MAX_CONCURRENCY,
      ItemSelector: { 'bucket.$': '$$.Map.Item.Value', 'pricingRun.$': '$.start.context', cursor: '' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'RepricePage',
      },
      ResultPath: null,
    });
    const processor = (map.ItemProcessor as { States: States }).States;
    expect(processor['RepriceMorePages?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.page.cursor', IsNull: false, Next: 'RepriceNextPage' }],
    });
    expect(processor.RepricePage!.Parameters).toMatchObject({
      step: 'page',
      'pricingRun.$': '$.pricingRun',
      'bucket.$': '$.bucket',
      'cursor.$': '$.cursor',
    });
  });

  it('stays far from Step Functions’ limits for 100 000 SKUs an hour', () => {
    const skus = 100_000;
    const pagesPerChild = Math.ceil(skus / PRICING_BUCKETS / RUN_PAGE_SIZE);
    const eventsPerPage = 6 + 4; // task scheduled/started/succeeded, choice, pass; a retry or two
    expect(pagesPerChild * eventsPerPage + 10).toBeLessThan(25_000 / 100);
    expect(PRICING_BUCKETS).toBeLessThan(25_000 / 100);
    // A page's payload: the run's context with its rules snapshot, a bucket and a cursor.
    const payload = JSON.stringify({
      pricingRun: {
        runId: 'reprice-2026-12-02T10',
        at: '2026-12-02T02:00:00.000Z',
        rules: {
          timeZone: 'America/Argentina/ComodRivadavia',
          schedule: 'hourly',
          rules: [
            { type: 'lowStock', enabled: true, below: 1_000_000_000, raiseBps: 10_000 },
            { type: 'competitor', enabled: true, towardBps: 10_000, floorBps: 10_000, maxAgeHours: 2160 },
            { type: 'charmEnding', enabled: true, ending: 9, toleranceBps: 5000 },
          ],
          maxChangePerRunBps: 10_000,
          defaultMinMarginBps: 100_000,
          defaultMaxMarkupBps: 100_000,
          version: 9_999_999,
          updatedAt: '2026-12-02T02:00:00.000Z',
        },
      },
      bucket: 63,
      cursor: 'x'.repeat(600),
    });
    expect(Buffer.byteLength(payload)).toBeLessThan((256 * 1024) / 100);
    // 24 runs a day stay far below the 1 000 000 open executions and 2 000/s StartExecution.
    expect(24 * (1 + PRICING_BUCKETS)).toBeLessThan(1_000_000);
  });

  it('retries every step with backoff and jitter, and alarms on a failed run', () => {
    const tasks = [
      run.States.StartRun!,
      (run.States.Reprice!.ItemProcessor as { States: States }).States.RepricePage!,
    ];
    for (const task of tasks) {
      expect(task.Retry).toEqual([
        { ErrorEquals: ['RepricingStepRejected'], MaxAttempts: 0 },
        expect.objectContaining({
          ErrorEquals: ['States.TaskFailed'],
          BackoffRate: 2,
          JitterStrategy: 'FULL',
          MaxAttempts: 10,
        }),
      ]);
    }
    appTemplate().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('repricing run failed'),
      MetricName: 'ExecutionsFailed',
    });
  });

  it('is started by an EventBridge Scheduler clock every 15 minutes in the store’s time zone', () => {
    const schedules = appTemplate().findResources('AWS::Scheduler::Schedule');
    const id = Object.keys(schedules).find((k) => k.startsWith('RepricingRunSchedule'));
    expect(id).toBeDefined();
    expect(schedules[id!]!.Properties).toMatchObject({
      ScheduleExpression: 'cron(0/15 * * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      Target: {
        DeadLetterConfig: { Arn: expect.anything() },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 900 },
      },
    });
    // The clock reads the rules and starts this state machine, nothing else.
    const clock = statementsOf('RepricingRunClock');
    expect(clock.map((s) => s.actions).sort()).toEqual([['dynamodb:GetItem'], ['states:StartExecution']]);
    expect(clock.find((s) => s.actions.includes('states:StartExecution'))?.resource).toContain(
      'RepricingRunWorkflowStateMachine',
    );
  });
});

describe('repricing functions (least privilege)', () => {
  it('follow competitor prices, paid orders and price changes of SKUs in bundles, with retries and a dead-letter queue', () => {
    appTemplate().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['storeflow.pricing', 'storeflow.orders'],
        $or: [
          { 'detail-type': ['CompetitorPriceObserved', 'OrderPaid'] },
          { 'detail-type': ['PriceChanged'], detail: { data: { inBundles: [true] } } },
        ],
      },
      Targets: [
        Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: Match.anyValue() }),
      ],
    });
  });

  it('invoke the events function for a price change only when its SKU is in a bundle', () => {
    const rules = Object.values(appTemplate().findResources('AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.EventPattern ?? {}).includes('CompetitorPriceObserved'),
    );
    expect(rules).toHaveLength(1);
    const pattern = compilePattern(rules[0]!.Properties.EventPattern);
    const event = (source: string, detailType: string, data: Record<string, unknown>) => ({
      version: '0',
      id: 'e',
      'detail-type': detailType,
      source,
      account: '000000000000',
      time: '2026-12-02T02:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { metadata: { eventId: 'x' }, data },
    });
    const change = (inBundles?: boolean) =>
      event('storeflow.pricing', 'PriceChanged', {
        sku: 'A',
        ...(inBundles === undefined ? {} : { inBundles }),
      });
    expect(pattern.matches(change(true))).toBe(true);
    expect(pattern.matches(change(false))).toBe(false);
    expect(pattern.matches(change())).toBe(false);
    expect(pattern.matches(event('storeflow.pricing', 'CompetitorPriceObserved', { sku: 'A' }))).toBe(true);
    expect(pattern.matches(event('storeflow.orders', 'OrderPaid', { orderId: 'o' }))).toBe(true);
    expect(pattern.matches(event('storeflow.orders', 'OrderPlaced', { orderId: 'o' }))).toBe(false);
  });

  it('grant each function only what it uses: the table, gsi1 where it lists, the bus where it publishes', () => {
    const table = [
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ];
    const step = actionsOf('RepricingRunStep');
    expect(step.filter((a) => a.startsWith('dynamodb:'))).toEqual([...table, 'dynamodb:Query'].sort());
    expect(step).toContain('events:PutEvents');
    // The events function and the API publish nothing; the API's price changes are the SKU route's.
    expect(actionsOf('RepricingEvents').filter((a) => !a.startsWith('sqs:'))).toEqual(table);
    expect(actionsOf('RepricingApi')).toEqual([...table, 'dynamodb:Query', 'states:StartExecution'].sort());
    // A what-if job's steps read and write the table, and nothing else (no index, no bus).
    expect(actionsOf('RepricingWhatIfStep')).toEqual(table.filter((a) => a !== 'dynamodb:BatchGetItem'));
    for (const fn of [
      'RepricingRunStep',
      'RepricingEvents',
      'RepricingApi',
      'RepricingRunClock',
      'RepricingWhatIfStep',
    ]) {
      for (const s of statementsOf(fn).filter((x) => x.actions.some((a) => a.startsWith('dynamodb:')))) {
        expect(s.resource, fn).toContain('StoreflowTableArn');
        expect(s.resource, fn).not.toContain('/index/*');
      }
    }
    const index = statementsOf('RepricingRunStep').find((s) => s.resource.includes('/index/gsi1'));
    expect(index?.actions).toEqual(['dynamodb:Query']);
    // The API starts what-if jobs: executions of the what-if workflow, no other state machine.
    const starts = statementsOf('RepricingApi').filter((s) => s.actions.some((a) => a.startsWith('states:')));
    expect(starts.map((s) => s.actions)).toEqual([['states:StartExecution']]);
    expect(starts[0]?.resource).toContain('RepricingWhatIfWorkflowStateMachine');
  });
});

describe('how a run page writes (decision 50)', () => {
  it('is one transaction a page unless the deploy asks for single writes, and refuses other values', () => {
    const ctx = (values: Record<string, unknown>) => (key: string) => values[key];
    expect(stageConfig(ctx({})).repricingWrites).toBe('transaction');
    expect(stageConfig(ctx({ stage: 'prod' })).repricingWrites).toBe('transaction');
    expect(stageConfig(ctx({ repricingWrites: 'single' })).repricingWrites).toBe('single');
    expect(() => stageConfig(ctx({ repricingWrites: 'batch' }))).toThrow(ConfigError);
    expect(() => stageConfig(ctx({ repricingWrites: 'batch' }))).toThrow(/repricingWrites/);
    const functions = appTemplate().findResources('AWS::Lambda::Function') as Record<
      string,
      { Properties: { Environment?: { Variables?: Record<string, unknown> } } }
    >;
    const step = Object.entries(functions).find(([id]) => id.startsWith('RepricingRunStep'));
    expect(step?.[1].Properties.Environment?.Variables?.REPRICING_WRITES).toBe('transaction');
  });
});
