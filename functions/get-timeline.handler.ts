import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { ValidationError } from '#domain/shared/errors';
import { parseId } from '#domain/shared/schemas';
import { readTimeline } from '#domain/timeline/use-cases';
import { requireOperator } from './_shared/auth.ts';
import { type HttpResult, httpErrors, json } from './_shared/http.ts';
import { db, loadConfig, logger } from './_shared/runtime.ts';

/**
 * GET /api/orders/{orderId}/timeline, /api/skus/{sku}/timeline, /api/tickets/{ticketId}/timeline,
 * /api/customers/{customerId}/timeline, /api/campaigns/{campaignId}/timeline,
 * /api/experiments/{experimentId}/timeline.
 */
const read = readTimeline({ timeline: new DynamoTimelineRepository(db(), loadConfig().TABLE_NAME) });

export const handler = middy<APIGatewayProxyEventV2, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors(logger))
  .use(requireOperator())
  .handler(async (event) => {
    const { orderId, sku, ticketId, customerId, campaignId, experimentId } = event.pathParameters ?? {};
    const key =
      orderId !== undefined
        ? { type: 'order' as const, id: parseId(orderId, 'orderId') }
        : sku !== undefined
          ? { type: 'sku' as const, id: parseId(sku, 'sku') }
          : ticketId !== undefined
            ? { type: 'ticket' as const, id: parseId(ticketId, 'ticketId') }
            : customerId !== undefined
              ? { type: 'customer' as const, id: parseId(customerId, 'customerId') }
              : campaignId !== undefined
                ? { type: 'campaign' as const, id: parseId(campaignId, 'campaignId') }
                : experimentId !== undefined
                  ? { type: 'experiment' as const, id: parseId(experimentId, 'experimentId') }
                  : null;
    if (!key)
      throw ValidationError.field(
        'path',
        'expected /api/orders/{orderId}/timeline, /api/skus/{sku}/timeline, /api/tickets/{ticketId}/timeline, /api/customers/{customerId}/timeline, /api/campaigns/{campaignId}/timeline or /api/experiments/{experimentId}/timeline',
      );
    const page = await read(key, event.queryStringParameters);
    return json(200, {
      items: page.items.map(({ at, kind, name, detail }) => ({ at, kind, name, detail })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    });
  });
