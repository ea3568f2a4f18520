import { metricsOrderEvents } from '#domain/metrics/orders';
import { eventTargetHandler } from './_shared/event-target.ts';
import { metricsDeps } from './_shared/metrics.ts';

/** Paid orders and refunds from the bus, kept for the metrics (issue #16). */
const deps = metricsDeps();
const events = metricsOrderEvents({ writer: deps.store, timeZone: deps.timeZone });

export const handler = eventTargetHandler('metrics', {
  OrderPaid: (data) => events.orderPaid(data),
  RefundIssued: (data) => events.refundIssued(data),
});
