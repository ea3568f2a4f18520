import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  type IChainable,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../../lib/config.ts';
import { nagArn } from '../../lib/constructs/nag.ts';
import { type CatalogWorkflow, OperationsCatalogBuilder } from '../../lib/constructs/operations-catalog.ts';
import { type WorkflowSteps, workflowSteps } from './steps.ts';

export interface StoreflowWorkflowProps<S extends string> {
  readonly config: StageConfig;
  /** The function that performs every step. */
  readonly step: IFunction;
  /** Errors a retry cannot fix (the workflow's cancellation and rejection). */
  readonly finalErrors: readonly string[];
  readonly comment: string;
  /** What the alarm on failed runs says to the person who gets it. */
  readonly failedAlarm: string;
  /** @default STANDARD: storeflow's workflows wait (for time, a payment, a person). */
  readonly type?: StateMachineType;
  /**
   * How the operations API shows the workflow's runs: its name in run ids (`PresaleOrder`), how a
   * run's name derives from its business key, and the states where it waits for someone.
   */
  readonly operations: Omit<CatalogWorkflow, 'stateMachine' | 'distributedMap'>;
  /** The definition, built from the kit's steps (created in this construct's scope). */
  readonly definition: (steps: WorkflowSteps<S>, scope: Construct) => IChainable;
}

/**
 * One storeflow workflow: a Standard state machine (the definition from its steps), its log group
 * with the stage's retention, X-Ray tracing, least privilege (the step function only, as the CDK
 * grants it), the cdk-nag acknowledgements that apply to every state machine, and an alarm on
 * failed runs (a failed run was compensated; its business key's timeline says why).
 */
export class StoreflowWorkflow<S extends string> extends Construct {
  readonly stateMachine: StateMachine;
  readonly failedAlarm: Alarm;

  constructor(scope: Construct, id: string, props: StoreflowWorkflowProps<S>) {
    super(scope, id);
    const steps = workflowSteps<S>(this, props.step, { finalErrors: props.finalErrors });
    const logs = new LogGroup(this, 'Logs', {
      retention: props.config.logRetention,
      removalPolicy: props.config.disposableRemovalPolicy,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: props.type ?? StateMachineType.STANDARD,
      comment: props.comment,
      definitionBody: DefinitionBody.fromChainable(props.definition(steps, this)),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    });
    OperationsCatalogBuilder.of(this).addWorkflow({ ...props.operations, stateMachine: this.stateMachine });
    const role = Validations.of(this.stateMachine.role);
    role.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery, ...) and X-Ray tracing (xray:PutTraceSegments, ...) do not support resource-level permissions.',
    });
    role.acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.step.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the step function and its versions/aliases (`<arn>:*`), as the CDK grants it; no other function.',
    });
    this.failedAlarm = new Alarm(this, 'FailedAlarm', {
      alarmDescription: props.failedAlarm,
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * For a workflow with a Distributed Map: its children are executions of this state machine, and
   * the CDK grants the role StartExecution (and describe/stop) on them, whose names only exist at
   * run time — acknowledged for cdk-nag with that reason, for this state machine only.
   */
  protected acknowledgeDistributedMapChildren(): void {
    OperationsCatalogBuilder.of(this).markDistributedMap(this.stateMachine);
    const machine = Stack.of(this).getLogicalId(this.stateMachine.node.defaultChild as CfnElement);
    const executions = nagArn(
      this,
      'states',
      `execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machine}"}]}]}`,
    );
    for (const suffix of [':*', '/*:*']) {
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${executions}${suffix}]`,
        reason:
          "The Distributed Map's child executions of this state machine (their names are made at run time); no other state machine.",
      });
    }
  }
}
