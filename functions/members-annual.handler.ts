import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { membersUseCases } from './_shared/members.ts';
import { logger } from './_shared/runtime.ts';

/**
 * EventBridge Scheduler target at 00:05 on 1 January store time: last year's top inviters each get
 * one annual free-order coupon. Idempotent (Scheduler delivers at least once; a restart may fire a
 * missed occurrence again): the winners are decided once and each coupon is a conditional put.
 */
const ledger = membersUseCases();

export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const result = await ledger.grantAnnual();
    logger.info('annual free orders granted', result);
    return result;
  });
