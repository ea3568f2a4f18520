import type { EventData } from '../events/catalog.ts';
import type { couponLedger } from './coupon-ledger.ts';
import { periodKey } from './leaderboard.ts';
import { type MemberLedger, ORDER_WAIT_SECONDS, OrderNotYetKnownError, type Outgoing } from './ledger.ts';
import type { referralProgram } from './referral-program.ts';
import { heldReason, referralOnPaidOrder, refundCancelsReferral, weekOf } from './referrals.ts';
import type { Invitation, MemberOrder } from './store.ts';
import type { TierCause } from './tiers.ts';

/** Paid orders and refunds in the member ledger: the window, the tier, the referral they decide, the codes they redeem. */
export function memberOrders(
  ledger: MemberLedger,
  referrals: ReturnType<typeof referralProgram>,
  coupons: ReturnType<typeof couponLedger>,
) {
  const { deps, now, policy, publish, update, evaluate, tierEvent } = ledger;
  const { referralEvents, cancelReferral } = referrals;
  const { redeemCodes } = coupons;

  return {
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
  };
}
