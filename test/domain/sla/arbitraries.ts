import fc from 'fast-check';
import type { Money } from '#domain/shared/money';
import type { Compensation } from '#domain/sla/policy';

export const SH = 'Asia/Shanghai';
export const NY = 'America/New_York';
export const BERLIN = 'Europe/Berlin';
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const cny = (amount: number): Money => ({ amount, currency: 'CNY' });
export const yuan = (n: number): Money => cny(n * 100);

/** `HH:MM` → seconds after midnight. */
export const secondsOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3, 5)) * 60;

/** An instant between 2000 and 2100 (SPEC §0's sane years), to the millisecond. */
export const instantMs = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 11, 30) });

/** A store time `HH:MM`. */
export const storeTime = fc
  .record({ h: fc.integer({ min: 0, max: 23 }), m: fc.integer({ min: 0, max: 59 }) })
  .map(({ h, m }) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

/** Half-up of `amount × bps / 10 000`, worked out on the quotient and remainder (an exact oracle). */
export function halfUpBps(amount: bigint, bps: bigint): bigint {
  const product = amount * bps;
  const quotient = product / 10_000n;
  const remainder = product % 10_000n;
  return remainder * 2n >= 10_000n ? quotient + 1n : quotient;
}

export const amountFen = fc.integer({ min: 0, max: 100_000_000_000 }); // up to 1 billion CNY
export const positiveFen = fc.integer({ min: 1, max: 10_000_000 });
export const basisPoints = fc.integer({ min: 1, max: 10_000 });
export const multiplier = fc.integer({ min: 0, max: 30_000 });

/** Strictly ascending lateness steps (what parsePromisePolicy accepts), the first often 0. */
export const tierSteps = fc
  .uniqueArray(fc.integer({ min: 0, max: 30 * 86_400 }), { minLength: 1, maxLength: 6 })
  .chain((late) =>
    fc.tuple(
      fc.constant([...late].sort((a, b) => a - b)),
      fc.array(
        fc.oneof(
          positiveFen.map((amount) => ({ coupon: cny(amount) })),
          basisPoints.map((refundBps) => ({ refundBps })),
        ),
        { minLength: late.length, maxLength: late.length },
      ),
    ),
  )
  .map(([late, pays]) => late.map((lateSeconds, i) => ({ lateSeconds, ...pays[i]! })));

export const compensation: fc.Arbitrary<Compensation> = fc.oneof(
  positiveFen.map((amount) => ({ coupon: cny(amount) })),
  basisPoints.map((refundBps) => ({ refundBps })),
  tierSteps.map((tiers) => ({ tiers })),
);
