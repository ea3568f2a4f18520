import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  isCalendarDate,
  isTimeZone,
  localDate,
  localMonth,
  localTime,
} from '#domain/shared/calendar';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const utc = (iso: string) => new Date(iso);
const NY = 'America/New_York';
const SH = 'Asia/Shanghai';

/** An instant between 2000 and 2100 (SPEC §0's sane years). */
const instant = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 11, 31, 23, 59, 59) })
  .map((ms) => new Date(ms));

/** A UTC Date's calendar day and wall clock: what a zone at that offset shows. */
const shifted = (at: Date, offsetMs: number) => {
  const iso = new Date(at.getTime() + offsetMs).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 16), month: Number(iso.slice(5, 7)) };
};

/** The n-th Sunday of a month (UTC calendar), as a day of the month. */
const nthSunday = (year: number, month: number, n: number) => {
  const weekday = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - weekday) % 7) + 7 * (n - 1);
};
/** US daylight time (since 2007): from the 2nd Sunday of March 07:00Z to the 1st Sunday of November 06:00Z. */
const newYorkOffset = (at: Date) => {
  const y = at.getUTCFullYear();
  const start = Date.UTC(y, 2, nthSunday(y, 2, 2), 7);
  const end = Date.UTC(y, 10, nthSunday(y, 10, 1), 6);
  return at.getTime() >= start && at.getTime() < end ? -4 * HOUR : -5 * HOUR;
};

describe('localDate / localTime / localMonth (SPEC §0: business calendars in the store time zone)', () => {
  it('Asia/Shanghai is UTC+8: the store day starts at 16:00Z the day before', () => {
    expect(localDate(utc('2026-11-24T15:59:59Z'), SH)).toBe('2026-11-24');
    expect(localTime(utc('2026-11-24T15:59:59Z'), SH)).toBe('23:59');
    expect(localDate(utc('2026-11-24T16:00:00Z'), SH)).toBe('2026-11-25');
    expect(localTime(utc('2026-11-24T16:00:00Z'), SH)).toBe('00:00'); // not 24:00
    expect(localTime(utc('2026-11-24T18:00:00Z'), SH)).toBe('02:00');
    expect(localMonth(utc('2026-11-30T17:00:00Z'), SH)).toBe(12);
    expect(localDate(utc('2026-12-31T16:00:00Z'), SH)).toBe('2027-01-01');
  });

  it('America/New_York springs forward on 2026-03-08: 01:59 EST is followed by 03:00 EDT', () => {
    expect(localTime(utc('2026-03-08T06:59:00Z'), NY)).toBe('01:59');
    expect(localTime(utc('2026-03-08T07:00:00Z'), NY)).toBe('03:00');
    // no instant of that day reads 02:xx
    for (let ms = Date.parse('2026-03-08T05:00:00Z'); ms < Date.parse('2026-03-08T09:00:00Z'); ms += MINUTE) {
      expect(localTime(new Date(ms), NY).startsWith('02:')).toBe(false);
    }
    // midnight is 05:00Z before the change and 04:00Z after it
    expect(localDate(utc('2026-03-08T04:59:59Z'), NY)).toBe('2026-03-07');
    expect(localDate(utc('2026-03-08T05:00:00Z'), NY)).toBe('2026-03-08');
    expect(localDate(utc('2026-03-09T03:59:59Z'), NY)).toBe('2026-03-08');
    expect(localDate(utc('2026-03-09T04:00:00Z'), NY)).toBe('2026-03-09');
  });

  it('America/New_York falls back on 2026-11-01: 01:30 happens twice', () => {
    expect(localTime(utc('2026-11-01T05:30:00Z'), NY)).toBe('01:30'); // EDT
    expect(localTime(utc('2026-11-01T06:30:00Z'), NY)).toBe('01:30'); // EST
    expect(localDate(utc('2026-11-01T06:30:00Z'), NY)).toBe('2026-11-01');
    expect(localDate(utc('2026-11-01T03:59:59Z'), NY)).toBe('2026-10-31');
    expect(localDate(utc('2026-11-02T04:59:59Z'), NY)).toBe('2026-11-01');
    expect(localDate(utc('2026-11-02T05:00:00Z'), NY)).toBe('2026-11-02');
  });

  it('the month changes at the store midnight, in each zone', () => {
    const at = utc('2026-12-01T04:30:00Z');
    expect(localMonth(at, NY)).toBe(11); // 23:30 on 30 November
    expect(localMonth(at, SH)).toBe(12);
    expect(localMonth(at, 'UTC')).toBe(12);
    expect(localMonth(utc('2027-01-01T04:59:59Z'), NY)).toBe(12);
    expect(localMonth(utc('2027-01-01T05:00:00Z'), NY)).toBe(1);
  });

  it('property: Asia/Shanghai and UTC are fixed offsets', () => {
    fc.assert(
      fc.property(instant, (at) => {
        for (const [zone, offset] of [
          [SH, 8 * HOUR],
          ['UTC', 0],
        ] as const) {
          const expected = shifted(at, offset);
          expect(localDate(at, zone)).toBe(expected.date);
          expect(localTime(at, zone)).toBe(expected.time);
          expect(localMonth(at, zone)).toBe(expected.month);
        }
      }),
    );
  });

  it('property: America/New_York is UTC−4 in US daylight time and UTC−5 otherwise', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          instant.filter((at) => at.getUTCFullYear() >= 2007),
          // the hours around the changes
          fc
            .integer({ min: 2007, max: 2100 })
            .chain((y) =>
              fc
                .tuple(fc.constantFrom([2, 2, 7], [10, 1, 6]), fc.integer({ min: -3 * HOUR, max: 3 * HOUR }))
                .map(
                  ([[m = 0, n = 0, h = 0], delta]) => new Date(Date.UTC(y, m, nthSunday(y, m, n), h) + delta),
                ),
            ),
        ),
        (at) => {
          const expected = shifted(at, newYorkOffset(at));
          expect(localDate(at, NY)).toBe(expected.date);
          expect(localTime(at, NY)).toBe(expected.time);
          expect(localMonth(at, NY)).toBe(expected.month);
        },
      ),
    );
  });

  it('property: the date, time and month agree with each other', () => {
    fc.assert(
      fc.property(
        instant,
        fc.constantFrom(SH, NY, 'UTC', 'Europe/London', 'Australia/Sydney'),
        (at, zone) => {
          const date = localDate(at, zone);
          expect(isCalendarDate(date)).toBe(true);
          expect(localTime(at, zone)).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
          expect(localMonth(at, zone)).toBe(Number(date.slice(5, 7)));
        },
      ),
    );
  });
});

describe('addDays (calendar dates, not instants)', () => {
  it.each([
    ['2026-11-30', 2, '2026-12-02'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-11-25', 60, '2027-01-24'],
    ['2026-12-01', 45, '2027-01-15'],
    ['2027-01-01', -1, '2026-12-31'],
    ['2026-11-25', -29, '2026-10-27'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2027-02-28', 1, '2027-03-01'],
    ['2028-02-29', 365, '2029-02-28'],
    ['2026-03-08', 1, '2026-03-09'], // a DST day is still one day
    ['2026-11-01', 0, '2026-11-01'],
  ])('%s %+i → %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  const date = fc
    .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 11, 31) })
    .map((ms) => new Date(ms).toISOString().slice(0, 10));
  const days = fc.integer({ min: -3_650, max: 3_650 });

  it('property: adds up, undoes, keeps order, and gives real dates', () => {
    fc.assert(
      fc.property(date, days, days, (d, a, b) => {
        expect(addDays(d, 0)).toBe(d);
        expect(addDays(addDays(d, a), b)).toBe(addDays(d, a + b));
        expect(addDays(addDays(d, a), -a)).toBe(d);
        expect(isCalendarDate(addDays(d, a))).toBe(true);
        // ISO dates sort as strings
        expect(Math.sign(addDays(d, a).localeCompare(d))).toBe(Math.sign(a));
      }),
    );
  });

  it('property: agrees with the calendar by year, month and day', () => {
    fc.assert(
      fc.property(date, days, (d, n) => {
        const [y = 0, m = 0, day = 0] = d.split('-').map(Number);
        const expected = new Date(Date.UTC(y, m - 1, day + n));
        expect(addDays(d, n)).toBe(expected.toISOString().slice(0, 10));
      }),
    );
  });
});

describe('isCalendarDate / isTimeZone', () => {
  it.each(['2026-11-11', '2026-02-28', '2028-02-29', '2000-02-29', '2026-12-31', '2026-01-01'])(
    '%s is a date',
    (value) => {
      expect(isCalendarDate(value)).toBe(true);
    },
  );

  it.each([
    '2027-02-29',
    '2100-02-29',
    '2026-02-30',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-01-32',
    '2026-1-01',
    '20261101',
    ' 2026-11-01',
    '2026-11-01 ',
    '2026-11-01T00:00:00Z',
    '',
  ])('%j is not a date (and does not throw)', (value) => {
    expect(isCalendarDate(value)).toBe(false);
  });

  const daysIn = (y: number, m: number) =>
    [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
      m - 1
    ] ?? 0;

  it('property: every YYYY-MM-DD shape answers without throwing, true exactly for real days', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 9999 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        (y, m, d) => {
          const valid = m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);
          expect(isCalendarDate(`${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`)).toBe(valid);
        },
      ),
    );
  });

  it('knows IANA time zones', () => {
    for (const zone of [SH, NY, 'UTC', 'Europe/Berlin', 'Asia/Kolkata']) expect(isTimeZone(zone)).toBe(true);
    for (const zone of ['', 'Mars/Olympus', 'Asia/Beijing', 'GMT+25']) expect(isTimeZone(zone)).toBe(false);
  });
});
