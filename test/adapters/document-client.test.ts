import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CachedDocumentClient } from '#adapters/dynamodb/document-client';
import { prng as rng } from '#domain/metrics/traffic';

/**
 * The cached document client (decision 60) against lib-dynamodb's own: for the same commands, the
 * same request on the wire and the same translated answer, over generated items; and its middleware
 * stack resolved once per command class.
 */
const translate = { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } };
const TABLE = 't';

/** A client whose transport records each request and answers with the next queued body. */
function recording() {
  const requests: Array<{ target: string; body: unknown }> = [];
  const answers: string[] = [];
  const config = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
        // TransactWriteItems' idempotency token is random per call: compared as present or not
        const token = (body: { ClientRequestToken?: string }) =>
          body.ClientRequestToken ? { ...body, ClientRequestToken: '(a token)' } : body;
        requests.push({
          target: request.headers['x-amz-target'] ?? '',
          body: token(
            JSON.parse(
              typeof request.body === 'string'
                ? request.body
                : new TextDecoder().decode(request.body as Uint8Array),
            ),
          ),
        });
        const answer = answers.shift() ?? '{}';
        const failed = answer.startsWith('!');
        return {
          response: {
            statusCode: failed ? 400 : 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Buffer.from(
              failed
                ? JSON.stringify({
                    __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
                    message: answer.slice(1),
                  })
                : answer,
            ),
          },
        };
      },
    },
  };
  return { config, requests, answers };
}

class Money {
  constructor(readonly amount: number) {}
}

function value(r: () => number, depth: number, odd: boolean): unknown {
  const pick = Math.floor(r() * (depth > 2 ? 7 : 11));
  switch (pick) {
    case 0:
      return `s${Math.floor(r() * 1000)}`;
    case 1:
      return r() < 0.5 ? Math.floor(r() * 1e6) - 5e5 : Math.round(r() * 1e4) / 100;
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return r() < 0.3 && odd ? undefined : '';
    case 5:
      return new Uint8Array([1, 2, Math.floor(r() * 255)]);
    case 6:
      return r() < 0.5 ? new Set(['a', `b${Math.floor(r() * 9)}`]) : new Set([1, 2, Math.floor(r() * 9) + 3]);
    case 7:
    case 8:
      return item(r, depth + 1, odd);
    case 9:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1, odd));
    default:
      // a class instance is refused (convertClassInstanceToMap: false), by both clients alike
      return odd && r() < 0.2 ? new Money(5) : `tail${depth}`;
  }
}

function item(r: () => number, depth = 0, odd = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) out[`f${i}`] = value(r, depth, odd);
  return out;
}

const key = (r: () => number) => ({ pk: `P#${Math.floor(r() * 100)}`, sk: `S#${Math.floor(r() * 100)}` });
/** A stored item as DynamoDB returns it (marshalled; no class instances, no undefined). */
const stored = (r: () => number) => marshall({ ...key(r), ...item(r) }, translate.marshallOptions);

/** One generated command and the answer the service gives it. */
function commands(r: () => number): Array<{ command: () => object; answer: string }> {
  const odd = r() < 0.3;
  const values = () => ({ ':a': value(r, 0, odd), ':b': item(r, 1, odd) });
  return [
    {
      command: () =>
        new PutCommand({
          TableName: TABLE,
          Item: { ...key(r), ...item(r, 0, odd) },
          ConditionExpression: 'attribute_not_exists(pk) OR v = :a',
          ExpressionAttributeValues: values(),
          ReturnValues: 'ALL_OLD',
        }),
      answer: JSON.stringify({ Attributes: stored(r) }),
    },
    {
      command: () =>
        new GetCommand({
          TableName: TABLE,
          Key: key(r),
          ConsistentRead: true,
          ProjectionExpression: 'f0, #n',
          ExpressionAttributeNames: { '#n': 'name' },
        }),
      answer: r() < 0.2 ? '{}' : JSON.stringify({ Item: stored(r) }),
    },
    {
      command: () =>
        new UpdateCommand({
          TableName: TABLE,
          Key: key(r),
          UpdateExpression: 'SET #x = :a, y = :b',
          ExpressionAttributeNames: { '#x': 'x' },
          ExpressionAttributeValues: values(),
          ReturnValues: 'ALL_NEW',
        }),
      answer: JSON.stringify({ Attributes: stored(r) }),
    },
    {
      command: () =>
        new DeleteCommand({
          TableName: TABLE,
          Key: key(r),
          ConditionExpression: 'v = :a',
          ExpressionAttributeValues: { ':a': value(r, 0, odd) },
        }),
      answer: r() < 0.3 ? '!The conditional request failed' : '{}',
    },
    {
      command: () =>
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :a',
          ExpressionAttributeValues: { ':a': `P#${Math.floor(r() * 9)}` },
          ExclusiveStartKey: r() < 0.5 ? key(r) : undefined,
          Limit: 5,
        }),
      answer: JSON.stringify({
        Items: [stored(r), stored(r)],
        Count: 2,
        ScannedCount: 2,
        LastEvaluatedKey: marshall(key(r)),
      }),
    },
    {
      command: () =>
        new ScanCommand({
          TableName: TABLE,
          FilterExpression: 'f0 <> :a',
          ExpressionAttributeValues: { ':a': value(r, 0, odd) },
        }),
      answer: JSON.stringify({ Items: [stored(r)], Count: 1, ScannedCount: 3 }),
    },
    {
      command: () =>
        new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: [key(r), key(r)], ConsistentRead: true } } }),
      answer: JSON.stringify({
        Responses: { [TABLE]: [stored(r)] },
        UnprocessedKeys: { [TABLE]: { Keys: [marshall(key(r))] } },
      }),
    },
    {
      command: () =>
        new BatchWriteCommand({
          RequestItems: {
            [TABLE]: [
              { PutRequest: { Item: { ...key(r), ...item(r, 0, odd) } } },
              { DeleteRequest: { Key: key(r) } },
            ],
          },
        }),
      answer: JSON.stringify({ UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: stored(r) } }] } }),
    },
    {
      command: () =>
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { ...key(r), ...item(r, 0, odd) } } },
            {
              Update: {
                TableName: TABLE,
                Key: key(r),
                UpdateExpression: 'SET v = :a',
                ExpressionAttributeValues: values(),
              },
            },
            {
              ConditionCheck: {
                TableName: TABLE,
                Key: key(r),
                ConditionExpression: 'v = :a',
                ExpressionAttributeValues: { ':a': 1 },
              },
            },
            { Delete: { TableName: TABLE, Key: key(r) } },
          ],
        }),
      answer: '{}',
    },
    {
      command: () => new TransactGetCommand({ TransactItems: [{ Get: { TableName: TABLE, Key: key(r) } }] }),
      answer: JSON.stringify({ Responses: [{ Item: stored(r) }, {}] }),
    },
  ];
}

async function outcome(send: (command: never) => Promise<unknown>, command: object) {
  try {
    return { output: await send(command as never) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the cached document client', () => {
  it('sends what lib-dynamodb sends and answers what it answers, over 400 generated commands', async () => {
    const theirs = recording();
    const ours = recording();
    const reference = DynamoDBDocumentClient.from(new DynamoDBClient(theirs.config), translate);
    const cached = new CachedDocumentClient(ours.config, translate);
    let refused = 0;
    let failed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      for (const { command, answer } of commands(r)) {
        // one command, sent by each client in turn
        const a = command();
        theirs.answers.push(answer);
        ours.answers.push(answer);
        const expected = await outcome((c) => reference.send(c), a);
        const actual = await outcome((c) => cached.send(c), a);
        expect(actual).toEqual(expected);
        expect(ours.requests).toEqual(theirs.requests);
        if (expected.error?.startsWith('ConditionalCheckFailed')) failed++;
        else if (expected.error) refused++;
        theirs.answers.length = 0;
        ours.answers.length = 0;
      }
    }
    expect(theirs.requests.length).toBeGreaterThan(300);
    // both paths were exercised: items refused before sending, and a service error
    expect(refused).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
  });

  it('resolves its middleware stack once per command class and keeps each call its own', async () => {
    const { config, requests, answers } = recording();
    const cached = new CachedDocumentClient(config, translate);
    const resolve = vi.spyOn(PutItemCommand.prototype, 'resolveMiddleware');
    for (let i = 0; i < 5; i++) {
      answers.push(JSON.stringify({ Attributes: marshall({ n: i }) }));
      const out = await cached.send(
        new PutCommand({ TableName: TABLE, Item: { pk: `P#${i}`, n: i }, ReturnValues: 'ALL_OLD' }),
      );
      expect(out.Attributes).toEqual({ n: i });
    }
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(requests.map((q) => (q.body as { Item: { n: { N: string } } }).Item.n.N)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    expect(cached.client.config.cacheMiddleware).toBe(true);
  });

  it('answers a callback, and refuses what is not a lib-dynamodb command', async () => {
    const { config, answers } = recording();
    const cached = new CachedDocumentClient(config, translate);
    answers.push(JSON.stringify({ Item: marshall({ pk: 'P#1', n: 7 }) }));
    const item = await new Promise((ok, ko) => {
      cached.send(new GetCommand({ TableName: TABLE, Key: { pk: 'P#1' } }), (error, output) =>
        error ? ko(error) : ok(output?.Item),
      );
    });
    expect(item).toEqual({ pk: 'P#1', n: 7 });
    await expect(cached.send(new PutItemCommand({ TableName: TABLE, Item: {} }) as never)).rejects.toThrow(
      /only @aws-sdk\/lib-dynamodb commands/,
    );
  });
});
