import { App, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import type { OperationsCatalog } from '#domain/operations/catalog';
import { EventTargets } from '#lib/constructs/event-targets';
import { OperationsCatalogBuilder } from '#lib/constructs/operations-catalog';
import { statementsOf } from '#test/support/iam';
import { appTemplate } from '#test/support/workflow-harness';

/** The operations feature as CloudFormation sees it (issue #14, decision 29). */
const catalogOf = (): OperationsCatalog => {
  const fns = appTemplate().findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: { Environment: { Variables: Record<string, unknown> } } }
  >;
  const fn = Object.entries(fns).find(([id]) => id.startsWith('OperationsApi'))![1];
  const raw = fn.Properties.Environment.Variables.OPERATIONS_CATALOG as { 'Fn::Join': [string, unknown[]] };
  // The JSON with the tokens as their CloudFormation JSON (enough to read names and shapes).
  const text = raw['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text) as OperationsCatalog;
};

describe('the operations feature (template)', () => {
  it('knows every workflow and the dead-letter queue from the catalog the features filled', () => {
    const catalog = catalogOf();
    expect(catalog.workflows.map((w) => [w.name, w.key.type, w.distributedMap ?? false])).toEqual([
      ['PresaleOrder', 'order', false],
      ['PurchaseOrderApproval', 'po', false],
      ['RestockSweep', 'run', true],
      ['RepricingRun', 'run', true],
      ['RepricingWhatIf', 'run', false],
      ['CampaignLaunch', 'campaign', false],
      ['ExperimentRun', 'experiment', false],
      ['MembersNightly', 'run', true],
    ]);
    expect(catalog.workflows[1]?.waits).toEqual({ AwaitApproval: { kind: 'po-approval', by: 'person' } });
    expect(catalog.deadLetters).toHaveLength(1);
    expect(catalog.deadLetters[0]?.redrive).toBe('replay');
    expect(catalog.deadLetters[0]?.feeds.map((f) => f.label).sort()).toEqual([
      'Campaigns/Events',
      'Members/Annual',
      'Members/Events',
      'Members/NightlyClock',
      'Metrics/Events',
      'Presale/Callback',
      'Presale/StartOrder',
      'Repricing/Events',
      'Repricing/RunClock',
      'Restock/Events',
      'Restock/StartApproval',
      'Restock/SweepClock',
      'Sla/Deadline',
      'Sla/Events',
      'Timeline/Record',
    ]);
  });

  it('grants only what the API does, on the catalog’s resources', () => {
    const statements = statementsOf('OperationsApi');
    const byAction = (action: string) => statements.filter((s) => s.actions.includes(action));
    expect(new Set(statements.flatMap((s) => s.actions))).toEqual(
      new Set([
        'states:ListExecutions',
        'states:DescribeExecution',
        'states:DescribeStateMachineForExecution',
        'states:GetExecutionHistory',
        'states:StopExecution',
        'states:RedriveExecution',
        'states:ListMapRuns',
        'states:DescribeMapRun',
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:StartMessageMoveTask',
        'sqs:ListMessageMoveTasks',
        'lambda:InvokeFunction',
        'dynamodb:Query',
      ]),
    );
    expect(byAction('states:ListExecutions')).toHaveLength(8);
    for (const s of byAction('states:DescribeExecution')) {
      expect(s.resource).toContain(':execution:');
      expect(s.resource).not.toContain('"*"');
    }
    // Distributed Map children and map runs only for the workflows that have them.
    expect(byAction('states:DescribeMapRun').map((s) => s.resource)).toEqual([
      expect.stringContaining('RestockSweepWorkflow'),
      expect.stringContaining('RepricingRunWorkflow'),
      expect.stringContaining('MembersNightlyWorkflow'),
    ]);
    for (const s of byAction('sqs:ReceiveMessage')) expect(s.resource).toContain('AsyncFailures');
    const invoke = byAction('lambda:InvokeFunction');
    expect(invoke).toHaveLength(1);
    expect(invoke[0]!.resource).not.toMatch(/:\*|"\*"/);
    expect(byAction('dynamodb:Query')[0]?.resource).toContain('/index/gsi1');
  });

  it('a workflow or dead-letter feed added after the operations feature read the catalog fails synthesis', () => {
    const stack = new Stack(new App(), 'Sealed');
    const builder = OperationsCatalogBuilder.of(stack);
    builder.seal('Sealed/Operations');
    const machine = new StateMachine(stack, 'Late', { definition: new Pass(stack, 'P') });
    expect(() => builder.addWorkflow({ name: 'Late', stateMachine: machine, key: { type: 'run' } })).toThrow(
      /workflow Late was added after Sealed\/Operations read the catalog/,
    );
    const fn = new LambdaFunction(stack, 'Fn', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => {}'),
    });
    expect(() => new EventTargets(new Queue(stack, 'Dlq')).lambda(fn)).toThrow(/read the catalog/);
  });
});
