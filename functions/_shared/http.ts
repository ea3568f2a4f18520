import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ConflictError,
  DeliveryInProgressError,
  DomainError,
  MalformedBodyError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  SignatureError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '#domain/shared/errors';

export type HttpResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The one table from domain errors to HTTP status. Domain code never knows about HTTP; anything
 * not listed here is an unexpected failure and becomes a plain 500 with nothing leaked.
 */
export const errorStatus: ReadonlyArray<readonly [abstract new (...args: never[]) => DomainError, number]> = [
  [ValidationError, 400],
  [MalformedBodyError, 400],
  [SignatureError, 401],
  [UnauthorizedError, 401],
  [NotFoundError, 404],
  [ConflictError, 409],
  [DeliveryInProgressError, 409],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [RateLimitedError, 429],
];

export function statusOf(error: unknown): number {
  for (const [type, status] of errorStatus) if (error instanceof type) return status;
  return 500;
}

export function errorResponse(error: unknown): HttpResult {
  const status = statusOf(error);
  if (status === 500 || !(error instanceof DomainError)) {
    return json(500, { error: 'InternalError', message: 'internal error' });
  }
  const headers: Record<string, string> =
    error instanceof DeliveryInProgressError || error instanceof RateLimitedError
      ? { 'retry-after': String(error.retryAfterSeconds) }
      : {};
  if (error instanceof UnauthorizedError || error instanceof SignatureError) {
    headers['www-authenticate'] = error instanceof UnauthorizedError ? 'Bearer' : 'Signature';
  }
  const body: Record<string, unknown> = { error: error.code, message: error.message };
  if (error instanceof ValidationError || (error instanceof PayloadTooLargeError && error.issues.length)) {
    body.issues = error.issues;
  }
  return json(status, body, headers);
}

/** Middy error mapper: domain errors through the table; the rest logged and answered 500. */
export function httpErrors(logger: Logger): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    onError: async (request) => {
      const response = errorResponse(request.error);
      if (response.statusCode === 500) logger.error('unhandled error', request.error as Error);
      else
        logger.warn('request refused', {
          status: response.statusCode,
          reason: (request.error as Error).message,
        });
      request.response = response;
    },
  };
}

/** `application/json`, `application/json; charset=utf-8`, `application/vnd.x+json`. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Refuses a request body that is not JSON by its Content-Type with 415, before anything else reads
 * it (a form post or a missing type is a client mistake the client should hear about, not a 400
 * about the body's first character). Requests without a body pass.
 */
export function requireJsonBody(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      const event = request.event;
      if (event.body === undefined || event.body === null || event.body === '') return;
      const type = lowerCaseHeaders(event.headers)['content-type']?.trim() ?? '';
      if (!JSON_MEDIA_TYPE.test(type)) {
        throw new UnsupportedMediaTypeError(
          type
            ? `Content-Type "${type.slice(0, 100)}" is not JSON; send application/json`
            : 'Content-Type is missing; send application/json',
        );
      }
    },
  };
}

/** The exact bytes the platform signed. */
export function rawBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Header names lower-cased (payload format 2.0 already does; local callers might not). */
export function lowerCaseHeaders(
  headers: APIGatewayProxyEventV2['headers'] | undefined,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}
