import type { EventData } from '../events/catalog.ts';
import { localDate } from '../shared/calendar.ts';
import type { VersionedPolicy } from './policy.ts';
import type { OrderSale, RestockStore } from './store.ts';

/** Projections of one order in a row, each superseded by a newer version, before giving up. */
const MAX_PROJECTIONS = 10;

/**
 * The sales ledger (issue #11): each paid order's lines count as units sold on the day paid (store
 * time zone); a refund takes its lines back, a cancellation the whole order. Every order is one
 * record whose changes are idempotent (the paid lines once, each refund once by its id, the
 * cancellation once), and the units per SKU and day are projected from it, newest version last —
 * so duplicates, replays and events out of order leave each order line counted exactly once.
 */
export function salesLedger(deps: {
  readonly store: RestockStore;
  readonly policy: () => Promise<VersionedPolicy>;
}) {
  const sumBySku = (lines: ReadonlyArray<{ sku: string | null; quantity: number }>) => {
    const units: Record<string, number> = {};
    for (const line of lines) if (line.sku) units[line.sku] = (units[line.sku] ?? 0) + line.quantity;
    return units;
  };

  /** Net units per SKU of an order: paid − returned (never below zero), nothing if cancelled. */
  function netUnits(sale: OrderSale): Record<string, number> {
    const net: Record<string, number> = {};
    for (const [sku, units] of Object.entries(sale.lines)) {
      const returned = Object.values(sale.returns).reduce((n, r) => n + (r[sku] ?? 0), 0);
      net[sku] = sale.cancelled ? 0 : Math.max(0, units - returned);
    }
    return net;
  }

  async function project(sale: OrderSale): Promise<{ skus: number }> {
    let current = sale;
    for (let round = 0; round < MAX_PROJECTIONS; round++) {
      // Until the order is paid there is no day to count on (a refund or cancellation came first).
      if (!current.day) return { skus: 0 };
      const net = netUnits(current);
      if ((await deps.store.projectSale(current, net)) === 'written')
        return { skus: Object.keys(net).length };
      // A newer version of the order was recorded meanwhile: project it (the newest stays).
      const newer = await deps.store.getOrderSale(current.orderId);
      if (!newer) return { skus: Object.keys(net).length };
      current = newer;
    }
    throw new Error(
      `order ${sale.orderId} changed ${MAX_PROJECTIONS} times while its units were projected; the event is retried`,
    );
  }

  return {
    async orderPaid(order: EventData<'OrderPaid'>) {
      const policy = await deps.policy();
      const day = localDate(new Date(order.paidAt), policy.timeZone);
      return project(await deps.store.recordSale(order.orderId, day, sumBySku(order.lines)));
    },
    async refundIssued(refund: EventData<'RefundIssued'>) {
      return project(await deps.store.recordReturn(refund.orderId, refund.refundId, sumBySku(refund.lines)));
    },
    async orderCancelled(cancellation: EventData<'OrderCancelled'>) {
      return project(await deps.store.recordCancellation(cancellation.orderId));
    },
    netUnits,
  };
}
