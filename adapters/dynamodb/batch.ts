import { setTimeout as delay } from 'node:timers/promises';
import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DocumentClient } from './client.ts';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
/** Batches in flight at once: enough to hide latency, few enough not to trip throttling. */
const CONCURRENCY = 4;
const MAX_ATTEMPTS = 8;

/**
 * Puts many items with BatchWriteItem: 25 per call, a few calls in flight, and the items DynamoDB
 * leaves unprocessed (throttling) retried with exponential backoff and full jitter, as the
 * DynamoDB developer guide asks. Items with the same key must not share a batch; callers pass
 * distinct keys. Throws when items are still unprocessed after the last attempt.
 */
export async function batchPut(
  db: DocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
  sleep?: (ms: number) => Promise<void>,
): Promise<void> {
  await batchWrite(db, tableName, { puts: items }, sleep);
}

type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

/** {@link batchPut} with deletes too (keys), in the same batches. */
export async function batchWrite(
  db: DocumentClient,
  tableName: string,
  writes: { puts?: readonly Record<string, unknown>[]; deletes?: readonly Record<string, unknown>[] },
  sleep: (ms: number) => Promise<unknown> = delay,
): Promise<void> {
  const requests: WriteRequest[] = [
    ...(writes.puts ?? []).map((Item) => ({ PutRequest: { Item } })),
    ...(writes.deletes ?? []).map((Key) => ({ DeleteRequest: { Key } })),
  ];
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += BATCH_SIZE) batches.push(requests.slice(i, i + BATCH_SIZE));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      let pending = batch;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const result = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = (result.UnprocessedItems?.[tableName] ?? []) as typeof pending;
        if (pending.length === 0) break;
        if (attempt >= MAX_ATTEMPTS) {
          throw new Error(
            `BatchWriteItem left ${pending.length} item(s) unprocessed after ${attempt} attempts`,
          );
        }
        await sleep(Math.random() * Math.min(2_000, 50 * 2 ** attempt));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches.length) }, worker));
}

/** BatchGetItem takes at most 100 keys. */
const GET_BATCH_SIZE = 100;

/**
 * Reads many items by key with BatchGetItem: 100 keys per call, a few calls in flight, the keys
 * DynamoDB leaves unprocessed retried with backoff and full jitter. Missing items are left out;
 * the order of the answer is not the order of `keys`. Throws when keys are still unprocessed after
 * the last attempt.
 */
export async function batchGet(
  db: DocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  options: {
    readonly projection?: string;
    readonly names?: Record<string, string>;
    readonly consistent?: boolean;
    readonly sleep?: (ms: number) => Promise<void>;
  } = {},
): Promise<Record<string, unknown>[]> {
  const sleep = options.sleep ?? delay;
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += GET_BATCH_SIZE) batches.push(keys.slice(i, i + GET_BATCH_SIZE));
  const items: Record<string, unknown>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending = batches[next++]!;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const result = await db.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: {
                Keys: pending,
                ...(options.projection ? { ProjectionExpression: options.projection } : {}),
                ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
                ...(options.consistent ? { ConsistentRead: true } : {}),
              },
            },
          }),
        );
        items.push(...((result.Responses?.[tableName] ?? []) as Record<string, unknown>[]));
        pending = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
        if (pending.length === 0) break;
        if (attempt >= MAX_ATTEMPTS) {
          throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed after ${attempt} attempts`);
        }
        await sleep(Math.random() * Math.min(2_000, 50 * 2 ** attempt));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches.length) }, worker));
  return items;
}
