import type { EventData } from '../events/catalog.ts';
import type { CouponView } from '../shared/customer-perks.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { idSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { couponCode, couponView, redeemDecision } from './coupons.ts';
import { type MemberLedger, out } from './ledger.ts';
import { couponViewOf } from './perks.ts';

const RedeemBody = z.object({ orderId: idSchema() });
/** The one coupon ledger (SPEC §7): every coupon storeflow issues, redeemed exactly once. */
export function couponLedger(ledger: MemberLedger) {
  const { deps, now, publish, couponIssued, newCoupon, issue } = ledger;

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

  return {
    redeemCodes,
    /** A customer's coupons, open and used (the customer view shows them too). */
    couponsOf,
    /** What the API, the bus and the quote call. */
    api: {
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

      async findCoupon(code: string): Promise<CouponView | undefined> {
        const c = await deps.store.getCoupon(code);
        return c ? couponViewOf(c, now()) : undefined;
      },
    },
  };
}
