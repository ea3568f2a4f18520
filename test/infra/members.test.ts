import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_BUCKETS } from '#domain/members/members';
import { statementsOf } from '#test/support/iam';
import { appTemplate, synthesizedWorkflow } from '#test/support/workflow-harness';
import { NIGHTLY_MAX_CONCURRENCY } from '#workflows/members-nightly';

/** Members' infrastructure as CloudFormation sees it (issue #18). */
type States = Record<string, Record<string, unknown>>;
let nightly: { StartAt: string; States: States };

beforeAll(() => {
  nightly = JSON.parse(synthesizedWorkflow('Members/NightlyWorkflow').definition);
});

describe('members (template)', () => {
  it('the nightly re-evaluation fans out over the member buckets with a Distributed Map, like the restock sweep', () => {
    expect(nightly.StartAt).toBe('StartNightly');
    expect(Object.keys(nightly.States).sort()).toEqual(['Done', 'Evaluate', 'StartNightly']);
    const map = nightly.States.Evaluate!;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.start.buckets',
      MaxConcurrency: NIGHTLY_MAX_CONCURRENCY,
      ItemSelector: { 'bucket.$': '$$.Map.Item.Value', 'context.$': '$.start.context', cursor: '' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'EvaluatePage',
      },
      ResultPath: null,
    });
    const processor = (map.ItemProcessor as { States: States }).States;
    expect(processor['EvaluateMorePages?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.page.cursor', IsNull: false, Next: 'EvaluateNextPage' }],
    });
    expect(MEMBER_BUCKETS).toBe(64);
  });

  it('is clocked in the store’s time zone: every 15 minutes for the nightly run, 00:05 on 1 January for the grant', () => {
    const app = appTemplate();
    app.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(5 0 1 1 ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      Target: Match.objectLike({
        DeadLetterConfig: Match.anyValue(),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 10 }),
      }),
    });
    const clocks = app.findResources('AWS::Scheduler::Schedule', {
      Properties: { Description: Match.stringLikeRegexp('^Members nightly clock') },
    });
    expect(
      Object.values(clocks).map(
        (s) => (s as { Properties: { ScheduleExpression: string } }).Properties.ScheduleExpression,
      ),
    ).toEqual(['cron(0/15 * * * ? *)']);
  });

  it('takes registrations, paid orders, refunds and SLA compensation from the bus', () => {
    appTemplate().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['storeflow.members', 'storeflow.orders', 'storeflow.sla'],
        'detail-type': ['CustomerRegistered', 'OrderPaid', 'RefundIssued', 'CompensationIssued'],
      },
    });
  });

  it('grants the clock only a read and the start of its run; the API the table and gsi1', () => {
    const clock = statementsOf('MembersNightlyClock');
    expect(clock.map((s) => s.actions)).toEqual(
      expect.arrayContaining([['dynamodb:GetItem'], ['states:StartExecution']]),
    );
    expect(clock.flatMap((s) => s.actions).filter((a) => a.startsWith('dynamodb:'))).toEqual([
      'dynamodb:GetItem',
    ]);
    const api = statementsOf('MembersApi');
    expect(api.find((s) => s.resource.includes('/index/gsi1'))?.actions).toEqual(['dynamodb:Query']);
    expect(api.flatMap((s) => s.actions)).not.toContain('dynamodb:DeleteItem');
  });
});
