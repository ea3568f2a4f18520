import { createHash } from 'node:crypto';
import { addDays, localDate } from '../shared/calendar.ts';

/**
 * Referral rules (SPEC §7): who may be rewarded for inviting whom. Pure: the inputs are what the
 * member records hold; the answers carry the reason a person reads.
 */

export type ReferralStatus = 'pending' | 'refused' | 'held' | 'rewarded' | 'cancelled';

export interface Contact {
  readonly customerId: string;
  readonly email: string | null;
  readonly phone: string | null;
}

/** Emails compare case-insensitively; phones by their digits (a `+86 138-0000` is `+86138 0000`). */
export const normalizeEmail = (email: string | null | undefined) =>
  email ? email.trim().toLowerCase() : null;
export const normalizePhone = (phone: string | null | undefined) => {
  const digits = phone ? phone.replace(/\D/g, '') : '';
  return digits.length > 0 ? digits : null;
};

/**
 * At registration: a referral is refused when the inviter is the invitee (same customer, same
 * email or same phone), or the invitee already had a paid order; otherwise it waits for the
 * invitee's first paid order.
 */
export function referralAtRegistration(input: {
  readonly invitee: Contact;
  readonly inviter: Contact | null;
  readonly inviteeHasPaidOrder: boolean;
}): { status: 'pending' | 'refused'; reason: string | null } {
  const { invitee, inviter } = input;
  if (!inviter) return { status: 'refused', reason: 'unknown referral code' };
  if (inviter.customerId === invitee.customerId) {
    return { status: 'refused', reason: 'self-referral: the inviter is the same customer' };
  }
  const email = normalizeEmail(invitee.email);
  if (email && email === normalizeEmail(inviter.email)) {
    return { status: 'refused', reason: 'self-referral: the inviter has the same email' };
  }
  const phone = normalizePhone(invitee.phone);
  if (phone && phone === normalizePhone(inviter.phone)) {
    return { status: 'refused', reason: 'self-referral: the inviter has the same phone' };
  }
  if (input.inviteeHasPaidOrder) {
    return { status: 'refused', reason: 'the invitee already had a paid order before registering' };
  }
  return { status: 'pending', reason: null };
}

/**
 * The invitee's order was paid: rewarded when it is the invitee's first paid order and the
 * referral is pending; refused when the invitee had an earlier paid order.
 */
export function referralOnPaidOrder(input: {
  readonly status: ReferralStatus;
  readonly firstPaidOrderId: string | null;
  readonly orderId: string;
}): { decide: false } | { decide: true; status: 'rewarded' | 'refused'; reason: string | null } {
  if (input.status !== 'pending') return { decide: false };
  if (input.firstPaidOrderId !== null && input.firstPaidOrderId !== input.orderId) {
    return {
      decide: true,
      status: 'refused',
      reason: `the invitee already had a paid order (${input.firstPaidOrderId})`,
    };
  }
  return { decide: true, status: 'rewarded', reason: null };
}

/** The week (Monday, store time) an instant falls in: the IP limit counts per week. */
export function weekOf(at: Date, timeZone: string): string {
  const date = localDate(at, timeZone);
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

/** The reason a referral over the IP limit is held. */
export const heldReason = (ip: string, week: string, max: number) =>
  `more than ${max} rewarded referrals from IP ${ip} in the week of ${week}: held for review`;

/** A refund inside the no-reason-return window of the first order cancels its unused referral coupons. */
export function refundCancelsReferral(
  paidAt: string,
  refundedAt: string,
  noReasonReturnDays: number,
): boolean {
  const elapsed = Date.parse(refundedAt) - Date.parse(paidAt);
  return elapsed >= 0 && elapsed <= noReasonReturnDays * 86_400_000;
}

/** A customer's referral code: derived from the id (so it is stable), 8 characters of Crockford base 32. */
export function referralCodeFor(customerId: string, attempt = 0): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const digest = createHash('sha256').update(`referral\u001f${customerId}\u001f${attempt}`).digest();
  let code = '';
  for (let i = 0; i < 8; i++) code += alphabet[digest[i]! % 32];
  return `R${code}`;
}

export const REFERRAL_CODE_PATTERN = /^R[0-9A-HJKMNP-TV-Z]{8}$/;
