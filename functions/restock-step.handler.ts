import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { sweepStepHandler } from '#domain/restock/steps';
import { restockSweep } from '#domain/restock/sweep';
import { restockDeps } from './_shared/restock.ts';
import { logger } from './_shared/runtime.ts';

/** The steps of the nightly restock sweep (workflows/restock-sweep.ts): a page of a bucket per call. */
const step = sweepStepHandler(restockSweep(restockDeps()), {
  done: (input) => logger.info('restock step done', { step: input.step, run: input.run.name }),
  cancelled: () => undefined,
  rejected: (input, error) => logger.error('restock step rejected', { step: input?.step, error }),
  failed: (input, error) =>
    logger.warn('restock step failed; the workflow retries it', { step: input?.step, error }),
});

export const handler = middy<unknown, unknown>().use(injectLambdaContext(logger)).handler(step);
