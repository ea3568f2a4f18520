import { describe, expect, it } from 'vitest';
import {
  CAMPAIGN_STATUSES,
  canAbort,
  canApprove,
  formatLift,
  formatP,
  groupRates,
  isLive,
  ratePercent,
  sampleRatioOk,
  variantRows,
  winnerId,
} from '../../console/src/data/campaigns.ts';
import { CAMPAIGNS, EXPERIMENTS } from '../support/console-fixtures.ts';

describe('a campaign on the console', () => {
  it('shows the evaluation’s numbers once evaluated, the live ones before', () => {
    expect(groupRates(CAMPAIGNS.awaiting)).toEqual([
      { group: 'pilot', users: 2000, conversions: 260, ratePercent: 13 },
      { group: 'control', users: 2000, conversions: 200, ratePercent: 10 },
    ]);
    expect(groupRates(CAMPAIGNS.pilot)).toEqual([
      { group: 'pilot', users: 812, conversions: 97, ratePercent: 11.9458 },
      { group: 'control', users: 799, conversions: 71, ratePercent: 8.8861 },
    ]);
    expect(groupRates(CAMPAIGNS.scheduled)).toEqual([]);
    expect(ratePercent(1, 0)).toBeNull();
  });

  it('Approve only while awaiting a decision; Abort until the campaign has finished', () => {
    const approvable = CAMPAIGN_STATUSES.filter(canApprove);
    const abortable = CAMPAIGN_STATUSES.filter(canAbort);
    expect(approvable).toEqual(['AWAITING_DECISION']);
    expect(abortable).toEqual(['SCHEDULED', 'PILOT', 'EVALUATING', 'AWAITING_DECISION', 'ROLLED_OUT']);
    expect(CAMPAIGN_STATUSES.filter(isLive)).toEqual([
      'SCHEDULED',
      'PILOT',
      'EVALUATING',
      'AWAITING_DECISION',
    ]);
  });

  it('formats lift and p-values as people read them', () => {
    expect(formatLift(3000)).toBe('+30.00%');
    expect(formatLift(-270)).toBe('-2.70%');
    expect(formatLift(null)).toBe('—');
    expect(formatP(0.002807)).toBe('0.0028');
    expect(formatP(0.00001)).toBe('< 0.0001');
    expect(formatP(null)).toBe('—');
  });
});

describe('an experiment on the console', () => {
  it('joins the terms’ variants with their results; the first is the control; the winner as named', () => {
    const rows = variantRows(EXPERIMENTS.winner);
    expect(rows.map((r) => [r.id, r.control, r.winner, r.exposures, r.ratePercent, r.pValue])).toEqual([
      ['control', true, false, 2000, 10, null],
      ['cheaper', false, true, 2010, 13.93, 0.0001],
    ]);
    expect(rows[1]!.value).toEqual({ amount: 8900, currency: 'CNY' });
    expect(winnerId(EXPERIMENTS.winner)).toBe('cheaper');
    expect(sampleRatioOk(EXPERIMENTS.winner)).toBe(true);
  });

  it('has no winner when the API names none, and reads a concluded test’s conclusion', () => {
    const rows = variantRows(EXPERIMENTS.noWinner);
    expect(rows.some((r) => r.winner)).toBe(false);
    expect(rows.map((r) => r.ratePercent)).toEqual([30, 31.01, 29.19]);
    expect(winnerId(EXPERIMENTS.noWinner)).toBeNull();
  });

  it('survives an experiment without results (just created): zero exposures, no rates', () => {
    const rows = variantRows({ variants: [{ id: 'a', weight: 1, value: 'x' }], results: null });
    expect(rows).toEqual([
      expect.objectContaining({
        id: 'a',
        exposures: 0,
        ratePercent: null,
        pValue: null,
        control: true,
        winner: false,
      }),
    ]);
    expect(sampleRatioOk({})).toBe(true);
    expect(sampleRatioOk({ results: { sampleRatioOk: false } })).toBe(false);
  });
});
