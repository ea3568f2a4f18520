import { localDate } from '../shared/calendar.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { type IdGenerator, randomIds } from '../shared/ids.ts';
import { parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { onHandOf, parseSku, parseSupplier, type Sku, type Supplier } from './catalog.ts';
import { evaluateSku, type RestockDeps, restockCheck } from './check.ts';
import { DEFAULT_POLICY, parseRestockPolicy, policyView, type VersionedPolicy } from './policy.ts';
import { PO_STATUSES, type PurchaseOrder } from './purchase-order.ts';
import { paymentTerms, type SupplierTerms } from './rules.ts';

/**
 * The restock operations API's use cases (issue #11): suppliers, SKUs, the policy, and reading
 * purchase orders. Saves are optimistic (a version read, a conditional write, a few retries).
 */

const SAVE_ATTEMPTS = 5;

const PageQuery = z.object({
  limit: z._default(
    z.coerce
      .number('must be a number from 1 to 500')
      .check(
        z.int('must be a whole number'),
        z.minimum(1, 'must be at least 1'),
        z.maximum(500, 'must be at most 500'),
      ),
    100,
  ),
  cursor: z.optional(
    z.string().check(z.minLength(1), z.maxLength(2048, 'is not a cursor this API handed out')),
  ),
});

const PurchaseOrderQuery = z.extend(PageQuery, {
  status: z.optional(z.enum(PO_STATUSES, `must be one of ${PO_STATUSES.join(', ')}`)),
  sku: z.optional(z.string().check(z.minLength(1), z.maxLength(256, 'must be at most 256 characters'))),
  supplierId: z.optional(
    z.string().check(z.minLength(1), z.maxLength(256, 'must be at most 256 characters')),
  ),
});

const SkuQuery = z.extend(PageQuery, {
  needsRestock: z.optional(z.enum(['true', 'false'], 'must be true or false')),
});

export function restockAdmin(deps: RestockDeps & { readonly ids?: IdGenerator }) {
  const ids = deps.ids ?? randomIds;
  const checks = restockCheck(deps);
  const nowIso = () => deps.clock.now().toISOString();
  const policy = async (): Promise<VersionedPolicy> => (await deps.store.getPolicy()) ?? DEFAULT_POLICY;

  async function supplierView(s: Supplier) {
    const p = await policy();
    const year = localDate(deps.clock.now(), p.timeZone).slice(0, 4);
    const purchasedThisYear = await deps.store.purchasedInYear(s.supplierId, year, s.currency);
    const terms = paymentTerms(s, purchasedThisYear, p);
    return {
      ...s,
      purchasedThisYear,
      year,
      paymentTermsDays: terms.paymentTermsDays,
      rebateBps: terms.rebateBps,
      volumeTerms: terms.volume,
    };
  }

  async function skuView(sku: Sku) {
    const ctx = await checks.context();
    const { decision, sales30d, inbound, topTen } = await evaluateSku(deps, sku, ctx);
    const numbers = 'numbers' in decision ? decision.numbers : null;
    const lastCheck = await deps.store.getCheck(sku.sku);
    return {
      sku: sku.sku,
      title: sku.title,
      category: sku.category,
      onHand: onHandOf(sku.levels),
      stockLevels: sku.levels,
      supply: sku.supply,
      sales30d,
      forecastPerDay: numbers?.forecastPerDay ?? null,
      safetyStock: numbers?.safetyStock ?? null,
      reorderPoint: numbers?.reorderPoint ?? null,
      inbound,
      topTen,
      needsRestock: decision.outcome === 'order',
      supplier: 'supplier' in decision ? decision.supplier.supplierId : null,
      ...(decision.outcome === 'no-supplier' ? { noSupplier: decision.reason } : {}),
      policyVersion: ctx.policy.version,
      lastCheck,
      version: sku.version,
      createdAt: sku.createdAt,
      updatedAt: sku.updatedAt,
    };
  }

  return {
    // --- suppliers ---
    async putSupplier(supplierId: unknown, body: unknown) {
      const terms = parseSupplier(supplierId, body);
      for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
        const existing = await deps.store.getSupplier(terms.supplierId);
        const saved = await deps.store.saveSupplier(terms, existing?.version ?? null, nowIso());
        if (saved.saved) return { created: saved.created, supplier: await supplierView(saved.record) };
      }
      throw new ConflictError(
        `supplier ${terms.supplierId} kept changing while it was being saved; try again`,
      );
    },
    async getSupplier(supplierId: string) {
      const s = await deps.store.getSupplier(parseId(supplierId, 'supplierId'));
      if (!s) throw new NotFoundError(`supplier ${supplierId} does not exist`);
      return supplierView(s);
    },
    async listSuppliers() {
      return { items: await Promise.all((await deps.store.listSuppliers()).map(supplierView)) };
    },

    // --- SKUs ---
    async putSku(sku: unknown, body: unknown) {
      const id = parseId(sku, 'sku');
      const supplierIds = Array.isArray((body as { supply?: unknown })?.supply)
        ? ((body as { supply: Array<{ supplierId?: unknown }> }).supply
            .map((o) => o?.supplierId)
            .filter((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256) as string[])
        : [];
      const suppliers = new Map<string, SupplierTerms>();
      for (const s of await Promise.all([...new Set(supplierIds)].map((i) => deps.store.getSupplier(i)))) {
        if (s) suppliers.set(s.supplierId, s);
      }
      const { spec, onHand } = parseSku(id, body, suppliers);
      for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
        const existing = await deps.store.getSku(id);
        const saved = await deps.store.saveSku(
          spec,
          onHand ?? (existing ? undefined : 0),
          existing?.version ?? null,
          nowIso(),
        );
        if (saved.saved) return { created: saved.created, sku: await skuView(saved.record) };
      }
      throw new ConflictError(`SKU ${id} kept changing while it was being saved; try again`);
    },
    async getSku(sku: string) {
      const record = await deps.store.getSku(parseId(sku, 'sku'));
      if (!record) throw new NotFoundError(`SKU ${sku} is not in the restock catalog`);
      return skuView(record);
    },
    /** `GET /api/skus`: every SKU, or (`?needsRestock=true`) those whose last check found them short. */
    async listSkus(query: unknown) {
      const q = parseOrThrow(SkuQuery, query ?? {});
      if (q.needsRestock === 'true') {
        const page = await deps.store.listNeedsRestock(q.cursor ?? null, q.limit);
        const skus = (await Promise.all(page.items.map((s) => deps.store.getSku(s)))).filter(
          (s): s is Sku => s !== null,
        );
        return { items: await Promise.all(skus.map(skuView)), nextCursor: page.cursor };
      }
      const page = await deps.store.listSkus(q.cursor ?? null, q.limit);
      const items = await Promise.all(page.items.map(skuView));
      return {
        items: q.needsRestock === 'false' ? items.filter((i) => !i.needsRestock) : items,
        nextCursor: page.cursor,
      };
    },

    // --- policy ---
    async putPolicy(body: unknown) {
      const next = parseRestockPolicy(body);
      for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
        const current = await policy();
        const saved = await deps.store.savePolicy(next, current.version, nowIso());
        if (saved.saved) return policyView(saved.record);
      }
      throw new ConflictError('the restock policy kept changing while it was being saved; try again');
    },
    async getPolicy() {
      return policyView(await policy());
    },

    // --- purchase orders ---
    async getPurchaseOrder(poId: string): Promise<PurchaseOrder> {
      const po = await deps.store.getPurchaseOrder(parseId(poId, 'poId'));
      if (!po) throw new NotFoundError(`purchase order ${poId} does not exist`);
      return po;
    },
    async listPurchaseOrders(query: unknown) {
      const q = parseOrThrow(PurchaseOrderQuery, query ?? {});
      const page = await deps.store.listPurchaseOrders(
        {
          ...(q.status ? { status: q.status } : {}),
          ...(q.sku ? { sku: q.sku } : {}),
          ...(q.supplierId ? { supplierId: q.supplierId } : {}),
        },
        q.cursor ?? null,
        q.limit,
      );
      return { items: page.items, nextCursor: page.cursor };
    },
    /** `POST /api/skus/{sku}/check`: the per-SKU check now (what a stock drop runs), for operators. */
    async checkSku(sku: string) {
      const record = await deps.store.getSku(parseId(sku, 'sku'));
      if (!record) throw new NotFoundError(`SKU ${sku} is not in the restock catalog`);
      const ctx = await checks.context();
      const at = nowIso();
      // Each request is its own trigger: concurrent checks compete for the slot, one wins.
      const result = await checks.check(record, { kind: 'api', id: `check-${ids.next()}`, at }, ctx);
      await deps.store.saveChecks([result]);
      return result;
    },
  };
}
export type RestockAdmin = ReturnType<typeof restockAdmin>;
