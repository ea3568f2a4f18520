import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '#lib/constructs/api-routes';
import { statementsOf } from '#test/support/iam';
import { appTemplate, synthesizedWorkflow } from '#test/support/workflow-harness';

/** Campaign launches in the template (issue #17): the two runs, their waits, the API's grants. */
describe('campaigns (template)', () => {
  it('the launch run waits on task tokens (abortable), rolls back on a decision timeout, compensates', () => {
    const { definition } = synthesizedWorkflow('Campaigns/LaunchWorkflow');
    const states = JSON.parse(definition).States as Record<string, Record<string, unknown>>;
    for (const wait of ['AwaitStart', 'AwaitPilotEnd', 'AwaitDecision', 'AwaitEnd']) {
      expect(states[wait]!.Resource, wait).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(states[wait]!.Catch, wait).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ ErrorEquals: ['CampaignAborted'], Next: 'Abort' }),
          expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Compensate' }),
        ]),
      );
    }
    expect(states.AwaitDecision!.TimeoutSecondsPath).toBe('$.evaluation.seconds');
    expect(states.AwaitDecision!.Catch).toContainEqual(
      expect.objectContaining({ ErrorEquals: ['States.Timeout'], Next: 'TimeOutDecision' }),
    );
    expect(states.AwaitPilotEnd!.Catch).toContainEqual(
      expect.objectContaining({ ErrorEquals: ['States.Timeout'], Next: 'Evaluate' }),
    );
    expect(states['Next?']!.Choices).toEqual([
      expect.objectContaining({
        Variable: '$.evaluation.next',
        StringEquals: 'await',
        Next: 'AwaitDecision',
      }),
      expect.objectContaining({ Variable: '$.evaluation.next', StringEquals: 'rollout', Next: 'RollOut' }),
    ]);
    expect(states.Compensate!.Next).toBe('Failed');
  });

  it('gives budget back from cancelled and refunded orders on the bus, with Query and UpdateItem only', () => {
    appTemplate().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['storeflow.orders'], 'detail-type': ['OrderCancelled', 'RefundIssued'] },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
    expect(
      statementsOf('CampaignsEvents')
        .flatMap((s) => s.actions)
        .filter((a) => a.startsWith('dynamodb'))
        .sort(),
    ).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
  });

  it('is two Standard state machines with their failed-run alarms', () => {
    const app = appTemplate();
    for (const prefix of ['CampaignsLaunchWorkflow', 'CampaignsExperimentWorkflow']) {
      const machines = Object.entries(app.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) =>
        id.startsWith(prefix),
      );
      expect(machines, prefix).toHaveLength(1);
      expect(machines[0]![1].Properties.StateMachineType).toBe('STANDARD');
    }
    app.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('campaign launch run failed'),
    });
  });

  it('routes the campaign API, the quote and the timelines behind the operator authorizer', () => {
    const routes = Object.values(appTemplate().findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    for (const key of [
      ROUTES.putCampaign,
      ROUTES.getCampaign,
      ROUTES.approveCampaign,
      ROUTES.abortCampaign,
      ROUTES.campaignAssignment,
      ROUTES.campaignTimeline,
      ROUTES.putExperiment,
      ROUTES.getExperiment,
      ROUTES.experimentTimeline,
      ROUTES.quote,
    ]) {
      expect(routes).toContain(key);
    }
  });
});
