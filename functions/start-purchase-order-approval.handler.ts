import { approvalRunName } from '#domain/restock/approval';
import { startRunHandler } from './_shared/event-target.ts';
import { loadConfig, requireEnv } from './_shared/runtime.ts';

/** `PurchaseOrderApprovalRequested` → the purchase order's approval run, named after it. */
export const handler = startRunHandler({
  name: 'start purchase order approval',
  detailType: 'PurchaseOrderApprovalRequested',
  stateMachineArn: requireEnv(loadConfig().STATE_MACHINE_ARN, 'STATE_MACHINE_ARN'),
  runName: (request) => approvalRunName(request.poId),
  input: (request) => ({ poId: request.poId }),
});
