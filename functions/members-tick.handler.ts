import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { startNamedRun } from '#adapters/stepfunctions/sfn';
import { membersUseCases } from './_shared/members.ts';
import { loadConfig, logger, requireEnv, sfnClient } from './_shared/runtime.ts';

/**
 * EventBridge Scheduler target, every 15 minutes: once the store's clock passes the member policy's
 * `nightlyAt`, starts that night's re-evaluation (named after the store date: a repeated tick is a no-op).
 */
const stateMachineArn = requireEnv(loadConfig().STATE_MACHINE_ARN, 'STATE_MACHINE_ARN');
const ledger = membersUseCases();

export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const due = await ledger.nightlyTick();
    if (!due.due) return due;
    const result = await startNamedRun(sfnClient(), stateMachineArn, due.name, { date: due.date });
    if (result.started) logger.info('members nightly run started', { name: due.name });
    return { ...due, started: result.started };
  });
