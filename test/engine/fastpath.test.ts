/**
 * The engine's fast paths: history fields are serialised lazily (on GetExecutionHistory / journal /
 * snapshot), state values are shared instead of deep-cloned, synchronous states run in a plain loop,
 * and the run queue still yields to other executions and to the event loop.
 */
import { describe, expect, it } from 'vitest';
import type { TaskHandler } from '../../local/engine/index.ts';
import { createEngine, MemoryStore } from '../../local/engine/index.ts';

const lambda = 'arn:aws:lambda:us-east-1:123456789012:function:work';

const mixed = {
  StartAt: 'Prep',
  States: {
    Prep: {
      Type: 'Pass',
      Parameters: { 'order.$': '$.order', step: 1 },
      ResultPath: '$.prep',
      Assign: { 'orderId.$': '$.order.id' },
      Next: 'Route',
    },
    Route: {
      Type: 'Choice',
      Choices: [{ Variable: '$.order.total', NumericGreaterThan: 100, Next: 'Work' }],
      Default: 'Done',
    },
    Work: {
      Type: 'Task',
      Resource: lambda,
      Parameters: { 'id.$': '$orderId', nested: { 'total.$': '$.order.total' } },
      ResultSelector: { 'ok.$': '$.ok' },
      ResultPath: '$.work',
      Next: 'Fan',
    },
    Fan: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'A', States: { A: { Type: 'Pass', Result: 'a', ResultPath: '$.a', End: true } } },
        { StartAt: 'B', States: { B: { Type: 'Pass', Result: 'b', ResultPath: '$.b', End: true } } },
      ],
      ResultPath: '$.fan',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

const input = { order: { id: 'o-1', total: 120, lines: [{ sku: 'X', qty: 2 }] } };

describe('lazy history', () => {
  it('GetExecutionHistory returns complete AWS-shaped events with JSON text fields', async () => {
    // the handler mutates what it receives: neither the history nor the state values may change
    const handler: TaskHandler = async (_r, payload) => {
      const p = payload as { id: string; nested: { total: number } };
      const seen = { id: p.id, total: p.nested.total };
      p.nested.total = -1;
      return { ok: true, seen };
    };
    const store = new MemoryStore({ retain: true });
    const engine = await createEngine({ store, taskHandler: handler });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'mixed',
      definition: JSON.stringify(mixed),
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn, input: JSON.stringify(input) });
    await engine.waitForExecution(executionArn);
    const d = await engine.describeExecution({ executionArn });
    expect(d.status).toBe('SUCCEEDED');
    const out = JSON.parse(d.output!);
    expect(out.fan).toEqual([
      { ...input, prep: { order: input.order, step: 1 }, work: { ok: true }, a: 'a' },
      { ...input, prep: { order: input.order, step: 1 }, work: { ok: true }, b: 'b' },
    ]);

    const { events } = await engine.getExecutionHistory({ executionArn, maxResults: 1000 });
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    events.forEach((e, i) => {
      expect(e.id).toBe(i + 1);
      expect(e.timestamp).toBeInstanceOf(Date);
    });
    type Details = Record<string, unknown>;
    /** the details object `key` of the first event of `type` */
    const details = (type: string, key: string): Details =>
      (events.find((e) => e.type === type) as unknown as Record<string, Details>)[key]!;
    const entered = details('PassStateEntered', 'stateEnteredEventDetails');
    expect(entered.input).toBe(JSON.stringify(input));
    const exited = details('PassStateExited', 'stateExitedEventDetails');
    expect(exited.output).toBe(JSON.stringify({ ...input, prep: { order: input.order, step: 1 } }));
    expect(exited.assignedVariables).toEqual({ orderId: '"o-1"' });
    const scheduled = details('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails');
    expect(scheduled.input).toBe(JSON.stringify({ id: 'o-1', nested: { total: 120 } }));
    const succeeded = details('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails');
    expect(JSON.parse(succeeded.output as string)).toEqual({ ok: true, seen: { id: 'o-1', total: 120 } });
    // every text field of every event is a string holding valid JSON
    for (const e of events) {
      for (const [k, v] of Object.entries(e)) {
        if (!k.endsWith('EventDetails')) continue;
        for (const f of ['input', 'output', 'parameters'] as const) {
          const x = (v as unknown as Details)[f];
          if (x !== undefined) {
            expect(typeof x).toBe('string');
            expect(() => JSON.parse(x as string)).not.toThrow();
          }
        }
      }
    }

    // the journal carries the same text: an engine recovered from it reports an identical history
    const again = await createEngine({ store, taskHandler: handler });
    const replayed = await again.getExecutionHistory({ executionArn, maxResults: 1000 });
    expect(replayed.events).toEqual(events);
    const stripped = await engine.getExecutionHistory({ executionArn, includeExecutionData: false });
    expect((stripped.events[1] as unknown as Record<string, Details>).stateEnteredEventDetails).toEqual({
      name: 'Prep',
      inputDetails: { truncated: false },
    });
    await engine.close();
    await again.close();
  });
});

describe('synchronous inner loop', () => {
  const counter = (n: number) => ({
    StartAt: 'Init',
    States: {
      Init: { Type: 'Pass', Result: { n: 0 }, Next: 'Loop' },
      Loop: {
        Type: 'Choice',
        Choices: [{ Variable: '$.n', NumericLessThan: n, Next: 'Inc' }],
        Default: 'Done',
      },
      Inc: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'Loop' },
      Done: { Type: 'Succeed' },
    },
  });

  it('a long Pass/Choice chain interleaves with other executions and yields to the event loop', async () => {
    const engine = await createEngine({ store: new MemoryStore() });
    const N = 30_000;
    // Express: 120,000 events are over a Standard execution's 25,000-event history quota
    const long = await engine.createStateMachine({
      name: 'long',
      definition: JSON.stringify(counter(N)),
      type: 'EXPRESS',
    });
    const short = await engine.createStateMachine({
      name: 'short',
      definition: JSON.stringify(counter(3)),
    });
    const [a, b] = await Promise.all([
      engine.startExecution({ stateMachineArn: long.stateMachineArn }),
      engine.startExecution({ stateMachineArn: short.stateMachineArn }),
    ]);
    // the API answered while the long chain is still running
    expect((await engine.describeExecution({ executionArn: a.executionArn })).status).toBe('RUNNING');
    // the short execution, started second, finishes first
    await engine.waitForExecution(b.executionArn);
    expect((await engine.describeExecution({ executionArn: b.executionArn })).status).toBe('SUCCEEDED');
    expect((await engine.describeExecution({ executionArn: a.executionArn })).status).toBe('RUNNING');
    // macrotasks (I/O, timers) get their turn too
    await new Promise<void>((r) => setImmediate(r));
    expect((await engine.describeExecution({ executionArn: a.executionArn })).status).toBe('RUNNING');

    await engine.waitForExecution(a.executionArn);
    const d = await engine.describeExecution({ executionArn: a.executionArn });
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toEqual({ n: N });
    const h = await engine.getExecutionHistory({ executionArn: a.executionArn, maxResults: 1000 });
    const all = await engine.getExecutionHistory({
      executionArn: a.executionArn,
      maxResults: 1,
      reverseOrder: true,
    });
    // ExecutionStarted + Init(2) + N x (Choice 2 + Pass 2) + final Choice(2) + Succeed(2) + ExecutionSucceeded
    expect(all.events[0]!.id).toBe(1 + 2 + N * 4 + 2 + 2 + 1);
    expect(h.events[0]!.type).toBe('ExecutionStarted');
    await engine.close();
  });
});
