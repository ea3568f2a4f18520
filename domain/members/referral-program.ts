import type { EventData } from '../events/catalog.ts';
import { ConflictError } from '../shared/errors.ts';
import { instantSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { couponCode } from './coupons.ts';
import { type Period, periodKey, rank } from './leaderboard.ts';
import { emptyMember, type MemberLedger, type Outgoing, out } from './ledger.ts';
import type { StoredMemberPolicy } from './policy.ts';
import { referralAtRegistration, referralCodeFor } from './referrals.ts';
import type { Invitation, MemberRecord } from './store.ts';

const LeaderboardQuery = z.object({
  period: z._default(z.enum(['month', 'year'], 'must be month or year'), 'month'),
  at: z.optional(instantSchema()),
  limit: z.optional(
    z.coerce
      .number('must be a number from 1 to 100')
      .check(z.int('must be a whole number'), z.minimum(1), z.maximum(100)),
  ),
});

/** Referrals (SPEC §7): invitations decided at registration and first paid order, the rewards, the leaderboards. */
export function referralProgram(ledger: MemberLedger) {
  const { deps, now, policy, publish, update, couponIssued, newCoupon, issue } = ledger;

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

  return {
    reward,
    refusal,
    referralEvents,
    cancelReferral,
    invitedBy,
    /** What the API and the bus call. */
    api: {
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

      async leaderboard(query: unknown) {
        const q = parseOrThrow(LeaderboardQuery, query ?? {});
        return leaderboardOf(q.period, q.at ? new Date(q.at) : now(), q.limit);
      },
    },
  };
}
