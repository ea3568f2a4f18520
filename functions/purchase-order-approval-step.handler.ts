import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { StepFunctionsTaskCallbacks } from '#adapters/stepfunctions/sfn';
import { purchaseOrderApproval } from '#domain/restock/approval';
import { approvalStepHandler } from '#domain/restock/steps';
import { restockDeps } from './_shared/restock.ts';
import { logger, sfnClient } from './_shared/runtime.ts';

/** The steps of a purchase order's approval run (workflows/purchase-order-approval.ts). */
const step = approvalStepHandler(
  purchaseOrderApproval({ ...restockDeps(), callbacks: new StepFunctionsTaskCallbacks(sfnClient()) }),
  {
    done: (input) => logger.info('approval step done', { step: input.step, poId: input.poId }),
    cancelled: (input) => logger.info('purchase order already decided', { poId: input?.poId }),
    rejected: (input, error) => logger.error('approval step rejected', { step: input?.step, error }),
    failed: (input, error) =>
      logger.warn('approval step failed; the workflow retries it', { step: input?.step, error }),
  },
);

export const handler = middy<unknown, unknown>().use(injectLambdaContext(logger)).handler(step);
