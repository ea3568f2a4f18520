import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { startNamedRun } from '#adapters/stepfunctions/sfn';
import { eventSchemas } from '#domain/events/catalog';
import { presaleRunName } from '#domain/presale/run';
import { parseOrThrow } from '#domain/shared/validation';
import { BusEventSchema } from '#domain/timeline/use-cases';
import { loadConfig, logger, requireEnv, sfnClient } from './_shared/runtime.ts';

/**
 * EventBridge target for `PresaleDepositPaid`: starts the order's run, named after the order
 * (SPEC §2: a duplicate start is a no-op). A rule cannot name the execution it starts, hence this
 * function. A failure throws so that EventBridge/Lambda retry, then the dead-letter queue.
 */
const stateMachineArn = requireEnv(loadConfig().STATE_MACHINE_ARN, 'STATE_MACHINE_ARN');

export const handler = middy<EventBridgeEvent<string, unknown>, { runName: string; started: boolean }>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const bus = parseOrThrow(BusEventSchema, event);
    const deposit = parseOrThrow(eventSchemas.PresaleDepositPaid, bus.detail.data, 'detail.data');
    const runName = presaleRunName(deposit.orderId);
    const result = await startNamedRun(sfnClient(), stateMachineArn, runName, {
      deposit,
      eventId: bus.detail.metadata.eventId,
    });
    logger.info(result.started ? 'presale order run started' : 'presale order run already exists', {
      orderId: deposit.orderId,
      runName,
    });
    return { runName, started: result.started };
  });
