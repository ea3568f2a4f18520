import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signShopify, signStoreflow } from '#domain/ingestion/signatures';
import { fixture } from '#test/support/fixtures';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * Issue #10: every bad request to the way in — both webhook routes and the operations API — gets a
 * clear 4xx (a JSON error naming the field where one is to blame), never a 5xx, stores nothing,
 * publishes nothing, and leaves the runtime healthy. The cases are generated: each mutation of a
 * valid payload breaks exactly one field, so the answer must name that field.
 */
let runtime: Runtime;
let dataDir: string;
let secrets: { adminToken: string; secrets: Record<string, string> };
let doc: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-boundary-'));
  runtime = await startRuntime({ assemblyDir: inject('appAssembly'), dataDir, port: 0, clock: 'virtual' });
  secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  tableName = runtime.summary.tables[0]!.replace(/ \(.*\)$/, '');
});

afterAll(async () => {
  doc?.destroy();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function scanAll(): Promise<string> {
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items);
}

// biome-ignore lint/suspicious/noExplicitAny: payloads are mutated by path.
type Json = any;

function setPath(target: Json, path: string, value: unknown): Json {
  const copy = structuredClone(target);
  const parts = path.split('.');
  let node = copy;
  for (const part of parts.slice(0, -1)) node = node[part];
  const last = parts.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

interface Case {
  readonly name: string;
  readonly send: () => Promise<Response>;
  readonly status: number;
  readonly error: string;
  /** The field the answer must name (in `issues`), when one field is to blame. */
  readonly field?: string;
}

const cases: Case[] = [];
let deliveries = 0;

// --- POST /webhooks/shopify ---------------------------------------------------------------------
function shopify(
  topic: string,
  body: string,
  headers: Record<string, string | undefined> = {},
  sign: 'ok' | 'forged' | 'none' = 'ok',
) {
  return () => {
    const all: Record<string, string | undefined> = {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256':
        sign === 'ok'
          ? signShopify(body, secrets.secrets.ShopifyWebhookSecret!)
          : sign === 'forged'
            ? signShopify(body, 'not-the-secret')
            : undefined,
      'x-shopify-webhook-id': `boundary-${++deliveries}`,
      'x-shopify-shop-domain': 'demo.myshopify.com',
      ...headers,
    };
    return fetch(`${runtime.url}/webhooks/shopify`, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >,
      body,
    });
  };
}

const LONG = (n: number, c = 'x') => c.repeat(n);
const orderMutations: Array<[string, unknown]> = [
  ['currency', 'ZZZ'],
  ['currency', 'cny'],
  ['currency', 12],
  ['total_price', '-1.00'],
  ['total_price', '1.001'],
  ['total_price', '1e5'],
  ['total_price', LONG(40, '9')],
  ['total_price', 408.5],
  ['subtotal_price', '-3.00'],
  ['line_items.0.price', '-5.00'],
  ['line_items.0.price', '0.001'],
  ['line_items.0.quantity', -1],
  ['line_items.0.quantity', 1.5],
  ['line_items.0.sku', LONG(10_000)],
  ['line_items.0.sku', 'A\u0001B'],
  ['line_items.0.product_id', 'abc'],
  ['id', 'abc'],
  ['id', -1],
  ['id', LONG(30, '1')],
  ['created_at', '1900-01-01T00:00:00Z'],
  ['created_at', '9999-12-31T23:59:59Z'],
  ['created_at', '2026-13-01T00:00:00Z'],
  ['created_at', 'yesterday'],
  ['updated_at', '2101-01-01T00:00:00Z'],
  ['customer.id', LONG(25, '1')],
  ['line_items', 'not an array'],
];
const orderFixture = JSON.parse(fixture('shopify/orders-paid.json'));
const orderFixtures: Record<string, Json> = {
  'orders/create': JSON.parse(fixture('shopify/orders-create.json')),
  'orders/paid': orderFixture,
  'orders/cancelled': JSON.parse(fixture('shopify/orders-cancelled.json')),
  'orders/fulfilled': orderFixture,
};
for (const [topic, base] of Object.entries(orderFixtures)) {
  for (const [path, value] of orderMutations) {
    cases.push({
      name: `shopify ${topic}: ${path} = ${JSON.stringify(value).slice(0, 24)}`,
      send: shopify(topic, JSON.stringify(setPath(base, path, value))),
      status: 400,
      error: 'ValidationError',
      field: path,
    });
  }
}
cases.push({
  name: 'shopify orders/cancelled: cancelled_at out of range',
  send: shopify(
    'orders/cancelled',
    JSON.stringify(setPath(orderFixture, 'cancelled_at', '1999-01-01T00:00:00Z')),
  ),
  status: 400,
  error: 'ValidationError',
  field: 'cancelled_at',
});

const fulfillment = JSON.parse(fixture('shopify/fulfillments-create.json'));
for (const topic of ['fulfillments/create', 'fulfillments/update']) {
  for (const [path, value] of [
    ['order_id', 'x'],
    ['id', LONG(21, '1')],
    ['created_at', '1999-12-31T23:59:59Z'],
    ['updated_at', 'garbage'],
    ['line_items.0.sku', LONG(300)],
    ['line_items.0.quantity', -2],
  ] as Array<[string, unknown]>) {
    cases.push({
      name: `shopify ${topic}: ${path} = ${JSON.stringify(value).slice(0, 24)}`,
      send: shopify(topic, JSON.stringify(setPath(fulfillment, path, value))),
      status: 400,
      error: 'ValidationError',
      field: path,
    });
  }
}

const refund = JSON.parse(fixture('shopify/refunds-create.json'));
for (const [path, value] of [
  ['transactions.0.currency', 'ZZZ'],
  ['transactions.0.amount', '-1.00'],
  ['transactions.0.amount', '1.234'],
  ['refund_line_items.0.line_item.sku', LONG(256)],
  ['created_at', '1800-01-01T00:00:00Z'],
  ['order_id', -5],
] as Array<[string, unknown]>) {
  cases.push({
    name: `shopify refunds/create: ${path} = ${JSON.stringify(value).slice(0, 24)}`,
    send: shopify('refunds/create', JSON.stringify(setPath(refund, path, value))),
    status: 400,
    error: 'ValidationError',
    field: path,
  });
}

const level = JSON.parse(fixture('shopify/inventory-levels-update.json'));
for (const [path, value] of [
  ['inventory_item_id', 'abc'],
  ['location_id', LONG(21, '1')],
  ['available', 1.5],
  ['updated_at', '2200-01-01T00:00:00Z'],
] as Array<[string, unknown]>) {
  cases.push({
    name: `shopify inventory_levels/update: ${path} = ${JSON.stringify(value).slice(0, 24)}`,
    send: shopify('inventory_levels/update', JSON.stringify(setPath(level, path, value))),
    status: 400,
    error: 'ValidationError',
    field: path,
  });
}

const product = JSON.parse(fixture('shopify/products-update.json'));
for (const [path, value] of [
  ['variants.0.price', '-1.00'],
  ['variants.0.sku', LONG(256)],
  ['variants.0.id', 'x'],
  ['updated_at', '1970-01-01T00:00:00Z'],
  ['title', 5],
] as Array<[string, unknown]>) {
  cases.push({
    name: `shopify products/update: ${path} = ${JSON.stringify(value).slice(0, 24)}`,
    send: shopify('products/update', JSON.stringify(setPath(product, path, value))),
    status: 400,
    error: 'ValidationError',
    field: path,
  });
}

const paid = fixture('shopify/orders-paid.json');
const headerCases: Array<[string, Record<string, string | undefined>, number, string, string?]> = [
  [
    'a 2,000-character X-Shopify-Webhook-Id',
    { 'x-shopify-webhook-id': LONG(2000) },
    400,
    'ValidationError',
    'X-Shopify-Webhook-Id',
  ],
  [
    'two X-Shopify-Webhook-Id values',
    { 'x-shopify-webhook-id': 'a, b' },
    400,
    'ValidationError',
    'X-Shopify-Webhook-Id',
  ],
  [
    'a webhook id with a space',
    { 'x-shopify-webhook-id': 'a b' },
    400,
    'ValidationError',
    'X-Shopify-Webhook-Id',
  ],
  ['no webhook id', { 'x-shopify-webhook-id': undefined }, 400, 'ValidationError', 'X-Shopify-Webhook-Id'],
  ['an unsupported topic', { 'x-shopify-topic': 'carts/update' }, 400, 'ValidationError', 'X-Shopify-Topic'],
  ['no topic', { 'x-shopify-topic': undefined }, 400, 'ValidationError', 'X-Shopify-Topic'],
  [
    'a shop domain with a path',
    { 'x-shopify-shop-domain': 'evil.example/x' },
    400,
    'ValidationError',
    'X-Shopify-Shop-Domain',
  ],
  [
    'a 300-character shop domain',
    { 'x-shopify-shop-domain': LONG(300, 'a') },
    400,
    'ValidationError',
    'X-Shopify-Shop-Domain',
  ],
  ['Content-Type text/plain', { 'content-type': 'text/plain' }, 415, 'UnsupportedMediaType'],
  ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'UnsupportedMediaType'],
  ['Content-Type application/xml', { 'content-type': 'application/xml' }, 415, 'UnsupportedMediaType'],
  ['no Content-Type', { 'content-type': undefined }, 415, 'UnsupportedMediaType'],
  ['JSON in Latin-1', { 'content-type': 'application/json; charset=latin1' }, 415, 'UnsupportedMediaType'],
];
for (const [name, headers, status, error, field] of headerCases) {
  cases.push({ name: `shopify: ${name}`, send: shopify('orders/paid', paid, headers), status, error, field });
}
cases.push(
  {
    name: 'shopify: a forged signature',
    send: shopify('orders/paid', paid, {}, 'forged'),
    status: 401,
    error: 'InvalidSignature',
  },
  {
    name: 'shopify: no signature',
    send: shopify('orders/paid', paid, {}, 'none'),
    status: 401,
    error: 'InvalidSignature',
  },
  {
    name: 'shopify: a body that is not JSON',
    send: shopify('orders/paid', '{"id": 1, "total_price": '),
    status: 400,
    error: 'MalformedBody',
  },
  {
    name: 'shopify: a body of 262,145 bytes',
    send: shopify(
      'orders/paid',
      JSON.stringify({
        ...orderFixture,
        note: LONG(262_145 - JSON.stringify({ ...orderFixture, note: '' }).length),
      }),
    ),
    status: 413,
    error: 'PayloadTooLarge',
    field: '(body)',
  },
  {
    name: 'shopify: 2,600 lines (an OrderPaid event over 256 KB)',
    send: shopify(
      'orders/paid',
      JSON.stringify({
        ...orderFixture,
        id: 77,
        line_items: Array.from({ length: 2600 }, (_, i) => ({
          sku: `S-${i}`,
          product_id: i + 1,
          variant_id: i + 1,
          title: 'x',
          quantity: 1,
          price: '1.00',
        })),
      }),
    ),
    status: 413,
    error: 'PayloadTooLarge',
    field: 'line_items',
  },
);

// --- POST /webhooks/storeflow -------------------------------------------------------------------
function storeflow(
  envelope: Json,
  options: { contentType?: string; secret?: string; at?: number; raw?: string } = {},
) {
  return async () => {
    const body = options.raw ?? JSON.stringify(envelope);
    const now = Math.floor(runtime.clock.now() / 1000);
    return fetch(`${runtime.url}/webhooks/storeflow`, {
      method: 'POST',
      headers: {
        ...(options.contentType === '' ? {} : { 'content-type': options.contentType ?? 'application/json' }),
        'storeflow-signature': signStoreflow(
          body,
          options.secret ?? secrets.secrets.StoreflowWebhookSecret!,
          options.at ?? now,
        ),
      },
      body,
    });
  };
}

const money = (amount: number, currency = 'CNY') => ({ amount, currency });
const storeflowTypes: Record<
  string,
  { data: Json; ids: string[]; optionalIds?: string[]; money?: Array<[string, unknown]>; text?: string[] }
> = {
  'presale.deposit_paid': {
    data: { orderId: 'o', presaleId: 'p', customerId: 'c', amount: money(50_000) },
    ids: ['orderId', 'presaleId', 'customerId'],
    money: [
      ['amount.amount', -1],
      ['amount.amount', 0],
      ['amount.amount', 0.5],
      ['amount.currency', 'ZZZ'],
      ['amount', undefined],
    ],
  },
  'presale.balance_paid': {
    data: { orderId: 'o', amount: money(400_000) },
    ids: ['orderId'],
    money: [
      ['amount.amount', -400_000],
      ['amount.amount', 1.25],
      ['amount.currency', 'ZZZ'],
    ],
  },
  'presale.cancelled': { data: { orderId: 'o', reason: 'r' }, ids: ['orderId'], text: ['reason'] },
  'ticket.opened': {
    data: { ticketId: 't', orderId: 'o', customerId: 'c', subject: 's' },
    ids: ['ticketId'],
    optionalIds: ['orderId', 'customerId'],
  },
  'ticket.responded': { data: { ticketId: 't' }, ids: ['ticketId'], optionalIds: ['orderId'] },
  'ticket.resolved': { data: { ticketId: 't' }, ids: ['ticketId'] },
  'installation.completed': { data: { orderId: 'o', sku: 's' }, ids: ['orderId'], optionalIds: ['sku'] },
  'delivery.completed': { data: { orderId: 'o' }, ids: ['orderId'], optionalIds: ['shipmentId'] },
  'competitor.price_observed': {
    data: { sku: 's', competitor: 'jd', price: money(299_900) },
    ids: ['sku', 'competitor'],
    money: [
      ['price.amount', 0],
      ['price.amount', -100],
      ['price.currency', 'ZZZ'],
      ['url', 'not a url'],
    ],
  },
};
let envelopes = 0;
const envelope = (type: string, data: Json, over: Json = {}) => ({
  id: `sf-boundary-${++envelopes}`,
  type,
  occurredAt: '2026-11-24T02:00:00Z',
  data,
  ...over,
});
for (const [type, spec] of Object.entries(storeflowTypes)) {
  const badIds: Array<[string, unknown]> = [
    ['a 257-character id', LONG(257)],
    ['an id with a control character', 'o\u0007'],
    ['an empty id', ''],
    ['a number for an id', 42],
  ];
  for (const field of spec.ids) {
    for (const [what, value] of badIds) {
      cases.push({
        name: `storeflow ${type}: data.${field} is ${what}`,
        send: storeflow(envelope(type, setPath(spec.data, field, value))),
        status: 400,
        error: 'ValidationError',
        field: `data.${field}`,
      });
    }
  }
  for (const field of spec.optionalIds ?? []) {
    for (const [what, value] of badIds.slice(0, 2)) {
      cases.push({
        name: `storeflow ${type}: data.${field} is ${what}`,
        send: storeflow(envelope(type, setPath(spec.data, field, value))),
        status: 400,
        error: 'ValidationError',
        field: `data.${field}`,
      });
    }
  }
  for (const [path, value] of spec.money ?? []) {
    cases.push({
      name: `storeflow ${type}: data.${path} = ${JSON.stringify(value)}`,
      send: storeflow(envelope(type, setPath(spec.data, path, value))),
      status: 400,
      error: 'ValidationError',
      field: `data.${path}`,
    });
  }
  for (const field of spec.text ?? []) {
    for (const value of ['', LONG(1001)]) {
      cases.push({
        name: `storeflow ${type}: data.${field} of ${value.length} characters`,
        send: storeflow(envelope(type, setPath(spec.data, field, value))),
        status: 400,
        error: 'ValidationError',
        field: `data.${field}`,
      });
    }
  }
  for (const occurredAt of ['1999-12-31T23:59:59Z', '2101-01-01T00:00:00Z', 'soon']) {
    cases.push({
      name: `storeflow ${type}: occurredAt ${occurredAt}`,
      send: storeflow(envelope(type, spec.data, { occurredAt })),
      status: 400,
      error: 'ValidationError',
      field: 'occurredAt',
    });
  }
}
const deposit = storeflowTypes['presale.deposit_paid']!.data;
cases.push(
  ...(
    [
      ['a 201-character envelope id', { id: LONG(201) }, 'id'],
      ['an envelope id with a control character', { id: 'evt\u0000' }, 'id'],
      ['an empty envelope id', { id: '' }, 'id'],
      ['an unknown type', { type: 'presale.exploded' }, 'type'],
      ['no data', { data: undefined }, 'data'],
      ['data that is an array', { data: [1] }, 'data'],
    ] as Array<[string, Json, string]>
  ).map(
    ([name, over, field]): Case => ({
      name: `storeflow: ${name}`,
      send: storeflow(
        Object.fromEntries(
          Object.entries(envelope('presale.deposit_paid', deposit, over)).filter(([, v]) => v !== undefined),
        ),
      ),
      status: 400,
      error: 'ValidationError',
      field,
    }),
  ),
  {
    name: 'storeflow: Content-Type text/plain',
    send: storeflow(envelope('presale.deposit_paid', deposit), { contentType: 'text/plain' }),
    status: 415,
    error: 'UnsupportedMediaType',
  },
  {
    name: 'storeflow: no Content-Type',
    send: storeflow(envelope('presale.deposit_paid', deposit), { contentType: '' }),
    status: 415,
    error: 'UnsupportedMediaType',
  },
  {
    name: 'storeflow: a forged signature',
    send: storeflow(envelope('presale.deposit_paid', deposit), { secret: 'wrong' }),
    status: 401,
    error: 'InvalidSignature',
  },
  {
    name: 'storeflow: a signature 301 s old',
    send: async () =>
      storeflow(envelope('presale.deposit_paid', deposit), {
        at: Math.floor(runtime.clock.now() / 1000) - 301,
      })(),
    status: 401,
    error: 'InvalidSignature',
  },
  {
    name: 'storeflow: a body that is not JSON',
    send: storeflow(null, { raw: 'id=1&type=presale' }),
    status: 400,
    error: 'MalformedBody',
  },
  {
    name: 'storeflow: a body over 256 KB',
    send: storeflow(envelope('presale.deposit_paid', { ...deposit, padding: LONG(262_144) })),
    status: 413,
    error: 'PayloadTooLarge',
    field: '(body)',
  },
);

// --- the operations API ---------------------------------------------------------------------------
function api(method: string, path: string, body?: string, contentType = 'application/json') {
  return () =>
    fetch(`${runtime.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${secrets.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      body,
    });
}
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const adminGets: Array<[string, string, string]> = [
  ['a 2,000-character presale id', `/api/presales/${LONG(2000)}`, 'presaleId'],
  ['a 257-character presale id', `/api/presales/${LONG(257)}`, 'presaleId'],
  ['a presale id with a control character', '/api/presales/p%01q', 'presaleId'],
  ['a 2,000-character presale order id', `/api/presale-orders/${LONG(2000)}`, 'orderId'],
  ['a presale order id with DEL', '/api/presale-orders/o%7F', 'orderId'],
  ['a 2,000-character order id on the timeline', `/api/orders/${LONG(2000)}/timeline`, 'orderId'],
  ['an order id with a control character', '/api/orders/o%0Ao/timeline', 'orderId'],
  ['a 2,000-character SKU on the timeline', `/api/skus/${LONG(2000)}/timeline`, 'sku'],
  ['a SKU with a control character', '/api/skus/s%1Bk/timeline', 'sku'],
  [
    'a cursor carrying a 2,000-character key',
    `/api/orders/1/timeline?cursor=${cursorOf({ pk: 'ORDER#1', sk: `TL#${LONG(2000)}` })}`,
    'cursor',
  ],
  [
    'a cursor of another timeline',
    `/api/orders/1/timeline?cursor=${cursorOf({ pk: 'ORDER#2', sk: 'TL#x' })}`,
    'cursor',
  ],
  [
    'a cursor that is not a timeline key',
    `/api/orders/1/timeline?cursor=${cursorOf({ pk: 'ORDER#1', sk: 'PRESALE_ORDER' })}`,
    'cursor',
  ],
  ['a cursor that is garbage', '/api/orders/1/timeline?cursor=%%%', 'cursor'],
  ['a 3,000-character cursor', `/api/orders/1/timeline?cursor=${LONG(3000, 'A')}`, 'cursor'],
  ['limit 0', '/api/orders/1/timeline?limit=0', 'limit'],
  ['limit 1001', '/api/skus/s/timeline?limit=1001', 'limit'],
  ['limit abc', '/api/orders/1/timeline?limit=abc', 'limit'],
  ['limit 1.5', '/api/orders/1/timeline?limit=1.5', 'limit'],
];
for (const [name, path, field] of adminGets) {
  cases.push({
    name: `api GET: ${name}`,
    send: api('GET', path),
    status: 400,
    error: 'ValidationError',
    field,
  });
}
const presale = {
  sku: 'SOFA',
  listPrice: money(500_000),
  depositWindow: { start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' },
  quota: 5,
};
const presalePuts: Array<[string, Json, string]> = [
  ['a 201-character SKU', setPath(presale, 'sku', LONG(201)), 'sku'],
  ['a SKU with a control character', setPath(presale, 'sku', 'SO\u0002FA'), 'sku'],
  ['a negative list price', setPath(presale, 'listPrice.amount', -1), 'listPrice.amount'],
  ['a list price in ZZZ', setPath(presale, 'listPrice.currency', 'ZZZ'), 'listPrice.currency'],
  ['a fractional list price', setPath(presale, 'listPrice.amount', 10.5), 'listPrice.amount'],
  [
    'a deposit window starting in 1999',
    setPath(presale, 'depositWindow.start', '1999-01-01T00:00:00Z'),
    'depositWindow.start',
  ],
  [
    'a deposit window ending in 2101',
    setPath(presale, 'depositWindow.end', '2101-01-01T00:00:00Z'),
    'depositWindow.end',
  ],
  ['a negative quota', setPath(presale, 'quota', -1), 'quota'],
  ['a fractional quota', setPath(presale, 'quota', 1.5), 'quota'],
  ['an unknown field', { ...presale, depositValu: money(1) }, 'depositValu'],
];
for (const [name, body, field] of presalePuts) {
  cases.push({
    name: `api PUT presale: ${name}`,
    send: api('PUT', '/api/presales/ps-boundary', JSON.stringify(body)),
    status: 400,
    error: 'ValidationError',
    field,
  });
}
cases.push(
  {
    name: 'api PUT presale: a presale id with a control character',
    send: api('PUT', '/api/presales/ps%07x', JSON.stringify(presale)),
    status: 400,
    error: 'ValidationError',
    field: 'presaleId',
  },
  {
    name: 'api PUT presale: Content-Type text/plain',
    send: api('PUT', '/api/presales/ps-boundary', JSON.stringify(presale), 'text/plain'),
    status: 415,
    error: 'UnsupportedMediaType',
  },
  {
    name: 'api PUT presale: a body that is not JSON',
    send: api('PUT', '/api/presales/ps-boundary', '{"sku": '),
    status: 400,
    error: 'MalformedBody',
  },
);

describe('every bad request to the way in is a clear 4xx that stores nothing', () => {
  it('covers at least 200 generated cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await scanAll();
    const res = await c.send();
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    const body = JSON.parse(text) as { error: string; message: string; issues?: Array<{ field: string }> };
    expect(body.error).toBe(c.error);
    expect(body.message).toEqual(expect.any(String));
    if (c.field) expect(body.issues?.map((i) => i.field)).toContain(c.field);
    await runtime.settle();
    expect(await scanAll()).toBe(before);
  });

  it('is still healthy afterwards and accepts a valid delivery', async () => {
    expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
    const res = await shopify('orders/paid', paid)();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outcome: string }).outcome).toBe('accepted');
    await runtime.settle();
    const timeline = await fetch(`${runtime.url}/api/orders/450789469001/timeline`, {
      headers: { authorization: `Bearer ${secrets.adminToken}` },
    });
    const items = ((await timeline.json()) as { items: Array<{ kind: string }> }).items;
    // the SLA lines (promises, breaches, compensations) share the order's timeline; this is about ingestion
    expect(items.map((i) => i.kind).filter((k) => k === 'webhook' || k === 'event')).toEqual([
      'webhook',
      'event',
    ]);
  });
});

describe('a replayed body is the same fact (issue #10)', () => {
  it('the same signed orders/paid under three X-Shopify-Webhook-Id values: one OrderPaid on the timeline', async () => {
    const body = JSON.stringify({ ...orderFixture, id: 31337, updated_at: '2026-11-21T00:00:00+08:00' });
    const answers = [];
    for (const id of ['replay-1', 'replay-2', 'replay-3']) {
      const res = await shopify('orders/paid', body, { 'x-shopify-webhook-id': id })();
      answers.push([res.status, ((await res.json()) as { outcome: string }).outcome]);
    }
    expect(answers).toEqual([
      [200, 'accepted'],
      [200, 'duplicate'],
      [200, 'duplicate'],
    ]);
    await runtime.settle();
    const res = await fetch(`${runtime.url}/api/orders/31337/timeline`, {
      headers: { authorization: `Bearer ${secrets.adminToken}` },
    });
    const items = ((await res.json()) as { items: Array<{ kind: string; name: string }> }).items;
    const ingestion = items.filter((i) => i.kind === 'webhook' || i.kind === 'event');
    expect(ingestion.map((i) => `${i.kind} ${i.name}`)).toEqual(['webhook orders/paid', 'event OrderPaid']);
  });

  it('a later version of the same order is a new fact', async () => {
    const v2 = JSON.stringify({ ...orderFixture, id: 31337, updated_at: '2026-11-21T00:05:00+08:00' });
    const res = await shopify('orders/paid', v2, { 'x-shopify-webhook-id': 'replay-v2' })();
    expect(((await res.json()) as { outcome: string }).outcome).toBe('accepted');
  });
});
