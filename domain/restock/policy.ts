import { isCalendarDate, isTimeZone } from '../shared/calendar.ts';
import { ValidationError } from '../shared/errors.ts';
import { type Money, NonNegativeMoneySchema, PositiveMoneySchema } from '../shared/money.ts';
import { idSchema } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';

/**
 * The store's restock policy (SPEC §3, docs/rules/restock.md). Every number is a default the
 * store can change with `PUT /api/restock-policy`; each change is a new version, and a purchase
 * order's decision records the version it ran under (a later change never alters it).
 */

/** A demand factor in basis points of 1 (10 000 = ×1.0): exact, so decisions are reproducible. */
export type FactorBps = number;

export interface PromotionUplift {
  /** Exactly one of sku / category. */
  readonly sku?: string | undefined;
  readonly category?: string | undefined;
  /** First and last calendar day of the promotion (store time zone), inclusive. */
  readonly from: string;
  readonly to: string;
  readonly factorBps: FactorBps;
}

export interface RestockPolicy {
  readonly timeZone: string;
  /** Store time of the nightly sweep, on a quarter hour (`02:00`). */
  readonly sweepAt: string;
  readonly safetyDaysTopTen: number;
  readonly safetyDaysDefault: number;
  readonly coverageDays: number;
  /** A purchase order above this total waits for a person's approval. */
  readonly approvalThreshold: Money;
  readonly approvalHours: number;
  /** category → month (1–12) → factor. */
  readonly seasonalFactors: Readonly<Record<string, Readonly<Record<string, FactorBps>>>>;
  readonly promotionUplift: readonly PromotionUplift[];
  /** Purchases this year above this get the volume terms (SPEC §3: 5,000,000 CNY). */
  readonly volumeThreshold: Money;
  /** Payment terms instead of 30 days above the volume threshold. */
  readonly volumeTermsDays: number;
  /** Rebate recorded on a purchase order above the volume threshold (200 = 2%). */
  readonly volumeRebateBps: number;
  /** Payment terms of strategic suppliers that configure none. */
  readonly strategicTermsDays: number;
}

export interface VersionedPolicy extends RestockPolicy {
  readonly version: number;
  readonly updatedAt: string | null;
}

/** SPEC §3's defaults; the policy a store has before it sets one. */
export const RESTOCK_POLICY_DEFAULTS: RestockPolicy = {
  timeZone: 'Asia/Shanghai',
  sweepAt: '02:00',
  safetyDaysTopTen: 7,
  safetyDaysDefault: 3,
  coverageDays: 14,
  approvalThreshold: { amount: 5_000_000, currency: 'CNY' },
  approvalHours: 48,
  seasonalFactors: {},
  promotionUplift: [],
  volumeThreshold: { amount: 500_000_000, currency: 'CNY' },
  volumeTermsDays: 45,
  volumeRebateBps: 200,
  strategicTermsDays: 60,
};

/** The policy in force before any `PUT`: version 0. */
export const DEFAULT_POLICY: VersionedPolicy = { ...RESTOCK_POLICY_DEFAULTS, version: 0, updatedAt: null };

const days = (max: number) =>
  z
    .int('must be a whole number of days')
    .check(z.nonnegative('must not be negative'), z.maximum(max, `must be at most ${max} days`));

/** A factor such as 1.2, at most four decimals, 0–100. */
const factor = z.number('must be a number such as 1.2').check(
  z.minimum(0, 'must not be negative'),
  z.maximum(100, 'must be at most 100'),
  z.refine((v) => Math.abs(v * 10_000 - Math.round(v * 10_000)) < 1e-6, 'must have at most 4 decimals'),
);
const toBps = (v: number) => Math.round(v * 10_000);
const fromBps = (bps: number) => bps / 10_000;

const calendarDate = z
  .string('must be a date such as 2026-11-11')
  .check(z.refine(isCalendarDate, 'must be a date such as 2026-11-11'));

const PromotionSchema = z.strictObject({
  sku: z.optional(idSchema()),
  category: z.optional(idSchema()),
  from: calendarDate,
  to: calendarDate,
  factor,
});

/** What `PUT /api/restock-policy` accepts: any field left out keeps its default. */
export const RestockPolicyBodySchema = z.strictObject({
  version: z.optional(z.unknown()),
  updatedAt: z.optional(z.unknown()),
  timeZone: z.optional(
    z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')),
  ),
  sweepAt: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^([01]\d|2[0-3]):(00|15|30|45)$/,
          'must be a store time on the quarter hour such as 02:00 or 02:15',
        ),
      ),
  ),
  safetyDaysTopTen: z.optional(days(365)),
  safetyDaysDefault: z.optional(days(365)),
  coverageDays: z.optional(days(365)),
  approvalThreshold: z.optional(NonNegativeMoneySchema),
  approvalHours: z.optional(
    z
      .int('must be a whole number of hours')
      .check(z.minimum(1, 'must be at least 1 hour'), z.maximum(24 * 365, 'must be at most 8760 hours')),
  ),
  seasonalFactors: z.optional(
    z.record(
      idSchema(),
      // partialRecord: a category sets the months it needs (a record over an enum wants all 12).
      z.partialRecord(
        z.enum(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'], 'must be a month 1–12'),
        factor,
      ),
    ),
  ),
  promotionUplift: z.optional(
    z.array(PromotionSchema).check(z.maxLength(500, 'must have at most 500 promotions')),
  ),
  volumeThreshold: z.optional(PositiveMoneySchema),
  volumeTermsDays: z.optional(days(365)),
  volumeRebateBps: z.optional(
    z
      .int('must be whole basis points')
      .check(z.nonnegative('must not be negative'), z.maximum(10_000, 'must be at most 10000 (100%)')),
  ),
  strategicTermsDays: z.optional(days(365)),
});

/** A `PUT` body → the policy it describes (defaults for what it leaves out); 400 naming each field. */
export function parseRestockPolicy(body: unknown): RestockPolicy {
  const parsed = parseOrThrow(RestockPolicyBodySchema, body);
  const issues: Array<{ field: string; reason: string }> = [];
  const promotions = (parsed.promotionUplift ?? []).map((p, i): PromotionUplift => {
    if ((p.sku === undefined) === (p.category === undefined)) {
      issues.push({ field: `promotionUplift.${i}`, reason: 'must name exactly one of sku or category' });
    }
    if (p.to < p.from)
      issues.push({ field: `promotionUplift.${i}.to`, reason: `must not be before from (${p.from})` });
    return { sku: p.sku, category: p.category, from: p.from, to: p.to, factorBps: toBps(p.factor) };
  });
  if (issues.length) throw new ValidationError(issues);
  const seasonalFactors = Object.fromEntries(
    Object.entries(parsed.seasonalFactors ?? {}).map(([category, months]) => [
      category,
      Object.fromEntries(Object.entries(months).map(([m, f]) => [m, toBps(f)])),
    ]),
  );
  const d = RESTOCK_POLICY_DEFAULTS;
  return {
    timeZone: parsed.timeZone ?? d.timeZone,
    sweepAt: parsed.sweepAt ?? d.sweepAt,
    safetyDaysTopTen: parsed.safetyDaysTopTen ?? d.safetyDaysTopTen,
    safetyDaysDefault: parsed.safetyDaysDefault ?? d.safetyDaysDefault,
    coverageDays: parsed.coverageDays ?? d.coverageDays,
    approvalThreshold: parsed.approvalThreshold ?? d.approvalThreshold,
    approvalHours: parsed.approvalHours ?? d.approvalHours,
    seasonalFactors,
    promotionUplift: promotions,
    volumeThreshold: parsed.volumeThreshold ?? d.volumeThreshold,
    volumeTermsDays: parsed.volumeTermsDays ?? d.volumeTermsDays,
    volumeRebateBps: parsed.volumeRebateBps ?? d.volumeRebateBps,
    strategicTermsDays: parsed.strategicTermsDays ?? d.strategicTermsDays,
  };
}

/** The policy as the API shows it: factors as numbers (1.2), as the store wrote them. */
export function policyView(policy: VersionedPolicy) {
  return {
    ...policy,
    seasonalFactors: Object.fromEntries(
      Object.entries(policy.seasonalFactors).map(([c, months]) => [
        c,
        Object.fromEntries(Object.entries(months).map(([m, f]) => [m, fromBps(f)])),
      ]),
    ),
    promotionUplift: policy.promotionUplift.map(({ factorBps, ...p }) => ({
      ...(p.sku !== undefined ? { sku: p.sku } : { category: p.category }),
      from: p.from,
      to: p.to,
      factor: fromBps(factorBps),
    })),
  };
}
