import { describe, expect, inject, it } from 'vitest';
import { restockClient } from '#test/support/restock-client';
import { runtimeProcesses, until } from '#test/support/runtime-process';

/**
 * Issue #11: the runtime killed with SIGKILL in the middle of the nightly sweep and restarted on
 * the same data directory: the sweep resumes, every SKU is checked, and no SKU gets a second
 * purchase order (each check's claim on a SKU and supplier's slot is one conditional write, and a
 * retried check recognises its own claim).
 */
const processes = runtimeProcesses('storeflow-restock-crash-');

const SKUS = 200;

describe('the restock sweep killed with SIGKILL', () => {
  it('resumes after a restart: every SKU checked, one purchase order each', async () => {
    const data = processes.dataDir();
    const args = ['--assembly', inject('appAssembly'), '--data', data, '--clock', 'virtual', '--quiet'];
    const first = await processes.spawn(args);
    const sf = restockClient(first.url, data);
    const t0 = await sf.advanceToLocal('00:30');
    const date = sf.storeDate(t0);
    await sf.ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
    const skus = Array.from({ length: SKUS }, (_, i) => `K-${String(i).padStart(4, '0')}`);
    const queue = [...skus];
    const put = async () => {
      for (let sku = queue.shift(); sku; sku = queue.shift()) {
        await sf.ok('PUT', `/api/skus/${sku}`, {
          title: sku,
          category: 'crash',
          onHand: 0,
          supply: [
            { supplierId: 'S1', unitCost: { amount: 100, currency: 'CNY' }, casePack: 1, minOrderQty: 0 },
          ],
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, put));
    await sf.orderPaid(800_001, t0 - 86_400_000, Object.fromEntries(skus.map((s) => [s, 3])));
    await sf.settle();

    // The 02:00 sweep runs inside this advance; the runtime is killed once some purchase orders exist.
    const advancing = sf.advanceToLocal('02:00').catch(() => undefined);
    const before = await until('the sweep part-way', async () => {
      const page = await sf.ok('GET', '/api/purchase-orders?limit=500');
      return page.items.length > 0 && page.items.length < SKUS ? page.items.length : undefined;
    });
    await first.kill9();
    await advancing;
    sf.close();
    expect(before).toBeGreaterThan(0);

    const second = await processes.spawn(args);
    const again = restockClient(second.url, data);
    // The clock resumes where it was last saved; moving past 02:00 lets the resumed sweep's timers run.
    await again.advanceToLocal('03:00');
    await again.settle();

    const runs = await again.runs(/RestockSweep/);
    expect(runs.find((r) => r.name === `sweep-${date}`)?.status).toBe('SUCCEEDED');
    const pos = await again.purchaseOrders();
    expect(pos).toHaveLength(SKUS);
    expect(new Set(pos.map((p) => p.sku)).size).toBe(SKUS);
    for (const sku of skus.filter((_, i) => i % 24 === 0)) {
      const view = await again.ok('GET', `/api/skus/${sku}`);
      expect(view.lastCheck, sku).toMatchObject({ trigger: `sweep:sweep-${date}`, outcome: 'ordered' });
      expect(view.inbound, sku).toBe(pos.find((p) => p.sku === sku).quantity);
    }
    again.close();
    expect(await second.stop()).toBe(0);
  }, 180_000);
});
