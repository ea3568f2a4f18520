import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  parseRestockPolicy,
  policyView,
  RESTOCK_POLICY_DEFAULTS,
  type RestockPolicy,
} from '#domain/restock/policy';
import { ValidationError } from '#domain/shared/errors';
import { cny } from './arbitraries.ts';

/** The issues of a refused body (fails the test when the body is accepted or fails otherwise). */
function issuesOf(body: unknown) {
  try {
    parseRestockPolicy(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

const promotion = (overrides: Record<string, unknown> = {}) => ({
  sku: 'SKU-1',
  from: '2026-11-01',
  to: '2026-11-11',
  factor: 1.5,
  ...overrides,
});

describe('parseRestockPolicy: defaults (SPEC §3)', () => {
  it("the SPEC's numbers when nothing is set", () => {
    expect(RESTOCK_POLICY_DEFAULTS).toEqual({
      timeZone: 'Asia/Shanghai',
      sweepAt: '02:00',
      safetyDaysTopTen: 7,
      safetyDaysDefault: 3,
      coverageDays: 14,
      approvalThreshold: cny(5_000_000), // 50,000 CNY
      approvalHours: 48,
      seasonalFactors: {},
      promotionUplift: [],
      volumeThreshold: cny(500_000_000), // 5,000,000 CNY
      volumeTermsDays: 45,
      volumeRebateBps: 200, // 2%
      strategicTermsDays: 60,
    });
    expect(DEFAULT_POLICY).toEqual({ ...RESTOCK_POLICY_DEFAULTS, version: 0, updatedAt: null });
    expect(parseRestockPolicy({})).toEqual(RESTOCK_POLICY_DEFAULTS);
  });

  it('a field left out keeps its default; the fields set are taken', () => {
    expect(parseRestockPolicy({ coverageDays: 21, timeZone: 'Europe/Berlin' })).toEqual({
      ...RESTOCK_POLICY_DEFAULTS,
      coverageDays: 21,
      timeZone: 'Europe/Berlin',
    });
  });

  /** A full valid body and the policy it describes. */
  const full = {
    timeZone: 'America/New_York',
    sweepAt: '23:45',
    safetyDaysTopTen: 10,
    safetyDaysDefault: 0,
    coverageDays: 30,
    approvalThreshold: { amount: 0, currency: 'USD' },
    approvalHours: 1,
    seasonalFactors: { toys: { '11': 1.5, '12': 2 } },
    promotionUplift: [{ category: 'toys', from: '2026-11-11', to: '2026-11-11', factor: 3 }],
    volumeThreshold: { amount: 1, currency: 'USD' },
    volumeTermsDays: 90,
    volumeRebateBps: 10_000,
    strategicTermsDays: 0,
  };
  const fullPolicy: RestockPolicy = {
    ...full,
    seasonalFactors: { toys: { '11': 15_000, '12': 20_000 } },
    promotionUplift: [
      { sku: undefined, category: 'toys', from: '2026-11-11', to: '2026-11-11', factorBps: 30_000 },
    ],
  };

  it('property: any subset of the fields is taken as given, the rest keep their defaults', () => {
    const keys = Object.keys(full) as Array<keyof typeof full>;
    fc.assert(
      fc.property(fc.subarray(keys), (chosen) => {
        const body = Object.fromEntries(chosen.map((k) => [k, full[k]]));
        const expected = Object.fromEntries(
          keys.map((k) => [k, chosen.includes(k) ? fullPolicy[k] : RESTOCK_POLICY_DEFAULTS[k]]),
        );
        expect(parseRestockPolicy(body)).toEqual(expected);
      }),
    );
  });
});

describe('parseRestockPolicy: factors are exact basis points', () => {
  it('converts factors with up to 4 decimals exactly', () => {
    const p = parseRestockPolicy({
      seasonalFactors: { toys: { '1': 1.1, '2': 1.2345, '3': 0.0001, '4': 100, '5': 0, '6': 0.7 } },
    });
    expect(p.seasonalFactors).toEqual({
      toys: { '1': 11_000, '2': 12_345, '3': 1, '4': 1_000_000, '5': 0, '6': 7_000 },
    });
  });

  it('a category may set any months, not all twelve', () => {
    expect(parseRestockPolicy({ seasonalFactors: { toys: { '11': 1.5 } } }).seasonalFactors).toEqual({
      toys: { '11': 15_000 },
    });
    expect(parseRestockPolicy({ seasonalFactors: { toys: {} } }).seasonalFactors).toEqual({ toys: {} });
  });

  it('property: every factor with at most 4 decimals in [0, 100] is accepted as its exact basis points', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 12 }), (b, m) => {
        const factor = b / 10_000;
        const p = parseRestockPolicy({
          seasonalFactors: { toys: { [String(m)]: factor } },
          promotionUplift: [promotion({ factor })],
        });
        expect(p.seasonalFactors.toys?.[String(m)]).toBe(b);
        expect(p.promotionUplift[0]?.factorBps).toBe(b);
      }),
    );
  });

  it('property: a factor with a fifth decimal is refused, naming it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 1, max: 9 }), (b, fifth) => {
        const factor = (b * 10 + fifth) / 100_000;
        expect(issuesOf({ seasonalFactors: { toys: { '7': factor } } })).toEqual([
          { field: 'seasonalFactors.toys.7', reason: 'must have at most 4 decimals' },
        ]);
      }),
    );
  });
});

describe('parseRestockPolicy: 400 naming the field', () => {
  it.each<[string, unknown, string]>([
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, 'timeZone'],
    ['an empty time zone', { timeZone: '' }, 'timeZone'],
    ['a time zone that is not a string', { timeZone: 8 }, 'timeZone'],
    ['a sweep off the quarter hour', { sweepAt: '02:10' }, 'sweepAt'],
    ['a sweep at 24:00', { sweepAt: '24:00' }, 'sweepAt'],
    ['a sweep without its leading zero', { sweepAt: '2:00' }, 'sweepAt'],
    ['a sweep with seconds', { sweepAt: '02:00:00' }, 'sweepAt'],
    ['negative top-ten safety days', { safetyDaysTopTen: -1 }, 'safetyDaysTopTen'],
    ['negative default safety days', { safetyDaysDefault: -3 }, 'safetyDaysDefault'],
    ['negative coverage days', { coverageDays: -14 }, 'coverageDays'],
    ['half a day of coverage', { coverageDays: 1.5 }, 'coverageDays'],
    ['more than a year of coverage', { coverageDays: 366 }, 'coverageDays'],
    ['negative volume terms', { volumeTermsDays: -45 }, 'volumeTermsDays'],
    ['negative strategic terms', { strategicTermsDays: -1 }, 'strategicTermsDays'],
    ['a negative approval threshold', { approvalThreshold: cny(-1) }, 'approvalThreshold.amount'],
    [
      'a threshold in no currency',
      { approvalThreshold: { amount: 1, currency: 'XXY' } },
      'approvalThreshold.currency',
    ],
    ['no approval time', { approvalHours: 0 }, 'approvalHours'],
    ['a zero volume threshold', { volumeThreshold: cny(0) }, 'volumeThreshold.amount'],
    ['a negative rebate', { volumeRebateBps: -1 }, 'volumeRebateBps'],
    [
      'a seasonal factor with 5 decimals',
      { seasonalFactors: { toys: { '11': 1.23456 } } },
      'seasonalFactors.toys.11',
    ],
    ['a negative seasonal factor', { seasonalFactors: { toys: { '11': -1 } } }, 'seasonalFactors.toys.11'],
    ['a seasonal factor above 100', { seasonalFactors: { toys: { '11': 101 } } }, 'seasonalFactors.toys.11'],
    [
      'a seasonal factor as a string',
      { seasonalFactors: { toys: { '11': '1.2' } } },
      'seasonalFactors.toys.11',
    ],
    [
      'a promotion factor with 5 decimals',
      { promotionUplift: [promotion({ factor: 1.00001 })] },
      'promotionUplift.0.factor',
    ],
    [
      'a promotion with a bad date',
      { promotionUplift: [promotion({ from: '11/01/2026' })] },
      'promotionUplift.0.from',
    ],
    [
      'a promotion with an instant',
      { promotionUplift: [promotion({ to: '2026-11-11T00:00:00Z' })] },
      'promotionUplift.0.to',
    ],
    [
      'a promotion with both sku and category',
      { promotionUplift: [promotion({ category: 'toys' })] },
      'promotionUplift.0',
    ],
    [
      'a promotion with neither sku nor category',
      { promotionUplift: [promotion({ sku: undefined })] },
      'promotionUplift.0',
    ],
    ['a promotion with an empty sku', { promotionUplift: [promotion({ sku: '' })] }, 'promotionUplift.0.sku'],
    [
      'a promotion ending before it starts (the second one)',
      { promotionUplift: [promotion(), promotion({ from: '2026-11-11', to: '2026-11-10' })] },
      'promotionUplift.1.to',
    ],
  ])('%s', (_name, body, field) => {
    expect(issuesOf(body).map((i) => i.field)).toContain(field);
  });

  it.each([
    ['a month 13', '13'],
    ['a month 0', '0'],
    ['a month name', 'November'],
  ])('%s is refused', (_name, month) => {
    const issues = issuesOf({ seasonalFactors: { toys: { [month]: 1.5 } } });
    expect(issues.some((i) => i.field.startsWith('seasonalFactors.toys'))).toBe(true);
  });

  it.each([['2026-13-01'], ['2026-00-10'], ['2026-01-32'], ['2026-02-30'], ['2027-02-29']])(
    'an impossible date %s is a 400, not a crash',
    (date) => {
      expect(issuesOf({ promotionUplift: [promotion({ from: date, to: '2027-12-31' })] })).toEqual([
        { field: 'promotionUplift.0.from', reason: 'must be a date such as 2026-11-11' },
      ]);
    },
  );

  it('the reasons say what is wrong', () => {
    expect(issuesOf({ sweepAt: '02:10' })).toEqual([
      { field: 'sweepAt', reason: 'must be a store time on the quarter hour such as 02:00 or 02:15' },
    ]);
    expect(issuesOf({ coverageDays: -1 })).toEqual([
      { field: 'coverageDays', reason: 'must not be negative' },
    ]);
    expect(issuesOf({ promotionUplift: [promotion({ from: '2026-11-11', to: '2026-11-10' })] })).toEqual([
      { field: 'promotionUplift.0.to', reason: 'must not be before from (2026-11-11)' },
    ]);
    expect(issuesOf({ promotionUplift: [promotion({ category: 'toys' })] })).toEqual([
      { field: 'promotionUplift.0', reason: 'must name exactly one of sku or category' },
    ]);
    expect(issuesOf({ volumeRebateBps: 1.5 })).toEqual([
      { field: 'volumeRebateBps', reason: 'must be whole basis points' },
    ]);
    expect(issuesOf({ volumeRebateBps: 10_001 })).toEqual([
      { field: 'volumeRebateBps', reason: 'must be at most 10000 (100%)' },
    ]);
  });

  it('names an unknown field, at the top and in a promotion', () => {
    const top = issuesOf({ safetyDays: 3 });
    expect(top).toHaveLength(1);
    expect(top[0]?.reason).toContain('"safetyDays"');
    const nested = issuesOf({ promotionUplift: [promotion({ stack: true })] });
    expect(nested).toEqual([{ field: 'promotionUplift.0', reason: expect.stringContaining('"stack"') }]);
  });

  it('names every failing field at once', () => {
    const fields = issuesOf({ timeZone: 'Nowhere/Town', sweepAt: '2:00', coverageDays: -1 }).map(
      (i) => i.field,
    );
    expect(fields.sort()).toEqual(['coverageDays', 'sweepAt', 'timeZone']);
  });

  it('refuses a body that is not an object', () => {
    for (const body of ['x', [], null, 42]) expect(issuesOf(body).length).toBeGreaterThan(0);
  });
});

describe('policyView: what GET shows can be PUT back', () => {
  it('shows factors as numbers and a promotion with only its sku or category', () => {
    const p = parseRestockPolicy({
      seasonalFactors: { toys: { '11': 1.1 } },
      promotionUplift: [promotion(), promotion({ sku: undefined, category: 'toys', factor: 1.2345 })],
    });
    const view = policyView({ ...p, version: 3, updatedAt: '2026-11-01T00:00:00.000Z' });
    expect(view.seasonalFactors).toEqual({ toys: { '11': 1.1 } });
    expect(view.promotionUplift).toEqual([
      { sku: 'SKU-1', from: '2026-11-01', to: '2026-11-11', factor: 1.5 },
      { category: 'toys', from: '2026-11-01', to: '2026-11-11', factor: 1.2345 },
    ]);
    expect(view).toMatchObject({ version: 3, updatedAt: '2026-11-01T00:00:00.000Z' });
  });

  it('property: parse(view(parse(body))) = parse(body)', () => {
    const body = fc.record(
      {
        coverageDays: fc.integer({ min: 0, max: 365 }),
        safetyDaysTopTen: fc.integer({ min: 0, max: 365 }),
        seasonalFactors: fc.dictionary(
          fc.constantFrom('toys', 'books', 'garden'),
          fc.dictionary(
            fc.integer({ min: 1, max: 12 }).map(String),
            fc.integer({ min: 0, max: 1_000_000 }).map((b) => b / 10_000),
          ),
        ),
        promotionUplift: fc.array(
          fc.record({
            target: fc.constantFrom({ sku: 'SKU-1' }, { category: 'toys' }),
            from: fc.integer({ min: 0, max: 365 }),
            length: fc.integer({ min: 0, max: 60 }),
            factor: fc.integer({ min: 0, max: 1_000_000 }).map((b) => b / 10_000),
          }),
          { maxLength: 5 },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (b) => {
        const input = {
          ...b,
          ...(b.promotionUplift
            ? {
                promotionUplift: b.promotionUplift.map((p) => ({
                  ...p.target,
                  from: new Date(Date.UTC(2026, 0, 1 + p.from)).toISOString().slice(0, 10),
                  to: new Date(Date.UTC(2026, 0, 1 + p.from + p.length)).toISOString().slice(0, 10),
                  factor: p.factor,
                })),
              }
            : {}),
        };
        const policy = parseRestockPolicy(input);
        const again = parseRestockPolicy(policyView({ ...policy, version: 7, updatedAt: null }));
        expect(again).toEqual(policy);
      }),
      { numRuns: 200 },
    );
  });
});
