import { type CfnElement, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FeatureProps } from './feature.ts';
import { grantTable } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';

export interface WorkflowClockProps extends Pick<FeatureProps, 'config' | 'table' | 'targets'> {
  /** Prefix of the construct ids (`<name>Clock`, `<name>ScheduleRole`, `<name>Schedule`). */
  readonly name: string;
  /** The clock function (functions/<entry>.handler.ts): reads its item and starts a named run. */
  readonly entry: string;
  readonly description: string;
  readonly scheduleDescription: string;
  readonly roleDescription: string;
  /** How the cdk-nag acknowledgement names the function ("the sweep clock function"). */
  readonly what: string;
  readonly stateMachine: IStateMachine;
}

/**
 * A workflow's clock: EventBridge Scheduler every 15 minutes in the store's time zone invokes a
 * small function that decides whether a run is due and starts it under a name derived from the
 * store's calendar (so the run starts once whatever the ticks and retries). The restock sweep and
 * the repricing run use it; the ids are made in `scope`, so the logical ids are the feature's own.
 */
export function workflowClock(scope: Construct, props: WorkflowClockProps): IFunction {
  const { config, table, targets, name } = props;
  const tick = new StoreflowFunction(scope, `${name}Clock`, {
    entry: props.entry,
    description: props.description,
    config,
    environment: { STATE_MACHINE_ARN: props.stateMachine.stateMachineArn, TABLE_NAME: table.tableName },
  }).fn;
  grantTable(table, tick, 'dynamodb:GetItem');
  props.stateMachine.grantStartExecution(tick);
  targets.feeds(tick);
  const scheduleRole = new Role(scope, `${name}ScheduleRole`, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
    description: props.roleDescription,
  });
  new Schedule(scope, `${name}Schedule`, {
    description: props.scheduleDescription,
    schedule: ScheduleExpression.cron({ minute: '0/15', timeZone: TimeZone.of(config.storeTimeZone) }),
    target: new LambdaInvoke(tick, {
      role: scheduleRole,
      deadLetterQueue: targets.deadLetters,
      retryAttempts: 3,
      maxEventAge: Duration.minutes(15),
    }),
  });
  Validations.of(scheduleRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(tick.node.defaultChild as CfnElement)}.Arn>:*]`,
    reason: `lambda:InvokeFunction on ${props.what} and its versions/aliases (\`<arn>:*\`), as the CDK grants it; no other function.`,
  });
  return tick;
}
