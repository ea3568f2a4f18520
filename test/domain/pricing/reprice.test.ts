import { describe, expect, it } from 'vitest';
import { REPRICING_ENGINE } from '#domain/pricing/pricing-rules';
import { charmCandidates, type PriceDecision, repriceSku } from '#domain/pricing/reprice';
import { AT, cny, only, rulesOn, seen, sku } from './arbitraries.ts';

/** The trail step of a rule. */
const step = (d: PriceDecision, rule: string) => d.trail.find((s) => s.rule === rule);
const guard = (d: PriceDecision, g: string) => d.guardrails.find((c) => c.guardrail === g);
const amounts = (d: PriceDecision) => ({ old: d.old.amount, new: d.new.amount, boundBy: d.boundBy });

describe('repriceSku: the receipt', () => {
  it('keeps its inputs, the rules version, the engine, every rule and every guardrail in order', () => {
    const inputs = sku({ onHand: 12 });
    const d = repriceSku(inputs, rulesOn());
    expect(d.sku).toBe('SKU-1');
    expect(d.inputs).toBe(inputs);
    expect(d.rulesVersion).toBe(7);
    expect(d.engine).toBe(REPRICING_ENGINE);
    expect(d.trail.map((s) => s.rule)).toEqual(['lowStock', 'competitor', 'charmEnding']);
    expect(d.guardrails.map((g) => g.guardrail)).toEqual(['maxChange', 'ceiling', 'floor']);
    expect(d.limits).toEqual({
      floor: cny(6_600),
      ceiling: cny(12_000),
      minMarginBps: 1_000,
      maxMarkupBps: 2_000,
      maxChangePerRunBps: 1_500,
      lowest: cny(8_500),
      highest: cny(11_500),
    });
  });

  it('rules tried in a dry run have no version', () => {
    const { version: _, ...tried } = rulesOn();
    expect(repriceSku(sku(), tried).rulesVersion).toBeNull();
  });

  it('a switched-off rule is listed, not applied', () => {
    const d = repriceSku(sku({ onHand: 1 }), only([]));
    expect(d.trail.every((s) => !s.applied && s.note === 'switched off')).toBe(true);
    expect(amounts(d)).toEqual({ old: 10_000, new: 10_000, boundBy: null });
    expect(d.outcome).toBe('unchanged');
  });

  it('refuses a price in another currency than the SKU', () => {
    expect(() => repriceSku(sku({ currency: 'USD' }), rulesOn())).toThrow(/not the SKU's USD/);
  });
});

describe('low stock (docs/rules/repricing.md, example 1)', () => {
  it('on hand 12 < 50: 100.00 + 10% = 110.00, then the charm ending: 109.00', () => {
    const d = repriceSku(sku({ onHand: 12 }), rulesOn());
    expect(step(d, 'lowStock')).toMatchObject({ applied: true, from: cny(10_000), to: cny(11_000) });
    expect(step(d, 'charmEnding')).toMatchObject({ applied: true, from: cny(11_000), to: cny(10_900) });
    expect(amounts(d)).toEqual({ old: 10_000, new: 10_900, boundBy: null });
    expect(d).toMatchObject({ outcome: 'changed', changed: true, change: 900 });
  });

  it('the next hour it does not compound: 109.00 + 10% is capped at list + 10% (110.00), charmed back to 109.00', () => {
    const d = repriceSku(sku({ onHand: 12, price: cny(10_900) }), rulesOn());
    expect(step(d, 'lowStock')).toMatchObject({ applied: true, to: cny(11_000) });
    expect(step(d, 'lowStock')?.note).toMatch(/capped at list \+ 10% \(110.00 CNY\)/);
    expect(amounts(d)).toEqual({ old: 10_900, new: 10_900, boundBy: null });
    expect(d.outcome).toBe('unchanged');
  });

  it('at 50 on hand stock is not low; a price already above list + 10% is not lowered by it', () => {
    expect(step(repriceSku(sku({ onHand: 50 }), only(['lowStock'])), 'lowStock')).toMatchObject({
      applied: false,
      note: 'on hand 50 is not below 50',
    });
    const high = repriceSku(sku({ onHand: 0, price: cny(11_500) }), only(['lowStock']));
    expect(step(high, 'lowStock')).toMatchObject({ applied: false, to: cny(11_500) });
  });

  it('rounds the raise half-up to the fen: 99.95 + 10% = 109.945 → 109.95', () => {
    const d = repriceSku(sku({ onHand: 0, price: cny(9_995), listPrice: cny(12_000) }), only(['lowStock']));
    expect(d.new).toEqual(cny(10_995));
  });
});

describe('competitor (docs/rules/repricing.md, example 2)', () => {
  const rivals = [seen('tmall', 9_400, 3), seen('jd', 9_000, 3)];

  it('moves half the gap toward the lowest fresh price: 100.00 → 95.00 (jd 90.00), no charm within 2%', () => {
    const d = repriceSku(sku({ competitors: rivals }), rulesOn());
    expect(step(d, 'competitor')).toMatchObject({ applied: true, from: cny(10_000), to: cny(9_500) });
    expect(step(d, 'competitor')?.note).toMatch(/90.00 CNY \(jd/);
    expect(step(d, 'charmEnding')).toMatchObject({ applied: false });
    expect(step(d, 'charmEnding')?.note).toMatch(/no price ending in 9 within 2%/);
    expect(amounts(d)).toEqual({ old: 10_000, new: 9_500, boundBy: null });
  });

  it('the next hour closes half the remaining gap: 95.00 → 92.50', () => {
    expect(repriceSku(sku({ price: cny(9_500), competitors: rivals }), rulesOn()).new).toEqual(cny(9_250));
  });

  it('moves up toward a higher competitor too', () => {
    const d = repriceSku(sku({ competitors: [seen('jd', 11_000)] }), only(['competitor']));
    expect(d.new).toEqual(cny(10_500));
  });

  it('rounds the step half away from zero: 10.15 toward 10.00 by 50% = −0.075 → −0.08 → 10.07', () => {
    const d = repriceSku(
      sku({ price: cny(1_015), listPrice: cny(1_100), cost: cny(500), competitors: [seen('jd', 1_000)] }),
      only(['competitor']),
    );
    expect(d.new).toEqual(cny(1_007));
  });

  it('ignores observations older than maxAgeHours (168 h) and in another currency', () => {
    const stale = seen('jd', 5_000, 169);
    const usd = { ...seen('pdd', 5_000), price: { amount: 5_000, currency: 'USD' } };
    const d = repriceSku(sku({ competitors: [stale, usd] }), only(['competitor']));
    expect(step(d, 'competitor')).toMatchObject({ applied: false });
    expect(step(d, 'competitor')?.note).toMatch(/no competitor price in CNY observed in the last 168 h \(2/);
    expect(repriceSku(sku({ competitors: [seen('jd', 9_000, 168)] }), only(['competitor'])).new).toEqual(
      cny(9_500),
    );
  });

  it('floorBps stops following down at that share of the list price: competitor 80.00, floorBps 9500 → 95.00', () => {
    const rules = only(['competitor'], { competitor: { floorBps: 9_500, towardBps: 10_000 } });
    const d = repriceSku(sku({ competitors: [seen('jd', 8_000)] }), rules);
    expect(d.new).toEqual(cny(9_500));
    expect(step(d, 'competitor')?.note).toMatch(/followed down only to 95% of the list price \(95.00 CNY\)/);
    // Already below the stop: not lowered further, not raised by it either.
    expect(repriceSku(sku({ price: cny(9_300), competitors: [seen('jd', 8_000)] }), rules).new).toEqual(
      cny(9_300),
    );
    // Without a list price the stop cannot be known: not followed down.
    const noList = repriceSku(sku({ listPrice: null, competitors: [seen('jd', 8_000)] }), rules);
    expect(step(noList, 'competitor')).toMatchObject({ applied: false, to: cny(10_000) });
  });
});

describe('charm ending (docs/rules/repricing.md, example 3)', () => {
  const charm = only(['charmEnding']);
  it.each([
    [10_000, 9_900, '100.00 → 99.00 (1%)'],
    [11_800, 11_900, '118.00 → 119.00'],
    [10_150, 10_150, '101.50: 99.00 is 2.46% away, 109.00 7.4%: left'],
    [12_345, 12_345, '123.45: 119.00 and 129.00 are more than 2% away: left'],
    [9_900, 9_900, 'already ends in 9'],
    [10_100, 9_900, '101.00 → 99.00: 1.98%'],
  ])('%i → %i (%s)', (from, to) => {
    expect(repriceSku(sku({ price: cny(from), listPrice: cny(20_000) }), charm).new).toEqual(cny(to));
  });

  it('a tie goes to the lower price: 104.00 with ending 9 and 5% tolerance → 99.00, not 109.00', () => {
    const d = repriceSku(
      sku({ price: cny(10_400) }),
      only(['charmEnding'], { charmEnding: { toleranceBps: 500 } }),
    );
    expect(d.new).toEqual(cny(9_900));
  });

  it('works on the currency major unit: ¥1,234 → ¥1,229', () => {
    const yen = (amount: number) => ({ amount, currency: 'JPY' });
    const d = repriceSku(
      sku({ currency: 'JPY', price: yen(1_234), listPrice: yen(1_234), cost: yen(600) }),
      charm,
    );
    expect(d.new).toEqual(yen(1_229));
  });

  it('candidates are the ending at or below and the next one above, never zero', () => {
    expect(charmCandidates(cny(12_345), 9)).toEqual([cny(11_900), cny(12_900)]);
    expect(charmCandidates(cny(500), 9)).toEqual([cny(900)]);
    expect(charmCandidates(cny(500), 0)).toEqual([cny(1_000)]);
  });

  it('is skipped when it would break a guardrail: floor 99.11 refuses 99.00', () => {
    const d = repriceSku(sku({ cost: cny(9_010) }), charm);
    expect(d.new).toEqual(cny(10_000));
    expect(step(d, 'charmEnding')).toMatchObject({ applied: false });
    expect(step(d, 'charmEnding')?.note).toBe('skipped: 99.00 CNY is below the floor 99.11 CNY');
  });
});

describe('guardrails (docs/rules/repricing.md, example 4)', () => {
  it('max change per run: toward 50.00 at once stops at 100.00 − 15% = 85.00', () => {
    const d = repriceSku(
      sku({ competitors: [seen('jd', 5_000)] }),
      only(['competitor', 'charmEnding'], { competitor: { towardBps: 10_000 } }),
    );
    expect(guard(d, 'maxChange')).toMatchObject({
      bound: true,
      limit: cny(8_500),
      from: cny(5_000),
      to: cny(8_500),
    });
    expect(amounts(d)).toEqual({ old: 10_000, new: 8_500, boundBy: 'maxChange' });
  });

  it('the allowed change rounds down: 15% of 99.99 = 14.9985 → 14.99', () => {
    const d = repriceSku(sku({ price: cny(9_999) }), only([]));
    expect(d.limits).toMatchObject({ lowest: cny(8_500), highest: cny(11_498) });
  });

  it('floor: cost 80.00 + 10% = 88.00 stops the fall, then the charm ending takes 89.00', () => {
    const d = repriceSku(
      sku({ cost: cny(8_000), competitors: [seen('jd', 5_000)] }),
      only(['competitor', 'charmEnding'], { competitor: { towardBps: 10_000 } }),
    );
    expect(d.guardrails.filter((g) => g.bound).map((g) => [g.guardrail, g.to.amount])).toEqual([
      ['maxChange', 8_500],
      ['floor', 8_800],
    ]);
    expect(step(d, 'charmEnding')).toMatchObject({ applied: true, from: cny(8_800), to: cny(8_900) });
    expect(amounts(d)).toEqual({ old: 10_000, new: 8_900, boundBy: 'floor' });
  });

  it('the floor rounds up to the fen: cost 33.33 + 10% = 36.663 → 36.67', () => {
    expect(repriceSku(sku({ cost: cny(3_333) }), only([])).limits.floor).toEqual(cny(3_667));
  });

  it('ceiling: list 100.00 + 8% = 108.00 stops a low-stock raise; 109.00 is above it, so no charm', () => {
    const d = repriceSku(sku({ onHand: 3, maxMarkupBps: 800 }), rulesOn());
    expect(guard(d, 'ceiling')).toMatchObject({
      bound: true,
      limit: cny(10_800),
      from: cny(11_000),
      to: cny(10_800),
    });
    expect(step(d, 'charmEnding')?.note).toBe('skipped: 109.00 CNY is above the ceiling 108.00 CNY');
    expect(amounts(d)).toEqual({ old: 10_000, new: 10_800, boundBy: 'ceiling' });
  });

  it('the ceiling rounds down to the fen: list 33.33 + 20% = 39.996 → 39.99', () => {
    expect(repriceSku(sku({ listPrice: cny(3_333) }), only([])).limits.ceiling).toEqual(cny(3_999));
  });

  it('floor above ceiling: the floor wins and says so', () => {
    const d = repriceSku(sku({ cost: cny(10_000), maxMarkupBps: 500 }), rulesOn());
    expect(amounts(d)).toEqual({ old: 10_000, new: 11_000, boundBy: 'floor' });
    expect(guard(d, 'floor')?.note).toBe(
      'cost 100.00 CNY + 10% margin; above the ceiling 105.00 CNY: the floor wins',
    );
    expect(step(d, 'charmEnding')?.note).toMatch(/109.00 CNY is below the floor 110.00 CNY/);
  });

  it('an old price outside the guardrails is brought back at once, beyond the max change', () => {
    const d = repriceSku(sku({ price: cny(5_000) }), only([]));
    expect(amounts(d)).toEqual({ old: 5_000, new: 6_600, boundBy: 'floor' });
    expect(guard(d, 'floor')?.note).toMatch(
      /the old price was outside the guardrails: brought back beyond the max change/,
    );
    const high = repriceSku(sku({ price: cny(20_000) }), only([]));
    expect(amounts(high)).toEqual({ old: 20_000, new: 12_000, boundBy: 'ceiling' });
  });

  it('no cost: never lowered; no list price: never raised', () => {
    const down = repriceSku(sku({ cost: null, competitors: [seen('jd', 9_000)] }), only(['competitor']));
    expect(amounts(down)).toEqual({ old: 10_000, new: 10_000, boundBy: 'floor' });
    expect(guard(down, 'floor')?.note).toBe('no cost: never lowered');
    const up = repriceSku(sku({ listPrice: null, onHand: 0 }), only(['lowStock']));
    expect(amounts(up)).toEqual({ old: 10_000, new: 10_000, boundBy: 'ceiling' });
    expect(guard(up, 'ceiling')?.note).toBe('no list price: never raised');
    const other = repriceSku(
      sku({ cost: { amount: 1, currency: 'USD' }, competitors: [seen('jd', 9_000)] }),
      only(['competitor']),
    );
    expect(guard(other, 'floor')?.note).toBe('cost not in CNY: never lowered');
  });

  it("a SKU's own margin and markup replace the rules' defaults", () => {
    const d = repriceSku(sku({ minMarginBps: 5_000, maxMarkupBps: 0 }), only([]));
    expect(d.limits).toMatchObject({
      floor: cny(9_000),
      ceiling: cny(10_000),
      minMarginBps: 5_000,
      maxMarkupBps: 0,
    });
  });

  it('campaign-locked: untouched, whatever the rules', () => {
    const d = repriceSku(sku({ campaignLocked: true, onHand: 0, price: cny(1_000) }), rulesOn());
    expect(d).toMatchObject({
      outcome: 'locked',
      changed: false,
      change: 0,
      boundBy: 'campaignLock',
      trail: [],
    });
    expect(d.new).toEqual(cny(1_000));
    expect(d.guardrails).toEqual([
      {
        guardrail: 'campaignLock',
        bound: true,
        limit: cny(1_000),
        from: cny(1_000),
        to: cny(1_000),
        note: 'in a live campaign: the price is left alone',
      },
    ]);
  });
});

describe('rule order', () => {
  it('competitor before low stock, when listed so, changes the result', () => {
    const inputs = sku({ onHand: 0, competitors: [seen('jd', 9_000)] });
    const stockFirst = repriceSku(inputs, only(['lowStock', 'competitor']));
    const base = only(['lowStock', 'competitor']);
    const competitorFirst = repriceSku(inputs, {
      ...base,
      rules: [base.rules[1]!, base.rules[0]!, base.rules[2]!],
    });
    // 100 → 110 → 100.00; 100 → 95 → 104.50
    expect(stockFirst.new).toEqual(cny(10_000));
    expect(competitorFirst.new).toEqual(cny(10_450));
    expect(competitorFirst.trail.map((s) => s.rule)).toEqual(['competitor', 'lowStock', 'charmEnding']);
  });
  it('at is read as the run instant', () => {
    expect(repriceSku(sku(), rulesOn()).inputs.at).toBe(AT);
  });
});

describe('absurd observations', () => {
  it('a competitor price above the price limit is ignored (the numbers stay exact integers)', () => {
    const huge = { ...seen('jd', 1), price: cny(Number.MAX_SAFE_INTEGER) };
    const d = repriceSku(sku({ competitors: [huge] }), only(['competitor']));
    expect(d.trail[1]).toMatchObject({ rule: 'competitor', applied: false });
    expect(d.new).toEqual(cny(10_000));
  });
});

describe('tiny prices', () => {
  it('a raise that rounds to the same fen moves nothing, and says so', () => {
    const d = repriceSku(sku({ onHand: 0, price: cny(4), listPrice: null, cost: null }), only(['lowStock']));
    expect(d.trail[0]).toMatchObject({
      applied: false,
      note: 'on hand 0 < 50: +10%, which rounds to the same price',
    });
  });
});
