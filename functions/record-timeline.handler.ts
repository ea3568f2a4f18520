import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { recordEventOnTimeline } from '#domain/timeline/use-cases';
import { db, loadConfig, logger } from './_shared/runtime.ts';

/**
 * EventBridge target for every storeflow event: records it on the timeline of each business key
 * it concerns. Idempotent on the event id; a failure throws so EventBridge/Lambda retry, then DLQ.
 */
const record = recordEventOnTimeline({
  timeline: new DynamoTimelineRepository(db(), loadConfig().TABLE_NAME),
});

export const handler = middy<EventBridgeEvent<string, unknown>, { recorded: number }>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const result = await record(event);
    logger.info('event recorded on timeline', {
      detailType: event['detail-type'],
      recorded: result.recorded,
    });
    return result;
  });
