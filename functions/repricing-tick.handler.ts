import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { DynamoPricingStore } from '#adapters/dynamodb/pricing-store';
import { startNamedRun } from '#adapters/stepfunctions/sfn';
import { repricingTick } from '#domain/repricing/run';
import { clock, db, loadConfig, logger, requireEnv, sfnClient } from './_shared/runtime.ts';

/**
 * EventBridge Scheduler target, every 15 minutes: starts the run of the store hour the tick falls
 * in (named after that hour: the first tick of an hour starts it, the others are no-ops).
 */
const config = loadConfig();
const stateMachineArn = requireEnv(config.STATE_MACHINE_ARN, 'STATE_MACHINE_ARN');
const tick = repricingTick({ store: new DynamoPricingStore(db(), config.TABLE_NAME), clock });

export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const due = await tick();
    if (!due.due) return due;
    const result = await startNamedRun(sfnClient(), stateMachineArn, due.name, { at: due.at });
    if (result.started) logger.info('repricing run started', { name: due.name, at: due.at });
    return { ...due, started: result.started };
  });
