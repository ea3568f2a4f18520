import type { EventData } from '../events/catalog.ts';
import { evaluateSku, type RestockDeps, restockCheck } from './check.ts';

/**
 * Stock on hand follows the platform's inventory levels (`StockLevelChanged`, Shopify's
 * `inventory_levels/update`): each location's latest level, an older one never replacing a newer.
 * A level that takes on-hand stock from at or above the safety stock to below it checks the SKU at
 * once (SPEC §3) — the same per-SKU check the nightly sweep runs.
 */
export function stockFollower(deps: RestockDeps) {
  const checks = restockCheck(deps);
  return async (level: EventData<'StockLevelChanged'>, eventId: string) => {
    if (!level.sku || level.available === null)
      return { outcome: 'ignored' as const, reason: 'no SKU or level' };
    const change = await deps.store.setStockLevel(
      level.sku,
      level.locationId,
      level.available,
      level.changedAt,
    );
    if (!change) return { outcome: 'ignored' as const, reason: `${level.sku} is not in the restock catalog` };
    if (!change.applied) return { outcome: 'stale' as const };
    const sku = await deps.store.getSku(level.sku);
    if (!sku) return { outcome: 'ignored' as const, reason: `${level.sku} vanished` };
    const ctx = await checks.context();
    const { decision } = await evaluateSku(deps, sku, ctx);
    const safetyStock = 'numbers' in decision ? decision.numbers.safetyStock : null;
    const crossed = safetyStock !== null && change.before >= safetyStock && change.after < safetyStock;
    if (!crossed) return { outcome: 'followed' as const, onHand: change.after, safetyStock };
    const result = await checks.check(sku, { kind: 'stock', id: eventId, at: level.changedAt }, ctx);
    await deps.store.saveChecks([result]);
    return {
      outcome: 'checked' as const,
      onHand: change.after,
      safetyStock,
      check: result.outcome,
      poId: result.poId,
    };
  };
}
