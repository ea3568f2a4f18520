/**
 * Business calendars in the store's time zone (SPEC §0: instants are stored in UTC; "02:00
 * nightly", "the day paid" and "this year" are read in the store's zone). IANA zones through Intl.
 */

/** One formatter per zone: making one costs far more than formatting with it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The store clock's year, month, day, hour, minute and second of an instant, as digits. */
function parts(at: Date, timeZone: string): Record<string, string> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
}

/** Whether the runtime knows this IANA time zone (`Asia/Shanghai`). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value.length > 0;
  } catch {
    return false;
  }
}

/** The store's calendar date of an instant: `2026-11-24`. */
export function localDate(at: Date, timeZone: string): string {
  const p = parts(at, timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** The store's wall-clock time of an instant: `02:00`. */
export function localTime(at: Date, timeZone: string): string {
  const p = parts(at, timeZone);
  return `${p.hour}:${p.minute}`;
}

/** The store's month (1–12) of an instant. */
export function localMonth(at: Date, timeZone: string): number {
  return Number(parts(at, timeZone).month);
}

/** A calendar date `days` later (or earlier): `2026-11-30` + 2 → `2026-12-02`. */
export function addDays(date: string, days: number): string {
  const ms = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/** A `YYYY-MM-DD` that is a real calendar date. */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  // Month 13 or day 32 parse to NaN (whose toISOString throws); 30 February rolls over to March.
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(value);
}

/** Seconds since midnight of an instant on the store's clock (`11:59:59` → 43199). */
export function localSecondsOfDay(at: Date, timeZone: string): number {
  const p = parts(at, timeZone);
  return Number(p.hour) * 3600 + Number(p.minute) * 60 + Number(p.second);
}

/** How far the zone's clock is ahead of UTC at an instant, in milliseconds. */
function offsetMs(at: number, timeZone: string): number {
  const p = parts(new Date(at), timeZone);
  const wall = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return wall - Math.floor(at / 1000) * 1000;
}

/**
 * The instant the store's clock shows `date` `time` (`2026-11-24`, `18:00`). A wall time that does
 * not exist (a spring-forward gap) resolves to the instant just after the gap; one that occurs twice
 * to its first occurrence.
 */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // The offsets half a day either side: the wall time means one of these two instants.
  const before = wall - offsetMs(wall - 43_200_000, timeZone);
  const after = wall - offsetMs(wall + 43_200_000, timeZone);
  const valid = [before, after].filter((t) => localMatches(t, date, time, timeZone));
  // Occurs twice: the first; does not occur (a gap): the pre-gap offset lands just after the gap.
  return new Date(valid.length ? Math.min(...valid) : before);
}

function localMatches(at: number, date: string, time: string, timeZone: string): boolean {
  return localDate(new Date(at), timeZone) === date && localTime(new Date(at), timeZone) === time;
}
