/**
 * Conformance cases from the Amazon States Language specification and the Step Functions developer
 * guide's worked examples, each run end to end through @aws-sdk/client-sfn against the engine's HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SdkHarness } from './sdk.ts';
import { sdkHarness } from './sdk.ts';

let h: SdkHarness;

const calls: Record<string, number> = {};
beforeAll(async () => {
  h = await sdkHarness({
    lambdas: {
      hello: (p) => `Hello, ${(p as { who: string }).who}!`,
      echo: (p) => p,
      add: (p) => {
        const { a, b } = p as { a: number; b: number };
        return { sum: a + b };
      },
      flaky: (p) => {
        const k = (p as { key: string }).key;
        calls[k] = (calls[k] ?? 0) + 1;
        if (calls[k]! <= (p as { failures: number }).failures) {
          const e = new Error('try again');
          e.name = 'Transient';
          throw e;
        }
        return { attempts: calls[k] };
      },
      boom: () => {
        const e = new Error('it broke');
        e.name = 'CustomError';
        throw e;
      },
    },
  });
});
afterAll(async () => {
  await h.close();
});

const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

interface Case {
  name: string;
  def: object;
  input?: unknown;
  output?: unknown;
  status?: string;
  error?: string;
  check?: (r: Awaited<ReturnType<SdkHarness['run']>>) => void;
}

const pass = (extra: object) => ({ StartAt: 'S', States: { S: { Type: 'Pass', End: true, ...extra } } });

const cases: Case[] = [
  // ---------------------------------------------------------------- input and output processing
  {
    name: 'paths: InputPath, ResultPath, OutputPath (developer guide example)',
    def: {
      StartAt: 'Hello',
      States: {
        Hello: {
          Type: 'Task',
          Resource: fn('hello'),
          InputPath: '$.lambda',
          ResultPath: '$.data.lambdaresult',
          OutputPath: '$.data',
          End: true,
        },
      },
    },
    input: {
      comment: 'An input comment.',
      data: { val1: 23, val2: 17 },
      extra: 'foo',
      lambda: { who: 'AWS Step Functions' },
    },
    output: { val1: 23, val2: 17, lambdaresult: 'Hello, AWS Step Functions!' },
  },
  {
    name: 'ResultPath adds the result to the input',
    def: pass({ Result: 'Hello, Step Functions!', ResultPath: '$.taskresult' }),
    input: { comment: 'This is a test', details: 'Default example', who: 'AWS Step Functions' },
    output: {
      comment: 'This is a test',
      details: 'Default example',
      who: 'AWS Step Functions',
      taskresult: 'Hello, Step Functions!',
    },
  },
  {
    name: 'ResultPath null discards the result',
    def: pass({ Result: 'ignored', ResultPath: null }),
    input: { keep: 1 },
    output: { keep: 1 },
  },
  {
    name: 'ResultPath replaces an existing field',
    def: pass({ Result: 'new', ResultPath: '$.a' }),
    input: { a: 'old', b: 1 },
    output: { a: 'new', b: 1 },
  },
  {
    name: 'InputPath null gives {} and OutputPath null gives {}',
    def: {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', InputPath: null, Next: 'B' },
        B: { Type: 'Pass', ResultPath: '$.x', Result: 1, OutputPath: null, End: true },
      },
    },
    input: { a: 1 },
    output: {},
  },
  {
    name: 'Parameters select from the input (developer guide example)',
    def: pass({
      Parameters: {
        comment: 'Selecting what I care about.',
        MyDetails: {
          'size.$': '$.product.details.size',
          'exists.$': '$.product.availability',
          StaticValue: 'foo',
        },
      },
    }),
    input: {
      comment: 'Example for Parameters.',
      product: {
        details: { color: 'blue', size: 'small', material: 'cotton' },
        availability: 'in stock',
        sku: '2317',
        cost: '$23',
      },
    },
    output: {
      comment: 'Selecting what I care about.',
      MyDetails: { size: 'small', exists: 'in stock', StaticValue: 'foo' },
    },
  },
  {
    name: 'ResultSelector reshapes the raw result before ResultPath',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'add', 'Payload.$': '$' },
          ResultSelector: { 'total.$': '$.Payload.sum', 'code.$': '$.StatusCode' },
          ResultPath: '$.result',
          End: true,
        },
      },
    },
    input: { a: 2, b: 40 },
    output: { a: 2, b: 40, result: { total: 42, code: 200 } },
  },
  {
    name: 'lambda:invoke returns the Payload/StatusCode envelope',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'echo', Payload: { x: 1 } },
          OutputPath: '$.Payload',
          End: true,
        },
      },
    },
    output: { x: 1 },
  },
  {
    name: 'JSONPath: array index, slices, wildcards, filters and length()',
    def: pass({
      Parameters: {
        'first.$': '$.items[0].id',
        'last.$': '$.items[-1:]',
        'ids.$': '$.items[*].id',
        'cheap.$': '$.items[?(@.price < 10)].id',
        'deep.$': '$..price',
        'count.$': '$.items.length()',
      },
    }),
    input: {
      items: [
        { id: 'a', price: 5 },
        { id: 'b', price: 50 },
        { id: 'c', price: 7 },
      ],
    },
    output: {
      first: 'a',
      last: [{ id: 'c', price: 7 }],
      ids: ['a', 'b', 'c'],
      cheap: ['a', 'c'],
      deep: [5, 50, 7],
      count: 3,
    },
  },
  {
    // Recorded against AWS (the specification's States.ParameterPathFailure is not what AWS raises):
    // States.Runtime, the cause naming the state, its StateEntered event, the path and the field.
    name: 'a missing Parameters path fails with States.Runtime naming the state, path and field',
    def: pass({ Parameters: { 'x.$': '$.nope' } }),
    input: { a: 1 },
    status: 'FAILED',
    error: 'States.Runtime',
    check: (r) =>
      expect(r.cause).toBe(
        `An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '{"a":1}'`,
      ),
  },
  {
    name: 'ResultPath through a non-object fails with States.ReferencePathConflict (AWS-recorded name)',
    def: { StartAt: 'A', States: { A: { Type: 'Pass', Result: 'x', ResultPath: '$.a.b', End: true } } },
    input: { a: 'string' },
    status: 'FAILED',
    error: 'States.ReferencePathConflict',
  },
  // ---------------------------------------------------------------- context object
  {
    name: 'context object: execution, state machine and state',
    def: pass({
      Parameters: {
        'name.$': '$$.Execution.Name',
        'input.$': '$$.Execution.Input',
        'state.$': '$$.State.Name',
        'sm.$': '$$.StateMachine.Name',
        'start.$': '$$.Execution.StartTime',
        'redrives.$': '$$.Execution.RedriveCount',
      },
    }),
    input: { k: 'v' },
    check: (r) => {
      const o = r.output as Record<string, unknown>;
      expect(o.name).toBe(r.arn.split(':').pop());
      expect(o.input).toEqual({ k: 'v' });
      expect(o.state).toBe('S');
      expect(o.sm).toMatch(/^conf-/);
      expect(o.start).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(o.redrives).toBe(0);
    },
  },
  {
    // Developer guide, "Context object": State.RetryCount is there for Task states; AWS's context
    // object of any other state has EnteredTime and Name only, so reading it there is a missing path.
    name: 'context object: $$.State.RetryCount exists on Task states only',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: fn('echo'),
          Parameters: { 'retry.$': '$$.State.RetryCount' },
          Next: 'P',
        },
        P: { Type: 'Pass', Parameters: { 'retry.$': '$$.State.RetryCount' }, End: true },
      },
    },
    status: 'FAILED',
    error: 'States.Runtime',
    check: (r) => {
      const exited = r.events.find((e) => e.type === 'TaskStateExited') as {
        stateExitedEventDetails: { output: string };
      };
      expect(JSON.parse(exited.stateExitedEventDetails.output)).toEqual({ retry: 0 });
      expect(r.cause).toContain("The JSONPath '$$.State.RetryCount' specified for the field 'retry.$'");
    },
  },
  // ---------------------------------------------------------------- Choice
  {
    name: 'Choice: And/Or/Not, numeric and string comparisons (specification example)',
    def: {
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [
            { Not: { Variable: '$.type', StringEquals: 'Private' }, Next: 'Public' },
            {
              And: [
                { Variable: '$.value', NumericGreaterThanEquals: 20 },
                { Variable: '$.value', NumericLessThan: 30 },
              ],
              Next: 'ValueInTwenties',
            },
            {
              Or: [
                { Variable: '$.value', NumericEquals: 1 },
                { Variable: '$.value', NumericEquals: 2 },
              ],
              Next: 'Small',
            },
          ],
          Default: 'DefaultState',
        },
        Public: { Type: 'Pass', Result: 'public', End: true },
        ValueInTwenties: { Type: 'Pass', Result: 'twenties', End: true },
        Small: { Type: 'Pass', Result: 'small', End: true },
        DefaultState: { Type: 'Fail', Error: 'DefaultStateError', Cause: 'No Matches!' },
      },
    },
    input: { type: 'Private', value: 22 },
    output: 'twenties',
  },
  {
    name: 'Choice: Default fail state',
    def: {
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [{ Variable: '$.value', NumericEquals: 1, Next: 'One' }],
          Default: 'DefaultState',
        },
        One: { Type: 'Succeed' },
        DefaultState: { Type: 'Fail', Error: 'DefaultStateError', Cause: 'No Matches!' },
      },
    },
    input: { value: 99 },
    status: 'FAILED',
    error: 'DefaultStateError',
    check: (r) => expect(r.cause).toBe('No Matches!'),
  },
  {
    // Recorded against AWS: not States.NoChoiceMatched but States.Runtime, "Failed to transition out of
    // the state. The state does not point to a next state."
    name: 'Choice: no match and no Default is States.Runtime (no next state)',
    def: {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.v', BooleanEquals: true, Next: 'E' }] },
        E: { Type: 'Succeed' },
      },
    },
    input: { v: false },
    status: 'FAILED',
    error: 'States.Runtime',
    check: (r) =>
      expect(r.cause).toBe(
        "An error occurred while executing the state 'C' (entered at the event id #2). Failed to transition out of the state. The state does not point to a next state.",
      ),
  },
  {
    name: 'Choice: IsPresent/IsNull/IsNumeric/IsString/IsBoolean/IsTimestamp and StringMatches',
    def: {
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [
            {
              And: [
                { Variable: '$.missing', IsPresent: false },
                { Variable: '$.n', IsNull: true },
                { Variable: '$.num', IsNumeric: true },
                { Variable: '$.str', IsString: true },
                { Variable: '$.b', IsBoolean: true },
                { Variable: '$.ts', IsTimestamp: true },
                { Variable: '$.file', StringMatches: 'log-*.txt' },
                { Variable: '$.ts', TimestampLessThan: '2030-01-01T00:00:00Z' },
                { Variable: '$.num', NumericGreaterThanPath: '$.small' },
                { Variable: '$.str', StringGreaterThanEquals: 'abc' },
              ],
              Next: 'Yes',
            },
          ],
          Default: 'No',
        },
        Yes: { Type: 'Pass', Result: 'yes', End: true },
        No: { Type: 'Pass', Result: 'no', End: true },
      },
    },
    input: {
      n: null,
      num: 5,
      small: 1,
      str: 'abd',
      b: false,
      ts: '2024-02-29T10:00:00Z',
      file: 'log-2024.txt',
    },
    output: 'yes',
  },
  {
    name: 'Choice on a missing variable is a States.Runtime failure',
    def: {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.nope', StringEquals: 'x', Next: 'E' }], Default: 'E' },
        E: { Type: 'Succeed' },
      },
    },
    status: 'FAILED',
    error: 'States.Runtime',
  },
  // ---------------------------------------------------------------- Wait
  {
    name: 'Wait: Seconds, SecondsPath, TimestampPath',
    def: {
      StartAt: 'W1',
      States: {
        W1: { Type: 'Wait', Seconds: 3600, Next: 'W2' },
        W2: { Type: 'Wait', SecondsPath: '$.delay', Next: 'W3' },
        W3: { Type: 'Wait', TimestampPath: '$.until', End: true },
      },
    },
    input: { delay: 60, until: '2025-01-05T00:00:00Z' },
    check: (r) => {
      expect(r.status).toBe('SUCCEEDED');
      const exits = r.events
        .filter((e) => e.type === 'WaitStateExited')
        .map((e) => (e.timestamp as Date).toISOString());
      expect(exits.slice(0, 2)).toEqual(['2025-01-01T01:00:00.000Z', '2025-01-01T01:01:00.000Z']);
      expect(exits[2]).toBe('2025-01-05T00:00:00.000Z');
    },
  },
  // ---------------------------------------------------------------- Parallel and Map
  {
    name: 'Parallel: output is the array of branch outputs, in branch order',
    def: {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Slow',
              States: {
                Slow: { Type: 'Wait', Seconds: 10, Next: 'A' },
                A: { Type: 'Pass', Result: 'a', End: true },
              },
            },
            { StartAt: 'B', States: { B: { Type: 'Task', Resource: fn('add'), End: true } } },
          ],
          ResultSelector: { 'first.$': '$[0]', 'sum.$': '$[1].sum' },
          End: true,
        },
      },
    },
    input: { a: 1, b: 2 },
    output: { first: 'a', sum: 3 },
  },
  {
    name: 'Parallel: a failing branch fails the state; Catch handles it',
    def: {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100, End: true } } },
            { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'BranchBroke', Cause: 'oops' } } },
          ],
          Catch: [{ ErrorEquals: ['BranchBroke'], ResultPath: '$.err', Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    },
    input: { k: 1 },
    output: { k: 1, err: { Error: 'BranchBroke', Cause: 'oops' } },
  },
  {
    name: 'Map: ItemsPath, ItemSelector with $$.Map.Item, MaxConcurrency (developer guide example)',
    def: {
      StartAt: 'Validate-All',
      States: {
        'Validate-All': {
          Type: 'Map',
          InputPath: '$.detail',
          ItemsPath: '$.shipped',
          MaxConcurrency: 1,
          ItemSelector: {
            'parcel.$': '$$.Map.Item.Value',
            'index.$': '$$.Map.Item.Index',
            'courier.$': '$.delivery-partner',
          },
          ItemProcessor: { StartAt: 'Validate', States: { Validate: { Type: 'Pass', End: true } } },
          ResultPath: '$.detail.shipped',
          End: true,
        },
      },
    },
    input: {
      'ship-date': '2016-03-14T01:59:00Z',
      detail: {
        'delivery-partner': 'UQS',
        shipped: [
          { prod: 'R31', quantity: 1344 },
          { prod: 'S39', quantity: 40 },
        ],
      },
    },
    output: {
      'ship-date': '2016-03-14T01:59:00Z',
      detail: {
        'delivery-partner': 'UQS',
        shipped: [
          { parcel: { prod: 'R31', quantity: 1344 }, index: 0, courier: 'UQS' },
          { parcel: { prod: 'S39', quantity: 40 }, index: 1, courier: 'UQS' },
        ],
      },
    },
  },
  {
    name: 'Map: legacy Iterator + Parameters',
    def: {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          Parameters: { 'v.$': '$$.Map.Item.Value' },
          Iterator: { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    },
    input: ['a', 'b'],
    output: [{ v: 'a' }, { v: 'b' }],
  },
  {
    name: 'Map result written with ResultPath into an array input: States.ReferencePathConflict',
    def: {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          Iterator: { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
          ResultPath: '$.r',
          End: true,
        },
      },
    },
    input: [],
    status: 'FAILED',
    error: 'States.ReferencePathConflict',
  },
  {
    name: 'Map over an empty list',
    def: {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.xs',
          ItemProcessor: { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    },
    input: { xs: [] },
    output: [],
  },
  {
    name: 'Map (distributed, items from input) with ToleratedFailureCount',
    def: {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.xs',
          ToleratedFailureCount: 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'C',
            States: {
              C: {
                Type: 'Choice',
                Choices: [{ Variable: '$', NumericEquals: 2, Next: 'Bad' }],
                Default: 'Ok',
              },
              Bad: { Type: 'Fail', Error: 'Two' },
              Ok: { Type: 'Pass', End: true },
            },
          },
          End: true,
        },
      },
    },
    input: { xs: [1, 2, 3] },
    // the failed item's error output: its Fail state has no Cause, so there is none
    output: [1, { Error: 'Two' }, 3],
  },
  {
    name: 'Map (distributed) over the tolerated threshold: States.ExceedToleratedFailureThreshold',
    def: {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ToleratedFailurePercentage: 10,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED' },
            StartAt: 'F',
            States: { F: { Type: 'Fail', Error: 'X' } },
          },
          End: true,
        },
      },
    },
    input: [1, 2],
    status: 'FAILED',
    error: 'States.ExceedToleratedFailureThreshold',
  },
  // ---------------------------------------------------------------- errors: Retry and Catch
  {
    name: 'Retry: IntervalSeconds/BackoffRate timing, then success',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: fn('flaky'),
          Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 3, BackoffRate: 2, MaxAttempts: 3 }],
          End: true,
        },
      },
    },
    input: { key: 'retry-timing', failures: 2 },
    output: { attempts: 3 },
    check: (r) => {
      const ts = r.events
        .filter((e) => e.type === 'LambdaFunctionScheduled')
        .map((e) => (e.timestamp as Date).getTime());
      expect(ts).toHaveLength(3);
      expect((ts[1]! - ts[0]!) / 1000).toBe(3);
      expect((ts[2]! - ts[1]!) / 1000).toBe(6);
    },
  },
  {
    name: 'Retry: MaxDelaySeconds caps the back-off; exhausted retries go to Catch',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: fn('flaky'),
          Retry: [
            {
              ErrorEquals: ['States.ALL'],
              IntervalSeconds: 10,
              BackoffRate: 10,
              MaxAttempts: 3,
              MaxDelaySeconds: 15,
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    },
    input: { key: 'cap', failures: 99 },
    check: (r) => {
      expect(r.output).toEqual({ Error: 'Transient', Cause: expect.stringContaining('try again') });
      const ts = r.events
        .filter((e) => e.type === 'LambdaFunctionScheduled')
        .map((e) => (e.timestamp as Date).getTime());
      expect(ts.slice(1).map((t, i) => (t - ts[i]!) / 1000)).toEqual([10, 15, 15]);
    },
  },
  {
    name: 'Retry: MaxAttempts 0 means no retry; States.TaskFailed catches task errors',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: fn('boom'),
          Retry: [{ ErrorEquals: ['CustomError'], MaxAttempts: 0 }],
          Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'C' }],
          End: true,
        },
        C: { Type: 'Pass', End: true },
      },
    },
    input: { a: 1 },
    check: (r) => {
      expect((r.output as { error: { Error: string } }).error.Error).toBe('CustomError');
      expect(r.events.filter((e) => e.type === 'LambdaFunctionScheduled')).toHaveLength(1);
    },
  },
  {
    name: 'Catch order: the first matching catcher wins',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: fn('boom'),
          Catch: [
            { ErrorEquals: ['Other'], Next: 'Wrong' },
            { ErrorEquals: ['CustomError', 'X'], Next: 'Right' },
            { ErrorEquals: ['States.ALL'], Next: 'Wrong' },
          ],
          End: true,
        },
        Wrong: { Type: 'Fail', Error: 'wrong' },
        Right: { Type: 'Pass', Result: 'right', End: true },
      },
    },
    output: 'right',
  },
  {
    name: 'unhandled task error fails the execution with its name and cause',
    def: { StartAt: 'T', States: { T: { Type: 'Task', Resource: fn('boom'), End: true } } },
    status: 'FAILED',
    error: 'CustomError',
  },
  {
    name: 'Task TimeoutSeconds: States.Timeout (retried, then caught)',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { QueueUrl: 'q', MessageBody: { 'token.$': '$$.Task.Token' } },
          TimeoutSeconds: 30,
          Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1, IntervalSeconds: 5 }],
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
          End: true,
        },
        TimedOut: { Type: 'Pass', Result: 'timed out', End: true },
      },
    },
    output: 'timed out',
    check: (r) => {
      expect(r.events.filter((e) => e.type === 'TaskTimedOut')).toHaveLength(2);
      expect(r.events.filter((e) => e.type === 'TaskSubmitted')).toHaveLength(2);
    },
  },
  // ---------------------------------------------------------------- intrinsic functions
  {
    name: 'intrinsics: developer guide examples',
    def: pass({
      Parameters: {
        'format.$': "States.Format('Hello, my name is {}.', $.name)",
        'toJson.$': 'States.StringToJson($.someString)',
        'toString.$': 'States.JsonToString($.someJson)',
        'array.$': "States.Array('Foo', 2020, $.someJson, null)",
        'partition.$': 'States.ArrayPartition($.inputArray, 4)',
        'contains.$': 'States.ArrayContains($.inputArray, $.lookingFor)',
        'range.$': 'States.ArrayRange(1, 9, 2)',
        'item.$': 'States.ArrayGetItem($.inputArray, $.index)',
        'length.$': 'States.ArrayLength($.inputArray)',
        'unique.$': 'States.ArrayUnique($.dupes)',
        'b64.$': "States.Base64Encode('Data to encode')",
        'unb64.$': "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')",
        'hash.$': "States.Hash('input data', 'SHA-1')",
        'merged.$': 'States.JsonMerge($.json1, $.json2, false)',
        'add.$': 'States.MathAdd(111, -1)',
        'split.$': "States.StringSplit('This.is+a,test=string', '.+,=')",
        'escaped.$': "States.Format('\\{\\} {} \\'q\\'', 'x')",
        'nested.$': 'States.ArrayLength(States.Array(1, States.MathAdd(1, 2)))',
      },
    }),
    input: {
      name: 'Arnav',
      someString: '{"number": 20}',
      someJson: { name: 'Foo', year: 2021 },
      inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      lookingFor: 5,
      index: 5,
      dupes: [1, 2, 3, 3, 3, 3, 3, 3, 4],
      json1: { a: { a1: 1, a2: 2 }, b: 2 },
      json2: { a: { a3: 1, a4: 2 }, c: 3 },
    },
    output: {
      format: 'Hello, my name is Arnav.',
      toJson: { number: 20 },
      toString: '{"name":"Foo","year":2021}',
      array: ['Foo', 2020, { name: 'Foo', year: 2021 }, null],
      partition: [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
      contains: true,
      range: [1, 3, 5, 7, 9],
      item: 6,
      length: 9,
      unique: [1, 2, 3, 4],
      b64: 'RGF0YSB0byBlbmNvZGU=',
      unb64: 'Data to encode',
      hash: 'aaff4a450a104cd177d28d18d74485e8cae074b7',
      merged: { a: { a3: 1, a4: 2 }, b: 2, c: 3 },
      add: 110,
      split: ['This', 'is', 'a', 'test', 'string'],
      escaped: "{} x 'q'",
      nested: 2,
    },
  },
  {
    name: 'intrinsics: UUID and MathRandom',
    def: pass({
      Parameters: {
        'id.$': 'States.UUID()',
        'r.$': 'States.MathRandom(1, 999)',
        's.$': 'States.MathRandom(1, 999, 7)',
      },
    }),
    check: (r) => {
      const o = r.output as { id: string; r: number; s: number };
      expect(o.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Number.isInteger(o.r) && o.r >= 1 && o.r < 999).toBe(true);
      expect(Number.isInteger(o.s) && o.s >= 1 && o.s < 999).toBe(true);
    },
  },
  {
    name: 'intrinsic failure is States.IntrinsicFailure (catchable in a Task Parameters)',
    def: {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: fn('echo'),
          Parameters: { 'x.$': 'States.ArrayGetItem($.a, 10)' },
          Catch: [{ ErrorEquals: ['States.IntrinsicFailure'], Next: 'C' }],
          End: true,
        },
        C: { Type: 'Pass', Result: 'caught', End: true },
      },
    },
    input: { a: [1] },
    output: 'caught',
  },
  {
    name: 'Fail: ErrorPath and CausePath (with an intrinsic)',
    def: {
      StartAt: 'F',
      States: {
        F: { Type: 'Fail', ErrorPath: '$.code', CausePath: "States.Format('order {} failed', $.id)" },
      },
    },
    input: { code: 'OrderFailed', id: 7 },
    status: 'FAILED',
    error: 'OrderFailed',
    check: (r) => expect(r.cause).toBe('order 7 failed'),
  },
  // ---------------------------------------------------------------- variables (JSONPath)
  {
    name: 'variables: Assign in JSONPath, read with $name in a later state',
    def: {
      StartAt: 'A',
      States: {
        A: {
          Type: 'Pass',
          Assign: { 'orderId.$': '$.id', fixed: 'k', 'fmt.$': "States.Format('#{}', $.id)" },
          Next: 'B',
        },
        B: {
          Type: 'Pass',
          Parameters: { 'id.$': '$orderId', 'fixed.$': '$fixed', 'fmt.$': '$fmt' },
          End: true,
        },
      },
    },
    input: { id: 'o-1' },
    output: { id: 'o-1', fixed: 'k', fmt: '#o-1' },
    check: (r) => {
      const exit = r.events.find((e) => e.type === 'PassStateExited') as {
        stateExitedEventDetails: { assignedVariables: Record<string, string> };
      };
      expect(exit.stateExitedEventDetails.assignedVariables).toEqual({
        orderId: '"o-1"',
        fixed: '"k"',
        fmt: '"#o-1"',
      });
    },
  },
  {
    name: 'variables: Map iterations read outer variables; their assignments stay inside',
    def: {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { factor: 10 }, Next: 'M' },
        M: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'In',
            States: {
              In: {
                Type: 'Pass',
                Assign: { inner: 1 },
                Parameters: { 'v.$': '$', 'f.$': '$factor' },
                End: true,
              },
            },
          },
          Next: 'Out',
        },
        Out: { Type: 'Pass', Parameters: { 'r.$': '$', 'f.$': '$factor' }, End: true },
      },
    },
    input: [1, 2],
    output: {
      r: [
        { v: 1, f: 10 },
        { v: 2, f: 10 },
      ],
      f: 10,
    },
  },
  // ---------------------------------------------------------------- JSONata
  {
    name: 'JSONata: Arguments, Output, Assign and $states (developer guide conversion example)',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: {
            FunctionName: 'add',
            Payload: { a: '{% $states.input.x %}', b: '{% $states.input.y * 2 %}' },
          },
          Assign: { total: '{% $states.result.Payload.sum %}', who: '{% $states.input.who %}' },
          Output: { sum: '{% $states.result.Payload.sum %}', literal: '$not-evaluated' },
          Next: 'Use',
        },
        Use: { Type: 'Pass', Output: '{% "Total for " & $who & " is " & $string($total) %}', End: true },
      },
    },
    input: { x: 1, y: 20, who: 'Ann' },
    output: 'Total for Ann is 41',
  },
  {
    name: 'JSONata: Choice Condition, Map Items/ItemSelector and context',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          Items: '{% $states.input.orders %}',
          ItemSelector: {
            order: '{% $states.context.Map.Item.Value %}',
            idx: '{% $states.context.Map.Item.Index %}',
          },
          ItemProcessor: {
            StartAt: 'C',
            States: {
              C: {
                Type: 'Choice',
                Choices: [
                  {
                    Condition: '{% $states.input.order.total > 100 %}',
                    Next: 'Big',
                    Assign: { size: 'big' },
                  },
                ],
                Default: 'Small',
              },
              Big: { Type: 'Pass', Output: '{% $states.input.idx & ":" & $size %}', End: true },
              Small: { Type: 'Pass', Output: '{% $states.input.idx & ":small" %}', End: true },
            },
          },
          Output: '{% $join($states.result, ",") %}',
          End: true,
        },
      },
    },
    input: { orders: [{ total: 500 }, { total: 5 }] },
    output: '0:big,1:small',
  },
  {
    name: 'JSONata: Step Functions functions $partition $range $hash $parse $uuid',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'P',
      States: {
        P: {
          Type: 'Pass',
          Output: {
            p: '{% $partition([1,2,3,4,5], 2) %}',
            r: '{% $range(0, 10, 5) %}',
            h: "{% $hash('input data', 'SHA-1') %}",
            j: '{% $parse(\'{"a":1}\') %}',
            u: '{% $length($uuid()) %}',
          },
          End: true,
        },
      },
    },
    output: {
      p: [[1, 2], [3, 4], [5]],
      r: [0, 5, 10],
      h: 'aaff4a450a104cd177d28d18d74485e8cae074b7',
      j: { a: 1 },
      u: 36,
    },
  },
  {
    name: 'JSONata: an expression error is States.QueryEvaluationError, catchable with Output from $states.errorOutput',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: fn('echo'),
          Arguments: '{% $states.input.missing.deep %}',
          Catch: [
            {
              ErrorEquals: ['States.QueryEvaluationError'],
              Output: '{% $states.errorOutput.Error %}',
              Next: 'C',
            },
          ],
          End: true,
        },
        C: { Type: 'Pass', End: true },
      },
    },
    output: 'States.QueryEvaluationError',
  },
  {
    name: 'JSONata: Wait Seconds expression and Fail Error/Cause expressions',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'W',
      States: {
        W: { Type: 'Wait', Seconds: '{% $states.input.s %}', Next: 'F' },
        F: { Type: 'Fail', Error: '{% "E" & $states.input.s %}', Cause: '{% "waited " & $states.input.s %}' },
      },
    },
    input: { s: 5 },
    status: 'FAILED',
    error: 'E5',
    check: (r) => expect(r.cause).toBe('waited 5'),
  },
  {
    name: 'mixed query languages: a JSONata state inside a JSONPath machine',
    def: {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Parameters: { 'n.$': '$.n' }, Assign: { 'base.$': '$.n' }, Next: 'B' },
        B: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.n + $base %}', End: true },
      },
    },
    input: { n: 4 },
    output: 8,
  },
];

describe('conformance (through @aws-sdk/client-sfn)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await h.run(c.def, c.input ?? {});
      if (c.status) expect(r.status).toBe(c.status);
      else if (!c.check) expect(r.status).toBe('SUCCEEDED');
      if (c.error) expect(r.error).toBe(c.error);
      if ('output' in c) expect(r.output).toEqual(c.output);
      c.check?.(r);
    });
  }
});
