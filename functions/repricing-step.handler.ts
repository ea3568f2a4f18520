import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { repricingRun } from '#domain/repricing/run';
import { repricingStepHandler } from '#domain/repricing/steps';
import { pricingDeps } from './_shared/pricing.ts';
import { logger } from './_shared/runtime.ts';

/** The steps of the hourly repricing run (workflows/repricing-run.ts): a page of a bucket per call. */
const step = repricingStepHandler(repricingRun(pricingDeps()), {
  done: (input) => logger.info('repricing step done', { step: input.step, run: input.run.name }),
  cancelled: () => undefined,
  rejected: (input, error) => logger.error('repricing step rejected', { step: input?.step, error }),
  failed: (input, error) =>
    logger.warn('repricing step failed; the workflow retries it', { step: input?.step, error }),
});

export const handler = middy<unknown, unknown>().use(injectLambdaContext(logger)).handler(step);
