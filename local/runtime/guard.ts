import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

/**
 * Who may talk to the local runtime. Its port serves the webhook signing secrets
 * (`GetSecretValue`), the table, the bus and the workflows, so two kinds of request are refused
 * before anything else looks at them:
 *
 * - a `Host` that is not the runtime's own name and port: a web page that rebinds its DNS name to
 *   127.0.0.1 reaches the port with its own name in `Host` (DNS rebinding), on every route;
 * - a browser request from another origin to the local controls (`/_local/*`) or the AWS
 *   endpoints (`X-Amz-Target`, or SigV4-signed for the `scheduler` service: the EventBridge
 *   Scheduler API, whose REST paths have no target header): an `Origin` that is not the runtime's, `Sec-Fetch-Site:
 *   cross-site` or `same-site` (another port of the same machine is "same-site"), and every CORS
 *   preflight to them. The app's own routes (`/webhooks/*`, `/api/*`) are an HTTP API like the
 *   deployed one and keep only the Host check.
 *
 * SDKs, the AWS CLI, curl and the functions' own clients send `Host: 127.0.0.1:<port>` and no
 * Origin, so they are unaffected.
 */
export interface GuardOptions {
  /** the port the runtime listens on */
  readonly port: number;
  /** the `--host` the runtime was asked to bind (a name or an address) */
  readonly host: string;
  /** the address it is bound to (`server.address().address`) */
  readonly address: string;
}

export interface Refusal {
  readonly status: 403;
  readonly contentType: string;
  /**
   * `{ message }` for the app's routes and controls, `{ __type, message }` for AWS targets,
   * `{ Message }` for the Scheduler API (restJson1, its type in `headers`)
   */
  readonly body: { readonly message?: string; readonly __type?: string; readonly Message?: string };
  /** extra response headers (`x-amzn-errortype` for restJson1) */
  readonly headers?: Readonly<Record<string, string>>;
  /** one line for the runtime's log */
  readonly reason: string;
}

export type RequestGuard = (req: {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}) => Refusal | undefined;

const WILDCARDS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/** `::1` → `[::1]`: an IPv6 address as it appears in a Host header or a URL. */
export const hostForUrl = (address: string): string =>
  isIP(address) === 6 && !address.startsWith('[') ? `[${address}]` : address;

/** 127.0.0.0/8, ::1 and `localhost`: reachable from this machine only. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  if (isIP(a) === 4) return a.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

/**
 * The `Host` values that name this runtime: the loopback names and the bound host and address, each
 * with the port; bound to a wildcard address, also every address of this machine and its hostname.
 */
export function ownHosts(options: GuardOptions): string[] {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  names.add(hostForUrl(options.host));
  names.add(hostForUrl(options.address));
  if (WILDCARDS.has(options.address) || WILDCARDS.has(options.host)) {
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) names.add(hostForUrl(entry.address.replace(/%.*$/, '')));
    }
    names.add(hostname());
  }
  for (const wildcard of WILDCARDS) names.delete(hostForUrl(wildcard));
  return [...names].map((name) => `${name.toLowerCase()}:${options.port}`);
}

const AWS_CONTENT_TYPE_1_0 = /^(DynamoDB_20120810|AWSStepFunctions|AmazonSQS)\./;

/**
 * The service a SigV4-signed request names in its credential scope
 * (`Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`),
 * or undefined. The runtime routes the REST APIs it serves (EventBridge Scheduler) by it, since
 * their paths could be the app's own routes.
 */
export function sigv4Service(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string' || !authorization.startsWith('AWS4-HMAC-SHA256 ')) return undefined;
  return /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(authorization)?.[1];
}

export function createRequestGuard(options: GuardOptions): RequestGuard {
  const hosts = ownHosts(options);
  const accepted = new Set(hosts);
  const origins = new Set(hosts.map((h) => `http://${h}`));
  const shown = hosts.slice(0, 3).join(', ');

  return (req) => {
    const target = req.headers['x-amz-target'];
    const preflightHeaders = String(req.headers['access-control-request-headers'] ?? '').toLowerCase();
    const scheduler = sigv4Service(req.headers.authorization) === 'scheduler';
    const aws =
      scheduler || typeof target === 'string' || /(^|[\s,])x-amz-target([\s,]|$)/.test(preflightHeaders);
    const refuse = (reason: string, message: string): Refusal =>
      scheduler
        ? {
            status: 403,
            contentType: 'application/json',
            body: { Message: message },
            headers: { 'x-amzn-errortype': 'AccessDeniedException' },
            reason,
          }
        : aws
          ? {
              status: 403,
              contentType:
                typeof target === 'string' && AWS_CONTENT_TYPE_1_0.test(target)
                  ? 'application/x-amz-json-1.0'
                  : 'application/x-amz-json-1.1',
              body: { __type: 'AccessDeniedException', message },
              reason,
            }
          : { status: 403, contentType: 'application/json', body: { message }, reason };

    const host = req.headers.host;
    if (host === undefined || host === '') {
      return refuse(
        'no Host header',
        `the request has no Host header: the local runtime answers only requests for ${shown}`,
      );
    }
    if (!accepted.has(host.toLowerCase())) {
      return refuse(
        `foreign Host ${JSON.stringify(host.slice(0, 200))}`,
        `Host ${JSON.stringify(host.slice(0, 200))} is not this runtime (${shown}): requests for other ` +
          'names are refused, so a web page cannot reach the local endpoints through DNS rebinding',
      );
    }

    const path = (req.url ?? '/').split('?')[0]!;
    if (!aws && !path.startsWith('/_local/')) return undefined;
    const what = aws ? 'the AWS endpoints' : 'the local controls';
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      return refuse(
        'CORS preflight',
        `CORS preflight refused: ${what} of the local runtime do not serve web pages`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin.toLowerCase())) {
      return refuse(
        `cross-origin request from ${JSON.stringify(origin.slice(0, 200))}`,
        `Origin ${JSON.stringify(origin.slice(0, 200))} is not this runtime: ${what} refuse requests ` +
          'from web pages of other origins',
      );
    }
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') {
      return refuse(
        `Sec-Fetch-Site: ${site}`,
        `a ${site} browser request (Sec-Fetch-Site: ${site}) to ${what} is refused`,
      );
    }
    return undefined;
  };
}

/**
 * A request target for the log: the path, and each query parameter's name with its value
 * replaced (`?cursor=…&limit=…`), so a token passed in a query never reaches the log. A name that
 * does not look like one (it could be a value) is replaced too.
 */
export function redactUrl(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  if (q < 0) return raw;
  const params = raw
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      if (eq < 0 || !/^[A-Za-z0-9_.\-[\]]{1,64}$/.test(name)) return '…';
      return `${name}=…`;
    });
  return params.length ? `${raw.slice(0, q)}?${params.join('&')}` : raw.slice(0, q);
}
