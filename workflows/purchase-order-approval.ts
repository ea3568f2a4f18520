import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Errors, Fail, JsonPath, Succeed, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  APPROVAL_STEP_REJECTED,
  type ApprovalTaskState,
  PURCHASE_ORDER_DECIDED,
} from '#domain/restock/approval';
import type { StageConfig } from '../lib/config.ts';
import { StoreflowWorkflow } from './_kit/state-machine.ts';

export interface PurchaseOrderApprovalWorkflowProps {
  /** The function that performs every step (functions/purchase-order-approval-step.handler.ts). */
  readonly step: IFunction;
  readonly config: StageConfig;
}

/**
 * A purchase order above the approval threshold waits for a person (SPEC §3), one Standard run per
 * purchase order, named after it:
 *
 * ```
 * Prepare ─► AwaitApproval (task token; timeout: the approval window) ─► Settle ─► Settled
 *   │              ├ States.Timeout ─► Expire (EXPIRED, the alert) ─► Expired
 *   └──────────────┴ PurchaseOrderDecided (decided before the wait) ─► Settle
 * ```
 *
 * `POST /api/purchase-orders/{poId}/approve` or `/reject` decides (one conditional write) and
 * sends the task token; the run settles whatever was decided, so an approval racing the expiry
 * has exactly one outcome.
 */
export class PurchaseOrderApprovalWorkflow extends StoreflowWorkflow<ApprovalTaskState> {
  constructor(scope: Construct, id: string, props: PurchaseOrderApprovalWorkflowProps) {
    super(scope, id, {
      config: props.config,
      step: props.step,
      finalErrors: [PURCHASE_ORDER_DECIDED, APPROVAL_STEP_REJECTED],
      comment: 'Purchase order approval: wait for a person, or expire after the approval window',
      operations: {
        name: 'PurchaseOrderApproval',
        key: { type: 'po' },
        waits: { AwaitApproval: { kind: 'po-approval', by: 'person' } },
      },
      failedAlarm: 'A purchase order approval run failed; the purchase order may be stuck awaiting approval',
      definition: ({ step, waitForCallback, onFailure }, scope) => {
        const poId = JsonPath.stringAt('$.poId');
        const failed = new Fail(scope, 'Failed', {
          error: 'PurchaseOrderApprovalFailed',
          cause: 'A step failed for good; see the purchase order',
        });
        const settle = step('Settle', { step: 'settle', poId }, '$.settled')
          .addCatch(failed, onFailure)
          .next(new Succeed(scope, 'Settled'));
        const decided = { errors: [PURCHASE_ORDER_DECIDED], resultPath: '$.decided' };
        const expire = step('Expire', { step: 'expire', poId }, '$.expired')
          .addCatch(failed, onFailure)
          .next(new Succeed(scope, 'Expired'));
        const wait = waitForCallback(
          'AwaitApproval',
          { step: 'park', poId },
          { timeout: Timeout.at('$.prepare.seconds'), resultPath: '$.answer' },
        )
          .addCatch(expire, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' })
          .addCatch(settle, decided)
          .addCatch(failed, onFailure);
        wait.next(settle);
        return step('Prepare', { step: 'prepare', poId }, '$.prepare')
          .addCatch(settle, decided)
          .addCatch(failed, onFailure)
          .next(wait);
      },
    });
  }
}
