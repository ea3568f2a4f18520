import type { Money } from '../shared/money.ts';
import type { VariantCounts } from '../shared/variant-counts.ts';
import { CAMPAIGNS_ENGINE } from './campaign.ts';
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
