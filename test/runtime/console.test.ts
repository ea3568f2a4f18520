import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { batchesOf, generateTraffic } from '#domain/metrics/traffic';
import { addDays, localDate } from '#domain/shared/calendar';
import { launchChromium } from '#test/support/browser';
import {
  poisonEvent,
  seedPresaleOrder,
  seedPurchaseOrder,
  startFailingSweep,
  writeSweepMocks,
} from '#test/support/console-seed';
import { type PresaleClient, presaleClient } from '#test/support/presale-client';
import { type RestockClient, restockClient } from '#test/support/restock-client';
import { sendTraffic } from '../../local/cli/traffic.ts';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * The operations console (issue #14) in a real browser: headless Chromium (Debian's package) on
 * the console the local runtime serves at /console, against the real app on the virtual clock.
 * One runtime and one page for the file; every wait is on the DOM, never on time.
 */
let runtime: Runtime;
let dataDir: string;
let sf: PresaleClient;
let rc: RestockClient;
let browser: Browser;
let page: Page;
let adminToken: string;
const failures: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-console-'));
  const assemblyDir = inject('appAssembly');
  const mockConfig = writeSweepMocks(assemblyDir, dataDir);
  [runtime, browser] = await Promise.all([
    startRuntime({ assemblyDir, dataDir, port: 0, clock: 'virtual', mockConfig }),
    launchChromium(),
  ]);
  sf = presaleClient(runtime.url, dataDir);
  rc = restockClient(runtime.url, dataDir);
  adminToken = (JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { adminToken: string })
    .adminToken;
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // an answer's status is the screens' business (they show it); a script error is a failure
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      failures.push(`console: ${m.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  sf?.close();
  rc?.close();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const go = (hash: string) =>
  page.evaluate((h) => {
    location.hash = h;
  }, hash);

describe('the console in Chromium', () => {
  it('is served at /console and asks for the admin token; a wrong one is refused', async () => {
    await page.goto(`${runtime.url}/console`);
    expect(page.url()).toBe(`${runtime.url}/console/`);
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    // the API answers 401: the form stays, says so, and forgets the token
    await expect(page.locator('[data-testid=login-error]').textContent()).resolves.toContain('401');
    expect(await page.evaluate(() => sessionStorage.getItem('storeflow.token'))).toBeNull();

    await page.fill('input[name=token]', adminToken);
    await page.click('button[type=submit]');
    await page.locator('[data-page=overview] [data-testid=run-counts]').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('storeflow.token'))).toBe(adminToken);
  });

  it('finds an order by id and opens its presale run: the graph shows the waiting state', async () => {
    await seedPresaleOrder(sf, 'co-1001');
    await page.click('nav >> text=Order / SKU');
    await page.fill('[data-page=keys] input[name=key]', 'co-1001');
    await page.click('[data-page=keys] button[type=submit]');
    await page.locator('[data-page=timeline] [data-testid=timeline] li.line').first().waitFor();
    const lines = await page.locator('[data-testid=timeline] li.line strong').allTextContents();
    expect(lines).toEqual(expect.arrayContaining(['presale.deposit_paid', 'PresaleDepositPaid']));

    await page.click('[data-testid=key-runs] a[data-run="PresaleOrder:co-1001"]');
    const graph = page.locator('[data-page=run] [data-testid=graph]');
    await graph.locator('[data-state=AwaitBalanceWindow][data-status=waiting]').waitFor();
    expect(await graph.locator('[data-state=TakeUnit]').getAttribute('data-status')).toBe('succeeded');
    expect(await graph.locator('[data-state=AwaitBalance]').getAttribute('data-status')).toBe('not-run');
    expect(await graph.locator('[data-status=waiting]').count()).toBe(1);
    // the waiting state is drawn highlighted (its own colour and a thick outline)
    const stroke = await graph
      .locator('[data-state=AwaitBalanceWindow] rect')
      .evaluate((r) => getComputedStyle(r).strokeWidth);
    expect(stroke).toBe('3px');
    await expect(page.locator('[data-testid=waiting-for]').textContent()).resolves.toContain(
      'the balance window to open',
    );
    expect(await page.locator('[data-page=run] h1 [data-status]').textContent()).toBe('RUNNING');
    expect(await page.locator('[data-action=redrive]').isDisabled()).toBe(true);
    expect(await page.locator('[data-action=stop]').isEnabled()).toBe(true);

    // a state's input and output, and the event history
    await graph.locator('[data-state=TakeUnit]').click();
    const detail = page.locator('[data-testid=state-detail]');
    await detail.waitFor();
    expect(await detail.textContent()).toContain('co-1001');
    const events = await page.locator('[data-testid=history] tbody tr').count();
    expect(events).toBeGreaterThan(3);
  });

  it('approves a purchase order and sees its approval run move on', async () => {
    const poId = await seedPurchaseOrder(rc);
    await go(`#/runs/${encodeURIComponent(`PurchaseOrderApproval:${poId}`)}`);
    await page.locator('[data-state=AwaitApproval][data-status=waiting]').waitFor();

    // the overview lists it among what waits for a person
    await go('#/overview');
    await page.locator(`[data-testid=waiting] a[data-run="PurchaseOrderApproval:${poId}"]`).waitFor();

    await go('#/purchase-orders');
    const row = page.locator('[data-testid=purchase-orders] tbody tr', { hasText: poId });
    expect(await row.locator('[data-status]').first().textContent()).toBe('AWAITING_APPROVAL');
    await row.locator('[data-action=approve]').click();
    await row.locator('[data-status=APPROVED]').waitFor();
    await sf.settle();

    await go(`#/runs/${encodeURIComponent(`PurchaseOrderApproval:${poId}`)}`);
    await page.locator('[data-page=run] h1 [data-status=SUCCEEDED]').waitFor();
    expect(await page.locator('[data-state=AwaitApproval]').getAttribute('data-status')).toBe('succeeded');
    expect(await page.locator('[data-testid=waiting-for]').count()).toBe(0);
    expect((await rc.ok('GET', `/api/purchase-orders/${poId}`)).approval).toMatchObject({
      decision: 'APPROVED',
      by: 'console',
    });
  });

  it('redrives a failed run from its failed step', async () => {
    const id = await startFailingSweep(runtime.url, sf);
    await go('#/runs');
    await page.selectOption('[data-page=runs] select[name=status]', 'FAILED');
    const link = page.locator(`[data-testid=runs] a[data-run="${id}"]`);
    await link.click();
    await page.locator('[data-page=run] h1 [data-status=FAILED]').waitFor();
    expect(await page.locator('[data-state=Rank]').getAttribute('data-status')).toBe('failed');
    expect(await page.locator('[data-testid=run-error]').textContent()).toContain('RestockStepRejected');

    await page.click('[data-action=redrive]');
    await sf.settle();
    await page.locator('[data-page=run] h1 [data-status=SUCCEEDED]').waitFor();
    expect(await page.locator('[data-state=Rank]').getAttribute('data-status')).toBe('succeeded');
    // the sweep's Distributed Maps, with their children done of total
    const progress = await page.locator('[data-testid=map-runs] li').allTextContents();
    expect(progress.join('\n')).toMatch(/Measure.*0\/0 children done/);
    expect((await sf.api('GET', `/api/runs/${encodeURIComponent(id)}`)).body.redriveCount).toBe(1);
  });

  it('shows each workflow’s data: a presale, a presale order, the SLA ledger, a price dry run', async () => {
    await go('#/presales?presale=ps-console&order=co-1001');
    const fields = page.locator('[data-page=presales] dl.fields');
    await fields.nth(1).waitFor();
    expect(await fields.nth(0).textContent()).toContain('SOFA-OAK-3');
    expect(await fields.nth(1).textContent()).toContain('DEPOSIT_PAID');

    await go('#/promises');
    await page
      .locator('[data-page=promises] section', { hasText: 'SLA ledger' })
      .locator('table, p.muted')
      .first()
      .waitFor();
    expect(await page.locator('[data-page=promises] [role=alert]').count()).toBe(0);

    await go('#/pricing?sku=DESK-WALNUT');
    await page
      .locator('[data-page=pricing] section', { hasText: 'Price history' })
      .locator('table, p.muted, [role=alert]')
      .first()
      .waitFor();
    await page.click('[data-action=dry-run]');
    await page.locator('[data-testid=dry-run], [data-page=pricing] .action [role=alert]').first().waitFor();
    expect(await page.locator('[data-testid=dry-run]').textContent()).toContain('nothing applied');
  });

  it('draws the metrics of generated storefront traffic as the API computes them (issue #16)', async () => {
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
      secrets: Record<string, string>;
    };
    const clock = (await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string };
    const tz = 'Asia/Shanghai';
    const day = addDays(localDate(new Date(clock.now), tz), -1);
    const generated = generateTraffic({ users: 150, days: 1, startDay: day, timeZone: tz, seed: 28 });
    const sent = await sendTraffic({
      url: runtime.url,
      writeKey: secrets.secrets.StorefrontWriteKey!,
      shopifySecret: secrets.secrets.ShopifyWebhookSecret!,
      batches: batchesOf(generated.events, { size: 500, seed: 28 }),
      orders: generated.orders,
      refunds: generated.refunds,
    });
    expect(sent.failures).toEqual([]);
    await runtime.settle();
    const funnel = (await sf.api('GET', `/api/metrics/funnel?from=${day}&to=${day}`)).body as {
      steps: Array<{ users: number }>;
    };
    const gmv = (await sf.api('GET', `/api/metrics/gmv?from=${day}&to=${day}&by=channel`)).body as {
      rows: Array<{ key: string; gmv: number }>;
      total: { traffic: number; gmv: number };
      currency: string;
      timeZone: string;
    };
    expect(funnel.steps[4]!.users).toBeGreaterThan(0);

    await go(`#/metrics?from=${day}&to=${day}&by=channel`);
    const drawn = async (testid: string) => {
      const canvas = page.locator(`[data-testid=${testid}] canvas[data-rendered=true]`);
      await canvas.waitFor();
      return {
        labels: JSON.parse((await canvas.getAttribute('data-labels'))!) as string[],
        values: JSON.parse((await canvas.getAttribute('data-values'))!) as number[][],
      };
    };
    expect((await drawn('funnel-chart')).values).toEqual([funnel.steps.map((s) => s.users)]);
    const byGmv = [...gmv.rows].sort((a, b) => b.gmv - a.gmv);
    const chart = await drawn('gmv-chart');
    expect(chart.labels).toEqual(byGmv.map((r) => r.key));
    expect(chart.values).toEqual([byGmv.map((r) => r.gmv / 100)]);
    const identity = await page.locator('[data-testid=gmv-identity]').textContent();
    expect(identity).toContain(`${gmv.total.traffic.toLocaleString('en-US')} visitors`);
    expect(identity).toContain(`= ${(gmv.total.gmv / 100).toFixed(2)} ${gmv.currency}`);
    expect(await page.locator('[data-page=metrics] [data-testid=period]').first().textContent()).toBe(
      `${day} – ${day} · ${gmv.timeZone}`,
    );
  });

  it('lists the dead letters, peeks at their messages and replays one', async () => {
    await poisonEvent(runtime.url, runtime.summary.buses, sf);
    await go('#/dead-letters');
    const queue = page.locator('[data-testid=dead-letter-queues] tbody tr').first();
    await queue.waitFor();
    const depth = async () => Number((await sf.api('GET', '/api/dead-letters')).body.queues[0].depth);
    const before = await depth();
    expect(before).toBeGreaterThanOrEqual(1);
    expect(await queue.textContent()).toContain('Presale/StartOrder');
    await queue.locator('button.link').click();
    const messages = page.locator('[data-testid=dead-letter-messages] tbody tr');
    await messages.first().waitFor();
    expect(await messages.count()).toBe(before);
    expect(await messages.first().textContent()).toContain('RetriesExhausted');

    await messages.first().locator('[data-action=replay]').click();
    await page.locator('p.notice', { hasText: '"replayed":1' }).waitFor();
    await page
      .locator('[data-testid=dead-letter-messages] tbody tr')
      .nth(before - 1)
      .waitFor({ state: 'detached' });
    expect(await depth()).toBe(before - 1);
    expect(failures).toEqual([]);
  });
});
