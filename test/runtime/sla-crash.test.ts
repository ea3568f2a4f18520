import { describe, expect, inject, it } from 'vitest';
import { runtimeProcesses, until } from '#test/support/runtime-process';
import { slaClient } from '#test/support/sla-client';

/**
 * Issue #12: the runtime killed with SIGKILL while the deadlines of many same-day promises are
 * being processed, and restarted on the same data directory: every promise is breached and
 * compensated exactly once (the timers' firings are journaled; a retried breach finds its state
 * and finishes it; the cap item and the promise take each compensation once).
 */
const processes = runtimeProcesses('storeflow-sla-crash-');

const ORDERS = 150;

describe('SLA deadlines with the runtime killed with SIGKILL', () => {
  it('after a restart every promise is breached and compensated exactly once', async () => {
    const data = processes.dataDir();
    const args = ['--assembly', inject('appAssembly'), '--data', data, '--clock', 'virtual', '--quiet'];
    const first = await processes.spawn(args);
    const sf = slaClient(first.url, data);
    await sf.ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
    await sf.ok('PUT', '/api/skus/MILK', {
      title: 'Milk',
      category: 'fresh-food',
      onHand: 1_000,
      supply: [{ supplierId: 'S1', unitCost: { amount: 100, currency: 'CNY' }, casePack: 1, minOrderQty: 0 }],
    });
    const paidAt = await sf.advanceToLocal('11:00');
    const orders = Array.from({ length: ORDERS }, (_, i) => 840_000 + i);
    const queue = [...orders];
    const pay = async () => {
      for (let id = queue.shift(); id; id = queue.shift()) await sf.paid(id, paidAt, { lines: { MILK: 1 } });
    };
    await Promise.all(Array.from({ length: 8 }, pay));
    await sf.advanceToLocal('17:59');
    await sf.settle();
    const from = new Date(paidAt).toISOString();
    const to = new Date(paidAt + 86_400_000).toISOString();
    const breaches = async () =>
      (await sf.ok('GET', `/api/sla/ledger?from=${from}&to=${to}&kind=delivery&limit=500`)).items.length;
    expect(await breaches()).toBe(0);

    // Every same-day timer fires at 18:05 inside this advance; the runtime dies part-way.
    const advancing = sf.advanceToLocal('18:10').catch(() => undefined);
    const before = await until('the deadlines part-way', async () => {
      const n = await breaches();
      return n > 0 && n < ORDERS ? n : undefined;
    });
    await first.kill9();
    await advancing;
    sf.close();
    expect(before).toBeGreaterThan(0);

    const second = await processes.spawn(args);
    const again = slaClient(second.url, data);
    await again.advanceToLocal('18:30');
    await again.settle();
    const ledger = await again.ledger(paidAt, paidAt + 86_400_000, 'delivery');
    expect(ledger.items).toHaveLength(ORDERS);
    expect(ledger.totals).toEqual([
      { kind: 'delivery', count: ORDERS, amount: { amount: ORDERS * 2_000, currency: 'CNY' } },
    ]);
    for (const id of orders.filter((_, i) => i % 10 === 0)) {
      const sameDay = await again.promise('orders', id, 'same-day-delivery');
      expect(sameDay, String(id)).toMatchObject({
        status: 'BREACHED',
        compensation: { amount: { amount: 2_000, currency: 'CNY' }, capped: false },
      });
      expect(await again.compensations(id), String(id)).toHaveLength(1);
    }
    again.close();
    expect(await second.stop()).toBe(0);
  }, 240_000);
});
