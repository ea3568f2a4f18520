/**
 * Pure formatting shared by the console's screens and its data shaping (no DOM): money in integer
 * minor units, basis points, dates. Unit-tested in test/console.
 */

export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** Currencies without minor units (ISO 4217 exponent 0) among those a store is likely to use. */
const ZERO_DIGITS = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK']);

export const minorDigits = (currency: string) => (ZERO_DIGITS.has(currency) ? 0 : 2);

export const isMoney = (v: unknown): v is Money =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { amount?: unknown }).amount === 'number' &&
  typeof (v as { currency?: unknown }).currency === 'string';

/**
 * Money as an answer gives it: a `{ amount, currency }` object, or a bare integer of minor units
 * with the currency named once for the whole answer (the metrics answers do that); null if neither.
 */
export function moneyOf(v: unknown, currency: string | undefined): Money | null {
  if (isMoney(v)) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return { amount: v, currency: currency ?? '' };
  return null;
}

/** Integer minor units in major units (a number for a chart's axis). */
export const toMajor = (m: Money) => m.amount / 10 ** minorDigits(m.currency);

/** `12345 CNY` fen → `123.45 CNY`. */
export function formatMoney(m: Money): string {
  const digits = minorDigits(m.currency);
  return `${(m.amount / 10 ** digits).toFixed(digits)} ${m.currency}`;
}

/** Basis points as a percentage: 1234 → `12.34%` (null/undefined → `—`). */
export function formatBps(bps: number | null | undefined, digits = 2): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '—';
  return `${(bps / 100).toFixed(digits)}%`;
}

/** Basis points as a percentage number for a chart (1234 → 12.34). */
export const bpsToPercent = (bps: number) => bps / 100;

/** `2026-11-30` from a Date, in UTC (the form's value; the API applies the store's time zone). */
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The date range a metrics screen asks for: `from`/`to` from the route when both are days in
 * order, else the `days` days ending `today` (inclusive).
 */
export function dateRange(
  today: Date,
  from: string | null | undefined,
  to: string | null | undefined,
  days = 7,
): { from: string; to: string } {
  if (from && to && DAY.test(from) && DAY.test(to) && from <= to) return { from, to };
  const end = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  const start = new Date(end.getTime() - (days - 1) * 86_400_000);
  return { from: isoDay(start), to: isoDay(end) };
}
