import type { Money } from '../shared/money.ts';
import type { Coupon } from './coupons.ts';
import type { LeaderboardEntry } from './leaderboard.ts';
import type { MemberPolicy, StoredMemberPolicy, TierOrNone } from './policy.ts';
import type { ReferralStatus } from './referrals.ts';
import type { LedgerOrder, TierCause } from './tiers.ts';

/** A paid order in the member's window, with the refunds already counted against it. */
export interface MemberOrder extends LedgerOrder {
  readonly currency: string;
  readonly refunds: readonly string[];
}

/** One change of tier, as the receipt keeps it (its event id makes re-announcing it a no-op). */
export interface TierChange {
  readonly at: string;
  readonly from: TierOrNone;
  readonly to: TierOrNone;
  readonly direction: 'up' | 'down';
  readonly reason: string;
  readonly cause: TierCause;
  readonly spend: Money;
  readonly orders: number;
  readonly window: { readonly from: string; readonly to: string };
  readonly policyVersion: number;
  readonly rule: string;
  readonly eventId: string;
}

export interface Invitation {
  readonly inviterId: string | null;
  readonly code: string;
  readonly status: ReferralStatus;
  readonly reason: string | null;
  /** The invitee's first paid order that decided the referral. */
  readonly orderId: string | null;
  readonly paidAt: string | null;
  readonly decidedAt: string | null;
  readonly ip: string | null;
}

/** A customer as the member ledger keeps them: one item, changed by optimistic version. */
export interface MemberRecord {
  readonly customerId: string;
  readonly registeredAt: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly ip: string | null;
  readonly referralCode: string | null;
  readonly invitation: Invitation | null;
  readonly tier: TierOrNone;
  readonly tierSince: string | null;
  readonly tierHistory: readonly TierChange[];
  /** Paid orders still in the window (older ones are dropped when they leave it). */
  readonly orders: readonly MemberOrder[];
  readonly firstPaidOrder: { readonly orderId: string; readonly paidAt: string } | null;
  readonly evaluatedAt: string | null;
  /** 0 for a record not stored yet. */
  readonly version: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly cursor: string | null;
}

/** The annual grant of one year, decided once: the winners as ranked at the first grant. */
export interface AnnualGrant {
  readonly year: string;
  readonly decidedAt: string;
  readonly winners: ReadonlyArray<{ customerId: string; rank: number; rewarded: number; reachedAt: string }>;
}

/** The member ledger on the single table (adapters/dynamodb/members-store.ts). */
export interface MemberStore {
  getPolicy(): Promise<StoredMemberPolicy | null>;
  /** A new version when the current one is still `expectedVersion` (null: none yet); null on a race. */
  savePolicy(
    policy: MemberPolicy,
    expectedVersion: number | null,
    at: string,
  ): Promise<StoredMemberPolicy | null>;

  getMember(customerId: string): Promise<MemberRecord | null>;
  /** Writes the record when its stored version is still `record.version` (0: not stored); false on a race. */
  putMember(record: MemberRecord): Promise<boolean>;
  /** The buckets that hold at least one customer (the nightly run fans out over these only). */
  bucketsInUse(): Promise<number[]>;
  /** A page of the customers of a catalog bucket (the nightly fan-out). */
  listBucket(bucket: number, cursor: string | null, limit: number): Promise<Page<MemberRecord>>;

  /** The customer an order belongs to (for refunds, which carry none). */
  orderCustomer(orderId: string): Promise<string | null>;
  linkOrder(orderId: string, customerId: string): Promise<void>;

  /** The customer a referral code belongs to. */
  codeOwner(code: string): Promise<string | null>;
  /** Claims a code for the customer; returns its owner (the customer, or whoever had it). */
  claimCode(code: string, customerId: string): Promise<string>;

  /** Puts a coupon unless one with its code exists; true when this call made it. */
  createCoupon(coupon: Coupon): Promise<boolean>;
  getCoupon(code: string): Promise<Coupon | null>;
  listCoupons(customerId: string): Promise<Coupon[]>;
  /** open (and unexpired at `at`) → redeemed by `orderId`, one conditional write; null when not open. */
  redeemCoupon(code: string, orderId: string, at: string, via: 'api' | 'shopify'): Promise<Coupon | null>;
  /** open → cancelled; null when it was not open. */
  cancelCoupon(code: string, at: string, reason: string): Promise<Coupon | null>;

  /**
   * Counts a rewarded referral against its IP's week: true when the invitee is counted (already,
   * or now, under `max`), false when the week is full.
   */
  countIpReferral(ip: string, week: string, inviteeId: string, max: number): Promise<boolean>;

  /** Adds (idempotently) an invitee to an inviter's count for a period (`2026-12`, `2026`). */
  addToLeaderboard(period: string, inviterId: string, inviteeId: string, at: string): Promise<void>;
  removeFromLeaderboard(period: string, inviterId: string, inviteeId: string): Promise<void>;
  leaderboard(period: string): Promise<LeaderboardEntry[]>;

  getAnnualGrant(year: string): Promise<AnnualGrant | null>;
  /** Records the year's winners once; returns the grant as stored (the first one wins). */
  decideAnnualGrant(grant: AnnualGrant): Promise<AnnualGrant>;
}
