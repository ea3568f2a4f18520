import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { nightlyStepHandler } from '#domain/members/nightly';
import { membersUseCases } from './_shared/members.ts';
import { logger } from './_shared/runtime.ts';

/** The steps of the members' nightly re-evaluation (workflows/members-nightly.ts): a page of a bucket per call. */
const step = nightlyStepHandler(membersUseCases(), {
  done: () => undefined,
  cancelled: () => undefined,
  rejected: (input, error) => logger.error('members step rejected', { step: input?.step, error }),
  failed: (input, error) =>
    logger.warn('members step failed; the workflow retries it', { step: input?.step, error }),
});

export const handler = middy<unknown, unknown>().use(injectLambdaContext(logger)).handler(step);
