import { describe, expect, it } from 'vitest';
import { PRICING_RULES_DEFAULTS } from '#domain/pricing/pricing-rules';
import { MAX_DRY_RUN_SKUS, parseDryRunRequest, parseWhatIfRequest } from '#domain/pricing/requests';
import { ValidationError } from '#domain/shared/errors';

const NOW = new Date('2026-12-09T00:00:00Z');

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('accepted');
}

describe('parseDryRunRequest', () => {
  it('rules and SKUs are optional', () => {
    expect(parseDryRunRequest(undefined)).toEqual({ rules: undefined, skus: undefined });
    expect(parseDryRunRequest({})).toEqual({ rules: undefined, skus: undefined });
    expect(parseDryRunRequest({ rules: {}, skus: ['A', 'B'] })).toEqual({
      rules: PRICING_RULES_DEFAULTS,
      skus: ['A', 'B'],
    });
  });

  it('names the failing field, inside the rules too', () => {
    expect(issuesOf(() => parseDryRunRequest({ rules: { rules: [{ type: 'x' }] } }))[0]?.field).toBe(
      'rules.rules.0.type',
    );
    expect(issuesOf(() => parseDryRunRequest({ skus: [] }))[0]?.field).toBe('skus');
    expect(issuesOf(() => parseDryRunRequest({ skus: ['A', 'A'] }))).toEqual([
      { field: 'skus.1', reason: 'names A a second time' },
    ]);
    expect(
      issuesOf(() =>
        parseDryRunRequest({ skus: Array.from({ length: MAX_DRY_RUN_SKUS + 1 }, (_, i) => `S${i}`) }),
      )[0]?.reason,
    ).toMatch(/at most 1000/);
    expect(issuesOf(() => parseDryRunRequest({ apply: true }))[0]?.field).toBe('(body)');
  });
});

describe('parseWhatIfRequest', () => {
  it('a past period of at most 31 days, instants in UTC', () => {
    expect(
      parseWhatIfRequest(
        { rules: {}, from: '2026-12-01T00:00:00+08:00', to: '2026-12-08T00:00:00+08:00' },
        NOW,
      ),
    ).toEqual({
      rules: PRICING_RULES_DEFAULTS,
      from: '2026-11-30T16:00:00.000Z',
      to: '2026-12-07T16:00:00.000Z',
      skus: undefined,
    });
  });

  it.each([
    [{ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }, 'to', /after from/],
    [{ from: '2026-10-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, 'to', /at most 31 days/],
    [{ from: '2026-12-08T00:00:00Z', to: '2026-12-10T00:00:00Z' }, 'to', /not be in the future/],
    [{ from: 'yesterday', to: '2026-12-01T00:00:00Z' }, 'from', /ISO-8601/],
    [{ to: '2026-12-01T00:00:00Z' }, 'from', /ISO-8601|expected string/],
    [
      { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z', rules: { maxChangePerRunBps: 0 } },
      'rules.maxChangePerRunBps',
      /at least 1/,
    ],
  ])('%j → %s', (body, field, reason) => {
    const issue = issuesOf(() => parseWhatIfRequest(body, NOW)).find((i) => i.field === field);
    expect(issue?.reason).toMatch(reason);
  });
});
