/**
 * Schedule expressions for the local EventBridge: rule `ScheduleExpression`s and EventBridge Scheduler
 * `ScheduleExpression`s, parsed and evaluated without dependencies.
 *
 * Follows the EventBridge User Guide ("Creating a rule that runs on a schedule": cron and rate expressions) and
 * the EventBridge Scheduler User Guide ("Schedule types": rate, cron, one-time `at()`, time zones, daylight saving
 * time):
 *  - `cron(min hour day-of-month month day-of-week year)`: six fields; wildcards `, - * /` everywhere, `?` and `L`
 *    in day-of-month and day-of-week, `W` in day-of-month, `#` in day-of-week. Day-of-week 1-7 is SUN-SAT. One of
 *    day-of-month / day-of-week must be `?`. Ranges may wrap (`20-2` in hours is 20..23,0..2). Years 1970-2199.
 *  - `rate(value unit)`: rules require `minute|hour|day` for 1 and the plural for more; Scheduler accepts both.
 *  - `at(yyyy-mm-ddThh:mm:ss)`: Scheduler only, a wall-clock time in the schedule's time zone.
 *
 * A rule's expression is read as EventBridge reads it (its recorded PutRule answers): `rate(` / `cron(` in lower
 * case with nothing around them, one space between the value and its lower-case unit and between cron fields
 * (no tabs, no padding), a rate value up to 2147483647 (`01 minute` is 1). Inside a cron field EventBridge is
 * lenient the way Quartz is: what follows a number or a three-letter name, other than `-` `/` `L` `W` `#`, is
 * ignored (`0x` is 0, `MONDAY` is MON), an increment of 0 or beyond the field is accepted (`0/0` is 0), and any
 * year 0-2147483647 is accepted (only 1970-2199 can ever fire).
 *
 * Time zones go through `Intl.DateTimeFormat` (IANA names). Daylight saving time follows the Scheduler guide: a cron
 * time that does not exist (spring forward) is skipped; a wall-clock time that occurs twice (fall back) fires once,
 * at its first occurrence. A rate is a fixed duration (`rate(1 day)` is 24 hours whatever the clocks do). An `at()`
 * time inside a spring-forward gap is moved forward by the gap (as a clock would read it), one inside a repeated
 * hour resolves to its first occurrence.
 */

export class ScheduleExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleExpressionError';
  }
}

/** A wall-clock date and time (month 1-12). */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

const isUtc = (tz: string): boolean => tz === 'UTC' || tz === 'Etc/UTC' || tz === 'GMT' || tz === 'Etc/GMT';

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Is `tz` an IANA time zone this Node.js knows? */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The zone's UTC offset (local minus UTC, in ms) at the instant `utcMs`. */
export function zoneOffsetMs(tz: string, utcMs: number): number {
  if (isUtc(tz)) return 0;
  const seconds = Math.floor(utcMs / 1000) * 1000;
  const fields: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(seconds))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const local = Date.UTC(
    fields.year!,
    fields.month! - 1,
    fields.day!,
    fields.hour!,
    fields.minute!,
    fields.second!,
  );
  return local - seconds;
}

/** The wall-clock date and time at `utcMs` in `tz` (seconds truncated, milliseconds dropped). */
export function utcToLocal(utcMs: number, tz = 'UTC'): LocalDateTime {
  const d = new Date(utcMs + zoneOffsetMs(tz, utcMs));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

const localAsUtc = (t: LocalDateTime): number =>
  Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);

/**
 * The instants at which the wall clock in `tz` reads `local`, ascending: none in a spring-forward gap, two in a
 * fall-back overlap, otherwise one. (Looks at the offsets a day either side, as the Temporal polyfill does.)
 */
export function possibleInstants(local: LocalDateTime, tz = 'UTC'): number[] {
  const wall = localAsUtc(local);
  if (isUtc(tz)) return [wall];
  const offsets = new Set([zoneOffsetMs(tz, wall - DAY), zoneOffsetMs(tz, wall + DAY)]);
  const out: number[] = [];
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (zoneOffsetMs(tz, candidate) === offset) out.push(candidate);
  }
  return out.sort((a, b) => a - b);
}

/**
 * `local` in `tz` as epoch ms. In an overlap the first instant wins. In a gap: `skip` gives undefined, `compatible`
 * reads the time with the offset before the gap (so 02:30 in a 02:00→03:00 jump becomes 03:30).
 */
export function localToUtc(
  local: LocalDateTime,
  tz = 'UTC',
  gap: 'skip' | 'compatible' = 'skip',
): number | undefined {
  const instants = possibleInstants(local, tz);
  if (instants.length > 0) return instants[0];
  if (gap === 'skip') return undefined;
  const wall = localAsUtc(local);
  return wall - zoneOffsetMs(tz, wall - DAY);
}

/** `2025-01-01T00:00:00Z`: ISO 8601 without milliseconds, as EventBridge writes times. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------------------------------------------------------
// Cron

interface DayOfMonthSpec {
  /** Explicit days 1-31 (from numbers, ranges, steps, `*`). */
  readonly days: ReadonlySet<number>;
  /** `L` (0) and `L-n` (n): days counted back from the last day of the month. */
  readonly fromLast: readonly number[];
  /** `LW`: the last weekday (Mon-Fri) of the month. */
  readonly lastWeekday: boolean;
  /** `nW`: the weekday nearest day n, within the month. */
  readonly nearestWeekday: readonly number[];
}

interface DayOfWeekSpec {
  /** Days of the week 1-7 (1 = Sunday). */
  readonly days: ReadonlySet<number>;
  /** `nL`: the last day-of-week n of the month. */
  readonly last: readonly number[];
  /** `n#k`: the k-th day-of-week n of the month. */
  readonly nth: readonly { readonly dow: number; readonly k: number }[];
}

/** A parsed EventBridge cron expression (the six fields, without `cron(` `)`). */
export interface CronExpression {
  readonly text: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly months: readonly number[];
  readonly years: readonly number[];
  /** undefined when the field is `?` */
  readonly dayOfMonth: DayOfMonthSpec | undefined;
  readonly dayOfWeek: DayOfWeekSpec | undefined;
  /** cache: `year*16+month` -> matching days, ascending */
  readonly daysCache: Map<number, readonly number[]>;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** ranges like `20-2` wrap around (not for years) */
  readonly wraps: boolean;
  /** only values inside this window are kept (rule years: any is valid, 1970-2199 can fire) */
  readonly window?: readonly [number, number];
}

const FIELDS = {
  minutes: { name: 'Minutes', min: 0, max: 59, wraps: true },
  hours: { name: 'Hours', min: 0, max: 23, wraps: true },
  dayOfMonth: { name: 'Day-of-month', min: 1, max: 31, wraps: true },
  month: { name: 'Month', min: 1, max: 12, names: MONTH_NAMES, wraps: true },
  dayOfWeek: { name: 'Day-of-week', min: 1, max: 7, names: DAY_NAMES, wraps: true },
  year: { name: 'Year', min: MIN_YEAR, max: MAX_YEAR, wraps: false },
  ruleYear: { name: 'Year', min: 0, max: 2_147_483_647, wraps: false, window: [MIN_YEAR, MAX_YEAR] },
} satisfies Record<string, FieldDef>;

function fieldError(def: FieldDef, text: string, why: string): ScheduleExpressionError {
  return new ScheduleExpressionError(`${def.name} field "${text}": ${why}`);
}

function parseValue(def: FieldDef, text: string, whole: string): number {
  let n: number;
  if (/^\d+$/.test(text)) n = Number(text);
  else {
    const i = def.names?.indexOf(text.toUpperCase()) ?? -1;
    if (i < 0) throw fieldError(def, whole, `"${text}" is not a number${def.names ? ' or a name' : ''}`);
    n = i + def.min;
  }
  if (n < def.min || n > def.max) throw fieldError(def, whole, `${n} is outside ${def.min}-${def.max}`);
  return n;
}

/** `*`, `*\/s`, `a`, `a-b`, `a/s`, `a-b/s` into `out`. */
function parseRangeItem(def: FieldDef, item: string, whole: string, out: Set<number>): void {
  const [range, stepText, extra] = item.split('/');
  if (extra !== undefined || range === undefined || range === '')
    throw fieldError(def, whole, `"${item}" is malformed`);
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
      throw fieldError(def, whole, `the increment in "${item}" must be a positive integer`);
    step = Number(stepText);
  }
  let from: number;
  let to: number;
  if (range === '*') {
    from = def.min;
    to = def.max;
  } else if (range.includes('-')) {
    const [a, b, more] = range.split('-');
    if (more !== undefined || !a || !b) throw fieldError(def, whole, `"${item}" is malformed`);
    from = parseValue(def, a, whole);
    to = parseValue(def, b, whole);
    if (from > to && !def.wraps) throw fieldError(def, whole, `the range "${range}" runs backwards`);
  } else {
    from = parseValue(def, range, whole);
    to = stepText === undefined ? from : def.max;
  }
  if (def.window) {
    // not wrapping: the values from..to by step that fall inside the window
    const [lo, hi] = def.window;
    const first = from >= lo ? from : from + Math.ceil((lo - from) / step) * step;
    for (let v = first; v <= Math.min(to, hi); v += step) out.add(v);
    return;
  }
  const sequence: number[] = [];
  if (from <= to) for (let v = from; v <= to; v++) sequence.push(v);
  else {
    for (let v = from; v <= def.max; v++) sequence.push(v);
    for (let v = def.min; v <= to; v++) sequence.push(v);
  }
  for (let i = 0; i < sequence.length; i += step) out.add(sequence[i]!);
}

/**
 * One comma-separated item of a rule's cron field, read as EventBridge reads it and rewritten in the form the
 * parsers below take: after a number or a three-letter name only `-`, `/`, `L`, `W` and `#` mean something, what
 * else follows is ignored; an increment of 0 is no increment.
 */
function ruleCronItem(def: FieldDef, raw: string, field: 'simple' | 'dom' | 'dow'): string {
  const s = raw.toUpperCase();
  const bad = () => fieldError(def, raw, `"${raw}" is malformed`);
  let i = 0;
  const digits = (): string | undefined => {
    const m = /^\d+/.exec(s.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const value = (): string | undefined => {
    const d = digits();
    if (d !== undefined) return d;
    const name = s.slice(i, i + 3);
    if (def.names?.includes(name)) {
      i += 3;
      return name;
    }
    return undefined;
  };
  const step = (): string => {
    i++;
    const n = digits();
    if (n === undefined) throw bad();
    return Number(n) === 0 ? '' : `/${n}`;
  };
  if (s.startsWith('*')) {
    i = 1;
    return s[1] === '/' ? `*${step()}` : '*';
  }
  if (s.startsWith('?')) return '?';
  if (s.startsWith('L') && field !== 'simple') {
    if (field === 'dow' || s === 'L') return 'L';
    if (s.startsWith('LW')) return 'LW';
    const back = /^L-(\d+)/.exec(s);
    if (back) return `L-${back[1]}`;
    throw bad();
  }
  const a = value();
  if (a === undefined) throw bad();
  switch (s[i]) {
    case '-': {
      i++;
      const b = value();
      if (b === undefined) throw bad();
      return `${a}-${b}${s[i] === '/' ? step() : ''}`;
    }
    case '/':
      return `${a}${step()}`;
    case 'L':
      if (field !== 'dow') throw bad();
      return `${a}L`;
    case 'W':
      if (field !== 'dom') throw bad();
      return `${a}W`;
    case '#': {
      if (field !== 'dow') throw bad();
      i++;
      const k = digits();
      if (k === undefined) throw bad();
      return `${a}#${k}`;
    }
    default:
      return a;
  }
}

function parseSimpleField(def: FieldDef, text: string): number[] {
  const out = new Set<number>();
  for (const item of text.split(',')) parseRangeItem(def, item, text, out);
  return [...out].sort((a, b) => a - b);
}

function parseDayOfMonth(text: string): DayOfMonthSpec {
  const def = FIELDS.dayOfMonth;
  const days = new Set<number>();
  const fromLast: number[] = [];
  const nearestWeekday: number[] = [];
  let lastWeekday = false;
  for (const raw of text.split(',')) {
    const item = raw.toUpperCase();
    const lastMinus = /^L-(\d+)$/.exec(item);
    const nearest = /^(\d+)W$/.exec(item);
    if (item === 'L') fromLast.push(0);
    else if (item === 'LW') lastWeekday = true;
    else if (lastMinus) {
      const n = Number(lastMinus[1]);
      if (n > 30) throw fieldError(def, text, `"${raw}" counts back more than 30 days`);
      fromLast.push(n);
    } else if (nearest) nearestWeekday.push(parseValue(def, nearest[1]!, text));
    else if (/[LW#]/.test(item)) throw fieldError(def, text, `"${raw}" is malformed`);
    else parseRangeItem(def, raw, text, days);
  }
  return { days, fromLast, lastWeekday, nearestWeekday };
}

function parseDayOfWeek(text: string): DayOfWeekSpec {
  const def = FIELDS.dayOfWeek;
  const items = text.split(',');
  if (items.length > 1 && text.includes('#')) {
    throw fieldError(def, text, 'with "#" the field can hold only one expression');
  }
  const days = new Set<number>();
  const last: number[] = [];
  const nth: { dow: number; k: number }[] = [];
  for (const raw of items) {
    const item = raw.toUpperCase();
    const lastOf = /^([A-Z]{3}|\d+)L$/.exec(item);
    const nthOf = /^([A-Z]{3}|\d+)#(\d+)$/.exec(item);
    if (item === 'L')
      days.add(7); // "last day of the week": Saturday
    else if (lastOf) last.push(parseValue(def, lastOf[1]!, text));
    else if (nthOf) {
      const k = Number(nthOf[2]);
      if (k < 1 || k > 5) throw fieldError(def, text, `the instance in "${raw}" must be 1-5`);
      nth.push({ dow: parseValue(def, nthOf[1]!, text), k });
    } else if (/[LW#]/.test(item.replace(/[A-Z]{3}/g, ''))) {
      throw fieldError(def, text, `"${raw}" is malformed`);
    } else parseRangeItem(def, raw, text, days);
  }
  return { days, last, nth };
}

/**
 * Parses the six space-separated fields of an EventBridge cron expression (`rule`: as EventBridge reads a rule's,
 * see the module header; `scheduler`: any blanks between fields, each item exactly one of the documented forms).
 */
export function parseCron(fields: string, flavor: ScheduleFlavor = 'scheduler'): CronExpression {
  const text = flavor === 'rule' ? fields : fields.trim();
  let parts = text.split(flavor === 'rule' ? ' ' : /\s+/);
  if (parts.length !== 6 || parts.includes('')) {
    throw new ScheduleExpressionError(
      `a cron expression has six fields (minutes hours day-of-month month day-of-week year) separated by ${flavor === 'rule' ? 'one space' : 'blanks'}, got "${text}"`,
    );
  }
  if (flavor === 'rule') {
    const kinds = ['simple', 'simple', 'dom', 'simple', 'dow', 'simple'] as const;
    const defs = [
      FIELDS.minutes,
      FIELDS.hours,
      FIELDS.dayOfMonth,
      FIELDS.month,
      FIELDS.dayOfWeek,
      FIELDS.ruleYear,
    ];
    parts = parts.map((field, n) =>
      field === '?'
        ? field
        : field
            .split(',')
            .map((item) => ruleCronItem(defs[n]!, item, kinds[n]!))
            .join(','),
    );
  }
  const [min, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(
      `cron "${text}": use "?" in exactly one of day-of-month and day-of-week (the other selects the days)`,
    );
  }
  for (const [value, def] of [
    [min, FIELDS.minutes],
    [hour, FIELDS.hours],
    [month, FIELDS.month],
    [year, FIELDS.year],
  ] as const) {
    if (value.includes('?'))
      throw fieldError(def, value, '"?" is allowed in day-of-month and day-of-week only');
  }
  return {
    text,
    minutes: parseSimpleField(FIELDS.minutes, min),
    hours: parseSimpleField(FIELDS.hours, hour),
    months: parseSimpleField(FIELDS.month, month),
    years: parseSimpleField(flavor === 'rule' ? FIELDS.ruleYear : FIELDS.year, year),
    dayOfMonth: dom === '?' ? undefined : parseDayOfMonth(dom),
    dayOfWeek: dow === '?' ? undefined : parseDayOfWeek(dow),
    daysCache: new Map(),
  };
}

export const daysInMonth = (year: number, month: number): number =>
  new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Day of week 1-7 (1 = Sunday) of a calendar date. */
const dayOfWeek = (year: number, month: number, day: number): number =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

const isWeekday = (dow: number): boolean => dow >= 2 && dow <= 6;

/** The days of `month` of `year` the cron's day fields select, ascending. */
export function cronDays(cron: CronExpression, year: number, month: number): readonly number[] {
  const key = year * 16 + month;
  const cached = cron.daysCache.get(key);
  if (cached) return cached;
  const dim = daysInMonth(year, month);
  const out = new Set<number>();
  const dom = cron.dayOfMonth;
  const dow = cron.dayOfWeek;
  if (dom) {
    for (const d of dom.days) if (d <= dim) out.add(d);
    for (const n of dom.fromLast) if (dim - n >= 1) out.add(dim - n);
    if (dom.lastWeekday) {
      let d = dim;
      while (!isWeekday(dayOfWeek(year, month, d))) d--;
      out.add(d);
    }
    for (const n of dom.nearestWeekday) {
      if (n > dim) continue;
      const w = dayOfWeek(year, month, n);
      if (isWeekday(w)) out.add(n);
      else if (w === 7)
        out.add(n === 1 ? 3 : n - 1); // Saturday: the Friday before, or Monday the 3rd
      else out.add(n === dim ? n - 2 : n + 1); // Sunday: the Monday after, or the Friday before at month end
    }
  } else if (dow) {
    const first = dayOfWeek(year, month, 1);
    for (let d = 1; d <= dim; d++) if (dow.days.has(((first - 1 + d - 1) % 7) + 1)) out.add(d);
    for (const w of dow.last) {
      let d = dim;
      while (dayOfWeek(year, month, d) !== w) d--;
      out.add(d);
    }
    for (const { dow: w, k } of dow.nth) {
      const d = 1 + ((w - first + 7) % 7) + 7 * (k - 1);
      if (d <= dim) out.add(d);
    }
  }
  const days = [...out].sort((a, b) => a - b);
  if (cron.daysCache.size > 512) cron.daysCache.clear();
  cron.daysCache.set(key, days);
  return days;
}

/** The smallest member of ascending `values` that is >= x. */
function ceil(values: readonly number[], x: number): number | undefined {
  for (const v of values) if (v >= x) return v;
  return undefined;
}

/** The first wall-clock minute >= `start` (seconds ignored) that the cron selects. */
export function nextCronLocal(cron: CronExpression, start: LocalDateTime): LocalDateTime | undefined {
  let { year: y, month: mo, day: d, hour: h, minute: mi } = start;
  for (let guard = 0; guard < 100_000; guard++) {
    const yy = ceil(cron.years, y);
    if (yy === undefined) return undefined;
    if (yy !== y) {
      y = yy;
      mo = 1;
      d = 1;
      h = 0;
      mi = 0;
    }
    const mm = ceil(cron.months, mo);
    if (mm === undefined) {
      y++;
      mo = 1;
      d = 1;
      h = 0;
      mi = 0;
      continue;
    }
    if (mm !== mo) {
      mo = mm;
      d = 1;
      h = 0;
      mi = 0;
    }
    const dd = ceil(cronDays(cron, y, mo), d);
    if (dd === undefined) {
      mo++;
      d = 1;
      h = 0;
      mi = 0;
      continue;
    }
    if (dd !== d) {
      d = dd;
      h = 0;
      mi = 0;
    }
    const hh = ceil(cron.hours, h);
    if (hh === undefined) {
      d++;
      h = 0;
      mi = 0;
      continue;
    }
    if (hh !== h) {
      h = hh;
      mi = 0;
    }
    const m2 = ceil(cron.minutes, mi);
    if (m2 === undefined) {
      h++;
      mi = 0;
      continue;
    }
    return { year: y, month: mo, day: d, hour: h, minute: m2, second: 0 };
  }
  return undefined;
}

const plusMinute = (t: LocalDateTime): LocalDateTime => {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute + 1));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: 0,
  };
};

/**
 * The first instant strictly after `afterMs` at which the cron fires, evaluated in `timeZone`; undefined when
 * there is none (past 2199). Wall-clock times inside a spring-forward gap are skipped; a repeated wall-clock time
 * fires at its first occurrence only.
 */
export function nextCronOccurrence(
  cron: CronExpression,
  afterMs: number,
  timeZone = 'UTC',
): number | undefined {
  // Wall-clock minutes are tried in order; mapping each to its first instant is monotonic, so the first minute
  // after afterMs's own wall-clock minute whose instant is past afterMs is the answer.
  let cursor = plusMinute(utcToLocal(afterMs, timeZone));
  for (let guard = 0; guard < 10_000; guard++) {
    const local = nextCronLocal(cron, cursor);
    if (!local) return undefined;
    const instant = localToUtc(local, timeZone, 'skip');
    if (instant !== undefined && instant > afterMs) return instant;
    cursor = plusMinute(local);
  }
  return undefined;
}

/** Does the cron fire exactly at `ms` (in `timeZone`)? */
export function cronMatches(cron: CronExpression, ms: number, timeZone = 'UTC'): boolean {
  if (ms % 1000 !== 0) return false;
  const t = utcToLocal(ms, timeZone);
  if (t.second !== 0) return false;
  if (!cron.minutes.includes(t.minute) || !cron.hours.includes(t.hour)) return false;
  if (!cron.months.includes(t.month) || !cron.years.includes(t.year)) return false;
  if (!cronDays(cron, t.year, t.month).includes(t.day)) return false;
  return localToUtc(t, timeZone, 'skip') === ms;
}

// ---------------------------------------------------------------------------------------------------------------
// Schedule expressions

export type RateUnit = 'minute' | 'hour' | 'day';

export type ScheduleExpression =
  | {
      readonly kind: 'rate';
      readonly text: string;
      readonly value: number;
      readonly unit: RateUnit;
      readonly everyMs: number;
    }
  | { readonly kind: 'cron'; readonly text: string; readonly cron: CronExpression }
  | { readonly kind: 'at'; readonly text: string; readonly local: LocalDateTime };

/** `rule`: an EventBridge rule's ScheduleExpression; `scheduler`: an EventBridge Scheduler schedule's. */
export type ScheduleFlavor = 'rule' | 'scheduler';

const UNIT_MS: Record<RateUnit, number> = { minute: MINUTE, hour: HOUR, day: DAY };

const KINDS = { rate: 'rate', cron: 'cron', at: 'at' } as const;

/** Parses `rate(...)`, `cron(...)` and (Scheduler only) `at(...)`. Throws {@link ScheduleExpressionError}. */
export function parseScheduleExpression(
  text: string,
  flavor: ScheduleFlavor = 'scheduler',
): ScheduleExpression {
  const rule = flavor === 'rule';
  const m = (rule ? /^(rate|cron)\((.*)\)$/s : /^\s*(rate|cron|at)\((.*)\)\s*$/s).exec(text);
  if (!m) {
    throw new ScheduleExpressionError(
      `"${text}" is not a schedule expression (expected rate(...), cron(...)${flavor === 'scheduler' ? ' or at(...)' : ''}${rule ? ', in lower case, without spaces around' : ''})`,
    );
  }
  // the literal, not the match's own copy: an open at() schedule keeps its expression for hours
  const kind = KINDS[m[1] as 'rate' | 'cron' | 'at'];
  const body = rule ? m[2]! : m[2]!.trim();
  if (kind === 'cron') return { kind, text, cron: parseCron(body, flavor) };
  if (kind === 'rate') {
    const r = (
      rule
        ? /^(\d+) (minute|minutes|hour|hours|day|days)$/
        : /^(\d+)\s+(minute|minutes|hour|hours|day|days)$/i
    ).exec(body);
    if (!r) {
      throw new ScheduleExpressionError(
        `rate "${body}": expected "<positive integer> ${rule ? 'minute(s)|hour(s)|day(s)", one space between' : 'minutes|hours|days"'}`,
      );
    }
    const value = Number(r[1]);
    const word = r[2]!.toLowerCase();
    const unit = word.replace(/s$/, '') as RateUnit;
    if (value < 1) throw new ScheduleExpressionError(`rate "${body}": the value must be a positive integer`);
    if (rule && value > 2_147_483_647) {
      throw new ScheduleExpressionError(`rate "${body}": the value must be at most 2147483647`);
    }
    if (flavor === 'rule' && (value === 1) !== (word === unit)) {
      throw new ScheduleExpressionError(
        `rate "${body}": use the singular unit for 1 and the plural for more (rate(1 ${unit}), rate(${value === 1 ? 5 : value} ${unit}s))`,
      );
    }
    return { kind, text, value, unit, everyMs: value * UNIT_MS[unit] };
  }
  if (flavor === 'rule')
    throw new ScheduleExpressionError(`"${text}": rules accept rate(...) and cron(...) only`);
  const a = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!a) throw new ScheduleExpressionError(`at "${body}": expected yyyy-mm-ddThh:mm:ss`);
  // `| 0`: small integers. `Number('06')` is a boxed double, and V8 then boxes these six fields in
  // every schedule's expression (96 bytes each, with tens of thousands of open timers)
  const [year, month, day, hour, minute, second] = a.slice(1).map((d) => Number(d) | 0) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new ScheduleExpressionError(`at "${body}" is not a valid date and time`);
  }
  return { kind, text, local: { year, month, day, hour, minute, second } };
}

/** When a schedule runs: its expression plus the settings that bound it. */
export interface ScheduleTiming {
  readonly expression: ScheduleExpression;
  readonly flavor: ScheduleFlavor;
  /** IANA zone for cron and at (Scheduler's ScheduleExpressionTimezone); rules always use UTC. */
  readonly timeZone?: string;
  /** Scheduler StartDate / EndDate (epoch ms); ignored for at(). */
  readonly startMs?: number;
  readonly endMs?: number;
}

/**
 * The first occurrence strictly after `afterMs`, or undefined when the schedule has no more. `anchorMs` is when the
 * schedule came into existence: a rule's rate counts from it (first run one period later); a Scheduler rate counts
 * from StartDate, or runs at once from its creation when it has none.
 */
export function occurrenceAfter(
  timing: ScheduleTiming,
  anchorMs: number,
  afterMs: number,
): number | undefined {
  const { expression: e, flavor } = timing;
  const tz = flavor === 'rule' ? 'UTC' : (timing.timeZone ?? 'UTC');
  let next: number | undefined;
  if (e.kind === 'at') {
    const at = localToUtc(e.local, tz, 'compatible')!;
    return at > afterMs ? at : undefined;
  }
  if (e.kind === 'rate') {
    const base = flavor === 'scheduler' ? (timing.startMs ?? anchorMs) : anchorMs;
    const k0 = flavor === 'scheduler' ? 0 : 1;
    const k = Math.max(k0, Math.floor((afterMs - base) / e.everyMs) + 1);
    next = base + k * e.everyMs;
  } else {
    const from = timing.startMs !== undefined ? Math.max(afterMs, timing.startMs - 1) : afterMs;
    next = nextCronOccurrence(e.cron, from, tz);
  }
  if (next === undefined || (timing.endMs !== undefined && next > timing.endMs)) return undefined;
  return next;
}

/** The first occurrence of a schedule that came into existence at `anchorMs` (at or after it). */
export const firstOccurrence = (timing: ScheduleTiming, anchorMs: number): number | undefined =>
  occurrenceAfter(timing, anchorMs, anchorMs - 1);
