import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LOCAL_ACCOUNT } from './assembly.ts';

/**
 * The HTTP API (API Gateway v2) as the local runtime serves it: route keys matched the way API
 * Gateway matches them, requests turned into payload-format 2.0 events, and Lambda results turned
 * back into HTTP responses with API Gateway's inference rules.
 */

export interface HttpRoute {
  readonly routeKey: string;
  readonly functionArn: string;
  readonly authorizationType: string;
  readonly payloadFormatVersion: string;
}

interface CompiledRoute extends HttpRoute {
  readonly method: string;
  readonly segments: readonly string[];
  /** literal segments count, for "most specific wins" */
  readonly literals: number;
  readonly greedy: boolean;
}

export interface RouteMatch {
  readonly route: HttpRoute;
  readonly pathParameters: Record<string, string> | undefined;
}

const splitPath = (path: string) => path.split('/').filter((s) => s.length > 0);

/**
 * Routes ordered as API Gateway selects them: the most specific path wins (literal segments over
 * `{param}` over `{proxy+}`), a method-specific route over `ANY`, and `$default` last.
 */
export class RouteTable {
  readonly #routes: CompiledRoute[];
  readonly #fallback: HttpRoute | undefined;

  constructor(routes: HttpRoute[]) {
    this.#fallback = routes.find((r) => r.routeKey === '$default');
    this.#routes = routes
      .filter((r) => r.routeKey !== '$default')
      .map((r) => {
        const space = r.routeKey.indexOf(' ');
        if (space < 0) throw new Error(`route key "${r.routeKey}" is not "METHOD /path" or $default`);
        const method = r.routeKey.slice(0, space).toUpperCase();
        const segments = splitPath(r.routeKey.slice(space + 1));
        return {
          ...r,
          method,
          segments,
          literals: segments.filter((s) => !s.startsWith('{')).length,
          greedy: segments.at(-1)?.endsWith('+}') ?? false,
        };
      })
      .sort(
        (a, b) =>
          b.literals - a.literals ||
          Number(a.greedy) - Number(b.greedy) ||
          b.segments.length - a.segments.length ||
          Number(a.method === 'ANY') - Number(b.method === 'ANY'),
      );
  }

  get routes(): HttpRoute[] {
    return this.#fallback ? [...this.#routes, this.#fallback] : [...this.#routes];
  }

  match(method: string, path: string): RouteMatch | undefined {
    const parts = splitPath(path).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
    for (const route of this.#routes) {
      if (route.method !== 'ANY' && route.method !== method.toUpperCase()) continue;
      const params = matchSegments(route, parts);
      if (params) return { route, pathParameters: Object.keys(params).length ? params : undefined };
    }
    return this.#fallback ? { route: this.#fallback, pathParameters: undefined } : undefined;
  }
}

function matchSegments(route: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const { segments } = route;
  if (route.greedy) {
    if (parts.length < segments.length) return undefined;
  } else if (parts.length !== segments.length) return undefined;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.startsWith('{') && seg.endsWith('+}')) {
      params[seg.slice(1, -2)] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i]!;
    if (seg.startsWith('{') && seg.endsWith('}')) params[seg.slice(1, -1)] = part;
    else if (seg !== part) return undefined;
  }
  return params;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

export interface IncomingRequest {
  readonly method: string;
  /** path and query as received, e.g. `/api/x?a=1` */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly now: number;
}

/** Builds the payload-format 2.0 event API Gateway sends to a Lambda proxy integration. */
export function toEventV2(request: IncomingRequest, match: RouteMatch, apiId: string) {
  const q = request.url.indexOf('?');
  const rawPath = q < 0 ? request.url : request.url.slice(0, q);
  const rawQueryString = q < 0 ? '' : request.url.slice(q + 1);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'cookie') {
      for (const c of (Array.isArray(value) ? value : [value]).join('; ').split(/;\s*/))
        if (c) cookies.push(c);
      continue;
    }
    headers[lower] = Array.isArray(value) ? value.join(',') : value;
  }
  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString) {
    queryStringParameters = {};
    for (const [k, v] of new URLSearchParams(rawQueryString)) {
      queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
    }
  }
  const contentType = headers['content-type'] ?? '';
  const hasBody = request.body.length > 0;
  const isBase64Encoded = hasBody && !(contentType === '' || TEXT_TYPES.test(contentType));
  const requestId = randomUUID();
  const time = new Date(request.now);
  return {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId,
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0],
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: match.route.routeKey,
      stage: '$default',
      time: clfTime(time),
      timeEpoch: request.now,
    },
    ...(hasBody ? { body: request.body.toString(isBase64Encoded ? 'base64' : 'utf8') } : {}),
    ...(match.pathParameters ? { pathParameters: match.pathParameters } : {}),
    isBase64Encoded,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');
/** `24/Nov/2026:10:00:00 +0000`, the format of requestContext.time */
const clfTime = (d: Date) =>
  `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;

export interface OutgoingResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

const json = (status: number, body: unknown): OutgoingResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(body)),
});

/** API Gateway's own error responses. */
export const gatewayErrors = {
  notFound: () => json(404, { message: 'Not Found' }),
  internal: () => json(500, { message: 'Internal Server Error' }),
  unavailable: () => json(503, { message: 'Service Unavailable' }),
  tooLarge: () => json(413, { message: 'Request Entity Too Large' }),
};

/**
 * Turns a Lambda result into the HTTP response as API Gateway does for payload format 2.0: an
 * object with `statusCode` is a full response; anything else is a 200 JSON body.
 */
export function fromResultV2(result: unknown): OutgoingResponse {
  const isResponse = typeof result === 'object' && result !== null && 'statusCode' in result;
  if (!isResponse) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
  }
  const r = result as {
    statusCode: unknown;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
    cookies?: string[];
    body?: unknown;
    isBase64Encoded?: boolean;
  };
  const status = Number(r.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return gatewayErrors.internal();
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
  for (const [k, vs] of Object.entries(r.multiValueHeaders ?? {})) headers[k.toLowerCase()] = vs.map(String);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies.map(String);
  const text = r.body === undefined || r.body === null ? '' : String(r.body);
  const body = r.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text);
  return { status, headers, body };
}
