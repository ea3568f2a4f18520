import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { requireOperator } from './auth.ts';
import { type HttpResult, httpErrors, requireJsonBody } from './http.ts';
import { logger } from './runtime.ts';

/**
 * An operations API handler: the request logged with its Lambda context, domain errors answered
 * as JSON with their status, the operator authorized, a JSON body required where there is one.
 */
export function operationsApi(
  handle: (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>,
) {
  return middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger))
    .use(httpErrors(logger))
    .use(requireOperator())
    .use(requireJsonBody())
    .handler(handle);
}
