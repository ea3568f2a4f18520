import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRICING_RULES,
  PRICING_RULES_DEFAULTS,
  parsePricingRules,
  ruleOf,
} from '#domain/pricing/pricing-rules';
import { ValidationError } from '#domain/shared/errors';
import { ruleSet } from './arbitraries.ts';

function issuesOf(body: unknown, prefix?: string) {
  try {
    parsePricingRules(body, prefix);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}
const fields = (body: unknown) => issuesOf(body).map((i) => i.field);

describe('parsePricingRules: defaults (SPEC §6)', () => {
  it("the SPEC's numbers; the rules listed but off until the store switches them on", () => {
    expect(PRICING_RULES_DEFAULTS).toEqual({
      timeZone: 'Asia/Shanghai',
      schedule: 'hourly',
      rules: [
        { type: 'lowStock', enabled: false, below: 50, raiseBps: 1_000 },
        { type: 'competitor', enabled: false, towardBps: 5_000, floorBps: null, maxAgeHours: 168 },
        { type: 'charmEnding', enabled: false, ending: 9, toleranceBps: 200 },
      ],
      maxChangePerRunBps: 1_500,
      defaultMinMarginBps: 1_000,
      defaultMaxMarkupBps: 2_000,
    });
    expect(DEFAULT_PRICING_RULES).toEqual({ ...PRICING_RULES_DEFAULTS, version: 0, updatedAt: null });
    expect(parsePricingRules({})).toEqual(PRICING_RULES_DEFAULTS);
  });

  it('a listed rule is on unless it says otherwise, and takes the defaults it leaves out; an unlisted rule is off', () => {
    const rules = parsePricingRules({
      rules: [{ type: 'lowStock' }, { type: 'charmEnding', enabled: false }],
    });
    expect(rules.rules).toEqual([
      { type: 'lowStock', enabled: true, below: 50, raiseBps: 1_000 },
      { type: 'charmEnding', enabled: false, ending: 9, toleranceBps: 200 },
    ]);
    expect(ruleOf(rules, 'competitor')).toBeUndefined();
    expect(parsePricingRules({ rules: [] }).rules).toEqual([]);
  });

  it("the issue's body, in full", () => {
    const body = {
      timeZone: 'Europe/Berlin',
      schedule: 'hourly',
      rules: [
        { type: 'competitor', towardBps: 2_500, floorBps: 9_000, maxAgeHours: 24, enabled: true },
        { type: 'lowStock', below: 10, raiseBps: 500, enabled: true },
        { type: 'charmEnding', ending: 8, toleranceBps: 0, enabled: true },
      ],
      maxChangePerRunBps: 10_000,
      defaultMinMarginBps: 0,
      defaultMaxMarkupBps: 100_000,
      version: 3,
      updatedAt: '2026-12-01T00:00:00Z',
    };
    const { version: _v, updatedAt: _u, ...rules } = body;
    expect(parsePricingRules(body)).toEqual(rules);
  });

  it('a parsed body reads back as itself (GET → PUT round trip)', () => {
    fc.assert(
      fc.property(ruleSet, (rules) => {
        const { version: _v, updatedAt: _u, ...body } = rules;
        expect(parsePricingRules(JSON.parse(JSON.stringify(rules)))).toEqual(body);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parsePricingRules: 400 naming the field', () => {
  it.each([
    [{ timeZone: 'Mars/Olympus' }, 'timeZone', /IANA time zone/],
    [{ timeZone: '' }, 'timeZone', /IANA time zone/],
    [{ schedule: 'daily' }, 'schedule', /hourly/],
    [{ maxChangePerRunBps: 0 }, 'maxChangePerRunBps', /at least 1/],
    [{ maxChangePerRunBps: 10_001 }, 'maxChangePerRunBps', /at most 10000/],
    [{ maxChangePerRunBps: 1.5 }, 'maxChangePerRunBps', /whole basis points/],
    [{ defaultMinMarginBps: -1 }, 'defaultMinMarginBps', /not be negative/],
    [{ defaultMaxMarkupBps: 100_001 }, 'defaultMaxMarkupBps', /at most 100000/],
    [{ rules: {} }, 'rules', /list of rules/],
    [
      { rules: [{ type: 'lowStock' }, { type: 'competitor' }, { type: 'charmEnding' }, {}] },
      'rules',
      /at most 3/,
    ],
    [{ rules: [{ type: 'discount' }] }, 'rules.0.type', /one of lowStock, competitor, charmEnding/],
    [{ rules: [{}] }, 'rules.0.type', /one of/],
    [{ rules: ['lowStock'] }, 'rules.0', /object/],
    [{ rules: [{ type: 'lowStock', below: 0 }] }, 'rules.0.below', /at least 1/],
    [{ rules: [{ type: 'lowStock', below: 2.5 }] }, 'rules.0.below', /whole number/],
    [{ rules: [{ type: 'lowStock', raiseBps: -100 }] }, 'rules.0.raiseBps', /at least 1/],
    [{ rules: [{ type: 'lowStock', enabled: 'yes' }] }, 'rules.0.enabled', /true or false/],
    [{ rules: [{ type: 'lowStock', extra: 1 }] }, 'rules.0', /extra/],
    [
      { rules: [{ type: 'lowStock' }, { type: 'competitor', towardBps: -1 }] },
      'rules.1.towardBps',
      /at least 1/,
    ],
    [{ rules: [{ type: 'competitor', towardBps: 10_001 }] }, 'rules.0.towardBps', /at most 10000/],
    [{ rules: [{ type: 'competitor', floorBps: 0 }] }, 'rules.0.floorBps', /at least 1/],
    [{ rules: [{ type: 'competitor', maxAgeHours: 0 }] }, 'rules.0.maxAgeHours', /at least 1 hour/],
    [{ rules: [{ type: 'charmEnding', ending: 10 }] }, 'rules.0.ending', /digit 0–9/],
    [{ rules: [{ type: 'charmEnding', toleranceBps: 5_001 }] }, 'rules.0.toleranceBps', /at most 5000/],
    [{ rules: [{ type: 'lowStock' }, { type: 'lowStock' }] }, 'rules.1.type', /lowStock is already rule 0/],
    [{ rules: [{ type: 'charmEnding' }, { type: 'lowStock' }] }, 'rules.0.type', /must be the last rule/],
    [{ extra: true }, '(body)', /extra/],
  ])('%j → %s', (body, field, reason) => {
    const issues = issuesOf(body);
    const issue = issues.find((i) => i.field === field);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.reason).toMatch(reason);
  });

  it('names every failing field at once', () => {
    expect(
      fields({
        timeZone: 'Nowhere',
        maxChangePerRunBps: -1,
        rules: [
          { type: 'lowStock', below: -1 },
          { type: 'competitor', towardBps: 0, floorBps: 20_000 },
        ],
      }).sort(),
    ).toEqual(['maxChangePerRunBps', 'rules.0.below', 'rules.1.floorBps', 'rules.1.towardBps', 'timeZone']);
  });

  it('a body that is not an object is refused', () => {
    expect(fields(null)).toEqual(['(body)']);
    expect(fields([])).toEqual(['(body)']);
  });

  it('a prefix names the body inside a larger one', () => {
    expect(issuesOf({ rules: [{ type: 'nope' }] }, 'rules').map((i) => i.field)).toEqual([
      'rules.rules.0.type',
    ]);
    expect(issuesOf({ timeZone: 'x' }, 'rules').map((i) => i.field)).toEqual(['rules.timeZone']);
  });
});
