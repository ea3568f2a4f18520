import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type QuoteCampaign, type QuoteInput, quote, shareHalfUp } from '#domain/campaigns/quote';
import { DEFAULT_TIERS } from '#domain/campaigns/tiers';
import type { CouponView } from '#domain/shared/customer-perks';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const AT = '2026-11-05T00:00:00.000Z';
const noPerks = { tier: 'none', discountBps: 0, slaMultiplierBps: 10_000, newUser: false };
const campaign = (extra: Partial<QuoteCampaign> = {}): QuoteCampaign => ({
  campaignId: 'C-1',
  name: 'Double 11',
  tiers: DEFAULT_TIERS,
  skus: null,
  categories: null,
  group: 'everyone',
  budgetLeft: null,
  ...extra,
});
const coupon = (extra: Partial<CouponView> = {}): CouponView => ({
  code: 'CP-1',
  customerId: 'U-1',
  amount: cny(2_000),
  minSpend: cny(0),
  status: 'open',
  source: 'referral',
  expiresAt: null,
  ...extra,
});
const input = (extra: Partial<QuoteInput> = {}): QuoteInput => ({
  currency: 'CNY',
  items: [{ sku: 'A', qty: 2, unitPrice: cny(9_950), category: 'care' }],
  bundles: [],
  campaigns: [campaign()],
  perks: noPerks,
  coupons: [],
  at: AT,
  ...extra,
});
const amounts = (q: ReturnType<typeof quote>) => q.lines.map((l) => [l.kind, l.amount.amount]);

describe('the checkout quote', () => {
  it('items, the best single tier, new-user −5%, a coupon: every line with its why', () => {
    const q = quote(input({ perks: { ...noPerks, newUser: true }, coupons: [coupon()] }));
    // 2 × 99.50 = 199.00 → tier 199−30 → 169.00 → −5% = 8.45 → 160.55 → coupon 20 → 140.55
    expect(amounts(q)).toEqual([
      ['item', 19_900],
      ['campaign', -3_000],
      ['personal', -845],
      ['coupon', -2_000],
    ]);
    expect(q.total).toEqual(cny(14_055));
    expect(q.subtotal).toEqual(cny(19_900));
    expect(q.lines.every((l) => l.why.length > 0)).toBe(true);
    expect(q.lines[1]!.why).toContain('the best single tier');
    expect(q.applied).toEqual({ campaignId: 'C-1', saving: 3_000 });
  });

  it('198.99 gets no tier; 199.00 gets 199−30', () => {
    const at = (price: number) =>
      quote(input({ items: [{ sku: 'A', qty: 1, unitPrice: cny(price), category: null }] }));
    expect(at(19_899).total.amount).toBe(19_899);
    expect(at(19_899).lines[1]!.why).toContain('below the lowest tier');
    expect(at(19_900).total.amount).toBe(16_900);
  });

  it('a bundle saves once per whole bundle and lowers the campaign spend', () => {
    const q = quote(
      input({
        items: [
          { sku: 'SHAMPOO', qty: 3, unitPrice: cny(6_000), category: null },
          { sku: 'COND', qty: 2, unitPrice: cny(6_900), category: null },
        ],
        bundles: [
          {
            bundleId: 'B-1',
            items: [
              { sku: 'SHAMPOO', qty: 1 },
              { sku: 'COND', qty: 1 },
            ],
            saving: cny(3_000),
          },
        ],
      }),
    );
    // 180.00 + 138.00 = 318.00; 2 bundles −60.00 → 258.00 ≥ 199 → −30.00 → 228.00
    expect(amounts(q)).toEqual([
      ['item', 18_000],
      ['item', 13_800],
      ['bundle', -6_000],
      ['campaign', -3_000],
    ]);
    expect(q.total.amount).toBe(22_800);
  });

  it('only eligible lines count; control and budget leave a zero line that says why', () => {
    const items = [
      { sku: 'A', qty: 1, unitPrice: cny(15_000), category: 'care' },
      { sku: 'B', qty: 1, unitPrice: cny(15_000), category: 'toys' },
    ];
    expect(quote(input({ items, campaigns: [campaign({ categories: ['care'] })] })).total.amount).toBe(
      30_000,
    );
    expect(quote(input({ items, campaigns: [campaign({ skus: ['A', 'B'] })] })).total.amount).toBe(27_000);
    const control = quote(input({ items, campaigns: [campaign({ group: 'control' })] }));
    expect(control.total.amount).toBe(30_000);
    expect(control.lines.at(-1)!.why).toContain('control group');
    const poor = quote(input({ items, campaigns: [campaign({ budgetLeft: 2_999 })] }));
    expect(poor.total.amount).toBe(30_000);
    expect(poor.lines.at(-1)!.why).toContain('budget');
  });

  it('of two live campaigns the one saving most applies; the other says so', () => {
    const q = quote(
      input({
        campaigns: [
          campaign({ campaignId: 'C-1' }),
          campaign({ campaignId: 'C-2', tiers: [{ spend: cny(10_000), save: cny(5_000) }] }),
        ],
      }),
    );
    expect(amounts(q)).toEqual([
      ['item', 19_900],
      ['campaign', 0],
      ['campaign', -5_000],
    ]);
    expect(q.lines[1]!.why).toContain('C-2 saves more');
  });

  it('coupons that do not apply are zero lines with the reason; a big coupon stops at zero', () => {
    const q = quote(
      input({
        campaigns: [],
        coupons: [
          coupon({ code: 'OLD', status: 'redeemed' }),
          coupon({ code: 'LATE', expiresAt: '2026-11-01T00:00:00.000Z' }),
          coupon({ code: 'MIN', minSpend: cny(100_000) }),
          coupon({ code: 'BIG', amount: cny(1_000_000) }),
        ],
      }),
    );
    expect(amounts(q).slice(1)).toEqual([
      ['coupon', 0],
      ['coupon', 0],
      ['coupon', 0],
      ['coupon', -19_900],
    ]);
    expect(q.total.amount).toBe(0);
    expect(q.lines.map((l) => l.why).join('\n')).toMatch(
      /redeemed[\s\S]*expired[\s\S]*needs a spend[\s\S]*never goes below zero/,
    );
  });

  it('a member tier discount applies after the campaign, half-up', () => {
    const q = quote(input({ campaigns: [], perks: { ...noPerks, tier: 'gold', discountBps: 250 } }));
    expect(amounts(q)).toEqual([
      ['item', 19_900],
      ['personal', -498], // 2.5% of 199.00 = 4.975 → 4.98
    ]);
    expect(shareHalfUp(19_900, 250)).toBe(498);
  });
});

describe('quote laws (property tests)', () => {
  const item = fc.record({
    sku: fc.constantFrom('A', 'B', 'C', 'D'),
    qty: fc.integer({ min: 1, max: 20 }),
    unitPrice: fc.integer({ min: 1, max: 200_000 }).map(cny),
    category: fc.constantFrom('care', 'toys', null),
  });
  const cart = fc.uniqueArray(item, { selector: (i) => i.sku, minLength: 1, maxLength: 4 });
  const arbInput = fc.record({
    items: cart,
    newUser: fc.boolean(),
    memberBps: fc.integer({ min: 0, max: 3_000 }),
    group: fc.constantFrom('pilot', 'control', 'everyone', 'none') as fc.Arbitrary<QuoteCampaign['group']>,
    coupons: fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 3 }),
    bundleSaving: fc.integer({ min: 1, max: 50_000 }),
  });
  const toInput = (a: {
    items: QuoteInput['items'];
    newUser: boolean;
    memberBps: number;
    group: QuoteCampaign['group'];
    coupons: number[];
    bundleSaving: number;
  }): QuoteInput =>
    input({
      items: a.items,
      perks: {
        ...noPerks,
        newUser: a.newUser,
        discountBps: a.memberBps,
        tier: a.memberBps ? 'gold' : 'none',
      },
      campaigns: [campaign({ group: a.group })],
      coupons: a.coupons.map((amount, i) => coupon({ code: `CP-${i}`, amount: cny(amount) })),
      bundles: [
        {
          bundleId: 'B',
          items: [
            { sku: 'A', qty: 1 },
            { sku: 'B', qty: 1 },
          ],
          saving: cny(a.bundleSaving),
        },
      ],
    });

  it('a total is an integer between zero and the subtotal; every discount line is ≤ 0', () => {
    fc.assert(
      fc.property(arbInput, (a) => {
        const q = quote(toInput(a));
        expect(Number.isInteger(q.total.amount)).toBe(true);
        expect(q.total.amount).toBeGreaterThanOrEqual(0);
        expect(q.total.amount).toBeLessThanOrEqual(q.subtotal.amount);
        for (const l of q.lines) {
          expect(Number.isInteger(l.amount.amount)).toBe(true);
          if (l.kind !== 'item') expect(l.amount.amount).toBeLessThanOrEqual(0);
        }
        expect(q.lines.reduce((s, l) => s + l.amount.amount, 0)).toBe(q.total.amount);
      }),
    );
  });

  it('a discount never raises a total: adding a coupon or a campaign never makes it dearer', () => {
    fc.assert(
      fc.property(arbInput, fc.integer({ min: 1, max: 100_000 }), (a, extra) => {
        const base = quote(toInput(a)).total.amount;
        expect(quote(toInput({ ...a, coupons: [...a.coupons, extra] })).total.amount).toBeLessThanOrEqual(
          base,
        );
        expect(quote({ ...toInput(a), campaigns: [] }).total.amount).toBeGreaterThanOrEqual(base);
      }),
    );
  });

  it('tiers never stack: at most one campaign line moves money, and by exactly one tier (or what is left)', () => {
    fc.assert(
      fc.property(arbInput, (a) => {
        const q = quote(toInput(a));
        const moving = q.lines.filter((l) => l.kind === 'campaign' && l.amount.amount !== 0);
        expect(moving.length).toBeLessThanOrEqual(1);
        if (moving[0]) expect(DEFAULT_TIERS.map((t) => -t.save.amount)).toContain(moving[0].amount.amount);
      }),
    );
  });
});
