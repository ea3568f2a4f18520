import fc from 'fast-check';
import type { DepositPaid } from '#domain/presale/order';
import { MAX_QUOTA, type Presale, parsePresale } from '#domain/presale/presale';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BASE = Date.parse('2026-10-20T00:00:00.000Z');

export const iso = (ms: number) => new Date(ms).toISOString();

/** The example presale: a sofa at 3000 CNY, pay 500 get 1000 off. */
export const sofaBody = {
  sku: 'SOFA-GREY',
  listPrice: { amount: 300_000, currency: 'CNY' },
  deposit: { amount: 50_000, currency: 'CNY' },
  depositValue: { amount: 100_000, currency: 'CNY' },
  depositWindow: { start: '2026-10-20T00:00:00Z', end: '2026-11-01T00:00:00Z' },
  balanceWindow: { start: '2026-11-01T00:00:00Z', end: '2026-11-04T00:00:00Z' },
  shipWithinDays: 30,
  quota: 100,
  forfeitPolicy: 'keep',
};

export const sofa = (overrides: Record<string, unknown> = {}): Presale =>
  parsePresale('SOFA-2026', { ...sofaBody, ...overrides });

export const deposit = (overrides: Partial<DepositPaid> = {}): DepositPaid => ({
  orderId: 'PO-1',
  presaleId: 'SOFA-2026',
  customerId: 'C-42',
  amount: { amount: 50_000, currency: 'CNY' },
  paidAt: '2026-10-25T02:00:00.000Z',
  ...overrides,
});

/** A PUT body that satisfies every rule, over currencies, amounts, windows and policies. */
export const validBody = fc
  .record({
    currency: fc.constantFrom('CNY', 'USD', 'JPY', 'KWD'),
    listPrice: fc.integer({ min: 1, max: 1_000_000_000 }),
    depositShare: fc.double({ min: 0, max: 1, noNaN: true }),
    inflation: fc.integer({ min: 0, max: 2_000_000_000 }),
    depositStart: fc.integer({ min: 0, max: 365 * DAY }),
    depositLength: fc.integer({ min: 1, max: 60 * DAY }),
    gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 * DAY })),
    balanceLength: fc.integer({ min: 1, max: 30 * DAY }),
    shipWithinDays: fc.integer({ min: 1, max: 3650 }),
    quota: fc.integer({ min: 0, max: MAX_QUOTA }),
    forfeitPolicy: fc.constantFrom('keep', 'refund'),
  })
  .map((g) => {
    const deposit = Math.max(1, Math.floor(g.listPrice * g.depositShare));
    const depositStart = BASE + g.depositStart;
    const depositEnd = depositStart + g.depositLength;
    const balanceStart = depositEnd + g.gap;
    return {
      sku: 'SKU-1',
      listPrice: { amount: g.listPrice, currency: g.currency },
      deposit: { amount: deposit, currency: g.currency },
      depositValue: { amount: deposit + g.inflation, currency: g.currency },
      depositWindow: { start: iso(depositStart), end: iso(depositEnd) },
      balanceWindow: { start: iso(balanceStart), end: iso(balanceStart + g.balanceLength) },
      shipWithinDays: g.shipWithinDays,
      quota: g.quota,
      forfeitPolicy: g.forfeitPolicy,
    };
  });

export const validPresale = validBody.map((body) => parsePresale('P-1', body));
