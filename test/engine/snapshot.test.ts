/**
 * Snapshot compaction: the snapshot is a JSON-lines file written chunk by chunk from records the
 * engine captures synchronously (copies of everything mutable), read back line by line. Covers
 * survival of many executions (incl. one with hundreds of frames and thousands of events) across a
 * restart, the file layout, capture consistency while the engine keeps running, and the back-off
 * when compaction fails.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Engine, HistoryEvent, JournalRecord, TaskHandler } from '../../local/engine/index.ts';
import { createEngine, FileStore, MemoryStore, TaskFailure, VirtualClock } from '../../local/engine/index.ts';
import { parseSnapshot, snapshotChunks } from '../../local/engine/store.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sfn-snapshot-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const T0 = Date.parse('2025-07-01T00:00:00.000Z');

/** Work fails on its first attempt per execution (Retry after 5 s), then echoes its input. */
const flaky = (attempts: Map<string, number>): TaskHandler => {
  return async (_resource, input, ctx) => {
    const n = (attempts.get(ctx.executionArn) ?? 0) + 1;
    attempts.set(ctx.executionArn, n);
    if (n === 1) throw new TaskFailure('Busy', 'first attempt');
    return input;
  };
};

const def = {
  StartAt: 'Init',
  States: {
    Init: { Type: 'Pass', Assign: { 'n.$': '$.n' }, Next: 'Work' },
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.work',
      Retry: [{ ErrorEquals: ['Busy'], IntervalSeconds: 5, MaxAttempts: 2 }],
      Next: 'Hold',
    },
    Hold: { Type: 'Wait', SecondsPath: '$.wait', Next: 'Fan' },
    Fan: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 0,
      ItemSelector: { 'v.$': '$$.Map.Item.Value', 'nap.$': '$.nap' },
      ItemProcessor: {
        StartAt: 'Nap',
        States: {
          Nap: { Type: 'Wait', SecondsPath: '$.nap', Next: 'Twice' },
          Twice: {
            Type: 'Pass',
            Parameters: { 'v.$': 'States.MathAdd($.v, $.v)' },
            OutputPath: '$.v',
            End: true,
          },
        },
      },
      ResultPath: '$.doubled',
      Next: 'Check',
    },
    Check: {
      Type: 'Choice',
      Choices: [{ Variable: '$n', NumericGreaterThan: 35, Next: 'TooBig' }],
      Default: 'Done',
    },
    TooBig: { Type: 'Fail', Error: 'TooBig', Cause: 'n > 35' },
    Done: { Type: 'Succeed' },
  },
};

const BIG = 7;
const BIG_ITEMS = 300;
const inputOf = (n: number) => ({
  n,
  wait: n === BIG ? 0 : n % 3 === 0 ? 0 : 100,
  nap: n === BIG ? 1000 : 30,
  items: n === BIG ? Array.from({ length: BIG_ITEMS }, (_, i) => i) : [n, n + 1],
});

const allEvents = async (engine: Engine, executionArn: string) => {
  const out: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  do {
    const page = await engine.getExecutionHistory({ executionArn, maxResults: 1000, nextToken });
    out.push(...(page.events as unknown as Record<string, unknown>[]));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
};

const view = async (engine: Engine, arns: string[]) => {
  const out: Record<string, unknown> = {};
  for (const arn of arns) {
    const d = await engine.describeExecution({ executionArn: arn });
    out[arn] = {
      status: d.status,
      output: d.output,
      error: d.error,
      history: await allEvents(engine, arn),
      frames: d.status === 'RUNNING' ? engine.framesOf(arn) : [],
    };
  }
  return out;
};

const snapshotLines = (dir: string) =>
  readFileSync(join(dir, 'snapshot.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('snapshot compaction (FileStore)', () => {
  it('many executions survive compaction and a restart: status, history and open frames; then they finish', async () => {
    const dir = tmp();
    const attempts = new Map<string, number>();
    const clock = new VirtualClock(T0);
    const orig = JSON.stringify;
    let longest = 0;
    vi.spyOn(JSON, 'stringify').mockImplementation(((...args: Parameters<typeof JSON.stringify>) => {
      const s = orig(...args);
      if (typeof s === 'string' && s.length > longest) longest = s.length;
      return s;
    }) as typeof JSON.stringify);

    let engine = await createEngine({
      store: new FileStore(dir, { fsync: false }),
      clock,
      compactEvery: 25,
      taskHandler: flaky(attempts),
    });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'snap',
      definition: JSON.stringify(def),
    });
    const arns: string[] = [];
    for (let n = 0; n < 40; n++) {
      const r = await engine.startExecution({
        stateMachineArn,
        name: `x-${n}`,
        input: JSON.stringify(inputOf(n)),
      });
      arns.push(r.executionArn);
    }
    await clock.advance(50);
    // more commits after the state of interest, so the last snapshot holds it
    const { stateMachineArn: passArn } = await engine.createStateMachine({
      name: 'noop',
      definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
    });
    for (let i = 0; i < 40; i++) await engine.startExecution({ stateMachineArn: passArn, name: `p-${i}` });
    await engine.idle();
    // a final snapshot of the whole current state: the reopened engine reads it and an empty journal
    await engine.compact();
    const journals = readdirSync(dir).filter((f) => f.startsWith('journal-'));
    expect(journals).toHaveLength(1);
    expect(statSync(join(dir, journals[0]!)).size).toBe(0);
    const before = await view(engine, arns);
    expect(engine.stats()).toEqual({ RUNNING: 26, SUCCEEDED: 40 + 12, FAILED: 2 });
    expect(engine.framesOf(arns[BIG]!).length).toBe(BIG_ITEMS + 1);
    await engine.close();
    vi.mocked(JSON.stringify).mockRestore();

    // the snapshot exists, and no JSON.stringify call produced anything close to the whole state
    const size = statSync(join(dir, 'snapshot.jsonl')).size;
    expect(longest).toBeLessThan(size / 3);
    expect(readdirSync(dir).filter((f) => f.startsWith('journal-'))).toHaveLength(1);

    // restart: same state
    const clock2 = new VirtualClock(clock.now());
    engine = await createEngine({
      store: new FileStore(dir, { fsync: false }),
      clock: clock2,
      compactEvery: 25,
      taskHandler: flaky(attempts),
    });
    expect(await view(engine, arns)).toEqual(before);

    // and it carries on: waits and map iterations resume at their stored due times
    await clock2.advance(2000);
    for (let n = 0; n < 40; n++) {
      const d = await engine.describeExecution({ executionArn: arns[n]! });
      if (n > 35) expect([n, d.status, d.error]).toEqual([n, 'FAILED', 'TooBig']);
      else {
        expect([n, d.status]).toEqual([n, 'SUCCEEDED']);
        const items = inputOf(n).items;
        expect(JSON.parse(d.output!).doubled).toEqual(items.map((i) => 2 * i));
      }
    }
    // every Work task ran exactly twice (fail + retry): none re-run after the restart
    expect(arns.map((a) => attempts.get(a))).toEqual(arns.map(() => 2));
    await engine.close();
  });

  it('writes one line per record: a header, state machines, per execution its meta, frame and history batches, a trailer', async () => {
    const dir = tmp();
    const clock = new VirtualClock(T0);
    const engine = await createEngine({
      store: new FileStore(dir, { fsync: false }),
      clock,
      compactEvery: 10,
      taskHandler: flaky(new Map()),
    });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'lines',
      definition: JSON.stringify(def),
    });
    const arns: string[] = [];
    for (const n of [1, 2, 3, BIG]) {
      arns.push(
        (await engine.startExecution({ stateMachineArn, input: JSON.stringify(inputOf(n)) })).executionArn,
      );
    }
    await clock.advance(50);
    // a few more commits so that a compaction runs after the big Map has started
    for (let i = 0; i < 12; i++)
      await engine.startExecution({ stateMachineArn, input: JSON.stringify(inputOf(100 + i)) });
    await engine.idle();
    await engine.compact();
    const bigEvents = (await allEvents(engine, arns[3]!)).length;
    await engine.close();

    const lines = snapshotLines(dir);
    const header = lines[0]!;
    expect(header).toMatchObject({ t: 'snapshot', v: 2 });
    expect(header.gen).toBeGreaterThan(0);
    expect(lines.at(-1)).toEqual({ t: 'end', records: lines.length - 2 });
    const body = lines.slice(1, -1) as unknown as JournalRecord[];
    expect(body[0]).toMatchObject({ t: 'sm', sm: { name: 'lines' } });
    const metas = body.filter((r) => r.t === 'x' && r.m);
    expect(new Set(metas.map((r) => (r as { e: string }).e)).size).toBe(metas.length); // one meta line each
    expect(metas.map((r) => (r as { e: string }).e)).toEqual(expect.arrayContaining(arns));
    // the big execution: 301 frames and its long history are spread over several bounded lines
    const big = body.filter((r) => r.t === 'x' && r.e === arns[3]) as Extract<JournalRecord, { t: 'x' }>[];
    const frameLines = big.filter((r) => r.f);
    const historyLines = big.filter((r) => r.h);
    expect(frameLines.map((r) => r.f!.length)).toEqual([256, BIG_ITEMS + 1 - 256]);
    expect(historyLines.every((r) => r.h!.length <= 256)).toBe(true);
    const ids = historyLines.flatMap((r) => r.h!.map((e: HistoryEvent) => e.id));
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    expect(ids.length).toBeGreaterThan(256);
    expect(ids.length).toBe(bigEvents);
  });

  it('a store whose compaction keeps failing is retried every compactEvery records, not on every commit; logged once', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    let attempts = 0;
    class FailingStore extends MemoryStore {
      broken = true;
      override async compact(capture: () => Iterable<JournalRecord>): Promise<void> {
        attempts++;
        if (this.broken) throw new RangeError('Invalid string length');
        return super.compact(capture);
      }
    }
    const store = new FailingStore({ retain: true });
    const clock = new VirtualClock(T0);
    const tiny = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', End: true } } };
    const engine = await createEngine({ store, clock, compactEvery: 5 });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'broken',
      definition: JSON.stringify(tiny),
    });
    for (let i = 0; i < 30; i++) {
      await engine.startExecution({ stateMachineArn, name: `b-${i}` });
      await engine.idle();
    }
    const records = store.sinceCompact;
    expect(records).toBeGreaterThanOrEqual(60);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(Math.ceil(records / 5));
    expect(engine.compactFailures).toBe(attempts);
    expect(errors.mock.calls.filter((c) => String(c[0]).includes('compaction failed'))).toHaveLength(1);

    store.broken = false;
    for (let i = 30; i < 35; i++) {
      await engine.startExecution({ stateMachineArn, name: `b-${i}` });
      await engine.idle();
    }
    expect(engine.compactFailures).toBe(0);
    expect(store.snapshotChunks).toBeDefined();
    expect(store.sinceCompact).toBeLessThan(5);
    await engine.close();
  });

  it('a snapshot that cannot be written leaves a recoverable store; the retry succeeds and loses nothing', async () => {
    const dir = tmp();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const clock = new VirtualClock(T0);
    const tiny = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', End: true } } };
    let engine = await createEngine({ store: new FileStore(dir, { fsync: false }), clock, compactEvery: 5 });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'fails',
      definition: JSON.stringify(tiny),
    });
    // block the snapshot's temp file: writing it fails (EISDIR)
    mkdirSync(join(dir, 'snapshot.jsonl.tmp'));
    const arns: string[] = [];
    for (let i = 0; i < 30; i++) {
      arns.push((await engine.startExecution({ stateMachineArn, name: `f-${i}` })).executionArn);
      await engine.idle();
    }
    const failures = engine.compactFailures;
    expect(failures).toBeGreaterThanOrEqual(2);
    // ~30 executions × 2 records / 5 per attempt; without back-off it would retry on every commit
    expect(failures).toBeLessThanOrEqual(13);
    const logged = errors.mock.calls.filter((c) => String(c[0]).includes('compaction failed'));
    expect(logged).toHaveLength(1);
    expect(
      readdirSync(dir).filter((f) => f.startsWith('snapshot.jsonl') && f !== 'snapshot.jsonl.tmp'),
    ).toEqual([]);

    // unblock: the next attempt succeeds and removes every journal it covers
    rmSync(join(dir, 'snapshot.jsonl.tmp'), { recursive: true });
    for (let i = 30; i < 40; i++) {
      arns.push((await engine.startExecution({ stateMachineArn, name: `f-${i}` })).executionArn);
      await engine.idle();
    }
    expect(engine.compactFailures).toBe(0);
    expect(existsSync(join(dir, 'snapshot.jsonl'))).toBe(true);
    await engine.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('journal-'))).toHaveLength(1);

    engine = await createEngine({ store: new FileStore(dir), clock });
    for (const arn of arns) {
      expect((await engine.describeExecution({ executionArn: arn })).status).toBe('SUCCEEDED');
      expect((await allEvents(engine, arn)).map((e) => e.type)).toEqual([
        'ExecutionStarted',
        'PassStateEntered',
        'PassStateExited',
        'PassStateEntered',
        'PassStateExited',
        'ExecutionSucceeded',
      ]);
    }
    await engine.close();
  });
});

describe('snapshot format migration', () => {
  it('reads an old single-document snapshot.json and replaces it with snapshot.jsonl at the next compaction', async () => {
    const dir = tmp();
    const clock = new VirtualClock(T0);
    const attempts = new Map<string, number>();
    let engine = await createEngine({
      store: new FileStore(dir, { fsync: false }),
      clock,
      compactEvery: 20,
      taskHandler: flaky(attempts),
    });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'legacy',
      definition: JSON.stringify(def),
    });
    const arns: string[] = [];
    for (const n of [0, 1, 2, 3]) {
      arns.push(
        (await engine.startExecution({ stateMachineArn, input: JSON.stringify(inputOf(n)) })).executionArn,
      );
    }
    await clock.advance(20);
    for (let i = 0; i < 25; i++)
      await engine.startExecution({ stateMachineArn, input: JSON.stringify(inputOf(200 + i)) });
    await engine.idle();
    const before = await view(engine, arns);
    await engine.close();

    // rewrite the snapshot in the old format: {gen, stateMachines, executions: [{meta, frames, events}]}
    const lines = snapshotLines(dir);
    const legacy = {
      gen: lines[0]!.gen,
      stateMachines: [] as unknown[],
      executions: [] as { meta: { arn: string }; frames: unknown[]; events: unknown[] }[],
    };
    for (const r of lines.slice(1, -1) as unknown as JournalRecord[]) {
      if (r.t === 'sm') legacy.stateMachines.push(r.sm);
      else if (r.t === 'x' && r.m)
        legacy.executions.push({ meta: r.m, frames: r.f ?? [], events: r.h ?? [] });
      else if (r.t === 'x') {
        const x = legacy.executions.find((e) => e.meta.arn === r.e)!;
        x.frames.push(...(r.f ?? []));
        x.events.push(...(r.h ?? []));
      }
    }
    rmSync(join(dir, 'snapshot.jsonl'));
    writeFileSync(join(dir, 'snapshot.json'), JSON.stringify(legacy));

    engine = await createEngine({
      store: new FileStore(dir, { fsync: false }),
      clock: new VirtualClock(clock.now()),
      compactEvery: 20,
      taskHandler: flaky(attempts),
    });
    expect(await view(engine, arns)).toEqual(before);
    for (let i = 0; i < 25; i++)
      await engine.startExecution({ stateMachineArn, input: JSON.stringify(inputOf(300 + i)) });
    await engine.idle();
    await engine.close();
    expect(existsSync(join(dir, 'snapshot.json'))).toBe(false);
    expect(existsSync(join(dir, 'snapshot.jsonl'))).toBe(true);
  });
});

/** Captures on demand and hands the capture to the test instead of writing it. */
class HoldingStore extends MemoryStore {
  armed = false;
  now?: JournalRecord[];
  held?: Iterable<JournalRecord>;
  constructor() {
    super({ retain: true });
  }
  override async compact(capture: () => Iterable<JournalRecord>): Promise<void> {
    if (!this.armed) return;
    this.armed = false;
    this.now = [...capture()]; // consumed at the capture instant
    this.held = capture(); // consumed later, after the engine moved on
  }
}

describe('snapshot capture', () => {
  it('is a consistent copy: consuming it later, after executions advanced and finished, yields the captured state', async () => {
    const store = new HoldingStore();
    const clock = new VirtualClock(T0);
    const attempts = new Map<string, number>();
    const engine = await createEngine({ store, clock, compactEvery: 1, taskHandler: flaky(attempts) });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'hold',
      definition: JSON.stringify(def),
    });
    const arns: string[] = [];
    for (const n of [0, 1, 3, 36]) {
      arns.push(
        (await engine.startExecution({ stateMachineArn, input: JSON.stringify(inputOf(n)) })).executionArn,
      );
    }
    // n=0/3/36: in the Map (iterations napping); n=1: waiting in Hold; Work already retried once
    await clock.advance(20);
    const atCapture = await view(engine, arns);
    store.armed = true;
    await engine.startExecution({
      stateMachineArn,
      name: 'trigger',
      input: JSON.stringify({ ...inputOf(2), wait: 0 }),
    });
    expect(store.held).toBeDefined();
    // the engine moves on: Map results fill in, variables and metas change, executions close
    await clock.advance(2000);
    expect((await engine.describeExecution({ executionArn: arns[0]! })).status).toBe('SUCCEEDED');
    const later = [...store.held!];
    expect(JSON.parse(JSON.stringify(later))).toEqual(JSON.parse(JSON.stringify(store.now)));

    // and the late-consumed capture restores exactly the state at capture time
    const restored = new MemoryStore({ retain: true });
    restored.snapshotChunks = [...snapshotChunks(1, later)];
    const clock2 = new VirtualClock(T0 + 20_000);
    const engine2 = await createEngine({
      store: restored,
      clock: clock2,
      taskHandler: flaky(new Map(attempts)),
    });
    const again = await view(engine2, arns);
    expect(again).toEqual(atCapture);
    await clock2.advance(2000);
    const statuses = [];
    for (const arn of arns) statuses.push((await engine2.describeExecution({ executionArn: arn })).status);
    expect(statuses).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED']);
    await engine.close();
    await engine2.close();
  });
});

describe('snapshotChunks / parseSnapshot', () => {
  const records = (n: number): JournalRecord[] =>
    Array.from(
      { length: n },
      (_, i) => ({ t: 'smdel', arn: `arn:${i}:${'x'.repeat(i % 50)}` }) as JournalRecord,
    );

  it('serializes record by record, lazily, into chunks of whole lines; parses back', async () => {
    let pulled = 0;
    const source = function* () {
      for (const r of records(1000)) {
        pulled++;
        yield r;
      }
    };
    const orig = JSON.stringify;
    const lengths: number[] = [];
    vi.spyOn(JSON, 'stringify').mockImplementation(((...args: Parameters<typeof JSON.stringify>) => {
      const s = orig(...args);
      lengths.push(s?.length ?? 0);
      return s;
    }) as typeof JSON.stringify);
    const it = snapshotChunks(3, source(), 4096);
    const first = it.next();
    expect(first.done).toBe(false);
    expect(pulled).toBeGreaterThan(0);
    expect(pulled).toBeLessThan(100); // only what the first chunk needed
    const chunks = [first.value as string, ...it];
    vi.mocked(JSON.stringify).mockRestore();
    expect(pulled).toBe(1000);
    expect(chunks.every((c) => c.endsWith('\n'))).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.length >= 4096 && c.length < 4096 + 200)).toBe(true);
    const text = chunks.join('');
    expect(Math.max(...lengths)).toBeLessThan(200); // one record at a time, never the whole
    const lines = text.split('\n').slice(0, -1);
    expect(lines).toHaveLength(1002);
    const snap = await parseSnapshot(lines, 'test');
    expect(snap).toEqual({ gen: 3, records: records(1000) });
  });

  it('rejects a snapshot without its header or trailer, or with a wrong record count', async () => {
    const lines = [...snapshotChunks(1, records(3))].join('').split('\n').slice(0, -1);
    await expect(parseSnapshot(lines.slice(0, -1), 'x')).rejects.toThrow(/truncated/);
    await expect(parseSnapshot(lines.slice(1), 'x')).rejects.toThrow(/bad header/);
    await expect(parseSnapshot([...lines.slice(0, 2), ...lines.slice(3)], 'x')).rejects.toThrow(/2 records/);
    await expect(parseSnapshot([lines[0]!, '{"t":"x",'], 'x')).rejects.toThrow(/line 2 is not JSON/);
  });
});
