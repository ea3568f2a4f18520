import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  IdempotentParameterMismatchException,
  ResourceNotFoundException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DynaliteStore, openDynaliteStore } from '../../local/runtime/dynalite-store.ts';
import { storeHandler } from '../../local/runtime/dynamodb.ts';

/**
 * TransactWriteItems on the embedded store, against DynamoDB's documented behaviour
 * (API_TransactWriteItems), through the AWS SDK as a function calls it: all or nothing, one
 * cancellation reason per action, the request-level validations, the idempotency token, and
 * isolation from the writes and reads running beside it.
 */
let store: DynaliteStore;
let server: Server;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let clock = 1_800_000_000_000;
const T = 'tx-items';
const OTHER = 'tx-other';

beforeAll(async () => {
  store = openDynaliteStore({ now: () => clock });
  server = createServer(storeHandler(store));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  doc = DynamoDBDocumentClient.from(client);
  for (const TableName of [T, OTHER]) {
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byG',
            KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  }
});
afterAll(async () => {
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
});

const scan = async (TableName = T) =>
  ((await doc.send(new ScanCommand({ TableName }))).Items ?? []).sort((a, b) =>
    String(a.pk).localeCompare(String(b.pk)),
  );
const clear = async () => {
  for (const TableName of [T, OTHER]) {
    for (const item of await scan(TableName)) {
      await doc.send(
        new TransactWriteCommand({ TransactItems: [{ Delete: { TableName, Key: { pk: item.pk } } }] }),
      );
    }
  }
};
const put = (pk: string, attrs: Record<string, unknown> = {}) =>
  doc.send(new PutCommand({ TableName: T, Item: { pk, ...attrs } }));
const increment = (pk: string, TableName = T) => ({
  Update: {
    TableName,
    Key: { pk },
    UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one',
    ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
  },
});
/** The items gsi `byG` lists under `g`. */
const byG = async (g: string) =>
  (
    await doc.send(
      new QueryCommand({
        TableName: T,
        IndexName: 'byG',
        KeyConditionExpression: 'g = :g',
        ExpressionAttributeValues: { ':g': g },
      }),
    )
  ).Items;
/** The error a call fails with (the test fails if it succeeds). */
async function refusal(send: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await send;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to be refused');
}

describe('TransactWriteItems on the embedded store', () => {
  beforeEach(clear);

  it('applies every action at once, across tables: Put, Update, Delete and ConditionCheck', async () => {
    await put('old', { g: 'x' });
    await put('kept', { n: 5 });
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: T,
              Item: { pk: 'new', g: 'x' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          increment('kept'),
          { Delete: { TableName: T, Key: { pk: 'old' }, ConditionExpression: 'attribute_exists(pk)' } },
          increment('elsewhere', OTHER),
          {
            ConditionCheck: {
              TableName: T,
              Key: { pk: 'absent' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    expect(await scan()).toEqual([
      { pk: 'kept', n: 6 },
      { pk: 'new', g: 'x' },
    ]);
    expect(await scan(OTHER)).toEqual([{ pk: 'elsewhere', n: 1 }]);
    // The index follows: the deleted item's entry is gone, the new one's is there.
    expect(await byG('x')).toEqual([{ pk: 'new', g: 'x' }]);
  });

  it('writes nothing when one condition fails, and says which with one reason per action', async () => {
    await put('a', { n: 1 });
    await put('b', { n: 1 });
    const before = await scan();
    const error = await refusal(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            increment('a'),
            {
              Update: {
                TableName: T,
                Key: { pk: 'b' },
                UpdateExpression: 'SET n = :two',
                ConditionExpression: 'n = :zero',
                ExpressionAttributeValues: { ':two': 2, ':zero': 0 },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            { Put: { TableName: T, Item: { pk: 'c', g: 'y' } } },
            {
              ConditionCheck: { TableName: T, Key: { pk: 'd' }, ConditionExpression: 'attribute_exists(pk)' },
            },
          ],
        }),
      ),
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect(error.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None, ConditionalCheckFailed]',
    );
    expect(error.CancellationReasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: { pk: { S: 'b' }, n: { N: '1' } },
      },
      { Code: 'None' },
      { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
    ]);
    expect(await scan()).toEqual(before);
    expect(await byG('y')).toEqual([]);
  });

  it('cancels with ValidationError when an action cannot apply to its item (past 400 KB)', async () => {
    await put('big', { blob: 'x'.repeat(300_000) });
    const error = await refusal(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            increment('small'),
            {
              Update: {
                TableName: T,
                Key: { pk: 'big' },
                UpdateExpression: 'SET more = :m',
                ExpressionAttributeValues: { ':m': 'y'.repeat(200_000) },
              },
            },
          ],
        }),
      ),
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error.CancellationReasons as Array<{ Code: string }>).map((r) => r.Code)).toEqual([
      'None',
      'ValidationError',
    ]);
    expect((await scan()).map((i) => i.pk)).toEqual(['big']);
  });

  it('refuses a malformed request as a whole, naming why, and runs none of it', async () => {
    await put('a', { n: 1 });
    const before = await scan();
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['no actions', { TransactItems: [] }, /greater than or equal to 1/],
      [
        '101 actions',
        { TransactItems: Array.from({ length: 101 }, (_, i) => increment(`k${i}`)) },
        /less than or equal to 100/,
      ],
      [
        'two actions on one item',
        { TransactItems: [increment('a'), increment('a')] },
        /multiple operations on one item/,
      ],
      [
        'two kinds in one action',
        { TransactItems: [{ ...increment('a'), Put: { TableName: T, Item: { pk: 'z' } } }] },
        /only contain one of/,
      ],
      [
        'a ConditionCheck without a condition',
        { TransactItems: [increment('b'), { ConditionCheck: { TableName: T, Key: { pk: 'a' } } }] },
        /ConditionExpression/,
      ],
      [
        'an unused expression value',
        {
          TransactItems: [
            {
              Update: {
                TableName: T,
                Key: { pk: 'a' },
                UpdateExpression: 'SET n = :one',
                ExpressionAttributeValues: { ':one': 1, ':unused': 2 },
              },
            },
          ],
        },
        /unused/,
      ],
      [
        'a key of the wrong type',
        { TransactItems: [{ Put: { TableName: T, Item: { pk: 7 } } }] },
        /Type mismatch/,
      ],
    ];
    for (const [label, input, message] of cases) {
      const error = await refusal(doc.send(new TransactWriteCommand(input as never)));
      expect(error.name, label).toBe('ValidationException');
      expect(error.message, label).toMatch(message);
    }
    const missing = await refusal(
      doc.send(
        new TransactWriteCommand({ TransactItems: [increment('b'), increment('c', 'no-such-table')] }),
      ),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(await scan()).toEqual(before);
  });

  it('keeps a client request token for 10 minutes: a retry writes nothing, another request is refused', async () => {
    const input = { TransactItems: [increment('counted')], ClientRequestToken: 'retry-token-1' };
    await client.send(new TransactWriteItemsCommand(marshalled(input)));
    await client.send(new TransactWriteItemsCommand(marshalled(input)));
    expect(await scan()).toEqual([{ pk: 'counted', n: 1 }]);
    const mismatch = await refusal(
      client.send(
        new TransactWriteItemsCommand(
          marshalled({ TransactItems: [increment('other')], ClientRequestToken: 'retry-token-1' }),
        ),
      ),
    );
    expect(mismatch).toBeInstanceOf(IdempotentParameterMismatchException);
    clock += 10 * 60_000 + 1;
    await client.send(new TransactWriteItemsCommand(marshalled(input)));
    expect(await scan()).toEqual([{ pk: 'counted', n: 2 }]);
    // The SDK sets a token of its own on every call: distinct calls are distinct transactions.
    await doc.send(new TransactWriteCommand({ TransactItems: [increment('counted')] }));
    await doc.send(new TransactWriteCommand({ TransactItems: [increment('counted')] }));
    expect(await scan()).toEqual([{ pk: 'counted', n: 4 }]);
  });

  it('answers a token whose transaction is still running with TransactionInProgressException', async () => {
    const body = JSON.stringify(
      marshalled({ TransactItems: [increment('busy')], ClientRequestToken: 'in-flight' }),
    );
    const target = 'DynamoDB_20120810.TransactWriteItems';
    const [first, second] = await Promise.all([store.execute(target, body), store.execute(target, body)]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(400);
    expect(JSON.parse(second.body).__type).toBe(
      'com.amazonaws.dynamodb.v20120810#TransactionInProgressException',
    );
    expect((await store.execute(target, body)).status).toBe(200);
    expect(await scan()).toEqual([{ pk: 'busy', n: 1 }]);
  });

  it('reports twice the write units of the same writes made one by one', async () => {
    const out = await doc.send(
      new TransactWriteCommand({
        TransactItems: [increment('a'), increment('b'), increment('c', OTHER)],
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(out.ConsumedCapacity).toEqual([
      { TableName: T, CapacityUnits: 4, WriteCapacityUnits: 4 },
      { TableName: OTHER, CapacityUnits: 2, WriteCapacityUnits: 2 },
    ]);
  });

  it('loses no update among concurrent transactions and single writes on the same items', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const forward = keys.map((k) => increment(k));
    const backward = [...forward].reverse();
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        doc.send(new TransactWriteCommand({ TransactItems: i % 2 ? forward : backward })),
      ),
      ...keys.flatMap((k) =>
        Array.from({ length: 5 }, () =>
          doc.send(
            new UpdateCommand({
              TableName: T,
              Key: { pk: k },
              UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one',
              ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
            }),
          ),
        ),
      ),
    ]);
    expect((await scan()).map((i) => i.n)).toEqual(keys.map(() => 15));
  });

  it('is never seen half-done: a reader beside it sees all of it or none of it', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    for (const pk of keys) await put(pk, { v: 0 });
    const seen = new Set<string>();
    let done = false;
    const reader = (async () => {
      while (!done) {
        const got = await doc.send(
          new BatchGetCommand({ RequestItems: { [T]: { Keys: keys.map((pk) => ({ pk })) } } }),
        );
        seen.add([...new Set(got.Responses?.[T]?.map((i) => i.v))].sort().join(','));
      }
    })();
    for (let v = 1; v <= 5; v++) {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: keys.map((pk) => ({
            Update: {
              TableName: T,
              Key: { pk },
              UpdateExpression: 'SET v = :v',
              ExpressionAttributeValues: { ':v': v },
            },
          })),
        }),
      );
      expect((await doc.send(new GetCommand({ TableName: T, Key: { pk: keys.at(-1) } }))).Item?.v).toBe(v);
    }
    done = true;
    await reader;
    for (const values of seen) expect(values.split(',')).toHaveLength(1);
  });

  it('applies a transaction as one LevelDB batch', async () => {
    const batches = store.stats.writeBatches;
    await doc.send(
      new TransactWriteCommand({
        TransactItems: Array.from({ length: 100 }, (_, i) => ({
          Put: { TableName: T, Item: { pk: `b${i}`, g: 'batch' } },
        })),
      }),
    );
    expect(store.stats.writeBatches - batches).toBe(1);
    expect(await scan()).toHaveLength(100);
  });
});

/** The low-level client's input (the token set by hand, as a retrying caller keeps it). */
function marshalled(input: { TransactItems: ReturnType<typeof increment>[]; ClientRequestToken: string }) {
  return {
    ClientRequestToken: input.ClientRequestToken,
    TransactItems: input.TransactItems.map(({ Update }) => ({
      Update: {
        TableName: Update.TableName,
        Key: { pk: { S: Update.Key.pk } },
        UpdateExpression: Update.UpdateExpression,
        ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' } },
      },
    })),
  };
}
