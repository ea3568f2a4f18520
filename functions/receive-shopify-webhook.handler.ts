import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { webhookSecret } from '#adapters/secrets/webhook-secrets';
import { ingestShopifyWebhook } from '#domain/ingestion/ingest-webhook';
import { type HttpResult, httpErrors, json, lowerCaseHeaders, rawBody } from './_shared/http.ts';
import { ingestionDeps } from './_shared/ingestion.ts';
import { logger } from './_shared/runtime.ts';

/** POST /webhooks/shopify — verify, dedupe, normalize, publish; 200 once durably recorded. */
const ingest = ingestShopifyWebhook({ ...ingestionDeps(), secret: webhookSecret('SHOPIFY_WEBHOOK_SECRET') });

export const handler = middy<APIGatewayProxyEventV2, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors(logger))
  .handler(async (event) => {
    const result = await ingest({ headers: lowerCaseHeaders(event.headers), body: rawBody(event) });
    logger.info('shopify webhook', {
      deliveryId: result.deliveryId,
      outcome: result.outcome,
      events: result.eventIds.length,
    });
    return json(200, result);
  });
