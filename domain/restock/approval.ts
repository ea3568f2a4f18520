import type { TaskCallbacks } from '../events/callbacks.ts';
import { localDate } from '../shared/calendar.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { atLeastOneSecond, RunCancelledError, type RunContext, StepRejectedError } from '../workflow/run.ts';
import type { RestockDeps } from './check.ts';
import { decisionEvent, purchaseOrderReceived, restockEvent } from './events.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { HOLDS_SLOT, PLACED, type PurchaseOrder, type Receipt } from './purchase-order.ts';

/**
 * A purchase order above the approval threshold waits for a person (SPEC §3): the approval run
 * (workflows/purchase-order-approval.ts) parks on a task token; `POST .../approve` or `/reject`
 * decides and resumes it; nobody within `approvalHours` → EXPIRED, the slot freed and
 * `PurchaseOrderExpired` published (the alert). The decision itself is one conditional write on
 * the purchase order, so an approval racing the expiry has one winner; the run then settles
 * whatever was decided.
 */

/** The purchase order was decided before (or while) the run waited: the run settles it. */
export class PurchaseOrderDecidedError extends RunCancelledError {
  override readonly name = 'PurchaseOrderDecided';
  readonly code = 'PurchaseOrderDecided';
}
export const PURCHASE_ORDER_DECIDED = 'PurchaseOrderDecided';

export class ApprovalStepRejectedError extends StepRejectedError {
  override readonly name = 'PurchaseOrderStepRejected';
  readonly code = 'PurchaseOrderStepRejected';
}
export const APPROVAL_STEP_REJECTED = 'PurchaseOrderStepRejected';

export const PURCHASE_ORDER_APPROVAL_WORKFLOW = 'PurchaseOrderApproval';
/** The approval run's states, in the order a run goes through them. */
export const APPROVAL_TASK_STATES = ['Prepare', 'AwaitApproval', 'Expire', 'Settle'] as const;
export type ApprovalTaskState = (typeof APPROVAL_TASK_STATES)[number];

/** The approval run of a purchase order is named after it. */
export const approvalRunName = (poId: string) => poId;

const DecisionBody = z.strictObject({
  by: z
    .string('must be a string')
    .check(z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
  reason: z.optional(z.nullable(z.string().check(z.maxLength(1000, 'must be at most 1000 characters')))),
});
const ReceiveBody = z.strictObject({
  quantity: z
    .int('must be a whole number of units')
    .check(z.minimum(1, 'must be at least 1'), z.maximum(1_000_000_000, 'must be at most 1000000000')),
  receiptId: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(128, 'must be at most 128 characters'),
        z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII'),
      ),
  ),
  locationId: z.optional(z.string().check(z.minLength(1), z.maxLength(64, 'must be at most 64 characters'))),
});

export function purchaseOrderApproval(deps: RestockDeps & { readonly callbacks: TaskCallbacks }) {
  const nowIso = () => deps.clock.now().toISOString();
  const yearOf = async (at: string) => {
    const policy = (await deps.store.getPolicy()) ?? DEFAULT_POLICY;
    return localDate(new Date(at), policy.timeZone).slice(0, 4);
  };

  /** The effects of a decided purchase order, each idempotent: safe from the API and the run. */
  async function settleDecision(po: PurchaseOrder, correlationId: string): Promise<void> {
    const a = po.approval;
    if (!a) return;
    if (a.decision === 'APPROVED')
      await deps.store.recordPurchase(po.supplierId, await yearOf(a.at), po.poId, po.total);
    else await deps.store.releaseSlot(po.sku, po.supplierId, po.poId);
    const event = decisionEvent(po);
    if (event) await deps.publisher.publish([restockEvent(event, po, a.at, correlationId)]);
  }

  async function decide(
    poId: string,
    body: unknown,
    decision: 'APPROVED' | 'REJECTED',
  ): Promise<PurchaseOrder> {
    const id = parseId(poId, 'poId');
    const { by, reason } = parseOrThrow(DecisionBody, body ?? {});
    const at = nowIso();
    const { moved, po } = await deps.store.transitionPurchaseOrder(
      id,
      ['AWAITING_APPROVAL'],
      decision,
      {
        approval: { decision, by, reason: reason ?? null, at },
        approvalExpiresAt: null,
        ...(decision === 'REJECTED' ? { closedAt: at } : {}),
      },
      at,
    );
    if (!po) throw new NotFoundError(`purchase order ${id} does not exist`);
    if (!moved) {
      if (po.status === decision) return po; // the same decision again: nothing more to do
      throw new ConflictError(
        po.status === 'OPEN'
          ? `purchase order ${id} is OPEN: it was below the approval threshold and needs no approval`
          : `purchase order ${id} is ${po.status}; it can no longer be ${decision === 'APPROVED' ? 'approved' : 'rejected'}`,
      );
    }
    await settleDecision(po, `api:${by}`);
    const token = await deps.store.approvalToken(id);
    if (token) await deps.callbacks.succeed(token, { decision });
    return po;
  }

  return {
    // --- the run's steps ------------------------------------------------------------------------
    /** Prepare: how long the wait may last (until the approval expires). */
    async prepare(poId: string): Promise<{ seconds: number }> {
      const po = await deps.store.getPurchaseOrder(poId);
      if (!po) throw new ApprovalStepRejectedError(`purchase order ${poId} does not exist`);
      if (po.status !== 'AWAITING_APPROVAL')
        throw new PurchaseOrderDecidedError(`purchase order ${poId} is ${po.status}`);
      const expiresAt = Date.parse(po.approvalExpiresAt ?? po.createdAt);
      return { seconds: atLeastOneSecond((expiresAt - deps.clock.now().getTime()) / 1000) };
    },
    /** AwaitApproval (`.waitForTaskToken`): keeps the token where the API finds it. */
    async park(poId: string, taskToken: string): Promise<{ parked: true }> {
      const po = await deps.store.parkApproval(poId, taskToken);
      if (!po) throw new ApprovalStepRejectedError(`purchase order ${poId} does not exist`);
      if (po.status !== 'AWAITING_APPROVAL')
        throw new PurchaseOrderDecidedError(`purchase order ${poId} is ${po.status}`);
      return { parked: true };
    },
    /** Expire: nobody decided in time → EXPIRED (unless a decision won the race). */
    async expire(poId: string, run: RunContext): Promise<{ status: string }> {
      const at = run.enteredAt ?? nowIso();
      const { po } = await deps.store.transitionPurchaseOrder(
        poId,
        ['AWAITING_APPROVAL'],
        'EXPIRED',
        {
          approval: {
            decision: 'EXPIRED',
            by: 'storeflow',
            reason: 'nobody approved or rejected the purchase order before its approval window closed',
            at,
          },
          approvalExpiresAt: null,
          closedAt: at,
        },
        at,
      );
      if (!po) throw new ApprovalStepRejectedError(`purchase order ${poId} does not exist`);
      await settleDecision(po, run.name);
      return { status: po.status };
    },
    /** Settle: the run ends with the decision's effects made (again: each is idempotent). */
    async settle(poId: string, run: RunContext): Promise<{ status: string }> {
      const po = await deps.store.getPurchaseOrder(poId);
      if (!po) throw new ApprovalStepRejectedError(`purchase order ${poId} does not exist`);
      if (po.status === 'AWAITING_APPROVAL') {
        throw new ApprovalStepRejectedError(`purchase order ${poId} was resumed without a decision`);
      }
      await settleDecision(po, run.name);
      return { status: po.status };
    },

    // --- the operations API -----------------------------------------------------------------------
    approve: (poId: string, body: unknown) => decide(poId, body, 'APPROVED'),
    reject: (poId: string, body: unknown) => decide(poId, body, 'REJECTED'),

    /**
     * A receipt of goods: stock rises, inbound falls, and the purchase order closes (RECEIVED) once
     * everything ordered came in. A receipt id (the `Idempotency-Key` header or `receiptId`) makes
     * a retried request count once.
     */
    async receive(poId: string, body: unknown, idempotencyKey?: string): Promise<PurchaseOrder> {
      const id = parseId(poId, 'poId');
      const parsed = parseOrThrow(ReceiveBody, body ?? {});
      const ordered = await deps.store.getPurchaseOrder(id);
      if (!ordered) throw new NotFoundError(`purchase order ${id} does not exist`);
      // Received units go to the location the request names, else the SKU's only location (the
      // platform's next level for it then supersedes the addition), else a `storeflow` location.
      const locations = Object.keys((await deps.store.getSku(ordered.sku))?.levels ?? {});
      const receipt: Receipt = {
        receiptId: parsed.receiptId ?? idempotencyKey ?? `${id}-${nowIso()}-${parsed.quantity}`,
        quantity: parsed.quantity,
        at: nowIso(),
        locationId: parsed.locationId ?? (locations.length === 1 ? locations[0]! : 'storeflow'),
      };
      const result = await deps.store.receive(id, receipt);
      const po = result.po;
      if (!po) throw new NotFoundError(`purchase order ${id} does not exist`);
      if (result.outcome === 'not-placed') {
        throw new ConflictError(
          po.status === 'AWAITING_APPROVAL'
            ? `purchase order ${id} is waiting for approval; approve it before receiving goods`
            : `purchase order ${id} is ${po.status}; it takes no receipts`,
        );
      }
      if (result.outcome === 'too-many') {
        throw ValidationError.field(
          'quantity',
          `${parsed.quantity} is more than the ${po.quantity - po.received} still open on ${id} (${po.received} of ${po.quantity} received)`,
        );
      }
      const applied = po.receipts.find((r) => r.receiptId === receipt.receiptId) ?? receipt;
      await deps.store.addReceivedStock(
        po.sku,
        applied.receiptId,
        applied.locationId,
        applied.quantity,
        applied.at,
      );
      if (HOLDS_SLOT.includes(po.status)) {
        await deps.store.updateSlot(po.sku, po.supplierId, po.poId, { received: po.received });
      } else {
        await deps.store.releaseSlot(po.sku, po.supplierId, po.poId);
      }
      await deps.publisher.publish([
        restockEvent(
          purchaseOrderReceived(po, applied),
          po,
          applied.at,
          `receipt:${applied.receiptId}`,
          applied.receiptId,
        ),
      ]);
      return po;
    },
    placed: PLACED,
  };
}
export type PurchaseOrderApproval = ReturnType<typeof purchaseOrderApproval>;
