import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/*
 * The sample a pilot or an A/B test needs (planning, not deciding): apart from stats.ts so that the
 * functions that decide (the runs, the API) do not bundle stdlib's normal quantile (~13 KiB of
 * erfinv and its string formatting) for a number they never compute.
 */

/**
 * Users each group needs to detect a relative lift of `liftBps` over a baseline rate at `alpha`
 * (two-sided) with `power`: n = (z₁₋α/₂·√(2p̄(1−p̄)) + z₁₋β·√(p₁(1−p₁)+p₂(1−p₂)))² / (p₂ − p₁)².
 */
export function requiredSamplePerGroup(
  baselineRate: number,
  liftBps: number,
  alpha: number,
  power = 0.8,
): number | null {
  const p1 = baselineRate;
  const p2 = baselineRate * (1 + liftBps / 10_000);
  if (!(p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1) || p1 === p2) return null;
  const za = normalQuantile(1 - alpha / 2, 0, 1);
  const zb = normalQuantile(power, 0, 1);
  const mean = (p1 + p2) / 2;
  const n =
    (za * Math.sqrt(2 * mean * (1 - mean)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 /
    (p2 - p1) ** 2;
  return Math.ceil(n);
}
