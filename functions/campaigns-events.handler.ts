import { DynamoBudgetReleases } from '#adapters/dynamodb/budget-releases';
import { budgetReleases } from '#domain/campaigns/budget';
import { eventTargetHandler } from './_shared/event-target.ts';
import { db, loadConfig } from './_shared/runtime.ts';

/** Cancelled and refunded orders give their campaign budget reservations back, once (decision 34). */
const releases = budgetReleases({ store: new DynamoBudgetReleases(db(), loadConfig().TABLE_NAME) });

export const handler = eventTargetHandler('campaigns', {
  OrderCancelled: (data) => releases.orderCancelled(data),
  RefundIssued: (data) => releases.refundIssued(data),
});
