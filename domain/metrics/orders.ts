import type { EventData } from '../events/catalog.ts';
import { localDate } from '../shared/calendar.ts';
import type { PaidOrder, Refund } from './figures.ts';
import type { MetricsWriter } from './ports.ts';

/**
 * Paid orders and refunds come from the canonical events on the bus (OrderPaid, RefundIssued):
 * each is kept once by its id under its store day, instants normalized to UTC.
 */
export function metricsOrderEvents(deps: { readonly writer: MetricsWriter; readonly timeZone: string }) {
  const day = (at: string) => localDate(new Date(at), deps.timeZone);
  return {
    async orderPaid(data: EventData<'OrderPaid'>) {
      const paidAt = new Date(data.paidAt).toISOString();
      const order: PaidOrder = {
        orderId: data.orderId,
        customerId: data.customerId,
        paidAt,
        day: day(paidAt),
        total: data.total.amount,
        skus: [...new Set(data.lines.flatMap((l) => (l.sku === null ? [] : [l.sku])))].sort(),
      };
      await deps.writer.recordOrderPaid(order);
      return { orderId: order.orderId, day: order.day };
    },
    async refundIssued(data: EventData<'RefundIssued'>) {
      const refundedAt = new Date(data.refundedAt).toISOString();
      const refund: Refund = {
        refundId: data.refundId,
        orderId: data.orderId,
        amount: data.amount.amount,
        refundedAt,
        day: day(refundedAt),
      };
      await deps.writer.recordRefund(refund);
      return { refundId: refund.refundId, day: refund.day };
    },
  };
}
