import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';
import { httpEvent, lambdaContext, parseResponse } from '../support/http-events.ts';

/**
 * The metrics handlers over dynalite: `POST /events/storefront` (and its preflight) with the write
 * key from the environment, the metrics API behind the admin token, and the bus consumer.
 */
const KEY = 'wk_test_0123456789abcdef';
const ADMIN = 'admin-token-for-tests';
let dynamo: LocalDynamo;
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let storefront: Handler;
let api: Handler;
let events: Handler;

beforeAll(async () => {
  dynamo = await startLocalDynamo('metrics-handlers');
  Object.assign(process.env, {
    TABLE_NAME: dynamo.tableName,
    STORE_TIME_ZONE: 'Asia/Shanghai',
    STORE_CURRENCY: 'CNY',
    STOREFLOW_WRITE_KEY: `${KEY} wk_previous_key`,
    STOREFRONT_ORIGINS: 'https://shop.example.com',
    STOREFRONT_EVENTS_PER_SECOND: '1000',
    STOREFLOW_ADMIN_TOKEN: ADMIN,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  storefront = (await import('#functions/receive-storefront-events.handler')).handler as Handler;
  api = (await import('#functions/metrics-api.handler')).handler as Handler;
  events = (await import('#functions/metrics-events.handler')).handler as Handler;
});
afterAll(async () => {
  await dynamo.stop();
});

const now = Date.now();
const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
const post = async (body: unknown, headers: Record<string, string> = {}) =>
  parseResponse(
    await storefront(
      httpEvent({
        routeKey: 'POST /events/storefront',
        rawPath: '/events/storefront',
        body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: { 'content-type': 'application/json', 'x-storeflow-write-key': KEY, ...headers },
      }),
      lambdaContext,
    ),
  );
const get = async (path: string, query: Record<string, string> = {}) =>
  parseResponse(
    await api(
      httpEvent({
        routeKey: `GET ${path}`,
        rawPath: path,
        queryStringParameters: query,
        headers: { authorization: `Bearer ${ADMIN}` },
      }),
      lambdaContext,
    ),
  );

describe('POST /events/storefront', () => {
  it('answers 202 with each event’s outcome; a repeat is a duplicate; a bad event names its field', async () => {
    const batch = {
      events: [
        { eventId: 'h1', type: 'visit', at: at(5), userId: '42', sessionId: 's', channel: 'ads' },
        { eventId: 'h2', type: 'product_view', at: at(4), userId: '42', sessionId: 's', channel: 'ads' },
        {
          eventId: 'h3',
          type: 'add_to_cart',
          at: at(3),
          anonymousId: 'a1',
          sessionId: 's2',
          channel: 'search',
        },
      ],
    };
    const first = await post(batch, { origin: 'https://shop.example.com' });
    expect(first.statusCode).toBe(202);
    expect(first.headers?.['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(first.json).toMatchObject({
      accepted: 2,
      duplicates: 0,
      rejected: 1,
      results: [
        { index: 0, eventId: 'h1', status: 'accepted' },
        {
          index: 1,
          eventId: 'h2',
          status: 'rejected',
          field: 'events.1.sku',
          reason: 'a product_view names its sku',
        },
        { index: 2, eventId: 'h3', status: 'accepted' },
      ],
    });
    const again = await post(batch);
    expect((again.json as { duplicates: number }).duplicates).toBe(2);
  });

  it('refuses a wrong key (401), a form body (415), 501 events (413) and too many per second (429)', async () => {
    const one = {
      events: [{ eventId: 'x', type: 'visit', at: at(1), userId: '1', sessionId: 's', channel: 'ads' }],
    };
    const wrong = await post(one, { 'x-storeflow-write-key': 'nope', origin: 'https://shop.example.com' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers?.['access-control-allow-origin']).toBe('https://shop.example.com');
    expect((await post(one, { 'x-storeflow-write-key': 'wk_previous_key' })).statusCode).toBe(202);
    expect((await post('a=b', { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(415);
    const big = await post({ events: Array.from({ length: 501 }, () => one.events[0]) });
    expect(big.statusCode).toBe(413);
    expect(big.json).toMatchObject({ error: 'PayloadTooLarge', issues: [{ field: 'events' }] });
    // 1,000 events per second per key: two full batches of bad events, then the window is spent.
    // The limiter reads the process clock: hold it still (Date only; timers and I/O run as usual),
    // so a loaded machine's seconds between the batches cannot open a new window (it failed so).
    vi.useFakeTimers({ toFake: ['Date'], now: Math.floor(Date.now() / 1000) * 1000 });
    try {
      const bad = { events: Array.from({ length: 500 }, () => ({})) };
      let refused: Awaited<ReturnType<typeof post>> | undefined;
      for (let i = 0; i < 4 && !refused; i++) {
        const r = await post(bad);
        if (r.statusCode === 429) refused = r;
        else expect(r.statusCode).toBe(202);
      }
      expect(refused?.headers?.['retry-after']).toBe('1');
      expect(refused?.json).toMatchObject({ error: 'RateLimited' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers the preflight of a configured origin (204) and refuses another origin (403)', async () => {
    const pre = parseResponse(
      await storefront(
        httpEvent({
          routeKey: 'OPTIONS /events/storefront',
          rawPath: '/events/storefront',
          headers: { origin: 'https://shop.example.com' },
        }),
        lambdaContext,
      ),
    );
    expect(pre.statusCode).toBe(204);
    expect(pre.headers?.['access-control-allow-headers']).toContain('x-storeflow-write-key');
    const evil = await post({ events: [] }, { origin: 'https://evil.example.com' });
    expect(evil.statusCode).toBe(403);
  });
});

describe('the metrics API and the bus consumer', () => {
  it('keeps a paid order from the bus and shows it in the funnel and GMV with the period and time zone', async () => {
    const paidAt = at(1);
    const detail = (data: unknown, eventId: string) => ({
      source: 'storeflow.orders',
      'detail-type': 'OrderPaid',
      detail: {
        data,
        metadata: { eventId, publishedAt: paidAt, correlationId: 'd-1', origin: 'shopify:test' },
      },
    });
    const order = {
      orderId: '5001',
      orderName: null,
      shopDomain: null,
      customerId: '42',
      total: { amount: 19_900, currency: 'CNY' },
      subtotal: { amount: 19_900, currency: 'CNY' },
      lines: [
        {
          sku: 'SKU-1',
          productId: null,
          variantId: null,
          title: 't',
          quantity: 1,
          unitPrice: { amount: 19_900, currency: 'CNY' },
        },
      ],
      shippingRegion: null,
      placedAt: paidAt,
      paidAt,
    };
    await events(detail(order, 'e-1'), lambdaContext);
    await events(detail(order, 'e-1'), lambdaContext); // at-least-once: again
    const funnel = await get('/api/metrics/funnel');
    expect(funnel.statusCode).toBe(200);
    expect(funnel.json).toMatchObject({ timeZone: 'Asia/Shanghai', period: { timeZone: 'Asia/Shanghai' } });
    const g = await get('/api/metrics/gmv', { by: 'channel' });
    expect((g.json as { total: unknown }).total).toMatchObject({ orders: 1, gmv: 19_900, aov: 19_900 });
    expect((g.json as { rows: Array<{ key: string }> }).rows.find((r) => r.key === 'ads')).toMatchObject({
      orders: 1,
      traffic: 2,
      conversionBps: 5_000,
    });
  });

  it('refuses bad parameters with 400 naming the field, and a caller without the token with 401', async () => {
    expect((await get('/api/metrics/gmv', { by: 'week' })).json).toMatchObject({ issues: [{ field: 'by' }] });
    expect((await get('/api/metrics/funnel', { from: '2026-13-01' })).json).toMatchObject({
      issues: [{ field: 'from' }],
    });
    expect((await get('/api/metrics/funnel', { from: '2026-12-02', to: '2026-12-01' })).json).toMatchObject({
      issues: [{ field: 'to' }],
    });
    expect((await get('/api/metrics/funnel', { from: '2026-01-01', to: '2026-12-01' })).json).toMatchObject({
      issues: [{ field: 'to' }],
    });
    expect((await get('/api/metrics/funnel', { channel: 'a b' })).json).toMatchObject({
      issues: [{ field: 'channel' }],
    });
    expect((await get('/api/metrics/funnel', { since: 'x' })).json).toMatchObject({
      issues: [{ field: 'since' }],
    });
    expect((await get('/api/metrics/retention', { cohort: 'week' })).json).toMatchObject({
      issues: [{ field: 'cohort' }],
    });
    const anonymous = parseResponse(
      await api(
        httpEvent({ routeKey: 'GET /api/metrics/funnel', rawPath: '/api/metrics/funnel' }),
        lambdaContext,
      ),
    );
    expect(anonymous.statusCode).toBe(401);
  });

  it('PUT /api/channels/{id} stores spend; channels show GMV, spend and ROI', async () => {
    const today = new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
    const put = async (body: unknown) =>
      parseResponse(
        await api(
          httpEvent({
            routeKey: 'PUT /api/channels/{channelId}',
            rawPath: '/api/channels/ads',
            pathParameters: { channelId: 'ads' },
            body: JSON.stringify(body),
            headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          }),
          lambdaContext,
        ),
      );
    expect((await put({ name: 'Ads', spend: [{ day: today, amount: -1 }] })).json).toMatchObject({
      issues: [{ field: 'spend.0.amount' }],
    });
    expect((await put({ name: 'Ads', spend: [{ day: today, amount: 5_000 }] })).statusCode).toBe(201);
    expect((await put({ name: 'Ads', spend: [{ day: today, amount: 9_950 }] })).statusCode).toBe(200);
    const channels = await get('/api/metrics/channels');
    expect((channels.json as { rows: unknown[] }).rows).toContainEqual(
      expect.objectContaining({ channelId: 'ads', name: 'Ads', gmv: 19_900, spend: 9_950, roiBps: 20_000 }),
    );
    const st = await get('/api/metrics/sell-through');
    expect(st.json).toMatchObject({ skusWithSales: 1 });
    const rt = await get('/api/metrics/retention');
    expect(rt.statusCode).toBe(200);
    expect((rt.json as { cohorts: Array<{ customers: number }> }).cohorts.at(-1)?.customers).toBe(1);
  });
});
