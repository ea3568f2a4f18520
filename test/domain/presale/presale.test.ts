import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_QUOTA,
  PRESALE_DEFAULTS,
  PresaleSchema,
  parsePresale,
  presaleView,
  quotaLeft,
  returnUnit,
  takeUnit,
  validatePresaleUpdate,
} from '#domain/presale/presale';
import { ValidationError } from '#domain/shared/errors';
import { sofa, sofaBody, validBody } from './arbitraries.ts';

/** The issues a body is refused with (fails the test if it is accepted). */
function issuesOf(body: unknown, presaleId: unknown = 'SOFA-2026') {
  try {
    parsePresale(presaleId, body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}
const fieldsOf = (body: unknown, presaleId?: unknown) => issuesOf(body, presaleId).map((i) => i.field);

describe('parsePresale (PUT /api/presales/{presaleId})', () => {
  it('accepts a full body, takes presaleId from the path and stores instants as UTC', () => {
    const presale = parsePresale('SOFA-2026', {
      ...sofaBody,
      depositWindow: { start: '2026-10-20T08:00:00+08:00', end: '2026-11-01T08:00:00+08:00' },
    });
    expect(presale).toEqual({
      presaleId: 'SOFA-2026',
      sku: 'SOFA-GREY',
      listPrice: { amount: 300_000, currency: 'CNY' },
      deposit: { amount: 50_000, currency: 'CNY' },
      depositValue: { amount: 100_000, currency: 'CNY' },
      depositWindow: { start: '2026-10-20T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' },
      balanceWindow: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-04T00:00:00.000Z' },
      shipWithinDays: 30,
      quota: 100,
      forfeitPolicy: 'keep',
    });
  });

  it('fills SPEC §2 defaults: 500 → 1000 CNY, balance window 72 h from the deposit window end, 30 days, keep', () => {
    const { sku, listPrice, depositWindow, quota } = sofaBody;
    const presale = parsePresale('SOFA-2026', { sku, listPrice, depositWindow, quota });
    expect(presale.deposit).toEqual({ amount: 50_000, currency: 'CNY' });
    expect(presale.depositValue).toEqual({ amount: 100_000, currency: 'CNY' });
    expect(presale.balanceWindow).toEqual({
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-11-04T00:00:00.000Z',
    });
    expect(presale.shipWithinDays).toBe(30);
    expect(presale.forfeitPolicy).toBe('keep');
  });

  it('treats null as absent, and defaults only the missing end of a balance window', () => {
    const presale = parsePresale('SOFA-2026', {
      ...sofaBody,
      deposit: null,
      shipWithinDays: null,
      balanceWindow: { start: '2026-11-02T00:00:00Z' },
    });
    expect(presale.deposit.amount).toBe(50_000);
    expect(presale.shipWithinDays).toBe(30);
    expect(presale.balanceWindow).toEqual({
      start: '2026-11-02T00:00:00.000Z',
      end: '2026-11-05T00:00:00.000Z',
    });
  });

  it('uses the store-configured defaults when given', () => {
    const defaults = {
      ...PRESALE_DEFAULTS,
      deposit: { amount: 5_000, currency: 'USD' },
      depositValue: { amount: 8_000, currency: 'USD' },
      balanceWindowHours: 24,
      shipWithinDays: 14,
      forfeitPolicy: 'refund' as const,
    };
    const presale = parsePresale(
      'DESK',
      {
        sku: 'DESK',
        listPrice: { amount: 50_000, currency: 'USD' },
        depositWindow: sofaBody.depositWindow,
        quota: 5,
      },
      defaults,
    );
    expect(presale).toMatchObject({
      deposit: { amount: 5_000, currency: 'USD' },
      depositValue: { amount: 8_000, currency: 'USD' },
      balanceWindow: { end: '2026-11-02T00:00:00.000Z' },
      shipWithinDays: 14,
      forfeitPolicy: 'refund',
    });
  });

  it.each([
    ['depositValue below the deposit', { depositValue: { amount: 49_999, currency: 'CNY' } }, 'depositValue'],
    ['deposit above the list price', { deposit: { amount: 300_001, currency: 'CNY' } }, 'deposit'],
    ['zero list price', { listPrice: { amount: 0, currency: 'CNY' } }, 'listPrice.amount'],
    ['zero deposit', { deposit: { amount: 0, currency: 'CNY' } }, 'deposit.amount'],
    ['fractional amount', { listPrice: { amount: 1.5, currency: 'CNY' } }, 'listPrice.amount'],
    ['deposit in another currency', { deposit: { amount: 50_000, currency: 'USD' } }, 'deposit.currency'],
    [
      'depositValue in another currency',
      { depositValue: { amount: 100_000, currency: 'USD' } },
      'depositValue.currency',
    ],
    ['unknown currency', { listPrice: { amount: 1, currency: 'XYZ' } }, 'listPrice.currency'],
    [
      'deposit window ending before it starts',
      { depositWindow: { start: '2026-11-01T00:00:00Z', end: '2026-10-20T00:00:00Z' } },
      'depositWindow.end',
    ],
    [
      'empty deposit window',
      { depositWindow: { start: '2026-11-01T00:00:00Z', end: '2026-11-01T00:00:00Z' } },
      'depositWindow.end',
    ],
    [
      'balance window overlapping the deposit window',
      { balanceWindow: { start: '2026-10-31T23:59:59Z', end: '2026-11-04T00:00:00Z' } },
      'balanceWindow.start',
    ],
    [
      'balance window ending before it starts',
      { balanceWindow: { start: '2026-11-04T00:00:00Z', end: '2026-11-01T00:00:00Z' } },
      'balanceWindow.end',
    ],
    [
      'balance window end before the default start',
      { balanceWindow: { end: '2026-10-31T00:00:00Z' } },
      'balanceWindow.end',
    ],
    [
      'not an instant',
      { depositWindow: { start: '2026-10-20', end: '2026-11-01T00:00:00Z' } },
      'depositWindow.start',
    ],
    ['negative quota', { quota: -1 }, 'quota'],
    ['fractional quota', { quota: 2.5 }, 'quota'],
    ['zero ship-within days', { shipWithinDays: 0 }, 'shipWithinDays'],
    ['ship-within days beyond ten years', { shipWithinDays: 3651 }, 'shipWithinDays'],
    ['unknown forfeit policy', { forfeitPolicy: 'burn' }, 'forfeitPolicy'],
    ['empty sku', { sku: '' }, 'sku'],
    ['misspelt field', { depositvalue: { amount: 1, currency: 'CNY' } }, 'depositvalue'],
    ['misspelt window field', { balanceWindow: { begin: '2026-11-01T00:00:00Z' } }, 'balanceWindow.begin'],
    ['a presaleId other than the path', { presaleId: 'OTHER' }, 'presaleId'],
  ])('refuses %s, naming %s', (_name, overrides, field) => {
    expect(fieldsOf({ ...sofaBody, ...overrides })).toContain(field);
  });

  it('refuses a missing field and a body that is not an object', () => {
    const { quota: _q, ...withoutQuota } = sofaBody;
    expect(fieldsOf(withoutQuota)).toEqual(['quota']);
    expect(fieldsOf(null)).toEqual(['(body)']);
    expect(fieldsOf([sofaBody])).toEqual(['(body)']);
  });

  it('refuses an empty presale id from the path', () => {
    expect(fieldsOf(sofaBody, '')).toEqual(['presaleId']);
  });

  it('says why: expected and received values, and when a default was used', () => {
    const [issue] = issuesOf({ ...sofaBody, depositValue: { amount: 40_000, currency: 'CNY' } });
    expect(issue).toEqual({
      field: 'depositValue',
      reason: 'must be at least the deposit (500.00 CNY); got 400.00 CNY',
    });
    const usd = issuesOf({
      sku: 'X',
      listPrice: { amount: 100_000, currency: 'USD' },
      depositWindow: sofaBody.depositWindow,
      quota: 1,
    });
    expect(usd.map((i) => i.field)).toEqual(['deposit.currency', 'depositValue.currency']);
    expect(usd[0]?.reason).toMatch(/must be USD.*got CNY \(the store default\)/);
  });

  it('reports every failing field at once', () => {
    expect(
      fieldsOf({
        ...sofaBody,
        depositValue: { amount: 1, currency: 'CNY' },
        balanceWindow: { start: '2026-10-25T00:00:00Z', end: '2026-10-24T00:00:00Z' },
      }),
    ).toEqual(['depositValue', 'balanceWindow.start', 'balanceWindow.end']);
  });

  it('accepts a balance window opening exactly when the deposit window closes, or later', () => {
    expect(sofa().balanceWindow.start).toBe(sofa().depositWindow.end);
    expect(
      sofa({ balanceWindow: { start: '2026-11-11T00:00:00Z', end: '2026-11-12T00:00:00Z' } }).balanceWindow,
    ).toEqual({ start: '2026-11-11T00:00:00.000Z', end: '2026-11-12T00:00:00.000Z' });
  });

  it('accepts a deposit value above the list price (the balance is then zero) and a quota of zero', () => {
    expect(sofa({ depositValue: { amount: 400_000, currency: 'CNY' }, quota: 0 }).quota).toBe(0);
  });

  it('accepts the body of a GET (with quotaLeft) put back', () => {
    const view = presaleView(sofa(), 3);
    expect(parsePresale('SOFA-2026', view)).toEqual(sofa());
  });

  it('property: every valid body is accepted and round-trips through the stored schema', () => {
    fc.assert(
      fc.property(validBody, (body) => {
        const presale = parsePresale('P-1', body);
        expect(PresaleSchema.parse(JSON.parse(JSON.stringify(presale)))).toEqual(presale);
        expect(presale.depositValue.amount).toBeGreaterThanOrEqual(presale.deposit.amount);
      }),
    );
  });

  it('property: any presale whose deposit value is below its deposit is refused, naming depositValue', () => {
    fc.assert(
      fc.property(validBody, fc.integer({ min: 1, max: 1_000_000 }), (body, shortfall) => {
        const depositValue = { ...body.deposit, amount: body.deposit.amount - shortfall };
        expect(fieldsOf({ ...body, depositValue }, 'P-1')).toContain('depositValue');
      }),
    );
  });

  it('property: any negative quota is refused, naming quota', () => {
    fc.assert(
      fc.property(validBody, fc.integer({ min: -1_000_000, max: -1 }), (body, quota) => {
        expect(fieldsOf({ ...body, quota }, 'P-1')).toEqual(['quota']);
      }),
    );
  });

  it('the stored schema refuses a record that breaks a rule', () => {
    const broken = { ...sofa(), depositValue: { amount: 1, currency: 'CNY' } };
    expect(PresaleSchema.safeParse(broken).success).toBe(false);
  });
});

describe('validatePresaleUpdate', () => {
  it('refuses a quota below the units already taken, naming quota', () => {
    const existing = sofa({ quota: 10 });
    expect(() => validatePresaleUpdate(existing, sofa({ quota: 6 }), 7)).toThrow(
      expect.objectContaining({
        issues: [
          { field: 'quota', reason: 'must not be below the 7 unit(s) already taken by deposits; got 6' },
        ],
      }),
    );
    expect(() => validatePresaleUpdate(existing, sofa({ quota: 7 }), 7)).not.toThrow();
    expect(() => validatePresaleUpdate(undefined, sofa({ quota: 0 }), 0)).not.toThrow();
  });

  it('fixes the SKU once deposits were taken', () => {
    const existing = sofa();
    expect(() => validatePresaleUpdate(existing, sofa({ sku: 'SOFA-RED' }), 1)).toThrow(/sku: cannot change/);
    expect(() => validatePresaleUpdate(existing, sofa({ sku: 'SOFA-RED' }), 0)).not.toThrow();
  });

  it('lets the terms change freely (orders keep their snapshot)', () => {
    const existing = sofa();
    const next = sofa({ listPrice: { amount: 200_000, currency: 'CNY' }, forfeitPolicy: 'refund' });
    expect(() => validatePresaleUpdate(existing, next, 50)).not.toThrow();
  });

  it('property: an update is accepted exactly when the quota covers the units taken', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (quota, taken) => {
          const update = () => validatePresaleUpdate(sofa(), sofa({ quota }), taken);
          if (quota >= taken) expect(update).not.toThrow();
          else expect(update).toThrow(ValidationError);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('quota', () => {
  it.each([
    [10, 0, 10],
    [10, 10, 0],
    [0, 0, 0],
    [5, 7, 0], // lowered under a race: never negative
  ])('quota %i with %i taken leaves %i', (quota, taken, left) => {
    expect(quotaLeft({ quota }, taken)).toBe(left);
  });

  it('takes a unit while one is left, then refuses as sold out', () => {
    const one = takeUnit({ quota: 1, taken: 0 });
    expect(one).toEqual({ ok: true, count: { quota: 1, taken: 1 } });
    expect(one.ok && takeUnit(one.count)).toEqual({ ok: false, reason: 'PresaleSoldOut' });
    expect(takeUnit({ quota: 0, taken: 0 })).toEqual({ ok: false, reason: 'PresaleSoldOut' });
  });

  it('returns a unit, never below zero', () => {
    expect(returnUnit({ quota: 3, taken: 2 })).toEqual({ quota: 3, taken: 1 });
    expect(returnUnit({ quota: 3, taken: 0 })).toEqual({ quota: 3, taken: 0 });
  });

  it('property: across any sequence of takes and returns, units never go below zero nor above the quota', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.constantFrom('take', 'return'), { maxLength: 200 }),
        (quota, ops) => {
          let count = { quota, taken: 0 };
          let held = 0;
          for (const op of ops) {
            if (op === 'take') {
              const result = takeUnit(count);
              expect(result.ok).toBe(held < quota);
              if (result.ok) {
                count = result.count;
                held += 1;
              }
            } else {
              count = returnUnit(count);
              held = Math.max(0, held - 1);
            }
            expect(count.taken).toBe(held);
            expect(count.taken).toBeGreaterThanOrEqual(0);
            expect(count.taken).toBeLessThanOrEqual(quota);
            expect(quotaLeft(count, count.taken)).toBe(quota - held);
          }
        },
      ),
    );
  });
});

describe('quota bound', () => {
  it('refuses a quota above MAX_QUOTA, naming the field', () => {
    const body = {
      sku: 'SKU-1',
      listPrice: { amount: 500_000, currency: 'CNY' },
      depositWindow: { start: '2026-10-20T00:00:00Z', end: '2026-10-21T00:00:00Z' },
      quota: MAX_QUOTA + 1,
    };
    expect(() => parsePresale('ps-1', body)).toThrow(`quota: must be at most ${MAX_QUOTA} units`);
    expect(parsePresale('ps-1', { ...body, quota: MAX_QUOTA }).quota).toBe(MAX_QUOTA);
  });
});
