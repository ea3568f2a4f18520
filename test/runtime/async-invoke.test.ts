import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { realClock, VirtualClock } from '../../local/engine/clock.ts';
import {
  createAsyncInvoker,
  type InvokeConfig,
  QUEUE_BUSY_RUNNING,
} from '../../local/runtime/async-invoke.ts';
import { Journal } from '../../local/runtime/journal.ts';
import { type InvokeResult, JsonPayload } from '../../local/runtime/lambda.ts';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:f';
const DLQ = 'arn:aws:sqs:us-east-1:000000000000:dlq';

/** The invocation record Lambda sends to a destination (the fields these tests read). */
interface AsyncRecord {
  requestContext: { condition: string };
  [key: string]: unknown;
}
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(
  outcomes: boolean[],
  config: InvokeConfig = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600, onFailure: DLQ },
  dir?: string,
) {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'storeflow-async-'));
  if (!dir) dirs.push(d);
  const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
  const calls: number[] = [];
  const sent: Array<{ arn: string; record: AsyncRecord }> = [];
  const invoker = createAsyncInvoker({
    file: join(d, 'async.journal'),
    clock,
    configs: new Map([[ARN, config]]),
    invoke: async (): Promise<InvokeResult> => {
      calls.push(clock.now());
      const ok = outcomes.shift() ?? true;
      return ok
        ? { ok: true, result: { fine: true }, cold: false, ms: 1 }
        : { ok: false, error: { errorType: 'Boom', errorMessage: 'no' }, cold: false, ms: 1 };
    },
    destination: async (arn, record) => {
      sent.push({ arn, record: record as AsyncRecord });
    },
    resolveArn: (n) => n,
    log: () => {},
  });
  return { invoker, clock, calls, sent, dir: d };
}

describe('Lambda asynchronous invocation', () => {
  it('retries a failing function after 1 and 2 minutes, then sends the record to OnFailure', async () => {
    const { invoker: p, clock, calls, sent } = setup([false, false, false]);
    const invoker = await p;
    await invoker.invoke(ARN, { hello: 1 }, 'test');
    await clock.advance(0);
    await clock.advance(59);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    await clock.advance(120);
    expect(calls.map((t) => (t - calls[0]!) / 1000)).toEqual([0, 60, 180]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.arn).toBe(DLQ);
    expect(sent[0]!.record).toMatchObject({
      version: '1.0',
      requestContext: {
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
        functionArn: `${ARN}:$LATEST`,
      },
      requestPayload: { hello: 1 },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'Boom', errorMessage: 'no' },
    });
    expect(invoker.pending).toBe(0);
    await invoker.close();
  });

  it('stops at the maximum event age', async () => {
    const {
      invoker: p,
      clock,
      calls,
      sent,
    } = setup([false, false, false], {
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 100,
      onFailure: DLQ,
    });
    const invoker = await p;
    await invoker.invoke(ARN, {}, 'test');
    await clock.advance(600);
    expect(calls).toHaveLength(2);
    expect(sent[0]!.record.requestContext.condition).toBe('EventAgeExceeded');
    await invoker.close();
  });

  it('delivers once on success, with nothing sent when there is no OnSuccess destination', async () => {
    const { invoker: p, clock, calls, sent } = setup([true]);
    const invoker = await p;
    await invoker.invoke(ARN, {}, 'test');
    await clock.advance(600);
    expect(calls).toHaveLength(1);
    expect(sent).toEqual([]);
    await invoker.close();
  });

  it('keeps JSON text as text: journaled as JSON, handed on as text, parsed for a destination', async () => {
    const d = mkdtempSync(join(tmpdir(), 'storeflow-async-'));
    dirs.push(d);
    const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
    const given: unknown[] = [];
    const sent: unknown[] = [];
    const open = (ok: boolean) =>
      createAsyncInvoker({
        file: join(d, 'async.journal'),
        clock,
        configs: new Map([
          [
            ARN,
            {
              maximumRetryAttempts: 2,
              maximumEventAgeSeconds: 21_600,
              onSuccess: 'arn:aws:sqs:us-east-1:000000000000:ok',
            },
          ],
        ]),
        invoke: async (_arn, event): Promise<InvokeResult> => {
          given.push(event);
          return ok
            ? { ok: true, result: null, cold: false, ms: 1 }
            : { ok: false, error: { errorType: 'Boom', errorMessage: 'no' }, cold: false, ms: 1 };
        },
        destination: async (_arn, record) => {
          sent.push(record);
        },
        resolveArn: (n) => n,
        log: () => {},
      });
    const text = JSON.stringify({ detail: { lines: [{ sku: 'A', quantity: 1 }] } });
    const first = await open(false);
    await first.invoke(ARN, new JsonPayload(text), 'test');
    const journaled = readFileSync(join(d, 'async.journal'), 'utf8');
    // the text itself, not escaped into a string (a big event reaches several targets' records)
    expect(journaled).toContain(`"pj":${text}}`);
    const line = JSON.parse(journaled.split('\n')[0]!);
    expect(line).toMatchObject({ t: 'q', pj: JSON.parse(text) });
    expect(line).not.toHaveProperty('payload');
    await clock.advance(0); // attempt 1 fails, retry due in 60 s
    await first.close();
    // a restart finds it as it was
    const second = await open(true);
    await clock.advance(24 * 3600);
    expect(given).toHaveLength(2);
    for (const event of given) {
      expect(event).toBeInstanceOf(JsonPayload);
      expect((event as JsonPayload).text).toBe(text);
    }
    expect(sent).toEqual([expect.objectContaining({ requestPayload: JSON.parse(text) })]);
    await second.close();
  });

  it('journals JSON text with line breaks as a string, one record a line, and gives it back as it was', async () => {
    const d = mkdtempSync(join(tmpdir(), 'storeflow-async-'));
    dirs.push(d);
    const open = (clock: VirtualClock, invoke: (event: unknown) => Promise<InvokeResult>) =>
      createAsyncInvoker({
        file: join(d, 'async.journal'),
        clock,
        configs: new Map(),
        invoke: (_arn, event) => invoke(event),
        destination: async () => {},
        resolveArn: (n) => n,
        log: () => {},
      });
    // the first instance's attempts never end: the journal holds the two queued records only
    const first = await open(
      new VirtualClock(Date.parse('2026-01-01T00:00:00Z')),
      () => new Promise(() => {}),
    );
    const text = '{\n  "pretty": [1, 2],\r\n  "q": "a \\"b\\""\n}';
    await first.invoke(ARN, new JsonPayload(text), 'Invoke API');
    await first.invoke(ARN, new JsonPayload('{"compact":true}'), 'Invoke API');
    const lines = readFileSync(join(d, 'async.journal'), 'utf8').split('\n');
    expect(lines).toHaveLength(3); // two records and the final newline
    expect(JSON.parse(lines[0]!)).toMatchObject({ t: 'q', payload: text });
    expect(JSON.parse(lines[1]!)).toMatchObject({ t: 'q', pj: { compact: true } });
    // abandoned as a crash would leave it; a restart queues both again, the texts as they were
    const given: string[] = [];
    const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
    const reopened = await open(clock, async (event) => {
      given.push((event as JsonPayload).text);
      return { ok: true, result: null, cold: false, ms: 1 };
    });
    expect(reopened.pending).toBe(2);
    await clock.advance(0);
    await reopened.idle();
    expect(given.sort()).toEqual([text, '{"compact":true}'].sort());
    await reopened.close();
  });

  it('keeps a queued event across a restart (durable before invoke resolves)', async () => {
    const first = setup([false]);
    const invoker = await first.invoker;
    await invoker.invoke(ARN, { keep: true }, 'test');
    await first.clock.advance(0); // attempt 1 fails, retry due in 60 s
    // abandon the instance (as a crash would) and reopen on the same journal
    const second = setup([true], undefined, first.dir);
    const reopened = await second.invoker;
    expect(reopened.pending).toBe(1);
    await second.clock.advance(24 * 3600);
    expect(second.calls).toHaveLength(1);
    expect(reopened.pending).toBe(0);
    await reopened.close();
  });

  it('commits at once while few invocations run; shares a commit window once the queue is busy', async () => {
    const d = mkdtempSync(join(tmpdir(), 'storeflow-async-'));
    dirs.push(d);
    // real time: the attempts start on their own and wait at the gate (no settling to wait for)
    const clock = realClock();
    let open = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    let ran = 0;
    // resolves once `n` attempts have started
    const waiting: Array<{ n: number; ok: () => void }> = [];
    const started = (n: number) => new Promise<void>((ok) => (ran >= n ? ok() : waiting.push({ n, ok })));
    const invoker = await createAsyncInvoker({
      file: join(d, 'async.journal'),
      clock,
      configs: new Map(),
      invoke: async (): Promise<InvokeResult> => {
        ran++;
        for (const w of waiting) if (w.n <= ran) w.ok();
        await gate;
        return { ok: true, result: null, cold: false, ms: 1 };
      },
      destination: async () => {},
      resolveArn: (n) => n,
      log: () => {},
    });
    const windowed = vi.spyOn(Journal.prototype, 'commitWithin');
    const busy = started(QUEUE_BUSY_RUNNING);
    for (let i = 0; i < QUEUE_BUSY_RUNNING; i++) await invoker.invoke(ARN, { i }, 'test');
    expect(windowed).not.toHaveBeenCalled();
    await busy; // all of them started, and wait at the gate
    await Promise.all(Array.from({ length: 5 }, (_, i) => invoker.invoke(ARN, { late: i }, 'test')));
    expect(windowed).toHaveBeenCalledTimes(5);
    // durable when invoke resolved: a new instance on the journal finds all 21 still queued
    const again = setup([], undefined, d);
    const reopened = await again.invoker;
    expect(reopened.pending).toBe(QUEUE_BUSY_RUNNING + 5);
    await reopened.close();
    const all = started(QUEUE_BUSY_RUNNING + 5);
    open();
    await all;
    await invoker.close();
  });
});
