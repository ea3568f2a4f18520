import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from '#test/support/browser';
import {
  CAMPAIGNS,
  CUSTOMERS,
  contractFixtures,
  type FixtureHandler,
  routeApi,
  type SeenRequest,
  serveConsoleBuild,
} from '#test/support/console-fixtures';
import { buildConsole } from '../../console/build.ts';

/**
 * The console's metrics, campaign, experiment, customer and leaderboard pages (issues #16, #17,
 * #18) in headless Chromium: the real build, served with the runtime's own handler (the same CSP),
 * its API answered by fixtures in the features' shapes (test/support/console-fixtures.ts) through
 * page.route, so each page is checked before (and apart from) its feature: what a user sees, and
 * the calls the page makes. Every wait is on the DOM.
 */
let out: string;
let server: { url: string; close(): Promise<void> };
let browser: Browser;
let page: Page;
let requests: SeenRequest[];
let extra: FixtureHandler[] = [];
const failures: string[] = [];

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'storeflow-console-pages-'));
  buildConsole(out);
  [server, browser] = await Promise.all([serveConsoleBuild(out), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // an answer's status is the page's business (it shows it); a script or CSP error is a failure
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      failures.push(`console: ${m.text()}`);
  });
  // the CSP's own report of anything it refused (an inline style, an eval), whatever the console says
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  requests = await routeApi(page, () => [...extra, contractFixtures]);
  await page.goto(`${server.url}/console/`);
  await page.fill('input[name=token]', 'fixture-token');
  await page.click('button[type=submit]');
  await page.locator('nav >> text=Metrics').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(out, { recursive: true, force: true });
});

beforeEach(() => {
  extra = [];
  requests.length = 0;
});

const go = (hash: string) =>
  page.evaluate((h) => {
    location.hash = h;
  }, hash);

/** What Chart.js drew on a chart's canvas: its labels and its datasets' values (set after render). */
async function chart(testid: string) {
  const canvas = page.locator(`[data-testid=${testid}] canvas[data-rendered=true]`);
  await canvas.waitFor();
  const [labels, values, painted] = await Promise.all([
    canvas.getAttribute('data-labels'),
    canvas.getAttribute('data-values'),
    // pixels really drawn: the share of the canvas that is not transparent
    canvas.evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n / (c.width * c.height);
    }),
  ]);
  return { labels: JSON.parse(labels!) as string[], values: JSON.parse(values!) as unknown[][], painted };
}

const calls = (path: string) => requests.filter((r) => r.path === path);
const text = (selector: string) => page.locator(selector).first().textContent();

describe('the metrics page', () => {
  it('draws the funnel and GMV = traffic × conversion × AOV for the date range', async () => {
    await page.click('nav >> text=Metrics');
    await go('#/metrics?from=2026-11-01&to=2026-11-03');
    const funnel = await chart('funnel-chart');
    expect(funnel.labels).toEqual(['Visit', 'Product view', 'Add to cart', 'Checkout', 'Paid']);
    expect(funnel.values).toEqual([[1000, 640, 240, 120, 84]]);
    expect(funnel.painted).toBeGreaterThan(0.02);
    // the nav click first loads the default range (the last 7 days): wait for the range's own calls
    await expect
      .poll(() => calls('/api/metrics/funnel').at(-1)?.query)
      .toEqual({ from: '2026-11-01', to: '2026-11-03' });
    await expect
      .poll(() => calls('/api/metrics/gmv').at(-1)?.query)
      .toEqual({
        from: '2026-11-01',
        to: '2026-11-03',
        by: 'day',
      });

    const dropOffs = await page.locator('[data-testid=funnel] tbody tr td:nth-child(3)').allTextContents();
    expect(dropOffs).toEqual(['—', '36.00%', '62.50%', '50.00%', '30.00%']);
    expect(await text('[data-testid=worst-step]')).toContain('Add to cart, 62.50%');
    expect(await text('[data-page=metrics] [data-testid=period]')).toBe(
      '2026-11-01 – 2026-11-03 · Asia/Shanghai',
    );

    const identity = await text('[data-testid=gmv-identity]');
    expect(identity).toContain('1,000 visitors × 3.10% × 253.32 CNY = 7853.00 CNY');
    expect(identity).toContain('(the product is 7852.92 CNY: rounding)');
    expect(identity).toContain('repurchase 6.45%');
    expect((await chart('traffic-chart')).values).toEqual([[400, 350, 250]]);
    expect((await chart('conversion-chart')).values).toEqual([
      [3, 4, 2],
      [16.67, 0, null],
    ]);
    expect((await chart('aov-chart')).values).toEqual([[256, 199, 399]]);
    const gmv = await chart('gmv-chart');
    expect(gmv.labels).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(gmv.values).toEqual([[3072, 2786, 1995]]);
    // the numbers behind a chart, as a table a reader can open
    await page.click('[data-testid=gmv-chart] summary');
    expect(await page.locator('[data-testid=gmv-chart-table] tbody tr').first().textContent()).toBe(
      '2026-11-013072.00 CNY',
    );
  });

  it('asks again for a new date range and channel, and per channel', async () => {
    await go('#/metrics?from=2026-11-01&to=2026-11-03');
    await chart('funnel-chart');
    await page.fill('[data-testid=range] input[name=from]', '2026-11-02');
    await page.fill('[data-testid=range] input[name=channel]', 'douyin');
    await page.click('[data-testid=range] button[type=submit]');
    await page.locator('[data-page=metrics] h2', { hasText: 'Funnel · douyin' }).waitFor();
    await expect.poll(async () => (await chart('funnel-chart')).values).toEqual([[500, 300, 100, 50, 15]]);
    expect(calls('/api/metrics/funnel').at(-1)!.query).toEqual({
      from: '2026-11-02',
      to: '2026-11-03',
      channel: 'douyin',
    });
    // the page's other sections ask in parallel with the funnel: wait for their calls too
    await expect
      .poll(() => calls('/api/metrics/gmv').at(-1)?.query)
      .toEqual({
        from: '2026-11-02',
        to: '2026-11-03',
        by: 'day',
      });
    await expect
      .poll(() => calls('/api/metrics/channels').at(-1)?.query)
      .toEqual({ from: '2026-11-02', to: '2026-11-03' });

    await page.click('[data-by=channel]');
    await expect.poll(async () => (await chart('gmv-chart')).labels).toEqual(['douyin', 'wechat', 'direct']);
    expect((await chart('gmv-chart')).values).toEqual([[4200, 2000, 1653]]);
    expect(calls('/api/metrics/gmv').at(-1)!.query).toEqual({
      from: '2026-11-02',
      to: '2026-11-03',
      by: 'channel',
    });

    // a range that ends before it starts is refused here, without asking the API
    const before = requests.length;
    await page.fill('[data-testid=range] input[name=from]', '2026-11-05');
    await page.click('[data-testid=range] button[type=submit]');
    expect(await text('[data-testid=range] [role=alert]')).toContain('start on or before its end');
    expect(requests.length).toBe(before);
  });

  it('shows channel ROI, sell-through and retention cohorts', async () => {
    await go('#/metrics?from=2026-11-01&to=2026-11-03');
    const roi = await chart('channels-chart');
    expect(roi.labels).toEqual(['direct', 'Douyin', 'WeChat']);
    expect(roi.values).toEqual([
      [1653, 4200, 2000],
      [0, 1200, 1333.34],
      [null, 3.5, 1.5],
    ]);
    const rows = await page.locator('[data-testid=channels] tbody tr').allTextContents();
    expect(rows).toEqual([
      'direct1653.00 CNY0.00 CNY—',
      'Douyin4200.00 CNY1200.00 CNY3.50×',
      'WeChat2000.00 CNY1333.34 CNY1.50×',
    ]);
    expect(await text('[data-testid=sell-through]')).toContain('65.00% of SKUs sold in the period');
    expect(await text('[data-testid=sell-through]')).toContain('26 of 40 SKUs');
    const cohorts = await page.locator('[data-testid=retention] tbody tr').allTextContents();
    expect(cohorts).toEqual(['2026-0912025.0%12.5%', '2026-108015.0%', '2026-110']);
  });

  it('shows an endpoint’s error in its own section and keeps the others', async () => {
    extra = [
      (r) =>
        r.path === '/api/metrics/funnel'
          ? {
              status: 400,
              body: {
                message: 'invalid request',
                errors: [{ field: 'to', reason: 'the period is 120 days; at most 93' }],
              },
            }
          : undefined,
      (r) =>
        r.path === '/api/metrics/channels'
          ? { status: 500, body: { message: 'metrics store unavailable' } }
          : undefined,
    ];
    await go('#/metrics?from=2026-07-01&to=2026-10-28');
    const funnel = page.locator('[data-page=metrics] section', { hasText: 'Funnel' });
    await funnel.locator('[role=alert]').waitFor();
    expect(await funnel.locator('[role=alert]').textContent()).toBe(
      '400 · invalid request · to: the period is 120 days; at most 93',
    );
    const channels = page.locator('[data-page=metrics] section', { hasText: 'Channel ROI' });
    expect(await channels.locator('[role=alert]').textContent()).toBe('500 · metrics store unavailable');
    expect((await chart('gmv-chart')).values).toEqual([[3072, 2786, 1995]]);
    expect(await page.locator('[data-testid=funnel-chart]').count()).toBe(0);
  });

  it('keeps to an answer without its optional parts (no period, no total, no rows)', async () => {
    extra = [
      (r) => (r.path === '/api/metrics/gmv' ? { body: { rows: [] } } : undefined),
      (r) => (r.path === '/api/metrics/funnel' ? { body: { steps: [] } } : undefined),
      (r) => (r.path === '/api/metrics/retention' ? { body: {} } : undefined),
    ];
    await go('#/overview');
    await go('#/metrics?from=2026-11-01&to=2026-11-02');
    await page.locator('text=No storefront events in this period.').waitFor();
    await page.locator('text=No traffic or orders in this period.').waitFor();
    await page.locator('text=No cohorts yet').waitFor();
    expect(await text('[data-page=metrics] [data-testid=period]')).toBe('2026-11-01 – 2026-11-02');
    expect(await page.locator('[data-testid=gmv-identity]').count()).toBe(0);
  });
});

describe('the campaign and experiment pages', () => {
  it('shows an evaluated campaign and approves it', async () => {
    let current: unknown = CAMPAIGNS.awaiting;
    extra = [
      (r) => (r.method === 'GET' && r.path === '/api/campaigns/C-1111' ? { body: current } : undefined),
      (r) => {
        if (r.method !== 'POST' || r.path !== '/api/campaigns/C-1111/approve') return undefined;
        current = CAMPAIGNS.approved;
        return { body: current };
      },
    ];
    await page.click('nav >> text=Campaigns');
    await page.fill('[data-page=campaigns] input[name=campaign]', 'C-1111');
    await page.click('[data-page=campaigns] button[type=submit]');
    await page.locator('[data-page=campaign] h1 [data-status=AWAITING_DECISION]').waitFor();
    expect(await text('[data-page=campaign] h1')).toContain('Double 11 warm-up');
    const pilot = await chart('pilot-chart');
    expect(pilot.labels).toEqual(['pilot', 'control']);
    expect(pilot.values).toEqual([[13, 10]]);
    expect(await page.locator('[data-testid=pilot-groups] tbody tr').allTextContents()).toEqual([
      'pilot2,00026013.00%',
      'control2,00020010.00%',
    ]);
    expect(await text('[data-testid=lift]')).toBe('+30.00%');
    expect(await text('[data-testid=z]')).toBe('2.988');
    expect(await text('[data-testid=p-value]')).toBe('0.0028');
    expect(await text('[data-testid=sample-ratio]')).toBe('as planned');
    expect(await page.locator('[data-decision]').getAttribute('data-decision')).toBe('rollout');
    expect(await text('[data-testid=reason]')).toContain('+30.00% ≥ +20.00% required');
    expect(await text('[data-testid=tiers]')).toBe(
      'spend 199.00 CNY save 30.00 CNY · spend 399.00 CNY save 80.00 CNY · spend 599.00 CNY save 150.00 CNY',
    );

    await page.fill('[data-testid=decide] input[name=reason]', 'numbers look right');
    await page.click('[data-action=approve]');
    await page.locator('[data-page=campaign] h1 [data-status=ROLLED_OUT]').waitFor();
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts).toEqual([
      {
        method: 'POST',
        path: '/api/campaigns/C-1111/approve',
        query: {},
        body: { by: 'console', reason: 'numbers look right' },
      },
    ]);
    expect(await text('[data-testid=decided]')).toBe('Decided: rollout by console — numbers look right');
    expect(await page.locator('[data-action=approve]').isDisabled()).toBe(true);
    expect(await page.locator('[data-action=abort]').isEnabled()).toBe(true);
    expect(await page.locator('[data-testid=history] tbody tr').count()).toBe(5);
  });

  it('shows a pilot’s live numbers and aborts it with a reason', async () => {
    let current: unknown = CAMPAIGNS.pilot;
    extra = [
      (r) => (r.method === 'GET' && r.path === '/api/campaigns/C-2222' ? { body: current } : undefined),
      (r) => {
        if (r.method !== 'POST' || r.path !== '/api/campaigns/C-2222/abort') return undefined;
        current = { ...CAMPAIGNS.pilot, status: 'ABORTED', live: null };
        return { body: current };
      },
    ];
    await go('#/campaigns/C-2222');
    await page.locator('[data-page=campaign] h2', { hasText: 'Pilot against control (live)' }).waitFor();
    expect((await chart('pilot-chart')).values).toEqual([[11.9458, 8.8861]]);
    expect(await text('[data-page=campaign] section:has-text("Evaluation and decision") p.muted')).toContain(
      'Not evaluated yet',
    );
    expect(await page.locator('[data-action=approve]').isDisabled()).toBe(true);

    // no reason: refused here, nothing sent
    await page.click('[data-action=abort]');
    expect(await text('[data-page=campaign] [role=alert]')).toContain('Say why the campaign is aborted');
    expect(requests.filter((r) => r.method === 'POST')).toEqual([]);

    await page.fill('[data-testid=decide] input[name=reason]', 'wrong tiers');
    await page.click('[data-action=abort]');
    await page.locator('[data-page=campaign] h1 [data-status=ABORTED]').waitFor();
    expect(requests.filter((r) => r.method === 'POST')).toEqual([
      {
        method: 'POST',
        path: '/api/campaigns/C-2222/abort',
        query: {},
        body: { by: 'console', reason: 'wrong tiers' },
      },
    ]);
    expect(await page.locator('[data-action=abort]').isDisabled()).toBe(true);
    expect(await text('[data-page=campaign] section:has-text("Pilot against control") p.muted')).toContain(
      'No pilot numbers yet',
    );
  });

  it('shows a held campaign’s sample-ratio mismatch, and the API’s refusal of an approval', async () => {
    extra = [
      (r) =>
        r.method === 'POST' && r.path === '/api/campaigns/C-3333/approve'
          ? { status: 409, body: { message: 'campaign C-3333 is not awaiting a decision' } }
          : undefined,
    ];
    await go('#/campaigns/C-3333');
    await page.locator('[data-testid=sample-ratio][data-ok=false]').waitFor();
    expect(await text('[data-testid=sample-ratio]')).toContain('mismatch');
    expect(await page.locator('[data-decision]').getAttribute('data-decision')).toBe('hold');
    expect((await chart('pilot-chart')).values).toEqual([[12.6923, 10]]);
    await page.click('[data-action=approve]');
    const error = page.locator('.action [role=alert]');
    await error.waitFor();
    expect(await error.textContent()).toBe('409 · campaign C-3333 is not awaiting a decision');
    expect(await page.locator('[data-page=campaign] h1 [data-status]').textContent()).toBe(
      'AWAITING_DECISION',
    );
  });

  it('shows a campaign that has nothing measured yet, and a missing one', async () => {
    await go('#/campaigns/C-4444');
    await page.locator('[data-page=campaign] h1 [data-status=SCHEDULED]').waitFor();
    await page.locator('text=No pilot numbers yet: the pilot has not started.').waitFor();
    expect(await page.locator('[data-testid=pilot-chart]').count()).toBe(0);
    await go('#/campaigns/C-0000');
    await page.locator('[data-page=campaign] [role=alert]', { hasText: '404' }).waitFor();
    expect(await text('[data-page=campaign] [role=alert]')).toBe('404 · campaign C-0000 does not exist');
  });

  it('shows an experiment’s variants with their rates and the winner, and one without', async () => {
    await page.click('nav >> text=Experiments');
    await page.fill('[data-page=experiments] input[name=experiment]', 'X-1');
    await page.click('[data-page=experiments] button[type=submit]');
    const variants = await chart('variants-chart');
    expect(variants.labels).toEqual(['control', 'cheaper']);
    expect(variants.values).toEqual([[10, 13.93]]);
    expect(await text('[data-testid=winner] .winner')).toBe('cheaper');
    expect(await page.locator('[data-testid=variants] tr.winner').getAttribute('data-variant')).toBe(
      'cheaper',
    );
    expect(await page.locator('[data-testid=variants] tbody tr').allTextContents()).toEqual([
      'control (control)99.00 CNY502,00020010.00%—',
      'cheaper winner89.00 CNY502,01028013.93%0.0001',
    ]);

    await go('#/experiments/X-2');
    await page.locator('[data-page=experiment] h1 [data-status=CONCLUDED]').waitFor();
    expect((await chart('variants-chart')).values).toEqual([[30, 31.01, 29.19]]);
    expect(await text('[data-testid=variants-chart] figcaption')).toBe('Click-through per variant');
    expect(await text('[data-testid=winner]')).toContain('No winner');
    expect(await text('[data-testid=experiment-reason]')).toContain('the control is kept');
    expect(await page.locator('[data-testid=variants] tr.winner').count()).toBe(0);
  });
});

describe('the customer page and the leaderboard', () => {
  it('shows tier, history with reasons, window, next tier, coupons, referrals and timeline', async () => {
    await page.click('nav >> text=Customers');
    await page.fill('[data-page=customers] input[name=customer]', 'c-1001');
    await page.click('[data-page=customers] button[type=submit]');
    await page.locator('[data-page=customer] [data-testid=tier][data-tier=gold]').waitFor();
    expect(await text('[data-testid=window-spend]')).toBe('6200.00 CNY');
    expect(await text('[data-testid=window-orders]')).toBe('7');
    expect(await text('[data-testid=benefits]')).toBe(
      'Benefits: 3.00% off · free shipping · SLA compensation ×1.50',
    );
    expect(await text('[data-testid=next-tier] p')).toBe(
      'Next: diamond — 3800.00 CNY more spend and 3 more orders',
    );
    expect(await page.locator('[data-testid=next-tier] progress').getAttribute('value')).toBe('62');
    expect(await page.locator('[data-testid=tier-reason]').allTextContents()).toEqual([
      'upgraded silver → gold: order 1040 paid; 6200.00 CNY over 7 orders in the window',
      'upgraded none → silver: order 1010 paid; 1200.00 CNY over 3 orders in the window',
    ]);
    expect(await page.locator('[data-testid=coupons] tbody tr').allTextContents()).toEqual([
      'REF-0A1B2C3D4E5Fopen20.00 CNY0.00 CNYreferral2027-06-02 08:00:00Z',
      'SLA-112233445566redeemed15.00 CNY0.00 CNYsla-compensation2027-06-02 08:00:00Z2026-10-01 10:00:00Z order 1042',
    ]);
    expect(await text('[data-testid=referral-code]')).toBe('ALICE7Q');
    expect(await text('[data-testid=invited-by]')).toBe('c-0999 · rewarded');
    expect(await text('[data-testid=referral-counts]')).toContain('2 in 2026-11, 5 in 2026');
    expect(
      await page.locator('[data-page=customer] [data-testid=timeline] li.line strong').allTextContents(),
    ).toEqual(['MemberTierChanged', 'CouponIssued']);
    expect(calls('/api/customers/c-1001/timeline')).toHaveLength(1);
    // the inviter is a link to their own page
    await page.click('[data-testid=invited-by] a');
    await page.locator('[data-page=customer] h1', { hasText: 'c-0999' }).waitFor();
  });

  it('shows a customer with nothing yet and creates their referral code', async () => {
    let current: Record<string, unknown> = CUSTOMERS.fresh;
    extra = [
      (r) => (r.method === 'GET' && r.path === '/api/customers/c-2002' ? { body: current } : undefined),
      (r) => {
        if (r.method !== 'POST' || r.path !== '/api/customers/c-2002/referral-code') return undefined;
        current = { ...CUSTOMERS.fresh, referralCode: 'NEWCODE1' };
        return { body: { customerId: 'c-2002', referralCode: 'NEWCODE1' } };
      },
    ];
    await go('#/customers/c-2002');
    await page.locator('[data-page=customer] [data-testid=tier][data-tier=none]').waitFor();
    await page.locator('text=No tier change yet.').waitFor();
    await page.locator('text=No coupons.').waitFor();
    expect(await text('[data-testid=window-spend]')).toBe('—');
    expect(await text('[data-testid=invited-by]')).toBe('—');
    await page.click('[data-action=referral-code]');
    await expect.poll(() => text('[data-testid=referral-code]')).toBe('NEWCODE1');
    expect(requests.filter((r) => r.method === 'POST')).toEqual([
      { method: 'POST', path: '/api/customers/c-2002/referral-code', query: {}, body: {} },
    ]);
  });

  it('ranks inviters by rewarded referrals, by month or year', async () => {
    await page.click('nav >> text=Referrals');
    const month = await chart('leaderboard-chart');
    expect(month.labels).toEqual(['c-0999', 'c-1001', 'c-1500']);
    expect(month.values).toEqual([[6, 2, 2]]);
    expect(await text('[data-page=leaderboard] h2')).toContain('2026-11 · Asia/Shanghai');
    expect(calls('/api/referrals/leaderboard').at(-1)!.query).toEqual({ period: 'month' });

    await page.selectOption('[data-page=leaderboard] select[name=period]', 'year');
    await page.fill('[data-page=leaderboard] input[name=at]', '2026-06-30');
    await page.click('[data-page=leaderboard] button[type=submit]');
    await expect.poll(async () => (await chart('leaderboard-chart')).values).toEqual([[31]]);
    expect(calls('/api/referrals/leaderboard').at(-1)!.query).toEqual({
      period: 'year',
      at: '2026-06-30T12:00:00.000Z',
    });
    expect(await page.locator('[data-testid=leaderboard] tbody tr').allTextContents()).toEqual([
      '1c-0999312026-11-20 10:00:00Z',
    ]);
    // nothing the CSP refused, no script error, on any page of this file
    expect(failures).toEqual([]);
  });
});
