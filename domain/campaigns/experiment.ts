import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { type Money, PositiveMoneySchema } from '../shared/money.ts';
import { idSchema, instantSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import type { VariantCounts } from '../shared/variant-counts.ts';
import * as z from '../shared/zod.ts';
import { CAMPAIGNS_ENGINE, RUN_SAFE_ID } from './campaign.ts';
import { sampleRatioCheck, twoProportionZTest } from './stats.ts';

/** A/B tests of a product's image, title or price (SPEC §5). The first variant is the control. */
export interface ExperimentVariant {
  readonly id: string;
  readonly weight: number;
  readonly value: string | Money;
}

export interface ExperimentTerms {
  readonly sku: string;
  readonly field: 'image' | 'title' | 'price';
  readonly variants: readonly ExperimentVariant[];
  readonly metric: 'ctr' | 'conversion';
  readonly minSamplePerVariant: number;
  readonly alpha: number;
  readonly end: string;
}

const VariantSchema = z.strictObject({
  id: idSchema(64),
  weight: z
    .int('must be a whole number')
    .check(z.minimum(1, 'must be at least 1'), z.maximum(10_000, 'must be at most 10000')),
  value: z.union(
    [
      z
        .string()
        .check(z.minLength(1, 'must not be empty'), z.maxLength(2000, 'must be at most 2000 characters')),
      PositiveMoneySchema,
    ],
    'must be a string (image, title) or money (price)',
  ),
});

const ExperimentBodySchema = z.strictObject({
  experimentId: z.optional(z.unknown()),
  sku: idSchema(),
  field: z.enum(['image', 'title', 'price'], 'must be "image", "title" or "price"'),
  variants: z
    .array(VariantSchema, 'must be a list of { id, weight, value }')
    .check(
      z.minLength(2, 'must have at least two variants (the first is the control)'),
      z.maxLength(10, 'must have at most 10 variants'),
    ),
  metric: z.enum(['ctr', 'conversion'], 'must be "ctr" or "conversion"'),
  minSamplePerVariant: z._default(
    z
      .int('must be a whole number of users')
      .check(z.minimum(1, 'must be at least 1'), z.maximum(100_000_000, 'must be at most 100000000')),
    1000,
  ),
  alpha: z._default(
    z
      .number('must be a number')
      .check(z.gte(0.0001, 'must be at least 0.0001'), z.lte(0.5, 'must be at most 0.5')),
    0.05,
  ),
  end: instantSchema(),
});

/** `PUT /api/experiments/{experimentId}`; 400 naming each failing field. */
export function parseExperiment(
  experimentId: unknown,
  body: unknown,
  now: string,
): { experimentId: string; terms: ExperimentTerms } {
  const id = parseId(experimentId, 'experimentId', 64);
  if (!RUN_SAFE_ID.test(id))
    throw ValidationError.field(
      'experimentId',
      'must be 1–64 letters, digits, "-", "_" or "." (it names the run)',
    );
  const b = parseOrThrow(ExperimentBodySchema, body);
  const issues: FieldIssue[] = [];
  if (b.experimentId !== undefined && b.experimentId !== id)
    issues.push({ field: 'experimentId', reason: `must match the experiment id in the path ("${id}")` });
  const seen = new Set<string>();
  b.variants.forEach((v, i) => {
    if (seen.has(v.id)) issues.push({ field: `variants.${i}.id`, reason: `${v.id} is listed twice` });
    seen.add(v.id);
    const isMoney = typeof v.value === 'object';
    if (b.field === 'price' && !isMoney)
      issues.push({
        field: `variants.${i}.value`,
        reason: 'must be money { amount, currency } for a price test',
      });
    if (b.field !== 'price' && isMoney)
      issues.push({
        field: `variants.${i}.value`,
        reason: `must be a string for a${b.field === 'image' ? 'n image' : ' title'} test`,
      });
    if (
      isMoney &&
      typeof b.variants[0]!.value === 'object' &&
      (v.value as Money).currency !== (b.variants[0]!.value as Money).currency
    )
      issues.push({ field: `variants.${i}.value.currency`, reason: "must be the control's currency" });
  });
  if (Date.parse(b.end) <= Date.parse(now))
    issues.push({ field: 'end', reason: `must be in the future (now ${now})` });
  if (issues.length) throw new ValidationError(issues);
  return {
    experimentId: id,
    terms: {
      sku: b.sku,
      field: b.field,
      variants: b.variants.map((v) => ({ id: v.id, weight: v.weight, value: v.value })),
      metric: b.metric,
      minSamplePerVariant: b.minSamplePerVariant,
      alpha: b.alpha,
      end: new Date(Date.parse(b.end)).toISOString(),
    },
  };
}

export interface VariantResult {
  readonly id: string;
  readonly exposures: number;
  readonly clicks: number;
  readonly conversions: number;
  readonly rate: number;
  readonly liftBps: number | null;
  readonly z: number | null;
  readonly pValue: number | null;
  readonly significant: boolean;
}

export interface ExperimentResults {
  readonly variants: readonly VariantResult[];
  readonly sampleRatioOk: boolean;
  readonly sampleRatioPValue: number;
  /** Set only when significant: p < alpha / (variants − 1) against the control, above it. */
  readonly winner: string | null;
  readonly reason: string;
  readonly at: string;
  readonly engine: string;
}

/**
 * Per-variant numbers and the winner (SPEC §5: a winner only when significant). Each variant is
 * tested against the control with the two-proportion z-test at alpha / (variants − 1) (Bonferroni,
 * so adding variants does not add false winners); a winner needs every variant at its minimum
 * sample and a sound split; of several significant variants above the control, the best rate wins.
 */
export function experimentResults(
  terms: ExperimentTerms,
  counts: readonly VariantCounts[],
  at: string,
): ExperimentResults {
  const row = (id: string) =>
    counts.find((c) => c.variant === id) ?? { variant: id, users: 0, clicks: 0, conversions: 0 };
  const success = (c: VariantCounts) => (terms.metric === 'ctr' ? c.clicks : c.conversions);
  const control = row(terms.variants[0]!.id);
  const perTest = terms.alpha / (terms.variants.length - 1);
  const variants: VariantResult[] = terms.variants.map((v, i) => {
    const c = row(v.id);
    const rate = c.users > 0 ? success(c) / c.users : 0;
    const base = { id: v.id, exposures: c.users, clicks: c.clicks, conversions: c.conversions, rate };
    if (i === 0) return { ...base, liftBps: 0, z: null, pValue: null, significant: false };
    const t = twoProportionZTest(
      { users: c.users, conversions: success(c) },
      { users: control.users, conversions: success(control) },
    );
    return {
      ...base,
      liftBps: t.liftBps,
      z: t.z,
      pValue: t.pValue,
      significant: t.pValue !== null && t.pValue < perTest,
    };
  });
  const srm = sampleRatioCheck(
    variants.map((v) => v.exposures),
    terms.variants.map((v) => v.weight),
  );
  const small = variants.filter((v) => v.exposures < terms.minSamplePerVariant);
  const metric = terms.metric === 'ctr' ? 'click-through' : 'conversion';
  let winner: string | null = null;
  let reason: string;
  if (!srm.ok)
    reason = `no winner: sample-ratio mismatch (p = ${srm.pValue.toExponential(2)}); the split is broken`;
  else if (small.length)
    reason = `no winner yet: ${small.map((v) => `${v.id} has ${v.exposures}`).join(', ')} of the ${terms.minSamplePerVariant} users each variant needs`;
  else {
    const better = variants
      .slice(1)
      .filter((v) => v.significant && v.rate > variants[0]!.rate)
      .sort((a, b) => b.rate - a.rate);
    if (better[0]) {
      winner = better[0].id;
      reason = `${winner}: ${metric} ${(better[0].rate * 100).toFixed(2)}% vs control ${(variants[0]!.rate * 100).toFixed(2)}%, p = ${better[0].pValue!.toFixed(4)} < ${perTest.toFixed(4)} (alpha ${terms.alpha} over ${terms.variants.length - 1} comparison(s))`;
    } else {
      reason = `no winner: no variant's ${metric} is significantly above the control's (${(variants[0]!.rate * 100).toFixed(2)}%) at ${perTest.toFixed(4)}`;
    }
  }
  return {
    variants,
    sampleRatioOk: srm.ok,
    sampleRatioPValue: srm.pValue,
    winner,
    reason,
    at,
    engine: CAMPAIGNS_ENGINE,
  };
}

export interface ExperimentConclusion {
  readonly winner: string | null;
  /** What was applied: a price set through the repricing guardrails, or a winner reported. */
  readonly applied: { readonly field: string; readonly value: string | Money } | null;
  readonly kept: 'control' | null;
  readonly reason: string;
  readonly at: string;
}

export interface Experiment extends ExperimentTerms {
  readonly experimentId: string;
  readonly start: string;
  readonly status: 'RUNNING' | 'CONCLUDED';
  readonly conclusion: ExperimentConclusion | null;
  readonly results: ExperimentResults | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const sameExperimentTerms = (a: ExperimentTerms, b: ExperimentTerms) =>
  JSON.stringify([a.sku, a.field, a.variants, a.metric, a.minSamplePerVariant, a.alpha, a.end]) ===
  JSON.stringify([b.sku, b.field, b.variants, b.metric, b.minSamplePerVariant, b.alpha, b.end]);
