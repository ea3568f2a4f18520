import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Errors, Fail, JsonPath, Succeed, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { PRESALE_CANCELLED, PRESALE_STEP_REJECTED, type PresaleTaskState } from '#domain/presale/run';
import type { StageConfig } from '../lib/config.ts';
import { StoreflowWorkflow } from './_kit/state-machine.ts';
import { COMPENSATE_ATTEMPTS } from './_kit/steps.ts';

export interface PresaleOrderWorkflowProps {
  /** The function that performs every step (functions/presale-order-step.handler.ts). */
  readonly step: IFunction;
  readonly config: StageConfig;
}

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
 * Built on the workflow kit (workflows/_kit): every step is the step function with
 * `{ step, ids, run }`, idempotent, retried with exponential backoff and full jitter.
 */
export class PresaleOrderWorkflow extends StoreflowWorkflow<PresaleTaskState> {
  constructor(scope: Construct, id: string, props: PresaleOrderWorkflowProps) {
    super(scope, id, {
      config: props.config,
      step: props.step,
      finalErrors: [PRESALE_CANCELLED, PRESALE_STEP_REJECTED],
      comment: 'Presale order (deposit inflation): deposit → balance window → balance or forfeit',
      operations: {
        name: 'PresaleOrder',
        key: { type: 'order', prefix: 'order', seed: 'presale-run' },
        waits: {
          AwaitBalanceWindow: { kind: 'presale-balance-window', by: 'time' },
          AwaitBalance: { kind: 'presale-balance', by: 'customer' },
        },
      },
      failedAlarm: 'A presale order run failed for good and was compensated; see the order timeline',
      definition: ({ step, waitForCallback, onFailure }, scope) => {
        const orderId = JsonPath.stringAt('$.deposit.orderId');
        const failed = new Fail(scope, 'Failed', {
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

        const cancelOrder = step('CancelOrder', { step: 'cancel', orderId }, '$.result')
          .addCatch(compensate, onFailure)
          .next(new Succeed(scope, 'Cancelled'));
        const onCancel = { errors: [PRESALE_CANCELLED], resultPath: '$.cancellation' };

        const forfeit = step('Forfeit', { step: 'forfeit', orderId }, '$.result')
          .addCatch(compensate, onFailure)
          .next(new Succeed(scope, 'Forfeited'));

        const awaitBalance = waitForCallback(
          'AwaitBalance',
          { step: 'park', orderId, phase: 'BALANCE' },
          { timeout: Timeout.at(UNTIL_BALANCE_WINDOW_CLOSES), resultPath: '$.payment' },
        );
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
            new Choice(scope, 'BalancePaid?')
              .when(Condition.booleanEquals('$.balance.paid', true), new Succeed(scope, 'Paid'))
              // Refused after all (a race the callback could not see): the run waits again.
              .otherwise(awaitBalance),
          );

        const openBalance = step('OpenBalance', { step: 'open', orderId }, '$.balance')
          .addCatch(cancelOrder, onCancel)
          .addCatch(compensate, onFailure);
        openBalance.next(awaitBalance);

        const awaitBalanceWindow = waitForCallback(
          'AwaitBalanceWindow',
          { step: 'park', orderId, phase: 'BALANCE_WINDOW' },
          { timeout: Timeout.at(UNTIL_BALANCE_WINDOW_OPENS), resultPath: JsonPath.DISCARD },
        )
          .addCatch(openBalance, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' })
          .addCatch(cancelOrder, onCancel)
          .addCatch(compensate, onFailure);
        awaitBalanceWindow.next(openBalance);

        const recordOrder = step(
          'RecordOrder',
          {
            step: 'record',
            deposit: JsonPath.objectAt('$.deposit'),
            terms: JsonPath.objectAt('$.take.terms'),
          },
          '$.order',
        ).addCatch(compensate, onFailure);
        recordOrder.next(awaitBalanceWindow);

        const recordRejection = step(
          'RecordRejection',
          { step: 'reject', deposit: JsonPath.objectAt('$.deposit'), decision: JsonPath.objectAt('$.take') },
          '$.result',
        )
          .addCatch(compensate, onFailure)
          .next(new Succeed(scope, 'Rejected'));

        return step('TakeUnit', { step: 'take', deposit: JsonPath.objectAt('$.deposit') }, '$.take')
          .addCatch(compensate, onFailure)
          .next(
            new Choice(scope, 'DepositAccepted?')
              .when(Condition.booleanEquals('$.take.accepted', true), recordOrder)
              .otherwise(recordRejection),
          );
      },
    });
  }
}
