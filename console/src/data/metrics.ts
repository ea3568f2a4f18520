import { bpsToPercent, type Money, moneyOf, toMajor } from './format.ts';

/**
 * The metrics API's answers (issue #16's contract) and their shaping into chart series: pure
 * functions, unit-tested in test/console/metrics-data.test.ts. Money comes as `{ amount, currency }`
 * or as bare minor units with the answer's `currency`; ratios as basis points, null where the
 * denominator is 0; derived fields (drop-off, the period) may be absent: computed or omitted.
 */

export const FUNNEL_STEPS = ['visit', 'product_view', 'add_to_cart', 'checkout_started', 'paid'] as const;
export const STEP_LABELS: Record<string, string> = {
  visit: 'Visit',
  product_view: 'Product view',
  add_to_cart: 'Add to cart',
  checkout_started: 'Checkout',
  paid: 'Paid',
};

/** Which period and time zone an answer covers (the contract: every figure says so). */
export interface PeriodView {
  readonly from: string | null;
  readonly to: string | null;
  readonly timeZone: string | null;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The period an answer says it covers: `period: { from, to, timeZone }`, or those at its top. */
export function periodOf(answer: unknown): PeriodView {
  const a = obj(answer);
  const p = obj(a.period);
  return {
    from: str(p.from) ?? str(a.from),
    to: str(p.to) ?? str(a.to),
    timeZone: str(p.timeZone) ?? str(a.timeZone),
  };
}

export interface FunnelStep {
  readonly step: string;
  readonly users: number;
  /** drop-off from the step before, basis points; 0/null/absent on the first step */
  readonly dropOffBps?: number | null;
}

export interface FunnelSeries {
  readonly labels: string[];
  readonly users: number[];
  /** drop-off from the step before in percent (null for the first step, or after a step of 0) */
  readonly dropOffPercent: Array<number | null>;
  /** share of the first step's users still there, in percent */
  readonly ofFirstPercent: number[];
  /** the step with the largest drop-off (the leak to look at first), if any */
  readonly worst: { readonly label: string; readonly percent: number } | null;
}

/** A drop-off in basis points from the step before, rounded half up; null when nothing came before. */
export function dropOffBps(before: number, now: number): number | null {
  if (before <= 0) return null;
  return Math.round(((before - now) * 10_000) / before);
}

/** The funnel as chart series, in the contract's step order (unknown steps after, as given). */
export function funnelSeries(steps: readonly FunnelStep[]): FunnelSeries {
  const order = (s: string) => {
    const i = (FUNNEL_STEPS as readonly string[]).indexOf(s);
    return i === -1 ? FUNNEL_STEPS.length : i;
  };
  const sorted = [...steps].sort((a, b) => order(a.step) - order(b.step));
  const first = sorted[0]?.users ?? 0;
  const dropOffPercent = sorted.map((s, i) => {
    if (i === 0) return null;
    const bps = typeof s.dropOffBps === 'number' ? s.dropOffBps : dropOffBps(sorted[i - 1]!.users, s.users);
    return bps === null ? null : bpsToPercent(bps);
  });
  let worst: FunnelSeries['worst'] = null;
  dropOffPercent.forEach((p, i) => {
    if (p !== null && (worst === null || p > worst.percent))
      worst = { label: STEP_LABELS[sorted[i]!.step] ?? sorted[i]!.step, percent: p };
  });
  return {
    labels: sorted.map((s) => STEP_LABELS[s.step] ?? s.step),
    users: sorted.map((s) => s.users),
    dropOffPercent,
    ofFirstPercent: sorted.map((s) => (first > 0 ? Math.round((s.users * 10_000) / first) / 100 : 0)),
    worst,
  };
}

/** One row (or the total) of `GET /api/metrics/gmv`, money read with the answer's currency. */
export interface GmvFigures {
  readonly key: string;
  readonly traffic: number;
  readonly orders: number;
  readonly conversionBps: number | null;
  readonly aov: Money | null;
  readonly gmv: Money;
  readonly repurchaseBps: number | null;
}

export interface GmvView {
  readonly by: 'day' | 'channel';
  readonly currency: string;
  readonly rows: GmvFigures[];
  readonly total: GmvFigures | null;
}

function figures(v: unknown, currency: string | undefined, key = ''): GmvFigures {
  const r = obj(v);
  const gmv = moneyOf(r.gmv, currency) ?? { amount: 0, currency: currency ?? '' };
  return {
    key: String(r.key ?? key),
    traffic: num(r.traffic) ?? 0,
    orders: num(r.orders) ?? 0,
    conversionBps: num(r.conversionBps),
    aov: moneyOf(r.aov, gmv.currency),
    gmv,
    repurchaseBps: num(r.repurchaseBps),
  };
}

/**
 * The GMV answer with its rows in chart order: days in calendar order; channels by GMV, largest
 * first. The total is the API's (traffic there is unique visitors over the whole period, not the
 * days' sum), else none.
 */
export function gmvView(answer: unknown): GmvView {
  const a = obj(answer);
  const currency = str(a.currency) ?? undefined;
  const rows = (Array.isArray(a.rows) ? a.rows : []).map((r) => figures(r, currency));
  const by =
    a.by === 'channel'
      ? 'channel'
      : a.by === 'day'
        ? 'day'
        : rows.every((r) => /^\d{4}-\d{2}-\d{2}/.test(r.key))
          ? 'day'
          : 'channel';
  rows.sort(by === 'day' ? (x, y) => x.key.localeCompare(y.key) : (x, y) => y.gmv.amount - x.gmv.amount);
  return {
    by,
    currency: currency ?? rows[0]?.gmv.currency ?? '',
    rows,
    total: a.total ? figures(a.total, currency, 'total') : null,
  };
}

export interface Decomposition {
  readonly traffic: number;
  readonly conversionBps: number;
  readonly aov: Money;
  readonly gmv: Money;
  /** traffic × conversion × AOV in minor units, rounded half up */
  readonly product: Money;
  /** gmv − product in minor units: the rounding the identity holds "up to" */
  readonly residual: number;
  /** whether the identity holds within the rounding of conversion (½ bp) and AOV (½ minor unit) */
  readonly holds: boolean;
}

/**
 * GMV = traffic × conversion × AOV, recomputed from the figures the API gave, with how far the
 * product is from the reported GMV. The API rounds conversion to a basis point and AOV to a minor
 * unit, so the product may differ from GMV by at most
 * traffic × (½ bp × AOV + conversion × ½ minor unit) + ½. Null without orders (no AOV, no conversion).
 */
export function decompose(f: GmvFigures): Decomposition | null {
  if (f.conversionBps === null || f.aov === null) return null;
  const product = Math.round((f.traffic * f.conversionBps * f.aov.amount) / 10_000);
  const residual = f.gmv.amount - product;
  const bound = f.traffic * ((0.5 / 10_000) * f.aov.amount + (f.conversionBps / 10_000) * 0.5) + 0.5;
  return {
    traffic: f.traffic,
    conversionBps: f.conversionBps,
    aov: f.aov,
    gmv: f.gmv,
    product: { amount: product, currency: f.gmv.currency },
    residual,
    holds: Math.abs(residual) <= bound + 1e-9,
  };
}

export interface GmvSeries {
  readonly labels: string[];
  readonly traffic: number[];
  readonly orders: number[];
  readonly conversionPercent: Array<number | null>;
  /** AOV and GMV in major units of the answer's currency (chart axes) */
  readonly aov: Array<number | null>;
  readonly gmv: number[];
  readonly repurchasePercent: Array<number | null>;
}

/** The GMV rows as chart series (one value per row, in the view's order). */
export function gmvSeries(view: GmvView): GmvSeries {
  const rows = view.rows;
  return {
    labels: rows.map((r) => r.key),
    traffic: rows.map((r) => r.traffic),
    orders: rows.map((r) => r.orders),
    conversionPercent: rows.map((r) => (r.conversionBps === null ? null : bpsToPercent(r.conversionBps))),
    aov: rows.map((r) => (r.aov ? toMajor(r.aov) : null)),
    gmv: rows.map((r) => toMajor(r.gmv)),
    repurchasePercent: rows.map((r) => (r.repurchaseBps === null ? null : bpsToPercent(r.repurchaseBps))),
  };
}

// --- channels, sell-through, retention ------------------------------------------------------------

export interface ChannelRow {
  readonly channel: string;
  readonly name: string;
  readonly gmv: Money | null;
  readonly spend: Money | null;
  /** ROI = GMV / spend in basis points (10,000 = 1×); null without spend */
  readonly roiBps: number | null;
}

/**
 * Per-channel GMV, spend and ROI from `GET /api/metrics/channels` (`{ rows: [...] }`, or
 * `channels`): ROI as the API's `roiBps` (GMV / spend, 投产比), else computed the same way.
 */
export function channelRows(answer: unknown): ChannelRow[] {
  const a = obj(answer);
  const currency = str(a.currency) ?? undefined;
  const list = (Array.isArray(a.rows) ? a.rows : Array.isArray(a.channels) ? a.channels : []) as unknown[];
  return list.map((v) => {
    const r = obj(v);
    const channel = String(r.channelId ?? r.channel ?? r.key ?? r.id ?? '');
    const gmv = moneyOf(r.gmv, currency);
    const spend = moneyOf(r.spend, currency);
    const roiBps =
      num(r.roiBps) ??
      (gmv && spend && spend.amount > 0 ? Math.round((gmv.amount * 10_000) / spend.amount) : null);
    return { channel, name: str(r.name) ?? channel, gmv, spend, roiBps };
  });
}

/** ROI basis points as a multiple: 35,000 → `3.50×`. */
export const formatRoi = (bps: number | null) => (bps === null ? '—' : `${(bps / 10_000).toFixed(2)}×`);

export interface SellThroughView {
  readonly skus: number | null;
  readonly skusWithSales: number | null;
  readonly sellThroughBps: number | null;
}

export function sellThroughView(answer: unknown): SellThroughView {
  const a = obj(answer);
  return {
    skus: num(a.skus),
    skusWithSales: num(a.skusWithSales),
    sellThroughBps: num(a.sellThroughBps),
  };
}

export interface CohortRow {
  readonly cohort: string;
  readonly customers: number;
  /** share returning in the months after the cohort's, percent (null: nobody to return), month +1 first */
  readonly returningPercent: Array<number | null>;
}

/**
 * Retention cohorts from `GET /api/metrics/retention`: `{ cohorts: [ { cohort, customers, months:
 * [ { month, offset, customers, retainedBps } ] } ] }`, each later month by its offset.
 */
export function cohortRows(answer: unknown): CohortRow[] {
  const a = obj(answer);
  const list = (Array.isArray(a.cohorts) ? a.cohorts : []) as unknown[];
  return list.map((v) => {
    const c = obj(v);
    const months = (Array.isArray(c.months) ? c.months : []).map(obj);
    const returningPercent: Array<number | null> = [];
    months.forEach((m, i) => {
      const offset = num(m.offset) ?? i + 1;
      const bps = num(m.retainedBps);
      returningPercent[offset - 1] = bps === null ? null : bpsToPercent(bps);
    });
    for (let i = 0; i < returningPercent.length; i++)
      if (returningPercent[i] === undefined) returningPercent[i] = null;
    return { cohort: String(c.cohort ?? ''), customers: num(c.customers) ?? 0, returningPercent };
  });
}
