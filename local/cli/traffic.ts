import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pMap from 'p-map';
import { bucketOf, pilotGroup } from '../../domain/campaigns/assignment.ts';
import { signShopify } from '../../domain/ingestion/signatures.ts';
import type { StorefrontEvent } from '../../domain/metrics/storefront.ts';
import {
  batchesOf,
  DEFAULT_CHANNELS,
  type GeneratedOrder,
  type GeneratedRefund,
  generateTraffic,
  type Traffic,
} from '../../domain/metrics/traffic.ts';
import { addDays, localDate } from '../../domain/shared/calendar.ts';
import { SECRET_ENVIRONMENT } from '../runtime/secrets.ts';
import { CliError, type CommandSpec, commandHelp, type Io, parseCommand, UsageError } from './args.ts';
import { signingSecret } from './delivery.ts';
import { runtimeTarget } from './target.ts';

export const TRAFFIC: CommandSpec = {
  name: 'traffic',
  brief: 'Generate storefront traffic and the matching paid orders',
  summary:
    'Generates realistic storefront traffic — new and returning users over several channels, sessions through visit → product view → cart → checkout — sends it in batches to POST /events/storefront with the write key, and the matching paid orders and refunds as signed Shopify webhooks. The same --seed gives the same traffic.',
  usage: '--users <n> --days <d> [options]',
  options: {
    users: {
      type: 'string',
      arg: 'n',
      help: 'Users (new ones arrive over the days; about a third return each day)',
    },
    days: { type: 'string', arg: 'd', help: 'Store days of traffic, ending yesterday (or from --start)' },
    start: { type: 'string', arg: 'YYYY-MM-DD', help: 'First store day (default: --days before today)' },
    channels: {
      type: 'string',
      arg: 'a,b,…',
      default: DEFAULT_CHANNELS.join(','),
      help: 'Channels the sessions come from',
    },
    conversion: {
      type: 'string',
      arg: 'rate',
      default: '3%',
      help: 'Share of signed-in sessions that end in a paid order (3% or 0.03)',
    },
    refunds: { type: 'string', arg: 'rate', default: '10%', help: 'Share of orders refunded (half in full)' },
    campaign: { type: 'string', arg: 'id', help: 'Events carry this campaignId and each user’s variant' },
    'pilot-lift-bps': {
      type: 'string',
      arg: 'bps',
      default: '0',
      help: 'With --campaign: the pilot converts this much better (3000 = +30%)',
    },
    'pilot-bps': {
      type: 'string',
      arg: 'bps',
      default: '5000',
      help: 'With --campaign: share of users in the pilot',
    },
    'control-bps': {
      type: 'string',
      arg: 'bps',
      default: '5000',
      help: 'With --campaign: share in the control',
    },
    seed: { type: 'string', arg: 'n', default: '1', help: 'Seed of the generator' },
    'time-zone': { type: 'string', arg: 'tz', default: 'Asia/Shanghai', help: 'The store’s time zone' },
    data: {
      type: 'string',
      arg: 'dir',
      default: '.storeflow',
      help: 'Data directory of the runtime: its port and secrets',
    },
    port: { type: 'string', arg: 'n', help: 'Port of the runtime (default: the one running on --data)' },
    url: { type: 'string', arg: 'base', help: 'Send to a deployed API (keys from the environment)' },
    json: { type: 'boolean', help: 'Print the result as JSON' },
  },
  details: `Examples:
  storeflow traffic --users 500 --days 7
  storeflow traffic --users 20000 --days 2 --campaign spring --pilot-lift-bps 3000 --seed 7

Keys: STOREFLOW_WRITE_KEY and SHOPIFY_WEBHOOK_SECRET when set, else <data>/secrets.json. Only what
happened by the runtime's clock is sent (a refund due tomorrow is not). Exit code 0 when every
request got a 2xx, 1 otherwise, 2 for a usage error.`,
};

/** The payload of a Shopify orders/paid webhook for a generated order. */
export function orderPaidPayload(o: GeneratedOrder) {
  const yuan = (fen: number) => (fen / 100).toFixed(2);
  return {
    id: Number(o.orderId),
    name: `#${o.orderId}`,
    currency: 'CNY',
    total_price: yuan(o.total),
    subtotal_price: yuan(o.total),
    created_at: o.paidAt,
    processed_at: o.paidAt,
    updated_at: o.paidAt,
    financial_status: 'paid',
    customer: { id: Number(o.customerId) },
    line_items: o.lines.map((l, i) => ({
      sku: l.sku,
      product_id: i + 1,
      variant_id: i + 1,
      title: l.sku,
      quantity: l.quantity,
      price: yuan(l.unitPrice),
    })),
  };
}

/** The payload of a Shopify refunds/create webhook for a generated refund. */
export function refundPayload(r: GeneratedRefund) {
  return {
    id: Number(r.refundId),
    order_id: Number(r.orderId),
    created_at: r.refundedAt,
    processed_at: r.refundedAt,
    refund_line_items: [],
    transactions: [
      { amount: (r.amount / 100).toFixed(2), currency: 'CNY', kind: 'refund', status: 'success' },
    ],
  };
}

export interface SendResult {
  batches: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  orders: number;
  refunds: number;
  /** requests sent again after a 5xx or a network error (at-least-once: the retry is safe) */
  retries: number;
  failures: string[];
}

/**
 * Sends batches to `POST /events/storefront` (a 429 waits its Retry-After and tries again), then
 * the orders and refunds as signed Shopify webhooks. Used by the CLI, the tests and the bench.
 */
export async function sendTraffic(options: {
  url: string;
  writeKey: string;
  shopifySecret: string;
  batches: readonly StorefrontEvent[][];
  orders: readonly GeneratedOrder[];
  refunds: readonly GeneratedRefund[];
  concurrency?: number;
  onProgress?: (done: { batches: number; orders: number }) => void;
  sleep?: (ms: number) => Promise<void>;
}): Promise<SendResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const result: SendResult = {
    batches: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    orders: 0,
    refunds: 0,
    retries: 0,
    failures: [],
  };
  await pMap(
    options.batches,
    async (events) => {
      const body = JSON.stringify({ events });
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${options.url}/events/storefront`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-storeflow-write-key': options.writeKey },
          body,
        }).catch(() => undefined);
        // A 5xx or a lost answer: send the same batch again (its events answer duplicate if taken).
        if ((res === undefined || res.status >= 500) && attempt < 5) {
          await res?.text();
          result.retries++;
          await sleep(200 * 2 ** attempt);
          continue;
        }
        if (res === undefined) {
          result.failures.push('events: no answer');
          break;
        }
        if (res.status === 429 && attempt < 20) {
          await res.text();
          await sleep(1000 * Number(res.headers.get('retry-after') ?? '1'));
          continue;
        }
        const answer = (await res.json()) as {
          accepted?: number;
          duplicates?: number;
          rejected?: number;
          message?: string;
        };
        if (res.status !== 202) result.failures.push(`events: ${res.status} ${answer.message ?? ''}`);
        result.accepted += answer.accepted ?? 0;
        result.duplicates += answer.duplicates ?? 0;
        result.rejected += answer.rejected ?? 0;
        break;
      }
      result.batches++;
      options.onProgress?.({ batches: result.batches, orders: result.orders });
    },
    { concurrency: options.concurrency ?? 4 },
  );
  const shopify = async (topic: string, id: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    const res = await fetch(`${options.url}/webhooks/shopify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-hmac-sha256': signShopify(body, options.shopifySecret),
        'x-shopify-webhook-id': `traffic-${topic.replace('/', '-')}-${id}`,
        'x-shopify-shop-domain': 'demo.myshopify.com',
      },
      body,
    });
    const text = await res.text();
    if (res.status !== 200) result.failures.push(`${topic} ${id}: ${res.status} ${text.slice(0, 200)}`);
  };
  await pMap(
    options.orders,
    async (o) => {
      await shopify('orders/paid', o.orderId, orderPaidPayload(o));
      result.orders++;
      if (result.orders % 50 === 0) options.onProgress?.({ batches: result.batches, orders: result.orders });
    },
    { concurrency: options.concurrency ?? 4 },
  );
  await pMap(
    options.refunds,
    async (r) => {
      await shopify('refunds/create', r.refundId, refundPayload(r));
      result.refunds++;
    },
    { concurrency: options.concurrency ?? 4 },
  );
  return result;
}

/** The storefront write key as the runtime serves it: STOREFLOW_WRITE_KEY, else <data>/secrets.json. */
export function writeKeyFor(
  dataDir: string,
  env: Readonly<Record<string, string | undefined>>,
  fileAllowed = true,
): string {
  const variable = SECRET_ENVIRONMENT.StorefrontWriteKey!;
  const fromEnv = env[variable];
  if (fromEnv) return fromEnv.split(/[\s,]+/).filter(Boolean)[0]!;
  if (!fileAllowed)
    throw new CliError(`set ${variable} to the deployed stack's StorefrontWriteKey to send to --url`);
  const file = join(dataDir, 'secrets.json');
  try {
    const value = (JSON.parse(readFileSync(file, 'utf8')) as { secrets?: Record<string, unknown> }).secrets
      ?.StorefrontWriteKey;
    if (typeof value === 'string' && value) return value.split(/[\s,]+/).filter(Boolean)[0]!;
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message} (start the runtime once, or set ${variable})`);
  }
  throw new CliError(`${file} has no StorefrontWriteKey: start the runtime once, or set ${variable}`);
}

const whole = (value: string, flag: string, min: number, max: number) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${flag}: "${value}" must be a whole number from ${min} to ${max}`);
  return n;
};

/** `3%` or `0.03` → 300 bps. */
const rateBps = (value: string, flag: string) => {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  const n = percent ? Number(percent[1]) / 100 : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1 || value.trim() === '') {
    throw new UsageError(`--${flag}: "${value}" must be a share such as 3% or 0.03`);
  }
  return Math.round(n * 10_000);
};

export async function traffic(args: readonly string[], io: Io): Promise<number> {
  const parsed = parseCommand(TRAFFIC, args);
  if (parsed.help) {
    io.out(commandHelp(TRAFFIC));
    return 0;
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.users === undefined) throw new UsageError('--users is required');
  if (v.days === undefined) throw new UsageError('--days is required');
  const users = whole(String(v.users), 'users', 1, 1_000_000);
  const days = whole(String(v.days), 'days', 1, 90);
  const seed = whole(String(v.seed), 'seed', 0, 1_000_000);
  const timeZone = String(v['time-zone']);
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new UsageError(`--time-zone: "${timeZone}" is not an IANA time zone`);
  }
  const channels = String(v.channels)
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (channels.length === 0 || channels.some((c) => !/^[A-Za-z0-9_.:-]{1,64}$/.test(c))) {
    throw new UsageError(`--channels: "${String(v.channels)}" must be names of letters, digits and _ . : -`);
  }
  const conversionBps = rateBps(String(v.conversion), 'conversion');
  const refundBps = rateBps(String(v.refunds), 'refunds');
  const pilotLiftBps = whole(String(v['pilot-lift-bps']), 'pilot-lift-bps', 0, 100_000);
  const pilotBps = whole(String(v['pilot-bps']), 'pilot-bps', 0, 10_000);
  const controlBps = whole(String(v['control-bps']), 'control-bps', 0, 10_000);
  const target = runtimeTarget({
    data: String(v.data),
    ...(v.port !== undefined ? { port: String(v.port) } : {}),
    ...(v.url !== undefined ? { url: String(v.url) } : {}),
  });
  const dataDir = resolve(String(v.data));
  let now = Date.now();
  if (target.local) {
    const res = await fetch(`${target.url}/_local/clock`).catch((e: Error) => {
      throw new CliError(`cannot reach the runtime at ${target.url}: ${e.message}`);
    });
    now = Date.parse(((await res.json()) as { now: string }).now);
  }
  const today = localDate(new Date(now), timeZone);
  const startDay = v.start === undefined ? addDays(today, -days) : String(v.start);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(startDay) || !Number.isFinite(Date.parse(startDay))) {
    throw new UsageError(`--start: "${startDay}" must be a date YYYY-MM-DD`);
  }
  const campaign =
    v.campaign === undefined
      ? undefined
      : {
          id: String(v.campaign),
          pilotLiftBps,
          // The campaigns' own assignment (docs/rules/campaigns.md), so generated pilot and control
          // users are the ones the campaign's evaluation counts in each group.
          assign: (userKey: string) => {
            const group = pilotGroup(
              { hashPercent: pilotBps / 100 },
              controlBps / 100,
              bucketOf(String(v.campaign), userKey),
            );
            return group === 'none' ? undefined : group;
          },
        };
  const generated: Traffic = generateTraffic({
    users,
    days,
    startDay,
    timeZone,
    seed,
    channels,
    conversionBps,
    refundBps,
    ...(campaign ? { campaign } : {}),
  });
  const due = (at: string) => Date.parse(at) <= now;
  const events = generated.events.filter((e) => due(e.at));
  const orders = generated.orders.filter((o) => due(o.paidAt));
  const refunds = generated.refunds.filter((r) => due(r.refundedAt));
  const batches = batchesOf(events, { seed });
  io.err(
    `storeflow traffic: ${events.length} events in ${batches.length} batches, ${orders.length} paid orders, ${refunds.length} refunds → ${target.url}\n`,
  );
  const started = Date.now();
  const result = await sendTraffic({
    url: target.url,
    writeKey: writeKeyFor(dataDir, io.env, target.local),
    shopifySecret: signingSecret('shopify', dataDir, io.env, target.local),
    batches,
    orders,
    refunds,
    onProgress: (p) =>
      io.err(`\r  batches ${p.batches}/${batches.length}  orders ${p.orders}/${orders.length}   `),
  });
  io.err('\n');
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    ...result,
    events: events.length,
    seconds,
    firstDay: startDay,
    lastDay: addDays(startDay, days - 1),
    timeZone,
  };
  if (v.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    io.out(
      `sent ${events.length} events (${result.accepted} accepted, ${result.duplicates} duplicate, ${result.rejected} rejected), ${result.orders} paid orders and ${result.refunds} refunds in ${seconds.toFixed(1)} s\n` +
        `store days ${startDay} … ${summary.lastDay} (${timeZone}); read them: GET /api/metrics/funnel?from=${startDay}&to=${summary.lastDay}\n`,
    );
    for (const f of result.failures.slice(0, 10)) io.err(`  failed: ${f}\n`);
  }
  return result.failures.length === 0 ? 0 : 1;
}
