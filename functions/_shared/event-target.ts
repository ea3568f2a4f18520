import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { startNamedRun } from '#adapters/stepfunctions/sfn';
import { type BusEvent, BusEventSchema } from '#domain/events/bus';
import { type DetailType, type EventData, eventSchemas } from '#domain/events/catalog';
import { ValidationError } from '#domain/shared/errors';
import { parseOrThrow } from '#domain/shared/validation';
import { logger, sfnClient } from './runtime.ts';

/** A use case per detail type: it gets the event's data, parsed with the type's schema. */
export type EventHandlers = {
  [T in DetailType]?: (data: EventData<T>, event: BusEvent) => Promise<unknown>;
};

/**
 * An EventBridge rule target: parses the bus envelope and the data of its detail type (a
 * validation error names `detail.data.<field>`), calls that type's use case and logs the outcome.
 * A failure throws, so that EventBridge and Lambda's asynchronous invocation retry it, then the
 * dead-letter queue (every target is wired with one).
 */
export function eventTargetHandler(name: string, handlers: EventHandlers) {
  const accepted = Object.keys(handlers) as DetailType[];
  return middy<EventBridgeEvent<string, unknown>, unknown>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const bus = parseOrThrow(BusEventSchema, event);
      const detailType = bus['detail-type'] as DetailType;
      const handle = handlers[detailType] as
        | ((data: unknown, event: BusEvent) => Promise<unknown>)
        | undefined;
      if (!handle) {
        throw ValidationError.field(
          'detail-type',
          `${name} handles ${accepted.join(', ')}; got ${bus['detail-type']}`,
        );
      }
      const data = parseOrThrow(eventSchemas[detailType], bus.detail.data, 'detail.data');
      const result = await handle(data, bus);
      logger.info(`${name}: ${detailType} handled`, {
        eventId: bus.detail.metadata.eventId,
        result: result as Record<string, unknown>,
      });
      return result;
    });
}

/**
 * The start-run target every workflow uses: an event starts one run, named after its business key
 * (a rule cannot name the execution it starts), so a duplicate event is a no-op.
 */
export function startRunHandler<T extends DetailType>(options: {
  readonly name: string;
  readonly detailType: T;
  readonly stateMachineArn: string;
  readonly runName: (data: EventData<T>) => string;
  readonly input: (data: EventData<T>, event: BusEvent) => unknown;
}) {
  const handlers: EventHandlers = {
    [options.detailType]: async (data: EventData<T>, event: BusEvent) => {
      const runName = options.runName(data);
      const result = await startNamedRun(
        sfnClient(),
        options.stateMachineArn,
        runName,
        options.input(data, event),
      );
      return { runName, started: result.started };
    },
  };
  return eventTargetHandler(options.name, handlers);
}
