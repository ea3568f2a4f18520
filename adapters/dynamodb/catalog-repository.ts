import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CatalogRepository } from '#domain/ingestion/accept-delivery';
import { keys } from './schema.ts';

/** What storeflow knows of the platform's catalog: inventory item → SKU (from products/update). */
export class DynamoCatalogRepository implements CatalogRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
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
    await Promise.all(
      items.map((item) =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keys.inventoryItem(item.inventoryItemId),
              entity: 'InventoryItem',
              inventoryItemId: item.inventoryItemId,
              skuCode: item.sku,
            },
          }),
        ),
      ),
    );
  }
}
