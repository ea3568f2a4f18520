import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/engine/clock.ts';
import {
  createSqs,
  type EventSourceMappingSpec,
  type LocalSqs,
  md5OfAttributes,
  type QueueSpec,
  SqsError,
} from '../../local/sqs/queues.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const root = mkdtempSync(join(tmpdir(), 'storeflow-sqs-'));
const opened: LocalSqs[] = [];
afterAll(async () => {
  await Promise.allSettled(opened.map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

const spec = (name: string, extra: Partial<QueueSpec> = {}): QueueSpec => ({
  name,
  arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
  url: `http://sqs.${REGION}.localhost/${ACCOUNT}/${name}`,
  ...extra,
});

/** Wire JSON, read loosely in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field with expect()
type Wire = any;

let dirs = 0;
interface Harness {
  sqs: LocalSqs;
  clock: VirtualClock;
  dir: string;
  logs: string[];
  /** the SQS JSON protocol, as an HTTP router would call it */
  call(op: string, body: unknown): Promise<{ status: number; body: Wire; headers: Record<string, string> }>;
}

const open = async (
  queues: QueueSpec[],
  o: {
    dir?: string;
    clock?: VirtualClock;
    mappings?: EventSourceMappingSpec[];
    compactAfter?: number;
    fsync?: boolean;
  } = {},
): Promise<Harness> => {
  const dir = o.dir ?? join(root, `d${++dirs}`);
  const clock = o.clock ?? new VirtualClock();
  const logs: string[] = [];
  const sqs = await createSqs({
    dir,
    clock,
    region: REGION,
    account: ACCOUNT,
    queues,
    mappings: o.mappings ?? [],
    invoke: async () => ({ ok: true, result: null }),
    log: (line) => logs.push(line),
    fsync: o.fsync ?? false,
    ...(o.compactAfter !== undefined ? { compactAfter: o.compactAfter } : {}),
  });
  opened.push(sqs);
  return { sqs, clock, dir, logs, call: (op, body) => sqs.handle(`AmazonSQS.${op}`, body) };
};

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
const url = (name: string) => spec(name).url;

describe('send, receive, delete', () => {
  it('round-trips a message with attributes, MD5s and system attributes, then deletes it', async () => {
    const { sqs, clock, call } = await open([spec('orders')]);
    const sent = await call('SendMessage', {
      QueueUrl: url('orders'),
      MessageBody: 'hello ✓',
      MessageAttributes: {
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      },
    });
    expect(sent.status).toBe(200);
    // vector from an implementation checked against the AWS SDKs' client-side verification
    expect(sent.body).toEqual({
      MessageId: expect.any(String),
      MD5OfMessageBody: md5('hello ✓'),
      MD5OfMessageAttributes: 'd21ae90c49061e927f57df5f5d72be1f',
    });
    const got = await call('ReceiveMessage', {
      QueueUrl: url('orders'),
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    });
    expect(got.body.Messages).toHaveLength(1);
    const m = got.body.Messages[0];
    expect(m).toEqual({
      MessageId: sent.body.MessageId,
      ReceiptHandle: expect.any(String),
      MD5OfBody: md5('hello ✓'),
      Body: 'hello ✓',
      Attributes: {
        SenderId: ACCOUNT,
        SentTimestamp: String(clock.now()),
        ApproximateReceiveCount: '1',
        ApproximateFirstReceiveTimestamp: String(clock.now()),
      },
      MD5OfMessageAttributes: 'd21ae90c49061e927f57df5f5d72be1f',
      MessageAttributes: {
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      },
    });
    expect(sqs.stats('orders')).toMatchObject({ visible: 0, inFlight: 1, delayed: 0 });
    expect(
      (await call('DeleteMessage', { QueueUrl: url('orders'), ReceiptHandle: m.ReceiptHandle })).status,
    ).toBe(200);
    expect(sqs.stats('orders')).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
    await clock.advance(3600);
    expect((await call('ReceiveMessage', { QueueUrl: url('orders') })).body).toEqual({});
  });

  it('returns only the attributes asked for', async () => {
    const { sqs } = await open([spec('q')]);
    await sqs.sendMessage('q', 'x', {
      messageAttributes: {
        'trace.id': { DataType: 'String', StringValue: 't' },
        'trace.span': { DataType: 'String', StringValue: 's' },
        other: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
      },
    });
    const got = await sqs.handle('AmazonSQS.ReceiveMessage', {
      QueueUrl: 'q',
      AttributeNames: ['ApproximateReceiveCount'],
      MessageAttributeNames: ['trace.*'],
    });
    const m = (got.body as { Messages: Record<string, unknown>[] }).Messages[0]!;
    expect(m.Attributes).toEqual({ ApproximateReceiveCount: '1' });
    expect(Object.keys(m.MessageAttributes as object).sort()).toEqual(['trace.id', 'trace.span']);
    expect(m.MD5OfMessageAttributes).toBe(md5OfAttributes(m.MessageAttributes as never));
    const [again] = sqs.peek('q');
    expect(again?.messageAttributes?.other).toEqual({ DataType: 'Binary', BinaryValue: 'AQID' });
  });

  it('hands out at most MaxNumberOfMessages, oldest first', async () => {
    const { sqs } = await open([spec('q')]);
    for (let i = 0; i < 15; i++) await sqs.sendMessage('q', `m${i}`);
    const a = await sqs.receiveMessage('q', { maxNumberOfMessages: 10 });
    const b = await sqs.receiveMessage('q', { maxNumberOfMessages: 10 });
    expect(a.map((m) => m.Body)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(b.map((m) => m.Body)).toEqual(['m10', 'm11', 'm12', 'm13', 'm14']);
    expect(await sqs.receiveMessage('q')).toEqual([]);
  });

  it('finds a queue by URL, ARN, name, or the name in the last segment of another URL', async () => {
    const { sqs } = await open([spec('orders')]);
    for (const ref of [
      url('orders'),
      spec('orders').arn,
      'orders',
      'http://localhost:4566/000000000000/orders',
      'https://sqs.eu-west-1.amazonaws.com/123456789012/orders/',
    ]) {
      await sqs.sendMessage(ref, ref);
    }
    expect(sqs.stats('orders').visible).toBe(5);
    await expect(sqs.sendMessage('http://localhost/000000000000/nope', 'x')).rejects.toMatchObject({
      code: 'QueueDoesNotExist',
    });
  });
});

describe('visibility', () => {
  it('redelivers after the visibility timeout with an incremented ApproximateReceiveCount', async () => {
    const { sqs, clock } = await open([spec('q', { visibilityTimeoutSeconds: 30 })]);
    const t0 = clock.now();
    await sqs.sendMessage('q', 'x');
    const [first] = await sqs.receiveMessage('q');
    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    await clock.advance(29);
    expect(await sqs.receiveMessage('q')).toEqual([]);
    expect(sqs.stats('q')).toMatchObject({ visible: 0, inFlight: 1 });
    await clock.advance(1);
    expect(sqs.stats('q')).toMatchObject({ visible: 1, inFlight: 0 });
    const [second] = await sqs.receiveMessage('q', { visibilityTimeout: 5 });
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(second?.Attributes).toMatchObject({
      ApproximateReceiveCount: '2',
      ApproximateFirstReceiveTimestamp: String(t0),
    });
    await clock.advance(5);
    const [third] = await sqs.receiveMessage('q');
    expect(third?.Attributes?.ApproximateReceiveCount).toBe('3');
  });

  it('a stale receipt handle does not delete a message received again; the latest one does', async () => {
    const { sqs, clock } = await open([spec('q', { visibilityTimeoutSeconds: 10 })]);
    await sqs.sendMessage('q', 'x');
    const [first] = await sqs.receiveMessage('q');
    await clock.advance(10);
    const [second] = await sqs.receiveMessage('q');
    await sqs.deleteMessage('q', first!.ReceiptHandle); // succeeds, deletes nothing (as documented by AWS)
    expect(sqs.peek('q')).toHaveLength(1);
    await sqs.deleteMessage('q', second!.ReceiptHandle);
    expect(sqs.peek('q')).toHaveLength(0);
    await sqs.deleteMessage('q', second!.ReceiptHandle); // already gone: still fine
  });

  it('deletes with the latest handle even after the visibility timeout ran out', async () => {
    const { sqs, clock } = await open([spec('q', { visibilityTimeoutSeconds: 10 })]);
    await sqs.sendMessage('q', 'x');
    const [m] = await sqs.receiveMessage('q');
    await clock.advance(60);
    await sqs.deleteMessage('q', m!.ReceiptHandle);
    expect(sqs.peek('q')).toEqual([]);
  });

  it('ChangeMessageVisibility extends, or with 0 releases, an in-flight message', async () => {
    const { sqs, clock, call } = await open([spec('q', { visibilityTimeoutSeconds: 10 })]);
    await sqs.sendMessage('q', 'a');
    await sqs.sendMessage('q', 'b');
    const [a, b] = await sqs.receiveMessage('q', { maxNumberOfMessages: 2 });
    await sqs.changeMessageVisibility('q', a!.ReceiptHandle, 100);
    await sqs.changeMessageVisibility('q', b!.ReceiptHandle, 0);
    const [b2] = await sqs.receiveMessage('q', { maxNumberOfMessages: 10 });
    expect(b2?.Body).toBe('b');
    await sqs.deleteMessage('q', b2!.ReceiptHandle);
    await clock.advance(99);
    expect(await sqs.receiveMessage('q', { maxNumberOfMessages: 10 })).toEqual([]);
    await clock.advance(1);
    expect((await sqs.receiveMessage('q', { maxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['a']);
    // a handle whose message is visible again (not in flight)
    await clock.advance(10);
    const [again] = await sqs.receiveMessage('q', { maxNumberOfMessages: 1 });
    await clock.advance(10);
    const res = await call('ChangeMessageVisibility', {
      QueueUrl: url('q'),
      ReceiptHandle: again!.ReceiptHandle,
      VisibilityTimeout: 5,
    });
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe('com.amazonaws.sqs#MessageNotInflight');
    expect(res.headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.MessageNotInflight;Sender');
  });

  it('a VisibilityTimeout of 0 leaves the message visible', async () => {
    const { sqs } = await open([spec('q')]);
    await sqs.sendMessage('q', 'x');
    await sqs.receiveMessage('q', { visibilityTimeout: 0 });
    const [m] = await sqs.receiveMessage('q', { visibilityTimeout: 0 });
    expect(m?.Attributes?.ApproximateReceiveCount).toBe('2');
  });
});

describe('delays', () => {
  it('holds a message for its DelaySeconds, or the queue delay', async () => {
    const { sqs, clock } = await open([spec('q'), spec('slow', { delaySeconds: 60 })]);
    await sqs.sendMessage('q', 'later', { delaySeconds: 10 });
    await sqs.sendMessage('q', 'now');
    await sqs.sendMessage('slow', 'x');
    await sqs.sendMessage('slow', 'override', { delaySeconds: 0 });
    expect(sqs.stats('q')).toMatchObject({ visible: 1, delayed: 1 });
    expect((await sqs.receiveMessage('q', { maxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['now']);
    expect(
      (await sqs.receiveMessage('slow', { maxNumberOfMessages: 10, visibilityTimeout: 3600 })).map(
        (m) => m.Body,
      ),
    ).toEqual(['override']);
    await clock.advance(9.999);
    expect(await sqs.receiveMessage('q')).toEqual([]);
    await clock.advance(0.001);
    expect((await sqs.receiveMessage('q')).map((m) => m.Body)).toEqual(['later']);
    await clock.advance(50);
    expect((await sqs.receiveMessage('slow')).map((m) => m.Body)).toEqual(['x']);
    const attrs = await sqs.handle('AmazonSQS.GetQueueAttributes', {
      QueueUrl: 'slow',
      AttributeNames: ['All'],
    });
    expect((attrs.body as { Attributes: Record<string, string> }).Attributes.DelaySeconds).toBe('60');
  });
});

describe('long polling', () => {
  it('a waiting receive is answered by a send', async () => {
    const { sqs, clock } = await open([spec('q')]);
    const waiting = sqs.receiveMessage('q', { waitTimeSeconds: 20 });
    let done = false;
    void waiting.then(() => {
      done = true;
    });
    await clock.advance(5);
    expect(done).toBe(false);
    await sqs.sendMessage('q', 'ping');
    expect((await waiting).map((m) => m.Body)).toEqual(['ping']);
    expect(sqs.stats('q').inFlight).toBe(1);
  });

  it('a waiting receive is answered by a delayed message becoming visible', async () => {
    const { sqs, clock } = await open([spec('q')]);
    await sqs.sendMessage('q', 'soon', { delaySeconds: 3 });
    const waiting = sqs.receiveMessage('q', { waitTimeSeconds: 20 });
    await clock.advance(3);
    expect((await waiting).map((m) => m.Body)).toEqual(['soon']);
  });

  it('returns empty when the wait times out on the clock (default: the queue wait time)', async () => {
    const { sqs, clock, call } = await open([spec('q', { receiveMessageWaitTimeSeconds: 20 })]);
    let result: unknown;
    const waiting = call('ReceiveMessage', { QueueUrl: url('q') }).then((r) => {
      result = r;
    });
    await clock.advance(19);
    expect(result).toBeUndefined();
    await clock.advance(1);
    await waiting;
    expect(result).toMatchObject({ status: 200, body: {} });
    // the next send is not swallowed by the finished poll
    await call('SendMessage', { QueueUrl: url('q'), MessageBody: 'x' });
    expect(sqs.stats('q').visible).toBe(1);
  });

  it('serves waiting receivers in arrival order and answers them empty on close', async () => {
    const { sqs } = await open([spec('q')]);
    const a = sqs.receiveMessage('q', { waitTimeSeconds: 20 });
    const b = sqs.receiveMessage('q', { waitTimeSeconds: 20 });
    await sqs.sendMessage('q', 'one');
    expect((await a).map((m) => m.Body)).toEqual(['one']);
    await sqs.close();
    expect(await b).toEqual([]);
  });
});

describe('dead-letter queues', () => {
  it('moves a message on the receive after maxReceiveCount, keeping id, body and count', async () => {
    const { sqs, clock, logs } = await open([
      spec('dlq'),
      spec('work', {
        visibilityTimeoutSeconds: 10,
        redrivePolicy: { deadLetterTargetArn: spec('dlq').arn, maxReceiveCount: 2 },
      }),
    ]);
    const { MessageId } = await sqs.sendMessage('work', 'poison', {
      messageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
    });
    expect(await sqs.receiveMessage('work')).toHaveLength(1);
    await clock.advance(10);
    expect(await sqs.receiveMessage('work')).toHaveLength(1);
    await clock.advance(10);
    expect(logs).toEqual([]);
    expect(await sqs.receiveMessage('work')).toEqual([]);
    expect(sqs.stats('work')).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
    expect(logs).toEqual([
      expect.stringMatching(/redrive .* work -> dlq \(received 2x, maxReceiveCount 2\)/),
    ]);
    const [dead] = await sqs.receiveMessage('dlq');
    expect(dead).toMatchObject({
      MessageId,
      Body: 'poison',
      MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
      Attributes: { ApproximateReceiveCount: '3', DeadLetterQueueSourceArn: spec('work').arn },
    });
  });

  it('rejects a redrive target that is not a queue of the app, or of another type', async () => {
    await expect(
      open([spec('a', { redrivePolicy: { deadLetterTargetArn: spec('nope').arn, maxReceiveCount: 1 } })]),
    ).rejects.toThrow(/SQS queue "a": redrivePolicy.deadLetterTargetArn .*nope is not a queue of this app/);
    await expect(
      open([
        spec('d.fifo'),
        spec('a', { redrivePolicy: { deadLetterTargetArn: spec('d.fifo').arn, maxReceiveCount: 1 } }),
      ]),
    ).rejects.toThrow(/same type/);
  });
});

describe('retention', () => {
  it('drops messages older than the retention period', async () => {
    const { sqs, clock } = await open([spec('q', { messageRetentionSeconds: 60 })]);
    await sqs.sendMessage('q', 'old');
    await clock.advance(30);
    await sqs.sendMessage('q', 'young');
    await clock.advance(30);
    expect(sqs.peek('q').map((m) => m.body)).toEqual(['young']);
    expect((await sqs.receiveMessage('q', { maxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual([
      'young',
    ]);
  });
});

describe('FIFO queues', () => {
  const fifo = (extra: Partial<QueueSpec> = {}) =>
    spec('jobs.fifo', { visibilityTimeoutSeconds: 10, ...extra });

  it('keeps order per group and holds a group while one of its messages is in flight', async () => {
    const { sqs, clock } = await open([fifo()]);
    for (const [g, b] of [
      ['a', 'a1'],
      ['b', 'b1'],
      ['a', 'a2'],
      ['b', 'b2'],
      ['a', 'a3'],
    ] as const) {
      await sqs.sendMessage('jobs.fifo', b, { messageGroupId: g, messageDeduplicationId: b });
    }
    const first = await sqs.receiveMessage('jobs.fifo', { maxNumberOfMessages: 2 });
    expect(first.map((m) => m.Body)).toEqual(['a1', 'a2']);
    const second = await sqs.receiveMessage('jobs.fifo', { maxNumberOfMessages: 10 });
    expect(second.map((m) => m.Body)).toEqual(['b1', 'b2']); // group a is locked
    expect(await sqs.receiveMessage('jobs.fifo')).toEqual([]);
    await sqs.deleteMessage('jobs.fifo', first[0]!.ReceiptHandle);
    expect(await sqs.receiveMessage('jobs.fifo')).toEqual([]); // a2 still in flight
    await clock.advance(10); // a2 and b1, b2 come back, in order
    const third = await sqs.receiveMessage('jobs.fifo', { maxNumberOfMessages: 10 });
    expect(third.map((m) => m.Body)).toEqual(['a2', 'a3', 'b1', 'b2']);
    const seqs = third.map((m) => BigInt(m.Attributes!.SequenceNumber!));
    expect(seqs[1]! > seqs[0]!).toBe(true);
    expect(third[0]?.Attributes).toMatchObject({ MessageGroupId: 'a', MessageDeduplicationId: 'a2' });
  });

  it('a long poll is answered when a delete unlocks a message group', async () => {
    const { sqs } = await open([fifo()]);
    await sqs.sendMessage('jobs.fifo', 'a1', { messageGroupId: 'a', messageDeduplicationId: '1' });
    await sqs.sendMessage('jobs.fifo', 'a2', { messageGroupId: 'a', messageDeduplicationId: '2' });
    const [a1] = await sqs.receiveMessage('jobs.fifo');
    const waiting = sqs.receiveMessage('jobs.fifo', { waitTimeSeconds: 20 });
    await sqs.deleteMessage('jobs.fifo', a1!.ReceiptHandle);
    expect((await waiting).map((m) => m.Body)).toEqual(['a2']);
  });

  it('deduplicates by MessageDeduplicationId for 5 minutes', async () => {
    const { sqs, clock } = await open([fifo()]);
    const a = await sqs.sendMessage('jobs.fifo', 'x', { messageGroupId: 'g', messageDeduplicationId: 'd1' });
    await clock.advance(299);
    const b = await sqs.sendMessage('jobs.fifo', 'x', { messageGroupId: 'g', messageDeduplicationId: 'd1' });
    expect(b.MessageId).toBe(a.MessageId);
    expect(b.SequenceNumber).toBe(a.SequenceNumber);
    expect(sqs.peek('jobs.fifo')).toHaveLength(1);
    await clock.advance(1);
    const c = await sqs.sendMessage('jobs.fifo', 'x', { messageGroupId: 'g', messageDeduplicationId: 'd1' });
    expect(c.MessageId).not.toBe(a.MessageId);
    expect(sqs.peek('jobs.fifo')).toHaveLength(2);
  });

  it('deduplicates on the body with content-based deduplication', async () => {
    const { sqs } = await open([fifo({ contentBasedDeduplication: true })]);
    await sqs.sendMessage('jobs.fifo', 'same', { messageGroupId: 'g' });
    await sqs.sendMessage('jobs.fifo', 'same', { messageGroupId: 'h' });
    await sqs.sendMessage('jobs.fifo', 'other', { messageGroupId: 'g' });
    expect(sqs.peek('jobs.fifo').map((m) => m.body)).toEqual(['same', 'other']);
  });

  it('requires a group id and a deduplication id, and refuses per-message delays', async () => {
    const { call } = await open([fifo()]);
    const send = (extra: object) =>
      call('SendMessage', { QueueUrl: url('jobs.fifo'), MessageBody: 'x', ...extra });
    expect((await send({ MessageDeduplicationId: 'd' })).body).toEqual({
      __type: 'com.amazonaws.sqs#MissingParameter',
      message: 'The request must contain the parameter MessageGroupId.',
    });
    expect((await send({ MessageGroupId: 'g' })).body.message).toMatch(
      /ContentBasedDeduplication.*jobs\.fifo/,
    );
    expect(
      (await send({ MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 })).body.message,
    ).toMatch(/parameter DelaySeconds is invalid/);
  });

  it('refuses a deduplication id on a standard queue', async () => {
    const { call } = await open([spec('std')]);
    const res = await call('SendMessage', {
      QueueUrl: url('std'),
      MessageBody: 'x',
      MessageDeduplicationId: 'd',
    });
    expect(res.body.message).toMatch(/parameter MessageDeduplicationId is invalid/);
  });

  it('dead-letters to a FIFO queue with a new sequence number', async () => {
    const { sqs, clock } = await open([
      spec('dead.fifo'),
      fifo({ redrivePolicy: { deadLetterTargetArn: spec('dead.fifo').arn, maxReceiveCount: 1 } }),
    ]);
    await sqs.sendMessage('jobs.fifo', 'x', { messageGroupId: 'g', messageDeduplicationId: '1' });
    await sqs.sendMessage('jobs.fifo', 'y', { messageGroupId: 'g', messageDeduplicationId: '2' });
    await sqs.receiveMessage('jobs.fifo', { maxNumberOfMessages: 10 });
    await clock.advance(10);
    expect(await sqs.receiveMessage('jobs.fifo', { maxNumberOfMessages: 10 })).toEqual([]);
    const dead = await sqs.receiveMessage('dead.fifo', { maxNumberOfMessages: 10 });
    expect(dead.map((m) => m.Body)).toEqual(['x', 'y']);
    expect(dead[0]?.Attributes?.MessageGroupId).toBe('g');
  });

  it('requires FIFO queue names to end in .fifo', async () => {
    await expect(open([spec('jobs', { fifo: true })])).rejects.toThrow(/SQS queue "jobs": .*\.fifo/);
  });
});

describe('validation', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['SendMessage', {}, /The request must contain the parameter MessageBody\./],
    ['SendMessage', { MessageBody: '' }, /parameter MessageBody\./],
    ['SendMessage', { MessageBody: 'x'.repeat(262_145) }, /Message must be shorter than 262144 bytes/],
    ['SendMessage', { MessageBody: 'bad \u0000 char' }, /Invalid characters found in MessageBody/],
    [
      'SendMessage',
      { MessageBody: 'x', DelaySeconds: 901 },
      /Value 901 for parameter DelaySeconds is invalid/,
    ],
    ['SendMessage', { MessageBody: 'x', DelaySeconds: 1.5 }, /parameter DelaySeconds is invalid/],
    [
      'SendMessage',
      { MessageBody: 'x', MessageAttributes: { a: { DataType: 'String' } } },
      /'a' must contain a non-empty StringValue .*MessageAttributes\.a\.StringValue/,
    ],
    [
      'SendMessage',
      { MessageBody: 'x', MessageAttributes: { a: { DataType: 'Number', StringValue: 'one' } } },
      /parameter MessageAttributes\.a\.StringValue is invalid/,
    ],
    [
      'SendMessage',
      { MessageBody: 'x', MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } },
      /Message attribute name 'AWS\.x' is invalid/,
    ],
    [
      'SendMessage',
      { MessageBody: 'x', MessageAttributes: { a: { DataType: 'Text', StringValue: 'v' } } },
      /parameter MessageAttributes\.a\.DataType is invalid/,
    ],
    [
      'SendMessage',
      {
        MessageBody: 'x',
        MessageAttributes: Object.fromEntries(
          Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
        ),
      },
      /Number of message attributes \[11\] exceeds the allowed maximum \[10\]/,
    ],
    [
      'ReceiveMessage',
      { MaxNumberOfMessages: 11 },
      /Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10/,
    ],
    ['ReceiveMessage', { MaxNumberOfMessages: 0 }, /parameter MaxNumberOfMessages is invalid/],
    ['ReceiveMessage', { VisibilityTimeout: 43_201 }, /parameter VisibilityTimeout is invalid.*0 and 43200/],
    ['ReceiveMessage', { WaitTimeSeconds: 21 }, /parameter WaitTimeSeconds is invalid.*0 and 20/],
    ['ReceiveMessage', { MaxNumberOfMessages: '5' }, /parameter MaxNumberOfMessages is invalid/],
    ['DeleteMessage', {}, /The request must contain the parameter ReceiptHandle\./],
    ['ChangeMessageVisibility', { ReceiptHandle: 'x' }, /parameter VisibilityTimeout\./],
  ];
  it.each(cases)('%s %j names the field', async (op, input, message) => {
    const { call } = await open([spec('q')]);
    const res = await call(op, { QueueUrl: url('q'), ...input });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(res.body.__type).toMatch(
      /^com\.amazonaws\.sqs#(InvalidParameterValue|MissingParameter|InvalidMessageContents)$/,
    );
    expect(res.headers['x-amzn-query-error']).toMatch(
      /^(InvalidParameterValue|MissingParameter|InvalidMessageContents);Sender$/,
    );
  });

  it('counts attributes toward the size limit and honours a larger MaximumMessageSize', async () => {
    const { sqs } = await open([spec('q'), spec('big', { maximumMessageSize: 1_048_576 })]);
    const attrs = { a: { DataType: 'String', StringValue: 'x'.repeat(100) } };
    await expect(
      sqs.sendMessage('q', 'x'.repeat(262_144 - 50), { messageAttributes: attrs }),
    ).rejects.toThrow(/shorter than 262144 bytes/);
    await sqs.sendMessage('q', 'x'.repeat(262_144));
    await sqs.sendMessage('big', 'x'.repeat(1_000_000));
    expect(sqs.stats('big').visible).toBe(1);
  });

  it('the typed API throws SqsError', async () => {
    const { sqs } = await open([spec('q')]);
    const error = await sqs.receiveMessage('q', { maxNumberOfMessages: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqsError);
    expect(error).toMatchObject({ code: 'InvalidParameterValue' });
  });
});

describe('wire protocol', () => {
  it('answers an unknown queue exactly as SQS does', async () => {
    const { call } = await open([spec('q')]);
    const res = await call('SendMessage', {
      QueueUrl: 'http://sqs.us-east-1.localhost/000000000000/missing',
      MessageBody: 'x',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: expect.stringMatching(/^The specified queue does not exist\./),
    });
    expect(res.headers).toMatchObject({
      'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender',
      'content-type': 'application/x-amz-json-1.0',
    });
    const byName = await call('GetQueueUrl', { QueueName: 'missing' });
    expect(byName.body.__type).toBe('com.amazonaws.sqs#QueueDoesNotExist');
  });

  it('accepts the operation with or without the AmazonSQS. prefix, and a raw JSON body', async () => {
    const { sqs } = await open([spec('q')]);
    const a = await sqs.handle('SendMessage', { QueueUrl: url('q'), MessageBody: 'a' });
    const b = await sqs.handle(
      'AmazonSQS.SendMessage',
      JSON.stringify({ QueueUrl: url('q'), MessageBody: 'b' }),
    );
    const c = await sqs.handle(
      'AmazonSQS.SendMessage',
      Buffer.from(JSON.stringify({ QueueUrl: 'q', MessageBody: 'c' })),
    );
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(sqs.stats('q').visible).toBe(3);
  });

  it('rejects unknown and unsupported operations and bad bodies', async () => {
    const { sqs } = await open([spec('q')]);
    expect((await sqs.handle('AmazonSQS.Frobnicate', {})).body).toEqual({
      __type: 'com.amazonaws.sqs#InvalidAction',
      message: 'The action Frobnicate is not valid for this web service.',
    });
    const create = await sqs.handle('AmazonSQS.CreateQueue', { QueueName: 'x' });
    expect(create.status).toBe(400);
    expect(create.body).toMatchObject({ __type: 'com.amazonaws.sqs#UnsupportedOperation' });
    expect(create.headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.UnsupportedOperation;Sender');
    const bad = await sqs.handle('AmazonSQS.SendMessage', '{not json');
    expect(bad.body).toMatchObject({ __type: 'com.amazon.coral.service#SerializationException' });
    const handle = await sqs.handle('AmazonSQS.DeleteMessage', { QueueUrl: 'q', ReceiptHandle: 'nope!' });
    expect(handle.body).toEqual({
      __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid',
      message: 'The input receipt handle "nope!" is not a valid receipt handle.',
    });
  });

  it('rejects a receipt handle of another queue', async () => {
    const { sqs } = await open([spec('a'), spec('b')]);
    await sqs.sendMessage('a', 'x');
    const [m] = await sqs.receiveMessage('a');
    await expect(sqs.deleteMessage('b', m!.ReceiptHandle)).rejects.toMatchObject({
      code: 'ReceiptHandleIsInvalid',
    });
  });

  it('GetQueueUrl, GetQueueAttributes, ListQueues', async () => {
    const { sqs, call } = await open([
      spec('dlq'),
      spec('orders', {
        visibilityTimeoutSeconds: 45,
        redrivePolicy: { deadLetterTargetArn: spec('dlq').arn, maxReceiveCount: 5 },
      }),
      spec('orders-b'),
      spec('jobs.fifo', { contentBasedDeduplication: true }),
    ]);
    expect((await call('GetQueueUrl', { QueueName: 'orders' })).body).toEqual({ QueueUrl: url('orders') });
    await sqs.sendMessage('orders', 'a');
    await sqs.sendMessage('orders', 'b');
    await sqs.sendMessage('orders', 'c', { delaySeconds: 5 });
    await sqs.receiveMessage('orders');
    const attrs = await call('GetQueueAttributes', { QueueUrl: url('orders'), AttributeNames: ['All'] });
    expect(attrs.body.Attributes).toMatchObject({
      QueueArn: spec('orders').arn,
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      VisibilityTimeout: '45',
      MessageRetentionPeriod: '345600',
      MaximumMessageSize: '262144',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: spec('dlq').arn, maxReceiveCount: 5 }),
    });
    expect(attrs.body.Attributes.FifoQueue).toBeUndefined();
    const some = await call('GetQueueAttributes', {
      QueueUrl: url('jobs.fifo'),
      AttributeNames: ['QueueArn', 'FifoQueue', 'ContentBasedDeduplication'],
    });
    expect(some.body).toEqual({
      Attributes: { QueueArn: spec('jobs.fifo').arn, FifoQueue: 'true', ContentBasedDeduplication: 'true' },
    });
    const none = await call('GetQueueAttributes', { QueueUrl: url('orders') });
    expect(none.body).toEqual({});
    const unknown = await call('GetQueueAttributes', { QueueUrl: url('orders'), AttributeNames: ['Color'] });
    expect(unknown.body).toEqual({
      __type: 'com.amazonaws.sqs#InvalidAttributeName',
      message: 'Unknown Attribute Color.',
    });

    expect((await call('ListQueues', {})).body.QueueUrls).toHaveLength(4);
    expect((await call('ListQueues', { QueueNamePrefix: 'orders' })).body).toEqual({
      QueueUrls: [url('orders'), url('orders-b')],
    });
    const page1 = await call('ListQueues', { MaxResults: 3 });
    expect(page1.body.QueueUrls).toHaveLength(3);
    const page2 = await call('ListQueues', { MaxResults: 3, NextToken: page1.body.NextToken });
    expect(page2.body).toEqual({ QueueUrls: [url('jobs.fifo')] });
    expect((await call('ListQueues', { QueueNamePrefix: 'zzz' })).body).toEqual({});
  });

  it('PurgeQueue deletes everything, once a minute', async () => {
    const { sqs, clock, call } = await open([spec('q')]);
    await sqs.sendMessage('q', 'a');
    await sqs.sendMessage('q', 'b');
    await sqs.receiveMessage('q');
    expect((await call('PurgeQueue', { QueueUrl: url('q') })).status).toBe(200);
    expect(sqs.peek('q')).toEqual([]);
    const again = await call('PurgeQueue', { QueueUrl: url('q') });
    expect(again.body).toEqual({
      __type: 'com.amazonaws.sqs#PurgeQueueInProgress',
      message: 'Only one PurgeQueue operation on q is allowed every 60 seconds.',
    });
    expect(again.headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.PurgeQueueInProgress;Sender');
    await clock.advance(60);
    expect((await call('PurgeQueue', { QueueUrl: url('q') })).status).toBe(200);
  });

  it('batch operations report per-entry results', async () => {
    const { sqs, call } = await open([spec('q')]);
    const sent = await call('SendMessageBatch', {
      QueueUrl: url('q'),
      Entries: [
        { Id: 'a', MessageBody: 'one' },
        { Id: 'b', MessageBody: '' },
        { Id: 'c', MessageBody: 'three', DelaySeconds: 1000 },
        { Id: 'd', MessageBody: 'four', DelaySeconds: 5 },
      ],
    });
    expect(sent.status).toBe(200);
    expect(sent.body.Successful).toEqual([
      { Id: 'a', MessageId: expect.any(String), MD5OfMessageBody: md5('one') },
      { Id: 'd', MessageId: expect.any(String), MD5OfMessageBody: md5('four') },
    ]);
    expect(sent.body.Failed).toEqual([
      {
        Id: 'b',
        SenderFault: true,
        Code: 'MissingParameter',
        Message: 'The request must contain the parameter MessageBody.',
      },
      {
        Id: 'c',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: expect.stringMatching(/DelaySeconds/),
      },
    ]);
    expect(sqs.stats('q')).toMatchObject({ visible: 1, delayed: 1 });
    const [m] = await sqs.receiveMessage('q');
    const deleted = await call('DeleteMessageBatch', {
      QueueUrl: url('q'),
      Entries: [
        { Id: 'x', ReceiptHandle: m!.ReceiptHandle },
        { Id: 'y', ReceiptHandle: 'garbage' },
      ],
    });
    expect(deleted.body).toEqual({
      Successful: [{ Id: 'x' }],
      Failed: [{ Id: 'y', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.any(String) }],
    });
    const batch = (Entries: unknown) => call('SendMessageBatch', { QueueUrl: url('q'), Entries });
    expect((await batch([])).body.__type).toBe('com.amazonaws.sqs#EmptyBatchRequest');
    expect(
      (await batch(Array.from({ length: 11 }, (_, i) => ({ Id: `i${i}`, MessageBody: 'x' })))).body.__type,
    ).toBe('com.amazonaws.sqs#TooManyEntriesInBatchRequest');
    const dup = await batch([
      { Id: 'same', MessageBody: 'x' },
      { Id: 'same', MessageBody: 'y' },
    ]);
    expect(dup.body.__type).toBe('com.amazonaws.sqs#BatchEntryIdsNotDistinct');
    expect(dup.headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender');
    expect((await batch([{ Id: 'no spaces', MessageBody: 'x' }])).body.__type).toBe(
      'com.amazonaws.sqs#InvalidBatchEntryId',
    );
    const tooLong = await batch(
      Array.from({ length: 3 }, (_, i) => ({ Id: `i${i}`, MessageBody: 'x'.repeat(100_000) })),
    );
    expect(tooLong.body.__type).toBe('com.amazonaws.sqs#BatchRequestTooLong');
  });
});

/**
 * What `@aws-sdk/client-sqs` (awsJson1_0 with awsQueryCompatible) puts on the wire and how it reads
 * the answer, written out by hand: the package is not a dependency.
 */
describe('as @aws-sdk/client-sqs talks to it', () => {
  const sdk = (sqs: LocalSqs) => ({
    /** serializes the command input as the SDK does: plain JSON, blobs base64, undefined dropped */
    async send(op: string, input: Record<string, unknown>) {
      const body = JSON.stringify(input, (_, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
      );
      const res = await sqs.handle(`AmazonSQS.${op}`, body);
      if (res.status >= 300) {
        const b = res.body as { __type: string; message: string };
        const [code, fault] = (res.headers['x-amzn-query-error'] ?? '').split(';');
        // the SDK names the exception from __type and keeps the query code as `Code`
        throw Object.assign(new Error(b.message), {
          name: b.__type.split('#').pop(),
          Code: code,
          $fault: fault === 'Sender' ? 'client' : 'server',
          $metadata: { httpStatusCode: res.status },
        });
      }
      return JSON.parse(JSON.stringify(res.body)) as Record<string, Wire>;
    },
  });

  it('SendMessage / ReceiveMessage / DeleteMessage with binary attributes and the SDK MD5 checks', async () => {
    const { sqs } = await open([spec('orders')]);
    const client = sdk(sqs);
    const QueueUrl = (await client.send('GetQueueUrl', { QueueName: 'orders' })).QueueUrl as string;
    const MessageAttributes = {
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 255, 1]) },
      n: { DataType: 'Number.int', StringValue: '42' },
    };
    const out = await client.send('SendMessage', { QueueUrl, MessageBody: '{"order":1}', MessageAttributes });
    // middleware-sdk-sqs: the body MD5 must match
    expect(out.MD5OfMessageBody).toBe(md5('{"order":1}'));
    expect(out.MD5OfMessageAttributes).toBe(
      md5OfAttributes({
        blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 255, 1]).toString('base64') },
        n: { DataType: 'Number.int', StringValue: '42' },
      }),
    );
    const received = await client.send('ReceiveMessage', {
      QueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      AttributeNames: ['All'],
      MessageSystemAttributeNames: ['SentTimestamp'],
      MessageAttributeNames: ['All'],
    });
    const [message] = received.Messages as Record<string, Wire>[];
    expect(md5(message!.Body)).toBe(message!.MD5OfBody);
    expect(Buffer.from(message!.MessageAttributes.blob.BinaryValue, 'base64')).toEqual(
      Buffer.from([0, 255, 1]),
    );
    expect(message!.MD5OfMessageAttributes).toBe(out.MD5OfMessageAttributes);
    expect(await client.send('DeleteMessage', { QueueUrl, ReceiptHandle: message!.ReceiptHandle })).toEqual(
      {},
    );
    const error = await client
      .send('ReceiveMessage', { QueueUrl: `${QueueUrl}-nope` })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'QueueDoesNotExist',
      Code: 'AWS.SimpleQueueService.NonExistentQueue',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('durability', () => {
  it('after a crash every undeleted message is back, with its receive count and visibility', async () => {
    const queues = [spec('q', { visibilityTimeoutSeconds: 60 })];
    const a = await open(queues, { fsync: true });
    const t0 = a.clock.now();
    await a.sqs.sendMessage('q', 'kept', {
      messageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
    });
    await a.sqs.sendMessage('q', 'deleted');
    await a.sqs.sendMessage('q', 'in flight');
    await a.sqs.sendMessage('q', 'delayed', { delaySeconds: 120 });
    const [kept] = await a.sqs.receiveMessage('q', { visibilityTimeout: 0 });
    const [del] = await a.sqs.receiveMessage('q');
    await a.sqs.deleteMessage('q', del!.ReceiptHandle);
    const [flight] = await a.sqs.receiveMessage('q');
    expect([kept?.Body, del?.Body, flight?.Body]).toEqual(['kept', 'deleted', 'in flight']);
    await a.clock.advance(10);
    // crash: abandon the instance, reopen the same directory (a new process, its own clock)
    const b = await open(queues, { dir: a.dir, clock: new VirtualClock(a.clock.now()) });
    expect(
      b.sqs
        .peek('q')
        .map((m) => [m.body, m.state, m.receiveCount])
        .sort(),
    ).toEqual([
      ['delayed', 'delayed', 0],
      ['in flight', 'inflight', 1],
      ['kept', 'visible', 1],
    ]);
    const [k] = await b.sqs.receiveMessage('q');
    expect(k).toMatchObject({
      Body: 'kept',
      MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
      Attributes: {
        ApproximateReceiveCount: '2',
        SentTimestamp: String(t0),
        ApproximateFirstReceiveTimestamp: String(t0),
      },
    });
    await b.clock.advance(49);
    expect(await b.sqs.receiveMessage('q')).toEqual([]);
    await b.clock.advance(1); // the in-flight message's visibility timeout ends at its journaled time
    const [f] = await b.sqs.receiveMessage('q');
    expect(f).toMatchObject({ Body: 'in flight', Attributes: { ApproximateReceiveCount: '2' } });
    await b.clock.advance(60);
    expect((await b.sqs.receiveMessage('q', { maxNumberOfMessages: 10 })).map((m) => m.Body).sort()).toEqual([
      'delayed',
      'in flight',
      'kept',
    ]);
  });

  it('a receipt handle from before the crash still deletes', async () => {
    const a = await open([spec('q')]);
    await a.sqs.sendMessage('q', 'x');
    const [m] = await a.sqs.receiveMessage('q');
    const b = await open([spec('q')], { dir: a.dir, clock: new VirtualClock(a.clock.now()) });
    await b.sqs.deleteMessage('q', m!.ReceiptHandle);
    expect(b.sqs.peek('q')).toEqual([]);
  });

  it('survives a torn journal tail and keeps FIFO sequence numbers and dedup ids', async () => {
    const queues = [spec('j.fifo')];
    const a = await open(queues);
    const first = await a.sqs.sendMessage('j.fifo', 'x', {
      messageGroupId: 'g',
      messageDeduplicationId: 'd',
    });
    appendFileSync(join(a.dir, 'sqs.journal'), '{"t":"m","q":"arn:');
    const b = await open(queues, { dir: a.dir, clock: new VirtualClock(a.clock.now() + 1000) });
    expect(b.sqs.peek('j.fifo').map((m) => m.body)).toEqual(['x']);
    const dup = await b.sqs.sendMessage('j.fifo', 'x', { messageGroupId: 'g', messageDeduplicationId: 'd' });
    expect(dup.MessageId).toBe(first.MessageId);
    const next = await b.sqs.sendMessage('j.fifo', 'y', { messageGroupId: 'g', messageDeduplicationId: 'e' });
    expect(BigInt(next.SequenceNumber!) > BigInt(first.SequenceNumber!)).toBe(true);
  });

  it('compacts the journal and reopens to the same state', async () => {
    const queues = [spec('q'), spec('j.fifo')];
    const a = await open(queues, { compactAfter: 50 });
    const file = join(a.dir, 'sqs.journal');
    for (let i = 0; i < 100; i++) {
      await a.sqs.sendMessage('q', `m${i}`);
      const [m] = await a.sqs.receiveMessage('q');
      if (i % 10 !== 0) await a.sqs.deleteMessage('q', m!.ReceiptHandle);
    }
    await a.sqs.sendMessage('j.fifo', 'f', { messageGroupId: 'g', messageDeduplicationId: 'dd' });
    await a.sqs.idle();
    const lines = readFileSync(file, 'utf8').trim().split('\n').length;
    expect(lines).toBeLessThan(120); // 300+ records appended; a compaction ran
    const b = await open(queues, { dir: a.dir, clock: new VirtualClock(a.clock.now()) });
    const left = b.sqs.peek('q');
    expect(left.map((m) => m.body).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i * 10}`).sort());
    expect(left.every((m) => m.receiveCount === 1 && m.state === 'inflight')).toBe(true);
    const dup = await b.sqs.sendMessage('j.fifo', 'f', { messageGroupId: 'g', messageDeduplicationId: 'dd' });
    expect(b.sqs.peek('j.fifo')).toEqual([expect.objectContaining({ messageId: dup.MessageId })]);
  });

  it('keeps messages of a queue that left the app, and gives them back when it returns', async () => {
    const a = await open([spec('a'), spec('gone')]);
    await a.sqs.sendMessage('gone', 'still here');
    const b = await open([spec('a')], {
      dir: a.dir,
      clock: new VirtualClock(a.clock.now()),
      compactAfter: 1,
    });
    expect(b.logs.join()).toMatch(/keeping 1 journaled message.*gone/);
    for (let i = 0; i < 5; i++) await b.sqs.sendMessage('a', 'x'); // compactions run
    await b.sqs.close();
    const c = await open([spec('a'), spec('gone')], { dir: a.dir, clock: new VirtualClock(a.clock.now()) });
    expect(c.sqs.peek('gone').map((m) => m.body)).toEqual(['still here']);
  });

  it('commits a send before it returns (fsync on by default)', async () => {
    const a = await open([spec('q')], { fsync: true });
    await a.sqs.sendMessage('q', 'durable');
    expect(readFileSync(join(a.dir, 'sqs.journal'), 'utf8')).toContain('"durable"');
    expect(statSync(join(a.dir, 'sqs.journal')).size).toBeGreaterThan(0);
  });
});

describe('inspection', () => {
  it('stats and a start-up summary', async () => {
    const { sqs } = await open(
      [
        spec('dlq'),
        spec('work', { redrivePolicy: { deadLetterTargetArn: spec('dlq').arn, maxReceiveCount: 3 } }),
      ],
      {
        mappings: [
          {
            uuid: 'esm-1',
            queueArn: spec('work').arn,
            functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:worker`,
            enabled: false,
          },
        ],
      },
    );
    await sqs.sendMessage('work', 'x');
    expect(sqs.stats()).toEqual([
      expect.objectContaining({ name: 'dlq', visible: 0 }),
      expect.objectContaining({ name: 'work', visible: 1, deadLetterTargetArn: spec('dlq').arn }),
    ]);
    expect(sqs.summary()).toEqual([
      'sqs dlq: 0 visible, 0 in flight, 0 delayed',
      'sqs work: 1 visible, 0 in flight, 0 delayed, dead letters to dlq after 3 receives',
      'sqs work -> lambda worker: batch 10, concurrency 5 (disabled)',
    ]);
  });
});
