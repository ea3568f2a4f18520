import * as z from './zod.ts';

/**
 * Money is an integer number of minor units (fen for CNY) plus an ISO-4217 currency code.
 * Never a float: every conversion from a decimal string is done on the digits.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export const CurrencySchema = z
  .string()
  .check(
    z.regex(/^[A-Z]{3}$/, { error: 'must be a 3-letter ISO-4217 code such as CNY', abort: true }),
    z.refine(isKnownCurrency, 'is not an ISO-4217 currency'),
  );

export const MoneySchema = z.object({
  amount: z.int('must be an integer number of minor units'),
  currency: CurrencySchema,
});

/** Money that cannot be negative: totals, prices, balances, refunds (issue #10). */
export const NonNegativeMoneySchema = z.object({
  amount: z.int('must be an integer number of minor units').check(z.nonnegative('must not be negative')),
  currency: CurrencySchema,
});

/** Money that must be more than zero: a deposit, an observed price. */
export const PositiveMoneySchema = z.object({
  amount: z.int('must be an integer number of minor units').check(z.positive('must be greater than zero')),
  currency: CurrencySchema,
});

export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

let knownCurrencies: ReadonlySet<string> | undefined;

/** ISO-4217 codes this runtime's Intl knows; built once, since every money value is checked. */
function isKnownCurrency(code: string): boolean {
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  return knownCurrencies.has(code);
}

const digitsCache = new Map<string, number>();

/** Number of minor-unit digits of a currency (CNY 2, JPY 0, KWD 3). */
export function minorUnitDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number;
    digitsCache.set(currency, digits);
  }
  return digits;
}

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount))
    throw new MoneyError(`amount ${amount} is not an integer of minor units`);
  return { amount, currency };
}

/**
 * Parses a platform's decimal string ("199.00", "0.5", "-12") into minor units without floats.
 * More fractional digits than the currency has is an error, never a silent rounding.
 */
export function fromDecimalString(value: string, currency: string): Money {
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new MoneyError(`"${value}" is not a decimal amount`);
  const [, sign, whole = '0', fraction = ''] = match;
  const digits = minorUnitDigits(currency);
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > digits) {
    throw new MoneyError(`"${value}" has more than ${digits} decimals for ${currency}`);
  }
  const minor =
    BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0').slice(0, digits) || '0');
  const amount = Number(sign ? -minor : minor);
  return money(amount, currency);
}

export function toDecimalString(m: Money): string {
  const digits = minorUnitDigits(m.currency);
  const abs = Math.abs(m.amount)
    .toString()
    .padStart(digits + 1, '0');
  const whole = digits === 0 ? abs : abs.slice(0, -digits);
  const fraction = digits === 0 ? '' : `.${abs.slice(-digits)}`;
  return `${m.amount < 0 ? '-' : ''}${whole}${fraction}`;
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new MoneyError(`currency mismatch: ${a.currency} and ${b.currency}`);
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount + b.amount, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount - b.amount, a.currency);
}

export function maxMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return a.amount >= b.amount ? a : b;
}

/**
 * Applies a percentage change given in basis points (1000 = +10%), rounding half away from zero
 * to the minor unit, as SPEC §0 requires ("rounds half-up to the fen").
 */
export function changeByBasisPoints(m: Money, basisPoints: number): Money {
  if (!Number.isInteger(basisPoints)) throw new MoneyError('basis points must be an integer');
  const numerator = BigInt(m.amount) * BigInt(10_000 + basisPoints);
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  const rounded = (abs + 5_000n) / 10_000n;
  return money(Number(negative ? -rounded : rounded), m.currency);
}
