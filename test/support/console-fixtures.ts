import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page, Route } from 'playwright-core';
import { consoleHandler } from '../../local/runtime/console.ts';

/**
 * API answers for the console's metrics, campaign, experiment and member pages, in the shapes of
 * issues #16, #17 and #18 as their features answer them (docs/rules/metrics.md, campaigns.md,
 * members.md): money as the features give it (the metrics answers as integer fen with the
 * answer's `currency`, the others as `{ amount, currency }`), ratios in basis points. Used by the
 * browser tests (page.route) and by `npm run screenshots` where the runtime lacks an API.
 */

const PERIOD = {
  from: '2026-11-01',
  to: '2026-11-03',
  timeZone: 'Asia/Shanghai',
  start: '2026-10-31T16:00:00.000Z',
  end: '2026-11-03T16:00:00.000Z',
};
const HEADER = { period: PERIOD, timeZone: 'Asia/Shanghai', currency: 'CNY' };

const gmvRow = (
  key: string,
  traffic: number,
  orders: number,
  conversionBps: number,
  aov: number,
  gmv: number,
  repurchaseBps: number | null,
  buyers: number,
  repeatBuyers: number,
) => ({
  key,
  traffic,
  orders,
  conversionBps,
  aov,
  gmv,
  repurchaseBps,
  paid: gmv,
  refunded: 0,
  buyers,
  repeatBuyers,
});

const TOTAL = gmvRow('total', 1000, 31, 310, 25_332, 785_300, 645, 31, 2);

export const METRICS = {
  funnel: {
    ...HEADER,
    channel: null,
    steps: [
      { step: 'visit', users: 1000, dropOffBps: 0 },
      { step: 'product_view', users: 640, dropOffBps: 3600 },
      { step: 'add_to_cart', users: 240, dropOffBps: 6250 },
      { step: 'checkout_started', users: 120, dropOffBps: 5000 },
      { step: 'paid', users: 84, dropOffBps: 3000 },
    ],
  },
  funnelDouyin: {
    ...HEADER,
    channel: 'douyin',
    steps: [
      { step: 'visit', users: 500, dropOffBps: 0 },
      { step: 'product_view', users: 300, dropOffBps: 4000 },
      { step: 'add_to_cart', users: 100, dropOffBps: 6667 },
      { step: 'checkout_started', users: 50, dropOffBps: 5000 },
      { step: 'paid', users: 15, dropOffBps: 7000 },
    ],
  },
  gmvByDay: {
    ...HEADER,
    by: 'day',
    rows: [
      gmvRow('2026-11-01', 400, 12, 300, 25_600, 307_200, 1667, 12, 2),
      gmvRow('2026-11-02', 350, 14, 400, 19_900, 278_600, 0, 14, 0),
      gmvRow('2026-11-03', 250, 5, 200, 39_900, 199_500, null, 0, 0),
    ],
    total: TOTAL,
  },
  gmvByChannel: {
    ...HEADER,
    by: 'channel',
    rows: [
      gmvRow('direct', 200, 6, 300, 27_550, 165_300, 0, 6, 0),
      gmvRow('douyin', 500, 15, 300, 28_000, 420_000, 667, 15, 1),
      gmvRow('wechat', 300, 10, 333, 20_000, 200_000, 1000, 10, 1),
    ],
    total: TOTAL,
  },
  channels: {
    ...HEADER,
    rows: [
      { channelId: 'direct', name: 'direct', gmv: 165_300, spend: 0, roiBps: null, orders: 6, traffic: 200 },
      {
        channelId: 'douyin',
        name: 'Douyin',
        gmv: 420_000,
        spend: 120_000,
        roiBps: 35_000,
        orders: 15,
        traffic: 500,
      },
      {
        channelId: 'wechat',
        name: 'WeChat',
        gmv: 200_000,
        spend: 133_334,
        roiBps: 15_000,
        orders: 10,
        traffic: 300,
      },
    ],
  },
  sellThrough: { ...HEADER, skus: 40, skusWithSales: 26, sellThroughBps: 6500 },
  retention: {
    cohort: 'month',
    period: { from: '2026-09', to: '2026-11', timeZone: 'Asia/Shanghai' },
    timeZone: 'Asia/Shanghai',
    cohorts: [
      {
        cohort: '2026-09',
        customers: 120,
        months: [
          { month: '2026-10', offset: 1, customers: 30, retainedBps: 2500 },
          { month: '2026-11', offset: 2, customers: 15, retainedBps: 1250 },
        ],
      },
      {
        cohort: '2026-10',
        customers: 80,
        months: [{ month: '2026-11', offset: 1, customers: 12, retainedBps: 1500 }],
      },
      { cohort: '2026-11', customers: 0, months: [] },
    ],
  },
};

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const TIERS = [
  { spend: cny(19_900), save: cny(3000) },
  { spend: cny(39_900), save: cny(8000) },
  { spend: cny(59_900), save: cny(15_000) },
];
const PILOT_TERMS = {
  segment: { hashPercent: 5 },
  controlPercent: 5,
  durationHours: 48,
  metric: 'conversion',
  requiredLiftBps: 2000,
  minSamplePerGroup: 1000,
  alpha: 0.05,
  decision: 'approval',
  approvalTimeoutHours: 24,
};

const campaign = (id: string, status: string, extra: Record<string, unknown>) => ({
  campaignId: id,
  name: 'Double 11 warm-up',
  start: '2026-11-01T00:00:00.000Z',
  end: '2026-11-12T00:00:00.000Z',
  tiers: TIERS,
  skus: ['SKU-1', 'SKU-2'],
  categories: null,
  allowRepricing: false,
  budget: cny(5_000_000),
  budgetGranted: cny(12_000),
  pilot: PILOT_TERMS,
  status,
  pilotStart: '2026-11-01T00:00:00.000Z',
  pilotEnd: '2026-11-03T00:00:00.000Z',
  lockedSkus: ['SKU-1', 'SKU-2'],
  live: null,
  evaluation: null,
  decision: null,
  history: [{ status: 'SCHEDULED', at: '2026-10-30T08:00:00.000Z', by: 'storeflow', reason: 'created' }],
  runId: id,
  version: 3,
  createdAt: '2026-10-30T08:00:00.000Z',
  updatedAt: '2026-11-03T00:00:05.000Z',
  ...extra,
});

const EVALUATION = {
  pilot: { users: 2000, conversions: 260 },
  control: { users: 2000, conversions: 200 },
  pilotRate: 0.13,
  controlRate: 0.1,
  liftBps: 3000,
  requiredLiftBps: 2000,
  z: 2.9881,
  pValue: 0.002807,
  alpha: 0.05,
  minSamplePerGroup: 1000,
  sampleRatioOk: true,
  sampleRatioPValue: 1,
  expectedPilotShare: 0.5,
  decision: 'rollout',
  reason: 'conversion 13.00% vs 10.00%: +30.00% ≥ +20.00% required, p = 0.0028 < 0.05',
  window: { from: '2026-11-01T00:00:00.000Z', to: '2026-11-03T00:00:00.000Z' },
  evaluatedAt: '2026-11-03T00:00:05.000Z',
  engine: 'campaigns/1',
};

const HISTORY_TO_DECISION = [
  { status: 'SCHEDULED', at: '2026-10-30T08:00:00.000Z', by: 'storeflow', reason: 'created' },
  { status: 'PILOT', at: '2026-11-01T00:00:00.000Z', by: 'storeflow', reason: 'the pilot starts' },
  { status: 'EVALUATING', at: '2026-11-03T00:00:00.000Z', by: 'storeflow', reason: 'the pilot ended' },
  { status: 'AWAITING_DECISION', at: '2026-11-03T00:00:05.000Z', by: 'storeflow', reason: EVALUATION.reason },
];

export const CAMPAIGNS = {
  /** evaluated, approval mode: waits for a person */
  awaiting: campaign('C-1111', 'AWAITING_DECISION', {
    live: {
      pilot: { users: 2000, clicks: 1500, conversions: 260 },
      control: { users: 2000, clicks: 1400, conversions: 200 },
      at: '2026-11-03T00:00:05.000Z',
    },
    evaluation: EVALUATION,
    history: HISTORY_TO_DECISION,
  }),
  /** the same after Approve */
  approved: campaign('C-1111', 'ROLLED_OUT', {
    evaluation: EVALUATION,
    decision: {
      action: 'rollout',
      by: 'console',
      reason: 'numbers look right',
      at: '2026-11-03T01:00:00.000Z',
    },
    history: [
      ...HISTORY_TO_DECISION,
      { status: 'ROLLED_OUT', at: '2026-11-03T01:00:00.000Z', by: 'console', reason: 'numbers look right' },
    ],
  }),
  /** the pilot running: live numbers, no evaluation yet */
  pilot: campaign('C-2222', 'PILOT', {
    name: 'Singles day pilot',
    live: {
      pilot: { users: 812, clicks: 640, conversions: 97 },
      control: { users: 799, clicks: 611, conversions: 71 },
      at: '2026-11-02T10:00:00.000Z',
    },
    history: HISTORY_TO_DECISION.slice(0, 2),
  }),
  /** a broken split: held for a person */
  held: campaign('C-3333', 'AWAITING_DECISION', {
    evaluation: {
      ...EVALUATION,
      pilot: { users: 2600, conversions: 330 },
      control: { users: 1400, conversions: 140 },
      liftBps: 2692,
      z: 2.6245,
      pValue: 0.008678,
      sampleRatioOk: false,
      sampleRatioPValue: 0,
      decision: 'hold',
      reason:
        'sample-ratio mismatch: pilot 2600 vs control 1400 users (expected 50%), p < 0.001; held for a person',
    },
  }),
  /** scheduled: nothing measured (live and evaluation null, no history) */
  scheduled: {
    campaignId: 'C-4444',
    status: 'SCHEDULED',
    start: '2026-12-01T00:00:00.000Z',
    end: '2026-12-12T00:00:00.000Z',
  },
};

export const EXPERIMENTS = {
  winner: {
    experimentId: 'X-1',
    sku: 'SKU-1',
    field: 'price',
    variants: [
      { id: 'control', weight: 50, value: cny(9900) },
      { id: 'cheaper', weight: 50, value: cny(8900) },
    ],
    metric: 'conversion',
    minSamplePerVariant: 1000,
    alpha: 0.05,
    start: '2026-11-01T00:00:00.000Z',
    end: '2026-11-08T00:00:00.000Z',
    status: 'RUNNING',
    results: {
      variants: [
        {
          id: 'control',
          exposures: 2000,
          clicks: 900,
          conversions: 200,
          rate: 0.1,
          liftBps: 0,
          z: null,
          pValue: null,
          significant: false,
        },
        {
          id: 'cheaper',
          exposures: 2010,
          clicks: 950,
          conversions: 280,
          rate: 0.1393,
          liftBps: 3930,
          z: 3.88,
          pValue: 0.0001,
          significant: true,
        },
      ],
      sampleRatioOk: true,
      sampleRatioPValue: 0.87,
      winner: 'cheaper',
      reason:
        'cheaper: conversion 13.93% vs control 10.00%, p = 0.0001 < 0.0500 (alpha 0.05 over 1 comparison(s))',
      at: '2026-11-05T00:00:00.000Z',
      engine: 'campaigns/1',
    },
    conclusion: null,
  },
  noWinner: {
    experimentId: 'X-2',
    sku: 'SKU-2',
    field: 'title',
    variants: [
      { id: 'a', weight: 1, value: 'Oak desk' },
      { id: 'b', weight: 1, value: 'Solid oak desk' },
      { id: 'c', weight: 2, value: 'Oak desk, 120 cm' },
    ],
    metric: 'ctr',
    minSamplePerVariant: 500,
    alpha: 0.05,
    start: '2026-11-01T00:00:00.000Z',
    end: '2026-11-08T00:00:00.000Z',
    status: 'CONCLUDED',
    results: {
      variants: [
        {
          id: 'a',
          exposures: 800,
          clicks: 240,
          conversions: 20,
          rate: 0.3,
          liftBps: 0,
          z: null,
          pValue: null,
          significant: false,
        },
        {
          id: 'b',
          exposures: 790,
          clicks: 245,
          conversions: 22,
          rate: 0.3101,
          liftBps: 337,
          z: 0.44,
          pValue: 0.66,
          significant: false,
        },
        {
          id: 'c',
          exposures: 1610,
          clicks: 470,
          conversions: 41,
          rate: 0.2919,
          liftBps: -270,
          z: -0.4,
          pValue: 0.69,
          significant: false,
        },
      ],
      sampleRatioOk: true,
      sampleRatioPValue: 0.9,
      winner: null,
      reason: "no winner: no variant's click-through is significantly above the control's (30.00%) at 0.0250",
      at: '2026-11-08T00:00:00.000Z',
      engine: 'campaigns/1',
    },
    conclusion: {
      winner: null,
      applied: null,
      kept: 'control',
      reason: 'no winner: the control is kept',
      at: '2026-11-08T00:00:00.000Z',
    },
  },
};

const coupon = (
  code: string,
  amount: number,
  source: string,
  status: string,
  extra: Record<string, unknown> = {},
) => ({
  code,
  customerId: 'c-1001',
  amount: cny(amount),
  minSpend: cny(0),
  source,
  ref: { type: source, id: code },
  issuedAt: '2026-06-02T08:00:00.000Z',
  expiresAt: '2027-06-02T08:00:00.000Z',
  status,
  redeemedAt: null,
  orderId: null,
  redeemedVia: null,
  cancelledAt: null,
  cancelReason: null,
  ...extra,
});

const WINDOW = { from: '2025-12-01T00:00:00.000Z', to: '2026-11-30T16:00:00.000Z' };

export const CUSTOMERS = {
  gold: {
    customerId: 'c-1001',
    registeredAt: '2025-12-10T08:00:00.000Z',
    email: 'alice@example.com',
    phone: null,
    tier: 'gold',
    tierSince: '2026-09-14T03:00:00.000Z',
    benefits: { discountBps: 300, freeShipping: true, dedicatedSupport: false, slaMultiplierBps: 15_000 },
    window: { months: 12, ...WINDOW, spend: cny(620_000), orders: 7 },
    nextTier: { name: 'diamond', spend: cny(380_000), orders: 3 },
    newUser: false,
    firstOrderPerks: null,
    firstPaidOrder: { orderId: '1001', paidAt: '2025-12-11T09:00:00.000Z' },
    referralCode: 'ALICE7Q',
    invitedBy: {
      customerId: 'c-0999',
      code: 'BOB3X',
      status: 'rewarded',
      reason: null,
      orderId: '1001',
      decidedAt: '2025-12-11T09:00:01.000Z',
    },
    referrals: { month: { period: '2026-11', rewarded: 2 }, year: { period: '2026', rewarded: 5 } },
    coupons: {
      open: [coupon('REF-0A1B2C3D4E5F', 2000, 'referral', 'open')],
      used: [
        coupon('SLA-112233445566', 1500, 'sla-compensation', 'redeemed', {
          redeemedAt: '2026-10-01T10:00:00.000Z',
          orderId: '1042',
          redeemedVia: 'api',
        }),
      ],
    },
    tierHistory: [
      {
        at: '2026-03-02T03:00:00.000Z',
        from: 'none',
        to: 'silver',
        direction: 'up',
        reason: 'upgraded none → silver: order 1010 paid; 1200.00 CNY over 3 orders in the window',
        cause: { type: 'OrderPaid', orderId: '1010' },
        spend: cny(120_000),
        orders: 3,
        window: WINDOW,
        policyVersion: 1,
        rule: 'members/1',
        eventId: 'ev-1',
      },
      {
        at: '2026-09-14T03:00:00.000Z',
        from: 'silver',
        to: 'gold',
        direction: 'up',
        reason: 'upgraded silver → gold: order 1040 paid; 6200.00 CNY over 7 orders in the window',
        cause: { type: 'OrderPaid', orderId: '1040' },
        spend: cny(620_000),
        orders: 7,
        window: WINDOW,
        policyVersion: 1,
        rule: 'members/1',
        eventId: 'ev-2',
      },
    ],
    policyVersion: 1,
    evaluatedAt: '2026-11-30T18:00:00.000Z',
  },
  /** registered, nothing else: no tier, no orders, no code, no coupons */
  fresh: {
    customerId: 'c-2002',
    tier: 'none',
    tierSince: null,
    nextTier: null,
    tierHistory: [],
    coupons: { open: [], used: [] },
  },
  timeline: {
    items: [
      {
        at: '2026-09-14T03:00:00.000Z',
        kind: 'event',
        name: 'MemberTierChanged',
        detail: { from: 'silver', to: 'gold' },
      },
      {
        at: '2026-06-02T08:00:00.000Z',
        kind: 'event',
        name: 'CouponIssued',
        detail: { code: 'REF-0A1B2C3D4E5F' },
      },
    ],
    nextCursor: null,
  },
};

export const LEADERBOARD = {
  month: {
    period: 'month',
    key: '2026-11',
    timeZone: 'Asia/Shanghai',
    top: 10,
    items: [
      { rank: 1, customerId: 'c-0999', rewarded: 6, reachedAt: '2026-11-20T10:00:00.000Z' },
      { rank: 2, customerId: 'c-1001', rewarded: 2, reachedAt: '2026-11-05T10:00:00.000Z' },
      { rank: 3, customerId: 'c-1500', rewarded: 2, reachedAt: '2026-11-18T10:00:00.000Z' },
    ],
  },
  year: {
    period: 'year',
    key: '2026',
    timeZone: 'Asia/Shanghai',
    top: 10,
    items: [{ rank: 1, customerId: 'c-0999', rewarded: 31, reachedAt: '2026-11-20T10:00:00.000Z' }],
  },
};

// --- serving the console and answering its API -----------------------------------------------------

/** An API request the page made, as the fixture router saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
}

export interface FixtureAnswer {
  readonly status?: number;
  readonly body: unknown;
}

/** Answers a request, or undefined to leave it to the next handler (404 at the end). */
export type FixtureHandler = (req: SeenRequest) => FixtureAnswer | undefined;

/**
 * The console's build served over HTTP the way the runtime serves it (local/runtime/console.ts:
 * same files, same CSP and security headers, the same `config.json`), with no API behind it: a
 * page's `/api/*` calls are answered by {@link routeApi}.
 */
export async function serveConsoleBuild(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const handle = consoleHandler(dir, { stage: 'fixtures' });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/console' || path.startsWith('/console/')) return handle(req, res, path);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `${path}: no API here (fixtures answer in the browser)` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const seen = (route: Route): SeenRequest => {
  const req = route.request();
  const url = new URL(req.url());
  let body: unknown;
  const raw = req.postData();
  if (raw) {
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
  }
  return { method: req.method(), path: url.pathname, query: Object.fromEntries(url.searchParams), body };
};

/**
 * Answers the page's `/api/*` calls from `handlers` (first that answers wins; a request none
 * answers gets 404 as the API would) and records every call, in order.
 */
export async function routeApi(page: Page, handlers: () => FixtureHandler[]): Promise<SeenRequest[]> {
  const log: SeenRequest[] = [];
  await page.route('**/api/**', async (route) => {
    const req = seen(route);
    log.push(req);
    const answer = handlers()
      .map((h) => h(req))
      .find((a) => a !== undefined);
    await route.fulfill({
      status: answer ? (answer.status ?? 200) : 404,
      contentType: 'application/json',
      body: JSON.stringify(answer?.body ?? { message: `no fixture for ${req.method} ${req.path}` }),
    });
  });
  return log;
}

/**
 * The fixtures above by path (GET only): the metrics (funnel by channel, GMV by day or channel),
 * campaigns, experiments, customers with their timelines, the leaderboard by period, and the
 * console's sign-in probe (`/api/runs`).
 */
export const contractFixtures: FixtureHandler = (req) => {
  if (req.method !== 'GET') return undefined;
  const p = req.path;
  if (p === '/api/runs') return { body: { items: [], nextCursor: null } };
  if (p === '/api/metrics/funnel')
    return { body: req.query.channel === 'douyin' ? METRICS.funnelDouyin : METRICS.funnel };
  if (p === '/api/metrics/gmv')
    return { body: req.query.by === 'channel' ? METRICS.gmvByChannel : METRICS.gmvByDay };
  if (p === '/api/metrics/channels') return { body: METRICS.channels };
  if (p === '/api/metrics/sell-through') return { body: METRICS.sellThrough };
  if (p === '/api/metrics/retention') return { body: METRICS.retention };
  const campaign = /^\/api\/campaigns\/([^/]+)(\/timeline)?$/.exec(p);
  if (campaign) {
    if (campaign[2]) return { body: { items: [], nextCursor: null } };
    const found = Object.values(CAMPAIGNS).find((c) => c.campaignId === decodeURIComponent(campaign[1]!));
    return found
      ? { body: found }
      : { status: 404, body: { message: `campaign ${campaign[1]} does not exist` } };
  }
  const experiment = /^\/api\/experiments\/([^/]+)$/.exec(p);
  if (experiment) {
    const found = Object.values(EXPERIMENTS).find(
      (e) => e.experimentId === decodeURIComponent(experiment[1]!),
    );
    return found
      ? { body: found }
      : { status: 404, body: { message: `experiment ${experiment[1]} does not exist` } };
  }
  const customer = /^\/api\/customers\/([^/]+)(\/timeline|\/coupons)?$/.exec(p);
  if (customer) {
    const found = Object.values(CUSTOMERS).find(
      (c) => 'customerId' in c && c.customerId === decodeURIComponent(customer[1]!),
    );
    if (!found) return { status: 404, body: { message: `customer ${customer[1]} does not exist` } };
    if (customer[2] === '/timeline')
      return { body: found === CUSTOMERS.gold ? CUSTOMERS.timeline : { items: [], nextCursor: null } };
    if (customer[2] === '/coupons')
      return { body: { customerId: customer[1], ...(found as { coupons: object }).coupons } };
    return { body: found };
  }
  if (p === '/api/referrals/leaderboard')
    return { body: req.query.period === 'year' ? LEADERBOARD.year : LEADERBOARD.month };
  return undefined;
};
