import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  type PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import { CachedDocumentClient, type DocumentClient } from './document-client.ts';

export type { DocumentClient };

/**
 * One document client per process, its middleware resolved once per command class
 * (`CachedDocumentClient`); undefined attributes are dropped, never written as NULL.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): CachedDocumentClient {
  return new CachedDocumentClient(config, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

type Item = Record<string, unknown>;

/** One item by key (strongly consistent unless asked otherwise). */
export async function getItem(
  db: DocumentClient,
  tableName: string,
  key: Item,
  consistent = true,
): Promise<Item | undefined> {
  return (await db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: consistent }))).Item;
}

/** Every item a Query matches, page after page. */
export async function queryAll(
  db: DocumentClient,
  tableName: string,
  input: Omit<QueryCommandInput, 'TableName'>,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await db.send(
      new QueryCommand({ TableName: tableName, ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** A conditional Put or Update: its returned attributes (`{}` without any), or null when the condition failed. */
export async function conditionalWrite(
  db: DocumentClient,
  command: PutCommand | UpdateCommand,
): Promise<Item | null> {
  try {
    const result = await db.send(command as UpdateCommand);
    return ((result as { Attributes?: Item }).Attributes ?? {}) as Item;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return null;
    throw error;
  }
}

/**
 * A store over the single table: the client, the table's name, and the three reads and writes
 * every store makes (one item, every page of a query, a conditional write).
 */
export abstract class TableStore {
  constructor(
    protected readonly db: DocumentClient,
    protected readonly tableName: string,
  ) {}

  /** One item by key (strongly consistent unless asked otherwise). */
  protected item(key: Item, consistent = true): Promise<Item | undefined> {
    return getItem(this.db, this.tableName, key, consistent);
  }

  /** Every item a Query matches, page after page. */
  protected items(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    return queryAll(this.db, this.tableName, input);
  }

  /** A conditional write: its returned attributes, or null when the condition failed. */
  protected conditional(command: PutCommand | UpdateCommand): Promise<Item | null> {
    return conditionalWrite(this.db, command);
  }
}
