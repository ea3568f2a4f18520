import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonPreservingBigIntegers } from '../../domain/ingestion/json.ts';
import { signShopify, signStoreflow } from '../../domain/ingestion/signatures.ts';
import { SECRET_ENVIRONMENT } from '../runtime/secrets.ts';
import { CliError, UsageError } from './args.ts';
import type { Json, JsonObject } from './fixtures.ts';

/**
 * A signed test delivery, exactly as Shopify or a storeflow sender would make it: the body's bytes,
 * the signature over them, and the platform's headers.
 */

export type Source = 'shopify' | 'storeflow';

export const WEBHOOK_PATHS: Readonly<Record<Source, string>> = {
  shopify: '/webhooks/shopify',
  storeflow: '/webhooks/storeflow',
};

export interface SignedDelivery {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** `X-Shopify-Webhook-Id`, or the storeflow envelope's id */
  readonly deliveryId: string;
}

export interface SignOptions {
  readonly secret: string;
  /** unix seconds of the signature (storeflow's replay window is checked against it) */
  readonly nowSeconds: number;
  /** X-Shopify-Shop-Domain */
  readonly shop: string;
  /** X-Shopify-Webhook-Id; a new one when not given */
  readonly webhookId?: string;
}

/** Signs `body` as a delivery of `name` (a Shopify topic or a storeflow type). */
export function signDelivery(
  source: Source,
  name: string,
  body: string,
  options: SignOptions,
): SignedDelivery {
  if (source === 'shopify') {
    const webhookId = options.webhookId ?? randomUUID();
    return {
      path: WEBHOOK_PATHS.shopify,
      deliveryId: webhookId,
      body,
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': name,
        'x-shopify-hmac-sha256': signShopify(body, options.secret),
        'x-shopify-shop-domain': options.shop,
        'x-shopify-webhook-id': webhookId,
        'x-shopify-api-version': '2025-10',
        'x-shopify-triggered-at': new Date(options.nowSeconds * 1000).toISOString(),
        'user-agent': 'storeflow-trigger',
      },
    };
  }
  const id = (() => {
    try {
      const parsed = JSON.parse(body) as { id?: unknown };
      return typeof parsed.id === 'string' ? parsed.id : '(no id)';
    } catch {
      return '(not JSON)';
    }
  })();
  return {
    path: WEBHOOK_PATHS.storeflow,
    deliveryId: id,
    body,
    headers: {
      'content-type': 'application/json',
      'storeflow-signature': signStoreflow(body, options.secret, options.nowSeconds),
      'user-agent': 'storeflow-trigger',
    },
  };
}

// --- --set path=value ---------------------------------------------------------------------------

/** Segments no body path may name: they would reach an object's prototype, not a field. */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

export interface Assignment {
  readonly path: string[];
  readonly value: Json;
}

/**
 * Reads one `--set`: `path=value`, the path in dots (`line_items.0.quantity`, `data.amount.amount`;
 * `line_items[0]` works too), the value typed as JSON when it parses as JSON (numbers, booleans,
 * null, objects, arrays, "quoted strings"; integers beyond 2^53 kept exact as strings), else text.
 */
export function parseAssignment(text: string): Assignment {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new UsageError(`--set: "${text}" must be path=value, e.g. --set line_items.0.quantity=3`);
  const path = text
    .slice(0, eq)
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.');
  if (path.some((segment) => segment === '')) {
    throw new UsageError(`--set: "${text.slice(0, eq)}" is not a path (empty segment)`);
  }
  const bad = path.find((segment) => FORBIDDEN.has(segment));
  if (bad) throw new UsageError(`--set: "${bad}" cannot be part of a path`);
  const raw = text.slice(eq + 1);
  let value: Json;
  try {
    value = parseJsonPreservingBigIntegers(raw) as Json;
  } catch {
    value = raw;
  }
  return { path, value };
}

/**
 * Sets each assignment in `body` (in place), creating missing objects (or arrays, for a numeric
 * next segment) on the way; a path through a string, number or boolean is refused, not replaced.
 */
export function applyAssignments(body: JsonObject, assignments: readonly Assignment[]): JsonObject {
  for (const { path, value } of assignments) {
    const name = path.join('.');
    let node: Json = body;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const where = path.slice(0, i).join('.') || '(body)';
      let container: Record<string, Json> | Json[];
      let slot: string | number;
      if (Array.isArray(node)) {
        if (!/^\d+$/.test(segment)) {
          throw new UsageError(`--set ${name}: ${where} is an array; "${segment}" is not an index`);
        }
        slot = Number(segment);
        if (slot > node.length) {
          throw new UsageError(
            `--set ${name}: ${where} has ${node.length} items; index ${slot} would leave a gap`,
          );
        }
        container = node;
      } else if (node !== null && typeof node === 'object') {
        container = node;
        slot = segment;
      } else {
        throw new UsageError(`--set ${name}: ${where} is ${JSON.stringify(node)}, not an object or array`);
      }
      const read = (): Json | undefined =>
        Array.isArray(container)
          ? container[slot as number]
          : Object.hasOwn(container, slot)
            ? container[slot as string]
            : undefined;
      const write = (v: Json) => {
        if (Array.isArray(container)) container[slot as number] = v;
        else container[slot as string] = v;
      };
      if (i === path.length - 1) {
        write(value);
        break;
      }
      const child = read();
      if (child === undefined || child === null) write(/^\d+$/.test(path[i + 1]!) ? [] : {});
      node = read()!;
    }
  }
  return body;
}

// --- secrets ------------------------------------------------------------------------------------

const SECRET_IDS: Readonly<Record<Source, string>> = {
  shopify: 'ShopifyWebhookSecret',
  storeflow: 'StoreflowWebhookSecret',
};

/** The environment variable that overrides a source's secret (`SHOPIFY_WEBHOOK_SECRET`). */
export const secretVariable = (source: Source): string => SECRET_ENVIRONMENT[SECRET_IDS[source]]!;

/**
 * The secret the runtime signs `source`'s webhooks with, found as the runtime finds it: the
 * environment variable when set and not empty, else `<data>/secrets.json`. With `fileAllowed`
 * false (a deployed API) only the environment counts.
 */
export function signingSecret(
  source: Source,
  dataDir: string,
  environment: Readonly<Record<string, string | undefined>>,
  fileAllowed = true,
): string {
  const variable = secretVariable(source);
  const fromEnvironment = environment[variable];
  if (fromEnvironment) return fromEnvironment;
  if (!fileAllowed) {
    throw new CliError(`set ${variable} to the deployed stack's ${SECRET_IDS[source]} to sign for --url`);
  }
  const file = join(dataDir, 'secrets.json');
  let saved: { secrets?: Record<string, unknown> };
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(
        `no ${file}: start the runtime once on this data directory (storeflow dev --data ${dataDir}) or set ${variable}`,
      );
    }
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
  const value = saved.secrets?.[SECRET_IDS[source]];
  if (typeof value !== 'string' || !value) {
    throw new CliError(`${file} has no ${SECRET_IDS[source]}: start the runtime once, or set ${variable}`);
  }
  return value;
}
