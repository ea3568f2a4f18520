import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryRecord, DeliverySource, DeliveryStore } from '#domain/ingestion/accept-delivery';
import { isConditionalCheckFailed } from './client.ts';
import { keys } from './schema.ts';

/** The delivery log on the single table: one item per delivery, written with conditions only. */
export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(
    record: DeliveryRecord,
  ): Promise<{ claimed: true } | { claimed: false; existing: DeliveryRecord }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.delivery(record.source, record.deliveryId),
            ...keys.pendingDelivery(record.receivedAt, record.source, record.deliveryId),
            entity: 'Delivery',
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const existing = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.delivery(record.source, record.deliveryId),
        ConsistentRead: true,
      }),
    );
    if (!existing.Item) throw new Error(`delivery ${record.deliveryId} vanished between claim and read`);
    return { claimed: false, existing: toRecord(existing.Item) };
  }

  async takeOver(
    source: DeliverySource,
    deliveryId: string,
    now: string,
    leaseUntil: string,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(source, deliveryId),
          UpdateExpression: 'SET leaseUntil = :lease',
          ConditionExpression: '#status = :received AND leaseUntil < :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':lease': leaseUntil, ':received': 'RECEIVED', ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async markPublished(source: DeliverySource, deliveryId: string, publishedAt: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(source, deliveryId),
        UpdateExpression: 'SET #status = :published, publishedAt = :at REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':published': 'PUBLISHED', ':at': publishedAt },
      }),
    );
  }
}

function toRecord(item: Record<string, unknown>): DeliveryRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entity: _e, publishedAt: _p, ...record } = item;
  return record as unknown as DeliveryRecord;
}
