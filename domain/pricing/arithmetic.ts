import { MoneyError, minorUnitDigits } from '../shared/money.ts';

/**
 * Exact arithmetic of the pricing rules: every product is a BigInt and every result is checked to
 * be a safe integer, so a price is always whole fen and never a float (SPEC §0).
 */

/** 10 000 basis points = 100 %. */
export const BPS = 10_000;
const ONE = 10_000n;

export type Rounding = 'halfUp' | 'floor' | 'ceil';

/** ⌊a / b⌋, ⌈a / b⌉ or half away from zero, for b > 0. */
function divide(a: bigint, b: bigint, rounding: Rounding): bigint {
  const negative = a < 0n;
  const abs = negative ? -a : a;
  if (rounding === 'halfUp') {
    const q = (abs * 2n + b) / (b * 2n);
    return negative ? -q : q;
  }
  const down = abs / b;
  const exact = down * b === abs;
  // floor of a negative number rounds its magnitude up, and ceil down.
  const up = rounding === 'ceil' ? !negative : negative;
  const q = exact || !up ? down : down + 1n;
  return negative ? -q : q;
}

function safe(value: bigint, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new MoneyError(`${what} overflows: ${value}`);
  return n;
}

/** `amount × bps / 10 000`, rounded as asked: the share of an amount (1500 bps of 100.00 = 15.00). */
export function shareOf(amount: number, bps: number, rounding: Rounding): number {
  return safe(divide(BigInt(amount) * BigInt(bps), ONE, rounding), `${bps} bps of ${amount}`);
}

/** `amount × (10 000 + bps) / 10 000`: the amount raised (or lowered) by bps, rounded as asked. */
export function raiseBy(amount: number, bps: number, rounding: Rounding): number {
  return safe(divide(BigInt(amount) * (ONE + BigInt(bps)), ONE, rounding), `${amount} + ${bps} bps`);
}

/** Whether |a − b| ≤ base × bps / 10 000, exactly. */
export function withinBps(a: number, b: number, base: number, bps: number): boolean {
  const diff = BigInt(a) - BigInt(b);
  return (diff < 0n ? -diff : diff) * ONE <= BigInt(base) * BigInt(bps);
}

/** Σ amount × qty, exactly; throws when it leaves the safe integers. */
export function sumOf(lines: ReadonlyArray<{ readonly amount: number; readonly qty: number }>): number {
  return safe(
    lines.reduce((sum, l) => sum + BigInt(l.amount) * BigInt(l.qty), 0n),
    'the total',
  );
}

/** One minor unit of a currency's major unit: 100 for CNY, 1 for JPY, 1000 for KWD. */
export const majorUnit = (currency: string): number => 10 ** minorUnitDigits(currency);
