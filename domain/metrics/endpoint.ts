import type { Clock } from '../shared/clock.ts';
import {
  DomainError,
  RateLimitedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../shared/errors.ts';
import { matchWriteKey, type RateLimiter, writeKeys } from './access.ts';
import {
  ingestStorefrontEvents,
  parseStorefrontBody,
  type StorefrontFactStore,
  type StorefrontIngestResult,
} from './ingest.ts';
import { STOREFRONT_LIMITS } from './storefront.ts';

/** The header that carries the store's write key. */
export const WRITE_KEY_HEADER = 'x-storeflow-write-key';

/** The request as the endpoint sees it: method, lower-cased headers, raw body. */
export interface StorefrontRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface StorefrontAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
  readonly result?: StorefrontIngestResult;
}

/** A browser origin that is not allowed to send storefront events. */
export class OriginNotAllowedError extends DomainError {
  readonly code = 'OriginNotAllowed';
  override readonly name = 'OriginNotAllowedError';
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
/**
 * `text/plain` is accepted too: `navigator.sendBeacon` and CORS-simple requests can only send it,
 * and the body is parsed as JSON either way.
 */
const TEXT_TYPE = /^text\/plain\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * `POST /events/storefront` (issue #16), transport-free: CORS for the configured origins (and the
 * preflight), the write key (401, compared in constant time against every configured key), the
 * media type (415), the size (413), the key's rate window (429 with Retry-After), then each event
 * on its own (202 with per-event outcomes). Nothing is stored for a refused request.
 */
export function storefrontEndpoint(deps: {
  readonly store: StorefrontFactStore;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly timeZone: string;
  /** the configured key(s), as one secret value */
  readonly writeKey: () => Promise<string>;
  readonly origins: readonly string[];
  readonly eventsPerSecond: number;
}) {
  const ingest = ingestStorefrontEvents(deps);

  /** The CORS headers for a request's Origin (none when it sent none); refuses an unlisted origin. */
  function cors(origin: string | undefined): Record<string, string> {
    if (origin === undefined) return {};
    if (!deps.origins.includes(origin)) {
      throw new OriginNotAllowedError(`origin ${origin.slice(0, 200)} may not send storefront events`);
    }
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'retry-after',
      vary: 'Origin',
    };
  }

  async function handle(request: StorefrontRequest): Promise<StorefrontAnswer> {
    const headers = cors(request.headers.origin);
    if (request.method === 'OPTIONS') {
      return {
        statusCode: 204,
        headers: {
          ...headers,
          'access-control-allow-methods': 'POST, OPTIONS',
          'access-control-allow-headers': `content-type, ${WRITE_KEY_HEADER}`,
          'access-control-max-age': '600',
        },
      };
    }
    const keyId = matchWriteKey(request.headers[WRITE_KEY_HEADER], writeKeys(await deps.writeKey()));
    if (keyId === undefined) throw new UnauthorizedError(`a valid ${WRITE_KEY_HEADER} header is required`);
    const type = request.headers['content-type']?.trim() ?? '';
    if (!JSON_TYPE.test(type) && !TEXT_TYPE.test(type)) {
      throw new UnsupportedMediaTypeError(
        type
          ? `Content-Type "${type.slice(0, 100)}" is not JSON; send application/json`
          : 'Content-Type is missing; send application/json',
      );
    }
    const events = parseStorefrontBody(request.body);
    const taken = await deps.limiter.take(keyId, events.length, deps.eventsPerSecond, deps.clock.now());
    if (!taken.ok) {
      throw new RateLimitedError(
        `this write key may send ${deps.eventsPerSecond} events per second; retry after ${taken.retryAfterSeconds} s`,
        taken.retryAfterSeconds,
      );
    }
    const result = await ingest(events);
    return {
      statusCode: 202,
      headers: { 'content-type': 'application/json', ...headers },
      body: result,
      result,
    };
  }

  return { cors, handle, limits: STOREFRONT_LIMITS };
}
