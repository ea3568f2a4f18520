/**
 * Service integrations end to end: state machines whose Task states call DynamoDB (optimized
 * `dynamodb:*` and `aws-sdk:dynamodb:*`) through `awsSdkRoutes` against a real dynalite, and
 * EventBridge / SQS through `awsSdkRoutes` against a stub HTTP endpoint that answers like AWS.
 * Also the routing rules of `createTaskRouter` (error names, unknown actions, missing handlers).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskContext, TaskHandler } from '../../local/engine/index.ts';
import { awsSdkRoutes, createTaskRouter, TaskFailure } from '../../local/engine/index.ts';
import type { LocalDynamo } from '../support/dynalite.ts';
import { startLocalDynamo } from '../support/dynalite.ts';
import type { Harness } from './helpers.ts';
import { harness } from './helpers.ts';

const TABLE = 'sfn-ledger';
const ddbResource = (action: string) => `arn:aws:states:::dynamodb:${action}`;
const sdkResource = (service: string, action: string) => `arn:aws:states:::aws-sdk:${service}:${action}`;

/**
 * An optimized DynamoDB/SQS result without the response metadata AWS adds (checked on its own by
 * `expectSdkMetadata`: `SdkHttpMetadata` with the response's headers, `SdkResponseMetadata`).
 */
const sansMeta = (v: unknown): Record<string, unknown> => {
  const { SdkHttpMetadata: _h, SdkResponseMetadata: _r, ...rest } = v as Record<string, unknown>;
  return rest;
};

/**
 * Recorded AWS results of the optimized DynamoDB integration (e.g. putItem answers only metadata):
 * SdkHttpMetadata {AllHttpHeaders, HttpHeaders, HttpStatusCode: 200}, SdkResponseMetadata {RequestId}.
 */
const expectSdkMetadata = (v: unknown, body: unknown) => {
  const o = v as {
    SdkHttpMetadata: {
      HttpHeaders: Record<string, string>;
      AllHttpHeaders: Record<string, string[]>;
      HttpStatusCode: number;
    };
    SdkResponseMetadata: { RequestId: string };
  };
  expect(o.SdkHttpMetadata.HttpStatusCode).toBe(200);
  expect(o.SdkHttpMetadata.HttpHeaders['Content-Type']).toBe('application/x-amz-json-1.0');
  expect(o.SdkHttpMetadata.HttpHeaders['Content-Length']).toBe(
    String(Buffer.byteLength(JSON.stringify(body))),
  );
  expect(o.SdkHttpMetadata.AllHttpHeaders['Content-Length']).toEqual([
    o.SdkHttpMetadata.HttpHeaders['Content-Length'],
  ]);
  expect(o.SdkResponseMetadata.RequestId).toBe(o.SdkHttpMetadata.HttpHeaders['x-amzn-RequestId']);
};

const taskFailed = (r: { events: { type: string; [k: string]: unknown }[] }) =>
  r.events
    .filter((e) => e.type === 'TaskFailed')
    .map((e) => (e.taskFailedEventDetails as { error: string; cause: string }).error);

describe('DynamoDB integrations against dynalite', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  let h: Harness;

  beforeAll(async () => {
    dynamo = await startLocalDynamo('sfn-integrations');
    client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    // dynalite activates tables asynchronously (createTableMs: 0): poll, no sleeping
    for (let i = 0; i < 100; i++) {
      const d = await client.send(new DescribeTableCommand({ TableName: TABLE }));
      if (d.Table?.TableStatus === 'ACTIVE') break;
    }
    h = await harness({ handler: createTaskRouter(await awsSdkRoutes({ endpoint: dynamo.endpoint })) });
  });

  afterAll(async () => {
    await h?.engine.close();
    client?.destroy();
    await dynamo?.stop();
  });

  const stored = async (pk: string, sk: string) =>
    (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk }, sk: { S: sk } } }))).Item;

  it('putItem then getItem: the item is stored; GetItem returns Item in DynamoDB JSON with the SDK response metadata', async () => {
    const r = await h.run(
      {
        StartAt: 'Put',
        States: {
          Put: {
            Type: 'Task',
            Resource: ddbResource('putItem'),
            Parameters: {
              TableName: TABLE,
              Item: {
                pk: { 'S.$': "States.Format('ORDER#{}', $.id)" },
                sk: { S: 'META' },
                total: { 'N.$': 'States.JsonToString($.total)' },
                tags: { SS: ['new', 'web'] },
                status: { S: 'NEW' },
              },
            },
            ResultPath: '$.put',
            Next: 'Get',
          },
          Get: {
            Type: 'Task',
            Resource: ddbResource('getItem'),
            Parameters: {
              TableName: TABLE,
              Key: { pk: { 'S.$': "States.Format('ORDER#{}', $.id)" }, sk: { S: 'META' } },
            },
            ResultPath: '$.got',
            End: true,
          },
        },
      },
      { id: 'o-1', total: 42 },
    );
    expect(r.status).toBe('SUCCEEDED');
    const out = r.output as { put: unknown; got: { Item: Record<string, unknown> } };
    expect(sansMeta(out.put)).toEqual({});
    expectSdkMetadata(out.put, {});
    expectSdkMetadata(out.got, sansMeta(out.got));
    expect(sansMeta(out.got)).toEqual({
      Item: {
        pk: { S: 'ORDER#o-1' },
        sk: { S: 'META' },
        total: { N: '42' },
        tags: { SS: ['new', 'web'] },
        status: { S: 'NEW' },
      },
    });
    expect(JSON.stringify(r.output)).not.toContain('$metadata');
    expect(await stored('ORDER#o-1', 'META')).toMatchObject({ total: { N: '42' }, status: { S: 'NEW' } });
    const scheduled = r.events.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails as Record<
      string,
      unknown
    >;
    expect(scheduled).toMatchObject({ resourceType: 'dynamodb', resource: 'putItem' });
    expect(JSON.parse(scheduled.parameters as string)).toMatchObject({ TableName: TABLE });
  });

  it('updateItem with a ConditionExpression; a failing condition is caught as DynamoDB.ConditionalCheckFailedException', async () => {
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'ORDER#o-2' }, sk: { S: 'META' }, status: { S: 'NEW' } },
      }),
    );
    const pay = {
      Type: 'Task',
      Resource: ddbResource('updateItem'),
      Parameters: {
        TableName: TABLE,
        Key: { pk: { S: 'ORDER#o-2' }, sk: { S: 'META' } },
        UpdateExpression: 'SET #s = :paid, paidBy = :by',
        ConditionExpression: '#s = :new',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':paid': { S: 'PAID' }, ':new': { S: 'NEW' }, ':by': { 'S.$': '$.by' } },
        ReturnValues: 'ALL_NEW',
      },
    };
    const r = await h.run(
      {
        StartAt: 'Pay',
        States: {
          Pay: { ...pay, ResultPath: '$.first', Next: 'PayAgain' },
          PayAgain: {
            ...pay,
            ResultPath: '$.second',
            Catch: [
              {
                ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'],
                ResultPath: '$.error',
                Next: 'Paid',
              },
            ],
            Next: 'Paid',
          },
          Paid: { Type: 'Pass', End: true },
        },
      },
      { by: 'alice' },
    );
    expect(r.status).toBe('SUCCEEDED');
    const out = r.output as { first: unknown; second?: unknown; error: { Error: string; Cause: string } };
    expect(sansMeta(out.first)).toEqual({
      Attributes: {
        pk: { S: 'ORDER#o-2' },
        sk: { S: 'META' },
        status: { S: 'PAID' },
        paidBy: { S: 'alice' },
      },
    });
    expect(out.second).toBeUndefined();
    expect(out.error.Error).toBe('DynamoDB.ConditionalCheckFailedException');
    // AWS: the SDK's message and its service suffix
    expect(out.error.Cause).toMatch(
      /^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: [^;]+; Proxy: null\)$/,
    );
    expect(taskFailed(r)).toEqual(['DynamoDB.ConditionalCheckFailedException']);
    expect(await stored('ORDER#o-2', 'META')).toEqual({
      pk: { S: 'ORDER#o-2' },
      sk: { S: 'META' },
      status: { S: 'PAID' },
      paidBy: { S: 'alice' },
    });
  });

  it('deleteItem removes the item and returns the old attributes', async () => {
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'ORDER#o-3' }, sk: { S: 'META' }, status: { S: 'CANCELLED' } },
      }),
    );
    const r = await h.run({
      StartAt: 'Delete',
      States: {
        Delete: {
          Type: 'Task',
          Resource: ddbResource('deleteItem'),
          Parameters: {
            TableName: TABLE,
            Key: { pk: { S: 'ORDER#o-3' }, sk: { S: 'META' } },
            ConditionExpression: 'attribute_exists(pk)',
            ReturnValues: 'ALL_OLD',
          },
          End: true,
        },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(sansMeta(r.output)).toEqual({
      Attributes: { pk: { S: 'ORDER#o-3' }, sk: { S: 'META' }, status: { S: 'CANCELLED' } },
    });
    expect(await stored('ORDER#o-3', 'META')).toBeUndefined();
  });

  it('aws-sdk:dynamodb:query returns the matching items in key order', async () => {
    for (const [pk, sk, total] of [
      ['CUSTOMER#c-1', 'ORDER#2', '20'],
      ['CUSTOMER#c-1', 'ORDER#1', '10'],
      ['CUSTOMER#c-1', 'PROFILE', '0'],
      ['CUSTOMER#c-2', 'ORDER#1', '99'],
      ['CUSTOMER#c-1', 'ORDER#3', '30'],
    ] as const) {
      await client.send(
        new PutItemCommand({ TableName: TABLE, Item: { pk: { S: pk }, sk: { S: sk }, total: { N: total } } }),
      );
    }
    const r = await h.run(
      {
        StartAt: 'Query',
        States: {
          Query: {
            Type: 'Task',
            Resource: sdkResource('dynamodb', 'query'),
            Parameters: {
              TableName: TABLE,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': { 'S.$': '$.customer' }, ':prefix': { S: 'ORDER#' } },
            },
            ResultSelector: { 'count.$': '$.Count', 'totals.$': '$.Items[*].total.N', 'all.$': '$' },
            End: true,
          },
        },
      },
      { customer: 'CUSTOMER#c-1' },
    );
    expect(r.status).toBe('SUCCEEDED');
    const out = r.output as { count: number; totals: string[]; all: Record<string, unknown> };
    expect(out.count).toBe(3);
    expect(out.totals).toEqual(['10', '20', '30']);
    expect(out.all).toMatchObject({ Count: 3, ScannedCount: 3 });
    expect(out.all).not.toHaveProperty('$metadata');
    const scheduled = r.events.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({ resourceType: 'aws-sdk', resource: 'dynamodb:query' });
  });

  it('a missing table fails the task with DynamoDB.ResourceNotFoundException (uncaught: the execution fails)', async () => {
    const r = await h.run({
      StartAt: 'Get',
      States: {
        Get: {
          Type: 'Task',
          Resource: ddbResource('getItem'),
          Parameters: { TableName: 'no-such-table', Key: { pk: { S: 'x' } } },
          End: true,
        },
      },
    });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('DynamoDB.ResourceNotFoundException');
    expect(r.cause).toMatch(/not found/i);
  });

  it('aws-sdk:dynamodb errors use the SDK service name and the Exception suffix (DynamoDb.*Exception)', async () => {
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'LOCK#1' }, sk: { S: 'LOCK' } } }),
    );
    const r = await h.run({
      StartAt: 'Acquire',
      States: {
        Acquire: {
          Type: 'Task',
          Resource: sdkResource('dynamodb', 'putItem'),
          Parameters: {
            TableName: TABLE,
            Item: { pk: { S: 'LOCK#1' }, sk: { S: 'LOCK' }, owner: { S: 'me' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
          Catch: [{ ErrorEquals: ['DynamoDb.ConditionalCheckFailedException'], Next: 'Held' }],
          Next: 'Missing',
        },
        Held: { Type: 'Pass', Result: 'held', ResultPath: '$.lock', Next: 'Missing' },
        Missing: {
          Type: 'Task',
          Resource: sdkResource('dynamodb', 'getItem'),
          Parameters: { TableName: 'no-such-table', Key: { pk: { S: 'x' } } },
          Catch: [{ ErrorEquals: ['DynamoDb.ResourceNotFoundException'], ResultPath: '$.err', Next: 'Done' }],
          End: true,
        },
        Done: { Type: 'Pass', End: true },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(taskFailed(r)).toEqual([
      'DynamoDb.ConditionalCheckFailedException',
      'DynamoDb.ResourceNotFoundException',
    ]);
    expect(await stored('LOCK#1', 'LOCK')).toEqual({ pk: { S: 'LOCK#1' }, sk: { S: 'LOCK' } });
  });

  it('an action the SDK does not have is States.Runtime, which Catch cannot handle', async () => {
    const r = await h.run({
      StartAt: 'Bogus',
      States: {
        Bogus: {
          Type: 'Task',
          Resource: sdkResource('dynamodb', 'frobnicateTable'),
          Parameters: { TableName: TABLE },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Runtime');
    expect(r.cause).toContain('FrobnicateTable');
  });
});

// ---------------------------------------------------------------------------------- stub AWS endpoint

interface Received {
  target: string;
  contentType: string;
  body: Record<string, unknown>;
}

type Reply = { status?: number; body: unknown };

/** A tiny AWS lookalike on 127.0.0.1:0 that records every request and answers with `reply`. */
const startStub = async (reply: (r: Received) => Reply) => {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        target: String(req.headers['x-amz-target'] ?? ''),
        contentType: String(req.headers['content-type'] ?? ''),
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
      received.push(r);
      const out = reply(r);
      res.writeHead(out.status ?? 200, {
        'content-type': r.contentType || 'application/x-amz-json-1.1',
        'x-amzn-requestid': `req-${received.length}`,
      });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
};

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('EventBridge and SQS routes against a stub endpoint', () => {
  let stub: Awaited<ReturnType<typeof startStub>>;
  let h: Harness;
  let events = 0;

  beforeAll(async () => {
    stub = await startStub((r) => {
      if (r.target === 'AWSEvents.PutEvents') {
        const entries = r.body.Entries as { EventBusName?: string; Source?: string }[];
        if (entries.some((e) => e.EventBusName === 'missing-bus')) {
          return {
            status: 400,
            body: { __type: 'ResourceNotFoundException', message: 'Event bus missing-bus does not exist.' },
          };
        }
        const results = entries.map((e) =>
          e.Source === 'reject'
            ? { ErrorCode: 'InternalFailure', ErrorMessage: 'nope' }
            : { EventId: `ev-${++events}` },
        );
        return {
          body: { FailedEntryCount: results.filter((x) => 'ErrorCode' in x).length, Entries: results },
        };
      }
      if (r.target === 'AmazonSQS.SendMessage') {
        if (String(r.body.QueueUrl).endsWith('/missing')) {
          return {
            status: 400,
            body: {
              __type: 'com.amazonaws.sqs#QueueDoesNotExist',
              message: 'The specified queue does not exist.',
            },
          };
        }
        return {
          body: {
            MessageId: `msg-${stub.received.length}`,
            MD5OfMessageBody: md5(String(r.body.MessageBody)),
          },
        };
      }
      return { status: 400, body: { __type: 'UnknownOperationException', message: r.target } };
    });
    h = await harness({ handler: createTaskRouter(await awsSdkRoutes({ endpoint: stub.url })) });
  });

  afterAll(async () => {
    await h?.engine.close();
    await stub?.close();
  });

  const putEvents = (entries: object[], extra: object = {}) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::events:putEvents',
    Parameters: { Entries: entries },
    ...extra,
  });

  it('events:putEvents sends AWSEvents.PutEvents with Detail as a JSON string and the execution ARNs in Resources', async () => {
    const before = stub.received.length;
    const r = await h.run(
      {
        StartAt: 'Emit',
        States: {
          Emit: putEvents(
            [
              {
                Source: 'storeflow.orders',
                DetailType: 'OrderPlaced',
                EventBusName: 'orders',
                'Detail.$': '$.order',
                Resources: ['arn:aws:s3:::bucket'],
              },
            ],
            { End: true },
          ),
        },
      },
      { order: { id: 'o-9', total: 12.5 } },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: `ev-${events}` }] });
    const req = stub.received.slice(before);
    expect(req).toHaveLength(1);
    expect(req[0]!.target).toBe('AWSEvents.PutEvents');
    expect(req[0]!.contentType).toBe('application/x-amz-json-1.1');
    const entry = (req[0]!.body.Entries as Record<string, unknown>[])[0]!;
    expect(typeof entry.Detail).toBe('string');
    expect(JSON.parse(entry.Detail as string)).toEqual({ id: 'o-9', total: 12.5 });
    expect(entry).toMatchObject({
      Source: 'storeflow.orders',
      DetailType: 'OrderPlaced',
      EventBusName: 'orders',
    });
    const smArn = r.arn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
    expect(entry.Resources).toEqual(['arn:aws:s3:::bucket', smArn, r.arn]);
  });

  it('a PutEvents response with FailedEntryCount > 0 fails the optimized task with EventBridge.FailedEntry', async () => {
    const r = await h.run({
      StartAt: 'Emit',
      States: {
        Emit: putEvents(
          [
            { Source: 'ok', DetailType: 'a', Detail: '{}' },
            { Source: 'reject', DetailType: 'b', Detail: '{}' },
          ],
          {
            Catch: [{ ErrorEquals: ['EventBridge.FailedEntry'], ResultPath: '$.error', Next: 'Failed' }],
            End: true,
          },
        ),
        Failed: { Type: 'Pass', End: true },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    const err = (r.output as { error: { Error: string; Cause: string } }).error;
    expect(err.Error).toBe('EventBridge.FailedEntry');
    expect(JSON.parse(err.Cause)).toMatchObject({
      FailedEntryCount: 1,
      Entries: [{ EventId: expect.any(String) }, { ErrorCode: 'InternalFailure', ErrorMessage: 'nope' }],
    });
  });

  it('the aws-sdk:eventbridge form returns the partial failure as output and adds no Resources', async () => {
    const before = stub.received.length;
    const r = await h.run({
      StartAt: 'Emit',
      States: {
        Emit: {
          Type: 'Task',
          Resource: sdkResource('eventbridge', 'putEvents'),
          Parameters: { Entries: [{ Source: 'reject', DetailType: 'b', Detail: '{"a":1}' }] },
          End: true,
        },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'nope' }],
    });
    const entry = (stub.received[before]!.body.Entries as Record<string, unknown>[])[0]!;
    expect(entry.Resources).toBeUndefined();
    expect(entry.Detail).toBe('{"a":1}');
  });

  it('a PutEvents service error surfaces as EventBridge.<ErrorCode>', async () => {
    const r = await h.run({
      StartAt: 'Emit',
      States: {
        Emit: putEvents([{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'missing-bus' }], {
          Retry: [
            { ErrorEquals: ['EventBridge.ResourceNotFoundException'], IntervalSeconds: 5, MaxAttempts: 1 },
          ],
          End: true,
        }),
      },
    });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('EventBridge.ResourceNotFoundException');
    expect(r.cause).toMatch(
      /^Event bus missing-bus does not exist\. \(Service: AmazonEventBridge; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: [^;]+; Proxy: null\)$/,
    );
    expect(taskFailed(r)).toEqual([
      'EventBridge.ResourceNotFoundException',
      'EventBridge.ResourceNotFoundException',
    ]);
  });

  it('sqs:sendMessage uses the SQS JSON protocol; MessageBody objects are sent as JSON text', async () => {
    const before = stub.received.length;
    const r = await h.run(
      {
        StartAt: 'Send',
        States: {
          Send: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sqs:sendMessage',
            Parameters: {
              QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders',
              'MessageBody.$': '$',
              MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
            },
            End: true,
          },
        },
      },
      { orderId: 'o-7' },
    );
    expect(r.status).toBe('SUCCEEDED');
    const req = stub.received[before]!;
    expect(req.target).toBe('AmazonSQS.SendMessage');
    expect(req.contentType).toBe('application/x-amz-json-1.0');
    expect(req.body).toEqual({
      QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders',
      MessageBody: '{"orderId":"o-7"}',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
    });
    expect(sansMeta(r.output)).toEqual({
      MessageId: `msg-${before + 1}`,
      MD5OfMessageBody: md5('{"orderId":"o-7"}'),
    });
    expect(Object.keys(r.output as object)).toContain('SdkHttpMetadata');
  });

  // AWS names the optimized integration's failure after the SDK exception class
  // (SQS.QueueDoesNotExistException) and ends the cause with the SDK's service suffix.
  it('an SQS error response becomes SQS.<code>Exception (catchable); the aws-sdk:sqs form reports Sqs.<code>Exception', async () => {
    const send = (resource: string, next: string) => ({
      Type: 'Task',
      Resource: resource,
      Parameters: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/missing', MessageBody: 'hi' },
      Catch: [
        {
          ErrorEquals: ['SQS.QueueDoesNotExistException', 'Sqs.QueueDoesNotExistException'],
          ResultPath: `$.${next}`,
          Next: next,
        },
      ],
      End: true,
    });
    const r = await h.run({
      StartAt: 'Optimized',
      States: {
        Optimized: send('arn:aws:states:::sqs:sendMessage', 'Sdk'),
        Sdk: send(sdkResource('sqs', 'sendMessage'), 'Done'),
        Done: { Type: 'Pass', End: true },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    const out = r.output as Record<string, { Error: string; Cause: string }>;
    expect(out.Sdk!.Error).toBe('SQS.QueueDoesNotExistException');
    expect(out.Sdk!.Cause).toMatch(
      /^The specified queue does not exist\. \(Service: AmazonSQS; Status Code: 400; Error Code: QueueDoesNotExist; Request ID: [^;]+; Proxy: null\)$/,
    );
    expect(out.Done!.Error).toBe('Sqs.QueueDoesNotExistException');
    expect(out.Done!.Cause).toMatch(
      /^The specified queue does not exist\. \(Service: Sqs, Status Code: 400, Request ID: [^)]+\)$/,
    );
  });

  it('sqs:sendMessage.waitForTaskToken: the token travels in the message and SendTaskSuccess resumes', async () => {
    const before = stub.received.length;
    const arn = await h.start(
      {
        StartAt: 'Ask',
        States: {
          Ask: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
            Parameters: {
              QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/approvals',
              MessageBody: { 'token.$': '$$.Task.Token', 'id.$': '$.id' },
            },
            End: true,
          },
        },
      },
      { id: 'o-5' },
    );
    await h.clock.advance(0);
    const body = JSON.parse(String(stub.received[before]!.body.MessageBody)) as { token: string; id: string };
    expect(body.id).toBe('o-5');
    expect((await h.engine.describeExecution({ executionArn: arn })).status).toBe('RUNNING');
    await h.engine.sendTaskSuccess({ taskToken: body.token, output: '{"approved":true}' });
    await h.engine.waitForExecution(arn);
    const r = await h.result(arn);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ approved: true });
    expect(r.events.map((e) => e.type)).toContain('TaskSubmitted');
  });
});

// ---------------------------------------------------------------------------------- createTaskRouter

const ctx = (over: Partial<TaskContext> = {}): TaskContext => ({
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:x',
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:sm',
  stateName: 'S',
  signal: new AbortController().signal,
  idempotencyKey: 'k',
  heartbeat: () => {},
  idleWhile: (work) => work,
  now: () => Date.parse('2026-01-01T00:00:00Z'),
  ...over,
});

const failure = async (p: Promise<unknown>): Promise<{ error: string; cause: string }> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TaskFailure);
    return { error: (e as TaskFailure).error, cause: (e as TaskFailure).cause };
  }
  throw new Error('expected a TaskFailure');
};

describe('createTaskRouter', () => {
  it('passes the PascalCase action and the parameters; strips $metadata from the result', async () => {
    const calls: [string, unknown][] = [];
    const route = createTaskRouter({
      dynamodb: async (action, params) => {
        calls.push([action, params]);
        return { $metadata: { httpStatusCode: 200 }, Item: { a: { S: 'b' } } };
      },
    });
    const out = await route(ddbResource('getItem'), { TableName: 't' }, ctx());
    expect(sansMeta(out)).toEqual({ Item: { a: { S: 'b' } } });
    expectSdkMetadata(out, { Item: { a: { S: 'b' } } });
    expect(await route(sdkResource('dynamodb', 'getItem'), { TableName: 't' }, ctx())).toEqual({
      Item: { a: { S: 'b' } },
    });
    await route(sdkResource('dynamodb', 'batchWriteItem'), { RequestItems: {} }, ctx());
    await route(`${ddbResource('putItem')}.waitForTaskToken`, { x: 1 }, ctx());
    expect(calls).toEqual([
      ['GetItem', { TableName: 't' }],
      ['GetItem', { TableName: 't' }],
      ['BatchWriteItem', { RequestItems: {} }],
      ['PutItem', { x: 1 }],
    ]);
  });

  it('names service errors like AWS: <Service>.<code>; aws-sdk forms use the SDK name and the Exception suffix', async () => {
    const boom = (name: string) => async () => {
      throw Object.assign(new Error(`${name} happened`), { name });
    };
    const route = createTaskRouter({
      dynamodb: boom('ConditionalCheckFailedException'),
      eventBridge: boom('ResourceNotFoundException'),
      sqs: boom('com.amazonaws.sqs#QueueDoesNotExist'),
    });
    const cases: [string, string][] = [
      [ddbResource('updateItem'), 'DynamoDB.ConditionalCheckFailedException'],
      [sdkResource('dynamodb', 'updateItem'), 'DynamoDb.ConditionalCheckFailedException'],
      ['arn:aws:states:::events:putEvents', 'EventBridge.ResourceNotFoundException'],
      [sdkResource('eventbridge', 'putEvents'), 'EventBridge.ResourceNotFoundException'],
      ['arn:aws:states:::sqs:sendMessage', 'SQS.QueueDoesNotExistException'],
      ['arn:aws:states:::sqs:sendMessage.waitForTaskToken', 'SQS.QueueDoesNotExistException'],
      [sdkResource('sqs', 'sendMessage'), 'Sqs.QueueDoesNotExistException'],
    ];
    for (const [resource, error] of cases) {
      const f = await failure(route(resource, {}, ctx()));
      expect(f.error, resource).toBe(error);
      expect(f.cause).toMatch(/happened \(Service: [^)]+\)$/);
    }
    // AWS (recorded): a DynamoDB ValidationException has no SDK class of its own
    const invalid = createTaskRouter({ dynamodb: boom('ValidationException') });
    expect((await failure(invalid(ddbResource('putItem'), {}, ctx()))).error).toBe(
      'DynamoDB.AmazonDynamoDBException',
    );
    expect((await failure(invalid(sdkResource('dynamodb', 'putItem'), {}, ctx()))).error).toBe(
      'DynamoDb.DynamoDbException',
    );
  });

  it('a TaskFailure thrown by a route keeps its error name', async () => {
    const route = createTaskRouter({
      sqs: async () => {
        throw new TaskFailure('Custom.Error', 'why');
      },
    });
    expect(await failure(route('arn:aws:states:::sqs:sendMessage', {}, ctx()))).toEqual({
      error: 'Custom.Error',
      cause: 'why',
    });
  });

  it('no handler configured: States.Runtime naming the resource; other resources go to the fallback', async () => {
    const seen: string[] = [];
    const bare = createTaskRouter({});
    expect(await failure(bare(ddbResource('putItem'), {}, ctx()))).toEqual({
      error: 'States.Runtime',
      cause: `No task handler for resource ${ddbResource('putItem')}`,
    });
    expect((await failure(bare('arn:aws:lambda:us-east-1:123456789012:function:f', {}, ctx()))).error).toBe(
      'States.Runtime',
    );
    expect((await failure(bare('arn:aws:states:::lambda:invoke', { FunctionName: 'f' }, ctx()))).error).toBe(
      'States.Runtime',
    );
    const withFallback: TaskHandler = createTaskRouter({
      fallback: async (resource, input) => {
        seen.push(resource);
        return { fallback: input };
      },
    });
    expect(await withFallback('arn:aws:states:::sns:publish', { m: 1 }, ctx())).toEqual({
      fallback: { m: 1 },
    });
    expect(await withFallback(ddbResource('getItem'), {}, ctx())).toEqual({ fallback: {} });
    expect(await withFallback('arn:aws:states:us-east-1:123456789012:activity:a', null, ctx())).toEqual({
      fallback: null,
    });
    expect(seen).toEqual([
      'arn:aws:states:::sns:publish',
      ddbResource('getItem'),
      'arn:aws:states:us-east-1:123456789012:activity:a',
    ]);
  });

  it('awsSdkRoutes: an action the SDK client does not have is States.Runtime', async () => {
    const route = createTaskRouter(await awsSdkRoutes({ endpoint: 'http://127.0.0.1:9' }));
    const f = await failure(route(sdkResource('dynamodb', 'frobnicate'), {}, ctx()));
    expect(f).toEqual({ error: 'States.Runtime', cause: 'Unsupported action Frobnicate' });
    // EventBridge commands are not DynamoDB commands (both SDK packages export e.g. TagResourceCommand)
    expect((await failure(route(sdkResource('eventbridge', 'putItem'), {}, ctx()))).error).toBe(
      'States.Runtime',
    );
  });
});
