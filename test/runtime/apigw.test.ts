import { describe, expect, it } from 'vitest';
import { fromResultV2, RouteTable, toEventV2 } from '../../local/runtime/apigw.ts';

const route = (routeKey: string) => ({
  routeKey,
  functionArn: `fn:${routeKey}`,
  authorizationType: 'NONE',
  payloadFormatVersion: '2.0',
});

describe('HTTP API route selection', () => {
  const table = new RouteTable([
    route('GET /api/orders/{orderId}/timeline'),
    route('GET /api/orders/special/timeline'),
    route('ANY /api/{proxy+}'),
    route('POST /webhooks/shopify'),
    route('$default'),
  ]);
  it.each([
    ['GET', '/api/orders/o-1/timeline', 'GET /api/orders/{orderId}/timeline', { orderId: 'o-1' }],
    ['GET', '/api/orders/special/timeline', 'GET /api/orders/special/timeline', undefined],
    ['GET', '/api/orders/o%201/timeline', 'GET /api/orders/{orderId}/timeline', { orderId: 'o 1' }],
    ['DELETE', '/api/orders/o-1/timeline', 'ANY /api/{proxy+}', { proxy: 'orders/o-1/timeline' }],
    ['POST', '/webhooks/shopify', 'POST /webhooks/shopify', undefined],
    ['GET', '/webhooks/shopify', '$default', undefined],
    ['GET', '/elsewhere', '$default', undefined],
  ])('%s %s → %s', (method, path, routeKey, params) => {
    const match = table.match(method, path);
    expect(match?.route.routeKey).toBe(routeKey);
    expect(match?.pathParameters).toEqual(params);
  });
  it('has no match without $default', () => {
    expect(new RouteTable([route('GET /a')]).match('GET', '/b')).toBeUndefined();
  });
  it('refuses a malformed route key by name', () => {
    expect(() => new RouteTable([route('/no-method')])).toThrow(/route key "\/no-method"/);
  });
});

describe('payload format 2.0', () => {
  it('builds the event API Gateway sends', () => {
    const match = new RouteTable([route('POST /x/{id}')]).match('POST', '/x/7')!;
    const event = toEventV2(
      {
        method: 'POST',
        url: '/x/7?a=1&a=2&b=3',
        headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2', 'X-Custom': 'y', host: 'h:1' },
        body: Buffer.from('{"k":1}'),
        sourceIp: '127.0.0.1',
        now: Date.parse('2026-11-24T10:00:00Z'),
      },
      match,
      'api1',
    );
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /x/{id}',
      rawPath: '/x/7',
      rawQueryString: 'a=1&a=2&b=3',
      cookies: ['c1=v1', 'c2=v2'],
      headers: { 'content-type': 'application/json', 'x-custom': 'y' },
      queryStringParameters: { a: '1,2', b: '3' },
      pathParameters: { id: '7' },
      body: '{"k":1}',
      isBase64Encoded: false,
      requestContext: {
        apiId: 'api1',
        http: { method: 'POST', path: '/x/7', sourceIp: '127.0.0.1' },
        routeKey: 'POST /x/{id}',
        stage: '$default',
        time: '24/Nov/2026:10:00:00 +0000',
        timeEpoch: Date.parse('2026-11-24T10:00:00Z'),
      },
    });
    expect(event.headers).not.toHaveProperty('cookie');
  });
  it('base64-encodes binary bodies', () => {
    const match = new RouteTable([route('$default')]).match('POST', '/')!;
    const event = toEventV2(
      {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0, 255]),
        sourceIp: '::1',
        now: 0,
      },
      match,
      'a',
    );
    expect(event).toMatchObject({ isBase64Encoded: true, body: 'AP8=' });
  });
  it('maps results back as API Gateway infers them', () => {
    expect(fromResultV2({ statusCode: 201, headers: { 'X-A': 1 }, body: 'hi', cookies: ['s=1'] })).toEqual({
      status: 201,
      headers: { 'x-a': '1', 'set-cookie': ['s=1'] },
      body: Buffer.from('hi'),
    });
    expect(fromResultV2({ ok: true })).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"ok":true}'),
    });
    expect(fromResultV2({ statusCode: 200, body: 'AP8=', isBase64Encoded: true }).body).toEqual(
      Buffer.from([0, 255]),
    );
    expect(fromResultV2({ statusCode: 'nope' }).status).toBe(500);
  });
});
