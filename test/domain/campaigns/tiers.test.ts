import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCampaign } from '#domain/campaigns/campaign';
import { bestTier, DEFAULT_TIERS, type Tier, tierIssues } from '#domain/campaigns/tiers';
import { ValidationError } from '#domain/shared/errors';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const tier = (spend: number, save: number): Tier => ({ spend: cny(spend), save: cny(save) });
const body = (extra: Record<string, unknown> = {}) => ({
  name: 'Double 11',
  start: '2026-11-01T00:00:00Z',
  end: '2026-11-12T00:00:00Z',
  ...extra,
});
const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('tiers (SPEC §5: 满减, the best single tier)', () => {
  it('applies the best single tier at the 198.99 / 199.00 boundary and above', () => {
    expect(bestTier(DEFAULT_TIERS, 19_899)).toBeNull();
    expect(bestTier(DEFAULT_TIERS, 19_900)?.save.amount).toBe(3_000);
    expect(bestTier(DEFAULT_TIERS, 39_899)?.save.amount).toBe(3_000);
    expect(bestTier(DEFAULT_TIERS, 39_900)?.save.amount).toBe(8_000);
    expect(bestTier(DEFAULT_TIERS, 59_900)?.save.amount).toBe(15_000);
    expect(bestTier(DEFAULT_TIERS, 10_000_000)?.save.amount).toBe(15_000);
    expect(bestTier([], 10_000_000)).toBeNull();
  });

  it('never stacks: the saving is the largest single reachable tier, whatever the order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 100, max: 1_000_000 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (spends, spend) => {
          const sorted = [...spends].sort((a, b) => a - b);
          const tiers = fc.sample(
            fc.shuffledSubarray(
              sorted.map((s, i) => tier(s, 10 * (i + 1))),
              { minLength: sorted.length },
            ),
            1,
          )[0]!;
          const best = bestTier(tiers, spend);
          const reachable = tiers.filter((t) => t.spend.amount <= spend);
          if (!reachable.length) return best === null;
          const max = Math.max(...reachable.map((t) => t.save.amount));
          return best !== null && best.save.amount === max && reachable.includes(best);
        },
      ),
    );
  });

  it('fills SPEC §5 defaults: tiers 199−30, 399−80, 599−150 and the pilot', () => {
    const { terms } = parseCampaign('C-1', body());
    expect(terms.tiers).toEqual(DEFAULT_TIERS);
    expect(terms.pilot).toMatchObject({
      segment: { hashPercent: 5 },
      controlPercent: 5,
      requiredLiftBps: 2000,
      alpha: 0.05,
      decision: 'auto',
      metric: 'conversion',
    });
    expect(terms.allowRepricing).toBe(false);
  });

  it('refuses overlapping tiers, a saving not below its spend, and windows out of order, naming the field', () => {
    expect(
      issuesOf(() => parseCampaign('C-1', body({ tiers: [tier(19_900, 3_000), tier(19_900, 5_000)] }))),
    ).toContainEqual(
      expect.objectContaining({ field: 'tiers.1.spend', reason: expect.stringContaining('overlaps tier 0') }),
    );
    expect(issuesOf(() => parseCampaign('C-1', body({ tiers: [tier(10_000, 10_000)] })))).toContainEqual(
      expect.objectContaining({ field: 'tiers.0.save', reason: expect.stringContaining('below its spend') }),
    );
    expect(
      issuesOf(() => parseCampaign('C-1', body({ tiers: [tier(19_900, 5_000), tier(39_900, 3_000)] }))),
    ).toContainEqual(expect.objectContaining({ field: 'tiers.1.save' }));
    expect(issuesOf(() => parseCampaign('C-1', body({ end: '2026-10-01T00:00:00Z' })))).toEqual([
      { field: 'end', reason: expect.stringContaining('must be after start') },
    ]);
    expect(
      issuesOf(() =>
        parseCampaign('C-1', body({ end: '2026-11-02T00:00:00Z', pilot: { durationHours: 48 } })),
      ),
    ).toEqual([
      { field: 'pilot.durationHours', reason: expect.stringContaining("must end by the campaign's end") },
    ]);
    expect(issuesOf(() => parseCampaign('C-1', body({ skus: ['A'], categories: ['x'] })))).toContainEqual(
      expect.objectContaining({ field: 'categories' }),
    );
    expect(
      issuesOf(() => parseCampaign('C-1', body({ budget: { amount: 100, currency: 'USD' } }))),
    ).toContainEqual(expect.objectContaining({ field: 'budget.currency' }));
    expect(issuesOf(() => parseCampaign('C 1', body()))).toEqual([
      { field: 'campaignId', reason: expect.stringContaining('letters, digits') },
    ]);
    expect(issuesOf(() => parseCampaign('C-1', body({ pilot: { alpha: 2 } })))).toContainEqual(
      expect.objectContaining({ field: 'pilot.alpha' }),
    );
    expect(tierIssues(DEFAULT_TIERS)).toEqual([]);
  });
});
