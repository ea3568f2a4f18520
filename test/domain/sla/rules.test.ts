import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Compensation, Deadline } from '#domain/sla/policy';
import {
  capped,
  compensationFor,
  dueDate,
  eligibility,
  lastTierSeconds,
  SLA_RULES_VERSION,
  settlesAtBreach,
  tierFor,
} from '#domain/sla/rules';
import {
  amountFen,
  BERLIN,
  basisPoints,
  cny,
  compensation,
  DAY,
  HOUR,
  halfUpBps,
  instantMs,
  multiplier,
  NY,
  positiveFen,
  SH,
  secondsOf,
  storeTime,
  tierSteps,
  yuan,
} from './arbitraries.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const mod = (a: number, b: number) => ((a % b) + b) % b;
const SAME_DAY: Deadline = { cutoff: '12:00', dueAt: '18:00' };

function due(deadline: Deadline, startedAt: string, data: Record<string, unknown> = {}, tz = SH) {
  return dueDate(deadline, startedAt, data, tz);
}
function deadlineOf(result: ReturnType<typeof dueDate>): string {
  if (!result.eligible) throw new Error(`not eligible: ${result.reason}`);
  return result.deadline;
}
function reasonOf(result: { eligible: boolean; reason?: string }): string {
  if (result.eligible) throw new Error('eligible');
  return result.reason!;
}

/** Asia/Shanghai is UTC+8 all year (no DST since 1991): the oracle is plain arithmetic. */
function shanghaiDue(ms: number, cutoff: string, dueAt: string, days: number): number | null {
  const local = ms + 8 * HOUR;
  if (Math.floor(mod(local, DAY) / 1000) >= secondsOf(cutoff)) return null;
  const midnight = local - mod(local, DAY);
  return midnight + days * DAY + secondsOf(dueAt) * 1000 - 8 * HOUR;
}

/** The n-th Sunday of a month (UTC calendar), as a day of the month. */
const nthSunday = (year: number, month: number, n: number) =>
  1 + ((7 - new Date(Date.UTC(year, month, 1)).getUTCDay()) % 7) + 7 * (n - 1);
/** US daylight time (since 2007): 2nd Sunday of March 07:00Z to 1st Sunday of November 06:00Z. */
function newYorkOffset(ms: number): number {
  const y = new Date(ms).getUTCFullYear();
  const start = Date.UTC(y, 2, nthSunday(y, 2, 2), 7);
  const end = Date.UTC(y, 10, nthSunday(y, 10, 1), 6);
  return ms >= start && ms < end ? -4 * HOUR : -5 * HOUR;
}
/** The same rule as {@link shanghaiDue} on New York's clock: a wall time in a gap takes the pre-gap offset. */
function newYorkDue(ms: number, cutoff: string, dueAt: string, days: number): number | null {
  const local = ms + newYorkOffset(ms);
  if (Math.floor(mod(local, DAY) / 1000) >= secondsOf(cutoff)) return null;
  const wall = local - mod(local, DAY) + days * DAY + secondsOf(dueAt) * 1000;
  const valid = [wall + 5 * HOUR, wall + 4 * HOUR].filter((t) => t + newYorkOffset(t) === wall);
  return valid.length ? Math.min(...valid) : wall - newYorkOffset(wall - 12 * HOUR);
}

describe('dueDate: the same-day cutoff on the store clock (Asia/Shanghai, UTC+8, no DST)', () => {
  it('paid at 11:59:59 store time → eligible, due 18:00 the same store day', () => {
    expect(due(SAME_DAY, '2026-11-24T03:59:59Z')).toEqual({
      eligible: true,
      deadline: '2026-11-24T10:00:00.000Z',
    });
    // the last millisecond before noon still counts as before the cutoff
    expect(deadlineOf(due(SAME_DAY, '2026-11-24T03:59:59.999Z'))).toBe('2026-11-24T10:00:00.000Z');
  });

  it('paid at 12:00:00 store time → not eligible, and the reason says why', () => {
    const result = due(SAME_DAY, '2026-11-24T04:00:00Z');
    expect(result.eligible).toBe(false);
    expect(reasonOf(result)).toContain('12:00 cutoff');
    expect(reasonOf(result)).toContain('Asia/Shanghai');
    expect(reasonOf(result)).toContain('2026-11-24T04:00:00.000Z');
    expect(due(SAME_DAY, '2026-11-24T04:01:00Z').eligible).toBe(false); // 12:01
    expect(due(SAME_DAY, '2026-11-24T15:59:59Z').eligible).toBe(false); // 23:59:59
  });

  it('across midnight: 23:30 UTC is 07:30 the next store day → due 18:00 that day (10:00 UTC)', () => {
    expect(deadlineOf(due(SAME_DAY, '2026-11-24T23:30:00Z'))).toBe('2026-11-25T10:00:00.000Z');
    // store midnight itself (16:00Z) opens the next store day
    expect(deadlineOf(due(SAME_DAY, '2026-11-24T16:00:00Z'))).toBe('2026-11-25T10:00:00.000Z');
    expect(due(SAME_DAY, '2026-11-24T15:59:59Z').eligible).toBe(false);
    // year end: 08:00 on 1 January store time is still 31 December in UTC
    expect(deadlineOf(due(SAME_DAY, '2026-12-31T23:59:00Z'))).toBe('2027-01-01T10:00:00.000Z');
    // no DST: the same wall-clock deadline in January and July
    expect(deadlineOf(due(SAME_DAY, '2026-01-15T01:00:00Z'))).toBe('2026-01-15T10:00:00.000Z');
    expect(deadlineOf(due(SAME_DAY, '2026-07-15T01:00:00Z'))).toBe('2026-07-15T10:00:00.000Z');
  });

  it('an instant written with an offset is the same instant', () => {
    expect(deadlineOf(due(SAME_DAY, '2026-11-24T11:59:59+08:00'))).toBe('2026-11-24T10:00:00.000Z');
    expect(due(SAME_DAY, '2026-11-24T12:00:00+08:00').eligible).toBe(false);
  });

  it('`days`: next-day delivery, paid before the cutoff → due at dueAt the next store day', () => {
    const nextDay: Deadline = { cutoff: '23:59', dueAt: '23:59', days: 1 };
    // 23:58:59 store time on the 24th → 23:59 on the 25th (15:59Z)
    expect(deadlineOf(due(nextDay, '2026-11-24T15:58:59Z'))).toBe('2026-11-25T15:59:00.000Z');
    // 23:59:00 is at the cutoff: not eligible (the shipped default's last minute is not covered)
    expect(due(nextDay, '2026-11-24T15:59:00Z').eligible).toBe(false);
    // month and year ends roll over on the store calendar
    expect(deadlineOf(due(nextDay, '2026-02-28T03:00:00Z'))).toBe('2026-03-01T15:59:00.000Z');
    expect(deadlineOf(due(nextDay, '2028-02-28T03:00:00Z'))).toBe('2028-02-29T15:59:00.000Z');
    expect(deadlineOf(due({ ...SAME_DAY, days: 3 }, '2026-12-30T01:00:00Z'))).toBe(
      '2027-01-02T10:00:00.000Z',
    );
  });

  it('property: any instant, cutoff, dueAt and days agree with UTC+8 arithmetic', () => {
    fc.assert(
      fc.property(
        instantMs,
        storeTime,
        storeTime,
        fc.integer({ min: 0, max: 30 }),
        (ms, cutoff, dueAt, days) => {
          const expected = shanghaiDue(ms, cutoff, dueAt, days);
          const result = due({ cutoff, dueAt, days }, iso(ms));
          if (expected === null) {
            expect(result.eligible).toBe(false);
            expect(reasonOf(result)).toContain(`${cutoff} cutoff`);
          } else expect(result).toEqual({ eligible: true, deadline: iso(expected) });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: the second before the cutoff is eligible and the cutoff itself is not, every day', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 2), max: Date.UTC(2100, 0, 1) }),
        storeTime.filter((t) => t !== '00:00'),
        (dayMs, cutoff) => {
          const storeMidnight = dayMs - mod(dayMs, DAY) - 8 * HOUR;
          const atCutoff = storeMidnight + secondsOf(cutoff) * 1000;
          const before = due({ cutoff, dueAt: '18:00' }, iso(atCutoff - 1000));
          expect(deadlineOf(before)).toBe(iso(storeMidnight + 18 * HOUR));
          expect(due({ cutoff, dueAt: '18:00' }, iso(atCutoff)).eligible).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('dueDate in a zone with DST (calendar.ts reads wall clocks through Intl)', () => {
  it('America/New_York, spring forward 2026-03-08: 18:00 is EDT (22:00Z), the day before EST', () => {
    expect(deadlineOf(due(SAME_DAY, '2026-03-08T14:00:00Z', {}, NY))).toBe('2026-03-08T22:00:00.000Z');
    expect(deadlineOf(due(SAME_DAY, '2026-03-07T14:00:00Z', {}, NY))).toBe('2026-03-07T23:00:00.000Z');
    // paid the day before, next day: 18:00 EDT, 23 hours later — not 24
    expect(deadlineOf(due({ ...SAME_DAY, days: 1 }, '2026-03-07T15:00:00Z', {}, NY))).toBe(
      '2026-03-08T22:00:00.000Z',
    );
    // the cutoff on the short day is read on the new clock: 11:59:59 EDT is 15:59:59Z
    expect(due(SAME_DAY, '2026-03-08T15:59:59Z', {}, NY).eligible).toBe(true);
    expect(due(SAME_DAY, '2026-03-08T16:00:00Z', {}, NY).eligible).toBe(false);
  });

  it('America/New_York, fall back 2026-11-01: 18:00 EST is 23:00Z; a repeated wall time is its first occurrence', () => {
    expect(deadlineOf(due(SAME_DAY, '2026-11-01T14:00:00Z', {}, NY))).toBe('2026-11-01T23:00:00.000Z');
    // 01:30 happens twice that night (05:30Z EDT, then 06:30Z EST): the first
    expect(deadlineOf(due({ cutoff: '01:00', dueAt: '01:30' }, '2026-11-01T04:30:00Z', {}, NY))).toBe(
      '2026-11-01T05:30:00.000Z',
    );
  });

  it('a dueAt in the spring-forward gap resolves with the pre-gap offset (02:30 → 03:30 EDT)', () => {
    // 02:30 does not exist on 2026-03-08 in New York: 02:30 EST = 07:30Z, which the clock reads 03:30 EDT
    expect(deadlineOf(due({ cutoff: '01:00', dueAt: '02:30' }, '2026-03-08T05:30:00Z', {}, NY))).toBe(
      '2026-03-08T07:30:00.000Z',
    );
  });

  it('Europe/Berlin, 2026-03-29 and 2026-10-25: 18:00 is 16:00Z after spring forward, 17:00Z after fall back', () => {
    expect(deadlineOf(due(SAME_DAY, '2026-03-29T08:00:00Z', {}, BERLIN))).toBe('2026-03-29T16:00:00.000Z');
    expect(deadlineOf(due(SAME_DAY, '2026-03-28T08:00:00Z', {}, BERLIN))).toBe('2026-03-28T17:00:00.000Z');
    expect(deadlineOf(due(SAME_DAY, '2026-10-25T08:00:00Z', {}, BERLIN))).toBe('2026-10-25T17:00:00.000Z');
  });

  it('property: New York (2008–2099) agrees with the US rule computed independently', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2008, 0, 2), max: Date.UTC(2099, 11, 1) }),
        storeTime,
        storeTime,
        fc.integer({ min: 0, max: 30 }),
        (ms, cutoff, dueAt, days) => {
          const expected = newYorkDue(ms, cutoff, dueAt, days);
          const result = due({ cutoff, dueAt, days }, iso(ms), {}, NY);
          if (expected === null) expect(result.eligible).toBe(false);
          else expect(result).toEqual({ eligible: true, deadline: iso(expected) });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: New York instants near the DST changes agree with the oracle too', () => {
    const changes = fc
      .integer({ min: 2008, max: 2099 })
      .chain((y) =>
        fc.oneof(
          fc.constant(Date.UTC(y, 2, nthSunday(y, 2, 2), 7)),
          fc.constant(Date.UTC(y, 10, nthSunday(y, 10, 1), 6)),
        ),
      );
    fc.assert(
      fc.property(
        changes,
        fc.integer({ min: -2 * DAY, max: 2 * DAY }),
        storeTime,
        storeTime,
        fc.integer({ min: 0, max: 2 }),
        (change, delta, cutoff, dueAt, days) => {
          const ms = change + delta;
          const expected = newYorkDue(ms, cutoff, dueAt, days);
          const result = due({ cutoff, dueAt, days }, iso(ms), {}, NY);
          if (expected === null) expect(result.eligible).toBe(false);
          else expect(result).toEqual({ eligible: true, deadline: iso(expected) });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('dueDate: afterSeconds and field deadlines', () => {
  it('property: afterSeconds is exactly that long after the start, to the millisecond', () => {
    fc.assert(
      fc.property(instantMs, fc.integer({ min: 1, max: 366 * 86_400 }), (ms, seconds) => {
        expect(due({ afterSeconds: seconds }, iso(ms))).toEqual({
          eligible: true,
          deadline: iso(ms + seconds * 1000),
        });
      }),
    );
    // no store calendar: 24 h across New York's spring forward is 24 h, not "the same time tomorrow"
    expect(deadlineOf(due({ afterSeconds: 86_400 }, '2026-03-07T15:00:00Z', {}, NY))).toBe(
      '2026-03-08T15:00:00.000Z',
    );
  });

  it('field: the instant the start event carries, normalized to UTC', () => {
    const shipBy = { field: 'shipBy' } as const;
    expect(due(shipBy, '2026-11-01T00:00:00Z', { shipBy: '2026-12-01T00:00:00Z' })).toEqual({
      eligible: true,
      deadline: '2026-12-01T00:00:00.000Z',
    });
    expect(deadlineOf(due(shipBy, '2026-11-01T00:00:00Z', { shipBy: '2026-12-01T08:00:00+08:00' }))).toBe(
      '2026-12-01T00:00:00.000Z',
    );
  });

  it('field missing, not a string, or not a date → not eligible, naming the field', () => {
    const shipBy = { field: 'shipBy' } as const;
    for (const data of [
      {},
      { shipBy: null },
      { shipBy: 1_764_547_200_000 },
      { shipBy: 'soon' },
      { shipBy: '' },
    ]) {
      const result = due(shipBy, '2026-11-01T00:00:00Z', data);
      expect(result.eligible).toBe(false);
      expect(reasonOf(result)).toBe('the start event has no date in shipBy');
    }
  });
});

describe('eligibility: categories and regions', () => {
  const facts = (categories: string[], region: string | null) => ({ categories, region });

  it('no rules → eligible, even when nothing is known of the order', () => {
    expect(eligibility({}, null)).toEqual({ eligible: true });
    expect(eligibility({}, facts([], null))).toEqual({ eligible: true });
  });

  it('categories: one line in a listed category suffices; otherwise the reason lists both sides', () => {
    const rule = { categories: ['fresh-food', 'medicine'] };
    expect(eligibility(rule, facts(['toys', 'medicine'], null))).toEqual({ eligible: true });
    expect(eligibility(rule, facts(['toys'], null))).toEqual({
      eligible: false,
      reason: 'no line of the order is in fresh-food, medicine (its categories: toys)',
    });
    expect(reasonOf(eligibility(rule, facts([], null)))).toContain('(its categories: none known)');
    expect(reasonOf(eligibility(rule, null))).toBe(
      "the order's lines are unknown; the promise needs one in fresh-food, medicine",
    );
    // categories are ids: compared exactly
    expect(eligibility(rule, facts(['Fresh-Food'], null)).eligible).toBe(false);
  });

  it('regions: compared case-insensitively; unknown or other regions are refused with the reason', () => {
    const rule = { regions: ['Shanghai', 'Jiangsu'] };
    expect(eligibility(rule, facts([], 'shanghai'))).toEqual({ eligible: true });
    expect(eligibility(rule, facts([], 'JIANGSU'))).toEqual({ eligible: true });
    expect(eligibility(rule, facts([], 'Xinjiang'))).toEqual({
      eligible: false,
      reason: 'ships to Xinjiang, outside Shanghai, Jiangsu',
    });
    expect(reasonOf(eligibility(rule, facts([], null)))).toBe(
      'ships to an unknown region, outside Shanghai, Jiangsu',
    );
    expect(reasonOf(eligibility(rule, null))).toContain('an unknown region');
  });

  it('property: eligible exactly when the category rule and the region rule both hold', () => {
    const word = fc.constantFrom('a', 'b', 'c', 'd', 'A', 'B');
    fc.assert(
      fc.property(
        fc.option(fc.uniqueArray(word, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        fc.option(fc.uniqueArray(word, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        fc.array(word, { maxLength: 4 }),
        fc.option(word, { nil: null }),
        (categories, regions, lines, region) => {
          const rule = { ...(categories ? { categories } : {}), ...(regions ? { regions } : {}) };
          const inCategory = !categories || lines.some((c) => categories.includes(c));
          const inRegion =
            !regions || (region !== null && regions.some((r) => r.toLowerCase() === region.toLowerCase()));
          const result = eligibility(rule, facts(lines, region));
          expect(result.eligible).toBe(inCategory && inRegion);
          if (!result.eligible) expect(reasonOf(result).length).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe('tierFor: the last step whose lateness has been reached', () => {
  const oracle = <T extends { lateSeconds: number }>(tiers: readonly T[], late: number) =>
    tiers.filter((t) => t.lateSeconds <= late).at(-1) ?? tiers[0]!;

  it('the shipped presale tiers: 50 CNY up to 7 days late, 100 CNY from 7 days', () => {
    const tiers = [
      { lateSeconds: 0, coupon: yuan(50) },
      { lateSeconds: 7 * 86_400, coupon: yuan(100) },
    ];
    expect(tierFor(tiers, 0)).toBe(tiers[0]);
    expect(tierFor(tiers, 7 * 86_400 - 1)).toBe(tiers[0]);
    expect(tierFor(tiers, 7 * 86_400)).toBe(tiers[1]);
    expect(tierFor(tiers, 8 * 86_400)).toBe(tiers[1]);
  });

  it('below the first step (a first step above 0): the first step', () => {
    const tiers = [{ lateSeconds: 3_600 }, { lateSeconds: 7_200 }];
    expect(tierFor(tiers, 0)).toBe(tiers[0]);
  });

  it('property: agrees with "the last tier with lateSeconds ≤ lateness" on ascending tiers', () => {
    fc.assert(
      fc.property(tierSteps, fc.integer({ min: 0, max: 40 * 86_400 }), (tiers, late) => {
        expect(tierFor(tiers, late)).toBe(oracle(tiers, late));
      }),
    );
  });

  it('property: at a step boundary the step applies; a second before, the one below', () => {
    fc.assert(
      fc.property(
        tierSteps.filter((t) => t.length > 1),
        fc.nat(),
        (tiers, pick) => {
          const i = 1 + (pick % (tiers.length - 1));
          expect(tierFor(tiers, tiers[i]!.lateSeconds)).toBe(tiers[i]);
          expect(tierFor(tiers, tiers[i]!.lateSeconds - 1)).toBe(tiers[i - 1]);
        },
      ),
    );
  });

  it('settlesAtBreach and lastTierSeconds', () => {
    const two: Compensation = {
      tiers: [
        { lateSeconds: 0, coupon: yuan(50) },
        { lateSeconds: 604_800, coupon: yuan(100) },
      ],
    };
    expect(settlesAtBreach({ coupon: yuan(5) })).toBe(true);
    expect(settlesAtBreach({ refundBps: 500 })).toBe(true);
    expect(settlesAtBreach({ tiers: [{ lateSeconds: 0, coupon: yuan(5) }] })).toBe(true);
    expect(settlesAtBreach(two)).toBe(false);
    expect(lastTierSeconds(two)).toBe(604_800);
    expect(lastTierSeconds({ coupon: yuan(5) })).toBe(0);
  });
});

describe('compensationFor: integer fen, half-up, the member multiplier', () => {
  const inputs = (
    c: Compensation,
    overrides: Partial<Parameters<typeof compensationFor>[0]> = {},
  ): Parameters<typeof compensationFor>[0] => ({
    compensation: c,
    orderTotal: cny(10_000),
    lateSeconds: 0,
    multiplierBps: 10_000,
    currency: 'CNY',
    ...overrides,
  });

  it('a fixed coupon pays its amount, in its currency', () => {
    expect(compensationFor(inputs({ coupon: yuan(20) }))).toEqual({
      amount: yuan(20),
      basis: 'coupon 20.00 CNY',
    });
  });

  it('a refund share rounds half-up to the fen', () => {
    const refund = (total: number, refundBps: number) =>
      compensationFor(inputs({ refundBps }, { orderTotal: cny(total) })).amount.amount;
    expect(refund(12_345, 1_000)).toBe(1_235); // 1234.5 → 1235
    expect(refund(12_344, 1_000)).toBe(1_234); // 1234.4 → 1234
    expect(refund(1, 5_000)).toBe(1); // 0.5 → 1
    expect(refund(1, 4_999)).toBe(0); // 0.4999 → 0
    expect(refund(3, 5_000)).toBe(2); // 1.5 → 2
    expect(refund(19_999, 1_500)).toBe(3_000); // 2999.85 → 3000
    expect(refund(0, 10_000)).toBe(0);
    expect(compensationFor(inputs({ refundBps: 1_000 }, { orderTotal: cny(12_345) })).basis).toBe(
      '10% of 123.45 CNY',
    );
  });

  it('a refund share with no order total known pays 0 and says so', () => {
    expect(compensationFor(inputs({ refundBps: 1_000 }, { orderTotal: null }))).toEqual({
      amount: cny(0),
      basis: 'refund share of an unknown order total',
    });
  });

  it('the member multiplier scales the amount, half-up, after the refund share is rounded', () => {
    expect(compensationFor(inputs({ coupon: yuan(20) }, { multiplierBps: 15_000 })).amount).toEqual(yuan(30));
    expect(compensationFor(inputs({ coupon: cny(1) }, { multiplierBps: 15_000 })).amount).toEqual(cny(2));
    expect(compensationFor(inputs({ coupon: yuan(20) }, { multiplierBps: 15_000 })).basis).toBe(
      'coupon 20.00 CNY × 1.5',
    );
    // 10% of 0.05 = 0.005 → 0.01, then × 1.5 = 0.015 → 0.02: two roundings, each half-up
    expect(
      compensationFor(inputs({ refundBps: 1_000 }, { orderTotal: cny(5), multiplierBps: 15_000 })).amount,
    ).toEqual(cny(2));
  });

  it('property: never negative, always a safe integer of fen, equal to the exact BigInt oracle', () => {
    fc.assert(
      fc.property(
        compensation,
        fc.option(amountFen, { nil: null }),
        fc.integer({ min: 0, max: 40 * 86_400 }),
        multiplier,
        (c, total, lateSeconds, multiplierBps) => {
          const { amount } = compensationFor({
            compensation: c,
            orderTotal: total === null ? null : cny(total),
            lateSeconds,
            multiplierBps,
            currency: 'CNY',
          });
          expect(Number.isSafeInteger(amount.amount)).toBe(true);
          expect(amount.amount).toBeGreaterThanOrEqual(0);
          const step =
            'tiers' in c ? (c.tiers.filter((t) => t.lateSeconds <= lateSeconds).at(-1) ?? c.tiers[0]!) : c;
          const m = BigInt(multiplierBps);
          const expected =
            'coupon' in step
              ? halfUpBps(BigInt(step.coupon.amount), m)
              : total === null
                ? 0n
                : halfUpBps(halfUpBps(BigInt(total), BigInt(step.refundBps)), m);
          expect(BigInt(amount.amount)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: a refund share is within half a fen of the exact share', () => {
    fc.assert(
      fc.property(amountFen, basisPoints, (total, refundBps) => {
        const paid = compensationFor(inputs({ refundBps }, { orderTotal: cny(total) })).amount.amount;
        // |paid − total × bps / 10000| ≤ 1/2, and exactly 1/2 only rounding up (half-up: a share of
        // x.5 fen pays x + 1, so paid is then half a fen above): in units of 1/10000 fen
        const diff = BigInt(paid) * 10_000n - BigInt(total) * BigInt(refundBps);
        expect(diff > -5_000n && diff <= 5_000n, `paid ${paid}, diff ${diff}/10000 fen`).toBe(true);
      }),
    );
    // The half-fen case itself, found by a random run (CI, seed 1041810848): 34 448 248 732.5 fen pays 34 448 248 733.
    expect(
      compensationFor(inputs({ refundBps: 4_250 }, { orderTotal: cny(81_054_702_900) })).amount.amount,
    ).toBe(34_448_248_733);
  });

  it('the rules version is recorded', () => {
    expect(SLA_RULES_VERSION).toBe('sla/1');
  });
});

describe('capped: the order cap across all its promises', () => {
  it('what is left of the cap, never more than asked, never negative', () => {
    expect(capped(2_000, 0, 10_000)).toBe(2_000);
    expect(capped(2_000, 9_000, 10_000)).toBe(1_000);
    expect(capped(2_000, 10_000, 10_000)).toBe(0);
    expect(capped(2_000, 12_000, 10_000)).toBe(0); // a cap lowered below what was paid
    expect(capped(0, 0, 0)).toBe(0);
  });

  it('property: grants in any order sum to min(cap, Σ asked); once one is cut, the rest are 0', () => {
    const asked = fc.array(
      fc.record({ c: compensation, late: fc.integer({ min: 0, max: 40 * 86_400 }), m: multiplier }),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(
        asked.chain((list) =>
          fc.tuple(
            fc.constant(list),
            fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
          ),
        ),
        amountFen,
        fc.integer({ min: 0, max: 1_000_000 }),
        ([list, order], total, cap) => {
          const amounts = (xs: typeof list) =>
            xs.map(
              (x) =>
                compensationFor({
                  compensation: x.c,
                  orderTotal: cny(total),
                  lateSeconds: x.late,
                  multiplierBps: x.m,
                  currency: 'CNY',
                }).amount.amount,
            );
          const grant = (requests: number[]) => {
            let paid = 0;
            return requests.map((r) => {
              const g = capped(r, paid, cap);
              paid += g;
              return g;
            });
          };
          const requests = amounts(order);
          const grants = grant(requests);
          const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
          grants.forEach((g, i) => {
            expect(Number.isSafeInteger(g)).toBe(true);
            expect(g).toBeGreaterThanOrEqual(0);
            expect(g).toBeLessThanOrEqual(requests[i]!);
          });
          expect(sum(grants)).toBeLessThanOrEqual(cap);
          expect(sum(grants)).toBe(Math.min(cap, sum(requests)));
          // the same total whatever the order the breaches came in
          expect(sum(grant(amounts(list)))).toBe(sum(grants));
          const firstCut = grants.findIndex((g, i) => g < requests[i]!);
          if (firstCut >= 0) expect(grants.slice(firstCut + 1).every((g) => g === 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: never negative whatever was paid before', () => {
    fc.assert(
      fc.property(positiveFen, amountFen, amountFen, (amount, paid, cap) => {
        const g = capped(amount, paid, cap);
        expect(g).toBeGreaterThanOrEqual(0);
        expect(g).toBeLessThanOrEqual(amount);
        expect(paid + g).toBeLessThanOrEqual(Math.max(cap, paid));
        if (paid + amount <= cap) expect(g).toBe(amount);
      }),
    );
  });
});
