import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { pricingAdmin } from '#domain/repricing/admin';
import { whatIfStepHandler } from '#domain/repricing/what-if-steps';
import { pricingDeps } from './_shared/pricing.ts';
import { logger } from './_shared/runtime.ts';

/** The steps of a what-if job (workflows/repricing-what-if.ts): a chunk of its SKUs per call. */
const step = whatIfStepHandler(pricingAdmin(pricingDeps()), {
  done: (input) => logger.info('what-if step done', { step: input.step, job: input.jobId }),
  cancelled: () => undefined,
  rejected: (input, error) => logger.error('what-if step rejected', { step: input?.step, error }),
  failed: (input, error) =>
    logger.warn('what-if step failed; the workflow retries it', { step: input?.step, error }),
});

export const handler = middy<unknown, unknown>().use(injectLambdaContext(logger)).handler(step);
