/**
 * Issue #15, second round: the engine's remaining differences from AWS Step Functions, each case
 * written from the AWS documentation (cited per test) and run through @aws-sdk/client-sfn against
 * the engine's HTTP API: payload quotas and States.DataLimitExceeded, previousEventId chains and the
 * 25,000-event history quota, fields a Map in INLINE mode refuses, ValidateStateMachineDefinition,
 * and Map Runs (DescribeMapRun, ListMapRuns, a Map Run's child executions).
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SdkHarness, SdkRun } from './sdk.ts';
import { sdkHarness, sent } from './sdk.ts';

const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const role = 'arn:aws:iam::123456789012:role/test';
const KiB256 = 256 * 1024;

let h: SdkHarness;
beforeAll(async () => {
  let flaky = 0;
  let seen200 = 0;
  h = await sdkHarness({
    lambdas: {
      echo: (p) => p,
      boom: () => {
        throw Object.assign(new Error('it broke'), { name: 'CustomError' });
      },
      // fails the first time it sees 200
      firstTimeNo200: (p) => {
        if (p === 200 && seen200++ === 0) throw Object.assign(new Error('not yet'), { name: 'NotYet' });
        return p;
      },
      flaky: (p) => {
        if (flaky++ === 0) throw Object.assign(new Error('first call fails'), { name: 'Flaky' });
        return p;
      },
    },
  });
});
afterAll(async () => {
  await h.close();
});

let n = 0;
const create = async (def: object, type: 'STANDARD' | 'EXPRESS' = 'STANDARD') =>
  (
    await h.client.send(
      new CreateStateMachineCommand({
        name: `quota-${++n}`,
        definition: JSON.stringify(def),
        roleArn: role,
        type,
      }),
    )
  ).stateMachineArn!;
const failure = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail');
};
const types = (r: SdkRun) => r.events.map((e) => e.type);
const chain = (r: SdkRun) => r.events.map((e) => [e.id, e.previousEventId, e.type]);
/** a JSON string document of exactly `bytes` bytes */
const jsonOfBytes = (bytes: number) => JSON.stringify('x'.repeat(bytes - 2));
/** an input of 150,000 bytes: two copies of it are over the 256 KiB payload quota */
const HALF = { s: 'x'.repeat(150_000) };
const TWICE = { 'a.$': '$.s', 'b.$': '$.s' };
const tooLarge = (name: string) =>
  `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`;

describe('payload quotas (developer guide, "Step Functions service quotas": 256 KiB per input or output)', () => {
  it('StartExecution takes an input of exactly 256 KiB and refuses one byte more (API reference: input, max 262144 bytes)', async () => {
    const sm = await create({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const ok = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: sm, input: jsonOfBytes(KiB256) }),
    );
    expect(ok.executionArn).toBeDefined();
    const e = await failure(
      h.client.send(new StartExecutionCommand({ stateMachineArn: sm, input: jsonOfBytes(KiB256 + 1) })),
    );
    expect(e.name).toBe('ValidationException');
    expect(e.message).toBe(
      "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144",
    );
    // counted in UTF-8 bytes: 100,000 three-byte characters are 300,000 bytes
    const wide = await failure(
      h.client.send(
        new StartExecutionCommand({ stateMachineArn: sm, input: JSON.stringify('€'.repeat(100_000)) }),
      ),
    );
    expect(wide.name).toBe('ValidationException');
    const list = await h.client.send(new ListExecutionsCommand({ stateMachineArn: sm }));
    expect(list.executions).toHaveLength(1);
  });

  it('StartSyncExecution refuses an input over 256 KiB', async () => {
    const sm = await create({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, 'EXPRESS');
    const e = await failure(
      h.client.send(new StartSyncExecutionCommand({ stateMachineArn: sm, input: jsonOfBytes(KiB256 + 1) })),
    );
    expect(e.name).toBe('ValidationException');
  });

  it('SendTaskSuccess refuses an output over 256 KiB; the task keeps waiting (API reference: output, max 262144 bytes)', async () => {
    const def = {
      StartAt: 'Wait',
      States: {
        Wait: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { QueueUrl: 'q', MessageBody: { 'token.$': '$$.Task.Token' } },
          End: true,
        },
      },
    };
    const sm = await create(def);
    const { executionArn } = await h.client.send(new StartExecutionCommand({ stateMachineArn: sm }));
    await h.clock.advance(0);
    const token = (sent.at(-1)!.params.MessageBody as { token: string }).token;
    const e = await failure(
      h.client.send(new SendTaskSuccessCommand({ taskToken: token, output: jsonOfBytes(KiB256 + 1) })),
    );
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain("Value at 'output'");
    expect((await h.client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await h.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
    const r = await h.settle(executionArn!);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ ok: true });
  });

  it("a state's output over 256 KiB fails it with States.DataLimitExceeded, which States.ALL does not catch nor retry", async () => {
    // Developer guide, "Error names": States.DataLimitExceeded is reported when "the output of a state
    // is larger than payload size quota" and is "a terminal error that can't be caught by the
    // States.ALL error type". Cause as recorded for a state: "The state/task '<state>' returned a result …".
    const r = await h.run(
      {
        StartAt: 'Grow',
        States: {
          Grow: {
            Type: 'Task',
            Resource: fn('echo'),
            ResultSelector: TWICE,
            Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      HALF,
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toBe(tooLarge('Grow'));
    expect(types(r)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'ExecutionFailed',
    ]);
  });

  it('a catcher (or retrier) that names States.DataLimitExceeded handles it', async () => {
    const r = await h.run(
      {
        StartAt: 'Grow',
        States: {
          Grow: {
            Type: 'Pass',
            Next: 'Shrink',
            Parameters: TWICE,
          },
          Shrink: { Type: 'Pass', End: true },
        },
      },
      HALF,
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toBe(tooLarge('Grow'));
    expect(types(r)).toEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed']);

    const caught = await h.run(
      {
        StartAt: 'Grow',
        States: {
          Grow: {
            Type: 'Task',
            Resource: fn('echo'),
            ResultSelector: TWICE,
            Catch: [{ ErrorEquals: ['States.DataLimitExceeded'], Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      HALF,
    );
    expect(caught.status).toBe('SUCCEEDED');
    expect(caught.output).toEqual({ Error: 'States.DataLimitExceeded', Cause: tooLarge('Grow') });
    expect(types(caught).slice(-5)).toEqual([
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it("a task's input over 256 KiB after Parameters is States.DataLimitExceeded before anything is scheduled", async () => {
    // Developer guide, "Error names": "The input to a state is larger than payload size quota after
    // Parameters processing" (the cause's wording is ours: AWS documents none).
    const r = await h.run(
      {
        StartAt: 'Call',
        States: { Call: { Type: 'Task', Resource: fn('echo'), Parameters: TWICE, End: true } },
      },
      HALF,
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toBe(
      "The state/task 'Call' has an input with a size exceeding the maximum number of bytes service limit.",
    );
    expect(types(r)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'ExecutionFailed']);
  });

  it("a Map's output over 256 KiB fails the Map (its iterations' outputs add up)", async () => {
    const r = await h.run(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.xs',
            ItemProcessor: {
              StartAt: 'Pad',
              States: {
                Pad: { Type: 'Pass', Parameters: { 'pad.$': '$$.Execution.Input.s' }, End: true },
              },
            },
            End: true,
          },
        },
      },
      { xs: [1, 2], ...HALF },
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toBe(tooLarge('Each'));
    // every iteration succeeded: the Map's own output is what is over the quota
    expect(types(r).filter((t) => t === 'MapIterationSucceeded')).toHaveLength(2);
    expect(types(r).at(-1)).toBe('ExecutionFailed');
  });
});

describe('history: previousEventId (API reference, HistoryEvent; chains as AWS records them)', () => {
  it('an inline Map iteration chains to its MapIterationStarted; the next iteration to the last state event', async () => {
    // Recorded against AWS (LocalStack's AWS-validated snapshot of this machine, MaxConcurrency 1):
    // the first state points at 0, MapIteration{Succeeded,Failed} do not move the chain, MapStateFailed
    // points at the failed iteration's last state event.
    const r = await h.run({
      StartAt: 'StartState',
      States: {
        StartState: { Type: 'Pass', Result: [1, 'Hello', 3], ResultPath: '$.arr', Next: 'MapState' },
        MapState: {
          Type: 'Map',
          ResultPath: null,
          InputPath: '$.arr',
          MaxConcurrency: 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Equals3',
            States: {
              Equals3: {
                Type: 'Choice',
                Choices: [{ Variable: '$', NumericEquals: 3, Next: 'Break' }],
                Default: 'Pass',
              },
              Break: { Type: 'Fail', Error: 'SomeFailure', Cause: 'three' },
              Pass: { Type: 'Pass', End: true },
            },
          },
          Next: 'Final',
        },
        Final: { Type: 'Pass', End: true },
      },
    });
    expect(r.status).toBe('FAILED');
    expect(chain(r)).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'PassStateEntered'],
      [3, 2, 'PassStateExited'],
      [4, 3, 'MapStateEntered'],
      [5, 4, 'MapStateStarted'],
      [6, 5, 'MapIterationStarted'],
      [7, 6, 'ChoiceStateEntered'],
      [8, 7, 'ChoiceStateExited'],
      [9, 8, 'PassStateEntered'],
      [10, 9, 'PassStateExited'],
      [11, 10, 'MapIterationSucceeded'],
      [12, 10, 'MapIterationStarted'],
      [13, 12, 'ChoiceStateEntered'],
      [14, 13, 'ChoiceStateExited'],
      [15, 14, 'PassStateEntered'],
      [16, 15, 'PassStateExited'],
      [17, 16, 'MapIterationSucceeded'],
      [18, 16, 'MapIterationStarted'],
      [19, 18, 'ChoiceStateEntered'],
      [20, 19, 'ChoiceStateExited'],
      [21, 20, 'FailStateEntered'],
      [22, 21, 'MapIterationFailed'],
      [23, 21, 'MapStateFailed'],
      [24, 23, 'ExecutionFailed'],
    ]);
  });

  it('each Parallel branch chains from ParallelStateStarted; the Parallel continues from the latest branch event', async () => {
    // Recorded against AWS (LocalStack's snapshot "parallel_state"): ParallelStateSucceeded and
    // ParallelStateExited both point at the latest event of the branches.
    const r = await h.run({
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'B1', States: { B1: { Type: 'Pass', End: true } } },
            {
              StartAt: 'B21',
              States: { B21: { Type: 'Pass', Next: 'B22' }, B22: { Type: 'Pass', End: true } },
            },
          ],
          End: true,
        },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    const byId = new Map(r.events.map((e) => [e.id, e]));
    const started = r.events.find((e) => e.type === 'ParallelStateStarted')!;
    const firsts = r.events.filter(
      (e) =>
        e.type === 'PassStateEntered' &&
        ['B1', 'B21'].includes((e.stateEnteredEventDetails as { name: string }).name),
    );
    expect(firsts.map((e) => e.previousEventId)).toEqual([started.id, started.id]);
    const b22 = r.events.find(
      (e) => e.type === 'PassStateEntered' && (e.stateEnteredEventDetails as { name: string }).name === 'B22',
    )!;
    expect(byId.get(b22.previousEventId as number)!.type).toBe('PassStateExited');
    const last = Math.max(...r.events.filter((e) => e.type === 'PassStateExited').map((e) => e.id as number));
    const succeeded = r.events.find((e) => e.type === 'ParallelStateSucceeded')!;
    const exited = r.events.find((e) => e.type === 'ParallelStateExited')!;
    expect([succeeded.previousEventId, exited.previousEventId]).toEqual([last, last]);
    expect(r.events.at(-1)!.previousEventId).toBe(exited.id);
  });

  it('a Task retried after a failure chains its new schedule to the failure', async () => {
    const r = await h.run({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: fn('flaky'),
          Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1 }],
          End: true,
        },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(chain(r)).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'TaskStateEntered'],
      [3, 2, 'LambdaFunctionScheduled'],
      [4, 3, 'LambdaFunctionStarted'],
      [5, 4, 'LambdaFunctionFailed'],
      [6, 5, 'LambdaFunctionScheduled'],
      [7, 6, 'LambdaFunctionStarted'],
      [8, 7, 'LambdaFunctionSucceeded'],
      [9, 8, 'TaskStateExited'],
      [10, 9, 'ExecutionSucceeded'],
    ]);
  });
});

describe('history: the 25,000-event quota (developer guide, "Avoid reaching the history quota")', () => {
  /** Init (2 events), then per round Choice + Pass (4 events), then Choice + Succeed (4) and the end: 4N + 8 */
  const counter = (rounds: number) => ({
    StartAt: 'Init',
    States: {
      Init: { Type: 'Pass', Result: { n: 0 }, Next: 'Loop' },
      Loop: {
        Type: 'Choice',
        Choices: [{ Variable: '$.n', NumericLessThan: rounds, Next: 'Inc' }],
        Default: 'Done',
      },
      Inc: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'Loop' },
      Done: { Type: 'Succeed' },
    },
  });

  it('event 25,000 may be ExecutionSucceeded: the execution succeeds', async () => {
    // "If the event number 25,000 is ExecutionSucceeded, the execution finishes successfully."
    const r = await h.run(counter(6248));
    expect(r.status).toBe('SUCCEEDED');
    const last = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn: r.arn, reverseOrder: true, maxResults: 1 }),
    );
    expect([last.events![0]!.id, last.events![0]!.type]).toEqual([25_000, 'ExecutionSucceeded']);
  });

  it('otherwise event 25,000 is ExecutionFailed: States.Runtime, "The execution reached the maximum number of history events (25000)."', async () => {
    // "If the event number 25,000 isn't ExecutionSucceeded, the ExecutionFailed event is logged";
    // error and cause as AWS reports them.
    const r = await h.run(counter(1_000_000));
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Runtime');
    expect(r.cause).toBe('The execution reached the maximum number of history events (25000).');
    const last = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn: r.arn, reverseOrder: true, maxResults: 2 }),
    );
    const [end, before] = last.events!;
    expect([end!.id, end!.previousEventId, end!.type]).toEqual([25_000, 24_999, 'ExecutionFailed']);
    expect(end!.executionFailedEventDetails).toEqual({
      error: 'States.Runtime',
      cause: 'The execution reached the maximum number of history events (25000).',
    });
    expect(before!.id).toBe(24_999);
    const exact = await h.run(counter(6249));
    expect(exact.status).toBe('FAILED');
  });
});

describe('validation (developer guide, "Map state": fields of Distributed mode only)', () => {
  const map = (extra: object, mode?: 'INLINE' | 'DISTRIBUTED') => ({
    StartAt: 'M',
    States: {
      M: {
        Type: 'Map',
        ItemProcessor: {
          ...(mode
            ? {
                ProcessorConfig: {
                  Mode: mode,
                  ...(mode === 'DISTRIBUTED' ? { ExecutionType: 'STANDARD' } : {}),
                },
              }
            : {}),
          StartAt: 'P',
          States: { P: { Type: 'Pass', End: true } },
        },
        End: true,
        ...extra,
      },
    },
  });

  it('CreateStateMachine refuses ToleratedFailure* on a Map in INLINE mode and takes them in DISTRIBUTED mode', async () => {
    for (const [extra, field] of [
      [{ ToleratedFailureCount: 1 }, 'ToleratedFailureCount'],
      [{ ToleratedFailurePercentage: 10 }, 'ToleratedFailurePercentage'],
      [{ ToleratedFailureCountPath: '$.n' }, 'ToleratedFailureCountPath'],
      [{ ToleratedFailurePercentagePath: '$.p' }, 'ToleratedFailurePercentagePath'],
      [{ Label: 'sweep' }, 'Label'],
    ] as const) {
      for (const mode of [undefined, 'INLINE'] as const) {
        const e = await failure(create(map(extra, mode)));
        expect(e.name, `${field} ${mode}`).toBe('InvalidDefinition');
        expect(e.message).toContain(`/States/M/${field}`);
      }
      await expect(create(map(extra, 'DISTRIBUTED'))).resolves.toMatch(/:stateMachine:quota-\d+$/);
    }
  });

  it('CreateStateMachine refuses a state name used twice, even in different branches (developer guide, "States")', async () => {
    // "A state is referred to by its name, which … must be unique within the scope of the entire state machine."
    const e = await failure(
      create({
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'Work', States: { Work: { Type: 'Pass', End: true } } },
              { StartAt: 'Work', States: { Work: { Type: 'Pass', End: true } } },
            ],
            End: true,
          },
        },
      }),
    );
    expect(e.name).toBe('InvalidDefinition');
    expect(e.message).toContain('DUPLICATE_STATE_NAME');
    expect(e.message).toContain('/States/P/Branches/1/States/Work');
    // a Map whose processor has a state named like the Map itself
    const inMap = await failure(create({ StartAt: 'P', States: { P: map({}).States.M } }));
    expect(inMap.message).toContain(
      'DUPLICATE_STATE_NAME: Duplicate State name: P at /States/P/ItemProcessor/States/P',
    );
  });

  it('ValidateStateMachineDefinition reports the same problems as diagnostics (API reference)', async () => {
    const bad = await h.client.send(
      new ValidateStateMachineDefinitionCommand({
        definition: JSON.stringify(map({ ToleratedFailureCount: 1 }, 'INLINE')),
      }),
    );
    expect(bad.result).toBe('FAIL');
    expect(bad.truncated).toBe(false);
    expect(bad.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'ERROR',
        code: 'SCHEMA_VALIDATION_FAILED',
        location: '/States/M/ToleratedFailureCount',
      }),
    ]);
    const good = await h.client.send(
      new ValidateStateMachineDefinitionCommand({
        definition: JSON.stringify(map({ ToleratedFailureCount: 1 }, 'DISTRIBUTED')),
      }),
    );
    expect(good.result).toBe('OK');
    expect(good.diagnostics).toEqual([]);
  });
});

describe('Map Runs (developer guide, "Examining Map Runs"; API reference DescribeMapRun, ListMapRuns, ListExecutions)', () => {
  /** A Distributed Map over `$.items`: each item waits 10 s; items over 100 fail. */
  const sweep = {
    StartAt: 'Sweep',
    States: {
      Sweep: {
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 2,
        ToleratedFailureCount: 1,
        Label: 'sweep',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Hold',
          States: {
            Hold: { Type: 'Wait', Seconds: 10, Next: 'Check' },
            Check: {
              Type: 'Choice',
              Choices: [{ Variable: '$', NumericGreaterThan: 100, Next: 'TooBig' }],
              Default: 'Done',
            },
            TooBig: { Type: 'Fail', Error: 'TooBig', Cause: 'over 100' },
            Done: { Type: 'Pass', End: true },
          },
        },
        End: true,
      },
    },
  };
  const describeRun = (mapRunArn: string) => h.client.send(new DescribeMapRunCommand({ mapRunArn }));

  it("shows a sweep's progress while it runs and its children as executions", async () => {
    const sm = await create(sweep);
    const { executionArn } = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: sm, input: JSON.stringify({ items: [1, 2, 3, 4, 5] }) }),
    );
    await h.clock.advance(0);
    const runs = await h.client.send(new ListMapRunsCommand({ executionArn }));
    expect(runs.mapRuns).toHaveLength(1);
    const run = runs.mapRuns![0]!;
    expect(run.executionArn).toBe(executionArn);
    expect(run.mapRunArn).toMatch(
      /^arn:aws:states:us-east-1:123456789012:mapRun:quota-\d+\/sweep:[0-9a-f-]{36}$/,
    );
    expect(run.stateMachineArn).toMatch(/:stateMachine:quota-\d+\/sweep$/);
    const mapRunArn = run.mapRunArn!;

    const d1 = await describeRun(mapRunArn);
    expect(d1.status).toBe('RUNNING');
    expect(d1.executionArn).toBe(executionArn);
    expect(d1.maxConcurrency).toBe(2);
    expect(d1.toleratedFailureCount).toBe(1);
    expect(d1.itemCounts).toMatchObject({
      pending: 3,
      running: 2,
      succeeded: 0,
      failed: 0,
      aborted: 0,
      total: 5,
    });
    expect(d1.executionCounts).toEqual(d1.itemCounts);
    const kids = await h.client.send(new ListExecutionsCommand({ mapRunArn }));
    expect(kids.executions).toHaveLength(2);
    for (const k of kids.executions!) {
      expect(k.status).toBe('RUNNING');
      expect(k.mapRunArn).toBe(mapRunArn);
      expect(k.executionArn).toMatch(/:execution:quota-\d+\/sweep:[0-9a-f-]{36}$/);
    }
    const child = await h.client.send(
      new DescribeExecutionCommand({ executionArn: kids.executions![0]!.executionArn }),
    );
    expect(child.status).toBe('RUNNING');
    expect(child.mapRunArn).toBe(mapRunArn);
    expect([1, 2]).toContain(JSON.parse(child.input!));

    await h.clock.advance(10);
    const d2 = await describeRun(mapRunArn);
    expect(d2.itemCounts).toMatchObject({ pending: 1, running: 2, succeeded: 2, total: 5 });

    const r = await h.settle(executionArn!);
    expect(r.status).toBe('SUCCEEDED');
    const d3 = await describeRun(mapRunArn);
    expect(d3.status).toBe('SUCCEEDED');
    expect(d3.stopDate).toBeInstanceOf(Date);
    expect(d3.itemCounts).toMatchObject({ pending: 0, running: 0, succeeded: 5, failed: 0, total: 5 });
    const all = await h.client.send(new ListExecutionsCommand({ mapRunArn, statusFilter: 'SUCCEEDED' }));
    expect(all.executions).toHaveLength(5);
    const outputs = await Promise.all(
      all.executions!.map((k) =>
        h.client.send(new DescribeExecutionCommand({ executionArn: k.executionArn })),
      ),
    );
    expect(outputs.map((o) => JSON.parse(o.output!)).sort()).toEqual([1, 2, 3, 4, 5]);
    const hist = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn: all.executions![0]!.executionArn }),
    );
    expect(hist.events!.map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionSucceeded']);
  });

  it('counts failed items; beyond the tolerated failures the Map Run fails and the rest never start', async () => {
    const sm = await create({ ...sweep, States: { Sweep: { ...sweep.States.Sweep, MaxConcurrency: 1 } } });
    const { executionArn } = await h.client.send(
      new StartExecutionCommand({
        stateMachineArn: sm,
        input: JSON.stringify({ items: [1, 200, 3, 400, 5] }),
      }),
    );
    const r = await h.settle(executionArn!);
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.ExceedToleratedFailureThreshold');
    const mapRunArn = (
      r.events.find((e) => e.type === 'MapRunStarted')!.mapRunStartedEventDetails as {
        mapRunArn: string;
      }
    ).mapRunArn;
    const d = await describeRun(mapRunArn);
    expect(d.status).toBe('FAILED');
    expect(d.itemCounts).toMatchObject({
      pending: 1,
      running: 0,
      succeeded: 2,
      failed: 2,
      aborted: 0,
      total: 5,
    });
    const failed = await h.client.send(new ListExecutionsCommand({ mapRunArn, statusFilter: 'FAILED' }));
    expect(failed.executions).toHaveLength(2);
    const one = await h.client.send(
      new DescribeExecutionCommand({ executionArn: failed.executions![0]!.executionArn }),
    );
    expect([one.status, one.error, one.cause]).toEqual(['FAILED', 'TooBig', 'over 100']);
  });

  it('a redriven execution redrives its Map Run: the failed items run again, then those never started', async () => {
    // Developer guide, "Redriving Map Runs": the unsuccessful child workflow executions are restarted;
    // API reference: DescribeMapRun's redriveCount, the MapRunRedriven history event.
    const sm = await create({
      StartAt: 'Sweep',
      States: {
        Sweep: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Call',
            States: { Call: { Type: 'Task', Resource: fn('firstTimeNo200'), End: true } },
          },
          End: true,
        },
      },
    });
    const { executionArn } = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: sm, input: JSON.stringify({ items: [1, 200, 3] }) }),
    );
    const failed = await h.settle(executionArn!);
    expect(failed.status).toBe('FAILED');
    const mapRunArn = (
      failed.events.find((e) => e.type === 'MapRunStarted')!.mapRunStartedEventDetails as {
        mapRunArn: string;
      }
    ).mapRunArn;
    expect((await describeRun(mapRunArn)).itemCounts).toMatchObject({ succeeded: 1, failed: 1, pending: 1 });
    await h.client.send(new RedriveExecutionCommand({ executionArn }));
    const r = await h.settle(executionArn!);
    expect([r.status, r.output]).toEqual(['SUCCEEDED', [1, 200, 3]]);
    expect(types(r).slice(-6)).toEqual([
      'ExecutionRedriven',
      'MapRunRedriven',
      'MapRunSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    const d = await describeRun(mapRunArn);
    expect([d.status, d.redriveCount]).toEqual(['SUCCEEDED', 1]);
    expect(d.redriveDate).toBeInstanceOf(Date);
    expect(d.itemCounts).toMatchObject({ succeeded: 3, failed: 0, pending: 0, total: 3 });
  });

  it('a workflow reads its own Map Runs through aws-sdk:sfn:listMapRuns and describeMapRun', async () => {
    const r = await h.run(
      {
        StartAt: 'Sweep',
        States: {
          Sweep: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'P',
              States: { P: { Type: 'Pass', End: true } },
            },
            ResultPath: null,
            Next: 'Runs',
          },
          Runs: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:sfn:listMapRuns',
            Parameters: { 'ExecutionArn.$': '$$.Execution.Id' },
            ResultSelector: { 'arn.$': '$.MapRuns[0].MapRunArn' },
            Next: 'Describe',
          },
          Describe: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:sfn:describeMapRun',
            Parameters: { 'MapRunArn.$': '$.arn' },
            ResultSelector: { 'status.$': '$.Status', 'counts.$': '$.ItemCounts' },
            End: true,
          },
        },
      },
      { items: [1, 2, 3] },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toMatchObject({ status: 'SUCCEEDED', counts: { Succeeded: 3, Total: 3 } });
  });

  it("answers AWS's errors: a malformed ARN, an unknown Map Run, both filters at once", async () => {
    expect((await failure(describeRun('not-an-arn'))).name).toBe('InvalidArn');
    const unknown =
      'arn:aws:states:us-east-1:123456789012:mapRun:nope/x:00000000-0000-0000-0000-000000000000';
    expect((await failure(describeRun(unknown))).name).toBe('ResourceNotFound');
    const sm = await create(sweep);
    const both = await failure(
      h.client.send(new ListExecutionsCommand({ stateMachineArn: sm, mapRunArn: unknown })),
    );
    expect(both.name).toBe('ValidationException');
  });
});

describe('variables (developer guide, "Passing data between states with variables")', () => {
  it('a state reads the variables as they were when it was entered: Assign and Output see the same values', async () => {
    // "Variables assigned by a state are available to the states that follow it."
    const jsonata = await h.run({
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { x: 1 }, Next: 'B' },
        B: { Type: 'Pass', Assign: { x: 2, y: '{% $x %}' }, Output: '{% $x %}', Next: 'C' },
        C: { Type: 'Pass', Output: '{% [$x, $y] %}', End: true },
      },
    });
    expect([jsonata.status, jsonata.output]).toEqual(['SUCCEEDED', [2, 1]]);
    const b = jsonata.events.find(
      (e) => e.type === 'PassStateExited' && (e.stateExitedEventDetails as { name: string }).name === 'B',
    )!;
    expect((b.stateExitedEventDetails as { output: string }).output).toBe('1');
    const jsonPath = await h.run({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { x: 1 }, Next: 'B' },
        B: { Type: 'Pass', Assign: { x: 2, 'y.$': '$x' }, Next: 'C' },
        C: { Type: 'Pass', Parameters: { 'x.$': '$x', 'y.$': '$y' }, End: true },
      },
    });
    expect(jsonPath.output).toEqual({ x: 2, y: 1 });
  });

  it("a Map iteration's assignments stay in its own scope; the outer variable keeps its value", async () => {
    const r = await h.run({
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { x: 'outer' }, Next: 'M' },
        M: {
          Type: 'Map',
          Items: [1, 2],
          ItemProcessor: {
            StartAt: 'I',
            States: {
              I: { Type: 'Pass', Assign: { x: 'inner' }, Next: 'J' },
              J: { Type: 'Pass', Output: '{% $x %}', End: true },
            },
          },
          Assign: { seen: '{% $states.result %}' },
          Next: 'B',
        },
        B: { Type: 'Pass', Output: '{% {"x": $x, "seen": $seen} %}', End: true },
      },
    });
    expect(r.output).toEqual({ x: 'outer', seen: ['inner', 'inner'] });
  });

  it("a Distributed Map's child workflow does not see the outer variables", async () => {
    const r = await h.run({
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { x: 'outer' }, Next: 'M' },
        M: {
          Type: 'Map',
          Items: [1],
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'I',
            States: { I: { Type: 'Pass', Output: '{% $x %}', End: true } },
          },
          End: true,
        },
      },
    });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.ExceedToleratedFailureThreshold');
    const mapRunArn = (
      r.events.find((e) => e.type === 'MapRunStarted')!.mapRunStartedEventDetails as { mapRunArn: string }
    ).mapRunArn;
    const kids = await h.client.send(new ListExecutionsCommand({ mapRunArn }));
    const child = await h.client.send(
      new DescribeExecutionCommand({ executionArn: kids.executions![0]!.executionArn }),
    );
    expect([child.status, child.error]).toEqual(['FAILED', 'States.QueryEvaluationError']);
  });

  it('a catcher assigns from the error output ($states.errorOutput) and its Output reads the state input', async () => {
    const r = await h.run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'F',
        States: {
          F: {
            Type: 'Task',
            Resource: fn('boom'),
            Catch: [
              {
                ErrorEquals: ['States.ALL'],
                Assign: { failedWith: '{% $states.errorOutput.Error %}' },
                Output: '{% $states.input %}',
                Next: 'B',
              },
            ],
            End: true,
          },
          B: { Type: 'Pass', Output: '{% {"in": $states.input, "error": $failedWith} %}', End: true },
        },
      },
      { n: 1 },
    );
    expect([r.status, r.output]).toEqual(['SUCCEEDED', { in: { n: 1 }, error: 'CustomError' }]);
  });
});
