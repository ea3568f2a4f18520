import type { Money } from './money.ts';

/**
 * The catalog's buckets: a SKU's bucket is a hash of its id (adapters spread SKUs over them, the
 * restock sweep fans out over them). Here, in the shared kernel, so a reader of the catalog's index
 * (campaigns, metrics) does not import restock's sweep and everything it pulls into a bundle.
 */
export const CATALOG_BUCKETS = 64;

/**
 * The store's catalog as features other than the one that keeps it may read it (restock keeps the
 * SKUs, their stock levels and their suppliers' costs; SPEC §3). A read port in the shared kernel,
 * so a feature that needs a SKU's stock or cost (repricing's low-stock rule and margin floor,
 * SPEC §6) never imports restock: an adapter answers it from the catalog's own records.
 */
export interface CatalogFacts {
  readonly sku: string;
  /** Units on hand, summed over the SKU's stock locations. */
  readonly onHand: number;
  /** What each of the SKU's suppliers charges for a unit (empty when it has none). */
  readonly unitCosts: readonly Money[];
}

/** Port: read-only facts of catalog SKUs. */
export interface CatalogReader {
  /** The facts of those `skus` the catalog knows (unknown SKUs are left out). */
  facts(skus: readonly string[]): Promise<ReadonlyMap<string, CatalogFacts>>;
}

/**
 * The unit cost a margin floor is measured against: the highest any supplier charges in the
 * price's currency, so the margin holds whichever supplier the next purchase comes from; null when
 * no supplier prices the SKU in that currency.
 */
export function marginCost(facts: CatalogFacts | undefined, currency: string): Money | null {
  let cost: Money | null = null;
  for (const c of facts?.unitCosts ?? []) {
    if (c.currency === currency && (cost === null || c.amount > cost.amount)) cost = c;
  }
  return cost;
}
