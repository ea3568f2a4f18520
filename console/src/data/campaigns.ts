/**
 * Campaign and experiment answers (issue #17's contract) shaped for the console: pure functions,
 * unit-tested in test/console/campaigns-data.test.ts. Optional parts (the evaluation before it
 * exists, the live numbers, a winner) may be absent.
 */

export const CAMPAIGN_STATUSES = [
  'SCHEDULED',
  'PILOT',
  'EVALUATING',
  'AWAITING_DECISION',
  'ROLLED_OUT',
  'ROLLED_BACK',
  'ENDED',
  'ABORTED',
] as const;

/** A campaign in one of these has finished: nothing to approve or abort. */
const FINISHED = new Set(['ENDED', 'ABORTED', 'ROLLED_BACK']);

export interface GroupCounts {
  readonly users: number;
  readonly conversions: number;
}

export interface Evaluation {
  readonly pilot: GroupCounts;
  readonly control: GroupCounts;
  readonly liftBps: number | null;
  readonly z: number | null;
  readonly pValue: number | null;
  readonly sampleRatioOk: boolean;
  readonly decision: 'rollout' | 'rollback' | 'hold';
  readonly reason: string;
  readonly [k: string]: unknown;
}

export interface Campaign {
  readonly campaignId?: string;
  readonly id?: string;
  readonly name?: string;
  readonly status: string;
  readonly start?: string;
  readonly end?: string;
  readonly tiers?: Array<{ spend: unknown; save: unknown }>;
  readonly pilot?: Record<string, unknown>;
  readonly evaluation?: Evaluation | null;
  readonly [k: string]: unknown;
}

/** Approve: only while the launch run waits for a person's decision. */
export const canApprove = (status: string) => status === 'AWAITING_DECISION';
/** Abort: at any point until the campaign has finished. */
export const canAbort = (status: string) => !FINISHED.has(status);
/** Refresh the page while numbers or the status can still move on their own. */
export const isLive = (status: string) =>
  ['SCHEDULED', 'PILOT', 'EVALUATING', 'AWAITING_DECISION'].includes(status);

export interface GroupRate {
  readonly group: string;
  readonly users: number;
  readonly conversions: number;
  /** conversions / users in percent, 2 decimals; null with no users */
  readonly ratePercent: number | null;
}

export const ratePercent = (conversions: number, users: number): number | null =>
  users > 0 ? Math.round((conversions * 1_000_000) / users) / 10_000 : null;

const counts = (v: unknown): GroupCounts | null => {
  const o = v as Partial<GroupCounts> | null | undefined;
  return o && typeof o.users === 'number' && typeof o.conversions === 'number'
    ? { users: o.users, conversions: o.conversions }
    : null;
};

/**
 * The pilot and control numbers to show: the evaluation's once there is one, else the live
 * counts the API gives while the pilot runs (`live`, `pilotNumbers` or `counts`, each
 * `{ pilot: { users, conversions }, control: {…} }`), else none.
 */
export function groupRates(c: Campaign): GroupRate[] {
  const source = (c.evaluation ?? c.live ?? c.pilotNumbers ?? c.counts ?? null) as Record<
    string,
    unknown
  > | null;
  if (!source) return [];
  const out: GroupRate[] = [];
  for (const group of ['pilot', 'control']) {
    const g = counts(source[group]);
    if (g) out.push({ group, ...g, ratePercent: ratePercent(g.conversions, g.users) });
  }
  return out;
}

/** A p-value as people read it: `< 0.0001` below that, else 4 significant decimals. */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  if (p < 0.0001) return '< 0.0001';
  return p.toFixed(4);
}

/** A lift in basis points as a signed percentage: 3000 → `+30.00%`. */
export function formatLift(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '—';
  return `${bps >= 0 ? '+' : ''}${(bps / 100).toFixed(2)}%`;
}

// --- experiments ----------------------------------------------------------------------------------

export interface VariantRow {
  readonly id: string;
  readonly value: unknown;
  readonly weight: number | null;
  readonly exposures: number;
  readonly clicks: number | null;
  readonly conversions: number | null;
  /** the experiment's metric per exposure, percent */
  readonly ratePercent: number | null;
  readonly pValue: number | null;
  readonly control: boolean;
  readonly winner: boolean;
}

export interface Experiment {
  readonly experimentId?: string;
  readonly sku?: string;
  readonly field?: string;
  readonly metric?: 'ctr' | 'conversion' | string;
  readonly status?: string;
  /** the terms' variants (`{ id, weight, value }`, the first is the control) */
  readonly variants?: Array<Record<string, unknown>>;
  /** the numbers so far: per-variant results, the sample-ratio check, a winner only when significant */
  readonly results?: {
    readonly variants?: Array<Record<string, unknown>>;
    readonly sampleRatioOk?: boolean;
    readonly winner?: string | null;
    readonly reason?: string;
  } | null;
  readonly conclusion?: {
    readonly winner?: string | null;
    readonly reason?: string;
    readonly applied?: unknown;
  } | null;
  readonly [k: string]: unknown;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The winner: the conclusion's once concluded, else the results' (named only when significant). */
export const winnerId = (e: Experiment): string | null => e.conclusion?.winner ?? e.results?.winner ?? null;

/** Whether the split matches the weights (absent: not known yet, shown as fine). */
export const sampleRatioOk = (e: Experiment): boolean => e.results?.sampleRatioOk !== false;

/**
 * The variants (the terms' order; the first is the control) with their results: exposures,
 * clicks, conversions, the experiment's metric as a rate (results' `rate`, a fraction), p-value
 * against the control; the winner marked only when the API names one.
 */
export function variantRows(e: Experiment): VariantRow[] {
  const terms = e.variants ?? [];
  const results = e.results?.variants ?? [];
  const ids = [
    ...terms.map((v) => String(v.id)),
    ...results.map((r) => String(r.id)).filter((id) => !terms.some((t) => String(t.id) === id)),
  ];
  const winner = winnerId(e);
  return ids.map((id, i) => {
    const t = terms.find((v) => String(v.id) === id) ?? {};
    const r = results.find((v) => String(v.id) === id) ?? {};
    const exposures = num(r.exposures) ?? 0;
    const clicks = num(r.clicks);
    const conversions = num(r.conversions);
    const hits = e.metric === 'ctr' ? clicks : conversions;
    const rate = num(r.rate);
    return {
      id,
      value: t.value,
      weight: num(t.weight),
      exposures,
      clicks,
      conversions,
      ratePercent:
        rate !== null
          ? Math.round(rate * 1_000_000) / 10_000
          : hits !== null
            ? ratePercent(hits, exposures)
            : null,
      pValue: num(r.pValue),
      control: i === 0,
      winner: winner !== null && winner === id,
    };
  });
}
