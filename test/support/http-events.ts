import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/** An API Gateway HTTP API (payload format 2.0) event, as the route would deliver it. */
export function httpEvent(options: {
  routeKey: string;
  rawPath: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  authorizer?: Record<string, unknown>;
}): APIGatewayProxyEventV2 {
  const [method = 'GET'] = options.routeKey.split(' ');
  const binary = Buffer.isBuffer(options.body);
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath: options.rawPath,
    rawQueryString: new URLSearchParams(options.queryStringParameters ?? {}).toString(),
    headers: Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    pathParameters: options.pathParameters,
    queryStringParameters: options.queryStringParameters,
    body:
      options.body === undefined
        ? undefined
        : binary
          ? (options.body as Buffer).toString('base64')
          : (options.body as string),
    isBase64Encoded: binary,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: options.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'vitest',
      },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: options.routeKey,
      stage: '$default',
      time: '24/Nov/2026:00:00:00 +0000',
      timeEpoch: 0,
      ...(options.authorizer ? { authorizer: options.authorizer } : {}),
    },
  } as APIGatewayProxyEventV2;
}

export const lambdaContext = {
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'test-request',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'test',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as unknown as Context;

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { json: Record<string, unknown> };

export function parseResponse(result: unknown): HttpResponse {
  const r = result as APIGatewayProxyStructuredResultV2;
  return { ...r, json: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {} };
}
