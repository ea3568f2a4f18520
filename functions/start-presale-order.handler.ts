import { presaleRunName } from '#domain/presale/run';
import { startRunHandler } from './_shared/event-target.ts';
import { loadConfig, requireEnv } from './_shared/runtime.ts';

/**
 * EventBridge target for `PresaleDepositPaid`: starts the order's run, named after the order
 * (SPEC §2: a duplicate start is a no-op). A failure throws so that EventBridge/Lambda retry, then
 * the dead-letter queue.
 */
export const handler = startRunHandler({
  name: 'start presale order',
  detailType: 'PresaleDepositPaid',
  stateMachineArn: requireEnv(loadConfig().STATE_MACHINE_ARN, 'STATE_MACHINE_ARN'),
  runName: (deposit) => presaleRunName(deposit.orderId),
  input: (deposit, event) => ({ deposit, eventId: event.detail.metadata.eventId }),
});
