import erfc from '@stdlib/math-base-special-erfc';

/**
 * The statistics of a pilot and an A/B test (SPEC §5): a two-proportion z-test with the pooled
 * standard error and a sample-ratio-mismatch check (the sample a lift needs: sample-size.ts).
 * p-values come from stdlib's complementary error function (exact in the tails, where a table
 * lookup is not).
 */

/** P(Z ≥ z) for a standard normal Z. */
export const upperTail = (z: number) => 0.5 * erfc(z / Math.SQRT2);

export interface Proportion {
  readonly users: number;
  readonly conversions: number;
}

export interface ZTest {
  /** Standard normal statistic of (treatment − control); null when it is undefined (no users, or no variance). */
  readonly z: number | null;
  /** Two-sided p-value; null with z. */
  readonly pValue: number | null;
  readonly treatmentRate: number;
  readonly controlRate: number;
  /** Relative lift of the treatment's rate over the control's, in basis points (null: control rate 0). */
  readonly liftBps: number | null;
}

const rate = (p: Proportion) => (p.users > 0 ? p.conversions / p.users : 0);

/**
 * Two-proportion z-test (pooled): z = (p₁ − p₂) / √(p̂(1 − p̂)(1/n₁ + 1/n₂)), p̂ = (x₁ + x₂)/(n₁ + n₂);
 * p-value two-sided, 2·P(Z ≥ |z|).
 */
export function twoProportionZTest(treatment: Proportion, control: Proportion): ZTest {
  const p1 = rate(treatment);
  const p2 = rate(control);
  const liftBps = p2 > 0 ? Math.round(((p1 - p2) / p2) * 10_000) : null;
  const base = { treatmentRate: p1, controlRate: p2, liftBps };
  if (treatment.users === 0 || control.users === 0) return { ...base, z: null, pValue: null };
  const pooled = (treatment.conversions + control.conversions) / (treatment.users + control.users);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / treatment.users + 1 / control.users));
  if (se === 0) return { ...base, z: null, pValue: null };
  const z = (p1 - p2) / se;
  return { ...base, z, pValue: Math.min(1, 2 * upperTail(Math.abs(z))) };
}

/** The p-value below which a split counts as broken (a sample-ratio mismatch). */
export const SRM_ALPHA = 0.001;

export interface SampleRatio {
  readonly ok: boolean;
  /** The smallest p-value of the groups (Bonferroni-corrected against {@link SRM_ALPHA}). */
  readonly pValue: number;
}

/**
 * Sample-ratio-mismatch check: each group's share of the users against the share the split
 * promised (a binomial z-test per group, two-sided, with Bonferroni over the groups). A broken split
 * (p < 0.001 / groups) means the assignment or the counting is wrong: the numbers cannot be trusted.
 */
export function sampleRatioCheck(counts: readonly number[], weights: readonly number[]): SampleRatio {
  const n = counts.reduce((s, c) => s + c, 0);
  const w = weights.reduce((s, c) => s + c, 0);
  if (n === 0 || w === 0) return { ok: true, pValue: 1 };
  let smallest = 1;
  counts.forEach((c, i) => {
    const share = (weights[i] ?? 0) / w;
    const sd = Math.sqrt(n * share * (1 - share));
    if (sd === 0) return;
    const p = Math.min(1, 2 * upperTail(Math.abs(c - n * share) / sd));
    smallest = Math.min(smallest, p);
  });
  const groups = Math.max(1, counts.length === 2 ? 1 : counts.length);
  return { ok: smallest >= SRM_ALPHA / groups, pValue: smallest };
}
