import { salesLedger } from '#domain/restock/ledger';
import { DEFAULT_POLICY } from '#domain/restock/policy';
import { stockFollower } from '#domain/restock/stock';
import { eventTargetHandler } from './_shared/event-target.ts';
import { restockDeps } from './_shared/restock.ts';

/**
 * What restock learns from the bus: sales (`OrderPaid`, taken back by `RefundIssued` and
 * `OrderCancelled`) into the sales ledger, and stock (`StockLevelChanged`), a drop below the
 * safety stock checking the SKU at once.
 */
const deps = restockDeps();
const ledger = salesLedger({
  store: deps.store,
  policy: async () => (await deps.store.getPolicy()) ?? DEFAULT_POLICY,
});
const stock = stockFollower(deps);

export const handler = eventTargetHandler('restock', {
  OrderPaid: (order) => ledger.orderPaid(order),
  RefundIssued: (refund) => ledger.refundIssued(refund),
  OrderCancelled: (cancellation) => ledger.orderCancelled(cancellation),
  StockLevelChanged: (level, event) => stock(level, event.detail.metadata.eventId),
});
