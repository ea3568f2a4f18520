/**
 * Schedule expressions: the cron examples of the EventBridge User Guide ("Creating a rule that runs on a schedule"),
 * the special characters it documents (? L W #), rate and at() expressions, and the time-zone and daylight-saving
 * behaviour of the EventBridge Scheduler guide (a skipped wall-clock time does not run; a repeated one runs once).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CronExpression,
  cronMatches,
  firstOccurrence,
  isoSeconds,
  localToUtc,
  nextCronOccurrence,
  occurrenceAfter,
  parseCron,
  parseScheduleExpression,
  possibleInstants,
  ScheduleExpressionError,
  type ScheduleTiming,
  utcToLocal,
  zoneOffsetMs,
} from '../../local/eventbridge/schedule.ts';

const ms = (iso: string) => Date.parse(iso);

/** The next `count` occurrences strictly after `from`, as ISO strings. */
function upcoming(expr: string, from: string, count: number, tz = 'UTC'): string[] {
  const cron = parseCron(expr);
  const out: string[] = [];
  let t = ms(from);
  for (let i = 0; i < count; i++) {
    const next = nextCronOccurrence(cron, t, tz);
    if (next === undefined) break;
    out.push(isoSeconds(next));
    t = next;
  }
  return out;
}

describe('cron: the User Guide examples (UTC)', () => {
  // 2025-01-03 is a Friday, 2025-01-04 a Saturday
  it.each([
    [
      '0 10 * * ? *',
      'run at 10:00 am every day',
      '2025-01-01T00:00:00Z',
      ['2025-01-01T10:00:00Z', '2025-01-02T10:00:00Z'],
    ],
    [
      '15 12 * * ? *',
      'run at 12:15 pm every day',
      '2025-01-01T00:00:00Z',
      ['2025-01-01T12:15:00Z', '2025-01-02T12:15:00Z'],
    ],
    [
      '0 18 ? * MON-FRI *',
      'run at 6:00 pm every Monday through Friday',
      '2025-01-03T00:00:00Z',
      ['2025-01-03T18:00:00Z', '2025-01-06T18:00:00Z'],
    ],
    [
      '0 8 1 * ? *',
      'run at 8:00 am every 1st day of the month',
      '2025-01-01T08:00:00Z',
      ['2025-02-01T08:00:00Z', '2025-03-01T08:00:00Z'],
    ],
    [
      '0/15 * * * ? *',
      'run every 15 minutes',
      '2025-01-01T00:00:00Z',
      ['2025-01-01T00:15:00Z', '2025-01-01T00:30:00Z'],
    ],
    [
      '0/10 * ? * MON-FRI *',
      'run every 10 minutes Monday through Friday',
      '2025-01-04T00:00:00Z',
      ['2025-01-06T00:00:00Z', '2025-01-06T00:10:00Z'],
    ],
    [
      '0/5 8-17 ? * MON-FRI *',
      'run every 5 minutes Monday through Friday between 8:00 am and 5:55 pm',
      '2025-01-03T17:50:00Z',
      ['2025-01-03T17:55:00Z', '2025-01-06T08:00:00Z'],
    ],
    [
      '5,35 14 * * ? *',
      'run every day at 2:05pm and 2:35pm',
      '2025-01-01T00:00:00Z',
      ['2025-01-01T14:05:00Z', '2025-01-01T14:35:00Z'],
    ],
  ])('cron(%s): %s', (expr, _meaning, from, expected) => {
    expect(upcoming(expr, from, 2)).toEqual(expected);
  });

  it('cron(0/30 20-2 ? * MON-FRI *): the hours range wraps past midnight', () => {
    expect(upcoming('0/30 20-2 ? * MON-FRI *', '2025-01-06T23:00:00Z', 8)).toEqual([
      '2025-01-06T23:30:00Z',
      '2025-01-07T00:00:00Z',
      '2025-01-07T00:30:00Z',
      '2025-01-07T01:00:00Z',
      '2025-01-07T01:30:00Z',
      '2025-01-07T02:00:00Z',
      '2025-01-07T02:30:00Z',
      '2025-01-07T20:00:00Z',
    ]);
  });

  it('cron(15 10 ? * 6L 2019-2022): the last Friday of each month, 2019 to 2022, then never', () => {
    expect(upcoming('15 10 ? * 6L 2019-2022', '2019-01-01T00:00:00Z', 3)).toEqual([
      '2019-01-25T10:15:00Z',
      '2019-02-22T10:15:00Z',
      '2019-03-29T10:15:00Z',
    ]);
    expect(upcoming('15 10 ? * 6L 2019-2022', '2022-12-30T10:15:00Z', 1)).toEqual([]);
  });

  it('1/10 in minutes means 1, 11, 21, ...', () => {
    expect(upcoming('1/10 * * * ? *', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-01T00:01:00Z',
      '2025-01-01T00:11:00Z',
      '2025-01-01T00:21:00Z',
    ]);
  });
});

describe('cron: L, W, # and ?', () => {
  it('L in day-of-month: the last day, including leap years', () => {
    expect(upcoming('0 12 L * ? *', '2024-01-01T00:00:00Z', 3)).toEqual([
      '2024-01-31T12:00:00Z',
      '2024-02-29T12:00:00Z',
      '2024-03-31T12:00:00Z',
    ]);
    expect(upcoming('0 12 L 2 ? *', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-02-28T12:00:00Z']);
  });
  it('L-n counts back from the last day', () => {
    expect(upcoming('0 0 L-2 * ? *', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-29T00:00:00Z',
      '2025-02-26T00:00:00Z',
    ]);
  });
  it('nW: the nearest weekday, never leaving the month', () => {
    // 2025-02-01 is a Saturday: 1W is Monday the 3rd (not Friday Jan 31)
    // 2025-03-01 is a Saturday too; 2025-06-01 a Sunday: Monday the 2nd
    expect(upcoming('0 9 1W * ? *', '2025-01-01T00:00:00Z', 6)).toEqual([
      '2025-01-01T09:00:00Z',
      '2025-02-03T09:00:00Z',
      '2025-03-03T09:00:00Z',
      '2025-04-01T09:00:00Z',
      '2025-05-01T09:00:00Z',
      '2025-06-02T09:00:00Z',
    ]);
    // 2025-08-31 is a Sunday: 31W is Friday the 29th; 2025-03-15 a Saturday: 15W is Friday the 14th
    expect(upcoming('0 9 31W 8 ? *', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-08-29T09:00:00Z']);
    expect(upcoming('0 9 15W 3 ? *', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-03-14T09:00:00Z']);
    // 31W does not run in 30-day months
    expect(upcoming('0 9 31W * ? 2025', '2025-04-01T00:00:00Z', 1)).toEqual(['2025-05-30T09:00:00Z']);
  });
  it('LW: the last weekday of the month', () => {
    // 2025-05-31 is a Saturday
    expect(upcoming('0 9 LW * ? *', '2025-05-01T00:00:00Z', 2)).toEqual([
      '2025-05-30T09:00:00Z',
      '2025-06-30T09:00:00Z',
    ]);
  });
  it('n#k: the k-th weekday n of the month (3#2 is the second Tuesday)', () => {
    expect(upcoming('0 9 ? * 3#2 *', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-14T09:00:00Z',
      '2025-02-11T09:00:00Z',
      '2025-03-11T09:00:00Z',
    ]);
    // a fifth Monday only exists in some months
    expect(upcoming('0 9 ? * MON#5 *', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-03-31T09:00:00Z',
      '2025-06-30T09:00:00Z',
    ]);
  });
  it('L alone in day-of-week is Saturday; names and numbers agree (1 = SUN)', () => {
    expect(upcoming('0 0 ? * L *', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-04T00:00:00Z']);
    expect(upcoming('0 0 ? * 1 *', '2025-01-01T00:00:00Z', 1)).toEqual(
      upcoming('0 0 ? * SUN *', '2025-01-01T00:00:00Z', 1),
    );
  });
  it('day names containing W or L are names, not special characters', () => {
    // 2025-01-01 is a Wednesday; occurrences are strictly after `from`
    expect(upcoming('0 0 ? * WED *', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-08T00:00:00Z',
      '2025-01-15T00:00:00Z',
    ]);
    expect(upcoming('0 0 ? * MON-WED/2 *', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-06T00:00:00Z',
      '2025-01-08T00:00:00Z',
    ]);
    expect(upcoming('0 0 1 JUL ? *', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-07-01T00:00:00Z']);
  });
  it('? in day-of-week lets day-of-month decide, and the reverse', () => {
    expect(upcoming('0 0 13 * ? *', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-13T00:00:00Z']);
    expect(upcoming('0 0 ? * FRI *', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-03T00:00:00Z']);
  });
  it('month names, lists and steps', () => {
    expect(upcoming('0 0 1 JAN,JUL ? *', '2025-01-02T00:00:00Z', 2)).toEqual([
      '2025-07-01T00:00:00Z',
      '2026-01-01T00:00:00Z',
    ]);
    expect(upcoming('0 0 1 */4 ? *', '2025-01-02T00:00:00Z', 2)).toEqual([
      '2025-05-01T00:00:00Z',
      '2025-09-01T00:00:00Z',
    ]);
  });
});

describe('cron syntax errors', () => {
  it.each([
    ['five fields', '0 12 * * ?'],
    ['? in neither day field', '0 12 * * * *'],
    ['? in both day fields', '0 12 ? * ? *'],
    ['minute out of range', '60 12 * * ? *'],
    ['hour out of range', '0 24 * * ? *'],
    ['day-of-week out of range', '0 0 ? * 8 *'],
    ['year out of range', '0 0 * * ? 2200'],
    ['backwards year range', '0 0 * * ? 2030-2025'],
    ['unknown name', '0 0 * FOO ? *'],
    ['zero step', '0/0 * * * ? *'],
    ['# with a list', '0 0 ? * 3#1,6#3 *'],
    ['# instance 6', '0 0 ? * 3#6 *'],
    ['W in day-of-week', '0 0 ? * 3W *'],
    ['L in hours', '0 L * * ? *'],
    ['? in minutes', '? 0 * * ? *'],
  ])('%s: %s', (_name, expr) => {
    expect(() => parseCron(expr)).toThrow(ScheduleExpressionError);
  });
});

describe('schedule expressions', () => {
  it('rate: rules want the singular for 1 and the plural above', () => {
    expect(parseScheduleExpression('rate(1 minute)', 'rule')).toMatchObject({
      kind: 'rate',
      everyMs: 60_000,
    });
    expect(parseScheduleExpression('rate(5 minutes)', 'rule')).toMatchObject({
      kind: 'rate',
      everyMs: 300_000,
    });
    expect(parseScheduleExpression('rate(2 days)', 'rule')).toMatchObject({
      kind: 'rate',
      everyMs: 2 * 86_400_000,
    });
    expect(() => parseScheduleExpression('rate(1 hours)', 'rule')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('rate(5 hour)', 'rule')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('rate(0 minutes)', 'rule')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('rate(5 seconds)', 'rule')).toThrow(ScheduleExpressionError);
    expect(parseScheduleExpression('rate(1 hours)', 'scheduler')).toMatchObject({
      kind: 'rate',
      everyMs: 3_600_000,
    });
  });
  it('at() is for Scheduler only and must be a valid yyyy-mm-ddThh:mm:ss', () => {
    expect(parseScheduleExpression('at(2025-06-01T09:30:00)')).toMatchObject({
      kind: 'at',
      local: { year: 2025, month: 6, day: 1, hour: 9, minute: 30, second: 0 },
    });
    expect(() => parseScheduleExpression('at(2025-06-01T09:30:00)', 'rule')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('at(2025-02-30T09:30:00)')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('at(2025-06-01 09:30)')).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression('every day')).toThrow(ScheduleExpressionError);
  });
});

// What PutRule accepts as a ScheduleExpression: AWS's answers to these expressions on the default bus (a recording
// of PutRule against us-east-1 published as testdata/aws/eventbridge/scheduled_rules.json of
// github.com/radkawar/stackd, 2026-09-15). The User Guide ("Schedule expressions for rules") documents the forms;
// the recording settles spacing, case, bounds and what the parser lets through.
describe('rule schedule expressions as AWS reads them', () => {
  const accepted: string[] = [
    'cron(0 12 * * ? *)',
    'cron(5,35 14 * * ? *)',
    'cron(0-30/10 8-17 ? * MON-FRI *)',
    'cron(1/10 * * * ? *)',
    'cron(*/15 * * * ? *)',
    'cron(0/30 20-2 ? * MON-FRI *)',
    'cron(50-10/5 * * * ? *)',
    'cron(0 0 1 NOV-FEB ? *)',
    'cron(0 0 ? * FRI-MON *)',
    'cron(0 0 28-3 * ? *)',
    'cron(0 0 ? JAN,FEB,MAR MON,WED,FRI *)',
    'cron(0 0 ? * 1,7 *)',
    'cron(0 0 1 1,12 ? *)',
    'cron(0 0 ? * * *)',
    'cron(0 0 L * ? *)',
    'cron(0 0 ? * L *)',
    'cron(0 0 ? * 6L *)',
    'cron(0 0 ? * FRIL *)',
    'cron(0 0 L-3 * ? *)',
    'cron(0 0 3W * ? *)',
    'cron(0 0 LW * ? *)',
    'cron(0 0 1-5W * ? *)',
    'cron(0 0 ? * 3#2 *)',
    'cron(0 0 ? * MON#5 *)',
    'cron(0 0 1 1 ? 1970)',
    'cron(0 0 1 1 ? 2199)',
    'cron(0 0 1 1 ? 1969)',
    'cron(0 0 1 1 ? 2200)',
    'cron(0 0 1 1 ? 2027,2028-2032/2)',
    'cron(0 0 31 FEB ? *)',
    'cron(0 0 29 FEB ? 2027)',
    'cron(0 0 29 FEB ? 2028)',
    'cron(0/0 * * * ? *)',
    'cron(0/60 * * * ? *)',
    'cron(0 0 ? jan mon *)',
    'rate(1 minute)',
    'rate(2 minutes)',
    'rate(1 hour)',
    'rate(2 hours)',
    'rate(1 day)',
    'rate(2 days)',
    'rate(01 minute)',
    'cron(0 0 1 1 ? 0)',
    'cron(0 0 1 1 ? 9999)',
    'cron(0 0 1 1 ? 10000)',
    'cron(0/61 * * * ? *)',
    'cron(0 0 1/0 * ? *)',
    'cron(0 0 ? * 1/2 *)',
    'cron(0x 0 * * ? *)',
    'cron(0 0 ? * MONDAY *)',
    'rate(02 minutes)',
    'rate(2147483647 minutes)',
    'rate(2147483647 days)',
    'cron(0 0 1 1 ? 2147483647)',
  ];
  const refused: string[] = [
    'cron(0 0 ? * ? *)',
    'cron(0 0 * * * *)',
    'cron(0 0 1 * MON *)',
    'cron(0 0 ? * MON#6 *)',
    'cron(0 0 ? * MON#0 *)',
    'cron(0 0 ? * 3#1,6#3 *)',
    'cron(0 0 1 1 ? 2030-2027)',
    'cron(0 12 * * ?)',
    'cron(0 0 12 * * ? *)',
    'cron(60 0 * * ? *)',
    'cron(0 24 * * ? *)',
    'cron(0 0 0 * ? *)',
    'cron(0 0 32 * ? *)',
    'cron(0 0 1 0 ? *)',
    'cron(0 0 1 13 ? *)',
    'cron(0 0 ? * 0 *)',
    'cron(0 0 ? * 8 *)',
    'cron(? 0 * * ? *)',
    'CRON(0 0 * * ? *)',
    'cron(0  0 * * ? *)',
    'cron(0\t0 * * ? *)',
    'cron( 0 0 * * ? * )',
    ' cron(0 0 * * ? *) ',
    'cron (0 0 * * ? *)',
    'rate(0 minutes)',
    'rate(-1 minute)',
    'rate(1.5 minutes)',
    'rate(1 minutes)',
    'rate(2 minute)',
    'rate(60 seconds)',
    'rate(1 week)',
    'rate(+1 minute)',
    'rate(1 MINUTE)',
    'RATE(1 minute)',
    'rate(1  minute)',
    'rate(1\tminute)',
    'rate( 1 minute )',
    ' rate(1 minute) ',
    'rate (1 minute)',
    '',
    'at(2028-01-01T00:00:00)',
    'cron(0 0 1 1 ? -1)',
    'cron(0/-1 * * * ? *)',
    'cron(0 0 0W * ? *)',
    'cron(0 0 32W * ? *)',
    'rate(01 minutes)',
    'rate(2147483648 minutes)',
    'cron(0\n0 * * ? *)',
    'cron(0\u00a00 * * ? *)',
    'rate(2147483648 days)',
    'cron(0 0 1 1 ? 2147483648)',
  ];
  it.each(accepted)('accepts %j', (e) => {
    expect(() => parseScheduleExpression(e, 'rule')).not.toThrow();
  });
  it.each(refused)('refuses %j', (e) => {
    expect(() => parseScheduleExpression(e, 'rule')).toThrow(ScheduleExpressionError);
  });
  it('reads what follows a number or a name the way Quartz does, and keeps only years that can fire', () => {
    const cron = (e: string) => {
      const x = parseScheduleExpression(e, 'rule');
      if (x.kind !== 'cron') throw new Error('not cron');
      const { daysCache: _c, text: _t, ...rest } = x.cron;
      return rest;
    };
    expect(cron('cron(0x 0 * * ? *)')).toEqual(cron('cron(0 0 * * ? *)'));
    expect(cron('cron(0 0 ? * MONDAY *)')).toEqual(cron('cron(0 0 ? * MON *)'));
    expect(cron('cron(0/0 * * * ? *)')).toEqual(cron('cron(0 * * * ? *)'));
    expect(cron('cron(0 0 1 1 ? 10000)').years).toEqual([]);
    expect(cron('cron(0 0 1 1 ? 0-1975/2)').years).toEqual([1970, 1972, 1974]);
  });
});

describe('time zones and daylight saving time', () => {
  it('America/New_York spring forward: 02:30 does not exist on 2025-03-09 and is skipped', () => {
    expect(upcoming('30 2 * * ? *', '2025-03-08T00:00:00Z', 3, 'America/New_York')).toEqual([
      '2025-03-08T07:30:00Z', // 02:30 EST
      '2025-03-10T06:30:00Z', // 02:30 EDT
      '2025-03-11T06:30:00Z',
    ]);
  });
  it('America/New_York fall back: 01:30 happens twice on 2025-11-02 and runs once, at the first', () => {
    expect(upcoming('30 1 * * ? *', '2025-11-01T00:00:00Z', 3, 'America/New_York')).toEqual([
      '2025-11-01T05:30:00Z', // 01:30 EDT
      '2025-11-02T05:30:00Z', // first 01:30 (EDT); not again at 06:30Z (01:30 EST)
      '2025-11-03T06:30:00Z', // 01:30 EST
    ]);
    // starting between the two 01:30s does not pick up the second one
    expect(upcoming('30 1 * * ? *', '2025-11-02T05:45:00Z', 1, 'America/New_York')).toEqual([
      '2025-11-03T06:30:00Z',
    ]);
  });
  it('an hourly cron across both transitions runs once per wall-clock hour that exists', () => {
    expect(upcoming('0 * * * ? *', '2025-03-09T05:30:00Z', 3, 'America/New_York')).toEqual([
      '2025-03-09T06:00:00Z', // 01:00 EST
      '2025-03-09T07:00:00Z', // 03:00 EDT (02:00 does not exist)
      '2025-03-09T08:00:00Z',
    ]);
    expect(upcoming('0 * * * ? *', '2025-11-02T04:30:00Z', 3, 'America/New_York')).toEqual([
      '2025-11-02T05:00:00Z', // 01:00 EDT
      '2025-11-02T07:00:00Z', // 02:00 EST (the repeated 01:00 EST at 06:00Z does not run)
      '2025-11-02T08:00:00Z',
    ]);
  });
  it('Asia/Shanghai has no daylight saving: 09:00 is 01:00Z all year', () => {
    expect(upcoming('0 9 * * ? *', '2025-03-08T00:00:00Z', 2, 'Asia/Shanghai')).toEqual([
      '2025-03-08T01:00:00Z',
      '2025-03-09T01:00:00Z',
    ]);
    expect(upcoming('0 9 * * ? *', '2025-11-01T02:00:00Z', 2, 'Asia/Shanghai')).toEqual([
      '2025-11-02T01:00:00Z',
      '2025-11-03T01:00:00Z',
    ]);
    expect(zoneOffsetMs('Asia/Shanghai', ms('2025-07-01T00:00:00Z'))).toBe(8 * 3_600_000);
  });
  it('Europe/Berlin: the day of the week is the local one', () => {
    // 23:30 UTC on Sunday 2025-01-05 is 00:30 Monday in Berlin
    expect(upcoming('30 0 ? * MON *', '2025-01-05T00:00:00Z', 1, 'Europe/Berlin')).toEqual([
      '2025-01-05T23:30:00Z',
    ]);
  });
  it('possible instants of a wall-clock time: none in a gap, two in an overlap', () => {
    const at = (h: number, m: number, d: number, mo: number) => ({
      year: 2025,
      month: mo,
      day: d,
      hour: h,
      minute: m,
      second: 0,
    });
    expect(possibleInstants(at(2, 30, 9, 3), 'America/New_York')).toEqual([]);
    expect(possibleInstants(at(1, 30, 2, 11), 'America/New_York').map(isoSeconds)).toEqual([
      '2025-11-02T05:30:00Z',
      '2025-11-02T06:30:00Z',
    ]);
    expect(isoSeconds(localToUtc(at(2, 30, 9, 3), 'America/New_York', 'compatible')!)).toBe(
      '2025-03-09T07:30:00Z',
    );
    expect(localToUtc(at(2, 30, 9, 3), 'America/New_York', 'skip')).toBeUndefined();
    expect(utcToLocal(ms('2025-11-02T06:30:00Z'), 'America/New_York')).toMatchObject({ hour: 1, minute: 30 });
  });
});

describe('occurrences of whole schedules', () => {
  const T0 = ms('2025-01-01T00:00:00Z');
  const timing = (
    expression: string,
    flavor: 'rule' | 'scheduler',
    extra: Partial<ScheduleTiming> = {},
  ): ScheduleTiming => ({
    expression: parseScheduleExpression(expression, flavor),
    flavor,
    ...extra,
  });
  it("a rule's rate runs one period after the rule was created", () => {
    const t = timing('rate(5 minutes)', 'rule');
    expect(firstOccurrence(t, T0)).toBe(T0 + 300_000);
    expect(occurrenceAfter(t, T0, T0 + 300_000)).toBe(T0 + 600_000);
    expect(occurrenceAfter(t, T0, T0 + 301_000)).toBe(T0 + 600_000);
  });
  it('a Scheduler rate without StartDate runs at once; with one, from StartDate', () => {
    expect(firstOccurrence(timing('rate(1 hour)', 'scheduler'), T0)).toBe(T0);
    const start = T0 + 90 * 60_000;
    const t = timing('rate(1 hour)', 'scheduler', { startMs: start });
    expect(firstOccurrence(t, T0)).toBe(start);
    expect(occurrenceAfter(t, T0, start)).toBe(start + 3_600_000);
    // created after its StartDate: continues on the StartDate's grid, not in the past
    expect(firstOccurrence(t, start + 10 * 60_000)).toBe(start + 3_600_000);
  });
  it('rate(1 day) is 24 hours whatever the clocks do', () => {
    const t = timing('rate(1 day)', 'scheduler', {
      timeZone: 'America/New_York',
      startMs: ms('2025-03-08T12:00:00Z'),
    });
    expect(isoSeconds(occurrenceAfter(t, T0, ms('2025-03-08T12:00:00Z'))!)).toBe('2025-03-09T12:00:00Z');
  });
  it('cron bounded by StartDate and EndDate', () => {
    const t = timing('cron(0 12 * * ? *)', 'scheduler', {
      startMs: ms('2025-01-10T00:00:00Z'),
      endMs: ms('2025-01-11T12:00:00Z'),
    });
    expect(isoSeconds(firstOccurrence(t, T0)!)).toBe('2025-01-10T12:00:00Z');
    expect(isoSeconds(occurrenceAfter(t, T0, ms('2025-01-10T12:00:00Z'))!)).toBe('2025-01-11T12:00:00Z');
    expect(occurrenceAfter(t, T0, ms('2025-01-11T12:00:00Z'))).toBeUndefined();
  });
  it('a rule cron is always UTC', () => {
    const t = timing('cron(0 12 * * ? *)', 'rule', { timeZone: 'Asia/Shanghai' });
    expect(isoSeconds(firstOccurrence(t, T0)!)).toBe('2025-01-01T12:00:00Z');
  });
  it('at() runs once, in its time zone, and ignores StartDate and EndDate', () => {
    const t = timing('at(2025-01-02T09:00:00)', 'scheduler', { timeZone: 'Asia/Shanghai', endMs: T0 });
    expect(isoSeconds(firstOccurrence(t, T0)!)).toBe('2025-01-02T01:00:00Z');
    expect(occurrenceAfter(t, T0, ms('2025-01-02T01:00:00Z'))).toBeUndefined();
    expect(firstOccurrence(t, ms('2025-01-03T00:00:00Z'))).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);

const minutesArb = fc.oneof(
  pick('*', '0/15', '*/5', '1/10'),
  fc.integer({ min: 0, max: 59 }).map(String),
  fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })).map(([a, b]) => `${a}-${b}`),
  fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })).map(([a, b]) => `${a},${b}`),
);
const hoursArb = fc.oneof(
  pick('*', '*/3', '8-17', '20-2'),
  fc.integer({ min: 0, max: 23 }).map(String),
  fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 23 })).map(([a, b]) => `${a},${b}`),
);
const daysArb = fc.oneof(
  fc.tuple(pick('*', 'L', 'LW', 'L-2', '1W', '15W', '31W', '1-10', '*/5', '29', '31'), fc.constant('?')),
  fc.tuple(fc.constant('?'), pick('*', 'MON-FRI', 'SAT,SUN', '2#1', '6#3', '6L', 'L', '1', 'FRI-MON')),
);
const monthsArb = pick('*', 'JAN-MAR', '2,11', '*/2', '3', 'NOV-FEB');
const yearsArb = pick('*', '2024-2031');
const cronArb = fc
  .tuple(minutesArb, hoursArb, daysArb, monthsArb, yearsArb)
  .map(([mi, h, [dom, dow], mo, y]) => `${mi} ${h} ${dom} ${mo} ${dow} ${y}`);
const zoneArb = pick(
  'UTC',
  'America/New_York',
  'Asia/Shanghai',
  'Europe/London',
  'Australia/Sydney',
  'Asia/Kolkata',
);
const fromArb = fc.integer({ min: ms('2024-01-01T00:00:00Z'), max: ms('2030-06-01T00:00:00Z') });

describe('properties', () => {
  it('the next occurrence is strictly after `from` and matches every cron field', () => {
    fc.assert(
      fc.property(cronArb, zoneArb, fromArb, (expr, tz, from) => {
        const cron: CronExpression = parseCron(expr);
        const next = nextCronOccurrence(cron, from, tz);
        if (next === undefined) return; // e.g. 29 FEB-less months in a bounded year range
        expect(next).toBeGreaterThan(from);
        expect(cronMatches(cron, next, tz)).toBe(true);
        const local = utcToLocal(next, tz);
        expect(local.second).toBe(0);
        expect(cron.minutes).toContain(local.minute);
        expect(cron.hours).toContain(local.hour);
        expect(cron.months).toContain(local.month);
      }),
      { numRuns: 400 },
    );
  });

  it('no occurrence is skipped: nothing matches between `from` and the next occurrence', () => {
    const frequent = fc
      .tuple(
        pick('*', '0/15', '*/5', '7', '0,30'),
        pick('*', '*/3', '20-2', '1,2,3'),
        pick('? * MON-FRI', '* * ?', 'L * ?', '? * 1#1'),
      )
      .map(([mi, h, days]) => {
        const [a, b, c] = days.split(' ');
        return `${mi} ${h} ${a} ${b} ${c} *`;
      });
    fc.assert(
      fc.property(frequent, zoneArb, fromArb, (expr, tz, from) => {
        const cron = parseCron(expr);
        const next = nextCronOccurrence(cron, from, tz)!;
        const span = next - from;
        if (span > 2 * 86_400_000) return;
        for (let t = Math.floor(from / 60_000) * 60_000 + 60_000; t < next; t += 60_000) {
          // zones here have whole-minute offsets, so every wall-clock minute starts on a UTC minute
          if (cronMatches(cron, t, tz))
            throw new Error(`${expr} ${tz}: ${isoSeconds(t)} matches before ${isoSeconds(next)}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});
