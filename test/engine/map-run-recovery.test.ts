/**
 * Map Runs survive a restart: the run's record is journaled with its execution when it starts and
 * ends, and a running run's progress is rebuilt from the Map's journaled frames.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createEngine, FileStore, VirtualClock } from '../../local/engine/index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const sweep = {
  StartAt: 'Sweep',
  States: {
    Sweep: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 2,
      Label: 'sweep',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Hold',
        States: { Hold: { Type: 'Wait', Seconds: 10, End: true } },
      },
      End: true,
    },
  },
};

it('a Map Run keeps its progress and its outcome across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sfn-maprun-'));
  dirs.push(dir);
  let clock = new VirtualClock(T0);
  let engine = await createEngine({ store: new FileStore(dir), clock });
  const sm = await engine.createStateMachine({ name: 'sweeper', definition: JSON.stringify(sweep) });
  const { executionArn } = await engine.startExecution({
    stateMachineArn: sm.stateMachineArn,
    input: JSON.stringify({ items: [1, 2, 3, 4, 5] }),
  });
  await clock.advance(10); // two items done, two running, one pending
  const [run] = (await engine.listMapRuns({ executionArn })).mapRuns;
  const mapRunArn = run!.mapRunArn;
  const before = await engine.describeMapRun({ mapRunArn });
  expect(before.itemCounts).toMatchObject({ succeeded: 2, running: 2, pending: 1, total: 5 });
  await engine.close();

  clock = new VirtualClock(T0 + 10_000);
  engine = await createEngine({ store: new FileStore(dir), clock });
  const after = await engine.describeMapRun({ mapRunArn });
  expect(after.status).toBe('RUNNING');
  expect(after.itemCounts).toEqual(before.itemCounts);
  expect(after.maxConcurrency).toBe(2);
  await clock.advance(20);
  expect((await engine.describeExecution({ executionArn })).status).toBe('SUCCEEDED');
  await engine.close();

  clock = new VirtualClock(T0 + 30_000);
  engine = await createEngine({ store: new FileStore(dir), clock });
  const done = await engine.describeMapRun({ mapRunArn });
  expect(done.status).toBe('SUCCEEDED');
  expect(done.stopDate?.getTime()).toBe(T0 + 30_000);
  expect(done.itemCounts).toMatchObject({ succeeded: 5, running: 0, pending: 0, total: 5 });
  const kids = await engine.listExecutions({ mapRunArn });
  expect(kids.executions.map((k) => k.status)).toEqual(Array(5).fill('SUCCEEDED'));
  await engine.close();
});

it('an inline Map started with MaxConcurrency runs each item once across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sfn-maprun-'));
  dirs.push(dir);
  const inline = {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 2,
        ItemProcessor: { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 10, End: true } } },
        End: true,
      },
    },
  };
  let clock = new VirtualClock(T0);
  let engine = await createEngine({ store: new FileStore(dir), clock });
  const sm = await engine.createStateMachine({ name: 'inline', definition: JSON.stringify(inline) });
  const { executionArn } = await engine.startExecution({
    stateMachineArn: sm.stateMachineArn,
    input: JSON.stringify({ items: [1, 2, 3, 4, 5] }),
  });
  await clock.advance(10);
  await engine.close();
  clock = new VirtualClock(T0 + 10_000);
  engine = await createEngine({ store: new FileStore(dir), clock });
  await clock.advance(30);
  const d = await engine.describeExecution({ executionArn });
  expect([d.status, JSON.parse(d.output!)]).toEqual(['SUCCEEDED', [1, 2, 3, 4, 5]]);
  const h = await engine.getExecutionHistory({ executionArn, maxResults: 1000 });
  const started = h.events
    .filter((e) => e.type === 'MapIterationStarted')
    .map((e) => (e.mapIterationStartedEventDetails as { index: number }).index);
  expect(started).toEqual([0, 1, 2, 3, 4]);
  await engine.close();
});
