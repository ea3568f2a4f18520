import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { presaleRun } from '#domain/presale/run';
import { type PresaleStepInput, presaleStepHandler } from '#domain/presale/steps';
import { presaleDeps } from './_shared/presale.ts';
import { logger } from './_shared/runtime.ts';

/**
 * The steps of the presale order workflow (workflows/presale-order.ts), one function for all of
 * them: they share the table and the bus, so they share the permissions, and one warm function
 * serves a whole run. The domain names each failure for the state machine's Retry and Catch.
 */
const where = (input: PresaleStepInput | undefined) => ({
  step: input?.step,
  run: input?.run.name,
  state: input?.run.state,
});

const step = presaleStepHandler(presaleRun(presaleDeps()), {
  done: (input) => logger.info('presale step done', where(input)),
  cancelled: (input) => logger.info('presale step found a cancellation', where(input)),
  rejected: (input, error) => logger.error('presale step rejected', { ...where(input), error }),
  failed: (input, error) =>
    logger.warn('presale step failed; the workflow retries it', { ...where(input), error }),
});

export const handler = middy<unknown, unknown>().use(injectLambdaContext(logger)).handler(step);
