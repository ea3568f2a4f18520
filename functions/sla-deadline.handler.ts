import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { parseOrThrow } from '#domain/shared/validation';
import * as z from '#domain/shared/zod';
import { logger } from './_shared/runtime.ts';
import { sla } from './_shared/sla.ts';

/**
 * A promise's one-time timer (an EventBridge Scheduler schedule) fired: its deadline passed (a
 * breach, unless it was kept), or its last lateness tier did. Idempotent: Scheduler delivers at
 * least once.
 */
const promises = sla();
const TimerInput = z.object({
  promiseId: z.string().check(z.minLength(1), z.maxLength(600)),
  timer: z.enum(['deadline', 'final-tier']),
});

export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const input = parseOrThrow(TimerInput, event);
    const result = await promises.onTimer(input);
    logger.info('promise timer fired', { ...input, ...result });
    return result;
  });
