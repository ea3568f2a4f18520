import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoPresaleStore, holderToken } from '#adapters/dynamodb/presale-store';
import { keys } from '#adapters/dynamodb/schema';
import { acceptDeposit, openBalance, type PresaleOrder, payBalance } from '#domain/presale/order';
import { type Presale, parsePresale } from '#domain/presale/presale';
import type { BalanceRefusalRecord, PresaleStore } from '#domain/presale/store';
import { termsOf } from '#domain/presale/terms';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';
import { MemoryPresaleStore } from '../support/memory-presale-store.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo('presale-store-test');
});
afterAll(async () => {
  await dynamo.stop();
});

// ---- Fixtures, built with the domain's own functions ----------------------------------------------

const T0 = '2026-10-01T00:00:00.000Z';
const T1 = '2026-10-02T00:00:00.000Z';

/** Ids unique across the file: the dynalite table is shared by every test. */
let seq = 0;
const uid = (prefix: string) => `${prefix}-${++seq}`;

/** A sofa at 3000 CNY with the store defaults: deposit 500, worth 1000, balance window 72 h. */
const presaleOf = (quota: number, presaleId = uid('PS'), sku = 'SOFA-GREY'): Presale =>
  parsePresale(presaleId, {
    sku,
    listPrice: { amount: 300_000, currency: 'CNY' },
    depositWindow: { start: '2026-10-20T00:00:00Z', end: '2026-11-01T00:00:00Z' },
    quota,
  });

const depositPaid = (presale: Presale, orderId = uid('PO')): PresaleOrder =>
  acceptDeposit(
    {
      orderId,
      presaleId: presale.presaleId,
      customerId: 'C-42',
      amount: presale.deposit,
      paidAt: '2026-10-25T02:00:00.000Z',
    },
    termsOf(presale),
  );

const balanceDue = (order: PresaleOrder): PresaleOrder => openBalance(order, '2026-11-01T00:00:00.000Z');

const balancePaid = (order: PresaleOrder): PresaleOrder => {
  const due = balanceDue(order);
  if (!due.balanceDue) throw new Error('fixture: no balance due');
  const paid = payBalance(due, { amount: due.balanceDue, paidAt: '2026-11-02T00:00:00.000Z' });
  if (!paid.ok) throw new Error(`fixture: ${paid.message}`);
  return paid.order;
};

const refusal: BalanceRefusalRecord = {
  reason: 'WrongAmount',
  message: 'balance due is 2000.00 CNY; got 1999.00 CNY',
  amount: { amount: 199_900, currency: 'CNY' },
  paidAt: '2026-11-02T00:00:00.000Z',
  refusedAt: '2026-11-02T00:00:01.000Z',
};

const fresh = (order: PresaleOrder) => ({
  order,
  taskToken: null,
  awaiting: null,
  cancelRequest: null,
  lastBalanceRefusal: null,
});

// ---- The contract, run against both implementations -------------------------------------------

const implementations = [
  { name: 'MemoryPresaleStore', make: (): PresaleStore => new MemoryPresaleStore(), propertyRuns: 200 },
  {
    name: 'DynamoPresaleStore on dynalite',
    make: (): PresaleStore => new DynamoPresaleStore(dynamo.doc, dynamo.tableName),
    propertyRuns: 25,
  },
];

describe.each(implementations)('PresaleStore contract: $name', ({ make, propertyRuns }) => {
  let store: PresaleStore;
  beforeEach(() => {
    store = make();
  });

  /** Creates a presale and returns it. */
  const created = async (quota: number): Promise<Presale> => {
    const presale = presaleOf(quota);
    const saved = await store.savePresale(presale, null, T0);
    if (!saved.saved) throw new Error('fixture: presale not created');
    return presale;
  };

  describe('presales', () => {
    it('creates once; a second create is refused and changes nothing', async () => {
      const presale = presaleOf(10);
      const record = { presale, taken: 0, version: 1, createdAt: T0, updatedAt: T0 };
      expect(await store.getPresale(presale.presaleId)).toBeUndefined();
      expect(await store.savePresale(presale, null, T0)).toEqual({ saved: true, record, created: true });
      expect(await store.savePresale({ ...presale, quota: 99 }, null, T1)).toEqual({ saved: false });
      expect(await store.getPresale(presale.presaleId)).toEqual(record);
    });

    it('updates at the current version only, bumping the version and keeping createdAt and taken', async () => {
      const presale = await created(10);
      await store.takeUnit(presale.presaleId, 'PO-a', 1);
      const edited = { ...presale, quota: 20, shipWithinDays: 45 };
      expect(await store.savePresale(edited, 1, T1)).toEqual({
        saved: true,
        created: false,
        record: { presale: edited, taken: 1, version: 2, createdAt: T0, updatedAt: T1 },
      });
      // Stale: somebody else saved version 2 first.
      expect(await store.savePresale({ ...presale, quota: 30 }, 1, T1)).toEqual({ saved: false });
      expect((await store.getPresale(presale.presaleId))?.presale.quota).toBe(20);
    });

    it('refuses an update of an unknown presale', async () => {
      expect(await store.savePresale(presaleOf(5), 1, T1)).toEqual({ saved: false });
    });

    it('refuses a quota below the units taken and accepts one equal to them', async () => {
      const presale = await created(5);
      for (const o of ['PO-a', 'PO-b', 'PO-c']) await store.takeUnit(presale.presaleId, o, 1);
      expect(await store.savePresale({ ...presale, quota: 2 }, 1, T1)).toEqual({ saved: false });
      const atTaken = await store.savePresale({ ...presale, quota: 3 }, 1, T1);
      expect(atTaken.saved && atTaken.record).toMatchObject({ taken: 3, version: 2, presale: { quota: 3 } });
    });

    it('takes until sold out, then refuses with the current record', async () => {
      const presale = await created(3);
      const outcomes = [];
      for (const o of ['PO-1', 'PO-2', 'PO-3']) outcomes.push(await store.takeUnit(presale.presaleId, o, 1));
      expect(outcomes.map((o) => [o.outcome, o.record?.taken])).toEqual([
        ['taken', 1],
        ['taken', 2],
        ['taken', 3],
      ]);
      const fourth = await store.takeUnit(presale.presaleId, 'PO-4', 1);
      expect(fourth).toEqual({
        outcome: 'refused',
        record: { presale, taken: 3, version: 1, createdAt: T0, updatedAt: T0 },
      });
    });

    it('answers "held" to the same order taking again, and takes nothing more', async () => {
      const presale = await created(3);
      expect((await store.takeUnit(presale.presaleId, 'PO-1', 1)).outcome).toBe('taken');
      const again = await store.takeUnit(presale.presaleId, 'PO-1', 1);
      expect(again).toMatchObject({ outcome: 'held', record: { taken: 1, version: 1 } });
      // Held even when the version moved on or the presale is sold out: the unit is the order's.
      await store.savePresale({ ...presale, quota: 1 }, 1, T1);
      expect(await store.takeUnit(presale.presaleId, 'PO-1', 1)).toMatchObject({
        outcome: 'held',
        record: { taken: 1, version: 2 },
      });
    });

    it('refuses a take at a stale version (and of an unknown presale)', async () => {
      const presale = await created(3);
      await store.savePresale({ ...presale, quota: 4 }, 1, T1);
      expect(await store.takeUnit(presale.presaleId, 'PO-1', 1)).toMatchObject({
        outcome: 'refused',
        record: { taken: 0, version: 2 },
      });
      expect((await store.takeUnit(presale.presaleId, 'PO-1', 2)).outcome).toBe('taken');
      expect(await store.takeUnit(uid('PS-unknown'), 'PO-1', 1)).toEqual({
        outcome: 'refused',
        record: undefined,
      });
    });

    it('returns a unit once; taken never goes below zero and the version does not move', async () => {
      const presale = await created(3);
      expect(await store.returnUnit(presale.presaleId, 'PO-never')).toBe(false);
      await store.takeUnit(presale.presaleId, 'PO-1', 1);
      expect(await store.returnUnit(presale.presaleId, 'PO-1')).toBe(true);
      expect(await store.returnUnit(presale.presaleId, 'PO-1')).toBe(false);
      expect(await store.returnUnit(presale.presaleId, 'PO-never')).toBe(false);
      expect(await store.getPresale(presale.presaleId)).toMatchObject({ taken: 0, version: 1 });
      expect(await store.returnUnit(uid('PS-unknown'), 'PO-1')).toBe(false);
    });

    it('lets an order take again after returning its unit', async () => {
      const presale = await created(1);
      await store.takeUnit(presale.presaleId, 'PO-1', 1);
      expect((await store.takeUnit(presale.presaleId, 'PO-2', 1)).outcome).toBe('refused');
      await store.returnUnit(presale.presaleId, 'PO-1');
      expect((await store.takeUnit(presale.presaleId, 'PO-1', 1)).outcome).toBe('taken');
      expect(await store.getPresale(presale.presaleId)).toMatchObject({ taken: 1 });
    });

    it('never oversells: 200 concurrent takes against a quota of 50', async () => {
      const presale = await created(50);
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.takeUnit(presale.presaleId, `PO-${i}`, 1)),
      );
      const count = (o: string) => outcomes.filter((x) => x.outcome === o).length;
      expect({ taken: count('taken'), refused: count('refused'), held: count('held') }).toEqual({
        taken: 50,
        refused: 150,
        held: 0,
      });
      const takenCounts = outcomes.filter((o) => o.outcome === 'taken').map((o) => o.record?.taken);
      expect(new Set(takenCounts).size).toBe(50);
      expect(await store.getPresale(presale.presaleId)).toMatchObject({ taken: 50, version: 1 });
    });

    it('keeps 0 ≤ taken ≤ quota and taken = the orders holding a unit, over any takes and returns', async () => {
      const quota = 2;
      const ops = fc.array(
        fc.record({ op: fc.constantFrom('take', 'return'), order: fc.integer({ min: 0, max: 3 }) }),
        { maxLength: 25 },
      );
      await fc.assert(
        fc.asyncProperty(ops, async (steps) => {
          const presale = await created(quota);
          const holding = new Set<string>();
          for (const { op, order } of steps) {
            const orderId = `PO-${order}`;
            if (op === 'take') {
              const expected = holding.has(orderId) ? 'held' : holding.size < quota ? 'taken' : 'refused';
              const result = await store.takeUnit(presale.presaleId, orderId, 1);
              expect(result.outcome).toBe(expected);
              if (expected === 'taken') holding.add(orderId);
            } else {
              expect(await store.returnUnit(presale.presaleId, orderId)).toBe(holding.delete(orderId));
            }
            const record = await store.getPresale(presale.presaleId);
            expect(record?.taken).toBeGreaterThanOrEqual(0);
            expect(record?.taken).toBeLessThanOrEqual(quota);
            expect(record?.taken).toBe(holding.size);
          }
        }),
        { numRuns: propertyRuns },
      );
    });
  });

  describe('orders', () => {
    it('creates once; a duplicate returns the stored order unchanged', async () => {
      const order = depositPaid(presaleOf(5));
      expect(await store.getOrder(order.orderId)).toBeUndefined();
      expect(await store.createOrder(order)).toEqual({ created: true });
      expect(await store.getOrder(order.orderId)).toEqual(fresh(order));
      const other = { ...order, customerId: 'C-other', statusChangedAt: T1 };
      expect(await store.createOrder(other)).toEqual({ created: false, existing: fresh(order) });
    });

    it('transitions only from the given status; otherwise returns the stored order unchanged', async () => {
      const order = depositPaid(presaleOf(5));
      await store.createOrder(order);
      const due = balanceDue(order);
      expect(await store.transition(balancePaid(order), 'BALANCE_DUE')).toEqual({
        ok: false,
        existing: fresh(order),
      });
      expect(await store.transition(due, 'DEPOSIT_PAID')).toEqual({ ok: true });
      expect(await store.getOrder(order.orderId)).toEqual(fresh(due));
      // A retried step: its write already happened, so the status is no longer `from`.
      expect(await store.transition(due, 'DEPOSIT_PAID')).toEqual({ ok: false, existing: fresh(due) });
      expect(await store.transition(depositPaid(presaleOf(5)), 'DEPOSIT_PAID')).toEqual({
        ok: false,
        existing: undefined,
      });
    });

    it('clears the task token on a transition, keeping the refusal and the cancel request', async () => {
      const order = depositPaid(presaleOf(5));
      await store.createOrder(order);
      expect(await store.park(order.orderId, 'DEPOSIT_PAID', 'BALANCE_WINDOW', 'tok-1')).toEqual({
        outcome: 'parked',
      });
      expect(await store.getOrder(order.orderId)).toMatchObject({
        taskToken: 'tok-1',
        awaiting: 'BALANCE_WINDOW',
      });
      const due = balanceDue(order);
      await store.transition(due, 'DEPOSIT_PAID');
      expect(await store.getOrder(order.orderId)).toEqual(fresh(due));
      await store.park(order.orderId, 'BALANCE_DUE', 'BALANCE', 'tok-2');
      await store.recordBalanceRefusal(order.orderId, refusal);
      await store.requestCancel(order.orderId, 'customer changed their mind', T1);
      const paid = balancePaid(order);
      await store.transition(paid, 'BALANCE_DUE');
      expect(await store.getOrder(order.orderId)).toEqual({
        ...fresh(paid),
        lastBalanceRefusal: refusal,
        cancelRequest: { reason: 'customer changed their mind', at: T1 },
      });
    });

    it('parks only in the given status, and not once a cancellation was requested', async () => {
      const order = depositPaid(presaleOf(5));
      await store.createOrder(order);
      expect(await store.park(order.orderId, 'BALANCE_DUE', 'BALANCE', 'tok-1')).toEqual({
        outcome: 'wrong-status',
        stored: fresh(order),
      });
      expect(await store.park(uid('PO-unknown'), 'DEPOSIT_PAID', 'BALANCE_WINDOW', 'tok-1')).toEqual({
        outcome: 'wrong-status',
        stored: undefined,
      });
      const requested = await store.requestCancel(order.orderId, 'out of stock', T1);
      expect(requested.requested).toBe(true);
      const cancelRequested = { ...fresh(order), cancelRequest: { reason: 'out of stock', at: T1 } };
      expect(await store.park(order.orderId, 'DEPOSIT_PAID', 'BALANCE_WINDOW', 'tok-1')).toEqual({
        outcome: 'cancel-requested',
        stored: cancelRequested,
      });
      expect(await store.getOrder(order.orderId)).toEqual(cancelRequested);
    });

    it('returns the token of the wait to interrupt when a cancellation is requested', async () => {
      const order = balanceDue(depositPaid(presaleOf(5)));
      await store.createOrder(order);
      await store.park(order.orderId, 'BALANCE_DUE', 'BALANCE', 'tok-balance');
      const expected = {
        order,
        taskToken: 'tok-balance',
        awaiting: 'BALANCE',
        cancelRequest: { reason: 'presale cancelled', at: T1 },
        lastBalanceRefusal: null,
      };
      expect(await store.requestCancel(order.orderId, 'presale cancelled', T1)).toEqual({
        requested: true,
        stored: expected,
      });
      // A redelivered request: still requested, the first request stands.
      expect(await store.requestCancel(order.orderId, 'again', '2026-10-03T00:00:00.000Z')).toEqual({
        requested: true,
        stored: expected,
      });
    });

    it('refuses a cancellation after the balance was paid, or of an unknown order', async () => {
      const order = balancePaid(depositPaid(presaleOf(5)));
      await store.createOrder(order);
      expect(await store.requestCancel(order.orderId, 'too late', T1)).toEqual({
        requested: false,
        stored: fresh(order),
      });
      expect(await store.getOrder(order.orderId)).toEqual(fresh(order));
      expect(await store.requestCancel(uid('PO-unknown'), 'who', T1)).toEqual({
        requested: false,
        stored: undefined,
      });
    });

    it('keeps the latest balance refusal on the order', async () => {
      const order = balanceDue(depositPaid(presaleOf(5)));
      await store.createOrder(order);
      await store.recordBalanceRefusal(order.orderId, { ...refusal, reason: 'BalanceWindowNotOpen' });
      await store.recordBalanceRefusal(order.orderId, refusal);
      expect(await store.getOrder(order.orderId)).toEqual({ ...fresh(order), lastBalanceRefusal: refusal });
      await expect(store.recordBalanceRefusal(uid('PO-unknown'), refusal)).rejects.toThrow(/does not exist/);
    });
  });
});

// ---- Implementation details ---------------------------------------------------------------------

describe('DynamoPresaleStore items', () => {
  const store = () => new DynamoPresaleStore(dynamo.doc, dynamo.tableName);
  const item = async (key: { pk: string; sk: string }) =>
    (await dynamo.doc.send(new GetCommand({ TableName: dynamo.tableName, Key: key, ConsistentRead: true })))
      .Item;

  it('keeps holders as a set of short order tokens, absent while nobody holds a unit', async () => {
    const presale = presaleOf(3);
    await store().savePresale(presale, null, T0);
    expect(await item(keys.presale(presale.presaleId))).not.toHaveProperty('holders');
    await store().takeUnit(presale.presaleId, 'PO-1', 1);
    const token = holderToken('PO-1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(holderToken('PO-1')).toBe(token);
    expect(await item(keys.presale(presale.presaleId))).toMatchObject({
      entity: 'Presale',
      taken: 1,
      holders: new Set([token]),
    });
    await store().returnUnit(presale.presaleId, 'PO-1');
    expect(await item(keys.presale(presale.presaleId))).not.toHaveProperty('holders');
  });

  it('stores the order beside its timeline, in the order partition', async () => {
    const order = depositPaid(presaleOf(3));
    await store().createOrder(order);
    expect(await item({ pk: `ORDER#${order.orderId}`, sk: 'PRESALE_ORDER' })).toMatchObject({
      entity: 'PresaleOrder',
      status: 'DEPOSIT_PAID',
    });
  });

  it('throws naming the presale or order when a stored item is corrupt', async () => {
    const presaleId = uid('PS-corrupt');
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: { ...keys.presale(presaleId), entity: 'Presale', presaleId, sku: '', taken: 0, version: 1 },
      }),
    );
    await expect(store().getPresale(presaleId)).rejects.toThrow(presaleId);
    const orderId = uid('PO-corrupt');
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: { ...keys.presaleOrder(orderId), entity: 'PresaleOrder', orderId, status: 'LOST' },
      }),
    );
    await expect(store().getOrder(orderId)).rejects.toThrow(orderId);
  });
});

describe('MemoryPresaleStore fault injection', () => {
  it('fails the next N calls of a method, then works', async () => {
    const store = new MemoryPresaleStore();
    const presale = presaleOf(1);
    store.failNext.savePresale = 2;
    await expect(store.savePresale(presale, null, T0)).rejects.toThrow('store unavailable');
    await expect(store.savePresale(presale, null, T0)).rejects.toThrow('store unavailable');
    expect(await store.getPresale(presale.presaleId)).toBeUndefined();
    expect((await store.savePresale(presale, null, T0)).saved).toBe(true);
  });
});
