import { eventTargetHandler } from './_shared/event-target.ts';
import { membersUseCases } from './_shared/members.ts';

/**
 * The members ledger's events (SPEC §7): a registration records the invitation, a paid order
 * upgrades at once and decides a pending referral (and redeems the discount codes it carried), a
 * refund may downgrade and cancel referral coupons, an SLA coupon enters the coupon ledger once.
 */
const ledger = membersUseCases();

export const handler = eventTargetHandler('members', {
  CustomerRegistered: (data, event) => ledger.onCustomerRegistered(data, event.detail.metadata.eventId),
  OrderPaid: (data, event) => ledger.onOrderPaid(data, event.detail.metadata.eventId),
  RefundIssued: (data, event) =>
    ledger.onRefundIssued(data, event.detail.metadata.eventId, event.detail.metadata.publishedAt),
  CompensationIssued: (data, event) => ledger.onCompensationIssued(data, event.detail.metadata.eventId),
});
