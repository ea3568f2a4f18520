import type { VariantCounts } from '../shared/variant-counts.ts';
import { percentToBuckets } from './assignment.ts';
import { CAMPAIGNS_ENGINE, type PilotTerms } from './campaign.ts';
import { sampleRatioCheck, twoProportionZTest } from './stats.ts';

export type EvaluationDecision = 'rollout' | 'rollback' | 'hold';

/** The pilot's decision receipt (docs/rules/campaigns.md): the numbers, the rule and why. */
export interface Evaluation {
  readonly pilot: { readonly users: number; readonly conversions: number };
  readonly control: { readonly users: number; readonly conversions: number };
  readonly pilotRate: number;
  readonly controlRate: number;
  readonly liftBps: number | null;
  readonly requiredLiftBps: number;
  readonly z: number | null;
  readonly pValue: number | null;
  readonly alpha: number;
  readonly minSamplePerGroup: number;
  readonly sampleRatioOk: boolean;
  readonly sampleRatioPValue: number;
  /** The pilot's expected share of the two groups' users (null: a channel segment, no promised ratio). */
  readonly expectedPilotShare: number | null;
  readonly decision: EvaluationDecision;
  readonly inconclusive: boolean;
  readonly reason: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly evaluatedAt: string;
  readonly engine: string;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const liftPct = (bps: number) => `${bps >= 0 ? '+' : '−'}${(Math.abs(bps) / 100).toFixed(2)}%`;
const p = (v: number) => (v < 0.0001 ? v.toExponential(2) : v.toFixed(4));

/**
 * Evaluates a pilot from the counts per group (SPEC §5): a broken split (sample-ratio mismatch) is
 * held for a person — never rolled out; below the minimum sample in either group the pilot is
 * inconclusive and rolled back; otherwise it rolls out only when the relative lift reaches the
 * required lift **and** the two-proportion z-test is significant at alpha; else it rolls back. The
 * reason names the numbers.
 */
export function evaluatePilot(
  terms: PilotTerms,
  counts: readonly VariantCounts[],
  window: { from: string; to: string },
  evaluatedAt: string,
): Evaluation {
  const find = (v: string) => counts.find((c) => c.variant === v);
  const pilot = { users: find('pilot')?.users ?? 0, conversions: find('pilot')?.conversions ?? 0 };
  const control = { users: find('control')?.users ?? 0, conversions: find('control')?.conversions ?? 0 };
  const test = twoProportionZTest(pilot, control);
  const hashed = 'hashPercent' in terms.segment;
  const weights = hashed
    ? [
        percentToBuckets((terms.segment as { hashPercent: number }).hashPercent),
        percentToBuckets(terms.controlPercent),
      ]
    : null;
  const srm = weights ? sampleRatioCheck([pilot.users, control.users], weights) : { ok: true, pValue: 1 };
  const expectedPilotShare = weights ? weights[0]! / (weights[0]! + weights[1]!) : null;
  const rates = `conversion ${pct(test.treatmentRate)} (${pilot.conversions}/${pilot.users}) vs control ${pct(test.controlRate)} (${control.conversions}/${control.users})`;
  let decision: EvaluationDecision;
  let inconclusive = false;
  let reason: string;
  if (!srm.ok) {
    decision = 'hold';
    reason = `sample-ratio mismatch: pilot ${pilot.users} and control ${control.users} users where the split promised ${pct(expectedPilotShare ?? 0)} pilot (p = ${p(srm.pValue)}); the assignment or the counting is broken — held for a person`;
  } else if (pilot.users < terms.minSamplePerGroup || control.users < terms.minSamplePerGroup) {
    decision = 'rollback';
    inconclusive = true;
    reason = `inconclusive: pilot ${pilot.users} and control ${control.users} users, below the minimum sample of ${terms.minSamplePerGroup} per group; ${rates}`;
  } else if (test.liftBps === null || test.pValue === null) {
    decision = 'rollback';
    inconclusive = true;
    reason = `inconclusive: no conversions to compare; ${rates}`;
  } else if (test.liftBps < terms.requiredLiftBps) {
    decision = 'rollback';
    reason = `${rates}: lift ${liftPct(test.liftBps)} below the required ${liftPct(terms.requiredLiftBps)} (p = ${p(test.pValue)})`;
  } else if (test.pValue >= terms.alpha) {
    decision = 'rollback';
    reason = `${rates}: lift ${liftPct(test.liftBps)} is not significant (p = ${p(test.pValue)} ≥ ${terms.alpha})`;
  } else {
    decision = 'rollout';
    reason = `${rates}: lift ${liftPct(test.liftBps)} ≥ ${liftPct(terms.requiredLiftBps)} required, p = ${p(test.pValue)} < ${terms.alpha}`;
  }
  return {
    pilot,
    control,
    pilotRate: test.treatmentRate,
    controlRate: test.controlRate,
    liftBps: test.liftBps,
    requiredLiftBps: terms.requiredLiftBps,
    z: test.z,
    pValue: test.pValue,
    alpha: terms.alpha,
    minSamplePerGroup: terms.minSamplePerGroup,
    sampleRatioOk: srm.ok,
    sampleRatioPValue: srm.pValue,
    expectedPilotShare,
    decision,
    inconclusive,
    reason,
    window,
    evaluatedAt,
    engine: CAMPAIGNS_ENGINE,
  };
}
