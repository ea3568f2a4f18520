import { isTimeZone } from '../shared/calendar.ts';
import { ValidationError } from '../shared/errors.ts';
import { type Money, NonNegativeMoneySchema } from '../shared/money.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';

/**
 * The member policy (SPEC §7, issue #18, docs/rules/members.md): the tiers, the new-user perks and
 * the referral terms. Every number is a default the store changes with `PUT /api/member-policy`;
 * each change is a new version, and every tier change records the version it was decided under.
 */

export const TIER_NAMES = ['silver', 'gold', 'diamond'] as const;
export type TierName = (typeof TIER_NAMES)[number];
/** A customer below every tier. */
export type TierOrNone = TierName | 'none';

export interface TierTerms {
  readonly name: TierName;
  /** Spend in the window (net of refunds and discounts) that reaches the tier, inclusive. */
  readonly minSpend: Money;
  /** Paid orders in the window (a fully refunded order does not count), inclusive. */
  readonly minOrders: number;
  /** Member discount in a quote, basis points of the price (500 = 5%). */
  readonly discountBps: number;
  readonly freeShipping: boolean;
  readonly dedicatedSupport: boolean;
  /** SLA compensation multiplier, 10 000 = ×1.0. */
  readonly slaMultiplierBps: number;
}

export interface MemberPolicy {
  /** The trailing window tiers are measured over, in months. */
  readonly windowMonths: number;
  /** The store's time zone: the nightly run, leaderboard months and years, the 1 January grant. */
  readonly timeZone: string;
  /** Store time of the nightly re-evaluation (on a quarter hour). */
  readonly nightlyAt: string;
  /** silver, gold, diamond: each higher tier needs at least as much spend and as many orders. */
  readonly tiers: readonly TierTerms[];
  readonly newUser: {
    /** The first order's free-shipping zone: items up to this price ship free. */
    readonly freeShippingZoneMax: Money;
    readonly noReasonReturnDays: number;
    readonly shippingInsurance: boolean;
  };
  readonly referral: {
    /** A no-threshold coupon each to inviter and invitee once the invitee's first order is paid. */
    readonly reward: Money;
    /** How many inviters the leaderboard shows, and how many earn the annual free order. */
    readonly leaderboardTop: number;
    /** More rewarded referrals than this from one IP in a week are held for review. */
    readonly maxPerIpPerWeek: number;
    /** The annual free-order benefit: a coupon worth up to this much. */
    readonly annualFreeOrderMax: Money;
  };
}

export interface StoredMemberPolicy extends MemberPolicy {
  readonly version: number;
  readonly updatedAt: string | null;
}

const cny = (amount: number): Money => ({ amount, currency: 'CNY' });

/** SPEC §7's defaults (thresholds chosen for a CNY store; the store configures its own). */
export const MEMBER_POLICY_DEFAULTS: MemberPolicy = {
  windowMonths: 12,
  timeZone: 'Asia/Shanghai',
  nightlyAt: '03:00',
  tiers: [
    {
      name: 'silver',
      minSpend: cny(100_000),
      minOrders: 2,
      discountBps: 200,
      freeShipping: false,
      dedicatedSupport: false,
      slaMultiplierBps: 12_000,
    },
    {
      name: 'gold',
      minSpend: cny(500_000),
      minOrders: 5,
      discountBps: 500,
      freeShipping: true,
      dedicatedSupport: false,
      slaMultiplierBps: 15_000,
    },
    {
      name: 'diamond',
      minSpend: cny(2_000_000),
      minOrders: 12,
      discountBps: 1_000,
      freeShipping: true,
      dedicatedSupport: true,
      slaMultiplierBps: 20_000,
    },
  ],
  newUser: { freeShippingZoneMax: cny(990), noReasonReturnDays: 7, shippingInsurance: true },
  referral: {
    reward: cny(2_000),
    leaderboardTop: 10,
    maxPerIpPerWeek: 10,
    annualFreeOrderMax: cny(20_000),
  },
};

export const DEFAULT_MEMBER_POLICY: StoredMemberPolicy = {
  ...MEMBER_POLICY_DEFAULTS,
  version: 0,
  updatedAt: null,
};

const whole = (min: number, max: number, what = 'a whole number') =>
  z
    .int(`must be ${what}`)
    .check(
      z.minimum(min, `must be at least ${min}`),
      z.maximum(max, `must be at most ${max.toLocaleString('en')}`),
    );
const bps = whole(0, 10_000, 'whole basis points');
const money = NonNegativeMoneySchema;

const TierSchema = z.object({
  name: z.enum(TIER_NAMES, 'must be silver, gold or diamond'),
  minSpend: money,
  minOrders: whole(0, 100_000),
  discountBps: bps,
  freeShipping: z.boolean(),
  dedicatedSupport: z.boolean(),
  slaMultiplierBps: whole(10_000, 100_000, 'whole basis points (10 000 = ×1.0)'),
});

const PolicySchema = z.object({
  windowMonths: z._default(whole(1, 60, 'a whole number of months'), MEMBER_POLICY_DEFAULTS.windowMonths),
  timeZone: z._default(
    z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')),
    MEMBER_POLICY_DEFAULTS.timeZone,
  ),
  nightlyAt: z._default(
    z.string().check(z.regex(/^([01]\d|2[0-3]):(00|15|30|45)$/, 'must be HH:MM on a quarter hour')),
    MEMBER_POLICY_DEFAULTS.nightlyAt,
  ),
  tiers: z._default(
    z.array(TierSchema).check(z.length(3, 'must list silver, gold and diamond once each')),
    MEMBER_POLICY_DEFAULTS.tiers as TierTerms[],
  ),
  newUser: z._default(
    z.object({
      freeShippingZoneMax: z._default(money, MEMBER_POLICY_DEFAULTS.newUser.freeShippingZoneMax),
      noReasonReturnDays: z._default(whole(0, 90, 'a whole number of days'), 7),
      shippingInsurance: z._default(z.boolean(), true),
    }),
    MEMBER_POLICY_DEFAULTS.newUser,
  ),
  referral: z._default(
    z.object({
      reward: z._default(money, MEMBER_POLICY_DEFAULTS.referral.reward),
      leaderboardTop: z._default(whole(1, 100), 10),
      maxPerIpPerWeek: z._default(whole(1, 10_000), 10),
      annualFreeOrderMax: z._default(money, MEMBER_POLICY_DEFAULTS.referral.annualFreeOrderMax),
    }),
    MEMBER_POLICY_DEFAULTS.referral,
  ),
});

/**
 * A policy from `PUT /api/member-policy`: omitted sections take the defaults. Tiers are listed
 * silver, gold, diamond, each asking at least what the one below asks (so a tier is monotone in
 * spend and orders), and every amount is in one currency.
 */
export function parseMemberPolicy(body: unknown): MemberPolicy {
  const policy = parseOrThrow(PolicySchema, body) as MemberPolicy;
  policy.tiers.forEach((tier, i) => {
    if (tier.name !== TIER_NAMES[i]) {
      throw ValidationError.field(
        `tiers.${i}.name`,
        `must be ${TIER_NAMES[i]} (silver, gold, diamond in order)`,
      );
    }
    const below = policy.tiers[i - 1];
    if (!below) return;
    if (tier.minSpend.amount < below.minSpend.amount) {
      throw ValidationError.field(`tiers.${i}.minSpend`, `must be at least ${below.name}'s minSpend`);
    }
    if (tier.minOrders < below.minOrders) {
      throw ValidationError.field(`tiers.${i}.minOrders`, `must be at least ${below.name}'s minOrders`);
    }
  });
  const currency = policy.tiers[0]!.minSpend.currency;
  const amounts: Array<[string, Money]> = [
    ...policy.tiers.map((t, i): [string, Money] => [`tiers.${i}.minSpend`, t.minSpend]),
    ['newUser.freeShippingZoneMax', policy.newUser.freeShippingZoneMax],
    ['referral.reward', policy.referral.reward],
    ['referral.annualFreeOrderMax', policy.referral.annualFreeOrderMax],
  ];
  for (const [field, m] of amounts) {
    if (m.currency !== currency)
      throw ValidationError.field(`${field}.currency`, `must be ${currency} like the tiers`);
  }
  return policy;
}

export const tierTerms = (policy: MemberPolicy, name: TierOrNone): TierTerms | undefined =>
  policy.tiers.find((t) => t.name === name);
