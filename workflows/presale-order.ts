import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { PRESALE_CANCELLED, PRESALE_STEP_REJECTED, type PresaleTaskState } from '#domain/presale/run';
import type { StageConfig } from '../lib/config.ts';

export interface PresaleOrderWorkflowProps {
  /** The function that performs every step (functions/presale-order-step.handler.ts). */
  readonly step: IFunction;
  readonly config: StageConfig;
}

/** Errors a retry cannot fix: the run goes on to its catch (Cancel or Compensate) at once. */
const FINAL_ERRORS = [PRESALE_CANCELLED, PRESALE_STEP_REJECTED];

/**
 * Retries of a transient failure (MaxAttempts counts retries, after the first attempt): 2 s
 * doubling to at most 5 min, full jitter. Ten retries span up to about half an hour, long enough to ride out throttling when every run of a presale wakes at the
 * same instant (the balance window opening), before compensation gives up on the order.
 */
const FORWARD_ATTEMPTS = 10;
/** Compensation keeps the quota and the refunds right: its retries span up to about 1.5 h. */
const COMPENSATE_ATTEMPTS = 20;

/** Where each wait's timeout is read from (the step before it computes the seconds left). */
const UNTIL_BALANCE_WINDOW_OPENS = '$.order.seconds';
const UNTIL_BALANCE_WINDOW_CLOSES = '$.balance.seconds';

/**
 * The presale order run (SPEC §2, issue #5), a Standard workflow named after the order:
 *
 * ```
 * TakeUnit ─► DepositAccepted? ─ no ─► RecordRejection ─► Rejected
 *                 └ yes ─► RecordOrder ─► AwaitBalanceWindow (task token, timeout: window opens)
 *   ─► OpenBalance ─► AwaitBalance (task token, timeout: window closes) ─► PayBalance ─► BalancePaid? ─► Paid
 *                        │   ▲                                                        └ no (refused) ┘
 *                        ├ States.Timeout ─► Forfeit ─► Forfeited
 *                        └ PresaleCancelled ─► CancelOrder ─► Cancelled   (also from AwaitBalanceWindow)
 * any step failing for good ─► Compensate (the unit back, the order cancelled, deposit refunded) ─► Failed
 * ```
 *
 * Every step is the step function with `{ step, ids, run: { name, state } }` (ids, not documents);
 * it is idempotent, and transient failures retry with exponential backoff and full jitter.
 */
export class PresaleOrderWorkflow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: PresaleOrderWorkflowProps) {
    super(scope, id);
    const run = {
      name: JsonPath.stringAt('$$.Execution.Name'),
      state: JsonPath.stringAt('$$.State.Name'),
      enteredAt: JsonPath.stringAt('$$.State.EnteredTime'),
      startedAt: JsonPath.stringAt('$$.Execution.StartTime'),
    };
    const orderId = JsonPath.stringAt('$.deposit.orderId');

    const retrying = <T extends LambdaInvoke>(task: T, maxAttempts = FORWARD_ATTEMPTS): T => {
      task.addRetry({ errors: FINAL_ERRORS, maxAttempts: 0 });
      task.addRetry({
        // States.TaskFailed matches every task error except States.Timeout (a wait running out).
        errors: [Errors.TASKS_FAILED],
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts,
        maxDelay: Duration.minutes(5),
        jitterStrategy: JitterType.FULL,
      });
      return task;
    };
    const step = (
      stateId: PresaleTaskState,
      payload: Record<string, unknown>,
      resultPath: string,
      maxAttempts = FORWARD_ATTEMPTS,
    ) =>
      retrying(
        new LambdaInvoke(this, stateId, {
          lambdaFunction: props.step,
          payload: TaskInput.fromObject({ ...payload, run }),
          payloadResponseOnly: true,
          retryOnServiceExceptions: false,
          resultPath,
        }),
        maxAttempts,
      );
    const wait = (stateId: PresaleTaskState, phase: string, timeoutPath: string, resultPath: string) =>
      retrying(
        new LambdaInvoke(this, stateId, {
          lambdaFunction: props.step,
          integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
          payload: TaskInput.fromObject({ step: 'park', orderId, phase, taskToken: JsonPath.taskToken, run }),
          taskTimeout: Timeout.at(timeoutPath),
          retryOnServiceExceptions: false,
          resultPath,
        }),
      );

    const failed = new Fail(this, 'Failed', {
      error: 'PresaleOrderFailed',
      cause: 'A step failed for good; the order was compensated (see its timeline)',
    });
    // Compensation retries longer than a forward step: it is what keeps the quota right.
    const compensate = step(
      'Compensate',
      {
        step: 'compensate',
        deposit: JsonPath.objectAt('$.deposit'),
        error: JsonPath.objectAt('$.error'),
        state: JsonPath.entirePayload,
      },
      '$.compensation',
      COMPENSATE_ATTEMPTS,
    ).next(failed);
    const onFailure = { errors: [Errors.ALL], resultPath: '$.error' };

    const cancelOrder = step('CancelOrder', { step: 'cancel', orderId }, '$.result')
      .addCatch(compensate, onFailure)
      .next(new Succeed(this, 'Cancelled'));
    const onCancel = { errors: [PRESALE_CANCELLED], resultPath: '$.cancellation' };

    const forfeit = step('Forfeit', { step: 'forfeit', orderId }, '$.result')
      .addCatch(compensate, onFailure)
      .next(new Succeed(this, 'Forfeited'));

    const awaitBalance = wait('AwaitBalance', 'BALANCE', UNTIL_BALANCE_WINDOW_CLOSES, '$.payment');
    const payBalance = step(
      'PayBalance',
      { step: 'pay', orderId, payment: JsonPath.objectAt('$.payment') },
      '$.balance',
    ).addCatch(compensate, onFailure);
    awaitBalance
      .addCatch(forfeit, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' })
      .addCatch(cancelOrder, onCancel)
      .addCatch(compensate, onFailure)
      .next(payBalance)
      .next(
        new Choice(this, 'BalancePaid?')
          .when(Condition.booleanEquals('$.balance.paid', true), new Succeed(this, 'Paid'))
          // Refused after all (a race the callback could not see): the run waits again.
          .otherwise(awaitBalance),
      );

    const openBalance = step('OpenBalance', { step: 'open', orderId }, '$.balance')
      .addCatch(cancelOrder, onCancel)
      .addCatch(compensate, onFailure);
    openBalance.next(awaitBalance);

    const awaitBalanceWindow = wait(
      'AwaitBalanceWindow',
      'BALANCE_WINDOW',
      UNTIL_BALANCE_WINDOW_OPENS,
      JsonPath.DISCARD,
    )
      .addCatch(openBalance, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' })
      .addCatch(cancelOrder, onCancel)
      .addCatch(compensate, onFailure);
    awaitBalanceWindow.next(openBalance);

    const recordOrder = step(
      'RecordOrder',
      { step: 'record', deposit: JsonPath.objectAt('$.deposit'), terms: JsonPath.objectAt('$.take.terms') },
      '$.order',
    ).addCatch(compensate, onFailure);
    recordOrder.next(awaitBalanceWindow);

    const recordRejection = step(
      'RecordRejection',
      { step: 'reject', deposit: JsonPath.objectAt('$.deposit'), decision: JsonPath.objectAt('$.take') },
      '$.result',
    )
      .addCatch(compensate, onFailure)
      .next(new Succeed(this, 'Rejected'));

    const takeUnit = step('TakeUnit', { step: 'take', deposit: JsonPath.objectAt('$.deposit') }, '$.take')
      .addCatch(compensate, onFailure)
      .next(
        new Choice(this, 'DepositAccepted?')
          .when(Condition.booleanEquals('$.take.accepted', true), recordOrder)
          .otherwise(recordRejection),
      );

    const logs = new LogGroup(this, 'Logs', {
      retention: props.config.logRetention,
      removalPolicy: props.config.disposableRemovalPolicy,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: 'Presale order (deposit inflation): deposit → balance window → balance or forfeit',
      definitionBody: DefinitionBody.fromChainable(takeUnit),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    });
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
  }
}
