import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { AcceptResult } from '#domain/ingestion/accept-delivery';
import type { RawWebhook } from '#domain/ingestion/ingest-webhook';
import { type HttpResult, httpErrors, json, lowerCaseHeaders, rawBody, requireJsonBody } from './http.ts';
import { logger } from './runtime.ts';

/**
 * The HTTP shell shared by the webhook endpoints: logger context, the domain-error table, JSON
 * bodies only (415), the raw body and lower-cased headers in, the accept result out (200 once
 * durably recorded). A delivery id that came back with another body is logged as a warning.
 */
export function webhookHandler(source: string, ingest: (webhook: RawWebhook) => Promise<AcceptResult>) {
  return middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger))
    .use(httpErrors(logger))
    .use(requireJsonBody())
    .handler(async (event) => {
      const { deliveryIdReuse: reuse, ...result } = await ingest({
        headers: lowerCaseHeaders(event.headers),
        body: rawBody(event),
      });
      logger.info(`${source} webhook`, {
        deliveryId: result.deliveryId,
        outcome: result.outcome,
        events: result.eventIds.length,
      });
      if (!reuse) return json(200, result);
      logger.warn('delivery id seen before with a different body', { source, ...reuse });
      return json(200, {
        ...result,
        warning: `delivery id ${reuse.deliveryId} was first received at ${reuse.previous.receivedAt} with a different body; recorded`,
      });
    });
}
