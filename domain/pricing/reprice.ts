import { type Money, MoneyError, toDecimalString } from '../shared/money.ts';
import { BPS, majorUnit, raiseBy, shareOf, withinBps } from './arithmetic.ts';
import {
  type CharmEndingRule,
  type CompetitorRule,
  type LowStockRule,
  REPRICING_ENGINE,
  type RulesInForce,
} from './pricing-rules.ts';
import { MAX_PRICE_AMOUNT, marginFloor, markupCeiling } from './sku-pricing.ts';

/**
 * One SKU's repricing decision (SPEC §6, docs/rules/repricing.md): the rules in their order (low
 * stock, competitor — percentage changes rounded half-up to the fen), then the guardrails (max
 * change per run, markup ceiling, margin floor — the floor wins over everything), then the charm
 * ending, which must keep the price inside the guardrails. Pure and exact: the same inputs and
 * rules always give the same numbers, live, in a dry run and in a what-if replay.
 */

/** The latest observation of one competitor's price for the SKU. */
export interface CompetitorObservation {
  readonly competitor: string;
  readonly price: Money;
  /** When the competitor's price was seen (the observer's clock). */
  readonly observedAt: string;
  /** When storeflow recorded it (what-if replays use only what was recorded by a run's instant). */
  readonly recordedAt?: string | undefined;
  readonly url?: string | null | undefined;
}

/** Everything a decision reads: the receipt keeps it as is. */
export interface PricingInputs {
  readonly sku: string;
  /** The SKU's pricing currency: price, list price and cost must be in it. */
  readonly currency: string;
  /** The current selling price: the decision's `old`. */
  readonly price: Money;
  readonly listPrice: Money | null;
  /** The unit cost the margin floor is measured against (the highest supplier cost); null when unknown. */
  readonly cost: Money | null;
  readonly onHand: number;
  /** The latest observation per competitor (the decision keeps the fresh ones in the SKU's currency). */
  readonly competitors: readonly CompetitorObservation[];
  readonly campaignLocked: boolean;
  /** The SKU's own; null/absent: the rules' default. */
  readonly minMarginBps?: number | null | undefined;
  readonly maxMarkupBps?: number | null | undefined;
  /** The run's instant (ISO-8601). */
  readonly at: string;
}

export type GuardrailName = 'campaignLock' | 'maxChange' | 'ceiling' | 'floor';

/** One rule's step: `from` → `to` (equal when it did not move the price), and why. */
export interface RuleStep {
  readonly rule: 'lowStock' | 'competitor' | 'charmEnding';
  readonly applied: boolean;
  readonly from: Money;
  readonly to: Money;
  readonly note: string;
}

/** One guardrail check, in the order applied: did it bind (change the price), at what limit. */
export interface GuardrailCheck {
  readonly guardrail: GuardrailName;
  readonly bound: boolean;
  /** The limit on the side the price was checked against; null when there is none. */
  readonly limit: Money | null;
  readonly from: Money;
  readonly to: Money;
  readonly note: string;
}

export interface PriceDecision {
  readonly sku: string;
  readonly outcome: 'changed' | 'unchanged' | 'locked';
  readonly old: Money;
  readonly new: Money;
  readonly changed: boolean;
  /** new − old in minor units. */
  readonly change: number;
  /** The last guardrail that clipped the price (null: none did). */
  readonly boundBy: GuardrailName | null;
  /** The rules in their order, the charm ending last (after the guardrails). */
  readonly trail: readonly RuleStep[];
  /** max change, ceiling, floor — in the order applied — or the campaign lock alone. */
  readonly guardrails: readonly GuardrailCheck[];
  /** The guardrails' limits for this SKU now. */
  readonly limits: {
    readonly floor: Money | null;
    readonly ceiling: Money | null;
    readonly minMarginBps: number;
    readonly maxMarkupBps: number;
    readonly maxChangePerRunBps: number;
    /** The lowest and highest price the max change allows this run. */
    readonly lowest: Money;
    readonly highest: Money;
  };
  readonly inputs: PricingInputs;
  /** The version of the store's rules (null: rules tried in a dry run or a what-if). */
  readonly rulesVersion: number | null;
  readonly engine: typeof REPRICING_ENGINE;
}

const show = (m: Money) => `${toDecimalString(m)} ${m.currency}`;
const pct = (bps: number) => `${bps / 100}%`;

/**
 * Fresh competitor observations in the SKU's currency, lowest first (then by competitor id). A price
 * above {@link MAX_PRICE_AMOUNT} is no price anyone charges: ignored, so the numbers stay exact.
 */
export function freshObservations(
  competitors: readonly CompetitorObservation[],
  currency: string,
  at: string,
  maxAgeHours: number,
): CompetitorObservation[] {
  const oldest = Date.parse(at) - maxAgeHours * 3_600_000;
  return competitors
    .filter(
      (o) =>
        o.price.currency === currency &&
        o.price.amount > 0 &&
        o.price.amount <= MAX_PRICE_AMOUNT &&
        Date.parse(o.observedAt) >= oldest,
    )
    .sort(
      (a, b) =>
        a.price.amount - b.price.amount ||
        (a.competitor < b.competitor ? -1 : a.competitor > b.competitor ? 1 : 0),
    );
}

function lowStock(rule: LowStockRule, price: Money, inputs: PricingInputs): RuleStep {
  const step = (to: Money, applied: boolean, note: string): RuleStep => ({
    rule: 'lowStock',
    applied,
    from: price,
    to,
    note,
  });
  if (!rule.enabled) return step(price, false, 'switched off');
  if (inputs.onHand >= rule.below)
    return step(price, false, `on hand ${inputs.onHand} is not below ${rule.below}`);
  const raised = raiseBy(price.amount, rule.raiseBps, 'halfUp');
  const list = inputs.listPrice?.currency === price.currency ? inputs.listPrice : null;
  const cap = list ? raiseBy(list.amount, rule.raiseBps, 'halfUp') : null;
  const to = Math.max(price.amount, cap === null ? raised : Math.min(raised, cap));
  const why = `on hand ${inputs.onHand} < ${rule.below}: +${pct(rule.raiseBps)}`;
  if (to === price.amount) {
    const already = cap !== null && price.amount >= cap;
    return step(
      price,
      false,
      already
        ? `${why}, but the price is already at list + ${pct(rule.raiseBps)} (${show({ amount: cap, currency: price.currency })}) or above`
        : `${why}, which rounds to the same price`,
    );
  }
  const capped = cap !== null && to === cap && raised > cap;
  return step(
    { amount: to, currency: price.currency },
    true,
    capped
      ? `${why}, capped at list + ${pct(rule.raiseBps)} (${show({ amount: cap, currency: price.currency })})`
      : why,
  );
}

function competitor(rule: CompetitorRule, price: Money, inputs: PricingInputs): RuleStep {
  const step = (to: Money, applied: boolean, note: string): RuleStep => ({
    rule: 'competitor',
    applied,
    from: price,
    to,
    note,
  });
  if (!rule.enabled) return step(price, false, 'switched off');
  const fresh = freshObservations(inputs.competitors, price.currency, inputs.at, rule.maxAgeHours);
  const lowest = fresh[0];
  if (!lowest) {
    return step(
      price,
      false,
      `no competitor price in ${price.currency} observed in the last ${rule.maxAgeHours} h (${inputs.competitors.length} observation(s) known)`,
    );
  }
  const target = lowest.price.amount;
  const seen = `lowest fresh competitor price ${show(lowest.price)} (${lowest.competitor}, observed ${lowest.observedAt})`;
  if (target === price.amount) return step(price, false, `${seen}: already there`);
  let to = price.amount + shareOf(target - price.amount, rule.towardBps, 'halfUp');
  let note = `${seen}: ${pct(rule.towardBps)} of the gap ${show({ amount: target - price.amount, currency: price.currency })}`;
  if (target < price.amount && rule.floorBps !== null) {
    const list = inputs.listPrice?.currency === price.currency ? inputs.listPrice : null;
    if (!list) {
      return step(
        price,
        false,
        `${seen}: not followed down, the SKU has no list price to apply floorBps ${rule.floorBps} to`,
      );
    }
    const stop = raiseBy(list.amount, rule.floorBps - BPS, 'ceil');
    if (to < stop) {
      to = Math.min(price.amount, stop);
      note += `; followed down only to ${pct(rule.floorBps)} of the list price (${show({ amount: stop, currency: price.currency })})`;
    }
  }
  return step({ amount: to, currency: price.currency }, to !== price.amount, note);
}

/** Charm prices nearest a price: the one at or below and the one above (positive amounts only). */
export function charmCandidates(price: Money, ending: number): Money[] {
  const unit = majorUnit(price.currency);
  const step = 10 * unit;
  const offset = ending * unit;
  const k = Math.floor((price.amount - offset) / step);
  const below = k * step + offset;
  return [below, below + step].filter((a) => a > 0).map((amount) => ({ amount, currency: price.currency }));
}

/** The guardrails as limits: each clamps a price; the floor last, so it wins. */
interface Guards {
  readonly lowest: number;
  readonly highest: number;
  readonly ceiling: number;
  readonly ceilingNote: string;
  readonly floor: number;
  readonly floorNote: string;
}

function guard(amount: number, g: Guards): number {
  return Math.max(g.floor, Math.min(g.ceiling, Math.min(g.highest, Math.max(g.lowest, amount))));
}

/** Why a price breaks a guardrail, or null when it keeps them all. */
function breaks(amount: number, g: Guards, currency: string): string | null {
  const m = (a: number) => show({ amount: a, currency });
  if (amount < g.floor) return `below the floor ${m(g.floor)}`;
  if (g.floor > g.ceiling) return `not the floor ${m(g.floor)}, which is above the ceiling and wins`;
  if (amount > g.ceiling) return `above the ceiling ${m(g.ceiling)}`;
  if (guard(amount, g) !== amount) {
    return `outside the max change per run (${m(g.lowest)} – ${m(g.highest)})`;
  }
  return null;
}

function charm(rule: CharmEndingRule, price: Money, g: Guards): RuleStep {
  const step = (to: Money, applied: boolean, note: string): RuleStep => ({
    rule: 'charmEnding',
    applied,
    from: price,
    to,
    note,
  });
  if (!rule.enabled) return step(price, false, 'switched off');
  const ending = `ending in ${rule.ending}`;
  const candidates = charmCandidates(price, rule.ending);
  if (candidates.some((c) => c.amount === price.amount)) return step(price, false, `already ${ending}`);
  const tolerance = show({
    amount: shareOf(price.amount, rule.toleranceBps, 'floor'),
    currency: price.currency,
  });
  const within = candidates
    .filter((c) => withinBps(c.amount, price.amount, price.amount, rule.toleranceBps))
    .sort(
      (a, b) => Math.abs(a.amount - price.amount) - Math.abs(b.amount - price.amount) || a.amount - b.amount,
    );
  if (!within.length) {
    return step(
      price,
      false,
      `no price ${ending} within ${pct(rule.toleranceBps)} (${tolerance}): nearest ${candidates.map(show).join(', ')}`,
    );
  }
  const refused: string[] = [];
  for (const c of within) {
    const why = breaks(c.amount, g, price.currency);
    if (why === null) {
      return step(
        c,
        true,
        `nearest price ${ending} within ${pct(rule.toleranceBps)} (${tolerance})${refused.length ? `; ${refused.join('; ')}` : ''}`,
      );
    }
    refused.push(`${show(c)} is ${why}`);
  }
  return step(price, false, `skipped: ${refused.join('; ')}`);
}

/**
 * The decision for one SKU at `inputs.at` under `rules`:
 * 1. campaign-locked: untouched (`locked`);
 * 2. the rules in their order (low stock, competitor), each from the price the previous one left;
 * 3. guardrails, in order: max change per run (at most `maxChangePerRunBps` of the old price either
 *    way, the allowed change rounded down), ceiling = list × (1 + max markup) rounded down (no list
 *    price: the old price — never raised), floor = cost × (1 + min margin) rounded up (no cost: the
 *    old price — never lowered). The floor is applied last and wins: above the ceiling it is still
 *    the price, and an old price outside floor/ceiling is brought back even if that is a bigger step
 *    than the max change;
 * 4. the charm ending, when a candidate within tolerance keeps every guardrail.
 */
export function repriceSku(inputs: PricingInputs, rules: RulesInForce): PriceDecision {
  const old = inputs.price;
  if (old.currency !== inputs.currency) {
    throw new MoneyError(`price of ${inputs.sku} is in ${old.currency}, not the SKU's ${inputs.currency}`);
  }
  const currency = old.currency;
  const m = (amount: number): Money => ({ amount, currency });
  const minMarginBps = inputs.minMarginBps ?? rules.defaultMinMarginBps;
  const maxMarkupBps = inputs.maxMarkupBps ?? rules.defaultMaxMarkupBps;
  const cost = inputs.cost?.currency === currency ? inputs.cost : null;
  const list = inputs.listPrice?.currency === currency ? inputs.listPrice : null;
  const floor = marginFloor(cost, minMarginBps);
  const ceiling = markupCeiling(list, maxMarkupBps);
  const delta = shareOf(old.amount, rules.maxChangePerRunBps, 'floor');
  const limits = {
    floor,
    ceiling,
    minMarginBps,
    maxMarkupBps,
    maxChangePerRunBps: rules.maxChangePerRunBps,
    lowest: m(old.amount - delta),
    highest: m(old.amount + delta),
  };
  const decide = (
    outcome: PriceDecision['outcome'],
    price: Money,
    trail: RuleStep[],
    guardrails: GuardrailCheck[],
  ): PriceDecision => ({
    sku: inputs.sku,
    outcome,
    old,
    new: price,
    changed: price.amount !== old.amount,
    change: price.amount - old.amount,
    boundBy: [...guardrails].reverse().find((c) => c.bound)?.guardrail ?? null,
    trail,
    guardrails,
    limits,
    inputs,
    rulesVersion: rules.version ?? null,
    engine: REPRICING_ENGINE,
  });
  if (inputs.campaignLocked) {
    return decide(
      'locked',
      old,
      [],
      [
        {
          guardrail: 'campaignLock',
          bound: true,
          limit: old,
          from: old,
          to: old,
          note: 'in a live campaign: the price is left alone',
        },
      ],
    );
  }

  const trail: RuleStep[] = [];
  let price = old;
  let charmRule: CharmEndingRule | undefined;
  for (const rule of rules.rules) {
    if (rule.type === 'charmEnding') {
      charmRule = rule;
      continue;
    }
    const step = rule.type === 'lowStock' ? lowStock(rule, price, inputs) : competitor(rule, price, inputs);
    trail.push(step);
    price = step.to;
  }

  const g: Guards = {
    lowest: old.amount - delta,
    highest: old.amount + delta,
    ceiling: ceiling?.amount ?? old.amount,
    ceilingNote: ceiling
      ? `list price ${show(list as Money)} + ${pct(maxMarkupBps)}`
      : list === null && inputs.listPrice
        ? `list price not in ${currency}: never raised`
        : 'no list price: never raised',
    floor: floor?.amount ?? old.amount,
    floorNote: floor
      ? `cost ${show(cost as Money)} + ${pct(minMarginBps)} margin`
      : cost === null && inputs.cost
        ? `cost not in ${currency}: never lowered`
        : 'no cost: never lowered',
  };
  const guardrails: GuardrailCheck[] = [];
  const check = (guardrail: GuardrailName, to: number, limit: Money | null, note: string) => {
    guardrails.push({ guardrail, bound: to !== price.amount, limit, from: price, to: m(to), note });
    price = m(to);
  };
  const up = price.amount >= old.amount;
  check(
    'maxChange',
    Math.min(g.highest, Math.max(g.lowest, price.amount)),
    up ? limits.highest : limits.lowest,
    `at most ${pct(rules.maxChangePerRunBps)} of ${show(old)} per run: ${show(limits.lowest)} – ${show(limits.highest)}`,
  );
  check('ceiling', Math.min(g.ceiling, price.amount), m(g.ceiling), g.ceilingNote);
  const conflict = g.floor > g.ceiling ? `; above the ceiling ${show(m(g.ceiling))}: the floor wins` : '';
  check('floor', Math.max(g.floor, price.amount), m(g.floor), `${g.floorNote}${conflict}`);
  if (Math.abs(price.amount - old.amount) > delta) {
    // Only an old price outside floor/ceiling gets here: it is brought back at once.
    const last = guardrails.findLastIndex((c) => c.bound);
    const clipped = guardrails[last] as GuardrailCheck;
    guardrails[last] = {
      ...clipped,
      note: `${clipped.note}; the old price was outside the guardrails: brought back beyond the max change`,
    };
  }

  if (charmRule) {
    const step = charm(charmRule, price, g);
    trail.push(step);
    price = step.to;
  }
  return decide(price.amount !== old.amount ? 'changed' : 'unchanged', price, trail, guardrails);
}
