import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
  db: DynamoDBDocumentClient,
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
  db: DynamoDBDocumentClient,
  tableName: string,
  writes: { puts?: readonly Record<string, unknown>[]; deletes?: readonly Record<string, unknown>[] },
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
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
