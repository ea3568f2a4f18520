import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  changeApplies,
  hourlyRunsBetween,
  priceChangeKey,
  repriceRunId,
  scheduledRunAt,
} from '#domain/pricing/schedule';
import { localTime } from '#domain/shared/calendar';
import { cny } from './arbitraries.ts';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('hourlyRunsBetween: the top of every store-clock hour in [from, to)', () => {
  it('Asia/Shanghai: 24 runs a day, on the UTC hour; from included, to excluded', () => {
    const runs = hourlyRunsBetween('2026-12-01T16:00:00Z', '2026-12-02T16:00:00Z', 'Asia/Shanghai');
    expect(runs).toHaveLength(24);
    expect(runs[0]?.toISOString()).toBe('2026-12-01T16:00:00.000Z');
    expect(runs.at(-1)?.toISOString()).toBe('2026-12-02T15:00:00.000Z');
    expect(runs.map((r) => repriceRunId(r, 'Asia/Shanghai')).slice(0, 2)).toEqual([
      'reprice-2026-12-02T00',
      'reprice-2026-12-02T01',
    ]);
  });

  it('starts at the next top of the hour when from is mid-hour', () => {
    expect(iso(hourlyRunsBetween('2026-12-02T02:00:01Z', '2026-12-02T04:00:00Z', 'Asia/Shanghai'))).toEqual([
      '2026-12-02T03:00:00.000Z',
    ]);
    expect(hourlyRunsBetween('2026-12-02T02:00:00Z', '2026-12-02T02:00:00Z', 'Asia/Shanghai')).toEqual([]);
  });

  it('a half-hour zone runs at :30 UTC (Asia/Kolkata, +05:30)', () => {
    expect(iso(hourlyRunsBetween('2026-12-02T00:00:00Z', '2026-12-02T02:00:00Z', 'Asia/Kolkata'))).toEqual([
      '2026-12-02T00:30:00.000Z',
      '2026-12-02T01:30:00.000Z',
    ]);
  });

  it('spring forward (America/New_York, 8 March 2026): 02:00 does not exist, so 23 runs that day', () => {
    const day = hourlyRunsBetween('2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z', 'America/New_York');
    expect(day).toHaveLength(23);
    expect(day.map((r) => localTime(r, 'America/New_York'))).not.toContain('02:00');
    expect(iso(day.slice(1, 3))).toEqual(['2026-03-08T06:00:00.000Z', '2026-03-08T07:00:00.000Z']);
  });

  it('fall back (America/New_York, 1 November 2026): 01:00 occurs twice and runs once, at the first', () => {
    const day = hourlyRunsBetween('2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z', 'America/New_York');
    expect(day).toHaveLength(24);
    expect(iso(day.slice(1, 3))).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T07:00:00.000Z']);
    // Asked from inside the repeated hour: its first occurrence was before, so no second run.
    expect(
      iso(hourlyRunsBetween('2026-11-01T05:30:00Z', '2026-11-01T07:30:00Z', 'America/New_York')),
    ).toEqual(['2026-11-01T07:00:00.000Z']);
  });

  it('property: each run is on the store hour, ascending, with a unique run id, and none is missing', () => {
    const zones = [
      'Asia/Shanghai',
      'America/New_York',
      'Europe/London',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
        fc.integer({ min: 1, max: 24 * 10 }),
        fc.constantFrom(...zones),
        (start, hours, zone) => {
          const from = new Date(start);
          const to = new Date(start + hours * 3_600_000);
          const runs = hourlyRunsBetween(from, to, zone);
          const ids = runs.map((r) => repriceRunId(r, zone));
          expect(new Set(ids).size).toBe(runs.length);
          for (const [i, r] of runs.entries()) {
            expect(r.getTime()).toBeGreaterThanOrEqual(start);
            expect(r.getTime()).toBeLessThan(to.getTime());
            expect(localTime(r, zone)).toMatch(/:00$/);
            if (i > 0) expect(r.getTime()).toBeGreaterThan((runs[i - 1] as Date).getTime());
          }
          // Never more than 2 h between runs (a repeated hour), at least one run every 2 h.
          for (let i = 1; i < runs.length; i++) {
            expect((runs[i] as Date).getTime() - (runs[i - 1] as Date).getTime()).toBeLessThanOrEqual(
              2 * 3_600_000,
            );
          }
          if (hours >= 2) expect(runs.length).toBeGreaterThanOrEqual(Math.floor(hours / 2));
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('run identity', () => {
  it('a late or manual start belongs to the run of its hour', () => {
    expect(scheduledRunAt('2026-12-02T02:00:37Z', 'Asia/Shanghai').toISOString()).toBe(
      '2026-12-02T02:00:00.000Z',
    );
    expect(scheduledRunAt('2026-12-02T02:59:59.999Z', 'Asia/Shanghai').toISOString()).toBe(
      '2026-12-02T02:00:00.000Z',
    );
    expect(scheduledRunAt(new Date('2026-12-02T02:00:00Z'), 'Asia/Shanghai').toISOString()).toBe(
      '2026-12-02T02:00:00.000Z',
    );
    // The second 01:00 of a fall-back night belongs to the first one's run.
    expect(scheduledRunAt('2026-11-01T06:30:00Z', 'America/New_York').toISOString()).toBe(
      '2026-11-01T05:00:00.000Z',
    );
  });

  it('run id and change key', () => {
    expect(repriceRunId('2026-12-02T02:00:00Z', 'Asia/Shanghai')).toBe('reprice-2026-12-02T10');
    expect(priceChangeKey('reprice-2026-12-02T10', 'SKU-1')).toBe('reprice-2026-12-02T10#SKU-1');
  });
});

describe('changeApplies: the optimistic check', () => {
  const decision = { old: cny(10_000), changed: true };
  it('applies only while the stored price is the one the decision saw and the SKU is not locked', () => {
    expect(changeApplies(decision, { price: cny(10_000), campaignLocked: false }).applies).toBe(true);
    expect(changeApplies(decision, { price: cny(10_900), campaignLocked: false })).toEqual({
      applies: false,
      reason: 'the price changed since the decision was made',
    });
    expect(
      changeApplies(decision, { price: { amount: 10_000, currency: 'USD' }, campaignLocked: false }).applies,
    ).toBe(false);
    expect(changeApplies(decision, { price: null, campaignLocked: false }).applies).toBe(false);
    expect(changeApplies(decision, { price: cny(10_000), campaignLocked: true }).reason).toBe(
      'the SKU is campaign-locked now',
    );
    expect(
      changeApplies({ ...decision, changed: false }, { price: cny(10_000), campaignLocked: false }).applies,
    ).toBe(false);
  });
});
