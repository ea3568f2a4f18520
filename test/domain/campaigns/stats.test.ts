import { describe, expect, it } from 'vitest';
import { requiredSamplePerGroup } from '#domain/campaigns/sample-size';
import { sampleRatioCheck, twoProportionZTest, upperTail } from '#domain/campaigns/stats';

describe('two-proportion z-test (pooled), against worked values', () => {
  it('45/100 vs 30/100: p̂ = 0.375, SE = 0.06847, z = 2.1909, two-sided p = 0.0285', () => {
    const t = twoProportionZTest({ users: 100, conversions: 45 }, { users: 100, conversions: 30 });
    expect(t.z).toBeCloseTo(2.1909, 4);
    expect(t.pValue).toBeCloseTo(0.02846, 5);
    expect(t.liftBps).toBe(5000);
  });

  it('260/2000 vs 200/2000 (13% vs 10%): z = 2.9737, p = 0.00294, lift +30%', () => {
    const t = twoProportionZTest({ users: 2000, conversions: 260 }, { users: 2000, conversions: 200 });
    expect(t.z).toBeCloseTo(2.9737, 4);
    expect(t.pValue).toBeCloseTo(0.002942, 6);
    expect(t.liftBps).toBe(3000);
  });

  it('210/2000 vs 200/2000 (+5%): z = 0.5213, p = 0.602: not significant', () => {
    const t = twoProportionZTest({ users: 2000, conversions: 210 }, { users: 2000, conversions: 200 });
    expect(t.z).toBeCloseTo(0.5213, 4);
    expect(t.pValue).toBeCloseTo(0.60216, 5);
  });

  it('is symmetric and undefined without users or variance', () => {
    const a = twoProportionZTest({ users: 500, conversions: 70 }, { users: 700, conversions: 60 });
    const b = twoProportionZTest({ users: 700, conversions: 60 }, { users: 500, conversions: 70 });
    expect(a.z).toBeCloseTo(-(b.z as number), 12);
    expect(a.pValue).toBeCloseTo(b.pValue as number, 12);
    expect(twoProportionZTest({ users: 0, conversions: 0 }, { users: 10, conversions: 1 }).pValue).toBeNull();
    expect(twoProportionZTest({ users: 10, conversions: 0 }, { users: 10, conversions: 0 }).z).toBeNull();
  });

  it('the normal tail: P(Z ≥ 1.96) = 0.025, P(Z ≥ 0) = 0.5, deep tails stay positive', () => {
    expect(upperTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(upperTail(0)).toBe(0.5);
    expect(upperTail(10)).toBeGreaterThan(0);
    expect(upperTail(10)).toBeCloseTo(7.6e-24, 25);
  });
});

describe('sample ratio mismatch', () => {
  it('accepts a fair 50/50 split and flags a broken one', () => {
    expect(sampleRatioCheck([5000, 5050], [1, 1]).ok).toBe(true);
    const broken = sampleRatioCheck([5000, 5600], [1, 1]);
    expect(broken.ok).toBe(false);
    expect(broken.pValue).toBeLessThan(0.001);
    // 5% pilot vs 10% control: 1:2 expected.
    expect(sampleRatioCheck([1000, 2010], [500, 1000]).ok).toBe(true);
    expect(sampleRatioCheck([1000, 1000], [500, 1000]).ok).toBe(false);
    expect(sampleRatioCheck([0, 0], [1, 1]).ok).toBe(true);
  });
});

describe('required sample per group', () => {
  it('baseline 10%, +20% relative (12%), alpha 0.05 two-sided, power 0.8: 3841 per group', () => {
    expect(requiredSamplePerGroup(0.1, 2000, 0.05)).toBe(3841);
    expect(requiredSamplePerGroup(0, 2000, 0.05)).toBeNull();
  });
});
