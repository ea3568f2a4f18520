import fc from 'fast-check';
import {
  CHARM_ENDING_DEFAULTS,
  COMPETITOR_DEFAULTS,
  type CompetitorRule,
  LOW_STOCK_DEFAULTS,
  PRICING_RULES_DEFAULTS,
  type PricingRule,
  type VersionedPricingRules,
} from '#domain/pricing/pricing-rules';
import type { CompetitorObservation, PricingInputs } from '#domain/pricing/reprice';
import type { Money } from '#domain/shared/money';

/** 10:00 on 2026-12-02 in Asia/Shanghai: an hourly run. */
export const AT = '2026-12-02T02:00:00.000Z';

export const cny = (amount: number): Money => ({ amount, currency: 'CNY' });

/** The SPEC's rules, all switched on (version 7). */
export const rulesOn = (
  overrides: Partial<VersionedPricingRules> = {},
  rule: { lowStock?: object; competitor?: Partial<CompetitorRule>; charmEnding?: object } = {},
): VersionedPricingRules => ({
  ...PRICING_RULES_DEFAULTS,
  rules: [
    { ...LOW_STOCK_DEFAULTS, ...rule.lowStock },
    { ...COMPETITOR_DEFAULTS, ...rule.competitor },
    { ...CHARM_ENDING_DEFAULTS, ...rule.charmEnding },
  ] as PricingRule[],
  version: 7,
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...overrides,
});

/** Only the named rules switched on. */
export const only = (
  types: ReadonlyArray<PricingRule['type']>,
  rule: Parameters<typeof rulesOn>[1] = {},
  overrides: Partial<VersionedPricingRules> = {},
): VersionedPricingRules => {
  const all = rulesOn(overrides, rule);
  return { ...all, rules: all.rules.map((r) => ({ ...r, enabled: types.includes(r.type) })) };
};

export const seen = (competitor: string, amount: number, hoursAgo = 1): CompetitorObservation => ({
  competitor,
  price: cny(amount),
  observedAt: new Date(Date.parse(AT) - hoursAgo * 3_600_000).toISOString(),
});

/** A SKU at 100.00 (list 100.00, cost 60.00), 200 on hand, no competitor. */
export const sku = (overrides: Partial<PricingInputs> = {}): PricingInputs => ({
  sku: 'SKU-1',
  currency: 'CNY',
  price: cny(10_000),
  listPrice: cny(10_000),
  cost: cny(6_000),
  onHand: 200,
  competitors: [],
  campaignLocked: false,
  at: AT,
  ...overrides,
});

// --- arbitraries ----------------------------------------------------------------------------------

const amount = fc.oneof(
  fc.integer({ min: 1, max: 2_000 }),
  fc.integer({ min: 1, max: 100_000 }),
  fc.integer({ min: 1, max: 10_000_000_000 }),
);
const optionalMoney = fc.option(amount.map(cny), { nil: null, freq: 5 });

export const ruleSet: fc.Arbitrary<VersionedPricingRules> = fc
  .record({
    lowStock: fc.record({
      type: fc.constant('lowStock' as const),
      enabled: fc.boolean(),
      below: fc.integer({ min: 1, max: 500 }),
      raiseBps: fc.integer({ min: 1, max: 10_000 }),
    }),
    competitor: fc.record({
      type: fc.constant('competitor' as const),
      enabled: fc.boolean(),
      towardBps: fc.integer({ min: 1, max: 10_000 }),
      floorBps: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: null }),
      maxAgeHours: fc.integer({ min: 1, max: 400 }),
    }),
    charmEnding: fc.record({
      type: fc.constant('charmEnding' as const),
      enabled: fc.boolean(),
      ending: fc.integer({ min: 0, max: 9 }),
      toleranceBps: fc.integer({ min: 0, max: 5_000 }),
    }),
    swap: fc.boolean(),
    maxChangePerRunBps: fc.integer({ min: 1, max: 10_000 }),
    defaultMinMarginBps: fc.integer({ min: 0, max: 100_000 }),
    defaultMaxMarkupBps: fc.integer({ min: 0, max: 100_000 }),
    version: fc.nat(1_000),
  })
  .map(({ lowStock, competitor, charmEnding, swap, ...r }) => ({
    ...PRICING_RULES_DEFAULTS,
    ...r,
    rules: swap ? [competitor, lowStock, charmEnding] : [lowStock, competitor, charmEnding],
    updatedAt: null,
  }));

export const observation = (at: string): fc.Arbitrary<CompetitorObservation> =>
  fc.record({
    competitor: fc.constantFrom('jd', 'tmall', 'pdd', 'douyin'),
    price: fc.oneof(
      amount.map(cny),
      amount.map((a) => ({ amount: a, currency: 'USD' })),
    ),
    observedAt: fc
      .integer({ min: -500, max: 2 })
      .map((h) => new Date(Date.parse(at) + h * 3_600_000).toISOString()),
  });

export const pricingInputs: fc.Arbitrary<PricingInputs> = fc.record({
  sku: fc.constant('SKU-P'),
  currency: fc.constant('CNY'),
  price: amount.map(cny),
  listPrice: optionalMoney,
  cost: optionalMoney,
  onHand: fc.integer({ min: -10, max: 1_000 }),
  competitors: fc.array(observation(AT), { maxLength: 4 }),
  campaignLocked: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  minMarginBps: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
  maxMarkupBps: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
  at: fc.constant(AT),
});

/** Every amount inside a value (Money objects anywhere in it). */
export function amountsIn(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) {
    for (const v of value) amountsIn(v, out);
  } else if (value && typeof value === 'object') {
    if ('amount' in value && 'currency' in value) out.push((value as Money).amount);
    for (const v of Object.values(value)) amountsIn(v, out);
  }
  return out;
}
