import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/engine/clock.ts';
import {
  createSqs,
  type EventSourceMappingSpec,
  type InvokeOutcome,
  type LocalSqs,
  type QueueSpec,
} from '../../local/sqs/queues.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:worker`;
const root = mkdtempSync(join(tmpdir(), 'storeflow-sqs-esm-'));
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
const mapping = (queue: string, extra: Partial<EventSourceMappingSpec> = {}): EventSourceMappingSpec => ({
  uuid: `esm-${queue}`,
  queueArn: spec(queue).arn,
  functionArn: FN,
  ...extra,
});

type Handler = (event: SQSEvent) => InvokeOutcome | Promise<InvokeOutcome>;
const ok = (result: unknown = null): InvokeOutcome => ({ ok: true, result });
const fail = (errorMessage = 'boom'): InvokeOutcome => ({
  ok: false,
  error: { errorType: 'Error', errorMessage },
});

let dirs = 0;
const open = async (
  queues: QueueSpec[],
  mappings: EventSourceMappingSpec[],
  handler: Handler,
  o: { dir?: string; clock?: VirtualClock } = {},
) => {
  const dir = o.dir ?? join(root, `d${++dirs}`);
  const clock = o.clock ?? new VirtualClock();
  const logs: string[] = [];
  const events: SQSEvent[] = [];
  const sqs = await createSqs({
    dir,
    clock,
    region: REGION,
    account: ACCOUNT,
    queues,
    mappings,
    invoke: async (arn, event) => {
      expect(arn).toBe(FN);
      events.push(structuredClone(event));
      return handler(event);
    },
    log: (line) => logs.push(line),
    fsync: false,
  });
  opened.push(sqs);
  return { sqs, clock, dir, logs, events };
};

const bodies = (event: SQSEvent | undefined) => event?.Records.map((r) => r.body);

describe('event source mappings', () => {
  it('invokes with the Lambda SQS event and deletes the batch on success', async () => {
    const { sqs, clock, events, logs } = await open([spec('orders')], [mapping('orders')], () => ok());
    const t0 = clock.now();
    // sent in the same tick, so the poller finds both (a window of 0 invokes as soon as it finds any)
    const [sent] = await Promise.all([
      sqs.sendMessage('orders', '{"id":1}', {
        messageAttributes: {
          kind: { DataType: 'String', StringValue: 'order' },
          raw: { DataType: 'Binary', BinaryValue: 'AAE=' },
        },
      }),
      sqs.sendMessage('orders', '{"id":2}'),
    ]);
    await clock.advance(0); // settles: the mapping polled, invoked and deleted
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      Records: [
        {
          messageId: sent!.MessageId,
          receiptHandle: expect.any(String),
          body: '{"id":1}',
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: String(t0),
            SenderId: ACCOUNT,
            ApproximateFirstReceiveTimestamp: String(t0),
          },
          messageAttributes: {
            kind: { stringValue: 'order', stringListValues: [], binaryListValues: [], dataType: 'String' },
            raw: { binaryValue: 'AAE=', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
          },
          md5OfBody: createHash('md5').update('{"id":1}').digest('hex'),
          md5OfMessageAttributes: sent!.MD5OfMessageAttributes,
          eventSource: 'aws:sqs',
          eventSourceARN: spec('orders').arn,
          awsRegion: REGION,
        },
        expect.objectContaining({ body: '{"id":2}', messageAttributes: {} }),
      ],
    });
    expect(sqs.peek('orders')).toEqual([]);
    expect(logs).toEqual(['[sqs] orders -> worker: 2 message(s) ok']);
  });

  it('a failed invocation leaves the batch for the visibility timeout, then redrive moves it', async () => {
    const { sqs, clock, events, logs } = await open(
      [
        spec('dlq'),
        spec('work', {
          visibilityTimeoutSeconds: 30,
          redrivePolicy: { deadLetterTargetArn: spec('dlq').arn, maxReceiveCount: 2 },
        }),
      ],
      [mapping('work')],
      () => fail('database down'),
    );
    await sqs.sendMessage('work', 'job');
    await clock.advance(0);
    expect(events).toHaveLength(1);
    expect(sqs.stats('work')).toMatchObject({ visible: 0, inFlight: 1 });
    await clock.advance(29);
    expect(events).toHaveLength(1);
    await clock.advance(1);
    expect(events).toHaveLength(2);
    expect(events[1]?.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    await clock.advance(30); // the third receive attempt moves it
    expect(events).toHaveLength(2);
    expect(sqs.stats('work')).toMatchObject({ visible: 0, inFlight: 0 });
    expect(sqs.peek('dlq')).toEqual([expect.objectContaining({ body: 'job', receiveCount: 2 })]);
    expect(logs).toEqual([
      '[sqs] work -> worker: 1 message(s) failed (Error: database down); retried after the visibility timeout',
      '[sqs] work -> worker: 1 message(s) failed (Error: database down); retried after the visibility timeout',
      expect.stringMatching(/^\[sqs\] redrive .* work -> dlq \(received 2x, maxReceiveCount 2\)$/),
    ]);
  });

  it('an invoke callback that throws counts as a failed invocation', async () => {
    const { sqs, clock, logs } = await open(
      [spec('q', { visibilityTimeoutSeconds: 5 })],
      [mapping('q')],
      () => {
        throw new TypeError('sandbox gone');
      },
    );
    await sqs.sendMessage('q', 'x');
    await clock.advance(0);
    expect(sqs.stats('q').inFlight).toBe(1);
    expect(logs[0]).toMatch(/failed \(TypeError: sandbox gone\)/);
  });

  it('does not retry in a hot loop when the queue visibility timeout is 0', async () => {
    const { sqs, clock, events } = await open(
      [spec('q', { visibilityTimeoutSeconds: 0 })],
      [mapping('q')],
      () => fail(),
    );
    await sqs.sendMessage('q', 'x');
    await clock.advance(0);
    expect(events).toHaveLength(1);
    await clock.advance(0.5);
    expect(events).toHaveLength(1);
    await clock.advance(0.5);
    expect(events).toHaveLength(2);
    await clock.advance(3);
    expect(events).toHaveLength(5);
  });

  it('with reportBatchItemFailures deletes all but the reported messages', async () => {
    let round = 0;
    const { sqs, clock, events, logs } = await open(
      [spec('q', { visibilityTimeoutSeconds: 10 })],
      [mapping('q', { reportBatchItemFailures: true })],
      (event) => {
        round++;
        if (round === 1) {
          const bad = event.Records.filter((r) => r.body.startsWith('bad'));
          return ok({ batchItemFailures: bad.map((r) => ({ itemIdentifier: r.messageId })) });
        }
        return ok({ batchItemFailures: [] });
      },
    );
    await Promise.all(['good-1', 'bad-1', 'good-2', 'bad-2'].map((b) => sqs.sendMessage('q', b)));
    await clock.advance(0);
    expect(bodies(events[0])).toEqual(['good-1', 'bad-1', 'good-2', 'bad-2']);
    expect(
      sqs
        .peek('q')
        .map((m) => m.body)
        .sort(),
    ).toEqual(['bad-1', 'bad-2']);
    expect(logs[0]).toBe('[sqs] q -> worker: 4 message(s), 2 reported as failed');
    await clock.advance(10);
    expect(bodies(events[1])?.sort()).toEqual(['bad-1', 'bad-2']);
    expect(sqs.peek('q')).toEqual([]);
  });

  it('treats a malformed batchItemFailures response as a failure of the whole batch', async () => {
    const responses: unknown[] = [
      { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] },
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ id: 'x' }] },
      { batchItemFailures: 'all' },
    ];
    for (const result of responses) {
      const { sqs, clock, logs } = await open(
        [spec('q', { visibilityTimeoutSeconds: 10 })],
        [mapping('q', { reportBatchItemFailures: true })],
        () => ok(result),
      );
      await sqs.sendMessage('q', 'a');
      await sqs.sendMessage('q', 'b');
      await clock.advance(0);
      expect(sqs.stats('q').inFlight).toBe(2);
      expect(logs[0]).toMatch(/invalid batchItemFailures/);
    }
  });

  it('treats no response, null or an empty list as success (and ignores the list without the option)', async () => {
    for (const [result, report] of [
      [undefined, true],
      [null, true],
      [{ batchItemFailures: null }, true],
      ['done', true],
      [{ batchItemFailures: [{ itemIdentifier: 'whatever' }] }, false],
    ] as const) {
      const { sqs, clock } = await open(
        [spec('q')],
        [mapping('q', { reportBatchItemFailures: report })],
        () => ok(result),
      );
      await sqs.sendMessage('q', 'a');
      await clock.advance(0);
      expect(sqs.peek('q')).toEqual([]);
    }
  });

  it('splits into batches of batchSize and keeps at most maximumConcurrency invocations running', async () => {
    const releases: (() => void)[] = [];
    let running = 0;
    let peak = 0;
    const { sqs, events } = await open(
      [spec('q')],
      [mapping('q', { batchSize: 4, maximumConcurrency: 2 })],
      () => {
        running++;
        peak = Math.max(peak, running);
        return new Promise<InvokeOutcome>((resolve) => {
          releases.push(() => {
            running--;
            resolve(ok());
          });
        });
      },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => sqs.sendMessage('q', `m${i}`)));
    await expect.poll(() => running).toBe(2);
    expect(sqs.mappings()).toEqual([expect.objectContaining({ uuid: 'esm-q', running: 2 })]);
    for (;;) {
      await expect.poll(() => releases.length > 0 || sqs.peek('q').length === 0).toBe(true);
      const release = releases.shift();
      if (!release) break;
      release();
    }
    await sqs.idle();
    expect(peak).toBe(2);
    expect(events.map((e) => e.Records.length)).toEqual([4, 4, 2]);
    expect(events.flatMap((e) => bodies(e)!).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    expect(sqs.peek('q')).toEqual([]);
  });

  it('waits up to maximumBatchingWindowSeconds for a fuller batch', async () => {
    const { sqs, clock, events } = await open(
      [spec('q')],
      [mapping('q', { batchSize: 5, maximumBatchingWindowSeconds: 10 })],
      () => ok(),
    );
    await sqs.sendMessage('q', 'a');
    await clock.advance(4);
    await sqs.sendMessage('q', 'b');
    await clock.advance(5);
    expect(events).toHaveLength(0);
    await clock.advance(1);
    expect(bodies(events[0])).toEqual(['a', 'b']);
    // a full batch goes at once
    for (const b of ['c', 'd', 'e', 'f', 'g']) await sqs.sendMessage('q', b);
    await clock.advance(0);
    expect(bodies(events[1])).toEqual(['c', 'd', 'e', 'f', 'g']);
    expect(sqs.peek('q')).toEqual([]);
  });

  it('a disabled mapping does not poll until enabled', async () => {
    const { sqs, clock, events } = await open([spec('q')], [mapping('q', { enabled: false })], () => ok());
    await sqs.sendMessage('q', 'x');
    await clock.advance(60);
    expect(events).toHaveLength(0);
    expect(sqs.stats('q').visible).toBe(1);
    sqs.setMappingEnabled('esm-q', true);
    await clock.advance(0);
    expect(events).toHaveLength(1);
    sqs.setMappingEnabled('esm-q', false);
    await sqs.sendMessage('q', 'y');
    await clock.advance(60);
    expect(events).toHaveLength(1);
  });

  it('advance() returns only after the invocations that became due have finished', async () => {
    let finished = 0;
    const { sqs, clock } = await open([spec('q')], [mapping('q')], async () => {
      await new Promise((r) => setTimeout(r, 20)); // real async work inside the function
      finished++;
      return ok();
    });
    await sqs.sendMessage('q', 'later', { delaySeconds: 30 });
    await clock.advance(29);
    expect(finished).toBe(0);
    await clock.advance(1);
    expect(finished).toBe(1);
    expect(sqs.peek('q')).toEqual([]);
  });

  it('keeps FIFO order per message group across invocations', async () => {
    const seen: string[] = [];
    const { sqs, clock } = await open(
      [spec('jobs.fifo', { visibilityTimeoutSeconds: 10 })],
      [mapping('jobs.fifo', { batchSize: 2 })],
      (event) => {
        const failing = event.Records.some(
          (r) => r.body === 'a2' && r.attributes.ApproximateReceiveCount === '1',
        );
        if (failing) return fail();
        seen.push(...event.Records.map((r) => r.body));
        return ok();
      },
    );
    for (const b of ['a1', 'a2', 'a3', 'a4', 'b1', 'b2']) {
      await sqs.sendMessage('jobs.fifo', b, { messageGroupId: b[0]!, messageDeduplicationId: b });
    }
    await clock.advance(0);
    await clock.advance(10);
    await clock.advance(0);
    const order = (g: string) => seen.filter((b) => b.startsWith(g));
    // a1 went in a batch with a2, which failed: the whole batch came back, and a3 waited for it
    expect(order('a')).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(order('b')).toEqual(['b1', 'b2']);
    expect(sqs.peek('jobs.fifo')).toEqual([]);
  });

  it('resumes after a crash: in-flight messages come back after their visibility timeout', async () => {
    const queues = [spec('q', { visibilityTimeoutSeconds: 30 })];
    const a = await open(queues, [mapping('q')], () => new Promise<InvokeOutcome>(() => {})); // never returns
    await a.sqs.sendMessage('q', 'x');
    await a.sqs.sendMessage('q', 'y', { delaySeconds: 100 });
    await expect.poll(() => a.events.length).toBe(1);
    opened.splice(opened.indexOf(a.sqs), 1); // abandoned for good: close() would wait for the invocation
    // crash with the invocation in flight
    const b = await open(queues, [mapping('q')], () => ok(), {
      dir: a.dir,
      clock: new VirtualClock(a.clock.now() + 10_000),
    });
    await b.clock.advance(0);
    expect(b.events).toHaveLength(0);
    await b.clock.advance(20);
    expect(bodies(b.events[0])).toEqual(['x']);
    expect(b.events[0]?.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    await b.clock.advance(70);
    expect(bodies(b.events[1])).toEqual(['y']);
    expect(b.sqs.peek('q')).toEqual([]);
  });

  it('rejects a mapping whose queue is not in the app, or whose batch settings AWS would refuse', async () => {
    await expect(open([spec('q')], [mapping('other')], () => ok())).rejects.toThrow(
      /event source mapping esm-other: queue .*:other is not a queue of this app/,
    );
    await expect(open([spec('q')], [mapping('q', { batchSize: 50 })], () => ok())).rejects.toThrow(
      /batchSize above 10 needs maximumBatchingWindowSeconds/,
    );
    await expect(open([spec('q.fifo')], [mapping('q.fifo', { batchSize: 20 })], () => ok())).rejects.toThrow(
      /esm-q.fifo: batchSize must be an integer between 1 and 10/,
    );
  });
});
