import { isTimeZone } from '../shared/calendar.ts';
import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { toFieldIssues } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';

/**
 * The store's repricing rules (SPEC §6, docs/rules/repricing.md): what `PUT /api/pricing-rules`
 * sets. Every number is a default the store can change; each change is a new version, and every
 * price decision records the version it ran under (a run snapshots the rules when it starts).
 */

/** The version of the repricing engine (the rules' meaning), recorded in every decision. */
export const REPRICING_ENGINE = 'pricing/1';

export const PRICING_RULE_TYPES = ['lowStock', 'competitor', 'charmEnding'] as const;
export type PricingRuleType = (typeof PRICING_RULE_TYPES)[number];

/** While stock is low, raise the price by `raiseBps` — never to more than the list price + `raiseBps`. */
export interface LowStockRule {
  readonly type: 'lowStock';
  readonly enabled: boolean;
  /** Low stock: units on hand strictly below this. */
  readonly below: number;
  readonly raiseBps: number;
}

/**
 * Move toward the lowest fresh competitor price: each run closes `towardBps` of the gap (10 000 =
 * match it at once). Following a competitor down stops at `floorBps` of the list price (9 000 =
 * never below 90 % of list; null = no such stop, the margin floor still applies). Observations
 * older than `maxAgeHours` at the run are ignored.
 */
export interface CompetitorRule {
  readonly type: 'competitor';
  readonly enabled: boolean;
  readonly towardBps: number;
  readonly floorBps: number | null;
  readonly maxAgeHours: number;
}

/**
 * Last: a price ending — the major unit's last digit is `ending` and the minor units are zero
 * (ending 9: 100.00 → 99.00, 123.45 → 119.00 or 129.00, whichever is nearer) — when that moves the
 * price at most `toleranceBps` and keeps it inside the guardrails; otherwise the price is left.
 */
export interface CharmEndingRule {
  readonly type: 'charmEnding';
  readonly enabled: boolean;
  readonly ending: number;
  readonly toleranceBps: number;
}

export type PricingRule = LowStockRule | CompetitorRule | CharmEndingRule;

export interface PricingRules {
  /** The store's time zone: the hourly runs are at the top of each of its hours. */
  readonly timeZone: string;
  readonly schedule: 'hourly';
  /** Applied in this order; each type at most once; a charm ending, if listed, last. */
  readonly rules: readonly PricingRule[];
  /** A run moves a price at most this much (of the old price). */
  readonly maxChangePerRunBps: number;
  /** Floor = cost × (1 + min margin), for SKUs that set none. */
  readonly defaultMinMarginBps: number;
  /** Ceiling = list price × (1 + max markup), for SKUs that set none. */
  readonly defaultMaxMarkupBps: number;
}

export interface VersionedPricingRules extends PricingRules {
  /** 0 for the defaults, then 1, 2, … one per `PUT`. */
  readonly version: number;
  readonly updatedAt: string | null;
}

/** Rules to use in a decision: stored (versioned) or tried in a dry run / what-if (`version` null). */
export type RulesInForce = PricingRules & { readonly version?: number | null | undefined };

export const LOW_STOCK_DEFAULTS: LowStockRule = {
  type: 'lowStock',
  enabled: true,
  below: 50,
  raiseBps: 1_000,
};
export const COMPETITOR_DEFAULTS: CompetitorRule = {
  type: 'competitor',
  enabled: true,
  towardBps: 5_000,
  floorBps: null,
  maxAgeHours: 168,
};
export const CHARM_ENDING_DEFAULTS: CharmEndingRule = {
  type: 'charmEnding',
  enabled: true,
  ending: 9,
  toleranceBps: 200,
};

/**
 * SPEC §6's numbers. The rules are listed but switched off until the store switches them on: a
 * fresh install never moves a price on its own (a `PUT` that lists a rule switches it on unless it
 * says `"enabled": false`).
 */
export const PRICING_RULES_DEFAULTS: PricingRules = {
  timeZone: 'Asia/Shanghai',
  schedule: 'hourly',
  rules: [
    { ...LOW_STOCK_DEFAULTS, enabled: false },
    { ...COMPETITOR_DEFAULTS, enabled: false },
    { ...CHARM_ENDING_DEFAULTS, enabled: false },
  ],
  maxChangePerRunBps: 1_500,
  defaultMinMarginBps: 1_000,
  defaultMaxMarkupBps: 2_000,
};

/** The rules in force before any `PUT`: version 0. */
export const DEFAULT_PRICING_RULES: VersionedPricingRules = {
  ...PRICING_RULES_DEFAULTS,
  version: 0,
  updatedAt: null,
};

/** Largest margin or markup: 1000 % (a cost of 10.00 may sell for up to 110.00 at 100 000 bps). */
export const MAX_MARGIN_BPS = 100_000;

const bps = (max: number, min = 0) =>
  z
    .int('must be whole basis points (100 = 1%)')
    .check(
      z.minimum(min, min === 0 ? 'must not be negative' : `must be at least ${min}`),
      z.maximum(max, `must be at most ${max} (${max / 100}%)`),
    );

const enabled = z.optional(z.boolean('must be true or false'));

const LowStockSchema = z.strictObject({
  type: z.literal('lowStock'),
  enabled,
  below: z.optional(
    z
      .int('must be a whole number of units')
      .check(z.minimum(1, 'must be at least 1'), z.maximum(1_000_000_000, 'must be at most 1000000000')),
  ),
  raiseBps: z.optional(bps(10_000, 1)),
});

const CompetitorSchema = z.strictObject({
  type: z.literal('competitor'),
  enabled,
  towardBps: z.optional(bps(10_000, 1)),
  floorBps: z.optional(z.nullable(bps(10_000, 1))),
  maxAgeHours: z.optional(
    z
      .int('must be a whole number of hours')
      .check(
        z.minimum(1, 'must be at least 1 hour'),
        z.maximum(24 * 90, 'must be at most 2160 hours (90 days)'),
      ),
  ),
});

const CharmEndingSchema = z.strictObject({
  type: z.literal('charmEnding'),
  enabled,
  ending: z.optional(
    z
      .int('must be a digit 0–9')
      .check(z.minimum(0, 'must be a digit 0–9'), z.maximum(9, 'must be a digit 0–9')),
  ),
  toleranceBps: z.optional(bps(5_000)),
});

const RULE_SCHEMAS = {
  lowStock: LowStockSchema,
  competitor: CompetitorSchema,
  charmEnding: CharmEndingSchema,
};

const PricingRulesBodySchema = z.strictObject({
  version: z.optional(z.unknown()),
  updatedAt: z.optional(z.unknown()),
  timeZone: z.optional(
    z
      .string('must be an IANA time zone such as Asia/Shanghai')
      .check(z.refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')),
  ),
  schedule: z.optional(z.literal('hourly', 'must be "hourly" (the only schedule)')),
  rules: z.optional(z.unknown()),
  maxChangePerRunBps: z.optional(bps(10_000, 1)),
  defaultMinMarginBps: z.optional(bps(MAX_MARGIN_BPS)),
  defaultMaxMarkupBps: z.optional(bps(MAX_MARGIN_BPS)),
});

const TypeSchema = z.object({
  type: z.enum(PRICING_RULE_TYPES, `must be one of ${PRICING_RULE_TYPES.join(', ')}`),
});

function parseRule(value: unknown, field: string, issues: FieldIssue[]): PricingRule | undefined {
  const typed = TypeSchema.safeParse(value);
  if (!typed.success) {
    issues.push(...toFieldIssues(typed.error, field));
    return undefined;
  }
  const parsed = RULE_SCHEMAS[typed.data.type].safeParse(value);
  if (!parsed.success) {
    issues.push(...toFieldIssues(parsed.error, field));
    return undefined;
  }
  const r = parsed.data;
  const on = r.enabled ?? true;
  switch (r.type) {
    case 'lowStock':
      return {
        type: r.type,
        enabled: on,
        below: r.below ?? LOW_STOCK_DEFAULTS.below,
        raiseBps: r.raiseBps ?? LOW_STOCK_DEFAULTS.raiseBps,
      };
    case 'competitor':
      return {
        type: r.type,
        enabled: on,
        towardBps: r.towardBps ?? COMPETITOR_DEFAULTS.towardBps,
        floorBps: r.floorBps ?? null,
        maxAgeHours: r.maxAgeHours ?? COMPETITOR_DEFAULTS.maxAgeHours,
      };
    case 'charmEnding':
      return {
        type: r.type,
        enabled: on,
        ending: r.ending ?? CHARM_ENDING_DEFAULTS.ending,
        toleranceBps: r.toleranceBps ?? CHARM_ENDING_DEFAULTS.toleranceBps,
      };
  }
}

/**
 * A `PUT /api/pricing-rules` body → the rules it describes (defaults for what it leaves out; a rule
 * left out of a `rules` list is off). 400 naming each failing field: `rules.1.towardBps: …`.
 * `prefix` names the body inside a larger one (`rules` of a what-if request).
 */
export function parsePricingRules(body: unknown, prefix?: string): PricingRules {
  const name = (field: string) => [prefix, field].filter(Boolean).join('.');
  const result = PricingRulesBodySchema.safeParse(body);
  const issues: FieldIssue[] = result.success ? [] : toFieldIssues(result.error, prefix);
  const listed = (body as { rules?: unknown } | null)?.rules;
  const rules = listed === undefined ? [...PRICING_RULES_DEFAULTS.rules] : parseRules(listed, name, issues);
  if (issues.length || !result.success) throw new ValidationError(issues);
  const parsed = result.data;
  const d = PRICING_RULES_DEFAULTS;
  return {
    timeZone: parsed.timeZone ?? d.timeZone,
    schedule: 'hourly',
    rules,
    maxChangePerRunBps: parsed.maxChangePerRunBps ?? d.maxChangePerRunBps,
    defaultMinMarginBps: parsed.defaultMinMarginBps ?? d.defaultMinMarginBps,
    defaultMaxMarkupBps: parsed.defaultMaxMarkupBps ?? d.defaultMaxMarkupBps,
  };
}

/** The `rules` list: each type at most once, a charm ending last; every failing field named. */
function parseRules(listed: unknown, name: (field: string) => string, issues: FieldIssue[]): PricingRule[] {
  if (!Array.isArray(listed)) {
    issues.push({ field: name('rules'), reason: 'must be a list of rules' });
    return [];
  }
  if (listed.length > PRICING_RULE_TYPES.length) {
    issues.push({
      field: name('rules'),
      reason: `must have at most ${PRICING_RULE_TYPES.length} rules (one of each type)`,
    });
    return [];
  }
  const rules: PricingRule[] = [];
  const seen = new Map<PricingRuleType, number>();
  listed.forEach((value, i) => {
    const rule = parseRule(value, name(`rules.${i}`), issues);
    if (!rule) return;
    const first = seen.get(rule.type);
    if (first !== undefined) {
      issues.push({ field: name(`rules.${i}.type`), reason: `${rule.type} is already rule ${first}` });
      return;
    }
    seen.set(rule.type, i);
    rules.push(rule);
  });
  const charm = seen.get('charmEnding');
  if (charm !== undefined && charm !== listed.length - 1) {
    issues.push({
      field: name(`rules.${charm}.type`),
      reason:
        'charmEnding must be the last rule (SPEC §0: the price ending applies after percentage changes)',
    });
  }
  return rules;
}

/** The rule of a type, when listed. */
export function ruleOf<T extends PricingRuleType>(
  rules: PricingRules,
  type: T,
): Extract<PricingRule, { type: T }> | undefined {
  return rules.rules.find((r): r is Extract<PricingRule, { type: T }> => r.type === type);
}
