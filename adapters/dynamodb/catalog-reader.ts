import type { CatalogFacts, CatalogReader } from '#domain/shared/catalog';
import type { Money } from '#domain/shared/money';
import { batchGet } from './batch.ts';
import type { DocumentClient } from './client.ts';
import { keys } from './schema.ts';

/**
 * The catalog's facts from restock's SKU items (`SKU#<sku>` / `SKU`: `levels` per location,
 * `supply` with each supplier's unit cost), read with BatchGetItem and a projection of just those
 * attributes. The item layout is restock's (adapters/dynamodb/restock-store.ts); this adapter is
 * the one place another feature reads it.
 */
export class DynamoCatalogReader implements CatalogReader {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async facts(skus: readonly string[]): Promise<ReadonlyMap<string, CatalogFacts>> {
    const unique = [...new Set(skus)];
    const items = await batchGet(
      this.db,
      this.tableName,
      unique.map((s) => keys.sku(s)),
      { projection: '#sku, levels, supply', names: { '#sku': 'sku' } },
    );
    const facts = new Map<string, CatalogFacts>();
    for (const item of items) {
      const sku = item.sku;
      if (typeof sku !== 'string') continue;
      const levels = (item.levels ?? {}) as Record<string, { available?: number }>;
      const supply = (item.supply ?? []) as Array<{ unitCost?: Money }>;
      facts.set(sku, {
        sku,
        onHand: Object.values(levels).reduce((n, l) => n + Number(l?.available ?? 0), 0),
        unitCosts: supply.flatMap((s) =>
          s.unitCost && Number.isInteger(s.unitCost.amount) ? [{ ...s.unitCost }] : [],
        ),
      });
    }
    return facts;
  }
}
