import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListRulesCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { assemblyWithDisabled } from '#test/support/assembly-variant';
import { BALANCE_DUE, DEPOSIT, presaleBody } from '#test/support/presale-client';
import { dispatchedPayload, orderPaidPayload, type SlaClient, slaClient } from '#test/support/sla-client';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * SLA-breach compensation (issue #12) end to end on the local runtime with the virtual clock: the
 * real app, driven through signed Shopify and storeflow webhooks, the operations API and the clock.
 * Promises wait on EventBridge Scheduler one-time schedules the runtime serves. The tests share one
 * store and run in order; the clock only moves forward.
 */
let runtime: Runtime;
let dataDir: string;
let app: ReturnType<typeof assemblyWithDisabled>;
let sf: SlaClient;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const iso = (ms: number) => new Date(ms).toISOString();
/** The instant the store's (Shanghai, UTC+8) clock shows `hh:mm` on the store day of `at`. */
const localOn = (at: number, hhmm: string) => Date.parse(`${sf.storeDate(at)}T${hhmm}:00.000+08:00`);
let start = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-sla-'));
  // The app without the restock sweep's and the repricing run's clocks: the promises wait on their
  // own Scheduler timers, and nothing here asserts what those clocks start (over the days this
  // file advances through, a tick of each every quarter hour and a daily sweep). The members'
  // clocks stay: a compensation reads the customer's member tier.
  app = assemblyWithDisabled(inject('appAssembly'), {
    schedules: ['RestockSweepSchedule', 'RepricingRunSchedule'],
  });
  runtime = await startRuntime({ assemblyDir: app.dir, dataDir, port: 0, clock: 'virtual' });
  sf = slaClient(runtime.url, dataDir);
  await sf.ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
  for (const [sku, category] of [
    ['MILK', 'fresh-food'],
    ['PILL', 'medicine'],
    ['SOFA', 'furniture'],
    ['BOOK', 'books'],
  ]) {
    await sf.ok('PUT', `/api/skus/${sku}`, {
      title: sku,
      category,
      onHand: 1_000,
      supply: [{ supplierId: 'S1', unitCost: cny(100), casePack: 1, minOrderQty: 0 }],
    });
  }
  start = await sf.advanceToLocal('08:00');
});

afterAll(async () => {
  sf?.close();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
  app?.remove();
});

describe('SLA compensation on the local runtime', () => {
  it('same day: paid 11:30 and not delivered by 18:00 → one coupon; paid 12:01 → NOT_ELIGIBLE; dispatched in time → KEPT', async () => {
    const paidAt = await sf.advanceToLocal('11:30');
    await sf.paid(810_001, paidAt, { lines: { MILK: 1, BOOK: 2 }, customerId: 42 });
    const latePaid = await sf.advanceToLocal('12:01');
    await sf.paid(810_002, latePaid, { lines: { MILK: 1 } });
    await sf.settle();

    const eighteen = localOn(paidAt, '18:00');
    const open = await sf.promises('orders', 810_001);
    expect(open.map((p) => [p.policyId, p.status, p.deadline]).sort()).toEqual([
      ['dispatch-24h', 'OPEN', iso(paidAt + DAY)],
      ['next-day-delivery', 'OPEN', iso(localOn(paidAt + DAY, '23:59'))],
      ['same-day-delivery', 'OPEN', iso(eighteen)],
    ]);
    const late = await sf.promise('orders', 810_002, 'same-day-delivery');
    expect(late).toMatchObject({ status: 'NOT_ELIGIBLE', deadline: null, compensation: null });
    expect(late.reason).toMatch(/12:00 cutoff/);

    const dispatchedAt = await sf.advanceToLocal('14:00');
    await sf.dispatched(810_001, dispatchedAt);
    await sf.settle();
    expect(await sf.promise('orders', 810_001, 'dispatch-24h')).toMatchObject({
      status: 'KEPT',
      fulfilledAt: iso(dispatchedAt),
      compensation: null,
    });

    // The timer fires five minutes after the deadline; the breach is dated at the deadline.
    await sf.advanceToLocal('18:04');
    await sf.settle();
    expect((await sf.promise('orders', 810_001, 'same-day-delivery')).status).toBe('OPEN');
    await sf.advanceToLocal('18:06');
    await sf.settle();
    const breached = await sf.promise('orders', 810_001, 'same-day-delivery');
    expect(breached).toMatchObject({
      status: 'BREACHED',
      breachedAt: iso(eighteen),
      fulfilledAt: null,
      compensation: {
        type: 'coupon',
        amount: cny(2_000),
        requested: cny(2_000),
        capped: false,
        lateSeconds: 0,
        multiplierBps: 10_000,
        rule: 'sla/1',
      },
      policyVersion: 0,
    });
    expect(breached.compensation.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);

    // Delivered at 19:10: recorded as late by 70 minutes; the breach and its coupon stand.
    const deliveredAt = await sf.advanceToLocal('19:10');
    await sf.delivered(810_001, deliveredAt);
    await sf.settle();
    const lateDelivery = await sf.promise('orders', 810_001, 'same-day-delivery');
    expect(lateDelivery).toMatchObject({
      status: 'BREACHED',
      fulfilledAt: iso(deliveredAt),
      lateSeconds: 4_200,
      compensation: { amount: cny(2_000), idempotencyKey: breached.compensation.idempotencyKey },
    });
    expect((await sf.promise('orders', 810_001, 'next-day-delivery')).status).toBe('KEPT');

    const timeline = await sf.timelineOf('orders', 810_001);
    const lines = (name: string) => timeline.filter((l) => l.name === name);
    // Three made at payment, and installation-48h at delivery (no furniture: NOT_ELIGIBLE).
    expect(lines('PromiseRegistered')).toHaveLength(4);
    expect((await sf.promise('orders', 810_001, 'installation-48h')).status).toBe('NOT_ELIGIBLE');
    expect(lines('PromiseRegistered').every((l) => l.kind === 'promise')).toBe(true);
    expect(lines('PromiseKept')).toHaveLength(2);
    expect(lines('SlaBreached')).toHaveLength(1);
    expect(lines('CompensationIssued')).toHaveLength(1);
    expect(lines('CompensationIssued')[0]).toMatchObject({
      kind: 'compensation',
      detail: {
        data: {
          policyId: 'same-day-delivery',
          amount: cny(2_000),
          idempotencyKey: breached.compensation.idempotencyKey,
          customerId: '42',
        },
      },
    });
  });

  it('delivered late before the timer fires: compensated at once, and once', async () => {
    const paidAt = await sf.advanceToLocal('10:00');
    await sf.paid(810_003, paidAt, { lines: { PILL: 1 } });
    await sf.settle();
    const deliveredAt = await sf.advanceToLocal('18:02');
    await sf.delivered(810_003, deliveredAt);
    await sf.settle();
    // A fixed coupon is decided at the breach (its receipt's lateness is 0); the promise records
    // the delivery's.
    expect(await sf.promise('orders', 810_003, 'same-day-delivery')).toMatchObject({
      status: 'BREACHED',
      fulfilledAt: iso(deliveredAt),
      lateSeconds: 120,
      compensation: { amount: cny(2_000), lateSeconds: 0 },
    });
    await sf.advanceToLocal('18:30'); // the timer fires into a settled promise
    await sf.settle();
    expect(await sf.compensations(810_003)).toHaveLength(1);
  });

  it('a delivery handled before its OrderPaid is retried a minute later: the installation promise is made', async () => {
    const deliveredAt = await sf.advanceToLocal('19:00');
    await sf.delivered(810_050, deliveredAt);
    await sf.settle();
    // The order is not known yet: the SLA function failed and waits for Lambda's retry.
    expect((await sf.promises('orders', 810_050)).map((p) => p.policyId)).not.toContain('installation-48h');
    await sf.paid(810_050, deliveredAt - 2 * HOUR, { lines: { SOFA: 1 } });
    await sf.settle();
    await sf.advance(60);
    await sf.settle();
    expect(await sf.promise('orders', 810_050, 'installation-48h')).toMatchObject({
      status: 'OPEN',
      deadline: iso(deliveredAt + 48 * HOUR),
    });
  });

  it('a ticket answered late: the first-response promise pays on the order’s cap', async () => {
    const openedAt = await sf.now();
    const opened = await sf.storeflow(
      'ticket.opened',
      { ticketId: 'T-1', orderId: '810001', customerId: '42', subject: 'Milk was warm' },
      openedAt,
    );
    expect(opened.status).toBe(200);
    await sf.settle();
    expect((await sf.promises('tickets', 'T-1')).map((p) => [p.policyId, p.status]).sort()).toEqual([
      ['ticket-first-response', 'OPEN'],
      ['ticket-resolution', 'OPEN'],
    ]);
    await sf.advance(2.5 * 3600);
    const answeredAt = await sf.now();
    await sf.storeflow('ticket.responded', { ticketId: 'T-1', orderId: '810001' }, answeredAt);
    await sf.settle();
    expect(await sf.promise('tickets', 'T-1', 'ticket-first-response')).toMatchObject({
      status: 'BREACHED',
      orderId: '810001',
      ticketId: 'T-1',
      breachedAt: iso(openedAt + 2 * HOUR),
      fulfilledAt: iso(answeredAt),
      lateSeconds: 1_800,
      compensation: { amount: cny(500), capped: false },
    });
    expect((await sf.promise('tickets', 'T-1', 'ticket-resolution')).status).toBe('OPEN');
    expect(await sf.compensations('T-1', 'tickets')).toHaveLength(1);
    // On the order's timeline too.
    expect((await sf.compensations(810_001)).map((l) => l.detail.data.policyId).sort()).toEqual([
      'same-day-delivery',
      'ticket-first-response',
    ]);
  });

  it('two breaches of one order at the same instant hit the cap together: 100 CNY, not more', async () => {
    for (const [policyId, fulfilledBy] of [
      ['vip-dispatch', 'ShipmentDispatched'],
      ['vip-delivery', 'OrderDelivered'],
    ] as const) {
      const saved = await sf.api('PUT', `/api/promise-policies/${policyId}`, {
        kind: 'vip',
        startsOn: 'OrderPaid',
        fulfilledBy,
        deadline: { afterSeconds: 3600 },
        eligible: { regions: ['Hainan'] },
        compensation: { coupon: cny(8_000) },
        capPerOrder: cny(10_000),
        active: true,
      });
      expect(saved.status).toBe(201);
      expect(saved.body).toMatchObject({ policyId, version: 1 });
    }
    const paidAt = await sf.advanceToLocal('09:00');
    await sf.paid(810_004, paidAt, { lines: { MILK: 1 }, province: 'Hainan' });
    await sf.settle();
    // Both one-hour timers fire in the same advance.
    await sf.advance(3600 + 6 * 60);
    await sf.settle();
    const vip = (await sf.promises('orders', 810_004)).filter((p) => p.kind === 'vip');
    expect(vip.map((p) => p.status)).toEqual(['BREACHED', 'BREACHED']);
    const granted = vip.map((p) => p.compensation.amount.amount).sort((a, b) => a - b);
    expect(granted).toEqual([2_000, 8_000]);
    expect(vip.find((p) => p.compensation.amount.amount === 2_000).compensation).toMatchObject({
      requested: cny(8_000),
      capped: true,
    });
    // The same-day breach at 18:00 finds the cap used up: asked 20 CNY, granted 0.
    await sf.advanceToLocal('18:06');
    await sf.settle();
    expect((await sf.promise('orders', 810_004, 'same-day-delivery')).compensation).toMatchObject({
      amount: cny(0),
      requested: cny(2_000),
      capped: true,
    });
    const paid = (await sf.promises('orders', 810_004))
      .map((p) => p.compensation?.amount.amount ?? 0)
      .reduce((a, b) => a + b, 0);
    expect(paid).toBe(10_000);
    // Switched off: new orders get no such promise; the ones made keep theirs.
    for (const policyId of ['vip-dispatch', 'vip-delivery']) {
      const current = (await sf.ok('GET', '/api/promise-policies')).items.find(
        (p: { policyId: string }) => p.policyId === policyId,
      );
      await sf.ok('PUT', `/api/promise-policies/${policyId}`, { ...current, active: false });
    }
  });

  it('30% duplicate deliveries of every event and a replay of the bus: one compensation per promise', async () => {
    const orders = Array.from({ length: 20 }, (_, i) => 820_000 + i);
    const paidAt = await sf.advanceToLocal('11:00');
    const duplicate = (i: number) => i % 10 < 3;
    for (const [i, id] of orders.entries()) {
      const webhookId = await sf.paid(id, paidAt, { lines: { MILK: 1 } });
      if (duplicate(i)) {
        // A platform retry (same delivery id) and a re-sent copy (a new delivery id).
        const body = orderPaidPayload(id, paidAt, { lines: { MILK: 1 } });
        expect((await sf.shopifyAs('orders/paid', body, webhookId)).status).toBe(200);
        expect((await sf.shopifyAs('orders/paid', body, `copy-${webhookId}`)).status).toBe(200);
      }
    }
    const dispatchedAt = await sf.advanceToLocal('13:00');
    for (const [i, id] of orders.entries()) {
      if (i % 2) continue;
      const webhookId = await sf.dispatched(id, dispatchedAt);
      if (duplicate(i)) {
        const body = dispatchedPayload(id, dispatchedAt);
        expect((await sf.shopifyAs('fulfillments/create', body, webhookId)).status).toBe(200);
      }
    }
    await sf.advanceToLocal('18:06');
    await sf.settle();

    // EventBridge delivers at least once: replay every event of the day to the SLA rule.
    const events = new EventBridgeClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { Archives = [] } = await events.send(new ListArchivesCommand({}));
    const archive = await events.send(new DescribeArchiveCommand({ ArchiveName: Archives[0]!.ArchiveName }));
    const bus = archive.EventSourceArn!;
    const { Rules = [] } = await events.send(new ListRulesCommand({ EventBusName: bus.split('/').at(-1) }));
    const slaRule = Rules.find((r) => r.Name?.includes('PromiseEventsRule'));
    expect(slaRule?.Arn).toBeDefined();
    const { ReplayArn } = await events.send(
      new StartReplayCommand({
        ReplayName: 'sla-duplicates',
        EventSourceArn: archive.ArchiveArn,
        EventStartTime: new Date(start),
        EventEndTime: new Date(await sf.now()),
        Destination: { Arn: bus, FilterArns: [slaRule!.Arn!] },
      }),
    );
    expect(ReplayArn).toBeDefined();
    await sf.settle();
    const replay = await events.send(new DescribeReplayCommand({ ReplayName: 'sla-duplicates' }));
    expect(replay.State).toBe('COMPLETED');
    events.destroy();

    for (const id of orders) {
      const sameDay = await sf.promise('orders', id, 'same-day-delivery');
      expect(sameDay.status, String(id)).toBe('BREACHED');
      expect(sameDay.compensation.amount).toEqual(cny(2_000));
      expect(await sf.compensations(id), String(id)).toHaveLength(1);
      const dispatch = await sf.promise('orders', id, 'dispatch-24h');
      expect(dispatch.status, String(id)).toBe(orders.indexOf(id) % 2 ? 'OPEN' : 'KEPT');
    }
    const day = await sf.ledger(localOn(paidAt, '00:00'), localOn(paidAt + DAY, '00:00'), 'delivery');
    expect(day.items.filter((b: { orderId: string }) => orders.includes(Number(b.orderId)))).toHaveLength(20);
  });

  it('a policy edited while promises are open: those keep their terms, new ones take the new', async () => {
    const current = (await sf.ok('GET', '/api/promise-policies')).items.find(
      (p: { policyId: string }) => p.policyId === 'dispatch-24h',
    );
    expect(current).toMatchObject({ version: 0, compensation: { coupon: cny(500) } });
    const edited = await sf.ok('PUT', '/api/promise-policies/dispatch-24h', {
      ...current,
      compensation: { coupon: cny(800) },
    });
    expect(edited).toMatchObject({ version: 1, compensation: { coupon: cny(800) } });
    const paidAt = await sf.now();
    await sf.paid(830_001, paidAt, { lines: { BOOK: 1 } });
    await sf.settle();
    // The odd orders of the test before were never dispatched: their promises breach tomorrow 11:00.
    await sf.advance(DAY / 1000 + 600);
    await sf.settle();
    const old = await sf.promise('orders', 820_001, 'dispatch-24h');
    expect(old).toMatchObject({
      status: 'BREACHED',
      policyVersion: 0,
      compensation: { amount: cny(500) },
    });
    const fresh = await sf.promise('orders', 830_001, 'dispatch-24h');
    expect(fresh).toMatchObject({
      status: 'BREACHED',
      policyVersion: 1,
      compensation: { amount: cny(800) },
    });
  });

  it('a presale order’s ship-by promise: a day late pays tier one; never shipped pays the last tier', async () => {
    // Shorter terms than the defaults (7 days), so the clock crosses fewer nights of the restock
    // clock: tier two from 2 days late.
    const shipBy = (await sf.ok('GET', '/api/promise-policies')).items.find(
      (p: { policyId: string }) => p.policyId === 'presale-ship-by',
    );
    await sf.ok('PUT', '/api/promise-policies/presale-ship-by', {
      ...shipBy,
      compensation: {
        tiers: [
          { lateSeconds: 0, coupon: cny(5_000) },
          { lateSeconds: 2 * 86_400, coupon: cny(10_000) },
        ],
      },
    });
    await sf.ok('PUT', '/api/presales/ps-sla', presaleBody(await sf.now(), { shipWithinDays: 1 }));
    for (const orderId of ['910001', '910002']) {
      const res = await sf.storeflow(
        'presale.deposit_paid',
        { orderId, presaleId: 'ps-sla', customerId: `c-${orderId}`, amount: DEPOSIT },
        await sf.now(),
      );
      expect(res.status).toBe(200);
    }
    await sf.settle();
    await sf.advance(DAY / 1000 + 3600);
    for (const orderId of ['910001', '910002']) {
      await sf.storeflow('presale.balance_paid', { orderId, amount: BALANCE_DUE }, await sf.now());
    }
    await sf.settle();
    const promised = await sf.promise('orders', '910001', 'presale-ship-by');
    expect(promised).toMatchObject({ status: 'OPEN', policyVersion: 1 });
    const due = Date.parse(promised.deadline);
    expect(due).toBeGreaterThan(await sf.now());

    // Past the ship-by date: breached, the tier waits for the lateness.
    await sf.advance((due + HOUR - (await sf.now())) / 1000);
    await sf.settle();
    expect(await sf.promise('orders', '910001', 'presale-ship-by')).toMatchObject({
      status: 'BREACHED',
      breachedAt: iso(due),
      compensation: null,
    });
    await sf.advance((due + DAY - (await sf.now())) / 1000);
    await sf.dispatched(910_001, await sf.now());
    await sf.settle();
    expect(await sf.promise('orders', '910001', 'presale-ship-by')).toMatchObject({
      lateSeconds: 86_400,
      compensation: { amount: cny(5_000), lateSeconds: 86_400 },
    });
    // Never shipped: the last tier (2 days late) is paid when that lateness is reached.
    await sf.advance((due + 2 * DAY + 10 * 60_000 - (await sf.now())) / 1000);
    await sf.settle();
    expect(await sf.promise('orders', '910002', 'presale-ship-by')).toMatchObject({
      status: 'BREACHED',
      fulfilledAt: null,
      compensation: { amount: cny(10_000), lateSeconds: 2 * 86_400 },
    });
  }, 120_000);

  it('the SLA ledger: every breach in the range with totals per kind; bad queries are 400s naming the field', async () => {
    const all = await sf.ledger(start, await sf.now());
    const byKind = Object.fromEntries(
      all.totals.map((t: { kind: string; count: number; amount: { amount: number } }) => [
        t.kind,
        [t.count, t.amount.amount],
      ]),
    );
    const count = (kind: string) => all.items.filter((b: { kind: string }) => b.kind === kind).length;
    const sum = (kind: string) =>
      all.items
        .filter((b: { kind: string }) => b.kind === kind)
        .reduce((s: number, b: { compensation: { amount: { amount: number } } | null }) => {
          return s + (b.compensation?.amount.amount ?? 0);
        }, 0);
    for (const kind of Object.keys(byKind)) expect(byKind[kind], kind).toEqual([count(kind), sum(kind)]);
    expect(byKind['ship-by']).toEqual([2, 15_000]);
    expect(byKind['first-response']).toEqual([1, 500]);
    expect(all.items.every((b: { deadline: string }) => Date.parse(b.deadline) >= start)).toBe(true);

    const bad = await sf.api('GET', `/api/sla/ledger?from=${iso(start)}&to=${iso(start - 1)}&limit=0`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/limit/);
    const reversed = await sf.api('GET', `/api/sla/ledger?from=${iso(start)}&to=${iso(start - 1)}`);
    expect(reversed.status).toBe(400);
    expect(JSON.stringify(reversed.body)).toMatch(/to/);
    const policy = await sf.api('PUT', '/api/promise-policies/broken', {
      kind: 'x',
      startsOn: 'OrderPaid',
      fulfilledBy: 'OrderPaid',
      deadline: { cutoff: '24:00', dueAt: '18:00' },
      compensation: { refundBps: 0 },
      capPerOrder: cny(100),
    });
    expect(policy.status).toBe(400);
    expect(JSON.stringify(policy.body)).toMatch(/deadline/);
    expect(JSON.stringify(policy.body)).toMatch(/refundBps/);
    expect(
      (await sf.ok('GET', '/api/promise-policies')).items.some(
        (p: { policyId: string }) => p.policyId === 'broken',
      ),
    ).toBe(false);
    expect((await sf.api('GET', `/api/orders/${'x'.repeat(300)}/promises`)).status).toBe(400);
    expect(await sf.promises('orders', 'never-seen')).toEqual([]);
  });
});
