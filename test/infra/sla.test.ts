import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { statementsOf } from '#test/support/iam';
import { appTemplate } from '#test/support/workflow-harness';

/** SLA compensation's infrastructure as CloudFormation sees it (issue #12, decision 22). */
const logicalIdOf = (type: string, prefix: string) => {
  const id = Object.keys(appTemplate().findResources(type)).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}`);
  return id;
};
const actionsOf = (prefix: string) => statementsOf(prefix).flatMap((s) => s.actions);

describe('SLA compensation (template)', () => {
  it('keeps the promise timers in their own schedule group, with an alarm when one is lost', () => {
    const template = appTemplate();
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    const group = template.findResources('AWS::Scheduler::ScheduleGroup')[
      logicalIdOf('AWS::Scheduler::ScheduleGroup', 'SlaTimers')
    ]!.Properties.Name as string;
    expect(group).toMatch(/Timers/);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('SLA deadline timer'),
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'dropped + failedToDlq' }),
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              Namespace: 'AWS/Scheduler',
              MetricName: 'InvocationDroppedCount',
              Dimensions: [{ Name: 'ScheduleGroup', Value: group }],
            }),
          }),
        }),
      ]),
    });
  });

  it('lets Scheduler invoke only the deadline function, for this account’s schedules of the group', () => {
    const template = appTemplate();
    const role = logicalIdOf('AWS::IAM::Role', 'SlaTimerRole');
    const deadline = logicalIdOf('AWS::Lambda::Function', 'SlaDeadline');
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ],
      },
    });
    const policies = template.findResources('AWS::IAM::Policy') as Record<
      string,
      {
        Properties: {
          Roles: Array<{ Ref: string }>;
          PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
        };
      }
    >;
    const statements = Object.values(policies)
      .filter((p) => p.Properties.Roles.some((r) => r.Ref === role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((s) => [s.Action].flat().sort())).toEqual([
      ['lambda:InvokeFunction'],
      ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
    ]);
    expect(JSON.stringify(statements[0]!.Resource)).toBe(JSON.stringify({ 'Fn::GetAtt': [deadline, 'Arn'] }));
  });

  it('grants each function only what it uses: timers to the events function, deletes to the deadline one', () => {
    const events = actionsOf('SlaEvents');
    expect(events).toEqual(
      expect.arrayContaining(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'iam:PassRole']),
    );
    expect(events).toContain('dynamodb:BatchGetItem');
    const deadline = actionsOf('SlaDeadline');
    expect(deadline).toContain('scheduler:DeleteSchedule');
    expect(deadline).not.toContain('scheduler:CreateSchedule');
    expect(deadline).not.toContain('iam:PassRole');
    const api = actionsOf('SlaApi');
    expect(api.some((a) => a.startsWith('scheduler:'))).toBe(false);
    expect(api).not.toContain('events:PutEvents');
    // Schedules of the group only, never `*`.
    for (const s of statementsOf('SlaEvents').filter((x) =>
      x.actions.some((a) => a.startsWith('scheduler:')),
    )) {
      expect(s.resource).toMatch(/schedule\//);
      expect(s.resource).not.toBe('"*"');
    }
    // The events function knows where the timers go; the deadline function cannot set one.
    appTemplate().hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Registers, keeps'),
      Environment: {
        Variables: Match.objectLike({
          SLA_TIMER_GROUP: Match.anyValue(),
          SLA_TIMER_TARGET_ARN: Match.anyValue(),
          SLA_TIMER_ROLE_ARN: Match.anyValue(),
          SLA_TIMER_DLQ_ARN: Match.anyValue(),
          STORE_TIME_ZONE: 'Asia/Shanghai',
        }),
      },
    });
    const deadlineEnv = Object.values(appTemplate().findResources('AWS::Lambda::Function')).find((f) =>
      String(f.Properties.Description).startsWith('A promise’s timer fired'),
    )!.Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(deadlineEnv)).not.toContain('SLA_TIMER_TARGET_ARN');
  });

  it('routes the events promises start and end on to the events function, retried into the DLQ', () => {
    appTemplate().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['storeflow.orders', 'storeflow.fulfilment', 'storeflow.presale', 'storeflow.aftersales'],
        'detail-type': [
          'OrderPaid',
          'ShipmentDispatched',
          'OrderDelivered',
          'PresaleFulfilmentPromised',
          'TicketOpened',
          'TicketResponded',
          'TicketResolved',
          'InstallationCompleted',
        ],
      },
      Targets: [
        Match.objectLike({
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });
});
