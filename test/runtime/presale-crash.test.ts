import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { BALANCE_DUE, DAY, DEPOSIT, presaleBody, presaleClient } from '#test/support/presale-client';
import { type RuntimeProcess, spawnRuntime } from '#test/support/runtime-process';

/**
 * Issue #5: the runtime killed (SIGKILL) while a presale order's run waits — first for the balance
 * window to open, then for the balance — and restarted on the same data directory: the run
 * completes, and nothing is repeated (one unit taken, each event once, each step once).
 */
const dirs: string[] = [];
const running: RuntimeProcess[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) await r.kill9();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a presale order run across kill -9 and restart', () => {
  it('completes after the runtime is killed in both waits, with every effect once', async () => {
    const data = mkdtempSync(join(tmpdir(), 'storeflow-presale-crash-'));
    dirs.push(data);
    const args = ['--assembly', inject('appAssembly'), '--data', data, '--clock', 'virtual', '--quiet'];
    const start = async () => {
      const r = await spawnRuntime(args);
      running.push(r);
      return presaleClient(r.url, data);
    };

    let sf = await start();
    const put = await sf.api('PUT', '/api/presales/ps-crash', presaleBody(await sf.now(), { quota: 3 }));
    expect(put.status).toBe(201);
    const res = await sf.webhook('dep-crash-1', 'presale.deposit_paid', {
      orderId: 'po-crash-1',
      presaleId: 'ps-crash',
      customerId: 'cust-1',
      amount: DEPOSIT,
    });
    expect(res.status).toBe(200);
    await sf.settle();
    expect((await sf.order('po-crash-1')).status).toBe('DEPOSIT_PAID');
    sf.close();
    await running[0]!.kill9();

    // Killed while waiting for the balance window: the restart keeps the wait and its timeout.
    sf = await start();
    await sf.settle();
    expect((await sf.run('po-crash-1')).status).toBe('RUNNING');
    await sf.advance(DAY / 1000);
    await sf.settle();
    expect((await sf.order('po-crash-1')).status).toBe('BALANCE_DUE');
    sf.close();
    await running[1]!.kill9();

    // Killed while waiting for the balance: the stored task token still reaches the run.
    sf = await start();
    await sf.settle();
    const paid = await sf.webhook('bal-crash-1', 'presale.balance_paid', {
      orderId: 'po-crash-1',
      amount: BALANCE_DUE,
    });
    expect(paid.status).toBe(200);
    await sf.settle();

    const order = await sf.order('po-crash-1');
    expect(order.status).toBe('BALANCE_PAID');
    const run = await sf.run('po-crash-1');
    expect(run.status).toBe('SUCCEEDED');
    expect((await sf.presale('ps-crash')).quotaLeft).toBe(2);

    const history = await sf.history(run.executionArn);
    const entered = history.filter((e) => e.type === 'TaskStateEntered').map((e) => e.name);
    expect(entered).toEqual([
      'TakeUnit',
      'RecordOrder',
      'AwaitBalanceWindow',
      'OpenBalance',
      'AwaitBalance',
      'PayBalance',
    ]);
    expect(history.filter((e) => /Failed$/.test(e.type))).toEqual([]);
    const timeline = await sf.timeline('po-crash-1');
    const count = (name: string) => timeline.filter((i) => i.name === name).length;
    for (const name of [
      'PresaleDepositPaid',
      'PresaleBalanceDue',
      'PresaleBalancePaid',
      'PresaleFulfilmentPromised',
    ]) {
      expect(count(name), name).toBe(1);
    }
    sf.close();
    expect(await running[2]!.stop()).toBe(0);
  }, 120_000);
});
