import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  DeliveryIdReuse,
  DeliveryRecord,
  DeliverySource,
  DeliveryStore,
} from '#domain/ingestion/accept-delivery';
import { type DocumentClient, isConditionalCheckFailed } from './client.ts';
import { keys } from './schema.ts';

/**
 * Events whose JSON is larger than this are stored gzipped in one binary attribute (`eventsGzip`)
 * instead of as a list of maps (`events`). A 2,000-line order's outbox is ~230 KB of JSON, ~350 KB
 * as DynamoDB attribute values (~350 WCU to write, the same again for every update of the record,
 * and the marshalling of ~30,000 attribute values in the function) and ~10 KB gzipped. Smaller
 * outboxes stay readable in the table as they were.
 */
export const EVENTS_INLINE_MAX_BYTES = 16 * 1024;

/** The delivery log on the single table: one item per fact, written with conditions only. */
export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(
    record: DeliveryRecord,
  ): Promise<{ claimed: true } | { claimed: false; existing: DeliveryRecord }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.delivery(record.source, record.factKey), entity: 'Delivery', ...toItem(record) },
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
        Key: keys.delivery(record.source, record.factKey),
        ConsistentRead: true,
      }),
    );
    if (!existing.Item) throw new Error(`delivery ${record.factKey} vanished between claim and read`);
    return { claimed: false, existing: toRecord(existing.Item) };
  }

  async takeOver(source: DeliverySource, factKey: string, now: string, leaseUntil: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(source, factKey),
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

  async markPublished(source: DeliverySource, factKey: string, publishedAt: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(source, factKey),
        UpdateExpression: 'SET #status = :published, publishedAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':published': 'PUBLISHED', ':at': publishedAt },
      }),
    );
  }

  async rememberDeliveryId(
    source: DeliverySource,
    delivery: { deliveryId: string; factKey: string; bodySha256: string; receivedAt: string },
  ): Promise<DeliveryIdReuse['previous'] | null> {
    const key = keys.deliveryId(source, delivery.deliveryId);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, entity: 'DeliveryId', source, ...delivery },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return null;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    // Known: a platform retry brings the same body (nothing to report); the first sighting stays.
    const first = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    const item = first.Item ?? {};
    if (item.bodySha256 === delivery.bodySha256) return null;
    return {
      factKey: String(item.factKey),
      bodySha256: String(item.bodySha256),
      receivedAt: String(item.receivedAt),
    };
  }

  async recordDeliveryIdReuse(source: DeliverySource, reuse: DeliveryIdReuse): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.deliveryIdReuse(source, reuse.deliveryId, reuse.bodySha256),
          entity: 'DeliveryIdReuse',
          source,
          ...reuse,
        },
      }),
    );
  }
}

/** The record as stored: its events inline when small, else gzipped JSON (see EVENTS_INLINE_MAX_BYTES). */
function toItem(record: DeliveryRecord): Record<string, unknown> {
  const json = JSON.stringify(record.events);
  if (Buffer.byteLength(json) <= EVENTS_INLINE_MAX_BYTES) return { ...record };
  const { events: _events, ...rest } = record;
  return { ...rest, eventsGzip: gzipSync(json) };
}

function toRecord(item: Record<string, unknown>): DeliveryRecord {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _g1,
    gsi1sk: _g2,
    entity: _e,
    publishedAt: _p,
    eventsGzip,
    ...record
  } = item;
  const stored = record as unknown as DeliveryRecord & { keys?: unknown };
  // Records written before facts were keyed by identity have no factKey and no extraKeys.
  return {
    ...stored,
    factKey: stored.factKey ?? stored.deliveryId,
    extraKeys: stored.extraKeys ?? [],
    events:
      eventsGzip instanceof Uint8Array
        ? (JSON.parse(gunzipSync(eventsGzip).toString('utf8')) as DeliveryRecord['events'])
        : stored.events,
  };
}
