import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventData } from '#domain/events/catalog';
import { salesLedger } from '#domain/restock/ledger';
import type { OrderSale, RestockStore } from '#domain/restock/store';
import { cny, policy } from './arbitraries.ts';

/**
 * The part of the store the ledger writes, in memory: each change of an order's sale happens once
 * (the paid lines, each refund by id, the cancellation) and bumps its version; a projection never
 * overwrites a newer version's.
 */
function memoryStore() {
  const sales = new Map<string, OrderSale>();
  const sold = new Map<string, { sku: string; day: string; units: number; version: number }>();
  const change = (orderId: string, apply: (sale: OrderSale) => OrderSale | null) => {
    const sale = sales.get(orderId) ?? {
      orderId,
      day: null,
      lines: {},
      returns: {},
      cancelled: false,
      version: 0,
    };
    const next = apply(sale);
    if (next) sales.set(orderId, { ...next, version: sale.version + 1 });
    return Promise.resolve(sales.get(orderId) ?? sale);
  };
  const store = {
    recordSale: (orderId: string, day: string, lines: Readonly<Record<string, number>>) =>
      change(orderId, (s) => (s.day ? null : { ...s, day, lines })),
    recordReturn: (orderId: string, refundId: string, lines: Readonly<Record<string, number>>) =>
      change(orderId, (s) =>
        refundId in s.returns ? null : { ...s, returns: { ...s.returns, [refundId]: lines } },
      ),
    recordCancellation: (orderId: string) =>
      change(orderId, (s) => (s.cancelled ? null : { ...s, cancelled: true })),
    projectSale: (sale: OrderSale, units: Readonly<Record<string, number>>) => {
      for (const [sku, n] of Object.entries(units)) {
        const key = `${sku}|${sale.day}|${sale.orderId}`;
        const before = sold.get(key);
        if (!before || before.version < sale.version)
          sold.set(key, { sku, day: sale.day as string, units: n, version: sale.version });
      }
      return Promise.resolve('written' as const);
    },
  };
  return {
    store: store as unknown as RestockStore,
    sales,
    /** Units sold of a SKU per store day. */
    unitsSold(sku: string) {
      const byDay: Record<string, number> = {};
      for (const s of sold.values()) if (s.sku === sku) byDay[s.day] = (byDay[s.day] ?? 0) + s.units;
      return byDay;
    },
  };
}

const line = (sku: string | null, quantity: number) => ({
  sku,
  productId: null,
  variantId: null,
  title: sku ?? 'gift wrap',
  quantity,
  unitPrice: cny(1_000),
});
const paid = (
  orderId: string,
  lines: Array<ReturnType<typeof line>>,
  paidAt = '2026-11-24T10:00:00.000Z',
): EventData<'OrderPaid'> => ({
  orderId,
  orderName: null,
  shopDomain: null,
  customerId: null,
  total: cny(0),
  subtotal: cny(0),
  lines,
  shippingRegion: null,
  placedAt: paidAt,
  paidAt,
});
const refund = (
  orderId: string,
  refundId: string,
  lines: Array<{ sku: string | null; quantity: number }>,
): EventData<'RefundIssued'> => ({
  orderId,
  refundId,
  amount: cny(0),
  lines,
  refundedAt: '2026-11-26T00:00:00.000Z',
});
const cancel = (orderId: string, skus: string[] = []): EventData<'OrderCancelled'> => ({
  orderId,
  reason: null,
  cancelledAt: '2026-11-26T00:00:00.000Z',
  skus,
});

const sale = (overrides: Partial<OrderSale> = {}): OrderSale => ({
  orderId: 'O-1',
  day: '2026-11-24',
  lines: {},
  returns: {},
  cancelled: false,
  version: 1,
  ...overrides,
});

describe('the sales ledger: netUnits', () => {
  const { netUnits } = salesLedger({ store: memoryStore().store, policy: async () => policy() });

  it('paid lines count, per SKU', () => {
    expect(netUnits(sale({ lines: { A: 3, B: 1 } }))).toEqual({ A: 3, B: 1 });
  });

  it('refunds subtract from their SKU only, all refunds together', () => {
    expect(netUnits(sale({ lines: { A: 3, B: 2 }, returns: { r1: { A: 1 }, r2: { A: 1, B: 2 } } }))).toEqual({
      A: 1,
      B: 0,
    });
  });

  it('a refund of more than was paid leaves 0, never a negative', () => {
    expect(netUnits(sale({ lines: { A: 1 }, returns: { r1: { A: 5 } } }))).toEqual({ A: 0 });
  });

  it('a refund of a SKU the order did not pay for is ignored', () => {
    expect(netUnits(sale({ lines: { A: 2 }, returns: { r1: { Z: 4 } } }))).toEqual({ A: 2 });
  });

  it('a cancelled order counts 0 for every SKU it paid for', () => {
    expect(netUnits(sale({ lines: { A: 3, B: 1 }, cancelled: true }))).toEqual({ A: 0, B: 0 });
  });

  const anySale = fc
    .record({
      lines: fc.dictionary(fc.constantFrom('A', 'B', 'C'), fc.nat(100)),
      returns: fc.dictionary(
        fc.string({ minLength: 1, maxLength: 4 }),
        fc.dictionary(fc.constantFrom('A', 'B', 'D'), fc.nat(100)),
      ),
      cancelled: fc.boolean(),
    })
    .map((g) => sale(g));

  it('property: one entry per paid SKU, never negative, 0 when cancelled, else paid − all its refunds', () => {
    fc.assert(
      fc.property(anySale, (s) => {
        const net = netUnits(s);
        expect(Object.keys(net).sort()).toEqual(Object.keys(s.lines).sort());
        for (const [sku, units] of Object.entries(net)) {
          expect(units).toBeGreaterThanOrEqual(0);
          expect(units).toBeLessThanOrEqual(s.lines[sku] ?? 0);
          const returned = Object.values(s.returns).reduce((n, r) => n + (r[sku] ?? 0), 0);
          expect(units).toBe(s.cancelled ? 0 : Math.max(0, (s.lines[sku] ?? 0) - returned));
        }
      }),
    );
  });

  it('property: another refund never adds units', () => {
    fc.assert(
      fc.property(anySale, fc.dictionary(fc.constantFrom('A', 'B', 'C'), fc.nat(100)), (s, more) => {
        const before = netUnits(s);
        const after = netUnits({ ...s, returns: { ...s.returns, '#extra': more } });
        for (const [sku, units] of Object.entries(after)) expect(units).toBeLessThanOrEqual(before[sku] ?? 0);
      }),
    );
  });
});

describe('the sales ledger: events in', () => {
  it('counts paid lines on the store day they were paid (16:30Z is the next day in Shanghai)', async () => {
    const m = memoryStore();
    const ledger = salesLedger({ store: m.store, policy: async () => policy() });
    await ledger.orderPaid(
      paid('O-1', [line('A', 2), line('A', 1), line('B', 4), line(null, 1)], '2026-11-24T16:30:00Z'),
    );
    expect(m.unitsSold('A')).toEqual({ '2026-11-25': 3 });
    expect(m.unitsSold('B')).toEqual({ '2026-11-25': 4 });
    // in New York the same instant is still the 24th
    const ny = memoryStore();
    await salesLedger({
      store: ny.store,
      policy: async () => policy({ timeZone: 'America/New_York' }),
    }).orderPaid(paid('O-1', [line('A', 2)], '2026-11-24T16:30:00Z'));
    expect(ny.unitsSold('A')).toEqual({ '2026-11-24': 2 });
  });

  it('a refund takes its lines back on the day paid; a cancellation takes the order back', async () => {
    const m = memoryStore();
    const ledger = salesLedger({ store: m.store, policy: async () => policy() });
    await ledger.orderPaid(paid('O-1', [line('A', 3), line('B', 2)]));
    await ledger.refundIssued(refund('O-1', 'R-1', [{ sku: 'A', quantity: 1 }]));
    expect(m.unitsSold('A')).toEqual({ '2026-11-24': 2 });
    expect(m.unitsSold('B')).toEqual({ '2026-11-24': 2 });
    await ledger.orderCancelled(cancel('O-1', ['A', 'B']));
    expect(m.unitsSold('A')).toEqual({ '2026-11-24': 0 });
    expect(m.unitsSold('B')).toEqual({ '2026-11-24': 0 });
  });

  it('a refund before the payment counts nothing until the order is paid', async () => {
    const m = memoryStore();
    const ledger = salesLedger({ store: m.store, policy: async () => policy() });
    expect(await ledger.refundIssued(refund('O-1', 'R-1', [{ sku: 'A', quantity: 1 }]))).toEqual({ skus: 0 });
    expect(m.unitsSold('A')).toEqual({});
    await ledger.orderPaid(paid('O-1', [line('A', 3)]));
    expect(m.unitsSold('A')).toEqual({ '2026-11-24': 2 });
  });

  type Change = { kind: 'paid' } | { kind: 'refund'; id: string } | { kind: 'cancel' };

  it('property: duplicates, replays and any order leave each order line counted once', async () => {
    const refunds: Record<string, Array<{ sku: string; quantity: number }>> = {
      'R-1': [{ sku: 'A', quantity: 1 }],
      'R-2': [
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 5 },
      ],
    };
    const changes = fc.array(
      fc.constantFrom<Change>(
        { kind: 'paid' },
        { kind: 'refund', id: 'R-1' },
        { kind: 'refund', id: 'R-2' },
        { kind: 'cancel' },
      ),
      { minLength: 1, maxLength: 10 },
    );
    await fc.assert(
      fc.asyncProperty(changes, async (list) => {
        const m = memoryStore();
        const ledger = salesLedger({ store: m.store, policy: async () => policy() });
        for (const c of list) {
          if (c.kind === 'paid') await ledger.orderPaid(paid('O-1', [line('A', 3), line('B', 2)]));
          else if (c.kind === 'refund') await ledger.refundIssued(refund('O-1', c.id, refunds[c.id] ?? []));
          else await ledger.orderCancelled(cancel('O-1'));
        }
        const isPaid = list.some((c) => c.kind === 'paid');
        const cancelled = list.some((c) => c.kind === 'cancel');
        const seen = new Set(list.flatMap((c) => (c.kind === 'refund' ? [c.id] : [])));
        const returned = (sku: string) =>
          [...seen].reduce(
            (n, id) =>
              n + (refunds[id] ?? []).filter((l) => l.sku === sku).reduce((a, l) => a + l.quantity, 0),
            0,
          );
        for (const [sku, paidUnits] of [
          ['A', 3],
          ['B', 2],
        ] as const) {
          const expected = cancelled ? 0 : Math.max(0, paidUnits - returned(sku));
          expect(m.unitsSold(sku)).toEqual(isPaid ? { '2026-11-24': expected } : {});
        }
      }),
      { numRuns: 200 },
    );
  });
});
