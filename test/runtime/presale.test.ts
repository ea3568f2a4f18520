import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BALANCE_GRACE_SECONDS } from '#domain/presale/run';
import { APP_CLOCKS, assemblyWithDisabled } from '#test/support/assembly-variant';
import {
  BALANCE_DUE,
  DAY,
  DEPOSIT,
  HOUR,
  type PresaleClient,
  presaleBody,
  presaleClient,
} from '#test/support/presale-client';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * Presale orders end to end (issue #5) on the local runtime with the virtual clock: the real app's
 * assembly, driven only through signed webhooks, the operations API and the Step Functions API.
 * Each test uses its own presale and orders; the clock only moves forward.
 */
let runtime: Runtime;
let dataDir: string;
let app: ReturnType<typeof assemblyWithDisabled>;
let sf: PresaleClient;
const lines: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-presale-'));
  // The app without its clocks (restock sweep, repricing run, members nightly and annual): the
  // presale runs wait on their own workflows' timers, and nothing here asserts what those clocks
  // start; over the weeks of virtual time this file advances through they are ~550 Lambda
  // invocations a day (each clock's tick every quarter hour, a daily sweep), most of its work.
  app = assemblyWithDisabled(inject('appAssembly'), { schedules: APP_CLOCKS });
  runtime = await startRuntime({
    assemblyDir: app.dir,
    dataDir,
    port: 0,
    clock: 'virtual',
    log: (line) => lines.push(line),
  });
  sf = presaleClient(runtime.url, dataDir);
});

afterAll(async () => {
  sf?.close();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
  app?.remove();
});

async function createPresale(presaleId: string, overrides: Record<string, unknown> = {}, depositDays = 1) {
  const res = await sf.api(
    'PUT',
    `/api/presales/${presaleId}`,
    presaleBody(await sf.now(), overrides, depositDays),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function deposit(
  orderId: string,
  presaleId: string,
  deliveryId = `dep-${orderId}`,
  amount: { amount: number; currency: string } = DEPOSIT,
) {
  const res = await sf.webhook(deliveryId, 'presale.deposit_paid', {
    orderId,
    presaleId,
    customerId: `cust-${orderId}`,
    amount,
  });
  expect(res.status).toBe(200);
}

async function payBalance(orderId: string, amount: { amount: number; currency: string }, deliveryId: string) {
  const res = await sf.webhook(deliveryId, 'presale.balance_paid', { orderId, amount });
  expect(res.status).toBe(200);
}

const eventNames = async (orderId: string) =>
  (await sf.timeline(orderId)).filter((i) => i.kind === 'event').map((i) => i.name);

// A bound on a hang, not a speed check: a test walks a presale's weeks on the virtual clock, ~10 s
// alone and ~55 s on a 2-core machine running other suites beside it (the 60 s default was too close).
describe('presale orders on the local runtime', { timeout: 180_000 }, () => {
  it('happy path: deposit → balance due when the window opens → paid → shipBy and a fulfilment promise', async () => {
    const created = await createPresale('ps-happy');
    expect(created).toMatchObject({ presaleId: 'ps-happy', quota: 10, quotaLeft: 10 });
    const start = await sf.now();

    await deposit('po-happy-1', 'ps-happy');
    await sf.settle();
    const paid = await sf.order('po-happy-1');
    expect(paid).toMatchObject({
      orderId: 'po-happy-1',
      presaleId: 'ps-happy',
      status: 'DEPOSIT_PAID',
      balanceDue: BALANCE_DUE,
      shipBy: null,
      terms: { sku: 'SOFA-OAK-3', listPrice: { amount: 500_000 }, depositValue: { amount: 100_000 } },
    });
    expect((await sf.presale('ps-happy')).quotaLeft).toBe(9);
    expect((await sf.run('po-happy-1')).status).toBe('RUNNING');

    // The balance window opens when the deposit window closes (a day after the presale opened).
    await sf.advance(DAY / 1000);
    await sf.settle();
    expect((await sf.order('po-happy-1')).status).toBe('BALANCE_DUE');
    expect(await eventNames('po-happy-1')).toContain('PresaleBalanceDue');

    await sf.advance(HOUR / 1000);
    await payBalance('po-happy-1', BALANCE_DUE, 'bal-happy-1');
    const paidAt = await sf.now();
    await sf.settle();
    const done = await sf.order('po-happy-1');
    expect(done.status).toBe('BALANCE_PAID');
    expect(done.balancePaidAt).toBe(new Date(paidAt).toISOString());
    expect(done.shipBy).toBe(new Date(paidAt + 30 * DAY).toISOString());
    expect((await sf.run('po-happy-1')).status).toBe('SUCCEEDED');
    expect((await sf.presale('ps-happy')).quotaLeft).toBe(9);
    expect(start).toBeLessThan(paidAt);

    const timeline = await sf.timeline('po-happy-1');
    // Lines of one (virtual) instant sort by their reference, so compare the events as a set.
    const events = timeline.filter((i) => i.kind === 'event').map((i) => i.name);
    expect(events.sort()).toEqual(
      ['PresaleDepositPaid', 'PresaleBalanceDue', 'PresaleBalancePaid', 'PresaleFulfilmentPromised'].sort(),
    );
    const at = (name: string) => timeline.find((i) => i.name === name)?.at ?? '';
    expect(at('PresaleDepositPaid') < at('PresaleBalanceDue')).toBe(true);
    expect(at('PresaleBalanceDue') < at('PresaleFulfilmentPromised')).toBe(true);
    // Every step of the run is on the order's timeline, with the run's start and end.
    const states = timeline.filter((i) => i.kind === 'state').map((i) => i.name);
    expect(states).toEqual([
      'TakeUnit',
      'RecordOrder',
      'AwaitBalanceWindow',
      'OpenBalance',
      'AwaitBalance',
      'PayBalance',
    ]);
    const runs = timeline.filter((i) => i.kind === 'run').map((i) => i.detail.status);
    expect(runs).toEqual(['RUNNING', 'SUCCEEDED']);
    // State lines are dated by the run's own clock (a retried step rewrites its line); the run's
    // end follows its last step.
    expect(timeline.at(-1)).toMatchObject({ kind: 'run', detail: { status: 'SUCCEEDED' } });
    expect(timeline.find((i) => i.name === 'TakeUnit')?.at).toBe(new Date(start).toISOString());
    const promised = timeline.find((i) => i.name === 'PresaleFulfilmentPromised');
    expect(promised?.detail.data).toMatchObject({
      orderId: 'po-happy-1',
      shipBy: done.shipBy,
      sku: 'SOFA-OAK-3',
    });
  });

  it('refuses a balance of the wrong amount with a clear reason while the order stays BALANCE_DUE', async () => {
    await createPresale('ps-wrong');
    await deposit('po-wrong-1', 'ps-wrong');
    await sf.settle();
    await sf.advance(DAY / 1000);
    await sf.settle();

    await payBalance('po-wrong-1', { amount: 399_900, currency: 'CNY' }, 'bal-wrong-1');
    await sf.settle();
    const waiting = await sf.order('po-wrong-1');
    expect(waiting.status).toBe('BALANCE_DUE');
    expect(waiting.lastBalanceRefusal).toMatchObject({
      reason: 'WrongAmount',
      message: 'balance due is 4000.00 CNY; got 3999.00 CNY',
      amount: { amount: 399_900, currency: 'CNY' },
    });
    expect((await sf.run('po-wrong-1')).status).toBe('RUNNING');
    const refused = (await sf.timeline('po-wrong-1')).find((i) => i.name === 'PresaleBalanceRefused');
    expect(refused?.detail.data).toMatchObject({
      reason: 'WrongAmount',
      amount: { amount: 399_900, currency: 'CNY' },
      expected: BALANCE_DUE,
    });

    await payBalance('po-wrong-1', { amount: 400_000, currency: 'USD' }, 'bal-wrong-2');
    await sf.settle();
    expect((await sf.order('po-wrong-1')).lastBalanceRefusal.reason).toBe('WrongCurrency');

    // The run kept waiting: the right amount still pays the order.
    await payBalance('po-wrong-1', BALANCE_DUE, 'bal-wrong-3');
    await sf.settle();
    expect((await sf.order('po-wrong-1')).status).toBe('BALANCE_PAID');
    expect((await sf.run('po-wrong-1')).status).toBe('SUCCEEDED');
  });

  it('refuses a balance paid before the balance window opens', async () => {
    await createPresale('ps-early');
    await deposit('po-early-1', 'ps-early');
    await sf.settle();
    await payBalance('po-early-1', BALANCE_DUE, 'bal-early-1');
    await sf.settle();
    const order = await sf.order('po-early-1');
    expect(order.status).toBe('DEPOSIT_PAID');
    expect(order.lastBalanceRefusal.reason).toBe('BalanceWindowNotOpen');
  });

  it('forfeits an order unpaid when the balance window closes: unit back, deposit kept, PresaleForfeited', async () => {
    await createPresale('ps-forfeit', { quota: 2 });
    await deposit('po-forfeit-1', 'ps-forfeit');
    await sf.settle();
    expect((await sf.presale('ps-forfeit')).quotaLeft).toBe(1);

    await sf.advance(DAY / 1000);
    await sf.settle();
    expect((await sf.order('po-forfeit-1')).status).toBe('BALANCE_DUE');
    // The 72 h window closes; the run still waits out the grace period for a balance paid in time
    // but delivered late, and forfeits one second after it.
    await sf.advance(72 * 3600 + BALANCE_GRACE_SECONDS - 1);
    await sf.settle();
    expect((await sf.order('po-forfeit-1')).status).toBe('BALANCE_DUE');
    await sf.advance(1);
    await sf.settle();

    const order = await sf.order('po-forfeit-1');
    expect(order).toMatchObject({ status: 'FORFEITED', depositOutcome: 'kept' });
    expect((await sf.presale('ps-forfeit')).quotaLeft).toBe(2);
    expect((await sf.run('po-forfeit-1')).status).toBe('SUCCEEDED');
    const forfeited = (await sf.timeline('po-forfeit-1')).find((i) => i.name === 'PresaleForfeited');
    expect(forfeited?.detail.data).toMatchObject({ depositOutcome: 'kept', deposit: DEPOSIT });

    // A balance after the forfeit is refused (the platform refunds it), and changes nothing.
    await payBalance('po-forfeit-1', BALANCE_DUE, 'bal-forfeit-late');
    await sf.settle();
    const late = await sf.order('po-forfeit-1');
    expect(late.status).toBe('FORFEITED');
    expect(late.lastBalanceRefusal.reason).toBe('OrderNotAwaitingBalance');
  });

  it('a balance paid before the window closes but delivered after it still pays the order', async () => {
    await createPresale('ps-late-pay');
    await deposit('po-late-pay', 'ps-late-pay');
    await sf.settle();
    await sf.advance(DAY / 1000 + 72 * 3600 - 60);
    await sf.settle();
    const paidAt = await sf.now();
    // The platform's webhook arrives five minutes later, after the window closed.
    await sf.advance(5 * 60);
    const res = await sf.webhook(
      'bal-late-pay',
      'presale.balance_paid',
      { orderId: 'po-late-pay', amount: BALANCE_DUE },
      paidAt,
    );
    expect(res.status).toBe(200);
    await sf.settle();
    const order = await sf.order('po-late-pay');
    expect(order.status).toBe('BALANCE_PAID');
    expect(order.balancePaidAt).toBe(new Date(paidAt).toISOString());
    // A balance paid after the window closed is refused, whenever it arrives.
    await createPresale('ps-too-late');
    await deposit('po-too-late', 'ps-too-late');
    await sf.settle();
    await sf.advance(DAY / 1000 + 72 * 3600 + 60);
    await payBalance('po-too-late', BALANCE_DUE, 'bal-too-late');
    await sf.settle();
    const refused = await sf.order('po-too-late');
    expect(refused.status).toBe('BALANCE_DUE');
    expect(refused.lastBalanceRefusal.reason).toBe('BalanceWindowClosed');
    await sf.advance(BALANCE_GRACE_SECONDS);
    await sf.settle();
    expect((await sf.order('po-too-late')).status).toBe('FORFEITED');
  });

  it('cancels before the balance: unit back, deposit refunded per the presale policy, run ends', async () => {
    await createPresale('ps-cancel', { quota: 3, forfeitPolicy: 'refund' });
    await deposit('po-cancel-1', 'ps-cancel');
    await deposit('po-cancel-2', 'ps-cancel');
    await sf.settle();
    expect((await sf.presale('ps-cancel')).quotaLeft).toBe(1);

    // While the run waits for the balance window to open ...
    let res = await sf.webhook('cancel-1', 'presale.cancelled', {
      orderId: 'po-cancel-1',
      reason: 'changed mind',
    });
    expect(res.status).toBe(200);
    await sf.settle();
    expect(await sf.order('po-cancel-1')).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'changed mind',
      depositOutcome: 'refunded',
    });
    expect((await sf.run('po-cancel-1')).status).toBe('SUCCEEDED');
    expect((await sf.presale('ps-cancel')).quotaLeft).toBe(2);
    const cancelled = (await sf.timeline('po-cancel-1')).find((i) => i.name === 'PresaleOrderCancelled');
    expect(cancelled?.detail.data).toMatchObject({ depositOutcome: 'refunded', reason: 'changed mind' });

    // ... and while it waits for the balance.
    await sf.advance(DAY / 1000);
    await sf.settle();
    res = await sf.webhook('cancel-2', 'presale.cancelled', {
      orderId: 'po-cancel-2',
      reason: 'moved house',
    });
    expect(res.status).toBe(200);
    await sf.settle();
    expect((await sf.order('po-cancel-2')).status).toBe('CANCELLED');
    expect((await sf.presale('ps-cancel')).quotaLeft).toBe(3);

    // The window closing later does nothing more: the run is over, the unit was returned once.
    await sf.advance(80 * 3600);
    await sf.settle();
    expect((await sf.order('po-cancel-2')).status).toBe('CANCELLED');
    expect((await sf.presale('ps-cancel')).quotaLeft).toBe(3);
  });

  it('a duplicate deposit webhook makes one order and one run', async () => {
    await createPresale('ps-dup', { quota: 5 });
    await deposit('po-dup-1', 'ps-dup', 'dep-dup-1');
    await deposit('po-dup-1', 'ps-dup', 'dep-dup-1');
    await sf.settle();
    // The platform resending the same deposit under a new delivery id: a second event, same run name.
    await deposit('po-dup-1', 'ps-dup', 'dep-dup-1-resent');
    await sf.settle();

    expect((await sf.runs()).filter((r) => r.name === 'po-dup-1')).toHaveLength(1);
    expect((await sf.order('po-dup-1')).status).toBe('DEPOSIT_PAID');
    expect((await sf.presale('ps-dup')).quotaLeft).toBe(4);
    const states = (await sf.timeline('po-dup-1')).filter((i) => i.kind === 'state').map((i) => i.name);
    expect(states).toEqual(['TakeUnit', 'RecordOrder', 'AwaitBalanceWindow']);
  });

  it('200 concurrent deposits against a quota of 50: exactly 50 DEPOSIT_PAID, 150 REJECTED (PresaleSoldOut), quota 0', async () => {
    await createPresale('ps-rush', { quota: 50 });
    const orderIds = Array.from({ length: 200 }, (_, i) => `po-rush-${String(i).padStart(3, '0')}`);
    await Promise.all(orderIds.map((id) => deposit(id, 'ps-rush')));
    await sf.settle();

    const orders = await Promise.all(orderIds.map((id) => sf.order(id)));
    const by = (status: string) => orders.filter((o) => o.status === status);
    expect(by('DEPOSIT_PAID')).toHaveLength(50);
    expect(by('REJECTED')).toHaveLength(150);
    expect(new Set(by('REJECTED').map((o) => o.reason))).toEqual(new Set(['PresaleSoldOut']));
    expect(by('REJECTED').every((o) => o.depositOutcome === 'refunded')).toBe(true);
    expect((await sf.presale('ps-rush')).quotaLeft).toBe(0);
    const rejected = by('REJECTED')[0];
    expect(await eventNames(rejected.orderId)).toContain('PresaleDepositRejected');

    // A forfeit later frees exactly one unit per unpaid order.
    const runs = (await sf.runs()).filter((r) => r.name.startsWith('po-rush-'));
    expect(runs).toHaveLength(200);
    expect(runs.filter((r) => r.status === 'RUNNING')).toHaveLength(50);
  });

  it('a presale edited after deposits: existing orders keep their terms, new ones get the new terms', async () => {
    const body = presaleBody(await sf.now(), { quota: 4 });
    expect((await sf.api('PUT', '/api/presales/ps-edit', body)).status).toBe(201);
    await deposit('po-edit-1', 'ps-edit');
    await deposit('po-edit-2', 'ps-edit');
    await sf.settle();

    // Below the units taken: refused, naming the field; nothing changes.
    const tooLow = await sf.api('PUT', '/api/presales/ps-edit', { ...body, quota: 1 });
    expect(tooLow.status).toBe(400);
    expect(tooLow.body.issues).toEqual([
      { field: 'quota', reason: 'must not be below the 2 unit(s) already taken by deposits; got 1' },
    ]);
    expect((await sf.presale('ps-edit')).quota).toBe(4);

    const edited = await sf.api('PUT', '/api/presales/ps-edit', {
      ...body,
      listPrice: { amount: 600_000, currency: 'CNY' },
      depositValue: { amount: 150_000, currency: 'CNY' },
      shipWithinDays: 45,
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ quota: 4, quotaLeft: 2, listPrice: { amount: 600_000 } });

    await deposit('po-edit-3', 'ps-edit');
    await sf.settle();
    const old = await sf.order('po-edit-1');
    expect(old.terms).toMatchObject({ listPrice: { amount: 500_000 }, shipWithinDays: 30 });
    expect(old.balanceDue).toEqual(BALANCE_DUE);
    const fresh = await sf.order('po-edit-3');
    expect(fresh.terms).toMatchObject({ listPrice: { amount: 600_000 }, shipWithinDays: 45 });
    expect(fresh.balanceDue).toEqual({ amount: 450_000, currency: 'CNY' });

    // The old order is paid on its own terms.
    await sf.advance(DAY / 1000);
    await sf.settle();
    await payBalance('po-edit-1', BALANCE_DUE, 'bal-edit-1');
    const paidAt = await sf.now();
    await sf.settle();
    const paid = await sf.order('po-edit-1');
    expect(paid.status).toBe('BALANCE_PAID');
    expect(paid.shipBy).toBe(new Date(paidAt + 30 * DAY).toISOString());
  });

  it('rejects deposits outside the deposit window, of the wrong amount, or to an unknown presale', async () => {
    await createPresale('ps-reject');
    await deposit('po-reject-amount', 'ps-reject', undefined, { amount: 40_000, currency: 'CNY' });
    await deposit('po-reject-unknown', 'ps-nope');
    await sf.settle();
    expect(await sf.order('po-reject-amount')).toMatchObject({
      status: 'REJECTED',
      reason: 'PresaleDepositMismatch',
    });
    expect(await sf.order('po-reject-unknown')).toMatchObject({
      status: 'REJECTED',
      reason: 'PresaleNotFound',
    });

    await sf.advance(DAY / 1000 + 1);
    await deposit('po-reject-late', 'ps-reject');
    await sf.settle();
    const late = await sf.order('po-reject-late');
    expect(late).toMatchObject({ status: 'REJECTED', reason: 'PresaleClosed', depositOutcome: 'refunded' });
    expect(late.message).toMatch(/deposit window closed/);
    expect((await sf.presale('ps-reject')).quotaLeft).toBe(10);
  });

  it('answers the operations API with 400 naming the field, 404 for unknown ids, 401 without the token', async () => {
    const now = await sf.now();
    const bad = await sf.api('PUT', '/api/presales/ps-bad', {
      ...presaleBody(now),
      depositValue: { amount: 10_000, currency: 'CNY' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: 'ValidationError',
      issues: [
        { field: 'depositValue', reason: 'must be at least the deposit (500.00 CNY); got 100.00 CNY' },
      ],
    });
    const negative = await sf.api('PUT', '/api/presales/ps-bad', { ...presaleBody(now), quota: -1 });
    expect(negative.status).toBe(400);
    expect(negative.body.issues).toEqual([{ field: 'quota', reason: 'must not be negative' }]);
    const currency = await sf.api('PUT', '/api/presales/ps-bad', {
      ...presaleBody(now),
      deposit: { amount: 50_000, currency: 'USD' },
    });
    expect(currency.status).toBe(400);
    expect(currency.body.issues.map((i: { field: string }) => i.field)).toContain('deposit.currency');
    const notJson = await fetch(`${sf.url}/api/presales/ps-bad`, {
      method: 'PUT',
      headers: { authorization: sf.authorization, 'content-type': 'application/json' },
      body: '{"sku": ',
    });
    expect(notJson.status).toBe(400);
    const notJsonType = await fetch(`${sf.url}/api/presales/ps-bad`, {
      method: 'PUT',
      headers: { authorization: sf.authorization },
      body: JSON.stringify(presaleBody(now)),
    });
    expect(notJsonType.status).toBe(415);
    expect(await notJsonType.json()).toMatchObject({ error: 'UnsupportedMediaType' });
    expect((await sf.api('GET', '/api/presales/ps-bad')).status).toBe(404);
    expect((await sf.api('GET', '/api/presale-orders/po-none')).status).toBe(404);
    expect((await fetch(`${sf.url}/api/presales/ps-happy`)).status).toBe(401);
    expect((await fetch(`${sf.url}/api/presales/ps-happy`, { method: 'PUT', body: '{}' })).status).toBe(401);
  });
});
