import type { EventPublisher } from '../events/publisher.ts';
import { addDays, localDate } from '../shared/calendar.ts';
import type { Clock } from '../shared/clock.ts';
import { deterministicId } from '../shared/ids.ts';
import type { Money } from '../shared/money.ts';
import type { TimelineRepository } from '../timeline/timeline.ts';
import { onHandOf, type Sku } from './catalog.ts';
import { approvalRequested, purchaseOrderCreated, restockEvent } from './events.ts';
import { DEFAULT_POLICY, type VersionedPolicy } from './policy.ts';
import {
  type PurchaseOrder,
  type PurchaseOrderDecision,
  purchaseOrderId,
  type RestockTrigger,
} from './purchase-order.ts';
import {
  chooseSupplier,
  decideRestock,
  RESTOCK_RULES_VERSION,
  type RestockDecision,
  SALES_WINDOW_DAYS,
  type SupplierTerms,
} from './rules.ts';
import type { OpenSlot, Ranking, RestockStore, SkuCheck } from './store.ts';

export interface RestockDeps {
  readonly store: RestockStore;
  readonly publisher: EventPublisher;
  readonly timeline: TimelineRepository;
  readonly clock: Clock;
}

/** The value cached under `key`, made once. */
export function cached<K, V>(cache: Map<K, V>, key: K, make: () => V): V {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as V;
}

/**
 * How long a claim on a slot may go without its purchase order before another check may take the
 * slot over: far longer than a check (and its retries) takes.
 */
export const CLAIM_LEASE_MS = 60 * 60_000;

/** The store's year of a date: `2026-11-24` → `2026`. */
const yearOf = (date: string) => date.slice(0, 4);

/**
 * What one check reads, shared by the checks of one page: the policy version it runs under, the
 * last ranking, the suppliers and their purchases this year (read once each).
 */
export function checkContext(deps: RestockDeps, policy: VersionedPolicy, at: Date) {
  const suppliers = new Map<string, Promise<SupplierTerms | null>>();
  const purchased = new Map<string, Promise<Money>>();
  let ranking: Promise<Ranking | null> | undefined;
  const year = yearOf(localDate(at, policy.timeZone));
  return {
    policy,
    at,
    supplier(id: string) {
      return cached(suppliers, id, () => deps.store.getSupplier(id));
    },
    purchased(supplier: SupplierTerms) {
      return cached(purchased, supplier.supplierId, () =>
        deps.store.purchasedInYear(supplier.supplierId, year, supplier.currency),
      );
    },
    ranking() {
      ranking ??= deps.store.getRanking();
      return ranking;
    },
  };
}
export type CheckContext = ReturnType<typeof checkContext>;

/** The inputs and decision for a SKU now, as a check and `GET /api/skus/{sku}` see them. */
export async function evaluateSku(
  deps: RestockDeps,
  sku: Sku,
  ctx: CheckContext,
  measured?: { sales30d: number },
  /** A retried check's own claim is not inbound: it decides again as it decided the first time. */
  claimedBy?: string,
  /** The SKU's open slots when the caller read them already. */
  knownSlots?: OpenSlot[],
): Promise<{
  decision: RestockDecision;
  sales30d: number;
  inbound: number;
  topTen: boolean;
  slots: OpenSlot[];
}> {
  const today = localDate(ctx.at, ctx.policy.timeZone);
  const [sales30d, slots, ranking, supplierList] = await Promise.all([
    measured
      ? measured.sales30d
      : deps.store.unitsSold(sku.sku, addDays(today, -(SALES_WINDOW_DAYS - 1)), today),
    knownSlots ?? deps.store.openSlots(sku.sku),
    ctx.ranking(),
    Promise.all(sku.supply.map((o) => ctx.supplier(o.supplierId))),
  ]);
  const suppliers = new Map(
    supplierList.filter((s): s is SupplierTerms => s !== null).map((s) => [s.supplierId, s]),
  );
  const chosen = chooseSupplier(sku.supply, suppliers);
  const purchased = chosen ? await ctx.purchased(chosen.supplier) : undefined;
  const inbound = slots.reduce(
    (n, s) =>
      n + (s.open && s.open.claimedBy !== claimedBy ? Math.max(0, s.open.quantity - s.open.received) : 0),
    0,
  );
  const topTen = ranking?.top.some((t) => t.sku === sku.sku) ?? false;
  const decision = decideRestock({
    sku: sku.sku,
    category: sku.category,
    onHand: onHandOf(sku.levels),
    inbound,
    sales30d,
    topTen,
    supply: sku.supply,
    suppliers,
    purchasedThisYear: () => purchased ?? { amount: 0, currency: chosen?.supplier.currency ?? 'CNY' },
    policy: ctx.policy,
    at: ctx.at,
  });
  return { decision, sales30d, inbound, topTen, slots };
}

export interface CheckResult extends SkuCheck {
  readonly sku: string;
}

/**
 * The per-SKU check that every trigger runs (the nightly sweep, a stock drop, the API): decide,
 * and when the SKU needs restocking, create its purchase order — exactly one open per SKU and
 * supplier, claimed with one conditional write on the slot, so repeated triggers, overlapping
 * sweeps, retries and restarts never create a second. A check retried after a crash recognises
 * its own claim and finishes the same purchase order.
 */
export function restockCheck(deps: RestockDeps) {
  const nowIso = () => deps.clock.now().toISOString();

  /** A claim older than the lease with no purchase order behind it. */
  async function isAbandoned(slot: OpenSlot, ctx: CheckContext): Promise<boolean> {
    const open = slot.open;
    if (!open) return false;
    const claimedAt = Date.parse(open.claimedAt ?? '');
    if (!Number.isFinite(claimedAt) || ctx.at.getTime() - claimedAt < CLAIM_LEASE_MS) return false;
    return (await deps.store.getPurchaseOrder(open.poId)) === null;
  }

  async function createOrder(
    sku: Sku,
    decision: Extract<RestockDecision, { outcome: 'order' }>,
    trigger: RestockTrigger,
    ctx: CheckContext,
    slots: readonly OpenSlot[],
  ): Promise<{ outcome: 'ordered' | 'open-po-exists'; poId: string | null }> {
    const supplierId = decision.supplier.supplierId;
    const claimedBy = `${trigger.kind}:${trigger.id}`;
    let slot = slots.find((s) => s.supplierId === supplierId) ?? {
      sku: sku.sku,
      supplierId,
      seq: 0,
      open: null,
    };
    if (slot.open && slot.open.claimedBy !== claimedBy && (await isAbandoned(slot, ctx))) {
      // A claim whose check died before writing its purchase order, and was never retried.
      await deps.store.releaseSlot(sku.sku, supplierId, slot.open.poId);
      slot = await deps.store.getSlot(sku.sku, supplierId);
    }
    let poId: string;
    let claimedQuantity: number;
    if (slot.open) {
      if (slot.open.claimedBy !== claimedBy) return { outcome: 'open-po-exists', poId: slot.open.poId };
      poId = slot.open.poId;
      claimedQuantity = slot.open.quantity;
    } else {
      const seq = slot.seq + 1;
      poId = purchaseOrderId(deterministicId, sku.sku, supplierId, seq);
      const open = {
        poId,
        quantity: decision.quantity,
        received: 0,
        claimedBy,
        claimedAt: ctx.at.toISOString(),
      };
      claimedQuantity = open.quantity;
      if (!(await deps.store.claimSlot(sku.sku, supplierId, seq, open))) {
        slot = await deps.store.getSlot(sku.sku, supplierId);
        if (slot.open?.claimedBy !== claimedBy)
          return { outcome: 'open-po-exists', poId: slot.open?.poId ?? null };
        poId = slot.open.poId;
        claimedQuantity = slot.open.quantity;
      }
    }
    const createdAt = ctx.at.toISOString();
    const storeDate = localDate(ctx.at, ctx.policy.timeZone);
    const awaiting = decision.approvalRequired;
    const others = sku.supply.map((o) => o.supplierId).filter((id) => id !== supplierId);
    const receipt: PurchaseOrderDecision = {
      rule: RESTOCK_RULES_VERSION,
      policyVersion: ctx.policy.version,
      decidedAt: createdAt,
      storeDate,
      timeZone: ctx.policy.timeZone,
      trigger,
      supplier: { supplierId, tier: decision.supplier.tier, chosenOver: others },
      purchasedThisYear: decision.purchasedThisYear,
      volumeTerms: decision.volumeTerms,
      approvalThreshold: ctx.policy.approvalThreshold,
      numbers: decision.numbers,
    };
    const candidate: PurchaseOrder = {
      poId,
      sku: sku.sku,
      supplierId,
      supplierName: decision.supplier.name,
      quantity: decision.quantity,
      unitCost: decision.option.unitCost,
      total: decision.total,
      paymentTermsDays: decision.paymentTermsDays,
      paymentDueDate: decision.paymentDueDate,
      rebateBps: decision.rebateBps,
      rebate: decision.rebate,
      status: awaiting ? 'AWAITING_APPROVAL' : 'OPEN',
      createdAt,
      decision: receipt,
      approvalExpiresAt: awaiting
        ? new Date(ctx.at.getTime() + ctx.policy.approvalHours * 3_600_000).toISOString()
        : null,
      approval: null,
      received: 0,
      receipts: [],
      closedAt: null,
      updatedAt: createdAt,
    };
    const { created, po } = await deps.store.createPurchaseOrder(candidate);
    if (created && po.quantity !== claimedQuantity) {
      // A retried check decided again after its claim: the slot follows the purchase order.
      await deps.store.updateSlot(sku.sku, supplierId, poId, { quantity: po.quantity });
    }
    if (po.status === 'OPEN')
      await deps.store.recordPurchase(supplierId, yearOf(po.decision.storeDate), poId, po.total);
    const events = [restockEvent(purchaseOrderCreated(po), po, po.createdAt, claimedBy)];
    if (po.status === 'AWAITING_APPROVAL') {
      events.push(restockEvent(approvalRequested(po), po, po.createdAt, claimedBy));
    }
    await deps.publisher.publish(events);
    return { outcome: 'ordered', poId };
  }

  return {
    /**
     * Checks one SKU. `measured` is the sweep's own 30-day count (measured moments before); other
     * triggers count the sales themselves.
     */
    async check(
      sku: Sku,
      trigger: RestockTrigger & { readonly at: string },
      ctx: CheckContext,
      measured?: { sales30d: number },
      knownSlots?: OpenSlot[],
    ): Promise<CheckResult> {
      const { decision, slots } = await evaluateSku(
        deps,
        sku,
        ctx,
        measured,
        `${trigger.kind}:${trigger.id}`,
        knownSlots,
      );
      const position = onHandOf(sku.levels) + ('numbers' in decision ? decision.numbers.inbound : 0);
      let outcome: SkuCheck['outcome'] =
        decision.outcome === 'order' ? 'ordered' : decision.outcome === 'enough' ? 'enough' : 'no-supplier';
      let poId: string | null = null;
      if (decision.outcome === 'order')
        ({ outcome, poId } = await createOrder(sku, decision, trigger, ctx, slots));
      const result: CheckResult = {
        sku: sku.sku,
        at: trigger.at,
        trigger: `${trigger.kind}:${trigger.id}`,
        outcome,
        poId,
        needsRestock: decision.outcome === 'order',
        reorderPoint: 'numbers' in decision ? decision.numbers.reorderPoint : null,
        position,
      };
      if (outcome !== 'enough' || trigger.kind !== 'sweep') {
        // The run's line on the SKU's timeline: every check that ordered or found the SKU short,
        // and every check a stock drop or the API started (a quiet nightly check leaves none).
        await deps.timeline.record([
          {
            key: { type: 'sku', id: sku.sku },
            at: trigger.at,
            kind: 'state',
            name: 'RestockCheck',
            detail: {
              run: trigger.id,
              trigger: trigger.kind,
              outcome,
              poId,
              position,
              reorderPoint: result.reorderPoint,
              ...(decision.outcome === 'no-supplier' ? { reason: decision.reason } : {}),
            },
            ref: `restock:${trigger.kind}:${trigger.id}`,
          },
        ]);
      }
      return result;
    },

    /**
     * The context of checks made at `at` (default now) under a policy: the current one unless a
     * version is given (a sweep runs under the version it started with).
     */
    async context(policyVersion?: number, at?: Date): Promise<CheckContext> {
      const policy =
        policyVersion === undefined
          ? ((await deps.store.getPolicy()) ?? DEFAULT_POLICY)
          : policyVersion === 0
            ? DEFAULT_POLICY
            : ((await deps.store.getPolicyVersion(policyVersion)) ?? DEFAULT_POLICY);
      return checkContext(deps, policy, at ?? deps.clock.now());
    },
    nowIso,
  };
}
export type RestockCheck = ReturnType<typeof restockCheck>;
