import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../../local/engine/index.ts';
import {
  createEngine,
  createTaskRouter,
  FileStore,
  MemoryStore,
  TaskFailure,
  VirtualClock,
} from '../../local/engine/index.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sfn-recovery-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.parse('2025-06-01T00:00:00.000Z');
const def = {
  StartAt: 'Hold',
  States: {
    Hold: { Type: 'Wait', Seconds: 86_400, Next: 'Flaky' },
    Flaky: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:123456789012:function:flaky',
      Retry: [{ ErrorEquals: ['Busy'], IntervalSeconds: 600, MaxAttempts: 2 }],
      Next: 'Approve',
    },
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents.waitForTaskToken',
      Parameters: {
        Entries: [{ Detail: { 'token.$': '$$.Task.Token' }, DetailType: 'approval', Source: 'test' }],
      },
      ResultPath: '$.approval',
      End: true,
    },
  },
};

const boot = async (store: Store, clock: VirtualClock, log: { calls: number[]; tokens: string[] }) =>
  createEngine({
    store,
    clock,
    compactEvery: 7,
    taskHandler: createTaskRouter({
      invokeLambda: async () => {
        log.calls.push(clock.now());
        if (log.calls.length === 1) throw new TaskFailure('Busy', 'come back later');
        return { ok: true };
      },
      eventBridge: async (_action, params) => {
        const entries = params.Entries as { Detail: { token: string } }[];
        log.tokens.push(entries[0]!.Detail.token);
        return { FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] };
      },
    }),
  });

const scenario = async (mkStore: () => Store) => {
  const log = { calls: [] as number[], tokens: [] as string[] };
  // engine 1: start, then "crash" (abandon it) mid-wait
  let clock = new VirtualClock(T0);
  let engine = await boot(mkStore(), clock, log);
  const { stateMachineArn } = await engine.createStateMachine({
    name: 'recover',
    definition: JSON.stringify(def),
  });
  const { executionArn } = await engine.startExecution({ stateMachineArn, name: 'r1', input: '{"id":1}' });
  await clock.advance(3600);
  await engine.idle();
  await engine.close();

  // engine 2: same storage, time continues; the wait keeps its absolute due time (T0 + 1 day)
  clock = new VirtualClock(T0 + 3600_000);
  engine = await boot(mkStore(), clock, log);
  await clock.advance(86_400 - 3600 - 1);
  expect(log.calls).toHaveLength(0);
  await clock.advance(1);
  expect(log.calls).toEqual([T0 + 86_400_000]); // first attempt fails with Busy → back-off 600 s
  await clock.advance(300);
  await engine.close();

  // engine 3: the retry back-off is intact: the second attempt happens at the stored due time
  clock = new VirtualClock(T0 + 86_400_000 + 300_000);
  engine = await boot(mkStore(), clock, log);
  await clock.advance(299);
  expect(log.calls).toHaveLength(1);
  await clock.advance(1);
  expect(log.calls).toEqual([T0 + 86_400_000, T0 + 86_400_000 + 600_000]);
  expect(log.tokens).toHaveLength(1);
  await engine.close();

  // engine 4: the pending callback survives; its token still works
  clock = new VirtualClock(T0 + 2 * 86_400_000);
  engine = await boot(mkStore(), clock, log);
  await clock.advance(0);
  expect(log.tokens).toHaveLength(1); // the submitted callback is not sent again
  await engine.sendTaskSuccess({ taskToken: log.tokens[0]!, output: '{"by":"alice"}' });
  await engine.waitForExecution(executionArn);
  const d = await engine.describeExecution({ executionArn });
  expect(d.status).toBe('SUCCEEDED');
  expect(JSON.parse(d.output!)).toEqual({ ok: true, approval: { by: 'alice' } });
  const h = await engine.getExecutionHistory({ executionArn, maxResults: 1000 });
  expect(h.events.map((e) => e.id)).toEqual(h.events.map((_, i) => i + 1));
  await engine.close();
};

describe('recovery', () => {
  it('FileStore: waits, retry back-off and callbacks survive restarts (with compaction)', async () => {
    const dir = tmp();
    await scenario(() => new FileStore(dir));
    expect(existsSync(join(dir, 'snapshot.jsonl'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('journal-'))).toHaveLength(1);
  });

  it('MemoryStore with retain: the same scenario without a disk', async () => {
    const store = new MemoryStore({ retain: true });
    await scenario(() => store);
  });

  it('FileStore ignores a torn final record', async () => {
    const dir = tmp();
    const clock = new VirtualClock(T0);
    let engine = await createEngine({ store: new FileStore(dir), clock });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'torn',
      definition: JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 10, End: true } } }),
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn, name: 'x' });
    await engine.close();
    const journal = readdirSync(dir).find((f) => f.startsWith('journal-'))!;
    appendFileSync(
      join(dir, journal),
      '{"t":"x","e":"arn:aws:states:us-east-1:123456789012:execution:torn:x","h":[{"id":9',
    );
    engine = await createEngine({ store: new FileStore(dir), clock });
    await clock.advance(10);
    await engine.waitForExecution(executionArn);
    expect((await engine.describeExecution({ executionArn })).status).toBe('SUCCEEDED');
    await engine.close();
  });
});
