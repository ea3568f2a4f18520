/**
 * The local EventBridge on its own: PutEvents validation and envelopes, routing, target input, retries and
 * dead-letter queues, durability across a crash, archive and replay, rule schedules and Scheduler schedules, and
 * the awsJson API. Time is a VirtualClock; `clock.advance()` returns once due deliveries have finished.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/engine/clock.ts';
import {
  type ArchiveSpec,
  createEventBridge,
  DeliveryError,
  type DeliveryInfo,
  EventBridgeError,
  type EventBridgeOptions,
  type LocalEventBridge,
  type RuleSpec,
  retryDelayMs,
  type SchedulerScheduleSpec,
} from '../../local/eventbridge/bus.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'eventbridge-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
const ruleArn = (name: string, bus = 'shop') =>
  bus === 'default'
    ? `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`
    : `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/${name}`;
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const scheduleArn = (name: string) => `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${name}`;

interface Call {
  arn: string;
  payload: string;
  info: DeliveryInfo;
  at: number;
}
interface Dead {
  queue: string;
  body: string;
  attributes: Record<string, string>;
  at: number;
}

interface Harness {
  bus: LocalEventBridge;
  clock: VirtualClock;
  calls: Call[];
  dead: Dead[];
  logs: string[];
  dir: string;
}

type Behaviour = (call: Call) => Promise<void> | void;

async function start(
  options: {
    dir?: string;
    clock?: VirtualClock;
    rules?: RuleSpec[];
    archives?: ArchiveSpec[];
    schedules?: SchedulerScheduleSpec[];
    behaviour?: Behaviour;
    extra?: Partial<EventBridgeOptions>;
  } = {},
): Promise<Harness> {
  const dir = options.dir ?? tmp();
  const clock = options.clock ?? new VirtualClock(T0);
  const calls: Call[] = [];
  const dead: Dead[] = [];
  const logs: string[] = [];
  const bus = await createEventBridge({
    dir,
    clock,
    region: REGION,
    account: ACCOUNT,
    buses: [{ name: 'shop', arn: busArn('shop') }],
    rules: options.rules ?? [],
    archives: options.archives ?? [],
    schedules: options.schedules ?? [],
    deliver: async (arn, payload, info) => {
      const call = { arn, payload, info, at: clock.now() };
      calls.push(call);
      await options.behaviour?.(call);
    },
    sendToDeadLetter: async (queue, body, attributes) => {
      dead.push({ queue, body, attributes, at: clock.now() });
    },
    log: (line) => logs.push(line),
    fsync: false,
    ...options.extra,
  });
  return { bus, clock, calls, dead, logs, dir };
}

const rule = (
  name: string,
  pattern: unknown,
  targets: RuleSpec['targets'],
  extra: Partial<RuleSpec> = {},
): RuleSpec => ({
  name,
  arn: ruleArn(name),
  busName: 'shop',
  eventPattern: pattern,
  state: 'ENABLED',
  targets,
  ...extra,
});

const order = (
  detailType: string,
  detail: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({
  EventBusName: 'shop',
  Source: 'storeflow.ingestion',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
  ...extra,
});

const payloadOf = (c: Call | undefined) => JSON.parse(c!.payload) as Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------

describe('PutEvents validation', () => {
  it('rejects bad entries one by one, as AWS does, and accepts the rest', async () => {
    const h = await start();
    const result = await h.bus.putEvents([
      order('OrderPaid', { id: 1 }),
      { EventBusName: 'shop', DetailType: 'x', Detail: '{}' },
      { EventBusName: 'shop', Source: 's', Detail: '{}' },
      { EventBusName: 'shop', Source: 's', DetailType: 'x' },
      { EventBusName: 'shop', Source: 's', DetailType: 'x', Detail: 'not json' },
      { EventBusName: 'shop', Source: 's', DetailType: 'x', Detail: '[1,2]' },
      { EventBusName: 'shop', Source: 'aws.ec2', DetailType: 'x', Detail: '{}' },
      { EventBusName: 'nope', Source: 's', DetailType: 'x', Detail: '{}' },
      { EventBusName: busArn('shop'), Source: 's', DetailType: 'x', Detail: '{}' },
      { Source: 's', DetailType: 'x', Detail: '{}', Time: 'yesterday' },
    ]);
    expect(result.FailedEntryCount).toBe(8);
    const codes = result.Entries.map((e) => ('ErrorCode' in e ? e.ErrorCode : 'ok'));
    expect(codes).toEqual([
      'ok',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ResourceNotFoundException',
      'ok',
      'InvalidArgument',
    ]);
    expect(result.Entries[1]).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
    });
    expect(result.Entries[7]).toMatchObject({ ErrorMessage: 'Event bus nope does not exist.' });
    expect('EventId' in result.Entries[0]! && result.Entries[0].EventId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    await h.bus.close();
  });

  it('rejects a whole request of 0 or more than 10 entries, or over 256 KB', async () => {
    const h = await start();
    await expect(h.bus.putEvents([])).rejects.toBeInstanceOf(EventBridgeError);
    const eleven = Array.from({ length: 11 }, () => order('X'));
    await expect(h.bus.putEvents(eleven)).rejects.toMatchObject({ type: 'ValidationException' });
    const big = 'x'.repeat(130 * 1024);
    await expect(h.bus.putEvents([order('X', { big }), order('X', { big })])).rejects.toMatchObject({
      type: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
    expect((await h.bus.putEvents([order('X', { big })])).FailedEntryCount).toBe(0);
    await h.bus.close();
  });
});

describe('events and routing', () => {
  it('delivers the EventBridge envelope', async () => {
    const h = await start({
      rules: [rule('all', { source: ['storeflow.ingestion'] }, [{ id: 't', arn: fnArn('f') }])],
    });
    await h.clock.advance(12.345);
    const result = await h.bus.putEvents([order('OrderPaid', { orderId: 'o-1' }, { Resources: ['arn:x'] })]);
    await h.clock.advance(0);
    expect(h.calls).toHaveLength(1);
    expect(payloadOf(h.calls[0])).toEqual({
      version: '0',
      id: (result.Entries[0] as { EventId: string }).EventId,
      'detail-type': 'OrderPaid',
      source: 'storeflow.ingestion',
      account: ACCOUNT,
      time: '2025-01-01T00:00:12Z',
      region: REGION,
      resources: ['arn:x'],
      detail: { orderId: 'o-1' },
    });
    expect(h.calls[0]!.info).toMatchObject({
      rule: 'all',
      ruleArn: ruleArn('all'),
      targetId: 't',
      attempt: 1,
    });
    await h.bus.close();
  });

  it('takes Time from the entry (Date, ISO text or epoch seconds)', async () => {
    const h = await start({
      rules: [rule('all', { source: ['storeflow.ingestion'] }, [{ id: 't', arn: fnArn('f') }])],
    });
    await h.bus.putEvents([
      order('A', {}, { Time: new Date('2024-05-06T07:08:09.500Z') }),
      order('B', {}, { Time: '2024-05-06T07:08:10Z' }),
      order('C', {}, { Time: 1_715_000_000 }),
    ]);
    await h.clock.advance(0);
    const times = Object.fromEntries(h.calls.map((c) => [payloadOf(c)['detail-type'], payloadOf(c).time]));
    expect(times).toEqual({
      A: '2024-05-06T07:08:09Z',
      B: '2024-05-06T07:08:10Z',
      C: '2024-05-06T12:53:20Z',
    });
    await h.bus.close();
  });

  it('routes by pattern to the right targets; disabled rules and other buses get nothing', async () => {
    const h = await start({
      rules: [
        rule('paid', { 'detail-type': ['OrderPaid'] }, [
          { id: 'a', arn: fnArn('billing') },
          { id: 'b', arn: queueArn('audit') },
        ]),
        rule('big', { detail: { total: [{ numeric: ['>', 100] }] } }, [{ id: 'c', arn: fnArn('vip') }]),
        rule('off', { source: ['storeflow.ingestion'] }, [{ id: 'd', arn: fnArn('off') }], {
          state: 'DISABLED',
        }),
        {
          name: 'elsewhere',
          arn: ruleArn('elsewhere', 'default'),
          busName: 'default',
          eventPattern: { source: ['storeflow.ingestion'] },
          state: 'ENABLED',
          targets: [{ id: 'e', arn: fnArn('default-bus') }],
        },
      ],
    });
    await h.bus.putEvents([order('OrderPaid', { total: 50 }), order('OrderShipped', { total: 500 })]);
    await h.clock.advance(0);
    const got = h.calls.map((c) => `${payloadOf(c)['detail-type']}→${c.arn.split(':').at(-1)}`).sort();
    expect(got).toEqual(['OrderPaid→audit', 'OrderPaid→billing', 'OrderShipped→vip']);
    await h.bus.putEvents([{ ...order('OrderPaid'), EventBusName: undefined }]);
    await h.clock.advance(0);
    expect(h.calls.at(-1)!.arn).toBe(fnArn('default-bus'));
    await h.bus.close();
  });

  it('applies Input, InputPath and InputTransformer', async () => {
    const h = await start({
      rules: [
        rule('paid', { 'detail-type': ['OrderPaid'] }, [
          { id: 'constant', arn: fnArn('c'), input: '{"fixed":true}' },
          { id: 'path', arn: fnArn('p'), inputPath: '$.detail.order' },
          {
            id: 'transformer',
            arn: fnArn('t'),
            inputTransformer: {
              inputPathsMap: { id: '$.detail.order.id', total: '$.detail.order.total' },
              inputTemplate:
                '{"order": <id>, "total": <total>, "text": "order <id> paid", "rule": <aws.events.rule-name>}',
            },
          },
        ]),
      ],
    });
    await h.bus.putEvents([order('OrderPaid', { order: { id: 'o-7', total: 19.5 } })]);
    await h.clock.advance(0);
    const by = Object.fromEntries(h.calls.map((c) => [c.info.targetId, c.payload]));
    expect(by.constant).toBe('{"fixed":true}');
    expect(JSON.parse(by.path!)).toEqual({ id: 'o-7', total: 19.5 });
    expect(JSON.parse(by.transformer!)).toEqual({
      order: 'o-7',
      total: 19.5,
      text: 'order o-7 paid',
      rule: 'paid',
    });
    await h.bus.close();
  });

  it('logs one line per delivery', async () => {
    const h = await start({
      rules: [rule('paid', { 'detail-type': ['OrderPaid'] }, [{ id: 'billing', arn: fnArn('b') }])],
    });
    await h.bus.putEvents([order('OrderPaid')]);
    await h.clock.advance(0);
    expect(h.logs).toContain(
      'event storeflow.ingestion OrderPaid → rule paid → target billing ok (attempt 1)',
    );
    await h.bus.close();
  });

  it('rejects configuration AWS would not deploy', async () => {
    await expect(start({ rules: [rule('bad', { source: 'x' }, [])] })).rejects.toThrow(/rule bad/);
    await expect(
      start({
        rules: [rule('bad', { source: ['x'] }, [{ id: 't', arn: fnArn('f'), input: '{', inputPath: '$' }])],
      }),
    ).rejects.toThrow(/target t/);
    await expect(start({ rules: [rule('bad', { source: ['x'] }, [], { busName: 'nope' })] })).rejects.toThrow(
      /nope/,
    );
    await expect(
      start({
        rules: [
          rule('bad', { source: ['x'] }, [
            { id: 't', arn: fnArn('f'), retryPolicy: { maximumRetryAttempts: 500 } },
          ]),
        ],
      }),
    ).rejects.toThrow(/MaximumRetryAttempts/);
  });
});

describe('retries and dead-letter queues', () => {
  it('backs off 1 s, 2 s, 4 s ... up to 3 minutes', () => {
    expect([1, 2, 3, 4, 8, 9, 50].map(retryDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 128_000, 180_000, 180_000,
    ]);
  });

  it('retries a failing target until it succeeds, once, counting attempts', async () => {
    let failures = 2;
    const h = await start({
      rules: [rule('paid', { 'detail-type': ['OrderPaid'] }, [{ id: 't', arn: fnArn('flaky') }])],
      behaviour: () => {
        if (failures-- > 0) throw new Error('busy');
      },
    });
    await h.bus.putEvents([order('OrderPaid')]);
    await h.clock.advance(0);
    expect(h.calls.map((c) => c.info.attempt)).toEqual([1]);
    await h.clock.advance(1);
    expect(h.calls.map((c) => c.info.attempt)).toEqual([1, 2]);
    await h.clock.advance(60);
    expect(h.calls.map((c) => [c.info.attempt, (c.at - T0) / 1000])).toEqual([
      [1, 0],
      [2, 1],
      [3, 3],
    ]);
    expect(h.bus.stats()).toMatchObject({ delivered: 1, retries: 2, pendingDeliveries: 0, deadLettered: 0 });
    expect(h.logs.some((l) => l.includes('failed (attempt 1): ERROR_FROM_TARGET: busy; retry in 1s'))).toBe(
      true,
    );
    expect(h.clock.pending).toBe(0);
    await h.bus.close();
  });

  it('sends the event to the DLQ with its attributes once retries are exhausted', async () => {
    const h = await start({
      rules: [
        rule('paid', { 'detail-type': ['OrderPaid'] }, [
          {
            id: 't',
            arn: fnArn('broken'),
            retryPolicy: { maximumRetryAttempts: 2 },
            deadLetterArn: queueArn('dlq'),
          },
        ]),
      ],
      behaviour: () => {
        throw new Error('kaboom');
      },
    });
    const put = await h.bus.putEvents([order('OrderPaid', { id: 1 })]);
    await h.clock.advance(3600);
    expect(h.calls).toHaveLength(3);
    expect(h.dead).toHaveLength(1);
    const d = h.dead[0]!;
    expect(d.queue).toBe(queueArn('dlq'));
    expect(JSON.parse(d.body)).toMatchObject({
      id: (put.Entries[0] as { EventId: string }).EventId,
      detail: { id: 1 },
    });
    expect(d.attributes).toEqual({
      RULE_ARN: ruleArn('paid'),
      TARGET_ARN: fnArn('broken'),
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: 'kaboom',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '2',
    });
    expect(d.at - T0).toBe(3000);
    expect(h.bus.stats()).toMatchObject({ deadLettered: 1, pendingDeliveries: 0 });
    expect(h.logs.some((l) => l.includes(`dead-lettered to ${queueArn('dlq')}`))).toBe(true);
    await h.bus.close();
  });

  it('gives up when the next retry would pass MaximumEventAgeInSeconds', async () => {
    const h = await start({
      rules: [
        rule('paid', { 'detail-type': ['OrderPaid'] }, [
          {
            id: 't',
            arn: fnArn('down'),
            retryPolicy: { maximumEventAgeInSeconds: 60 },
            deadLetterArn: queueArn('dlq'),
          },
        ]),
      ],
      behaviour: () => {
        throw new DeliveryError('timed out', 'TIMEOUT');
      },
    });
    await h.bus.putEvents([order('OrderPaid')]);
    await h.clock.advance(3600);
    // attempts at 0, 1, 3, 7, 15, 31 s; the next would be at 63 s
    expect(h.calls.map((c) => (c.at - T0) / 1000)).toEqual([0, 1, 3, 7, 15, 31]);
    expect(h.dead[0]!.attributes).toMatchObject({
      ERROR_CODE: 'TIMEOUT',
      EXHAUSTED_RETRY_CONDITION: 'MaximumEventAgeInSeconds',
      RETRY_ATTEMPTS: '5',
    });
    await h.bus.close();
  });

  it('does not retry a transformed input that is not JSON, nor non-retryable failures', async () => {
    // recorded AWS dead-letter messages: INVALID_JSON "Invalid input for target." and NO_PERMISSIONS carry only
    // RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE, and their body is the payload the target was to get
    const h = await start({
      rules: [
        rule('paid', { 'detail-type': ['OrderPaid'] }, [
          {
            id: 'text',
            arn: fnArn('p'),
            // accepted ("[null]" is JSON) but renders [o-7], which is not
            inputTransformer: { inputPathsMap: { id: '$.detail.id' }, inputTemplate: '[<id>]' },
            deadLetterArn: queueArn('dlq'),
          },
          {
            id: 'gone',
            arn: fnArn('gone'),
            inputTransformer: { inputPathsMap: { id: '$.detail.id' }, inputTemplate: '{"order": <id>}' },
            deadLetterArn: queueArn('dlq'),
          },
        ]),
      ],
      behaviour: (c) => {
        if (c.arn === fnArn('gone')) throw new DeliveryError('Function not found', 'NO_RESOURCE', false);
      },
    });
    await h.bus.putEvents([order('OrderPaid', { id: 'o-7' })]);
    await h.clock.advance(0);
    expect(h.calls.map((c) => c.arn)).toEqual([fnArn('gone')]);
    const byTarget = Object.fromEntries(h.dead.map((d) => [d.attributes.TARGET_ARN, d]));
    expect(byTarget[fnArn('p')]!.attributes).toEqual({
      RULE_ARN: ruleArn('paid'),
      TARGET_ARN: fnArn('p'),
      ERROR_CODE: 'INVALID_JSON',
      ERROR_MESSAGE: 'Invalid input for target.',
    });
    expect(byTarget[fnArn('p')]!.body).toBe('[o-7]');
    expect(byTarget[fnArn('gone')]!.attributes).toEqual({
      RULE_ARN: ruleArn('paid'),
      TARGET_ARN: fnArn('gone'),
      ERROR_CODE: 'NO_RESOURCE',
      ERROR_MESSAGE: 'Function not found',
    });
    expect(byTarget[fnArn('gone')]!.body).toBe('{"order": "o-7"}');
    await h.bus.close();
  });

  it('sends nothing when the target input is empty (no call, no dead letter)', async () => {
    const h = await start({
      rules: [
        rule('paid', { 'detail-type': ['OrderPaid'] }, [
          { id: 'empty', arn: fnArn('e'), input: '', deadLetterArn: queueArn('dlq') },
          {
            id: 'missing',
            arn: fnArn('m'),
            inputTransformer: { inputPathsMap: { x: '$.detail.missing' }, inputTemplate: '<x>' },
            deadLetterArn: queueArn('dlq'),
          },
        ]),
      ],
    });
    await h.bus.putEvents([order('OrderPaid')]);
    await h.clock.advance(0);
    expect(h.calls).toHaveLength(0);
    expect(h.dead).toHaveLength(0);
    expect(h.bus.stats().dropped).toBe(2);
    await h.bus.close();
  });

  it('drops and logs a failed event when the target has no DLQ', async () => {
    const h = await start({
      rules: [
        rule('paid', { 'detail-type': ['OrderPaid'] }, [
          { id: 't', arn: fnArn('x'), retryPolicy: { maximumRetryAttempts: 0 } },
        ]),
      ],
      behaviour: () => {
        throw new Error('nope');
      },
    });
    await h.bus.putEvents([order('OrderPaid')]);
    await h.clock.advance(0);
    expect(h.bus.stats()).toMatchObject({ dropped: 1, deadLettered: 0, pendingDeliveries: 0 });
    expect(h.logs.at(-1)).toBe(
      'event storeflow.ingestion OrderPaid → rule paid → target t dropped after 1 attempt(s): ERROR_FROM_TARGET: nope',
    );
    await h.bus.close();
  });
});

describe('durability', () => {
  const rules = [
    rule('paid', { 'detail-type': ['OrderPaid'] }, [
      {
        id: 't',
        arn: fnArn('f'),
        retryPolicy: { maximumEventAgeInSeconds: 600 },
        deadLetterArn: queueArn('dlq'),
      },
    ]),
  ];

  it('a delivery in flight at a crash is delivered by the next instance, and only once', async () => {
    const dir = tmp();
    // first instance: deliver never settles; the process "dies" (the instance is simply abandoned)
    const a = await start({ dir, rules, behaviour: () => new Promise<void>(() => {}) });
    const put = await a.bus.putEvents([order('OrderPaid', { n: 1 }), order('Other')]);
    await new Promise((r) => setImmediate(r));
    expect(a.calls).toHaveLength(1);

    const b = await start({ dir, rules, clock: new VirtualClock(T0 + 5_000) });
    await b.clock.advance(0);
    expect(b.calls).toHaveLength(1);
    expect(payloadOf(b.calls[0]).id).toBe((put.Entries[0] as { EventId: string }).EventId);
    expect(b.calls[0]!.info.attempt).toBe(1);
    expect(b.logs).toContain('resuming 1 pending delivery');
    await b.bus.close();

    const c = await start({ dir, rules, clock: new VirtualClock(T0 + 10_000) });
    await c.clock.advance(3600);
    expect(c.calls).toHaveLength(0);
    expect(c.bus.stats().pendingDeliveries).toBe(0);
    await c.bus.close();
    await a.bus.close(); // release the abandoned instance's file handles
  });

  it('a delivered event is not delivered again even without close()', async () => {
    const dir = tmp();
    const a = await start({ dir, rules });
    await a.bus.putEvents([order('OrderPaid')]);
    await a.clock.advance(0);
    expect(a.calls).toHaveLength(1);
    // abandoned: advance() already waited for the "delivered" record to be committed
    const b = await start({ dir, rules, clock: new VirtualClock(T0 + 1000) });
    await b.clock.advance(60);
    expect(b.calls).toHaveLength(0);
    await b.bus.close();
    await a.bus.close();
  });

  it('keeps the attempt count and the event age across a restart', async () => {
    const dir = tmp();
    const a = await start({
      dir,
      rules,
      behaviour: () => {
        throw new Error('down');
      },
    });
    await a.bus.putEvents([order('OrderPaid'), order('OrderPaid')]);
    await a.clock.settle();
    expect(a.calls.map((c) => c.info.attempt)).toEqual([1, 1]);

    // back 2 s later: both retries are due, and are attempt 2
    const b = await start({ dir, rules, clock: new VirtualClock(T0 + 2_000) });
    await b.clock.advance(0);
    expect(b.calls.map((c) => c.info.attempt)).toEqual([2, 2]);
    await b.bus.close();

    const dir2 = tmp();
    const c = await start({
      dir: dir2,
      rules,
      behaviour: () => {
        throw new Error('down');
      },
    });
    await c.bus.putEvents([order('OrderPaid')]);
    await c.clock.settle();
    // back 20 minutes later: older than MaximumEventAgeInSeconds (600), so dead-lettered without another attempt
    const d = await start({ dir: dir2, rules, clock: new VirtualClock(T0 + 20 * 60_000) });
    await d.clock.advance(0);
    expect(d.calls).toHaveLength(0);
    expect(d.dead[0]!.attributes).toMatchObject({
      EXHAUSTED_RETRY_CONDITION: 'MaximumEventAgeInSeconds',
      ERROR_MESSAGE: 'down',
      RETRY_ATTEMPTS: '0',
    });
    await d.bus.close();
    await a.bus.close();
    await c.bus.close();
  });

  it('compacts the journal and still recovers what is pending', async () => {
    const dir = tmp();
    let hold = false;
    const a = await start({
      dir,
      rules,
      extra: { compactEvery: 20 },
      behaviour: () => (hold ? new Promise<void>(() => {}) : undefined),
    });
    for (let i = 0; i < 30; i++) {
      await a.bus.putEvents([order('OrderPaid', { i })]);
      await a.clock.advance(0);
    }
    expect(a.calls).toHaveLength(30);
    hold = true;
    await a.bus.putEvents([order('OrderPaid', { i: 'last' })]);
    await new Promise((r) => setImmediate(r));
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(40); // 30 events would be 90+ records uncompacted

    const b = await start({ dir, rules, clock: new VirtualClock(T0 + 1000) });
    await b.clock.advance(0);
    expect(b.calls.map((c) => (payloadOf(c).detail as { i: unknown }).i)).toEqual(['last']);
    await b.bus.close();
    await a.bus.close();
  });
});

describe('archive and replay', () => {
  const archive: ArchiveSpec = {
    name: 'orders',
    arn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/orders`,
    busArn: busArn('shop'),
    eventPattern: { 'detail-type': [{ prefix: 'Order' }] },
  };
  const rules = [
    rule('paid', { 'detail-type': ['OrderPaid'] }, [{ id: 't', arn: fnArn('billing') }]),
    rule('any', { source: ['storeflow.ingestion'] }, [{ id: 'u', arn: fnArn('audit') }]),
  ];
  const at = (iso: string) => ({ Time: iso });

  it('archives matching events and replays a time window to the bus rules, with replay-name', async () => {
    const dir = tmp();
    const h = await start({ dir, rules, archives: [archive] });
    await h.bus.putEvents([
      order('OrderPaid', { n: 1 }, at('2024-12-31T10:00:00Z')),
      order('OrderPaid', { n: 2 }, at('2024-12-31T11:00:00Z')),
      order('OrderShipped', { n: 3 }, at('2024-12-31T12:00:00Z')),
      order('Refund', { n: 4 }, at('2024-12-31T11:30:00Z')), // not archived: pattern
    ]);
    await h.clock.advance(0);
    expect(h.calls).toHaveLength(6); // paid ×2, any ×4
    const described = await h.bus.handle('AWSEvents.DescribeArchive', { ArchiveName: 'orders' });
    expect(described.body).toMatchObject({ ArchiveName: 'orders', EventCount: 3, State: 'ENABLED' });

    h.calls.length = 0;
    const started = await h.bus.handle('AWSEvents.StartReplay', {
      ReplayName: 'fix-1',
      EventSourceArn: archive.arn,
      EventStartTime: Date.parse('2024-12-31T10:30:00Z') / 1000,
      EventEndTime: Date.parse('2024-12-31T12:00:00Z') / 1000, // end is exclusive
      Destination: { Arn: busArn('shop') },
    });
    expect(started).toMatchObject({
      status: 200,
      body: { State: 'STARTING', ReplayArn: expect.stringContaining('replay/fix-1') },
    });
    await h.clock.advance(0);
    const replayed = h.calls.map((c) => [
      c.info.targetId,
      (payloadOf(c).detail as { n: number }).n,
      payloadOf(c)['replay-name'],
    ]);
    expect(replayed.sort()).toEqual([
      ['t', 2, 'fix-1'],
      ['u', 2, 'fix-1'],
    ]);
    expect(h.calls[0]!.info.replayName).toBe('fix-1');

    const state = await h.bus.handle('DescribeReplay', { ReplayName: 'fix-1' });
    expect(state.body).toMatchObject({
      ReplayName: 'fix-1',
      State: 'COMPLETED',
      EventSourceArn: archive.arn,
      EventLastReplayedTime: Date.parse('2024-12-31T11:00:00Z') / 1000,
      Destination: { Arn: busArn('shop') },
    });
    // replayed events are not archived again
    expect((await h.bus.handle('DescribeArchive', { ArchiveName: 'orders' })).body).toMatchObject({
      EventCount: 3,
    });

    // FilterArns: only the listed rules
    h.calls.length = 0;
    await h.bus.startReplay({
      ReplayName: 'only-audit',
      EventSourceArn: archive.arn,
      EventStartTime: new Date('2024-12-31T00:00:00Z'),
      EventEndTime: new Date('2025-01-01T00:00:00Z'),
      Destination: { Arn: busArn('shop'), FilterArns: [ruleArn('any')] },
    });
    await h.clock.advance(0);
    expect(h.calls.map((c) => c.info.targetId)).toEqual(['u', 'u', 'u']);
    await h.bus.close();

    // the archive survives a restart
    const again = await start({ dir, rules, archives: [archive], clock: new VirtualClock(T0 + 1000) });
    expect((await again.bus.handle('DescribeArchive', { ArchiveName: 'orders' })).body).toMatchObject({
      EventCount: 3,
    });
    expect((await again.bus.handle('DescribeReplay', { ReplayName: 'fix-1' })).body).toMatchObject({
      State: 'COMPLETED',
    });
    await again.clock.advance(0);
    expect(again.calls).toHaveLength(0);
    await again.bus.close();
  });

  it('validates StartReplay', async () => {
    const h = await start({ rules, archives: [archive] });
    const base = {
      ReplayName: 'r',
      EventSourceArn: archive.arn,
      EventStartTime: 1,
      EventEndTime: 2,
      Destination: { Arn: busArn('shop') },
    };
    const type = async (body: Record<string, unknown>) =>
      ((await h.bus.handle('StartReplay', body)).body as { __type: string }).__type;
    expect(await type({ ...base, EventSourceArn: `${archive.arn}-nope` })).toBe('ResourceNotFoundException');
    expect(await type({ ...base, Destination: { Arn: busArn('default') } })).toBe('ValidationException');
    expect(await type({ ...base, EventStartTime: 3 })).toBe('ValidationException');
    expect(await type({ ...base, ReplayName: 'bad name' })).toBe('ValidationException');
    expect(await type({ ...base, Destination: { Arn: busArn('shop'), FilterArns: [ruleArn('nope')] } })).toBe(
      'ValidationException',
    );
    expect((await h.bus.handle('StartReplay', base)).status).toBe(200);
    expect(await type(base)).toBe('ResourceAlreadyExistsException');
    expect(
      ((await h.bus.handle('DescribeReplay', { ReplayName: 'zzz' })).body as { __type: string }).__type,
    ).toBe('ResourceNotFoundException');
    await h.bus.close();
  });

  it('purges events past the retention period', async () => {
    const h = await start({ rules, archives: [{ ...archive, retentionDays: 1 }] });
    await h.bus.putEvents([order('OrderPaid')]);
    await h.clock.advance(0);
    expect((await h.bus.handle('ListArchives', {})).body).toMatchObject({
      Archives: [{ EventCount: 1, RetentionDays: 1 }],
    });
    await h.clock.advance(2 * 86_400);
    expect((await h.bus.handle('ListArchives', {})).body).toMatchObject({ Archives: [{ EventCount: 0 }] });
    await h.bus.close();
  });

  it('keeps archived events on disk only: a new instance replays them from the file', async () => {
    const dir = tmp();
    const a = await start({ dir, rules, archives: [archive] });
    for (let n = 0; n < 50; n++)
      await a.bus.putEvents([order('OrderPaid', { n }, at('2024-12-31T10:00:00Z'))]);
    await a.clock.advance(0);
    expect(a.bus.stats().archivedEvents).toBe(50);
    await a.bus.close();
    const file = join(dir, 'archive.jsonl');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(50);
    // A torn last write (a crash mid-append) is dropped, not fatal.
    appendFileSync(file, '{"t":"a","ar":"torn');

    const b = await start({ dir, rules, archives: [archive], clock: new VirtualClock(T0 + 1000) });
    expect((await b.bus.handle('DescribeArchive', { ArchiveName: 'orders' })).body).toMatchObject({
      EventCount: 50,
    });
    await b.bus.startReplay({
      ReplayName: 'after-restart',
      EventSourceArn: archive.arn,
      EventStartTime: new Date('2024-12-31T00:00:00Z'),
      EventEndTime: new Date('2025-01-01T00:00:00Z'),
      Destination: { Arn: busArn('shop'), FilterArns: [ruleArn('paid')] },
    });
    await b.clock.advance(0);
    const replayed = b.calls.map((c) => (payloadOf(c).detail as { n: number }).n).sort((x, y) => x - y);
    expect(replayed).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect((await b.bus.handle('DescribeReplay', { ReplayName: 'after-restart' })).body).toMatchObject({
      State: 'COMPLETED',
    });
    await b.bus.close();
  });

  it('archives, after a crash, the accepted events whose archive commit had not happened', async () => {
    const dir = tmp();
    const paidOnly = [rules[0]!];
    const a = await start({ dir, rules: paidOnly, archives: [archive] });
    // the process dies before the archive journal's commit: it never writes
    type Internals = {
      archiveJournal: { commit: unknown; commitWithin: unknown };
      journal: { rewrite(live: Iterable<unknown>): Promise<void> };
      liveRecords(): Iterable<unknown>;
    };
    const internals = a.bus as unknown as Internals;
    let release = () => {};
    const never = new Promise<void>((r) => {
      release = r;
    });
    internals.archiveJournal.commit = () => Promise.resolve();
    internals.archiveJournal.commitWithin = () => never;
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) {
      // OrderPaid has a delivery (its event record holds the event); OrderShipped has none
      const put = await a.bus.putEvents([
        order(n % 2 ? 'OrderShipped' : 'OrderPaid', { n }, at('2024-12-31T10:00:00Z')),
      ]);
      ids.push((put.Entries[0] as { EventId: string }).EventId);
    }
    // the main journal compacted meanwhile: the archive's stand-in records are kept
    await internals.journal.rewrite(internals.liveRecords());
    expect(readFileSync(join(dir, 'archive.jsonl'), 'utf8')).toBe('');
    expect(a.bus.stats().archivedEvents).toBe(6);

    const b = await start({ dir, rules: paidOnly, archives: [archive], clock: new VirtualClock(T0 + 1000) });
    expect(b.logs).toContain('archived 6 accepted event(s) the last stop left unarchived');
    expect((await b.bus.handle('DescribeArchive', { ArchiveName: 'orders' })).body).toMatchObject({
      EventCount: 6,
    });
    const archived = readFileSync(join(dir, 'archive.jsonl'), 'utf8').trim().split('\n');
    expect(archived.map((l) => (JSON.parse(l) as { i: string }).i).sort()).toEqual([...ids].sort());
    await b.bus.close();
    // once archived, a further start archives nothing again
    const c = await start({ dir, rules: paidOnly, archives: [archive], clock: new VirtualClock(T0 + 2000) });
    expect(c.logs.filter((l) => l.startsWith('archived '))).toEqual([]);
    expect(c.bus.stats().archivedEvents).toBe(6);
    await c.bus.close();
    release();
    await a.bus.close();
  });

  it('replays events archived a moment ago (committed before the file is read)', async () => {
    const h = await start({ rules, archives: [archive] });
    const put = h.bus.putEvents([order('OrderPaid', { n: 1 }, at('2024-12-31T10:00:00Z'))]);
    await put;
    await h.bus.startReplay({
      ReplayName: 'at-once',
      EventSourceArn: archive.arn,
      EventStartTime: new Date('2024-12-31T00:00:00Z'),
      EventEndTime: new Date('2025-01-01T00:00:00Z'),
      Destination: { Arn: busArn('shop'), FilterArns: [ruleArn('paid')] },
    });
    await h.clock.advance(0);
    expect(h.calls.filter((c) => c.info.replayName === 'at-once')).toHaveLength(1);
    await h.bus.close();
  });

  it('purges expired events from the file itself, and replays only what retention keeps', async () => {
    const dir = tmp();
    const kept = { ...archive, retentionDays: 1 };
    const h = await start({ dir, rules, archives: [kept], extra: { compactEvery: 5 } });
    for (let n = 0; n < 4; n++) await h.bus.putEvents([order('OrderPaid', { n, old: true })]);
    await h.clock.advance(2 * 86_400); // the first four are past retention
    for (let n = 4; n < 10; n++) await h.bus.putEvents([order('OrderPaid', { n })]);
    await h.clock.advance(0);
    const lines = () => readFileSync(join(dir, 'archive.jsonl'), 'utf8').trim().split('\n');
    expect(lines()).toHaveLength(6); // rewritten without the expired four
    expect((await h.bus.handle('DescribeArchive', { ArchiveName: 'orders' })).body).toMatchObject({
      EventCount: 6,
    });
    h.calls.length = 0;
    await h.bus.startReplay({
      ReplayName: 'kept',
      EventSourceArn: kept.arn,
      EventStartTime: new Date(T0 - 86_400_000),
      EventEndTime: new Date(T0 + 10 * 86_400_000),
      Destination: { Arn: busArn('shop'), FilterArns: [ruleArn('paid')] },
    });
    await h.clock.advance(0);
    expect(h.calls.map((c) => (payloadOf(c).detail as { n: number }).n).sort((x, y) => x - y)).toEqual([
      4, 5, 6, 7, 8, 9,
    ]);
    await h.bus.close();
  });
});

describe('rule schedules', () => {
  const scheduled = (
    name: string,
    expr: string,
    targets: RuleSpec['targets'] = [{ id: 't', arn: fnArn(name) }],
  ): RuleSpec => ({
    name,
    arn: ruleArn(name, 'default'),
    busName: 'default',
    scheduleExpression: expr,
    state: 'ENABLED',
    targets,
  });

  it('rate(5 minutes) fires every 5 minutes from when the rule appeared, with the Scheduled Event', async () => {
    const h = await start({ rules: [scheduled('tick', 'rate(5 minutes)')] });
    await h.clock.advance(4 * 60);
    expect(h.calls).toHaveLength(0);
    await h.clock.advance(60);
    expect(h.calls).toHaveLength(1);
    const ev = payloadOf(h.calls[0]);
    expect(ev).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      region: REGION,
      time: '2025-01-01T00:05:00Z',
      resources: [ruleArn('tick', 'default')],
      detail: {},
    });
    await h.clock.advance(10 * 60);
    expect(h.calls.map((c) => payloadOf(c).time)).toEqual([
      '2025-01-01T00:05:00Z',
      '2025-01-01T00:10:00Z',
      '2025-01-01T00:15:00Z',
    ]);
    await h.bus.close();
  });

  it('cron(0 12 * * ? *) runs at noon UTC, through the target input settings', async () => {
    const h = await start({
      rules: [
        scheduled('noon', 'cron(0 12 * * ? *)', [
          {
            id: 't',
            arn: fnArn('report'),
            inputTransformer: {
              inputPathsMap: { t: '$.time' },
              inputTemplate: '{"runAt": <t>, "rule": <aws.events.rule-arn>}',
            },
          },
        ]),
      ],
    });
    await h.clock.advance(36 * 3600);
    expect(h.calls.map((c) => payloadOf(c))).toEqual([
      { runAt: '2025-01-01T12:00:00Z', rule: ruleArn('noon', 'default') },
      { runAt: '2025-01-02T12:00:00Z', rule: ruleArn('noon', 'default') },
    ]);
    expect(h.calls.map((c) => c.at - T0)).toEqual([12 * 3_600_000, 36 * 3_600_000]);
    await h.bus.close();
  });

  it('a disabled rule does not run', async () => {
    const h = await start({ rules: [{ ...scheduled('off', 'rate(1 minute)'), state: 'DISABLED' }] });
    await h.clock.advance(600);
    expect(h.calls).toHaveLength(0);
    await h.bus.close();
  });

  it('a restart neither repeats nor loses an occurrence', async () => {
    const dir = tmp();
    const rules = [scheduled('tick', 'rate(5 minutes)')];
    const a = await start({ dir, rules });
    await a.clock.advance(5 * 60);
    expect(a.calls).toHaveLength(1);
    await a.bus.close();

    // same moment: the 00:05 occurrence is done, nothing fires
    const b = await start({ dir, rules, clock: new VirtualClock(T0 + 5 * 60_000) });
    await b.clock.advance(60);
    expect(b.calls).toHaveLength(0);
    await b.clock.advance(4 * 60);
    expect(b.calls.map((c) => payloadOf(c).time)).toEqual(['2025-01-01T00:10:00Z']);
    // crash without close; back at 00:33: the 00:15..00:30 occurrences fire once, as 00:15
    const c = await start({ dir, rules, clock: new VirtualClock(T0 + 33 * 60_000) });
    await c.clock.advance(0);
    expect(c.calls.map((x) => payloadOf(x).time)).toEqual(['2025-01-01T00:15:00Z']);
    expect(c.logs.some((l) => l.includes('missed while stopped'))).toBe(true);
    await c.clock.advance(2 * 60);
    expect(c.calls.map((x) => payloadOf(x).time)).toEqual(['2025-01-01T00:15:00Z', '2025-01-01T00:35:00Z']);
    await c.bus.close();
    await b.bus.close();
  });

  it('a changed schedule expression starts afresh', async () => {
    const dir = tmp();
    const a = await start({ dir, rules: [scheduled('tick', 'rate(5 minutes)')] });
    await a.clock.advance(60);
    await a.bus.close();
    const b = await start({
      dir,
      rules: [scheduled('tick', 'rate(2 minutes)')],
      clock: new VirtualClock(T0 + 60_000),
    });
    await b.clock.advance(2 * 60);
    expect(b.calls.map((c) => c.at - T0)).toEqual([3 * 60_000]);
    await b.bus.close();
  });
});

describe('EventBridge Scheduler schedules', () => {
  const schedule = (
    name: string,
    expr: string,
    extra: Partial<SchedulerScheduleSpec> = {},
  ): SchedulerScheduleSpec => ({
    name,
    arn: scheduleArn(name),
    scheduleExpression: expr,
    state: 'ENABLED',
    target: {
      arn: fnArn(name),
      input: `{"job":"${name}","at":"<aws.scheduler.scheduled-time>","n":<aws.scheduler.attempt-number>}`,
    },
    ...extra,
  });

  it('cron in Asia/Shanghai, with context attributes in the input', async () => {
    const h = await start({
      schedules: [schedule('digest', 'cron(0 9 * * ? *)', { timezone: 'Asia/Shanghai' })],
    });
    await h.clock.advance(30 * 3600);
    expect(h.calls.map((c) => [c.at - T0, payloadOf(c)])).toEqual([
      [1 * 3_600_000, { job: 'digest', at: '2025-01-01T01:00:00Z', n: 1 }],
      [25 * 3_600_000, { job: 'digest', at: '2025-01-02T01:00:00Z', n: 1 }],
    ]);
    expect(h.calls[0]!.info).toMatchObject({
      schedule: 'digest',
      scheduleArn: scheduleArn('digest'),
      attempt: 1,
    });
    await h.bus.close();
  });

  it('cron in America/New_York across the spring-forward night', async () => {
    const clock = new VirtualClock(Date.parse('2025-03-08T00:00:00Z'));
    const h = await start({
      clock,
      schedules: [schedule('night', 'cron(30 2 * * ? *)', { timezone: 'America/New_York' })],
    });
    await clock.advance(3 * 86_400);
    expect(h.calls.map((c) => payloadOf(c).at)).toEqual(['2025-03-08T07:30:00Z', '2025-03-10T06:30:00Z']);
    await h.bus.close();
  });

  it('at() runs once; a rate without StartDate starts at once; EndDate stops it', async () => {
    const h = await start({
      schedules: [
        schedule('once', 'at(2025-01-01T00:10:00)', { actionAfterCompletion: 'DELETE' }),
        schedule('every', 'rate(1 hour)', { endDate: '2025-01-01T02:30:00Z' }),
      ],
    });
    await h.clock.advance(5 * 3600);
    const times = (name: string) =>
      h.calls.filter((c) => c.info.schedule === name).map((c) => (c.at - T0) / 60_000);
    expect(times('once')).toEqual([10]);
    expect(times('every')).toEqual([0, 60, 120]);
    expect(h.logs).toContain('schedule once completed and deleted (ActionAfterCompletion DELETE)');
    await h.bus.close();
  });

  it('an at() time already past when the schedule first appears does not run', async () => {
    const h = await start({ schedules: [schedule('late', 'at(2024-12-31T23:00:00)')] });
    await h.clock.advance(3600);
    expect(h.calls).toHaveLength(0);
    expect(h.logs.some((l) => l.includes('will not run'))).toBe(true);
    await h.bus.close();
  });

  it('an at() that came due while stopped runs once on start, and not again', async () => {
    const dir = tmp();
    const schedules = [schedule('once', 'at(2025-01-01T01:00:00)')];
    const a = await start({ dir, schedules });
    await a.clock.advance(60);
    await a.bus.close();
    const b = await start({ dir, schedules, clock: new VirtualClock(T0 + 5 * 3_600_000) });
    await b.clock.advance(0);
    expect(b.calls.map((c) => payloadOf(c).at)).toEqual(['2025-01-01T01:00:00Z']);
    await b.bus.close();
    const c = await start({ dir, schedules, clock: new VirtualClock(T0 + 6 * 3_600_000) });
    await c.clock.advance(3600);
    expect(c.calls).toHaveLength(0);
    await c.bus.close();
  });

  it('uses its retry policy and DLQ (with SCHEDULE_ARN)', async () => {
    const h = await start({
      schedules: [
        schedule('fragile', 'at(2025-01-01T00:01:00)', {
          target: {
            arn: fnArn('fragile'),
            input: '{"n":<aws.scheduler.attempt-number>}',
            retryPolicy: { maximumRetryAttempts: 1 },
            deadLetterArn: queueArn('sched-dlq'),
          },
        }),
      ],
      behaviour: () => {
        throw new Error('no');
      },
    });
    await h.clock.advance(600);
    expect(h.calls.map((c) => payloadOf(c))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(h.dead).toHaveLength(1);
    expect(JSON.parse(h.dead[0]!.body)).toEqual({ n: 2 });
    expect(h.dead[0]!.attributes).toEqual({
      SCHEDULE_ARN: scheduleArn('fragile'),
      TARGET_ARN: fnArn('fragile'),
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: 'no',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '1',
    });
    await h.bus.close();
  });

  it('a disabled schedule does not run; the summary lists schedules with their next run', async () => {
    const h = await start({
      rules: [rule('paid', { 'detail-type': ['OrderPaid'] }, [{ id: 't', arn: fnArn('b') }])],
      schedules: [
        schedule('off', 'rate(1 minute)', { state: 'DISABLED' }),
        schedule('digest', 'cron(0 9 * * ? *)', { timezone: 'Asia/Shanghai' }),
      ],
    });
    await h.clock.advance(600);
    expect(h.calls).toHaveLength(0);
    expect(h.bus.describe()).toEqual([
      'bus shop: 1 rule(s), 0 archive(s)',
      `  rule paid: pattern {"detail-type":["OrderPaid"]} → t (${fnArn('b')})`,
      `schedule default/off [DISABLED]: rate(1 minute) → ${fnArn('off')}`,
      `schedule default/digest: cron(0 9 * * ? *) Asia/Shanghai, next 2025-01-01T01:00:00Z → ${fnArn('digest')}`,
    ]);
    expect(h.bus.stats()).toMatchObject({ buses: 2, rules: 1, schedules: 2, pendingDeliveries: 0 });
    await h.bus.close();
  });
});

describe('the awsJson API', () => {
  it('serves PutEvents, ListRules, DescribeRule, ListTargetsByRule, TestEventPattern and errors', async () => {
    const h = await start({
      rules: [
        rule('paid', { 'detail-type': ['OrderPaid'] }, [
          {
            id: 't',
            arn: fnArn('b'),
            retryPolicy: { maximumRetryAttempts: 3 },
            deadLetterArn: queueArn('dlq'),
          },
        ]),
        rule('shipped', '{"detail-type":["OrderShipped"]}', []),
      ],
    });
    const put = await h.bus.handle('AWSEvents.PutEvents', { Entries: [order('OrderPaid'), { Source: 'x' }] });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      FailedEntryCount: 1,
      Entries: [{ EventId: expect.any(String) }, { ErrorCode: 'InvalidArgument' }],
    });
    await h.clock.advance(0);
    expect(h.calls).toHaveLength(1);

    expect((await h.bus.handle('ListRules', { EventBusName: 'shop', NamePrefix: 'p' })).body).toEqual({
      Rules: [
        {
          Name: 'paid',
          Arn: ruleArn('paid'),
          EventPattern: '{"detail-type":["OrderPaid"]}',
          State: 'ENABLED',
          EventBusName: 'shop',
        },
      ],
    });
    const paged = await h.bus.handle('ListRules', { EventBusName: busArn('shop'), Limit: 1 });
    expect(paged.body).toMatchObject({ Rules: [{ Name: 'paid' }], NextToken: '1' });
    expect((await h.bus.handle('ListRules', { EventBusName: 'shop', NextToken: '1' })).body).toMatchObject({
      Rules: [{ Name: 'shipped', EventPattern: '{"detail-type":["OrderShipped"]}' }],
    });
    expect((await h.bus.handle('DescribeRule', { Name: 'paid', EventBusName: 'shop' })).body).toMatchObject({
      Name: 'paid',
      CreatedBy: ACCOUNT,
    });
    expect(await h.bus.handle('DescribeRule', { Name: 'paid' })).toEqual({
      status: 400,
      body: { __type: 'ResourceNotFoundException', message: 'Rule paid does not exist on EventBus default.' },
    });
    expect((await h.bus.handle('ListTargetsByRule', { Rule: 'paid', EventBusName: 'shop' })).body).toEqual({
      Targets: [
        {
          Id: 't',
          Arn: fnArn('b'),
          RetryPolicy: { MaximumRetryAttempts: 3 },
          DeadLetterConfig: { Arn: queueArn('dlq') },
        },
      ],
    });
    expect((await h.bus.handle('ListEventBuses', {})).body).toEqual({
      EventBuses: [
        { Name: 'default', Arn: busArn('default') },
        { Name: 'shop', Arn: busArn('shop') },
      ],
    });

    const event = JSON.stringify({
      id: '1',
      account: ACCOUNT,
      source: 'storeflow.ingestion',
      time: '2025-01-01T00:00:00Z',
      region: REGION,
      resources: [],
      'detail-type': 'OrderPaid',
      detail: { total: 5 },
    });
    const test = (EventPattern: string, Event = event) =>
      h.bus.handle('TestEventPattern', { EventPattern, Event });
    expect((await test('{"detail":{"total":[{"numeric":["<",10]}]}}')).body).toEqual({ Result: true });
    expect((await test('{"source":["other"]}')).body).toEqual({ Result: false });
    expect((await test('{"source":"other"}')).body).toMatchObject({ __type: 'InvalidEventPatternException' });
    expect((await test('{"source":["x"]}', '{"source":"x"}')).body).toMatchObject({
      __type: 'ValidationException',
    });

    expect((await h.bus.handle('PutEvents', { Entries: [] })).body).toMatchObject({
      __type: 'ValidationException',
    });
    expect(await h.bus.handle('AWSEvents.PutPermission', {})).toMatchObject({
      status: 400,
      body: { __type: 'UnknownOperationException' },
    });
    await h.bus.close();
  });
});

describe('rules and buses made through the API', () => {
  it('survive a restart and a journal compaction, with their targets, schedules and pending deliveries', async () => {
    const dir = tmp();
    const a = await start({ dir, extra: { compactEvery: 5 } });
    const call = async (op: string, body: unknown) => {
      const r = await a.bus.handle(`AWSEvents.${op}`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as Record<string, unknown>;
    };
    await call('CreateEventBus', { Name: 'api-bus' });
    await call('PutRule', {
      Name: 'paid',
      EventBusName: 'api-bus',
      EventPattern: '{"detail-type":["OrderPaid"]}',
    });
    await call('PutTargets', {
      Rule: 'paid',
      EventBusName: 'api-bus',
      Targets: [{ Id: 'fn', Arn: fnArn('paid'), InputPath: '$.detail' }],
    });
    await call('PutRule', { Name: 'hourly', ScheduleExpression: 'rate(1 hour)' });
    await call('PutTargets', { Rule: 'hourly', Targets: [{ Id: 'fn', Arn: fnArn('hourly') }] });
    for (let i = 0; i < 10; i++) await call('DisableRule', { Name: 'paid', EventBusName: 'api-bus' });
    await call('EnableRule', { Name: 'paid', EventBusName: 'api-bus' });
    await a.bus.idle();
    await a.bus.close();
    // compacted: fewer rule records than the 14 PutRule/PutTargets/DisableRule/EnableRule calls appended
    const ruleRecords = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"t":"R"'));
    expect(ruleRecords.length).toBeGreaterThan(0);
    expect(ruleRecords.length).toBeLessThan(14);

    const b = await start({ dir, clock: a.clock });
    const rule = await b.bus.handle('AWSEvents.DescribeRule', { Name: 'paid', EventBusName: 'api-bus' });
    expect(rule.body).toMatchObject({
      Arn: ruleArn('paid', 'api-bus'),
      EventPattern: '{"detail-type":["OrderPaid"]}',
      State: 'ENABLED',
    });
    await b.bus.putEvents([order('OrderPaid', { id: 7 }, { EventBusName: 'api-bus' })]);
    await b.clock.advance(3600);
    expect(b.calls.map((c) => [c.arn, c.payload])).toEqual([
      [fnArn('paid'), '{"id":7}'],
      [fnArn('hourly'), expect.stringContaining('"detail-type":"Scheduled Event"')],
    ]);
    await b.bus.close();
  });
});
