/**
 * `npm run screenshots`: the console's main pages as PNGs in docs/console/ (for the README), taken
 * in headless Chromium on a fresh local runtime with the virtual clock and the same demo data as
 * the browser test (test/runtime/console.test.ts). Not part of `npm test`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '#test/support/browser';
import {
  seedPresaleOrder,
  seedPurchaseOrder,
  startFailingSweep,
  writeSweepMocks,
} from '#test/support/console-seed';
import { presaleClient } from '#test/support/presale-client';
import { restockClient } from '#test/support/restock-client';
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
  const token = (JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { adminToken: string })
    .adminToken;

  mkdirSync(out, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(20_000);
  const shot = async (name: string, ready: string) => {
    await page.locator(ready).first().waitFor();
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: false });
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
} finally {
  await browser.close();
  sf.close();
  rc.close();
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}
