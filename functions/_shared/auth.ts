import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { UnauthorizedError } from '#domain/shared/errors';
import { lowerCaseHeaders } from './http.ts';

interface AuthorizerContext {
  iam?: unknown;
  jwt?: unknown;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The operations API's gate. On AWS the route's IAM or JWT authorizer has already verified the
 * caller and API Gateway passes its context; this middleware insists on that context (defence in
 * depth). Locally there is no authorizer: the caller must present `Authorization: Bearer <token>`
 * matching STOREFLOW_ADMIN_TOKEN, compared in constant time. Anything else is 401.
 */
export function requireOperator(
  adminToken: () => string | undefined = () => process.env.STOREFLOW_ADMIN_TOKEN,
): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async (request) => {
      const authorizer = (request.event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
      if (authorizer?.iam || authorizer?.jwt) return;
      const expected = adminToken();
      const header = lowerCaseHeaders(request.event.headers).authorization ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
      if (!expected || !match?.[1]) throw new UnauthorizedError('a valid operator token is required');
      // Comparing fixed-length digests keeps the comparison constant-time whatever the lengths.
      if (!timingSafeEqual(digest(match[1]), digest(expected))) {
        throw new UnauthorizedError('a valid operator token is required');
      }
    },
  };
}
