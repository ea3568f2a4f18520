import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { campaignRun } from '#domain/campaigns/run';
import { campaignStepHandler } from '#domain/campaigns/steps';
import { campaignRunDeps } from './_shared/campaign-run.ts';
import { logger } from './_shared/runtime.ts';

/** The steps of a campaign's launch run and of an A/B test's run (workflows/campaign-launch.ts, experiment-run.ts). */
const step = campaignStepHandler(campaignRun(campaignRunDeps()), {
  done: (input) => logger.info('campaign step done', { step: input.step }),
  cancelled: (input) => logger.info('campaign run cancelled (aborted or decided)', { step: input?.step }),
  rejected: (input, error) => logger.error('campaign step rejected', { step: input?.step, error }),
  failed: (input, error) =>
    logger.warn('campaign step failed; the workflow retries it', { step: input?.step, error }),
});

export const handler = middy<unknown, unknown>().use(injectLambdaContext(logger)).handler(step);
