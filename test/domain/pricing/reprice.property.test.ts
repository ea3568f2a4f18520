import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VersionedPricingRules } from '#domain/pricing/pricing-rules';
import { type PricingInputs, repriceSku } from '#domain/pricing/reprice';
import { marginFloor, markupCeiling } from '#domain/pricing/sku-pricing';
import { minorUnitDigits } from '#domain/shared/money';
import { amountsIn, pricingInputs, ruleSet } from './arbitraries.ts';

/**
 * The guardrails as an independent reading of docs/rules/repricing.md: F = cost × (1 + margin)
 * rounded up (no cost: the old price), C = list × (1 + markup) rounded down (no list: the old
 * price), the max change = ⌊old × bps / 10 000⌋ either way.
 */
function bounds(inputs: PricingInputs, rules: VersionedPricingRules) {
  const old = inputs.price.amount;
  const margin = inputs.minMarginBps ?? rules.defaultMinMarginBps;
  const markup = inputs.maxMarkupBps ?? rules.defaultMaxMarkupBps;
  const floor = inputs.cost ? Math.ceil((inputs.cost.amount * (10_000 + margin)) / 10_000 - 1e-9) : old;
  const ceiling = inputs.listPrice
    ? Math.floor((inputs.listPrice.amount * (10_000 + markup)) / 10_000 + 1e-9)
    : old;
  const delta = Number((BigInt(old) * BigInt(rules.maxChangePerRunBps)) / 10_000n);
  return { old, floor, ceiling, delta };
}

const cases = fc.tuple(pricingInputs, ruleSet);
const runs = { numRuns: 1_000 };

describe('repriceSku: properties', () => {
  it('the bounds reading agrees with the exact floor and ceiling', () => {
    fc.assert(
      fc.property(cases, ([inputs, rules]) => {
        const b = bounds(inputs, rules);
        const margin = inputs.minMarginBps ?? rules.defaultMinMarginBps;
        const markup = inputs.maxMarkupBps ?? rules.defaultMaxMarkupBps;
        expect(marginFloor(inputs.cost, margin)?.amount ?? b.old).toBe(b.floor);
        expect(markupCeiling(inputs.listPrice, markup)?.amount ?? b.old).toBe(b.ceiling);
      }),
      { numRuns: 500 },
    );
  });

  it('a price never leaves its guardrails; when the floor is above the ceiling the price is the floor', () => {
    fc.assert(
      fc.property(cases, ([inputs, rules]) => {
        const d = repriceSku(inputs, rules);
        if (inputs.campaignLocked) return;
        const { floor, ceiling } = bounds(inputs, rules);
        if (floor <= ceiling) {
          expect(d.new.amount).toBeGreaterThanOrEqual(floor);
          expect(d.new.amount).toBeLessThanOrEqual(ceiling);
        } else {
          expect(d.new.amount).toBe(floor);
          expect(d.boundBy).toBe('floor');
        }
      }),
      runs,
    );
  });

  it('a change is within the max change per run when the old price was inside its guardrails; else it stops at the violated bound', () => {
    fc.assert(
      fc.property(cases, ([inputs, rules]) => {
        const d = repriceSku(inputs, rules);
        const { old, floor, ceiling, delta } = bounds(inputs, rules);
        const step = Math.abs(d.new.amount - old);
        if (old >= floor && old <= ceiling) expect(step).toBeLessThanOrEqual(delta);
        else if (step > delta) expect([floor, ceiling]).toContain(d.new.amount);
      }),
      runs,
    );
  });

  it('the charm ending never moves a price more than its tolerance, and lands on the ending', () => {
    fc.assert(
      fc.property(cases, ([inputs, rules]) => {
        const d = repriceSku(inputs, rules);
        const charm = d.trail.find((s) => s.rule === 'charmEnding');
        const rule = rules.rules.find((r) => r.type === 'charmEnding');
        if (!charm?.applied || rule?.type !== 'charmEnding') return;
        const moved = Math.abs(charm.to.amount - charm.from.amount);
        expect(moved * 10_000).toBeLessThanOrEqual(charm.from.amount * rule.toleranceBps);
        const unit = 10 ** minorUnitDigits(charm.to.currency);
        expect(charm.to.amount % unit).toBe(0);
        expect((charm.to.amount / unit) % 10).toBe(rule.ending);
        expect(d.new).toEqual(charm.to);
      }),
      runs,
    );
  });

  it('money stays integer: every amount in the receipt is a safe integer', () => {
    fc.assert(
      fc.property(cases, ([inputs, rules]) => {
        const d = repriceSku(inputs, rules);
        for (const a of amountsIn(d)) expect(Number.isSafeInteger(a)).toBe(true);
        expect(d.change).toBe(d.new.amount - d.old.amount);
        expect(d.new.amount).toBeGreaterThan(0);
      }),
      runs,
    );
  });

  it('campaign-locked SKUs keep their price', () => {
    fc.assert(
      fc.property(cases, ([inputs, rules]) => {
        const d = repriceSku({ ...inputs, campaignLocked: true }, rules);
        expect(d.new).toEqual(inputs.price);
        expect(d.outcome).toBe('locked');
      }),
      { numRuns: 200 },
    );
  });

  it('the receipt is consistent: the trail chains, the guardrails chain, boundBy is the last that bound', () => {
    fc.assert(
      fc.property(cases, ([inputs, rules]) => {
        const d = repriceSku(inputs, rules);
        if (d.outcome === 'locked') return;
        const rulesSteps = d.trail.filter((s) => s.rule !== 'charmEnding');
        let price = d.old;
        for (const s of rulesSteps) {
          expect(s.from).toEqual(price);
          expect(s.applied).toBe(s.to.amount !== s.from.amount);
          price = s.to;
        }
        for (const g of d.guardrails) {
          expect(g.from).toEqual(price);
          expect(g.bound).toBe(g.to.amount !== g.from.amount);
          price = g.to;
        }
        const charm = d.trail.find((s) => s.rule === 'charmEnding');
        if (charm) {
          expect(charm.from).toEqual(price);
          price = charm.to;
        }
        expect(d.new).toEqual(price);
        expect(d.boundBy).toBe(d.guardrails.filter((g) => g.bound).at(-1)?.guardrail ?? null);
        expect(d.changed).toBe(d.outcome === 'changed');
      }),
      runs,
    );
  });

  it('the same inputs give the same numbers (a dry run and an applied run compute alike)', () => {
    fc.assert(
      fc.property(cases, ([inputs, rules]) => {
        const a = repriceSku(inputs, rules);
        const b = repriceSku(structuredClone(inputs), structuredClone(rules));
        expect(JSON.parse(JSON.stringify(b))).toEqual(JSON.parse(JSON.stringify(a)));
      }),
      { numRuns: 300 },
    );
  });
});
