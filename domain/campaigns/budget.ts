import type { EventData } from '../events/catalog.ts';
import type { BudgetRelease, Reservation } from './store.ts';

/**
 * Giving a campaign's budget back (docs/rules/campaigns.md, budget; decision 34): an order that
 * used a tier's saving and is then cancelled or refunded returns its reservation to the budget,
 * exactly once per cause (the order's cancellation, each refund by its id).
 *
 * - A cancellation gives back all that is left of the reservation.
 * - A refund gives back the share of the saving that the money refunded so far is of what the
 *   quote came to with the discount (`orderTotal`): released = ⌊amount × min(refunded, total) /
 *   total⌋ in total, so partial refunds add up to the whole saving once the order is refunded in
 *   full, and never more. Rounded down: the counter may keep a fen too many until the last refund
 *   (budget unused), never too few (over-granted). An order whose total was 0 gives everything
 *   back at its first refund (nothing can be refunded in part).
 * - Nothing is given back twice: a cause already applied (a redelivered cancellation or refund)
 *   changes nothing; a reservation that was refused, or never settled, has nothing to give back.
 */
export const BUDGET_RELEASE_RULE = 'campaign-budget-release/1';

export type ReleaseCause =
  | { readonly kind: 'cancelled'; readonly causeId: string; readonly at: string }
  | {
      readonly kind: 'refunded';
      readonly causeId: string;
      readonly at: string;
      /** Money refunded by this refund (minor units, the order's currency). */
      readonly amount: number;
    };

/** What this cause gives back of the reservation, with its numbers; null: nothing left to give. */
export function budgetRelease(r: Reservation, cause: ReleaseCause): BudgetRelease | null {
  const released = r.released ?? 0;
  const refundedBefore = r.refunded ?? 0;
  const left = r.amount - released;
  if (!r.granted || left <= 0) return null;
  if (cause.kind === 'cancelled') {
    return {
      cause: 'cancelled',
      causeId: cause.causeId,
      at: cause.at,
      release: left,
      released: r.amount,
      refunded: refundedBefore,
      reason: `order ${r.orderId} cancelled: the ${left} left of its reservation of ${r.amount} given back`,
      rule: BUDGET_RELEASE_RULE,
    };
  }
  const refunded = refundedBefore + Math.max(0, cause.amount);
  const target =
    r.orderTotal > 0
      ? Number((BigInt(r.amount) * BigInt(Math.min(refunded, r.orderTotal))) / BigInt(r.orderTotal))
      : r.amount;
  const release = Math.max(0, target - released);
  return {
    cause: 'refunded',
    causeId: cause.causeId,
    at: cause.at,
    release,
    released: released + release,
    refunded,
    reason:
      r.orderTotal > 0
        ? `refund ${cause.causeId}: ${Math.min(refunded, r.orderTotal)} of the order's ${r.orderTotal} refunded so far gives back ⌊${r.amount} × ${Math.min(refunded, r.orderTotal)} / ${r.orderTotal}⌋ = ${target} of the saving in total; ${release} now`
        : `refund ${cause.causeId}: the order came to 0, so its whole saving of ${r.amount} is given back`,
    rule: BUDGET_RELEASE_RULE,
  };
}

/** Port: the reservations an order holds, and one release applied exactly once. */
export interface BudgetReleaseStore {
  /** The campaigns holding a reservation for this order. */
  reservationsOf(orderId: string): Promise<string[]>;
  /**
   * Applies `decide`'s release to the reservation once per `causeId` (the reservation and the
   * budget counter), whatever the redeliveries and crashes; the outcome and the reservation after.
   */
  release(
    campaignId: string,
    orderId: string,
    causeId: string,
    decide: (r: Reservation) => BudgetRelease | null,
  ): Promise<{
    readonly outcome: 'released' | 'duplicate' | 'nothing';
    readonly release: BudgetRelease | null;
  }>;
}

/** The bus's cancellations and refunds, giving budget back (functions/campaigns-events.handler.ts). */
export function budgetReleases(deps: { readonly store: BudgetReleaseStore }) {
  async function apply(orderId: string, cause: ReleaseCause) {
    const campaigns = await deps.store.reservationsOf(orderId);
    const out = [];
    for (const campaignId of campaigns) {
      const r = await deps.store.release(campaignId, orderId, cause.causeId, (res) =>
        budgetRelease(res, cause),
      );
      out.push({ campaignId, outcome: r.outcome, release: r.release?.release ?? 0 });
    }
    return { orderId, cause: cause.kind, campaigns: out };
  }
  return {
    orderCancelled: (d: EventData<'OrderCancelled'>) =>
      apply(d.orderId, { kind: 'cancelled', causeId: 'cancelled', at: d.cancelledAt }),
    refundIssued: (d: EventData<'RefundIssued'>) =>
      apply(d.orderId, {
        kind: 'refunded',
        causeId: `refund-${d.refundId}`,
        at: d.refundedAt,
        amount: d.amount.amount,
      }),
  };
}
