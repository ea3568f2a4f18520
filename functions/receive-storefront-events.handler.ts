import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { webhookSecret } from '#adapters/secrets/webhook-secrets';
import { OriginNotAllowedError, storefrontEndpoint } from '#domain/metrics/endpoint';
import { errorResponse, type HttpResult, json, lowerCaseHeaders, rawBody } from './_shared/http.ts';
import { metricsDeps } from './_shared/metrics.ts';
import { logger } from './_shared/runtime.ts';

/**
 * `POST /events/storefront` and its CORS preflight: a batch of storefront events under the store's
 * write key, answered 202 with each event's outcome (issue #16, docs/rules/metrics.md). Refusals
 * (401, 413, 415, 429) carry the CORS headers too, so a storefront's script can read them.
 */
const deps = metricsDeps();
const endpoint = storefrontEndpoint({
  ...deps,
  limiter: deps.store,
  writeKey: webhookSecret('STOREFLOW_WRITE_KEY'),
});

export const handler = middy<APIGatewayProxyEventV2, HttpResult>()
  .use(injectLambdaContext(logger))
  .handler(async (event): Promise<HttpResult> => {
    const headers = lowerCaseHeaders(event.headers);
    let cors: Record<string, string>;
    try {
      cors = endpoint.cors(headers.origin);
    } catch (error) {
      if (!(error instanceof OriginNotAllowedError)) throw error;
      logger.warn('storefront origin refused', { origin: headers.origin?.slice(0, 200) });
      return json(403, { error: error.code, message: error.message });
    }
    try {
      const answer = await endpoint.handle({
        method: event.requestContext.http.method,
        headers,
        body: rawBody(event),
      });
      if (answer.result) {
        const { accepted, duplicates, rejected } = answer.result;
        logger.info('storefront batch', { accepted, duplicates, rejected });
      }
      return {
        statusCode: answer.statusCode,
        headers: answer.headers,
        ...(answer.body === undefined ? {} : { body: JSON.stringify(answer.body) }),
      };
    } catch (error) {
      const response = errorResponse(error);
      if (response.statusCode === 500) logger.error('unhandled error', error as Error);
      else
        logger.warn('storefront batch refused', {
          status: response.statusCode,
          reason: (error as Error).message,
        });
      return { ...response, headers: { ...response.headers, ...cors } };
    }
  });
