import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signShopify, signStoreflow } from '#domain/ingestion/signatures';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';
import { fixture } from '../support/fixtures.ts';
import { httpEvent, lambdaContext, parseResponse } from '../support/http-events.ts';

const ADMIN_TOKEN = 'admin-token-for-tests';
const eventBridge = mockClient(EventBridgeClient);
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let dynamo: LocalDynamo;
let shopify: Handler;
let storeflow: Handler;
let recordTimeline: Handler;
let getTimeline: Handler;

beforeAll(async () => {
  dynamo = await startLocalDynamo('storeflow-timeline-test');
  Object.assign(process.env, {
    TABLE_NAME: dynamo.tableName,
    EVENT_BUS_NAME: 'bus',
    SHOPIFY_WEBHOOK_SECRET: 's1',
    STOREFLOW_WEBHOOK_SECRET: 's2',
    STOREFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map(() => ({ EventId: 'x' })),
  }));
  shopify = (await import('#functions/receive-shopify-webhook.handler')).handler as Handler;
  storeflow = (await import('#functions/receive-storeflow-webhook.handler')).handler as Handler;
  recordTimeline = (await import('#functions/record-timeline.handler')).handler as Handler;
  getTimeline = (await import('#functions/get-timeline.handler')).handler as Handler;
});

afterAll(async () => {
  await dynamo.stop();
});

/** What EventBridge hands a rule target for a PutEvents entry. */
function asBusEvent(entry: PutEventsRequestEntry) {
  return {
    version: '0',
    id: `eb-${Math.random()}`,
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '123456789012',
    time: (entry.Time ?? new Date()).toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: JSON.parse(entry.Detail ?? '{}'),
  };
}

async function deliverPublishedEvents() {
  const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
  eventBridge.resetHistory();
  for (const entry of entries) await recordTimeline(asBusEvent(entry), lambdaContext);
  return entries;
}

function timelineRequest(
  path: { orderId?: string; sku?: string },
  headers: Record<string, string>,
  query?: Record<string, string>,
) {
  const rawPath = path.orderId ? `/api/orders/${path.orderId}/timeline` : `/api/skus/${path.sku}/timeline`;
  return httpEvent({
    routeKey: path.orderId ? 'GET /api/orders/{orderId}/timeline' : 'GET /api/skus/{sku}/timeline',
    rawPath,
    pathParameters: path as Record<string, string>,
    headers,
    queryStringParameters: query,
  });
}

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('the order timeline', () => {
  it('shows the webhook, then the event it produced, in time order; SKUs get their own lines', async () => {
    const body = fixture('shopify/orders-paid.json');
    const paid = parseResponse(
      await shopify(
        httpEvent({
          routeKey: 'POST /webhooks/shopify',
          rawPath: '/webhooks/shopify',
          body,
          headers: {
            'content-type': 'application/json',
            'x-shopify-topic': 'orders/paid',
            'x-shopify-hmac-sha256': signShopify(body, 's1'),
            'x-shopify-webhook-id': 'timeline-paid-1',
            'x-shopify-shop-domain': 'demo.myshopify.com',
          },
        }),
        lambdaContext,
      ),
    );
    expect(paid.statusCode).toBe(200);
    const entries = await deliverPublishedEvents();
    expect(entries.map((e) => e.DetailType)).toEqual(['OrderPaid']);
    // A redelivered event (EventBridge is at-least-once) leaves one line.
    await recordTimeline(asBusEvent(entries[0]!), lambdaContext);

    const res = parseResponse(
      await getTimeline(timelineRequest({ orderId: '450789469001' }, bearer), lambdaContext),
    );
    expect(res.statusCode).toBe(200);
    const items = res.json.items as Array<{
      at: string;
      kind: string;
      name: string;
      detail: Record<string, unknown>;
    }>;
    expect(items.map((i) => [i.kind, i.name])).toEqual([
      ['webhook', 'orders/paid'],
      ['event', 'OrderPaid'],
    ]);
    expect(items[0]?.detail).toMatchObject({
      source: 'shopify',
      deliveryId: 'timeline-paid-1',
      events: ['OrderPaid'],
    });
    expect(items[1]?.detail).toMatchObject({ source: 'storeflow.orders', correlationId: 'timeline-paid-1' });
    expect(Object.keys(items[0]!).sort()).toEqual(['at', 'detail', 'kind', 'name']);

    const sku = parseResponse(
      await getTimeline(timelineRequest({ sku: 'IPOD2008PINK' }, bearer), lambdaContext),
    );
    expect((sku.json.items as Array<{ name: string }>).map((i) => i.name)).toEqual([
      'orders/paid',
      'OrderPaid',
    ]);
  });

  it('keeps later facts after earlier ones and pages with a cursor', async () => {
    // A controllable clock: only Date is faked, so I/O and timers run normally.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-24T08:00:00Z') });
    for (const [i, type] of ['presale.deposit_paid', 'presale.balance_paid'].entries()) {
      const envelope = {
        id: `tl-${type}`,
        type,
        occurredAt: '2026-11-24T00:00:00Z',
        data:
          type === 'presale.deposit_paid'
            ? {
                orderId: 'PAGED',
                presaleId: 'P',
                customerId: 'C',
                amount: { amount: 50000, currency: 'CNY' },
              }
            : { orderId: 'PAGED', amount: { amount: 100000, currency: 'CNY' } },
      };
      const raw = JSON.stringify(envelope);
      const res = parseResponse(
        await storeflow(
          httpEvent({
            routeKey: 'POST /webhooks/storeflow',
            rawPath: '/webhooks/storeflow',
            body: raw,
            headers: {
              'content-type': 'application/json',
              'storeflow-signature': signStoreflow(raw, 's2', Math.floor(Date.now() / 1000)),
            },
          }),
          lambdaContext,
        ),
      );
      expect(res.statusCode, `delivery ${i}`).toBe(200);
      await deliverPublishedEvents();
      vi.setSystemTime(new Date(Date.now() + 60_000));
    }
    vi.useRealTimers();
    const all = parseResponse(
      await getTimeline(timelineRequest({ orderId: 'PAGED' }, bearer), lambdaContext),
    );
    const names = (all.json.items as Array<{ name: string; at: string }>).map((i) => i.name);
    expect(names).toEqual([
      'presale.deposit_paid',
      'PresaleDepositPaid',
      'presale.balance_paid',
      'PresaleBalancePaid',
    ]);
    const ats = (all.json.items as Array<{ at: string }>).map((i) => i.at);
    expect(ats).toEqual([
      '2026-11-24T08:00:00.000Z',
      '2026-11-24T08:00:00.000Z',
      '2026-11-24T08:01:00.000Z',
      '2026-11-24T08:01:00.000Z',
    ]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = parseResponse(
        await getTimeline(
          timelineRequest({ orderId: 'PAGED' }, bearer, { limit: '3', ...(cursor ? { cursor } : {}) }),
          lambdaContext,
        ),
      );
      seen.push(...(page.json.items as Array<{ name: string }>).map((i) => i.name));
      cursor = page.json.nextCursor as string | undefined;
    } while (cursor);
    expect(seen).toEqual(names);
  });

  it('a customer has a timeline too: their registration, on /api/customers/{customerId}/timeline', async () => {
    const raw = JSON.stringify({
      id: 'evt-customer-1',
      type: 'customer.registered',
      occurredAt: new Date().toISOString(),
      data: { customerId: 'C-77', email: 'c77@example.com' },
    });
    const res = parseResponse(
      await storeflow(
        httpEvent({
          routeKey: 'POST /webhooks/storeflow',
          rawPath: '/webhooks/storeflow',
          body: raw,
          headers: {
            'content-type': 'application/json',
            'storeflow-signature': signStoreflow(raw, 's2', Math.floor(Date.now() / 1000)),
          },
        }),
        lambdaContext,
      ),
    );
    expect(res.statusCode).toBe(200);
    await deliverPublishedEvents();
    const page = parseResponse(
      await getTimeline(
        httpEvent({
          routeKey: 'GET /api/customers/{customerId}/timeline',
          rawPath: '/api/customers/C-77/timeline',
          pathParameters: { customerId: 'C-77' },
          headers: bearer,
        }),
        lambdaContext,
      ),
    );
    expect(page.statusCode).toBe(200);
    expect((page.json.items as Array<{ kind: string; name: string }>).map((i) => [i.kind, i.name])).toEqual([
      ['webhook', 'customer.registered'],
      ['event', 'CustomerRegistered'],
    ]);
  });

  it('an unknown key has an empty timeline', async () => {
    const res = parseResponse(await getTimeline(timelineRequest({ orderId: 'nope' }, bearer), lambdaContext));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ items: [] });
  });

  it('refuses a bad limit or a forged cursor with 400 naming the field', async () => {
    const limit = parseResponse(
      await getTimeline(timelineRequest({ orderId: 'PAGED' }, bearer, { limit: '0' }), lambdaContext),
    );
    expect(limit.statusCode).toBe(400);
    expect((limit.json.issues as Array<{ field: string }>)[0]?.field).toBe('limit');
    const forged = Buffer.from(JSON.stringify({ pk: 'ORDER#someone-else', sk: 'TL#' })).toString('base64url');
    const cursor = parseResponse(
      await getTimeline(timelineRequest({ orderId: 'PAGED' }, bearer, { cursor: forged }), lambdaContext),
    );
    expect(cursor.statusCode).toBe(400);
    expect((cursor.json.issues as Array<{ field: string }>)[0]?.field).toBe('cursor');
  });
});

describe('the operations API requires an operator', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-token' }],
    ['a token prefix', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, 5)}` }],
    ['another scheme', { authorization: `Basic ${ADMIN_TOKEN}` }],
  ])('%s → 401', async (_, headers) => {
    const res = parseResponse(await getTimeline(timelineRequest({ orderId: 'x' }, headers), lambdaContext));
    expect(res.statusCode).toBe(401);
    expect(res.headers?.['www-authenticate']).toBe('Bearer');
    expect(res.json.error).toBe('Unauthorized');
  });

  it('accepts a caller an AWS IAM or JWT authorizer already verified', async () => {
    for (const authorizer of [
      { iam: { userArn: 'arn:aws:iam::1:user/ops' } },
      { jwt: { claims: { sub: 'ops' } } },
    ]) {
      const event = httpEvent({
        routeKey: 'GET /api/orders/{orderId}/timeline',
        rawPath: '/api/orders/x/timeline',
        pathParameters: { orderId: 'x' },
        authorizer,
      });
      expect(parseResponse(await getTimeline(event, lambdaContext)).statusCode).toBe(200);
    }
  });
});
