import { describe, expect, inject, it } from 'vitest';
import { repricingClient } from '#test/support/repricing-client';
import { runtimeProcesses, until } from '#test/support/runtime-process';

/**
 * Issue #13: the runtime killed with SIGKILL in the middle of an hourly repricing run and
 * restarted on the same data directory: the run resumes, every SKU is repriced, and each change
 * is applied once (one conditional write on the SKU's pricing version that records the run's
 * instant; a retried page recognises the changes it already made and only finishes their record
 * and event).
 */
const processes = runtimeProcesses('storeflow-repricing-crash-');

const SKUS = 200;

describe('an hourly repricing run killed with SIGKILL', () => {
  it('resumes after a restart: every SKU repriced, each change applied and published once', async () => {
    const data = processes.dataDir();
    const args = ['--assembly', inject('appAssembly'), '--data', data, '--clock', 'virtual', '--quiet'];
    const first = await processes.spawn(args);
    const sf = repricingClient(first.url, data);
    const t0 = await sf.advanceToLocal('09:30');
    await sf.ok('PUT', '/api/pricing-rules', {
      rules: [{ type: 'lowStock', below: 50, raiseBps: 1000 }],
      maxChangePerRunBps: 1500,
    });
    await sf.ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
    const skus = Array.from({ length: SKUS }, (_, i) => `P-${String(i).padStart(4, '0')}`);
    const queue = [...skus];
    const put = async () => {
      for (let sku = queue.shift(); sku; sku = queue.shift()) {
        // Low stock: +10% → 110.00 each.
        await sf.sku(sku, { onHand: 5, cost: 5000, listPrice: 10000, price: 10000 });
      }
    };
    await Promise.all(Array.from({ length: 8 }, put));
    await sf.settle();

    // The 10:00 run happens inside this advance; the runtime is killed once some prices moved.
    const advancing = sf.advanceToLocal('10:00').catch(() => undefined);
    const sample = skus.filter((_, i) => i % 10 === 0);
    const before = await until('the run part-way', async () => {
      const moved = (await Promise.all(sample.map((s) => sf.price(s)))).filter((p) => p === 11000).length;
      return moved > 0 && moved < sample.length ? moved : undefined;
    });
    await first.kill9();
    await advancing;
    sf.close();
    expect(before).toBeGreaterThan(0);

    const second = await processes.spawn(args);
    const again = repricingClient(second.url, data);
    // The clock resumes where it was last saved; moving on lets the resumed run's timers run.
    await again.advanceToLocal('10:30');
    await again.settle();

    const runId = `reprice-${again.storeDate(t0)}T10`;
    expect((await again.runs(/RepricingRun/)).find((r) => r.name === runId)?.status).toBe('SUCCEEDED');
    expect((await again.ok('GET', '/api/skus?limit=500')).items).toHaveLength(SKUS);
    for (const sku of skus) expect(await again.price(sku), sku).toBe(11000);
    for (const sku of skus.filter((_, i) => i % 8 === 0)) {
      const runs = (await again.prices(sku)).filter((p) => p.source === 'run');
      expect(
        runs.map((p) => [p.runId, p.old.amount, p.new.amount]),
        sku,
      ).toEqual([[runId, 10000, 11000]]);
      const lines = (await again.timeline('skus', sku)).filter(
        (l) => l.kind === 'price-change' && l.detail.data.runId === runId,
      );
      expect(lines, sku).toHaveLength(1);
    }
    again.close();
    expect(await second.stop()).toBe(0);
  }, 180_000);
});
