import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { DynamoRestockStore } from '#adapters/dynamodb/restock-store';
import { startNamedRun } from '#adapters/stepfunctions/sfn';
import { sweepTick } from '#domain/restock/sweep';
import { clock, db, loadConfig, logger, requireEnv, sfnClient } from './_shared/runtime.ts';

/**
 * EventBridge Scheduler target, every 15 minutes: once the store's clock passes the policy's
 * `sweepAt`, starts that night's sweep (named after the store date: a repeated tick is a no-op).
 */
const config = loadConfig();
const stateMachineArn = requireEnv(config.STATE_MACHINE_ARN, 'STATE_MACHINE_ARN');
const tick = sweepTick({ store: new DynamoRestockStore(db(), config.TABLE_NAME), clock });

export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const due = await tick();
    if (!due.due) return due;
    const result = await startNamedRun(sfnClient(), stateMachineArn, due.name, { date: due.date });
    if (result.started) logger.info('restock sweep started', { name: due.name });
    return { ...due, started: result.started };
  });
