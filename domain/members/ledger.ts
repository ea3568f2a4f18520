import { type CanonicalEvent, canonicalEvent, type DetailType, type EventData } from '../events/catalog.ts';
import { type EventPublisher, toPublishable } from '../events/publisher.ts';
import type { Clock } from '../shared/clock.ts';
import { ConflictError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import type { Coupon } from './coupons.ts';
import { DEFAULT_MEMBER_POLICY, type StoredMemberPolicy } from './policy.ts';
import type { MemberRecord, MemberStore, TierChange } from './store.ts';
import {
  changeReason,
  MEMBER_RULES_VERSION,
  type TierCause,
  tierFor,
  tierRank,
  windowTotals,
} from './tiers.ts';

/**
 * Members and referrals (SPEC §7, issue #18): the member ledger's shared core. A customer is one
 * record changed by optimistic version, so the events of one customer (a paid order, a refund, a
 * registration, the nightly run) never lose each other's changes; every side effect with money
 * attached (a coupon) is a conditional put under a code derived from its cause, so it happens
 * once whatever the duplicates, retries and restarts; every event's id derives from its cause, so
 * announcing it again is a no-op downstream.
 */

export { bucketOf, MEMBER_BUCKETS } from './buckets.ts';

export const MEMBERS_ORIGIN = 'workflow:members';
/** Customers one nightly step evaluates. */
export const NIGHTLY_PAGE_SIZE = 200;
/** Tier changes a record keeps (the newest); the timeline keeps every one. */
export const TIER_HISTORY_LIMIT = 100;
const ATTEMPTS = 10;

/** How long after it was published a refund waits for its order's OrderPaid (Lambda retries it). */
export const ORDER_WAIT_SECONDS = 150;

/** A refund came before the paid order it concerns: retried, not refused. */
export class OrderNotYetKnownError extends Error {
  override readonly name = 'OrderNotYetKnown';
  constructor(readonly orderId: string) {
    super(
      `order ${orderId} is not known to the member ledger yet; retried for ${ORDER_WAIT_SECONDS} s after the event`,
    );
  }
}

export interface MemberDeps {
  readonly store: MemberStore;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
}

export const emptyMember = (customerId: string): MemberRecord => ({
  customerId,
  registeredAt: null,
  email: null,
  phone: null,
  ip: null,
  referralCode: null,
  invitation: null,
  tier: 'none',
  tierSince: null,
  tierHistory: [],
  orders: [],
  firstPaidOrder: null,
  evaluatedAt: null,
  version: 0,
});

/** An event and the cause its id derives from. */
export interface Outgoing {
  readonly event: CanonicalEvent;
  readonly id: string;
  readonly at: string;
}
export const out = <T extends DetailType>(
  detailType: T,
  data: EventData<T>,
  ...cause: string[]
): Outgoing => ({
  event: canonicalEvent(detailType, data),
  id: deterministicId(MEMBERS_ORIGIN, detailType, ...cause),
  at: (Object.entries(data as Record<string, unknown>).find(([k]) => k.endsWith('At'))?.[1] as string) ?? '',
});

const causeKey = (cause: TierCause) =>
  cause.type === 'OrderPaid'
    ? `paid:${cause.orderId}`
    : cause.type === 'RefundIssued'
      ? `refund:${cause.orderId}:${cause.refundId}`
      : cause.type === 'nightly'
        ? `nightly:${cause.run}`
        : `policy:${cause.policyVersion}`;

/** What every part of the member ledger shares: the store, the clock, the policy, publishing, the
 * versioned update of one customer, the tier evaluation, and issuing a coupon once. */
export function memberLedger(deps: MemberDeps) {
  const now = () => deps.clock.now();

  async function policy(): Promise<StoredMemberPolicy> {
    return (await deps.store.getPolicy()) ?? DEFAULT_MEMBER_POLICY;
  }

  async function publish(events: readonly Outgoing[], correlationId: string): Promise<void> {
    if (events.length === 0) return;
    await deps.publisher.publish(
      events.map((e) =>
        toPublishable(e.event, {
          eventId: e.id,
          publishedAt: e.at || now().toISOString(),
          correlationId,
          origin: MEMBERS_ORIGIN,
        }),
      ),
    );
  }

  /**
   * Changes one customer's record: `change` gets the record as stored (or a new one) and returns
   * the record to write, or null for no change. A concurrent change makes it read and decide again.
   */
  async function update(
    customerId: string,
    change: (member: MemberRecord) => MemberRecord | null | Promise<MemberRecord | null>,
  ): Promise<{ before: MemberRecord; after: MemberRecord; changed: boolean }> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const before = (await deps.store.getMember(customerId)) ?? emptyMember(customerId);
      const next = await change(before);
      if (!next) return { before, after: before, changed: false };
      if (await deps.store.putMember({ ...next, version: before.version })) {
        return { before, after: { ...next, version: before.version + 1 }, changed: true };
      }
    }
    throw new ConflictError(`customer ${customerId} kept changing while it was being updated; retried`);
  }

  /**
   * The tier the record's window reaches at `at`, and the change when it differs from the stored
   * one. Orders that left the window are dropped from the record.
   */
  function evaluate(
    member: MemberRecord,
    p: StoredMemberPolicy,
    at: Date,
    cause: TierCause,
  ): { record: MemberRecord; change: TierChange | null } {
    const totals = windowTotals(member.orders, at, p.windowMonths);
    const orders = member.orders.filter((o) => o.paidAt > totals.from);
    const tier = tierFor(p, totals.spend, totals.orders);
    const currency = p.tiers[0]!.minSpend.currency;
    const base = { ...member, orders, evaluatedAt: at.toISOString() };
    if (tier === member.tier) return { record: base, change: null };
    const change: TierChange = {
      at: at.toISOString(),
      from: member.tier,
      to: tier,
      direction: tierRank(tier) > tierRank(member.tier) ? 'up' : 'down',
      reason: changeReason(member.tier, tier, cause, totals, currency),
      cause,
      spend: { amount: totals.spend, currency },
      orders: totals.orders,
      window: { from: totals.from, to: totals.to },
      policyVersion: p.version,
      rule: MEMBER_RULES_VERSION,
      eventId: deterministicId(
        MEMBERS_ORIGIN,
        'MemberTierChanged',
        member.customerId,
        causeKey(cause),
        member.tier,
        tier,
      ),
    };
    return {
      record: {
        ...base,
        tier,
        tierSince: change.at,
        tierHistory: [...member.tierHistory, change].slice(-TIER_HISTORY_LIMIT),
      },
      change,
    };
  }

  const tierEvent = (customerId: string, c: TierChange): Outgoing => ({
    event: canonicalEvent('MemberTierChanged', {
      customerId,
      from: c.from,
      to: c.to,
      direction: c.direction,
      reason: c.reason,
      orderId: c.cause.type === 'OrderPaid' || c.cause.type === 'RefundIssued' ? c.cause.orderId : null,
      spend: c.spend,
      orders: c.orders,
      policyVersion: c.policyVersion,
      rule: c.rule,
      changedAt: c.at,
    }),
    id: c.eventId,
    at: c.at,
  });

  const couponIssued = (c: Coupon): Outgoing =>
    out(
      'CouponIssued',
      {
        code: c.code,
        customerId: c.customerId,
        amount: c.amount,
        minSpend: c.minSpend,
        source: c.source,
        ref: c.ref,
        expiresAt: c.expiresAt,
        issuedAt: c.issuedAt,
      },
      c.code,
    );

  const newCoupon = (
    fields: Pick<Coupon, 'code' | 'customerId' | 'amount' | 'source' | 'ref' | 'issuedAt'> &
      Partial<Pick<Coupon, 'expiresAt' | 'minSpend'>>,
  ): Coupon => ({
    minSpend: { amount: 0, currency: fields.amount.currency },
    expiresAt: null,
    status: 'open',
    redeemedAt: null,
    orderId: null,
    redeemedVia: null,
    cancelledAt: null,
    cancelReason: null,
    ...fields,
  });

  /** Makes a coupon once; the stored one (this or an earlier call's) is announced. */
  async function issue(coupon: Coupon): Promise<Coupon> {
    await deps.store.createCoupon(coupon);
    return (await deps.store.getCoupon(coupon.code)) ?? coupon;
  }

  return { deps, now, policy, publish, update, evaluate, tierEvent, couponIssued, newCoupon, issue };
}

export type MemberLedger = ReturnType<typeof memberLedger>;
