import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { type Money, PositiveMoneySchema } from '../shared/money.ts';
import { idSchema, instantSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import type { Segment } from './assignment.ts';
import { DEFAULT_TIERS, MAX_TIERS, type Tier, tierIssues } from './tiers.ts';

/** A campaign's or an experiment's id names its run: letters, digits, `-`, `_`, `.`. */
export const RUN_SAFE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The rules' engine version every decision receipt names. */
export const CAMPAIGNS_ENGINE = 'campaigns/1';

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
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
/** Statuses a campaign never leaves. */
export const FINAL_STATUSES: readonly CampaignStatus[] = ['ROLLED_BACK', 'ENDED', 'ABORTED'];
/** Statuses where the pilot's group has the campaign. */
export const PILOT_LIVE: readonly CampaignStatus[] = ['PILOT', 'EVALUATING', 'AWAITING_DECISION'];

export interface PilotTerms {
  readonly segment: Segment;
  readonly controlPercent: number;
  readonly durationHours: number;
  readonly metric: 'conversion';
  readonly requiredLiftBps: number;
  readonly minSamplePerGroup: number;
  readonly alpha: number;
  readonly decision: 'auto' | 'approval';
  readonly approvalTimeoutHours: number;
}

export interface CampaignTerms {
  readonly name: string;
  readonly start: string;
  readonly end: string;
  readonly tiers: readonly Tier[];
  readonly skus: readonly string[] | null;
  readonly categories: readonly string[] | null;
  readonly allowRepricing: boolean;
  readonly budget: Money | null;
  readonly pilot: PilotTerms;
}

export const DEFAULT_PILOT: PilotTerms = {
  segment: { hashPercent: 5 },
  controlPercent: 5,
  durationHours: 48,
  metric: 'conversion',
  requiredLiftBps: 2000,
  minSamplePerGroup: 1000,
  alpha: 0.05,
  decision: 'auto',
  approvalTimeoutHours: 24,
};

const percent = z
  .number('must be a number of percent')
  .check(z.gte(0.01, 'must be at least 0.01'), z.lte(50, 'must be at most 50'));
const TierSchema = z.strictObject({ spend: PositiveMoneySchema, save: PositiveMoneySchema });
const ids = (max: number) =>
  z
    .array(idSchema(), 'must be a list of ids')
    .check(z.minLength(1, 'must name at least one'), z.maxLength(max, `must name at most ${max}`));

const PilotSchema = z.strictObject({
  segment: z.optional(
    z.union(
      [z.strictObject({ hashPercent: percent }), z.strictObject({ channel: idSchema(64) })],
      'must be { "hashPercent": 0.01–50 } or { "channel": "<name>" }',
    ),
  ),
  controlPercent: z.optional(percent),
  durationHours: z.optional(
    z
      .int('must be a whole number of hours')
      .check(z.minimum(1, 'must be at least 1'), z.maximum(720, 'must be at most 720')),
  ),
  metric: z.optional(z.literal('conversion', 'must be "conversion"')),
  requiredLiftBps: z.optional(
    z
      .int('must be whole basis points (100 = 1%)')
      .check(z.minimum(1, 'must be at least 1'), z.maximum(100_000, 'must be at most 100000')),
  ),
  minSamplePerGroup: z.optional(
    z
      .int('must be a whole number of users')
      .check(z.minimum(1, 'must be at least 1'), z.maximum(100_000_000, 'must be at most 100000000')),
  ),
  alpha: z.optional(
    z
      .number('must be a number')
      .check(z.gte(0.0001, 'must be at least 0.0001'), z.lte(0.5, 'must be at most 0.5')),
  ),
  decision: z.optional(z.enum(['auto', 'approval'], 'must be "auto" or "approval"')),
  approvalTimeoutHours: z.optional(
    z
      .int('must be a whole number of hours')
      .check(z.minimum(1, 'must be at least 1'), z.maximum(720, 'must be at most 720')),
  ),
});

const CampaignBodySchema = z.strictObject({
  campaignId: z.optional(z.unknown()),
  name: z
    .string('must be a string')
    .check(z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
  start: instantSchema(),
  end: instantSchema(),
  tiers: z.optional(
    z
      .array(TierSchema, 'must be a list of { spend, save }')
      .check(
        z.minLength(1, 'must have at least one tier'),
        z.maxLength(MAX_TIERS, `must have at most ${MAX_TIERS} tiers`),
      ),
  ),
  skus: z.optional(z.nullable(ids(1000))),
  categories: z.optional(z.nullable(ids(100))),
  allowRepricing: z.optional(z.boolean('must be true or false')),
  budget: z.optional(z.nullable(PositiveMoneySchema)),
  pilot: z.optional(PilotSchema),
});

const HOUR = 3_600_000;

/**
 * `PUT /api/campaigns/{campaignId}`: the terms with SPEC §5's defaults filled in. 400 naming each
 * failing field: overlapping tiers, a saving not below its spend, windows out of order (end not
 * after start, the pilot not inside them), both skus and categories, a budget in another currency.
 */
export function parseCampaign(
  campaignId: unknown,
  body: unknown,
): { campaignId: string; terms: CampaignTerms } {
  const id = parseId(campaignId, 'campaignId', 64);
  if (!RUN_SAFE_ID.test(id))
    throw ValidationError.field(
      'campaignId',
      'must be 1–64 letters, digits, "-", "_" or "." (it names the run)',
    );
  const b = parseOrThrow(CampaignBodySchema, body);
  const issues: FieldIssue[] = [];
  if (b.campaignId !== undefined && b.campaignId !== id)
    issues.push({ field: 'campaignId', reason: `must match the campaign id in the path ("${id}")` });
  const tiers = b.tiers ?? DEFAULT_TIERS;
  issues.push(...tierIssues(tiers));
  const currency = tiers[0]!.spend.currency;
  if (b.budget && b.budget.currency !== currency)
    issues.push({ field: 'budget.currency', reason: `must be ${currency}, the tiers' currency` });
  if (b.skus && b.categories)
    issues.push({ field: 'categories', reason: 'name skus or categories, not both' });
  const dup = (list: readonly string[] | null | undefined, field: string) => {
    const seen = new Set<string>();
    list?.forEach((v, i) => {
      if (seen.has(v)) issues.push({ field: `${field}.${i}`, reason: `${v} is listed twice` });
      seen.add(v);
    });
  };
  dup(b.skus, 'skus');
  dup(b.categories, 'categories');
  const pilot: PilotTerms = {
    segment: b.pilot?.segment ?? DEFAULT_PILOT.segment,
    controlPercent: b.pilot?.controlPercent ?? DEFAULT_PILOT.controlPercent,
    durationHours: b.pilot?.durationHours ?? DEFAULT_PILOT.durationHours,
    metric: 'conversion',
    requiredLiftBps: b.pilot?.requiredLiftBps ?? DEFAULT_PILOT.requiredLiftBps,
    minSamplePerGroup: b.pilot?.minSamplePerGroup ?? DEFAULT_PILOT.minSamplePerGroup,
    alpha: b.pilot?.alpha ?? DEFAULT_PILOT.alpha,
    decision: b.pilot?.decision ?? DEFAULT_PILOT.decision,
    approvalTimeoutHours: b.pilot?.approvalTimeoutHours ?? DEFAULT_PILOT.approvalTimeoutHours,
  };
  const start = Date.parse(b.start);
  const end = Date.parse(b.end);
  if (end <= start) issues.push({ field: 'end', reason: `must be after start (${b.start})` });
  else if (start + pilot.durationHours * HOUR > end)
    issues.push({
      field: 'pilot.durationHours',
      reason: `the pilot (${pilot.durationHours} h from start) must end by the campaign's end (${b.end})`,
    });
  if ('hashPercent' in pilot.segment && pilot.segment.hashPercent + pilot.controlPercent > 100)
    issues.push({ field: 'pilot.controlPercent', reason: 'pilot and control together must be at most 100%' });
  if (issues.length) throw new ValidationError(issues);
  return {
    campaignId: id,
    terms: {
      name: b.name,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      tiers: tiers.map((t) => ({ spend: { ...t.spend }, save: { ...t.save } })),
      skus: b.skus ?? null,
      categories: b.categories ?? null,
      allowRepricing: b.allowRepricing ?? false,
      budget: b.budget ?? null,
      pilot,
    },
  };
}

/** When the pilot ends: start + durationHours. */
export const pilotEndOf = (terms: Pick<CampaignTerms, 'start' | 'pilot'>) =>
  new Date(Date.parse(terms.start) + terms.pilot.durationHours * HOUR).toISOString();

export interface StatusChange {
  readonly status: CampaignStatus;
  readonly at: string;
  readonly by: string;
  readonly reason: string;
}

export interface CampaignDecision {
  readonly action: 'rollout' | 'rollback' | 'abort';
  readonly by: string;
  readonly reason: string;
  readonly at: string;
}

/** A stored campaign: its terms, where it is and what decided it. */
export interface Campaign extends CampaignTerms {
  readonly campaignId: string;
  readonly status: CampaignStatus;
  readonly pilotStart: string;
  readonly pilotEnd: string;
  readonly lockedSkus: readonly string[];
  readonly evaluation: import('./evaluation.ts').Evaluation | null;
  readonly decision: CampaignDecision | null;
  readonly history: readonly StatusChange[];
  readonly runId: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Whether two sets of terms are the same (a repeated PUT). */
export const sameTerms = (a: CampaignTerms, b: CampaignTerms) =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
const canonical = (t: CampaignTerms) => ({
  name: t.name,
  start: t.start,
  end: t.end,
  tiers: t.tiers,
  skus: t.skus,
  categories: t.categories,
  allowRepricing: t.allowRepricing,
  budget: t.budget,
  pilot: {
    segment: t.pilot.segment,
    controlPercent: t.pilot.controlPercent,
    durationHours: t.pilot.durationHours,
    metric: t.pilot.metric,
    requiredLiftBps: t.pilot.requiredLiftBps,
    minSamplePerGroup: t.pilot.minSamplePerGroup,
    alpha: t.pilot.alpha,
    decision: t.pilot.decision,
    approvalTimeoutHours: t.pilot.approvalTimeoutHours,
  },
});
