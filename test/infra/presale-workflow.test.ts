import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { presaleStateMachine } from '#test/support/presale-definition';

/**
 * The presale order workflow as CloudFormation sees it, its definition joined with a placeholder
 * step ARN so that the state machine's JSON can be matched with `Match.serializedJson`.
 */
const STEP_ARN = 'arn:aws:lambda:region:account:function:PresaleOrderStep';

let app: Template;
let definitionTemplate: Template;
let definition: {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
};

beforeAll(() => {
  const machine = presaleStateMachine(STEP_ARN);
  app = machine.app;
  definitionTemplate = machine.definitionTemplate;
  definition = JSON.parse(machine.definition);
});

const catchTo = (errors: string[], next: string) => Match.objectLike({ ErrorEquals: errors, Next: next });

describe('presale order workflow (template)', () => {
  it('is one Standard state machine with logging and tracing', () => {
    // The presale order workflow, beside the restock sweep, the purchase order approval and the
    // hourly repricing run, the repricing what-if jobs, the members' nightly re-evaluation, the
    // campaign launch and the A/B test run.
    app.resourceCountIs('AWS::StepFunctions::StateMachine', 8);
    app.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  it('waits for the balance with a task token, timing out when the balance window closes', () => {
    definitionTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.serializedJson(
        Match.objectLike({
          StartAt: 'TakeUnit',
          States: Match.objectLike({
            AwaitBalance: Match.objectLike({
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              TimeoutSecondsPath: '$.balance.seconds',
              Parameters: {
                FunctionName: STEP_ARN,
                Payload: Match.objectLike({ step: 'park', phase: 'BALANCE', 'taskToken.$': '$$.Task.Token' }),
              },
              Catch: [
                catchTo(['States.Timeout'], 'Forfeit'),
                catchTo(['PresaleCancelled'], 'CancelOrder'),
                catchTo(['States.ALL'], 'Compensate'),
              ],
              Next: 'PayBalance',
            }),
            AwaitBalanceWindow: Match.objectLike({
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              TimeoutSecondsPath: '$.order.seconds',
              Catch: [
                catchTo(['States.Timeout'], 'OpenBalance'),
                catchTo(['PresaleCancelled'], 'CancelOrder'),
                catchTo(['States.ALL'], 'Compensate'),
              ],
            }),
            // A payment refused after all sends the run back to waiting.
            'BalancePaid?': Match.objectLike({
              Choices: [Match.objectLike({ Variable: '$.balance.paid', BooleanEquals: true, Next: 'Paid' })],
              Default: 'AwaitBalance',
            }),
          }),
        }),
      ),
    });
  });

  it('compensates every step that can fail for good, and retries transient failures with backoff and jitter', () => {
    definitionTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.serializedJson(
        Match.objectLike({
          States: Match.objectLike({
            Compensate: Match.objectLike({
              Resource: STEP_ARN,
              Parameters: Match.objectLike({ step: 'compensate', 'error.$': '$.error', 'state.$': '$' }),
              Next: 'Failed',
            }),
            Failed: { Type: 'Fail', Error: 'PresaleOrderFailed', Cause: Match.anyValue() },
          }),
        }),
      ),
    });
    const steps = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(steps.map(([name]) => name).sort()).toEqual(
      [
        'AwaitBalance',
        'AwaitBalanceWindow',
        'CancelOrder',
        'Compensate',
        'Forfeit',
        'OpenBalance',
        'PayBalance',
        'RecordOrder',
        'RecordRejection',
        'TakeUnit',
      ].sort(),
    );
    for (const [name, state] of steps) {
      const retry = state.Retry as Array<Record<string, unknown>>;
      // Cancellation and a step that can never succeed are not retried ...
      expect(retry[0], name).toEqual({
        ErrorEquals: ['PresaleCancelled', 'PresaleStepRejected'],
        MaxAttempts: 0,
      });
      // ... everything else is, with exponential backoff and full jitter (never the wait's timeout).
      expect(retry[1], name).toMatchObject({
        ErrorEquals: ['States.TaskFailed'],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxDelaySeconds: 300,
        JitterStrategy: 'FULL',
      });
      if (name === 'Compensate') continue;
      const catches = state.Catch as Array<{ ErrorEquals: string[]; Next: string; ResultPath: string }>;
      expect(catches.at(-1), name).toEqual({
        ErrorEquals: ['States.ALL'],
        Next: 'Compensate',
        ResultPath: '$.error',
      });
    }
    const compensateRetry = definition.States.Compensate?.Retry as
      | Array<{ MaxAttempts?: number }>
      | undefined;
    expect(compensateRetry?.[1]?.MaxAttempts).toBe(20);
    const takeRetry = definition.States.TakeUnit?.Retry as Array<{ MaxAttempts?: number }> | undefined;
    expect(takeRetry?.[1]?.MaxAttempts).toBe(10);
    expect(definition.States.Compensate?.Catch).toBeUndefined();
  });

  it('starts runs from PresaleDepositPaid and answers waits from balance payments and cancellations', () => {
    app.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['storeflow.presale'], 'detail-type': ['PresaleDepositPaid'] },
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
    });
    app.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['storeflow.presale'],
        'detail-type': ['PresaleBalancePaid', 'PresaleCancelled'],
      },
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
    });
    app.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
    });
  });

  it('grants the starter StartExecution and the callback only task responses, on this state machine', () => {
    const policies = app.findResources('AWS::IAM::Policy') as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    const statements = (prefix: string) =>
      Object.entries(policies)
        .filter(([id]) => id.startsWith(prefix))
        .flatMap(
          ([, p]) =>
            (
              p.Properties.PolicyDocument as {
                Statement: Array<{ Action: string | string[]; Resource: unknown }>;
              }
            ).Statement,
        );
    const states = (prefix: string) =>
      statements(prefix).filter((s) => [s.Action].flat().some((a) => a.startsWith('states:')));
    const start = states('PresaleStartOrder');
    expect(start.map((s) => s.Action)).toEqual(['states:StartExecution']);
    expect(JSON.stringify(start[0]?.Resource)).toContain('PresaleOrderWorkflowStateMachine');
    const callback = states('PresaleCallback');
    expect([callback.map((s) => s.Action)].flat(2).sort()).toEqual(
      ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'].sort(),
    );
    expect(JSON.stringify(callback[0]?.Resource)).toContain('PresaleOrderWorkflowStateMachine');
    // Neither the step function nor the API can touch the workflow.
    expect(states('PresaleOrderStep')).toEqual([]);
    expect(states('PresaleApi')).toEqual([]);
  });
});
