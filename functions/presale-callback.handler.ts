import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { StepFunctionsTaskCallbacks } from '#adapters/stepfunctions/sfn';
import { eventSchemas } from '#domain/events/catalog';
import { presaleCallbacks } from '#domain/presale/callbacks';
import { ValidationError } from '#domain/shared/errors';
import { parseOrThrow } from '#domain/shared/validation';
import { BusEventSchema } from '#domain/timeline/use-cases';
import { presaleDeps } from './_shared/presale.ts';
import { logger, sfnClient } from './_shared/runtime.ts';

/**
 * EventBridge target for `PresaleBalancePaid` and `PresaleCancelled`: reaches the waiting run of
 * the order through the task token its wait stored (domain/presale/callbacks.ts). Throws when the
 * run is not ready yet, so the delivery is retried (then the dead-letter queue).
 */
const callbacks = presaleCallbacks({
  ...presaleDeps(),
  callbacks: new StepFunctionsTaskCallbacks(sfnClient()),
});

export const handler = middy<EventBridgeEvent<string, unknown>, unknown>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const bus = parseOrThrow(BusEventSchema, event);
    const detailType = bus['detail-type'];
    if (detailType === 'PresaleBalancePaid') {
      const payment = parseOrThrow(eventSchemas.PresaleBalancePaid, bus.detail.data, 'detail.data');
      const result = await callbacks.balancePaid(payment, bus.detail.metadata.eventId);
      logger.info('presale balance payment handled', { orderId: payment.orderId, ...flatten(result) });
      return result;
    }
    if (detailType === 'PresaleCancelled') {
      const cancellation = parseOrThrow(eventSchemas.PresaleCancelled, bus.detail.data, 'detail.data');
      const result = await callbacks.cancelled(cancellation);
      logger.info('presale cancellation handled', { orderId: cancellation.orderId, ...result });
      return result;
    }
    throw ValidationError.field(
      'detail-type',
      `expected PresaleBalancePaid or PresaleCancelled; got ${detailType}`,
    );
  });

function flatten(result: Awaited<ReturnType<typeof callbacks.balancePaid>>) {
  return result.outcome === 'refused'
    ? { outcome: result.outcome, reason: result.refusal.reason, message: result.refusal.message }
    : { outcome: result.outcome };
}
