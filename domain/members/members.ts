import { type CanonicalEvent, canonicalEvent, type DetailType, type EventData } from '../events/catalog.ts';
import { type EventPublisher, toPublishable } from '../events/publisher.ts';
import { localDate, localTime, zonedInstant } from '../shared/calendar.ts';
import type { Clock } from '../shared/clock.ts';
import type { CouponView, CustomerPerks } from '../shared/customer-perks.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import { idSchema, instantSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { type Coupon, couponCode, couponView, redeemDecision } from './coupons.ts';
import { type Period, periodKey, previousYear, rank } from './leaderboard.ts';
import { couponViewOf, perksOf } from './perks.ts';
import { DEFAULT_MEMBER_POLICY, parseMemberPolicy, type StoredMemberPolicy, tierTerms } from './policy.ts';
import {
  heldReason,
  referralAtRegistration,
  referralCodeFor,
  referralOnPaidOrder,
  refundCancelsReferral,
  weekOf,
} from './referrals.ts';
import type { Invitation, MemberOrder, MemberRecord, MemberStore, TierChange } from './store.ts';
import {
  changeReason,
  MEMBER_RULES_VERSION,
  nextTierNeeds,
  type TierCause,
  tierFor,
  tierRank,
  windowTotals,
} from './tiers.ts';

/**
 * Members and referrals (SPEC §7, issue #18): the member ledger's use cases. A customer is one
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
interface Outgoing {
  readonly event: CanonicalEvent;
  readonly id: string;
  readonly at: string;
}
const out = <T extends DetailType>(detailType: T, data: EventData<T>, ...cause: string[]): Outgoing => ({
  event: canonicalEvent(detailType, data),
  id: deterministicId(MEMBERS_ORIGIN, detailType, ...cause),
  at: (Object.entries(data as Record<string, unknown>).find(([k]) => k.endsWith('At'))?.[1] as string) ?? '',
});

const RedeemBody = z.object({ orderId: idSchema() });
const LeaderboardQuery = z.object({
  period: z._default(z.enum(['month', 'year'], 'must be month or year'), 'month'),
  at: z.optional(instantSchema()),
  limit: z.optional(
    z.coerce
      .number('must be a number from 1 to 100')
      .check(z.int('must be a whole number'), z.minimum(1), z.maximum(100)),
  ),
});

const causeKey = (cause: TierCause) =>
  cause.type === 'OrderPaid'
    ? `paid:${cause.orderId}`
    : cause.type === 'RefundIssued'
      ? `refund:${cause.orderId}:${cause.refundId}`
      : cause.type === 'nightly'
        ? `nightly:${cause.run}`
        : `policy:${cause.policyVersion}`;

export function members(deps: MemberDeps) {
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

  // --- referral rewards -------------------------------------------------------------------------

  const referralCoupons = (inviteeId: string) => ({
    inviter: couponCode('referral', inviteeId, 'inviter'),
    invitee: couponCode('referral', inviteeId, 'invitee'),
  });

  /** The rewarded referral's side effects: two coupons, the leaderboards, the events (all idempotent). */
  async function reward(
    invitee: MemberRecord,
    invitation: Invitation,
    p: StoredMemberPolicy,
  ): Promise<Outgoing[]> {
    const at = invitation.decidedAt!;
    const codes = referralCoupons(invitee.customerId);
    const ref = { type: 'referral', id: invitee.customerId };
    const inviterCoupon = await issue(
      newCoupon({
        code: codes.inviter,
        customerId: invitation.inviterId!,
        amount: p.referral.reward,
        source: 'referral',
        ref,
        issuedAt: at,
      }),
    );
    const inviteeCoupon = await issue(
      newCoupon({
        code: codes.invitee,
        customerId: invitee.customerId,
        amount: p.referral.reward,
        source: 'referral',
        ref,
        issuedAt: at,
      }),
    );
    for (const period of ['month', 'year'] as const) {
      await deps.store.addToLeaderboard(
        periodKey(period, new Date(at), p.timeZone),
        invitation.inviterId!,
        invitee.customerId,
        at,
      );
    }
    return [
      out(
        'ReferralRewarded',
        {
          inviterId: invitation.inviterId!,
          inviteeId: invitee.customerId,
          orderId: invitation.orderId!,
          reward: p.referral.reward,
          inviterCoupon: codes.inviter,
          inviteeCoupon: codes.invitee,
          rewardedAt: at,
        },
        invitee.customerId,
      ),
      couponIssued(inviterCoupon),
      couponIssued(inviteeCoupon),
    ];
  }

  const refusal = (customerId: string, inv: Invitation): Outgoing =>
    out(
      'ReferralRefused',
      {
        inviterId: inv.inviterId,
        inviteeId: customerId,
        status: inv.status === 'held' ? 'held' : 'refused',
        reason: inv.reason ?? inv.status,
        refusedAt: inv.decidedAt!,
      },
      customerId,
      inv.status,
    );

  /** The events a referral decision announces (again, on a redelivery). */
  async function referralEvents(member: MemberRecord, p: StoredMemberPolicy): Promise<Outgoing[]> {
    const inv = member.invitation;
    if (!inv?.decidedAt) return [];
    // A cancelled referral was announced when rewarded; announcing it again would count it again.
    if (inv.status === 'rewarded') return reward(member, inv, p);
    if (inv.status === 'refused' || inv.status === 'held') return [refusal(member.customerId, inv)];
    return [];
  }

  /** The refund of the referral's first order in the no-reason window: its unused coupons cancelled. */
  async function cancelReferral(member: MemberRecord): Promise<Outgoing[]> {
    const inv = member.invitation!;
    const codes = referralCoupons(member.customerId);
    const events: Outgoing[] = [];
    for (const code of [codes.inviter, codes.invitee]) {
      await deps.store.cancelCoupon(code, inv.decidedAt!, inv.reason!);
      const coupon = await deps.store.getCoupon(code);
      if (coupon?.status === 'cancelled') {
        events.push(
          out(
            'CouponCancelled',
            {
              code,
              customerId: coupon.customerId,
              reason: coupon.cancelReason ?? inv.reason!,
              cancelledAt: coupon.cancelledAt!,
            },
            code,
          ),
        );
      }
    }
    return events;
  }

  // --- views ------------------------------------------------------------------------------------

  async function couponsOf(customerId: string) {
    const at = now();
    const coupons = (await deps.store.listCoupons(customerId))
      .map((c) => couponView(c, at))
      .sort((a, b) => a.issuedAt.localeCompare(b.issuedAt) || a.code.localeCompare(b.code));
    return {
      open: coupons.filter((c) => c.status === 'open'),
      used: coupons.filter((c) => c.status !== 'open'),
    };
  }

  async function leaderboardOf(period: Period, at: Date, limit?: number) {
    const p = await policy();
    const key = periodKey(period, at, p.timeZone);
    const top = limit ?? p.referral.leaderboardTop;
    return {
      period,
      key,
      timeZone: p.timeZone,
      top,
      items: rank(await deps.store.leaderboard(key), top),
    };
  }

  return {
    policy,

    async putPolicy(body: unknown) {
      const parsed = parseMemberPolicy(body);
      const current = await deps.store.getPolicy();
      const saved = await deps.store.savePolicy(parsed, current?.version ?? null, now().toISOString());
      if (!saved) throw new ConflictError('the member policy changed while it was being saved; try again');
      return { created: !current, policy: saved };
    },

    /** `customer.registered`: the customer's contact and, with a referral code, the invitation. */
    async onCustomerRegistered(data: EventData<'CustomerRegistered'>, eventId: string) {
      const { after, changed } = await update(data.customerId, async (m) => {
        if (m.registeredAt) return null;
        let invitation: Invitation | null = null;
        if (data.referralCode) {
          const inviterId = await deps.store.codeOwner(data.referralCode);
          const inviter = inviterId
            ? ((await deps.store.getMember(inviterId)) ?? emptyMember(inviterId))
            : null;
          const decision = referralAtRegistration({
            invitee: { customerId: data.customerId, email: data.email, phone: data.phone },
            inviter,
            inviteeHasPaidOrder: m.firstPaidOrder !== null,
          });
          invitation = {
            inviterId,
            code: data.referralCode,
            status: decision.status,
            reason: decision.reason,
            orderId: null,
            paidAt: null,
            decidedAt: decision.status === 'refused' ? data.registeredAt : null,
            ip: data.ip,
          };
        }
        return {
          ...m,
          registeredAt: data.registeredAt,
          email: data.email,
          phone: data.phone,
          ip: data.ip,
          invitation,
        };
      });
      // A redelivery announces the decision again (same event ids): the first may have failed after the write.
      if (after.registeredAt === data.registeredAt && after.invitation?.status === 'refused') {
        await publish([refusal(after.customerId, after.invitation)], eventId);
      }
      return {
        registered: changed,
        referral: after.invitation?.status ?? null,
        reason: after.invitation?.reason ?? null,
      };
    },

    /**
     * A paid order: into the customer's window, the tier re-evaluated at once (an upgrade), the
     * first paid order decides a pending referral, and the discount codes it carried are redeemed.
     */
    async onOrderPaid(data: EventData<'OrderPaid'>, eventId: string) {
      const redeemed = await redeemCodes(data);
      if (!data.customerId) return { member: null, redeemed };
      const customerId = data.customerId;
      await deps.store.linkOrder(data.orderId, customerId);
      const p = await policy();
      const paidAt = new Date(data.paidAt).toISOString();
      let decidedNow = false;
      const { after, changed } = await update(customerId, async (m) => {
        decidedNow = false;
        if (m.orders.some((o) => o.orderId === data.orderId) || m.firstPaidOrder?.orderId === data.orderId) {
          return null;
        }
        const order: MemberOrder = {
          orderId: data.orderId,
          paidAt,
          paid: data.total.amount,
          refunded: 0,
          currency: data.total.currency,
          refunds: [],
        };
        const at = new Date(Math.max(now().getTime(), Date.parse(paidAt)));
        const { record } = evaluate({ ...m, orders: [...m.orders, order] }, p, at, {
          type: 'OrderPaid',
          orderId: data.orderId,
        });
        let invitation = m.invitation;
        if (invitation?.status === 'pending') {
          const decision = referralOnPaidOrder({
            status: invitation.status,
            firstPaidOrderId: m.firstPaidOrder?.orderId ?? null,
            orderId: data.orderId,
          });
          if (decision.decide) {
            let status: Invitation['status'] = decision.status;
            let reason = decision.reason;
            if (status === 'rewarded' && invitation.ip) {
              const week = weekOf(new Date(paidAt), p.timeZone);
              const counted = await deps.store.countIpReferral(
                invitation.ip,
                week,
                customerId,
                p.referral.maxPerIpPerWeek,
              );
              if (!counted) {
                status = 'held';
                reason = heldReason(invitation.ip, week, p.referral.maxPerIpPerWeek);
              }
            }
            invitation = { ...invitation, status, reason, orderId: data.orderId, paidAt, decidedAt: paidAt };
            decidedNow = true;
          }
        }
        return {
          ...record,
          invitation,
          firstPaidOrder: m.firstPaidOrder ?? { orderId: data.orderId, paidAt },
        };
      });
      const events: Outgoing[] = after.tierHistory
        .filter((c) => c.cause.type === 'OrderPaid' && c.cause.orderId === data.orderId)
        .map((c) => tierEvent(customerId, c));
      if (after.invitation?.orderId === data.orderId) events.push(...(await referralEvents(after, p)));
      await publish(events, eventId);
      return {
        member: { customerId, tier: after.tier, recorded: changed },
        referral: after.invitation?.orderId === data.orderId ? after.invitation.status : null,
        decidedNow,
        redeemed,
      };
    },

    /** A refund: counted against its order; a drop below a threshold downgrades; a referral may be cancelled. */
    async onRefundIssued(data: EventData<'RefundIssued'>, eventId: string, publishedAt?: string) {
      const customerId = await deps.store.orderCustomer(data.orderId);
      if (!customerId) {
        // The bus does not order events: a refund handled before its order's OrderPaid is retried
        // for a while; after that the order is taken as one without a customer (a guest order).
        if (publishedAt && now().getTime() - Date.parse(publishedAt) < ORDER_WAIT_SECONDS * 1000) {
          throw new OrderNotYetKnownError(data.orderId);
        }
        return { member: null };
      }
      const p = await policy();
      const refundedAt = new Date(data.refundedAt).toISOString();
      const cause: TierCause = { type: 'RefundIssued', orderId: data.orderId, refundId: data.refundId };
      const { after, changed } = await update(customerId, (m) => {
        const order = m.orders.find((o) => o.orderId === data.orderId);
        let invitation = m.invitation;
        const firstOrder = invitation?.orderId === data.orderId && invitation.status === 'rewarded';
        if (order?.refunds.includes(data.refundId)) return null;
        if (
          !order &&
          !(
            firstOrder &&
            invitation &&
            refundCancelsReferral(invitation.paidAt!, refundedAt, p.newUser.noReasonReturnDays)
          )
        ) {
          return null;
        }
        const orders = m.orders.map((o) =>
          o.orderId === data.orderId
            ? {
                ...o,
                refunded: Math.min(o.paid, o.refunded + data.amount.amount),
                refunds: [...o.refunds, data.refundId],
              }
            : o,
        );
        const { record } = evaluate(
          { ...m, orders },
          p,
          new Date(Math.max(now().getTime(), Date.parse(refundedAt))),
          cause,
        );
        if (
          firstOrder &&
          invitation &&
          refundCancelsReferral(invitation.paidAt!, refundedAt, p.newUser.noReasonReturnDays)
        ) {
          invitation = {
            ...invitation,
            status: 'cancelled',
            reason: `first order ${data.orderId} refunded (${data.refundId}) within the ${p.newUser.noReasonReturnDays}-day no-reason-return window`,
            decidedAt: refundedAt,
          };
        }
        return { ...record, invitation };
      });
      const events: Outgoing[] = after.tierHistory
        .filter(
          (c) =>
            c.cause.type === 'RefundIssued' &&
            c.cause.refundId === data.refundId &&
            c.cause.orderId === data.orderId,
        )
        .map((c) => tierEvent(customerId, c));
      if (after.invitation?.status === 'cancelled' && after.invitation.orderId === data.orderId) {
        events.push(...(await cancelReferral(after)));
        for (const period of ['month', 'year'] as const) {
          await deps.store.removeFromLeaderboard(
            periodKey(period, new Date(after.invitation.paidAt!), p.timeZone),
            after.invitation.inviterId!,
            customerId,
          );
        }
      }
      await publish(events, eventId);
      return {
        member: { customerId, tier: after.tier, recorded: changed },
        referral: after.invitation?.status ?? null,
      };
    },

    /** SLA compensation (a coupon for a known customer) enters the ledger once. */
    async onCompensationIssued(data: EventData<'CompensationIssued'>, eventId: string) {
      if (data.type !== 'coupon' || !data.customerId || data.amount.amount <= 0) return { coupon: null };
      const coupon = await issue(
        newCoupon({
          code: couponCode('sla-compensation', data.idempotencyKey),
          customerId: data.customerId,
          amount: data.amount,
          source: 'sla-compensation',
          ref: { type: 'promise', id: data.promiseId },
          issuedAt: data.issuedAt,
        }),
      );
      await publish([couponIssued(coupon)], eventId);
      return { coupon: coupon.code };
    },

    /** `POST /api/customers/{id}/referral-code`: the customer's code, the same every time. */
    async referralCode(rawId: unknown) {
      const customerId = parseId(rawId, 'customerId');
      const existing = await deps.store.getMember(customerId);
      if (existing?.referralCode) return { created: false, customerId, code: existing.referralCode };
      for (let attempt = 0; attempt < 8; attempt++) {
        const code = referralCodeFor(customerId, attempt);
        if ((await deps.store.claimCode(code, customerId)) !== customerId) continue;
        const { after } = await update(customerId, (m) =>
          m.referralCode ? null : { ...m, referralCode: code },
        );
        return {
          created: after.referralCode === code && !existing?.referralCode,
          customerId,
          code: after.referralCode!,
        };
      }
      throw new ConflictError(`no free referral code for customer ${customerId}; try again`);
    },

    /** `GET /api/customers/{id}`: tier, window, next tier, coupons, referral, and the tier receipts. */
    async customer(rawId: unknown) {
      const customerId = parseId(rawId, 'customerId');
      const m = await deps.store.getMember(customerId);
      if (!m)
        throw new NotFoundError(
          `customer ${customerId} is not known (no registration, order or referral code)`,
        );
      const p = await policy();
      const at = now();
      const totals = windowTotals(m.orders, at, p.windowMonths);
      const currency = p.tiers[0]!.minSpend.currency;
      const terms = tierTerms(p, m.tier);
      const inv = m.invitation;
      const all = await deps.store.listCoupons(customerId);
      const referrals = await invitedBy(customerId, p);
      return {
        customerId,
        registeredAt: m.registeredAt,
        email: m.email,
        phone: m.phone,
        tier: m.tier,
        tierSince: m.tierSince,
        benefits: {
          discountBps: terms?.discountBps ?? 0,
          freeShipping: terms?.freeShipping ?? false,
          dedicatedSupport: terms?.dedicatedSupport ?? false,
          slaMultiplierBps: terms?.slaMultiplierBps ?? 10_000,
        },
        window: {
          months: p.windowMonths,
          from: totals.from,
          to: totals.to,
          spend: { amount: totals.spend, currency },
          orders: totals.orders,
        },
        nextTier: nextTierNeeds(p, m.tier, totals.spend, totals.orders),
        newUser: m.firstPaidOrder === null,
        firstOrderPerks: m.firstPaidOrder === null ? p.newUser : null,
        firstPaidOrder: m.firstPaidOrder,
        referralCode: m.referralCode,
        invitedBy: inv
          ? {
              customerId: inv.inviterId,
              code: inv.code,
              status: inv.status,
              reason: inv.reason,
              orderId: inv.orderId,
              decidedAt: inv.decidedAt,
            }
          : null,
        referrals,
        coupons: (() => {
          const views = all
            .map((c) => couponView(c, at))
            .sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
          return {
            open: views.filter((c) => c.status === 'open'),
            used: views.filter((c) => c.status !== 'open'),
          };
        })(),
        tierHistory: m.tierHistory,
        policyVersion: p.version,
        evaluatedAt: m.evaluatedAt,
      };
    },

    async coupons(rawId: unknown) {
      const customerId = parseId(rawId, 'customerId');
      return { customerId, ...(await couponsOf(customerId)) };
    },

    /** `POST /api/coupons/{code}/redeem`: exactly once, one conditional write; the same order again is a no-op. */
    async redeem(rawCode: unknown, body: unknown) {
      const code = parseId(rawCode, 'code', 64);
      const { orderId } = parseOrThrow(RedeemBody, body ?? {});
      const result = await redeemOne(code, orderId, 'api', null);
      if (!result.ok) {
        if (result.missing) throw new NotFoundError(`coupon ${code} does not exist`);
        throw new ConflictError(result.reason);
      }
      return { redeemed: !result.already, coupon: result.coupon };
    },

    async leaderboard(query: unknown) {
      const q = parseOrThrow(LeaderboardQuery, query ?? {});
      return leaderboardOf(q.period, q.at ? new Date(q.at) : now(), q.limit);
    },

    // --- the seams (domain/shared/customer-perks.ts) --------------------------------------------------

    async findCoupon(code: string): Promise<CouponView | undefined> {
      const c = await deps.store.getCoupon(code);
      return c ? couponViewOf(c, now()) : undefined;
    },

    async perksOf(customerId: string): Promise<CustomerPerks> {
      const [m, p] = await Promise.all([deps.store.getMember(customerId), policy()]);
      return perksOf(m, p);
    },

    // --- the nightly re-evaluation ------------------------------------------------------------------

    /** The clock: once the store's clock passes `nightlyAt`, that date's run is due (named after it). */
    async nightlyTick(): Promise<{ due: false } | { due: true; name: string; date: string }> {
      const p = await policy();
      const at = now();
      if (localTime(at, p.timeZone) < p.nightlyAt) return { due: false };
      const date = localDate(at, p.timeZone);
      return { due: true, name: `members-nightly-${date}`, date };
    },

    async nightlyStart(
      input: { date?: string | undefined },
      run: { name: string; startedAt?: string | null | undefined },
    ) {
      const p = await policy();
      const at = run.startedAt ?? now().toISOString();
      return {
        context: {
          run: run.name,
          date: input.date ?? localDate(new Date(at), p.timeZone),
          at,
          policyVersion: p.version,
        },
        // Only the buckets that hold customers: a store without members fans out over none.
        buckets: await deps.store.bucketsInUse(),
      };
    },

    /** One page of one bucket: each customer's window at the run's instant; a tier that changed is recorded. */
    async nightlyPage(input: {
      context: { run: string; at: string };
      bucket: number;
      cursor: string | null;
    }) {
      const p = await policy();
      const at = new Date(input.context.at);
      const page = await deps.store.listBucket(input.bucket, input.cursor || null, NIGHTLY_PAGE_SIZE);
      const cause: TierCause = { type: 'nightly', run: input.context.run };
      let changed = 0;
      const events: Outgoing[] = [];
      for (const listed of page.items) {
        if (listed.tier === 'none' && listed.orders.length === 0) continue;
        const first = evaluate(listed, p, at, cause);
        if (!first.change && first.record.orders.length === listed.orders.length) continue;
        const { after } = await update(listed.customerId, (m) => {
          const { record, change } = evaluate(m, p, at, cause);
          if (!change && record.orders.length === m.orders.length) return null;
          return record;
        });
        const made = after.tierHistory.filter(
          (c) => c.cause.type === 'nightly' && c.cause.run === input.context.run,
        );
        changed += made.length;
        events.push(...made.map((c) => tierEvent(listed.customerId, c)));
      }
      await publish(events, input.context.run);
      return { cursor: page.cursor, evaluated: page.items.length, changed };
    },

    // --- the annual free order ------------------------------------------------------------------------

    /**
     * 00:05 on 1 January store time: last year's top inviters each get one free-order coupon. The
     * winners are decided once (the first call's ranking is kept); each coupon's code derives from
     * the year and the customer, so a repeated or late call grants nothing twice.
     */
    async grantAnnual() {
      const p = await policy();
      const at = now();
      const year = previousYear(at, p.timeZone);
      const grant =
        (await deps.store.getAnnualGrant(year)) ??
        (await deps.store.decideAnnualGrant({
          year,
          decidedAt: at.toISOString(),
          winners: rank(await deps.store.leaderboard(year), p.referral.leaderboardTop),
        }));
      const expiresAt = zonedInstant(`${Number(year) + 2}-01-01`, '00:00', p.timeZone).toISOString();
      const events: Outgoing[] = [];
      let created = 0;
      for (const w of grant.winners) {
        const coupon = newCoupon({
          code: couponCode('annual-free-order', year, w.customerId),
          customerId: w.customerId,
          amount: p.referral.annualFreeOrderMax,
          source: 'annual-free-order',
          ref: { type: 'year', id: year },
          issuedAt: grant.decidedAt,
          expiresAt,
        });
        if (await deps.store.createCoupon(coupon)) created++;
        const stored = (await deps.store.getCoupon(coupon.code)) ?? coupon;
        events.push(
          out(
            'AnnualFreeOrderGranted',
            {
              customerId: w.customerId,
              year,
              rank: w.rank,
              rewarded: w.rewarded,
              code: stored.code,
              amount: stored.amount,
              grantedAt: stored.issuedAt,
            },
            year,
            w.customerId,
          ),
          couponIssued(stored),
        );
      }
      await publish(events, `annual-${year}`);
      return { year, winners: grant.winners.length, created };
    },
  };

  /** A Shopify order's discount codes: each of the customer's open coupons redeemed once. */
  async function redeemCodes(data: EventData<'OrderPaid'>) {
    const results: Array<{ code: string; redeemed: boolean; reason: string | null }> = [];
    for (const code of data.discountCodes ?? []) {
      const r = await redeemOne(code.toUpperCase(), data.orderId, 'shopify', data.customerId);
      if (r.ok) results.push({ code, redeemed: !r.already, reason: null });
      else if (!r.missing) results.push({ code, redeemed: false, reason: r.reason });
    }
    return results;
  }

  async function redeemOne(
    code: string,
    orderId: string,
    via: 'api' | 'shopify',
    customerId: string | null,
  ): Promise<
    | { ok: true; already: boolean; coupon: ReturnType<typeof couponView> }
    | { ok: false; missing: boolean; reason: string }
  > {
    const coupon = await deps.store.getCoupon(code);
    if (!coupon) return { ok: false, missing: true, reason: `coupon ${code} does not exist` };
    if (customerId !== null && coupon.customerId !== customerId) {
      return { ok: false, missing: false, reason: `coupon ${code} belongs to another customer` };
    }
    const at = now();
    const decision = redeemDecision(coupon, orderId, at);
    if (!decision.ok) return { ok: false, missing: false, reason: decision.reason };
    let final = coupon;
    let already = decision.already;
    if (!already) {
      const redeemed = await deps.store.redeemCoupon(code, orderId, at.toISOString(), via);
      if (!redeemed) {
        // Another checkout got there first (or it just expired): decide on what is stored now.
        const now2 = (await deps.store.getCoupon(code)) ?? coupon;
        const again = redeemDecision(now2, orderId, at);
        if (!again.ok) return { ok: false, missing: false, reason: again.reason };
        final = now2;
        already = true;
      } else {
        final = redeemed;
      }
    }
    await publish(
      [
        out(
          'CouponRedeemed',
          {
            code: final.code,
            customerId: final.customerId,
            orderId: final.orderId!,
            amount: final.amount,
            via: final.redeemedVia ?? via,
            redeemedAt: final.redeemedAt!,
          },
          final.code,
        ),
      ],
      orderId,
    );
    return { ok: true, already, coupon: couponView(final, at) };
  }

  /** The customer's rewarded referrals as an inviter this month and this year (store time). */
  async function invitedBy(customerId: string, p: StoredMemberPolicy) {
    const at = now();
    const count = async (period: Period) => {
      const key = periodKey(period, at, p.timeZone);
      const entry = (await deps.store.leaderboard(key)).find((e) => e.customerId === customerId);
      return { period: key, rewarded: entry?.rewarded ?? 0 };
    };
    return { month: await count('month'), year: await count('year') };
  }
}
export type Members = ReturnType<typeof members>;
