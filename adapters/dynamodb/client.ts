import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

/** One document client per process; undefined attributes are dropped, never written as NULL. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

type Item = Record<string, unknown>;

/** One item by key (strongly consistent unless asked otherwise). */
export async function getItem(
  db: DynamoDBDocumentClient,
  tableName: string,
  key: Item,
  consistent = true,
): Promise<Item | undefined> {
  return (await db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: consistent }))).Item;
}

/** Every item a Query matches, page after page. */
export async function queryAll(
  db: DynamoDBDocumentClient,
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
  db: DynamoDBDocumentClient,
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
