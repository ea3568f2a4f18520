import { describe, expect, it } from 'vitest';
import { presaleAdmin } from '#domain/presale/admin';
import { presaleCallbacks, RunNotReadyError, type TaskCallbacks } from '#domain/presale/callbacks';
import { acceptDeposit, type DepositPaid } from '#domain/presale/order';
import { parsePresale } from '#domain/presale/presale';
import { PresaleCancelledError, presaleRun, presaleRunName } from '#domain/presale/run';
import { termsOf } from '#domain/presale/terms';
import { ManualClock } from '#domain/shared/clock';
import { ConflictError, NotFoundError, ValidationError } from '#domain/shared/errors';
import { MemoryPublisher, MemoryTimeline } from '#test/support/memory-ports';
import { MemoryPresaleStore } from '#test/support/memory-presale-store';

const T0 = '2026-11-01T00:00:00.000Z';
const DAY_S = 86_400;
const run = (state: string) => ({ name: 'po-1', state });

function world(quota = 2) {
  const clock = new ManualClock(T0);
  const store = new MemoryPresaleStore();
  const publisher = new MemoryPublisher();
  const timeline = new MemoryTimeline();
  const sent: Array<{ kind: 'succeed' | 'fail'; token: string; payload: unknown }> = [];
  let gone = false;
  const callbacks: TaskCallbacks = {
    async succeed(token, output) {
      if (gone) return 'gone';
      sent.push({ kind: 'succeed', token, payload: output });
      return 'sent';
    },
    async fail(token, error) {
      if (gone) return 'gone';
      sent.push({ kind: 'fail', token, payload: error });
      return 'sent';
    },
  };
  const deps = { store, publisher, timeline, clock };
  const presale = parsePresale('ps-1', {
    sku: 'SOFA-OAK-3',
    listPrice: { amount: 500_000, currency: 'CNY' },
    depositWindow: { start: '2026-10-31T00:00:00Z', end: '2026-11-02T00:00:00Z' },
    quota,
  });
  const deposit = (orderId: string): DepositPaid => ({
    orderId,
    presaleId: 'ps-1',
    customerId: `c-${orderId}`,
    amount: { amount: 50_000, currency: 'CNY' },
    paidAt: T0,
  });
  return {
    clock,
    store,
    publisher,
    timeline,
    sent,
    setGone: (value: boolean) => {
      gone = value;
    },
    steps: presaleRun(deps),
    answers: presaleCallbacks({ ...deps, callbacks }),
    admin: presaleAdmin({ store, clock }),
    presale,
    deposit,
  };
}

/** Takes, records, parks, opens the balance window and parks again: the order awaits its balance. */
async function awaitingBalance(w: ReturnType<typeof world>, orderId = 'po-1') {
  await w.store.savePresale(w.presale, null, T0);
  const taken = await w.steps.take(w.deposit(orderId), run('TakeUnit'));
  if (!taken.accepted) throw new Error('not accepted');
  await w.steps.record(w.deposit(orderId), taken.terms, run('RecordOrder'));
  await w.steps.park(orderId, 'BALANCE_WINDOW', 'token-1', run('AwaitBalanceWindow'));
  w.clock.advance(DAY_S);
  await w.steps.open(orderId, run('OpenBalance'));
  await w.steps.park(orderId, 'BALANCE', 'token-2', run('AwaitBalance'));
}

describe('presale run steps: every step is safe to run twice', () => {
  it('take and record: a retried step holds one unit and one order', async () => {
    const w = world();
    await w.store.savePresale(w.presale, null, T0);
    const first = await w.steps.take(w.deposit('po-1'), run('TakeUnit'));
    const again = await w.steps.take(w.deposit('po-1'), run('TakeUnit'));
    expect(first).toEqual(again);
    expect((await w.store.getPresale('ps-1'))?.taken).toBe(1);
    if (!first.accepted) throw new Error('not accepted');
    const recorded = await w.steps.record(w.deposit('po-1'), first.terms, run('RecordOrder'));
    expect(await w.steps.record(w.deposit('po-1'), first.terms, run('RecordOrder'))).toEqual(recorded);
    // One day until the deposit window closes and the balance window opens.
    expect(recorded).toEqual({ status: 'DEPOSIT_PAID', seconds: DAY_S });
  });

  it('a sold-out presale rejects; a retry of an order that already holds a unit is still accepted', async () => {
    const w = world(1);
    await w.store.savePresale(w.presale, null, T0);
    expect((await w.steps.take(w.deposit('po-1'), run('TakeUnit'))).accepted).toBe(true);
    const second = await w.steps.take(w.deposit('po-2'), run('TakeUnit'));
    expect(second).toMatchObject({ accepted: false, reason: 'PresaleSoldOut' });
    expect((await w.steps.take(w.deposit('po-1'), run('TakeUnit'))).accepted).toBe(true);
    expect((await w.store.getPresale('ps-1'))?.taken).toBe(1);
  });

  it('open publishes PresaleBalanceDue under one event id however often it runs', async () => {
    const w = world();
    await awaitingBalance(w);
    await w.steps.open('po-1', run('OpenBalance'));
    const due = w.publisher.events.filter((e) => e.detailType === 'PresaleBalanceDue');
    expect(due).toHaveLength(2);
    expect(new Set(due.map((e) => e.detail.metadata.eventId)).size).toBe(1);
    expect((await w.store.getOrder('po-1'))?.order.status).toBe('BALANCE_DUE');
  });

  it('forfeit twice returns the unit once', async () => {
    const w = world();
    await awaitingBalance(w);
    w.clock.advance(72 * 3600);
    await w.steps.forfeit('po-1', run('Forfeit'));
    await w.steps.forfeit('po-1', run('Forfeit'));
    expect((await w.store.getPresale('ps-1'))?.taken).toBe(0);
    expect((await w.store.getOrder('po-1'))?.order).toMatchObject({
      status: 'FORFEITED',
      depositOutcome: 'kept',
    });
  });

  it('a step finding a cancellation request throws PresaleCancelled for the state machine to catch', async () => {
    const w = world();
    await w.store.savePresale(w.presale, null, T0);
    const taken = await w.steps.take(w.deposit('po-1'), run('TakeUnit'));
    if (!taken.accepted) throw new Error('not accepted');
    await w.steps.record(w.deposit('po-1'), taken.terms, run('RecordOrder'));
    await w.store.requestCancel('po-1', 'changed mind', T0);
    await expect(
      w.steps.park('po-1', 'BALANCE_WINDOW', 't', run('AwaitBalanceWindow')),
    ).rejects.toBeInstanceOf(PresaleCancelledError);
    await expect(w.steps.open('po-1', run('OpenBalance'))).rejects.toThrow(/cancelled: changed mind/);
  });
});

describe('presale callbacks', () => {
  it('forwards the right balance to the stored token and refuses a wrong one without touching the wait', async () => {
    const w = world();
    await awaitingBalance(w);
    const at = w.clock.now().toISOString();
    const wrong = await w.answers.balancePaid(
      { orderId: 'po-1', amount: { amount: 1, currency: 'CNY' }, paidAt: at },
      'evt-wrong',
    );
    expect(wrong).toMatchObject({ outcome: 'refused', refusal: { reason: 'WrongAmount' } });
    expect(w.sent).toEqual([]);
    const refused = w.publisher.events.filter((e) => e.detailType === 'PresaleBalanceRefused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.detail.data).toMatchObject({ amount: { amount: 1 }, expected: { amount: 400_000 } });

    const right = await w.answers.balancePaid(
      { orderId: 'po-1', amount: { amount: 400_000, currency: 'CNY' }, paidAt: at },
      'evt-right',
    );
    expect(right).toEqual({ outcome: 'forwarded' });
    expect(w.sent).toEqual([
      {
        kind: 'succeed',
        token: 'token-2',
        payload: { amount: { amount: 400_000, currency: 'CNY' }, paidAt: at, paymentEventId: 'evt-right' },
      },
    ]);
  });

  it('a redelivered payment of a paid order is a duplicate, not a refusal to refund', async () => {
    const w = world();
    await awaitingBalance(w);
    const payment = {
      orderId: 'po-1',
      amount: { amount: 400_000, currency: 'CNY' },
      paidAt: w.clock.now().toISOString(),
    };
    await w.steps.pay('po-1', payment, run('PayBalance'));
    expect(await w.answers.balancePaid(payment, 'evt-1')).toEqual({ outcome: 'duplicate' });
    // A second, different payment is refused: the platform refunds it.
    w.clock.advance(60);
    const second = await w.answers.balancePaid({ ...payment, paidAt: w.clock.now().toISOString() }, 'evt-2');
    expect(second).toMatchObject({ outcome: 'refused', refusal: { reason: 'OrderNotAwaitingBalance' } });
  });

  it('asks for a retry while the run has not reached the wait yet', async () => {
    const w = world();
    await w.store.savePresale(w.presale, null, T0);
    const payment = { orderId: 'po-1', amount: { amount: 400_000, currency: 'CNY' }, paidAt: T0 };
    await expect(w.answers.balancePaid(payment, 'evt-1')).rejects.toBeInstanceOf(RunNotReadyError);
    await expect(
      w.answers.cancelled({ orderId: 'po-1', reason: 'r', cancelledAt: T0 }),
    ).rejects.toBeInstanceOf(RunNotReadyError);
    // Recorded and waiting for the window, with a balance paid inside the window: not ready yet either.
    await w.store.createOrder(acceptDeposit(w.deposit('po-1'), termsOf(w.presale)));
    w.clock.advance(DAY_S);
    await expect(
      w.answers.balancePaid({ ...payment, paidAt: w.clock.now().toISOString() }, 'evt-2'),
    ).rejects.toBeInstanceOf(RunNotReadyError);
  });

  it('a forwarded payment whose wait already ended is looked at again', async () => {
    const w = world();
    await awaitingBalance(w);
    w.setGone(true);
    const payment = {
      orderId: 'po-1',
      amount: { amount: 400_000, currency: 'CNY' },
      paidAt: w.clock.now().toISOString(),
    };
    await expect(w.answers.balancePaid(payment, 'evt-1')).rejects.toBeInstanceOf(RunNotReadyError);
  });

  it('a cancellation after the balance is refused and recorded on the timeline', async () => {
    const w = world();
    await awaitingBalance(w);
    await w.steps.pay(
      'po-1',
      { amount: { amount: 400_000, currency: 'CNY' }, paidAt: w.clock.now().toISOString() },
      run('PayBalance'),
    );
    const outcome = await w.answers.cancelled({ orderId: 'po-1', reason: 'too late', cancelledAt: T0 });
    expect(outcome).toEqual({ outcome: 'refused', status: 'BALANCE_PAID' });
    expect([...w.timeline.entries.values()].some((e) => e.name === 'CancellationRefused')).toBe(true);
    expect(w.sent).toEqual([]);
  });

  it('a balance arriving after a cancellation was requested is refused, for a refund', async () => {
    const w = world();
    await awaitingBalance(w);
    w.setGone(true);
    await w.answers.cancelled({ orderId: 'po-1', reason: 'changed mind', cancelledAt: T0 });
    w.setGone(false);
    const outcome = await w.answers.balancePaid(
      { orderId: 'po-1', amount: { amount: 400_000, currency: 'CNY' }, paidAt: w.clock.now().toISOString() },
      'evt-after-cancel',
    );
    expect(outcome).toMatchObject({ outcome: 'refused', refusal: { reason: 'OrderNotAwaitingBalance' } });
    expect(w.sent).toEqual([]);
  });

  it('a cancellation while waiting fails the stored token with PresaleCancelled', async () => {
    const w = world();
    await awaitingBalance(w);
    expect(await w.answers.cancelled({ orderId: 'po-1', reason: 'r', cancelledAt: T0 })).toEqual({
      outcome: 'requested',
      interrupted: true,
    });
    expect(w.sent).toEqual([{ kind: 'fail', token: 'token-2', payload: 'PresaleCancelled' }]);
  });
});

describe('presale admin', () => {
  it('creates, updates, and refuses a quota below the units taken', async () => {
    const w = world(3);
    const body = {
      sku: 'SOFA-OAK-3',
      listPrice: { amount: 500_000, currency: 'CNY' },
      depositWindow: { start: '2026-10-31T00:00:00Z', end: '2026-11-02T00:00:00Z' },
      quota: 3,
    };
    expect((await w.admin.put('ps-1', body)).created).toBe(true);
    await w.steps.take(w.deposit('po-1'), run('TakeUnit'));
    await w.steps.take(w.deposit('po-2'), run('TakeUnit'));
    await expect(w.admin.put('ps-1', { ...body, quota: 1 })).rejects.toBeInstanceOf(ValidationError);
    const updated = await w.admin.put('ps-1', { ...body, quota: 2 });
    expect(updated).toMatchObject({ created: false, presale: { quota: 2, quotaLeft: 0 } });
    await expect(w.admin.get('ps-x')).rejects.toBeInstanceOf(NotFoundError);
    await expect(w.admin.getOrder('po-x')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('gives up with a conflict when the presale keeps changing under the update', async () => {
    const w = world();
    const body = {
      sku: 'SOFA-OAK-3',
      listPrice: { amount: 500_000, currency: 'CNY' },
      depositWindow: { start: '2026-10-31T00:00:00Z', end: '2026-11-02T00:00:00Z' },
      quota: 3,
    };
    await w.admin.put('ps-1', body);
    const save = w.store.savePresale.bind(w.store);
    w.store.savePresale = async () => ({ saved: false });
    await expect(w.admin.put('ps-1', { ...body, quota: 4 })).rejects.toBeInstanceOf(ConflictError);
    w.store.savePresale = save;
    expect((await w.admin.get('ps-1')).quota).toBe(3);
  });
});

describe('presaleRunName', () => {
  it('is the order id when Step Functions accepts it, else a stable digest', () => {
    expect(presaleRunName('1001')).toBe('1001');
    expect(presaleRunName('po-2026-11-01_A')).toBe('po-2026-11-01_A');
    const shopify = presaleRunName('gid://shopify/Order/1');
    expect(shopify).toMatch(/^order-[0-9a-f]{32}$/);
    expect(presaleRunName('gid://shopify/Order/1')).toBe(shopify);
    expect(presaleRunName('gid://shopify/Order/2')).not.toBe(shopify);
    expect(presaleRunName('x'.repeat(81))).toMatch(/^order-/);
    expect(presaleRunName('tab\there')).toMatch(/^order-/);
  });
});
