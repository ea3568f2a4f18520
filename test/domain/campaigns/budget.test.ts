import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUDGET_RELEASE_RULE, budgetRelease, type ReleaseCause } from '#domain/campaigns/budget';
import type { Reservation } from '#domain/campaigns/store';

/**
 * Giving a campaign's budget back (docs/rules/campaigns.md, budget): a cancellation gives back all
 * that is left; refunds give back the saving's share of the money refunded, never more in total
 * than was reserved, all of it once the order is refunded in full.
 */
const AT = '2026-11-02T00:00:00.000Z';
const reservation = (amount: number, orderTotal: number): Reservation => ({
  campaignId: 'C1',
  orderId: 'O1',
  amount,
  granted: true,
  reason: 'reserved',
  at: AT,
  orderTotal,
  released: 0,
  refunded: 0,
  releases: [],
});
const refund = (id: string, amount: number): ReleaseCause => ({
  kind: 'refunded',
  causeId: id,
  at: AT,
  amount,
});
const cancel: ReleaseCause = { kind: 'cancelled', causeId: 'cancelled', at: AT };

/** Applies causes in order as the store does (each line's numbers become the reservation's). */
function applyAll(r: Reservation, causes: readonly ReleaseCause[]) {
  const lines = [];
  let current = r;
  for (const c of causes) {
    const line = budgetRelease(current, c);
    if (!line) continue;
    lines.push(line);
    current = { ...current, released: line.released, refunded: line.refunded };
  }
  return { lines, current };
}

describe('budget release', () => {
  it('a cancellation gives back all that is left, with its receipt', () => {
    expect(budgetRelease(reservation(3_000, 20_000), cancel)).toEqual({
      cause: 'cancelled',
      causeId: 'cancelled',
      at: AT,
      release: 3_000,
      released: 3_000,
      refunded: 0,
      reason: 'order O1 cancelled: the 3000 left of its reservation of 3000 given back',
      rule: BUDGET_RELEASE_RULE,
    });
    // After a partial refund, the rest.
    const { lines } = applyAll(reservation(3_000, 20_000), [refund('r1', 5_000), cancel]);
    expect(lines.map((l) => l.release)).toEqual([750, 2_250]);
  });

  it('partial refunds give back the saving pro rata, rounded down, adding up to the whole at a full refund', () => {
    const { lines } = applyAll(reservation(3_000, 20_000), [
      refund('r1', 5_000),
      refund('r2', 3_333),
      refund('r3', 11_667),
    ]);
    expect(lines.map((l) => [l.release, l.released, l.refunded])).toEqual([
      [750, 750, 5_000],
      [499, 1_249, 8_333], // ⌊3000 × 8333 / 20000⌋ = 1249
      [1_751, 3_000, 20_000],
    ]);
    expect(lines[1]!.reason).toContain('⌊3000 × 8333 / 20000⌋ = 1249');
  });

  it('nothing is given back by a refused reservation or one already given back in full', () => {
    expect(budgetRelease({ ...reservation(3_000, 20_000), granted: false }, cancel)).toBeNull();
    expect(budgetRelease({ ...reservation(3_000, 20_000), released: 3_000 }, refund('r9', 100))).toBeNull();
    // An order that came to 0: its first refund gives everything back.
    expect(budgetRelease(reservation(3_000, 0), refund('r1', 0))?.release).toBe(3_000);
  });

  it('never gives back more than was reserved; all of it once refunds cover the order or it is cancelled', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000_000 }), { maxLength: 8 }),
        fc.boolean(),
        (amount, orderTotal, refunds, cancelled) => {
          const causes: ReleaseCause[] = refunds.map((a, i) => refund(`r${i}`, a));
          if (cancelled) causes.push(cancel);
          const { lines, current } = applyAll(reservation(amount, orderTotal), causes);
          const total = lines.reduce((s, l) => s + l.release, 0);
          expect(lines.every((l) => l.release >= 0 && Number.isInteger(l.release))).toBe(true);
          expect(total).toBe(current.released);
          expect(total).toBeLessThanOrEqual(amount);
          const refunded = refunds.reduce((s, a) => s + a, 0);
          if (cancelled || (refunds.length > 0 && refunded >= orderTotal)) expect(total).toBe(amount);
          else if (orderTotal > 0)
            expect(total).toBe(Number((BigInt(amount) * BigInt(refunded)) / BigInt(orderTotal)));
        },
      ),
    );
  });
});
