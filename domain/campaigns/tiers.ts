import type { FieldIssue } from '../shared/errors.ts';
import type { Money } from '../shared/money.ts';

/**
 * Spend-and-save tiers (满减, SPEC §5): spend at least `spend`, save `save`. The best single tier
 * applies; tiers never stack.
 */
export interface Tier {
  readonly spend: Money;
  readonly save: Money;
}

/** SPEC §5's defaults: 199−30, 399−80, 599−150 (CNY). */
export const DEFAULT_TIERS: readonly Tier[] = [
  { spend: { amount: 19_900, currency: 'CNY' }, save: { amount: 3_000, currency: 'CNY' } },
  { spend: { amount: 39_900, currency: 'CNY' }, save: { amount: 8_000, currency: 'CNY' } },
  { spend: { amount: 59_900, currency: 'CNY' }, save: { amount: 15_000, currency: 'CNY' } },
];

export const MAX_TIERS = 10;

/**
 * The checks a set of tiers must pass, each issue naming its field: one currency; a saving more
 * than zero and below its spend; no two tiers at the same spend (they overlap: which applies would
 * be ambiguous); a higher spend saves more (else the lower tier would win above it).
 */
export function tierIssues(tiers: readonly Tier[], field = 'tiers'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const currency = tiers[0]?.spend.currency;
  tiers.forEach((t, i) => {
    if (t.spend.currency !== currency)
      issues.push({ field: `${field}.${i}.spend.currency`, reason: `must be ${currency}, as tier 0` });
    if (t.save.currency !== t.spend.currency)
      issues.push({
        field: `${field}.${i}.save.currency`,
        reason: `must be ${t.spend.currency}, as its spend`,
      });
    if (t.save.amount <= 0) issues.push({ field: `${field}.${i}.save`, reason: 'must be greater than zero' });
    if (t.save.amount >= t.spend.amount)
      issues.push({
        field: `${field}.${i}.save`,
        reason: `must be below its spend (${t.spend.amount}); saving ${t.save.amount} would make the order free or negative`,
      });
  });
  const order = tiers.map((t, i) => ({ t, i })).sort((a, b) => a.t.spend.amount - b.t.spend.amount);
  for (let k = 1; k < order.length; k++) {
    const lower = order[k - 1]!;
    const higher = order[k]!;
    if (higher.t.spend.amount === lower.t.spend.amount) {
      issues.push({
        field: `${field}.${higher.i}.spend`,
        reason: `overlaps tier ${lower.i}: both start at a spend of ${higher.t.spend.amount}`,
      });
    } else if (higher.t.save.amount <= lower.t.save.amount) {
      issues.push({
        field: `${field}.${higher.i}.save`,
        reason: `must save more than tier ${lower.i} (${lower.t.save.amount}), whose spend is lower`,
      });
    }
  }
  return issues;
}

/**
 * The best single tier for a spend: the one with the largest saving among those whose spend is at
 * most `spend` (inclusive: 199.00 qualifies for 199−30, 198.99 does not); null when none does.
 * Tiers never stack, whatever order they come in.
 */
export function bestTier(tiers: readonly Tier[], spend: number): Tier | null {
  let best: Tier | null = null;
  for (const t of tiers) {
    if (t.spend.amount <= spend && (best === null || t.save.amount > best.save.amount)) best = t;
  }
  return best;
}
