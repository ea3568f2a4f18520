import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  createRequestGuard,
  isLoopback,
  ownHosts,
  redactUrl,
  sigv4Service,
} from '../../local/runtime/guard.ts';

const PORT = 4123;
const loopback = createRequestGuard({ port: PORT, host: '127.0.0.1', address: '127.0.0.1' });
const req = (headers: Record<string, string>, url = '/', method = 'POST') => ({ method, url, headers });

describe('the Host check (DNS rebinding)', () => {
  it.each([`127.0.0.1:${PORT}`, `localhost:${PORT}`, `LOCALHOST:${PORT}`, `[::1]:${PORT}`])(
    'accepts %s on every route',
    (host) => {
      for (const url of ['/health', '/api/orders/1/timeline', '/webhooks/shopify', '/_local/settle', '/']) {
        expect(loopback(req({ host }, url))).toBeUndefined();
      }
    },
  );

  it.each([
    ['another name', `evil.example:${PORT}`],
    ['the right name without the port', '127.0.0.1'],
    ['another port', `127.0.0.1:${PORT + 1}`],
    ['a name resolving to loopback', `localhost.evil.example:${PORT}`],
    ['the wildcard address', `0.0.0.0:${PORT}`],
    ['no Host at all', undefined],
  ])('refuses %s with 403 naming the Host', (_, host) => {
    const refusal = loopback(req(host === undefined ? {} : { host }, '/api/orders/1/timeline', 'GET'));
    expect(refusal).toMatchObject({ status: 403, contentType: 'application/json' });
    expect(refusal!.body.__type).toBeUndefined();
    expect(refusal!.body.message).toContain(host === undefined ? 'no Host header' : `"${host}"`);
    expect(refusal!.body.message).toContain(`127.0.0.1:${PORT}`);
  });

  it('answers AWS targets the AWS way, with the protocol of their service', () => {
    const dynamo = loopback(req({ host: `evil.example:${PORT}`, 'x-amz-target': 'DynamoDB_20120810.Scan' }));
    expect(dynamo).toMatchObject({
      status: 403,
      contentType: 'application/x-amz-json-1.0',
      body: { __type: 'AccessDeniedException', message: expect.stringContaining('"evil.example:4123"') },
    });
    const secrets = loopback(
      req({ host: `evil.example:${PORT}`, 'x-amz-target': 'secretsmanager.GetSecretValue' }),
    );
    expect(secrets).toMatchObject({ contentType: 'application/x-amz-json-1.1' });
  });

  it('answers Scheduler requests (told by their SigV4 scope) the restJson1 way', () => {
    const signed = (service: string) =>
      `AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=ab`;
    expect(sigv4Service(signed('scheduler'))).toBe('scheduler');
    expect(sigv4Service(signed('execute-api'))).toBe('execute-api');
    expect(sigv4Service('Bearer token')).toBeUndefined();
    expect(sigv4Service('AWS4-HMAC-SHA256 Credential=broken')).toBeUndefined();
    expect(sigv4Service(undefined)).toBeUndefined();
    const scheduler = { authorization: signed('scheduler') };
    expect(loopback(req({ host: `127.0.0.1:${PORT}`, ...scheduler }, '/schedules/x', 'GET'))).toBeUndefined();
    for (const refused of [
      loopback(req({ host: `evil.example:${PORT}`, ...scheduler }, '/schedules/x', 'GET')),
      loopback(
        req({ host: `127.0.0.1:${PORT}`, origin: 'http://evil.example', ...scheduler }, '/schedules/x'),
      ),
      loopback(
        req({ host: `127.0.0.1:${PORT}`, 'sec-fetch-site': 'cross-site', ...scheduler }, '/schedules/x'),
      ),
    ]) {
      expect(refused).toMatchObject({
        status: 403,
        contentType: 'application/json',
        headers: { 'x-amzn-errortype': 'AccessDeniedException' },
        body: { Message: expect.any(String) },
      });
    }
    // An app route signed for API Gateway (IAM auth on AWS) stays an app route: Host check only.
    const api = {
      host: `127.0.0.1:${PORT}`,
      origin: 'http://shop.example',
      authorization: signed('execute-api'),
    };
    expect(loopback(req(api, '/api/orders/1/timeline', 'GET'))).toBeUndefined();
  });

  it('accepts the bound address and the name given with --host', () => {
    const lan = createRequestGuard({ port: PORT, host: 'dev-box.local', address: '192.168.1.20' });
    expect(lan(req({ host: `192.168.1.20:${PORT}` }))).toBeUndefined();
    expect(lan(req({ host: `dev-box.local:${PORT}` }))).toBeUndefined();
    expect(lan(req({ host: `127.0.0.1:${PORT}` }))).toBeUndefined();
    expect(lan(req({ host: `evil.example:${PORT}` }))).toBeDefined();
  });

  it('bound to every interface, accepts this machine’s name and addresses, not the wildcard', () => {
    const hosts = ownHosts({ port: PORT, host: '0.0.0.0', address: '0.0.0.0' });
    expect(hosts).toContain(`${hostname().toLowerCase()}:${PORT}`);
    expect(hosts).toContain(`127.0.0.1:${PORT}`);
    expect(hosts).not.toContain(`0.0.0.0:${PORT}`);
    expect(ownHosts({ port: PORT, host: '::', address: '::' })).not.toContain(`[::]:${PORT}`);
  });
});

describe('cross-site browser requests', () => {
  const host = `127.0.0.1:${PORT}`;
  const aws = { host, 'x-amz-target': 'secretsmanager.GetSecretValue' };

  it.each([
    ['an Origin of another site', { origin: 'http://evil.example' }],
    ['an Origin of another port of this machine', { origin: 'http://127.0.0.1:3000' }],
    ['an opaque Origin', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
  ])('refuses %s to the local controls and the AWS endpoints', (_, headers) => {
    const control = loopback(req({ host, ...headers }, '/_local/settle'));
    expect(control).toMatchObject({ status: 403, body: { message: expect.any(String) } });
    expect(control!.body.__type).toBeUndefined();
    expect(loopback(req({ ...aws, ...headers }))).toMatchObject({
      status: 403,
      body: { __type: 'AccessDeniedException' },
    });
  });

  it('lets the app’s own routes and /health answer other origins (their Host is still checked)', () => {
    const headers = { host, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' };
    expect(loopback(req(headers, '/webhooks/shopify'))).toBeUndefined();
    expect(loopback(req(headers, '/api/orders/1/timeline', 'GET'))).toBeUndefined();
    expect(loopback(req(headers, '/health', 'GET'))).toBeUndefined();
  });

  it('accepts the runtime’s own origin and requests that are not cross-site', () => {
    expect(loopback(req({ host, origin: `http://localhost:${PORT}` }, '/_local/settle'))).toBeUndefined();
    expect(loopback(req({ ...aws, 'sec-fetch-site': 'same-origin' }))).toBeUndefined();
    expect(loopback(req({ ...aws, 'sec-fetch-site': 'none' }))).toBeUndefined();
  });

  it('refuses CORS preflights to the controls and the AWS endpoints, not to the app’s routes', () => {
    const preflight = { host, origin: 'http://evil.example', 'access-control-request-method': 'POST' };
    expect(loopback(req(preflight, '/_local/clock/advance', 'OPTIONS'))?.body.message).toMatch(
      /CORS preflight refused/,
    );
    expect(
      loopback(
        req({ ...preflight, 'access-control-request-headers': 'content-type,x-amz-target' }, '/', 'OPTIONS'),
      ),
    ).toMatchObject({ status: 403, body: { __type: 'AccessDeniedException' } });
    expect(loopback(req(preflight, '/api/orders/1/timeline', 'OPTIONS'))).toBeUndefined();
  });
});

describe('loopback addresses', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.2', false],
    ['dev-box.local', false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

describe('the request log’s view of a URL', () => {
  it.each([
    ['/api/orders/1/timeline', '/api/orders/1/timeline'],
    ['/api/orders/1/timeline?cursor=abc&limit=5', '/api/orders/1/timeline?cursor=…&limit=…'],
    ['/x?token=s3cr3t', '/x?token=…'],
    ['/x?s3cr3t', '/x?…'],
    ['/x?a%20b=1', '/x?…'],
    ['/x?', '/x'],
    ['/x?&&a=1&', '/x?a=…'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
