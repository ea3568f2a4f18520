import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CatalogRepository } from '#domain/ingestion/accept-delivery';
import { batchPut } from './batch.ts';
import type { DocumentClient } from './client.ts';
import { keys } from './schema.ts';

/** What storeflow knows of the platform's catalog: inventory item → SKU (from products/update). */
export class DynamoCatalogRepository implements CatalogRepository {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async skuForInventoryItem(inventoryItemId: string): Promise<string | null> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.inventoryItem(inventoryItemId) }),
    );
    return typeof result.Item?.skuCode === 'string' ? result.Item.skuCode : null;
  }

  async rememberInventoryItems(
    items: ReadonlyArray<{ inventoryItemId: string; sku: string }>,
  ): Promise<void> {
    // One item per inventory item: the last variant naming it wins, as in the product itself.
    const byItem = new Map(items.map((item) => [item.inventoryItemId, item.sku]));
    await batchPut(
      this.db,
      this.tableName,
      [...byItem].map(([inventoryItemId, sku]) => ({
        ...keys.inventoryItem(inventoryItemId),
        entity: 'InventoryItem',
        inventoryItemId,
        skuCode: sku,
      })),
    );
  }
}
