/**
 * `npm run screenshots`: the console's main pages as PNGs in docs/console/ (for the README), taken
 * in headless Chromium on a fresh local runtime with the virtual clock and the same demo data as
 * the browser test (test/runtime/console.test.ts). The metrics, campaign, experiment, customer and
 * leaderboard pages use the runtime's API where it answers, and the contract fixtures of
 * test/runtime/console-pages.test.ts where it answers 404 (a feature not in this build, or no such
 * record yet). Not part of `npm test`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchesOf, generateTraffic } from '#domain/metrics/traffic';
import { addDays, localDate } from '#domain/shared/calendar';
import { launchChromium } from '#test/support/browser';
import { contractFixtures, type SeenRequest } from '#test/support/console-fixtures';
import {
  seedPresaleOrder,
  seedPurchaseOrder,
  startFailingSweep,
  writeSweepMocks,
} from '#test/support/console-seed';
import { presaleClient } from '#test/support/presale-client';
import { restockClient } from '#test/support/restock-client';
import { sendTraffic } from '../local/cli/traffic.ts';
import { PROJECT_ROOT, prepareAssembly } from '../local/runtime/build.ts';
import { startRuntime } from '../local/runtime/runtime.ts';

const out = join(PROJECT_ROOT, 'docs', 'console');
const assemblyDir = join(PROJECT_ROOT, 'node_modules', '.cache', 'storeflow-test', 'app.out');
console.log('preparing the app (synthesizes on the first run)...');
await prepareAssembly(assemblyDir, { stage: 'dev' }, async (outdir, context) => {
  const { synthesize } = await import('../lib/synth.ts');
  synthesize(outdir, context);
});

const dataDir = mkdtempSync(join(tmpdir(), 'storeflow-screenshots-'));
const mockConfig = writeSweepMocks(assemblyDir, dataDir);
const runtime = await startRuntime({ assemblyDir, dataDir, port: 0, clock: 'virtual', mockConfig });
const sf = presaleClient(runtime.url, dataDir);
const rc = restockClient(runtime.url, dataDir);
const browser = await launchChromium();
try {
  await seedPresaleOrder(sf, '1001');
  await seedPresaleOrder(sf, '1002');
  const poId = await seedPurchaseOrder(rc);
  const sweep = await startFailingSweep(runtime.url, sf);
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
    adminToken: string;
    secrets: Record<string, string>;
  };
  const token = secrets.adminToken;
  // three days of storefront traffic for the metrics page (seeded: the same pictures each time)
  const clock = (await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string };
  const metricsTo = addDays(localDate(new Date(clock.now), 'Asia/Shanghai'), -1);
  const metricsFrom = addDays(metricsTo, -2);
  const traffic = generateTraffic({
    users: 400,
    days: 3,
    startDay: metricsFrom,
    timeZone: 'Asia/Shanghai',
    seed: 32,
    channels: ['ads', 'social', 'search', 'email'],
  });
  await sendTraffic({
    url: runtime.url,
    writeKey: secrets.secrets.StorefrontWriteKey!,
    shopifySecret: secrets.secrets.ShopifyWebhookSecret!,
    batches: batchesOf(traffic.events, { size: 500, seed: 32 }),
    orders: traffic.orders,
    refunds: traffic.refunds,
  });
  // what each channel cost on those days, for channel ROI (fen)
  const spend: Record<string, [string, number]> = {
    ads: ['Ads', 90_000],
    social: ['Social', 60_000],
    search: ['Search', 50_000],
    email: ['Email', 5_000],
  };
  for (const [id, [name, perDay]] of Object.entries(spend)) {
    const days = [metricsFrom, addDays(metricsFrom, 1), metricsTo];
    await sf.api('PUT', `/api/channels/${id}`, { name, spend: days.map((day) => ({ day, amount: perDay })) });
  }
  await runtime.settle();

  mkdirSync(out, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(20_000);
  const shot = async (name: string, ready: string, fullPage = false) => {
    await page.locator(ready).first().waitFor();
    await page.screenshot({ path: join(out, `${name}.png`), fullPage });
    console.log(`  docs/console/${name}.png`);
  };
  const go = (hash: string) =>
    page.evaluate((h) => {
      location.hash = h;
    }, hash);

  await page.goto(`${runtime.url}/console/`);
  await shot('login', 'input[name=token]');
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
  await shot('overview', '[data-testid=run-counts]');
  await go('#/runs');
  await shot('runs', '[data-testid=runs] tbody tr');
  await go(`#/runs/${encodeURIComponent('PresaleOrder:1001')}?state=TakeUnit`);
  await shot('run-waiting', '[data-state=AwaitBalanceWindow][data-status=waiting]');
  await go(`#/runs/${encodeURIComponent(sweep)}`);
  await shot('run-failed', '[data-state=Rank][data-status=failed]');
  await go('#/keys/order/1001');
  await shot('order-timeline', '[data-testid=timeline] li.line');
  await go(`#/purchase-orders?po=${encodeURIComponent(poId)}`);
  await page.locator('[data-testid=purchase-orders] tbody tr').first().waitFor();
  await shot('purchase-orders', '[data-page=purchase-orders] dl.fields');
  await go('#/dead-letters');
  await shot('dead-letters', '[data-testid=dead-letter-queues]');

  // The pages of issues #16–#18: the runtime's answer, or the contract fixture where it has none.
  const fixtured = new Set<string>();
  await page.route('**/api/**', async (route) => {
    const res = await route.fetch();
    if (res.status() !== 404) return route.fulfill({ response: res });
    const url = new URL(route.request().url());
    const req: SeenRequest = {
      method: route.request().method(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
    };
    const answer = contractFixtures(req);
    if (!answer) return route.fulfill({ response: res });
    fixtured.add(url.pathname);
    return route.fulfill({
      status: answer.status ?? 200,
      contentType: 'application/json',
      body: JSON.stringify(answer.body),
    });
  });
  await go(`#/metrics?from=${metricsFrom}&to=${metricsTo}`);
  await page.locator('[data-testid=gmv-chart] canvas[data-rendered=true]').waitFor();
  await shot('metrics', '[data-testid=funnel-chart] canvas[data-rendered=true]', true);
  await go('#/campaigns/C-1111');
  await shot('campaign', '[data-testid=pilot-chart] canvas[data-rendered=true]', true);
  await go('#/experiments/X-1');
  await shot('experiment', '[data-testid=variants-chart] canvas[data-rendered=true]');
  await go('#/customers/c-1001');
  await page.locator('[data-page=customer] [data-testid=timeline] li').first().waitFor();
  await shot('customer', '[data-page=customer] [data-testid=tier]', true);
  await go('#/referrals');
  await shot('leaderboard', '[data-testid=leaderboard-chart] canvas[data-rendered=true]');
  if (fixtured.size) console.log(`  (fixture answers for ${[...fixtured].sort().join(', ')})`);
} finally {
  await browser.close();
  sf.close();
  rc.close();
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}
