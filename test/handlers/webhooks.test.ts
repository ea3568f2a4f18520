import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { signShopify, signStoreflow } from '#domain/ingestion/signatures';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';
import { fixture } from '../support/fixtures.ts';
import { httpEvent, lambdaContext, parseResponse } from '../support/http-events.ts';

const SHOPIFY_SECRET = 'shpss_test_secret_0123456789';
const STOREFLOW_SECRET = 'sf_test_secret_abcdef';
const eventBridge = mockClient(EventBridgeClient);

let dynamo: LocalDynamo;
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let shopifyHandler: Handler;
let storeflowHandler: Handler;
let recordHandler: Handler;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  Object.assign(process.env, {
    TABLE_NAME: dynamo.tableName,
    EVENT_BUS_NAME: 'storeflow-test-bus',
    SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
    STOREFLOW_WEBHOOK_SECRET: STOREFLOW_SECRET,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  shopifyHandler = (await import('#functions/receive-shopify-webhook.handler')).handler as Handler;
  storeflowHandler = (await import('#functions/receive-storeflow-webhook.handler')).handler as Handler;
  recordHandler = (await import('#functions/record-timeline.handler')).handler as Handler;
});

afterAll(async () => {
  await dynamo.stop();
});

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `eb-${i}` })),
  }));
});

function published(): PutEventsRequestEntry[] {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

/** Runs what was published through the timeline recorder, as the bus's rule would. */
async function recordPublished() {
  for (const entry of published()) {
    await recordHandler(
      { source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail ?? '{}') },
      lambdaContext,
    );
  }
}

let versions = 0;
/**
 * The fixture as a new version of its resource (a later `updated_at`): a different business fact,
 * where sending the same body again would be the same fact (issue #10).
 */
function newVersion(body: string): string {
  const second = ++versions;
  const stamp = `2026-11-23T${String(Math.floor(second / 3600) % 24).padStart(2, '0')}:${String(Math.floor(second / 60) % 60).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}+08:00`;
  return body.replace(/"updated_at": *"[^"]*"/, `"updated_at": "${stamp}"`);
}

let sequence = 0;
function shopifyDelivery(topic: string, body: string, overrides: Record<string, string | undefined> = {}) {
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-hmac-sha256': signShopify(body, SHOPIFY_SECRET),
    'x-shopify-shop-domain': 'storeflow-demo.myshopify.com',
    'x-shopify-webhook-id': `wh-${Date.now()}-${++sequence}`,
    'x-shopify-api-version': '2026-10',
    ...overrides,
  };
  const defined = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return httpEvent({
    routeKey: 'POST /webhooks/shopify',
    rawPath: '/webhooks/shopify',
    body,
    headers: defined,
  });
}

async function callShopify(topic: string, body: string, overrides: Record<string, string | undefined> = {}) {
  return parseResponse(await shopifyHandler(shopifyDelivery(topic, body, overrides), lambdaContext));
}

function storeflowDelivery(envelope: unknown, options: { at?: number; secret?: string; raw?: string } = {}) {
  const body = options.raw ?? JSON.stringify(envelope);
  const t = options.at ?? Math.floor(Date.now() / 1000);
  return httpEvent({
    routeKey: 'POST /webhooks/storeflow',
    rawPath: '/webhooks/storeflow',
    body,
    headers: {
      'content-type': 'application/json',
      'storeflow-signature': signStoreflow(body, options.secret ?? STOREFLOW_SECRET, t),
    },
  });
}

async function callStoreflow(
  envelope: unknown,
  options: { at?: number; secret?: string; raw?: string } = {},
) {
  return parseResponse(await storeflowHandler(storeflowDelivery(envelope, options), lambdaContext));
}

function detailOf(entry: PutEventsRequestEntry) {
  return JSON.parse(entry.Detail ?? '{}') as {
    metadata: Record<string, string>;
    data: Record<string, unknown>;
  };
}

/** A refused request: the given status, and nothing stored or published. */
async function expectRefused(
  call: () => Promise<{ statusCode?: number; json: Record<string, unknown> }>,
  status: number,
) {
  const before = await dynamo.scanAll();
  const res = await call();
  expect(res.statusCode).toBe(status);
  expect(await dynamo.scanAll()).toEqual(before);
  expect(published()).toEqual([]);
  return res;
}

describe('POST /webhooks/shopify with real Shopify payloads', () => {
  it('orders/create → OrderPlaced with the exact 64-bit order id, money in fen and the order on the timeline', async () => {
    const res = await callShopify('orders/create', fixture('shopify/orders-create.json'));
    expect(res.statusCode).toBe(200);
    expect(res.json.outcome).toBe('accepted');
    const [entry] = published();
    expect(entry?.DetailType).toBe('OrderPlaced');
    expect(entry?.Source).toBe('storeflow.orders');
    expect(entry?.EventBusName).toBe('storeflow-test-bus');
    const detail = detailOf(entry!);
    expect(detail.data.orderId).toBe('820982911946154508');
    expect(detail.data.customerId).toBe('115310627314723954');
    expect(detail.data.total).toEqual({ amount: 40800, currency: 'CNY' });
    expect(detail.data.subtotal).toEqual({ amount: 39800, currency: 'CNY' });
    expect(detail.data.lines).toHaveLength(2);
    expect(detail.metadata.correlationId).toBe(res.json.deliveryId);
    expect(detail.metadata.origin).toBe('shopify:storeflow-demo.myshopify.com');

    expect(detail.metadata.delivery).toMatchObject({
      source: 'shopify',
      deliveryId: res.json.deliveryId,
      factKey: 'orders/create:820982911946154508@2026-11-20T10:15:00+08:00',
      name: 'orders/create',
      events: ['OrderPlaced'],
    });

    // The acknowledgement wrote the fact's record, and no timeline line: the recorder does.
    const before = await dynamo.scanAll();
    expect(before.filter((i) => i.entity === 'TimelineEntry' && i.pk === 'ORDER#820982911946154508')).toEqual(
      [],
    );
    const delivery = before.find(
      (i) => i.pk === 'DELIVERY#shopify#orders/create:820982911946154508@2026-11-20T10:15:00+08:00',
    );
    expect(delivery?.status).toBe('PUBLISHED');
    expect(delivery?.deliveryId).toBe(res.json.deliveryId);

    await recordPublished();
    const lines = (await dynamo.scanAll()).filter(
      (i) => i.entity === 'TimelineEntry' && /^(ORDER#820982911946154508|SKU#IPOD2008)/.test(String(i.pk)),
    );
    expect(
      lines
        .filter((i) => i.kind === 'webhook')
        .map((i) => i.pk)
        .sort(),
    ).toEqual(['ORDER#820982911946154508', 'SKU#IPOD2008BLACK', 'SKU#IPOD2008PINK']);
    // Event lines carry a summary of the order, never its lines (a SKU keeps its own line).
    const orderLine = lines.find((i) => i.kind === 'event' && i.pk === 'ORDER#820982911946154508');
    expect(orderLine?.detail).toMatchObject({ data: { orderId: '820982911946154508', linesCount: 2 } });
    expect((orderLine!.detail as { data: Record<string, unknown> }).data.lines).toBeUndefined();
    const skuLine = lines.find((i) => i.kind === 'event' && i.pk === 'SKU#IPOD2008PINK');
    expect((skuLine!.detail as { data: { lines: Array<{ sku: string }> } }).data.lines).toEqual([
      expect.objectContaining({ sku: 'IPOD2008PINK' }),
    ]);
  });

  it('orders/paid → OrderPaid with paidAt from processed_at', async () => {
    const res = await callShopify('orders/paid', fixture('shopify/orders-paid.json'));
    expect(res.statusCode).toBe(200);
    const [entry] = published();
    expect(entry?.DetailType).toBe('OrderPaid');
    expect(detailOf(entry!).data).toMatchObject({
      orderId: '450789469001',
      paidAt: '2026-11-20T10:16:30+08:00',
    });
    // The fixture's discount_codes is empty: the event carries none.
    expect(detailOf(entry!).data).not.toHaveProperty('discountCodes');
  });

  it('orders/paid carries its discount codes (the coupon ledger redeems them), none when empty', async () => {
    const order = JSON.parse(fixture('shopify/orders-paid.json')) as Record<string, unknown>;
    const withCodes = JSON.stringify({
      ...order,
      id: 450789469077,
      discount_codes: [
        { code: 'REF-1A2B3C4D5E6F', amount: '20.00', type: 'fixed_amount' },
        { code: 'REF-1A2B3C4D5E6F', amount: '20.00', type: 'fixed_amount' },
      ],
    });
    const res = await callShopify('orders/paid', withCodes);
    expect(res.statusCode).toBe(200);
    const [entry] = published();
    expect(detailOf(entry!).data).toMatchObject({
      orderId: '450789469077',
      discountCodes: ['REF-1A2B3C4D5E6F'],
    });
  });

  it('orders/cancelled → OrderCancelled with reason and SKUs', async () => {
    const res = await callShopify('orders/cancelled', fixture('shopify/orders-cancelled.json'));
    expect(res.statusCode).toBe(200);
    const [entry] = published();
    expect(entry?.DetailType).toBe('OrderCancelled');
    expect(detailOf(entry!).data).toEqual({
      orderId: '450789469001',
      reason: 'customer',
      cancelledAt: '2026-11-20T12:00:00+08:00',
      skus: ['IPOD2008PINK', 'IPOD2008BLACK'],
    });
  });

  it('fulfillments/create → ShipmentDispatched with carrier and tracking', async () => {
    const res = await callShopify('fulfillments/create', fixture('shopify/fulfillments-create.json'));
    expect(res.statusCode).toBe(200);
    const [entry] = published();
    expect(entry?.DetailType).toBe('ShipmentDispatched');
    expect(entry?.Source).toBe('storeflow.fulfilment');
    expect(detailOf(entry!).data).toMatchObject({
      orderId: '450789469001',
      shipmentId: '255858046',
      carrier: 'SF Express',
      trackingNumber: 'SF1234567890',
      lines: [{ sku: 'IPOD2008PINK', quantity: 1 }],
    });
  });

  it('fulfillments/update delivered → OrderDelivered; not delivered → recorded with no event', async () => {
    const delivered = await callShopify(
      'fulfillments/update',
      fixture('shopify/fulfillments-update-delivered.json'),
    );
    expect(delivered.statusCode).toBe(200);
    expect(published().map((e) => e.DetailType)).toEqual(['OrderDelivered']);

    eventBridge.resetHistory();
    const inTransit = JSON.parse(fixture('shopify/fulfillments-update-delivered.json'));
    inTransit.shipment_status = 'in_transit';
    const res = await callShopify('fulfillments/update', JSON.stringify(inTransit));
    expect(res.statusCode).toBe(200);
    expect(res.json.outcome).toBe('accepted');
    expect(res.json.eventIds).toEqual([]);
    // Nothing is published, so the acknowledgement writes the webhook line itself.
    const items = await dynamo.scanAll();
    expect(
      items.some(
        (i) =>
          i.pk === 'ORDER#450789469001' &&
          i.kind === 'webhook' &&
          i.name === 'fulfillments/update' &&
          (i.detail as { deliveryId: string }).deliveryId === res.json.deliveryId,
      ),
    ).toBe(true);
  });

  it('refunds/create → RefundIssued summing successful refund transactions', async () => {
    const res = await callShopify('refunds/create', fixture('shopify/refunds-create.json'));
    expect(res.statusCode).toBe(200);
    const [entry] = published();
    expect(entry?.DetailType).toBe('RefundIssued');
    expect(detailOf(entry!).data).toMatchObject({
      orderId: '450789469001',
      refundId: '929361465',
      amount: { amount: 19900, currency: 'CNY' },
      lines: [{ sku: 'IPOD2008BLACK', quantity: 1 }],
    });
  });

  it('inventory_levels/update → StockLevelChanged, with the SKU once products/update taught it', async () => {
    const before = await callShopify(
      'inventory_levels/update',
      fixture('shopify/inventory-levels-update.json'),
    );
    expect(before.statusCode).toBe(200);
    expect(detailOf(published()[0]!).data).toMatchObject({
      sku: null,
      inventoryItemId: '271878346596884015',
      available: 7,
    });

    eventBridge.resetHistory();
    const product = await callShopify('products/update', fixture('shopify/products-update.json'));
    expect(product.statusCode).toBe(200);
    expect(published()[0]?.DetailType).toBe('ProductUpdated');
    expect(detailOf(published()[0]!).data).toMatchObject({
      productId: '788032119674292922',
      variants: [{ sku: 'TSHIRT-RED-M', price: { amount: 1999, currency: 'CNY' } }, { sku: null }],
    });

    eventBridge.resetHistory();
    // The same level again is the same fact: nothing new.
    const same = await callShopify(
      'inventory_levels/update',
      fixture('shopify/inventory-levels-update.json'),
    );
    expect(same.json.outcome).toBe('duplicate');
    expect(published()).toEqual([]);
    const after = await callShopify(
      'inventory_levels/update',
      newVersion(fixture('shopify/inventory-levels-update.json')),
    );
    expect(after.statusCode).toBe(200);
    const [entry] = published();
    expect(entry?.DetailType).toBe('StockLevelChanged');
    expect(detailOf(entry!).data).toMatchObject({
      sku: 'TSHIRT-RED-M',
      locationId: '24826418',
      available: 7,
    });
  });
});

describe('POST /webhooks/shopify refusals change nothing stored', () => {
  it('a forged signature → 401', async () => {
    const body = fixture('shopify/orders-paid.json');
    const res = await expectRefused(
      () =>
        callShopify('orders/paid', body, { 'x-shopify-hmac-sha256': signShopify(body, 'not-the-secret') }),
      401,
    );
    expect(res.json.error).toBe('InvalidSignature');
  });

  it('a signature of a different body → 401', async () => {
    const body = fixture('shopify/orders-paid.json');
    const tampered = body.replace('"408.00"', '"0.01"');
    await expectRefused(
      () =>
        callShopify('orders/paid', tampered, { 'x-shopify-hmac-sha256': signShopify(body, SHOPIFY_SECRET) }),
      401,
    );
  });

  it('a missing signature → 401', async () => {
    const res = await expectRefused(
      () =>
        callShopify('orders/paid', fixture('shopify/orders-paid.json'), {
          'x-shopify-hmac-sha256': undefined,
        }),
      401,
    );
    expect(res.json.message).toMatch(/missing X-Shopify-Hmac-Sha256/);
  });

  it('a non-JSON body (correctly signed) → 400', async () => {
    const res = await expectRefused(() => callShopify('orders/paid', '{"id": 1, "total_price": '), 400);
    expect(res.json.error).toBe('MalformedBody');
  });

  it('a schema violation → 400 naming the field', async () => {
    const order = JSON.parse(fixture('shopify/orders-paid.json'));
    order.total_price = 408.5;
    order.line_items[1].quantity = -1;
    const res = await expectRefused(() => callShopify('orders/paid', JSON.stringify(order)), 400);
    expect(res.json.error).toBe('ValidationError');
    const fields = (res.json.issues as Array<{ field: string }>).map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['total_price', 'line_items.1.quantity']));
  });

  it('an unsupported topic → 400 naming the header', async () => {
    const res = await expectRefused(() => callShopify('carts/update', '{}'), 400);
    expect((res.json.issues as Array<{ field: string }>)[0]?.field).toBe('X-Shopify-Topic');
  });

  it('a missing webhook id → 400 naming the header', async () => {
    const res = await expectRefused(
      () =>
        callShopify('orders/paid', fixture('shopify/orders-paid.json'), {
          'x-shopify-webhook-id': undefined,
        }),
      400,
    );
    expect((res.json.issues as Array<{ field: string }>)[0]?.field).toBe('X-Shopify-Webhook-Id');
  });

  it('a body over 256 KB → 413', async () => {
    const order = JSON.parse(fixture('shopify/orders-paid.json'));
    order.note = 'x'.repeat(256 * 1024);
    await expectRefused(() => callShopify('orders/paid', JSON.stringify(order)), 413);
  });

  it('a repeated delivery id → 200 with no second effect', async () => {
    const body = newVersion(fixture('shopify/orders-paid.json'));
    const id = `wh-duplicate-${Date.now()}`;
    const first = await callShopify('orders/paid', body, { 'x-shopify-webhook-id': id });
    expect(first.statusCode).toBe(200);
    expect(first.json.outcome).toBe('accepted');
    const afterFirst = await dynamo.scanAll();
    eventBridge.resetHistory();

    const second = await callShopify('orders/paid', body, { 'x-shopify-webhook-id': id });
    expect(second.statusCode).toBe(200);
    expect(second.json.outcome).toBe('duplicate');
    expect(second.json.eventIds).toEqual(first.json.eventIds);
    expect(published()).toEqual([]);
    expect(await dynamo.scanAll()).toEqual(afterFirst);
  });
});

describe('POST /webhooks/storeflow', () => {
  const deposit = (id: string) => ({
    id,
    type: 'presale.deposit_paid',
    occurredAt: '2026-11-24T02:00:00Z',
    data: {
      orderId: `PO-${id}`,
      presaleId: 'SOFA-2026',
      customerId: 'C-42',
      amount: { amount: 50000, currency: 'CNY' },
    },
  });

  it('presale.deposit_paid → PresaleDepositPaid on the bus and the order timeline', async () => {
    const res = await callStoreflow(deposit('evt-dep-1'));
    expect(res.statusCode).toBe(200);
    await recordPublished();
    const [entry] = published();
    expect(entry?.DetailType).toBe('PresaleDepositPaid');
    expect(entry?.Source).toBe('storeflow.presale');
    expect(detailOf(entry!).data).toEqual({
      orderId: 'PO-evt-dep-1',
      presaleId: 'SOFA-2026',
      customerId: 'C-42',
      amount: { amount: 50000, currency: 'CNY' },
      paidAt: '2026-11-24T02:00:00Z',
    });
    const items = await dynamo.scanAll();
    expect(
      items.some(
        (i) => i.pk === 'ORDER#PO-evt-dep-1' && i.kind === 'webhook' && i.name === 'presale.deposit_paid',
      ),
    ).toBe(true);
  });

  it.each([
    [
      'presale.balance_paid',
      { orderId: 'O1', amount: { amount: 150000, currency: 'CNY' } },
      'PresaleBalancePaid',
    ],
    ['presale.cancelled', { orderId: 'O1', reason: 'changed mind' }, 'PresaleCancelled'],
    [
      'ticket.opened',
      { ticketId: 'T1', orderId: 'O1', customerId: 'C1', subject: 'broken leg' },
      'TicketOpened',
    ],
    ['ticket.responded', { ticketId: 'T1' }, 'TicketResponded'],
    ['ticket.resolved', { ticketId: 'T1', orderId: 'O1' }, 'TicketResolved'],
    ['installation.completed', { orderId: 'O1', sku: 'SOFA-GREY' }, 'InstallationCompleted'],
    ['delivery.completed', { orderId: 'O1' }, 'OrderDelivered'],
    [
      'competitor.price_observed',
      { sku: 'SOFA-GREY', competitor: 'jd', price: { amount: 299900, currency: 'CNY' } },
      'CompetitorPriceObserved',
    ],
    [
      'customer.registered',
      { customerId: 'C-9', email: 'c9@example.com', referralCode: 'r1abcdefg', ip: '203.0.113.7' },
      'CustomerRegistered',
    ],
  ])('%s → %s', async (type, data, detailType) => {
    const res = await callStoreflow({
      id: `evt-${type}-${Date.now()}`,
      type,
      occurredAt: '2026-11-24T03:00:00Z',
      data,
    });
    expect(res.statusCode).toBe(200);
    expect(published().map((e) => e.DetailType)).toEqual([detailType]);
  });

  it('a forged signature → 401', async () => {
    await expectRefused(() => callStoreflow(deposit('evt-forged'), { secret: 'wrong' }), 401);
  });

  it('a missing signature → 401', async () => {
    const event = storeflowDelivery(deposit('evt-unsigned'));
    delete event.headers['storeflow-signature'];
    await expectRefused(async () => parseResponse(await storeflowHandler(event, lambdaContext)), 401);
  });

  it('a stale timestamp (301 s old) or one from the future → 401; 300 s old is accepted', async () => {
    // The handler reads the process clock: hold it still (Date only; timers and I/O run as usual), so
    // a loaded machine's seconds between the signature and the check cannot move the answer.
    vi.useFakeTimers({ toFake: ['Date'], now: Math.floor(Date.now() / 1000) * 1000 });
    try {
      const now = Math.floor(Date.now() / 1000);
      const stale = await expectRefused(() => callStoreflow(deposit('evt-stale'), { at: now - 301 }), 401);
      expect(stale.json.message).toMatch(/replay window/);
      await expectRefused(() => callStoreflow(deposit('evt-future'), { at: now + 301 }), 401);
      const fresh = await callStoreflow(deposit('evt-300'), { at: now - 300 });
      expect(fresh.statusCode).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a non-JSON body → 400', async () => {
    const res = await expectRefused(() => callStoreflow(null, { raw: 'id=1&type=presale' }), 400);
    expect(res.json.error).toBe('MalformedBody');
  });

  it('a schema violation → 400 naming the field', async () => {
    const bad = deposit('evt-bad');
    (bad.data.amount as { amount: number }).amount = 500.5;
    const res = await expectRefused(() => callStoreflow(bad), 400);
    expect(res.json.issues).toEqual([
      { field: 'data.amount.amount', reason: expect.stringMatching(/integer/) },
    ]);
  });

  it('customer.registered: a bad email, phone, code or IP → 400 naming each field', async () => {
    const res = await expectRefused(
      () =>
        callStoreflow({
          id: 'evt-bad-customer',
          type: 'customer.registered',
          occurredAt: '2026-11-24T03:00:00Z',
          data: {
            customerId: 'C-1',
            email: 'not-an-email',
            phone: 'call me',
            referralCode: 'R-1',
            ip: '999.1.1.1',
          },
        }),
      400,
    );
    expect((res.json.issues as Array<{ field: string }>).map((i) => i.field).sort()).toEqual([
      'data.email',
      'data.ip',
      'data.phone',
      'data.referralCode',
    ]);
  });

  it('an unknown type → 400 naming `type`', async () => {
    const res = await expectRefused(
      () => callStoreflow({ ...deposit('evt-unknown'), type: 'presale.exploded' }),
      400,
    );
    expect((res.json.issues as Array<{ field: string }>)[0]?.field).toBe('type');
  });

  it('a body over 256 KB → 413', async () => {
    const big = {
      ...deposit('evt-big'),
      data: { ...deposit('evt-big').data, padding: 'x'.repeat(257 * 1024) },
    };
    await expectRefused(() => callStoreflow(big), 413);
  });

  it('a repeated id → 200 with no second effect', async () => {
    const first = await callStoreflow(deposit('evt-dup'));
    expect(first.json.outcome).toBe('accepted');
    const snapshot = await dynamo.scanAll();
    eventBridge.resetHistory();
    const again = await callStoreflow(deposit('evt-dup'));
    expect(again.statusCode).toBe(200);
    expect(again.json.outcome).toBe('duplicate');
    expect(published()).toEqual([]);
    expect(await dynamo.scanAll()).toEqual(snapshot);
  });

  it('a bus failure → 500 with nothing leaked; the platform retry completes the delivery once', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('EventBridge is down at arn:aws:events:secret'));
    const failed = await callStoreflow(deposit('evt-bus-down'));
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toMatch(/arn:aws/);
    const stored = (await dynamo.scanAll()).find((i) => i.pk === 'DELIVERY#storeflow#evt-bus-down');
    expect(stored?.status).toBe('RECEIVED');
  });
});

describe('event identity follows the business fact, not the delivery (issue #10)', () => {
  it('the same signed body under three new X-Shopify-Webhook-Id values publishes one OrderPaid', async () => {
    const body = newVersion(fixture('shopify/orders-paid.json'));
    const results = [];
    for (const id of ['replay-a', 'replay-b', 'replay-c']) {
      results.push(await callShopify('orders/paid', body, { 'x-shopify-webhook-id': `${id}-${versions}` }));
    }
    expect(results.map((r) => [r.statusCode, r.json.outcome])).toEqual([
      [200, 'accepted'],
      [200, 'duplicate'],
      [200, 'duplicate'],
    ]);
    expect(published().map((e) => e.DetailType)).toEqual(['OrderPaid']);
    expect(new Set(results.map((r) => JSON.stringify(r.json.eventIds))).size).toBe(1);
  });

  it('two copies of X-Shopify-Webhook-Id (joined by a comma) are refused, not merged into a new key', async () => {
    const res = await expectRefused(
      () =>
        callShopify('orders/paid', newVersion(fixture('shopify/orders-paid.json')), {
          'x-shopify-webhook-id': 'id-one, id-two',
        }),
      400,
    );
    expect(res.json.issues).toEqual([
      { field: 'X-Shopify-Webhook-Id', reason: expect.stringMatching(/single delivery id/) },
    ]);
  });

  it('a known delivery id with a different body is answered with a warning and recorded', async () => {
    const id = `reused-${Date.now()}`;
    const first = await callShopify('orders/paid', newVersion(fixture('shopify/orders-paid.json')), {
      'x-shopify-webhook-id': id,
    });
    expect(first.json.outcome).toBe('accepted');
    const second = await callShopify('orders/paid', newVersion(fixture('shopify/orders-paid.json')), {
      'x-shopify-webhook-id': id,
    });
    expect(second.statusCode).toBe(200);
    expect(second.json.warning).toMatch(new RegExp(`delivery id ${id} was first received .* different body`));
    const reuse = (await dynamo.scanAll()).filter((i) => i.pk === `DELIVERYID#shopify#${id}`);
    expect(reuse.map((i) => i.sk)).toEqual([
      expect.stringMatching(/^DELIVERYID$/),
      expect.stringMatching(/^REUSE#/),
    ]);
  });

  it('a body that is not JSON by its Content-Type → 415, nothing stored', async () => {
    const body = newVersion(fixture('shopify/orders-paid.json'));
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', undefined]) {
      const res = await expectRefused(() => callShopify('orders/paid', body, { 'content-type': type }), 415);
      expect(res.json.error).toBe('UnsupportedMediaType');
    }
    const ok = await callShopify('orders/paid', body, { 'content-type': 'application/json; charset=utf-8' });
    expect(ok.statusCode).toBe(200);
  });
});
