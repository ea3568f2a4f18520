import type { CouponView, CustomerPerks } from '../shared/customer-perks.ts';
import { type Money, toDecimalString } from '../shared/money.ts';
import type { CampaignGroup } from './assignment.ts';
import { bestTier, type Tier } from './tiers.ts';

/**
 * The checkout quote (SPEC §5, §6's personal prices): items at their current prices, bundle
 * savings, the best single campaign tier the user is eligible for, personal prices (new users −5 %,
 * the member tier's discount), then coupons. Every line says why; integer minor units; a discount
 * never takes the total below zero. Pure: the use case gathers the inputs.
 */

export type QuoteLineKind = 'item' | 'bundle' | 'campaign' | 'personal' | 'coupon';

export interface QuoteLine {
  readonly kind: QuoteLineKind;
  readonly label: string;
  /** Items positive, discounts negative (a discount that does not apply: 0). */
  readonly amount: Money;
  readonly why: string;
  readonly sku?: string;
  readonly bundleId?: string;
  readonly campaignId?: string;
  readonly code?: string;
}

export interface QuoteItem {
  readonly sku: string;
  readonly qty: number;
  readonly unitPrice: Money;
  readonly category: string | null;
}

export interface QuoteBundle {
  readonly bundleId: string;
  readonly items: ReadonlyArray<{ readonly sku: string; readonly qty: number }>;
  readonly saving: Money;
}

export interface QuoteCampaign {
  readonly campaignId: string;
  readonly name: string;
  readonly tiers: readonly Tier[];
  readonly skus: readonly string[] | null;
  readonly categories: readonly string[] | null;
  /** The user's group: `pilot` while the pilot runs, `everyone` once rolled out; else not eligible. */
  readonly group: CampaignGroup;
  /** Budget left (minor units), null: unlimited. */
  readonly budgetLeft: number | null;
}

export interface QuoteInput {
  readonly currency: string;
  readonly items: readonly QuoteItem[];
  readonly bundles: readonly QuoteBundle[];
  readonly campaigns: readonly QuoteCampaign[];
  readonly perks: CustomerPerks;
  readonly coupons: readonly CouponView[];
  readonly at: string;
  /** New users' discount, basis points (SPEC §6: 5 %). */
  readonly newUserBps?: number;
}

export interface Quote {
  readonly currency: string;
  readonly lines: readonly QuoteLine[];
  readonly subtotal: Money;
  readonly total: Money;
  /** The campaign whose tier applied, with its saving (what a checkout reserves). */
  readonly applied: { readonly campaignId: string; readonly saving: number } | null;
}

export const NEW_USER_BPS = 500;

/** amount × bps / 10 000, half-up (away from zero) to the minor unit, exact in BigInt. */
export function shareHalfUp(amount: number, bps: number): number {
  const n = BigInt(amount) * BigInt(bps);
  return Number((n + 5_000n) / 10_000n);
}

const eligible = (c: Pick<QuoteCampaign, 'skus' | 'categories'>, item: QuoteItem) =>
  c.skus
    ? c.skus.includes(item.sku)
    : c.categories
      ? item.category !== null && c.categories.includes(item.category)
      : true;

export function quote(input: QuoteInput): Quote {
  const cur = input.currency;
  const m = (amount: number): Money => ({ amount: amount === 0 ? 0 : amount, currency: cur });
  const show = (amount: number) => `${toDecimalString({ amount, currency: cur })} ${cur}`;
  const lines: QuoteLine[] = [];

  // Items at their current prices.
  let subtotal = 0;
  for (const item of input.items) {
    const amount = item.unitPrice.amount * item.qty;
    subtotal += amount;
    lines.push({
      kind: 'item',
      label: `${item.sku} × ${item.qty}`,
      amount: m(amount),
      why: `current price ${show(item.unitPrice.amount)} × ${item.qty}`,
      sku: item.sku,
    });
  }
  let total = subtotal;

  // Bundles: whole bundles whose every item is in the cart, the largest saving first, each unit of
  // the cart in at most one bundle.
  const left = new Map<string, number>();
  for (const i of input.items) left.set(i.sku, (left.get(i.sku) ?? 0) + i.qty);
  const bundleSaved = new Map<string, number>();
  for (const b of [...input.bundles].sort(
    (x, y) => y.saving.amount - x.saving.amount || (x.bundleId < y.bundleId ? -1 : 1),
  )) {
    if (b.saving.currency !== cur || b.items.length === 0) continue;
    const count = Math.min(...b.items.map((i) => Math.floor((left.get(i.sku) ?? 0) / i.qty)));
    if (count <= 0) continue;
    for (const i of b.items) left.set(i.sku, (left.get(i.sku) ?? 0) - i.qty * count);
    const saving = Math.min(b.saving.amount * count, total);
    total -= saving;
    bundleSaved.set(b.bundleId, saving);
    lines.push({
      kind: 'bundle',
      label: `Bundle ${b.bundleId} × ${count}`,
      amount: m(-saving),
      why: `${b.items.map((i) => `${i.sku} × ${i.qty}`).join(' + ')} together save ${show(b.saving.amount)} per bundle; ${count} whole bundle(s) in the cart`,
      bundleId: b.bundleId,
    });
  }

  // Campaigns: the best single tier of each live campaign the user is in, on its eligible spend;
  // of several, the one saving most (tiers and campaigns never stack).
  type Candidate = { c: QuoteCampaign; spend: number; tier: Tier | null };
  const candidates: Candidate[] = input.campaigns.map((c) => {
    const items = input.items.filter((i) => eligible(c, i));
    let spend = items.reduce((s, i) => s + i.unitPrice.amount * i.qty, 0);
    for (const b of input.bundles) {
      const saved = bundleSaved.get(b.bundleId);
      if (saved && b.items.every((bi) => items.some((i) => i.sku === bi.sku))) spend -= saved;
    }
    const tiers = c.tiers.filter((t) => t.spend.currency === cur);
    return { c, spend, tier: bestTier(tiers, spend) };
  });
  const inGroup = (c: QuoteCampaign) => c.group === 'pilot' || c.group === 'everyone';
  const fits = (k: Candidate) =>
    k.tier !== null && (k.c.budgetLeft === null || k.c.budgetLeft >= k.tier.save.amount);
  const best = candidates
    .filter((k) => inGroup(k.c) && fits(k))
    .sort(
      (a, b) => b.tier!.save.amount - a.tier!.save.amount || (a.c.campaignId < b.c.campaignId ? -1 : 1),
    )[0];
  let applied: Quote['applied'] = null;
  for (const k of candidates) {
    const label = k.tier
      ? `${k.c.campaignId}: spend ${show(k.tier.spend.amount)} save ${show(k.tier.save.amount)}`
      : `${k.c.campaignId}: ${k.c.name}`;
    const spendNote = `eligible spend ${show(k.spend)}`;
    if (k === best) {
      const saving = Math.min(k.tier!.save.amount, total);
      total -= saving;
      applied = { campaignId: k.c.campaignId, saving };
      const lower = k.c.tiers.filter((t) => t !== k.tier && t.spend.amount <= k.spend).length;
      lines.push({
        kind: 'campaign',
        label,
        amount: m(-saving),
        why: `${spendNote} ≥ ${show(k.tier!.spend.amount)}: the best single tier${lower ? ` (${lower} lower tier(s) also reached; tiers never stack)` : ''}; ${k.c.group === 'pilot' ? 'you are in the pilot group' : 'rolled out to everyone'}`,
        campaignId: k.c.campaignId,
      });
      continue;
    }
    let why: string;
    if (!inGroup(k.c))
      why = `not applied: you are in the ${k.c.group === 'control' ? 'control group' : 'audience outside the pilot'} while the pilot runs`;
    else if (!k.tier) {
      const lowest = Math.min(...k.c.tiers.map((t) => t.spend.amount));
      why = `not applied: ${spendNote} is below the lowest tier (${show(lowest)})`;
    } else if (!fits(k))
      why = `not applied: the campaign's budget has ${show(k.c.budgetLeft ?? 0)} left, less than the saving`;
    else why = `not applied: ${best!.c.campaignId} saves more (campaigns never stack)`;
    lines.push({ kind: 'campaign', label, amount: m(0), why, campaignId: k.c.campaignId });
  }

  // Personal prices (SPEC §6): new users −5 %, then the member tier's discount.
  if (input.perks.newUser) {
    const bps = input.newUserBps ?? NEW_USER_BPS;
    const off = Math.min(shareHalfUp(total, bps), total);
    total -= off;
    lines.push({
      kind: 'personal',
      label: `New customer −${bps / 100}%`,
      amount: m(-off),
      why: `no paid order yet: ${bps / 100}% of ${show(total + off)}, rounded half-up to the fen`,
    });
  }
  if (input.perks.discountBps > 0) {
    const off = Math.min(shareHalfUp(total, input.perks.discountBps), total);
    total -= off;
    lines.push({
      kind: 'personal',
      label: `Member tier ${input.perks.tier} −${input.perks.discountBps / 100}%`,
      amount: m(-off),
      why: `member tier ${input.perks.tier}: ${input.perks.discountBps / 100}% of ${show(total + off)}, rounded half-up to the fen`,
    });
  }

  // Coupons, each at most what is left; the minimum spend is measured before coupons.
  const beforeCoupons = total;
  const nowMs = Date.parse(input.at);
  for (const c of input.coupons) {
    const label = `Coupon ${c.code}`;
    let why: string | null = null;
    if (c.status !== 'open') why = `not applied: the coupon is ${c.status}`;
    else if (c.expiresAt !== null && Date.parse(c.expiresAt) <= nowMs)
      why = `not applied: expired at ${c.expiresAt}`;
    else if (c.amount.currency !== cur)
      why = `not applied: the coupon is in ${c.amount.currency}, the cart in ${cur}`;
    else if (c.minSpend.amount > beforeCoupons)
      why = `not applied: needs a spend of ${show(c.minSpend.amount)} before coupons; the cart comes to ${show(beforeCoupons)}`;
    if (why) {
      lines.push({ kind: 'coupon', label, amount: m(0), why, code: c.code });
      continue;
    }
    const off = Math.min(c.amount.amount, total);
    total -= off;
    lines.push({
      kind: 'coupon',
      label,
      amount: m(-off),
      why:
        off < c.amount.amount
          ? `${show(c.amount.amount)} off (${c.source}), capped at the ${show(off)} left: a total never goes below zero`
          : `${show(c.amount.amount)} off (${c.source})${c.minSpend.amount > 0 ? `, spend ${show(beforeCoupons)} ≥ ${show(c.minSpend.amount)}` : ''}`,
      code: c.code,
    });
  }
  return { currency: cur, lines, subtotal: m(subtotal), total: m(total), applied };
}
