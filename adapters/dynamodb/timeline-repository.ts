import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { BusinessKey } from '#domain/events/envelope';
import { ValidationError } from '#domain/shared/errors';
import type { TimelineEntry, TimelinePage, TimelineRepository } from '#domain/timeline/timeline';
import { batchPut } from './batch.ts';
import type { DocumentClient } from './client.ts';
import { keys } from './schema.ts';

/** Timelines on the single table: partition = business key, sort = time, kind rank, ref. */
export class DynamoTimelineRepository implements TimelineRepository {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entries: readonly TimelineEntry[]): Promise<void> {
    // A put of the same (key, at, kind, ref) writes the same item: recording is idempotent. One
    // BatchWriteItem carries up to 25 lines (an order's and each of its SKUs').
    const items = new Map<string, Record<string, unknown>>();
    for (const entry of entries) {
      const key = keys.timelineEntry(entry.key.type, entry.key.id, entry.at, entry.kind, entry.ref);
      items.set(`${key.pk}\u0000${key.sk}`, {
        ...key,
        entity: 'TimelineEntry',
        keyType: entry.key.type,
        keyId: entry.key.id,
        at: entry.at,
        kind: entry.kind,
        name: entry.name,
        ref: entry.ref,
        detail: entry.detail,
      });
    }
    await batchPut(this.db, this.tableName, [...items.values()]);
  }

  async list(key: BusinessKey, options: { limit: number; cursor: string | null }): Promise<TimelinePage> {
    const pk = keys.businessKey(key.type, key.id);
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tl)',
        ExpressionAttributeValues: { ':pk': pk, ':tl': keys.timelinePrefix },
        ScanIndexForward: true,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, pk) : undefined,
      }),
    );
    const items = (result.Items ?? []).map(
      (item): TimelineEntry => ({
        key,
        at: item.at as string,
        kind: item.kind as TimelineEntry['kind'],
        name: item.name as string,
        detail: (item.detail ?? {}) as Record<string, unknown>,
        ref: item.ref as string,
      }),
    );
    return {
      items,
      nextCursor: result.LastEvaluatedKey ? encodeCursor(result.LastEvaluatedKey) : null,
    };
  }
}

function encodeCursor(lastKey: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ pk: lastKey.pk, sk: lastKey.sk })).toString('base64url');
}

/** DynamoDB's limit for a sort key value. */
const MAX_SORT_KEY_BYTES = 1024;

function decodeCursor(cursor: string, pk: string): Record<string, string> {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      pk?: unknown;
      sk?: unknown;
    };
    // Only a key this timeline could have handed out: its partition, a timeline sort key, and
    // within DynamoDB's key size (a forged 2,000-character key must be a 400, not a 500).
    if (
      parsed.pk === pk &&
      typeof parsed.sk === 'string' &&
      parsed.sk.startsWith(keys.timelinePrefix) &&
      Buffer.byteLength(parsed.sk) <= MAX_SORT_KEY_BYTES
    ) {
      return { pk, sk: parsed.sk };
    }
  } catch {
    // fall through to the validation error
  }
  throw ValidationError.field('cursor', 'is not a cursor returned for this timeline');
}
