/**
 * Issue #15, third round: the history event types and causes a replay of AWS-recorded executions
 * compares most often (Retry, Catch, Map, Parallel, Wait, Choice, Fail, Succeed) and the Map's
 * dynamic fields (MaxConcurrencyPath, ToleratedFailureCountPath, ToleratedFailurePercentagePath).
 * Every case runs through @aws-sdk/client-sfn against the engine's HTTP API.
 *
 * "Developer guide" is the AWS Step Functions Developer Guide; "recorded" marks wording the guide
 * does not give, taken from AWS-validated parity snapshots (see decision 25).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskRouter } from '../../local/engine/index.ts';
import type { SdkHarness, SdkRun } from './sdk.ts';
import { sdkHarness } from './sdk.ts';

const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
let calls = 0;
const lambdas: Record<string, (p: unknown) => unknown> = {
  echo: (p) => p,
  boom: () => {
    throw Object.assign(new Error('it broke'), { name: 'CustomError' });
  },
  // fails on odd calls, succeeds on even ones: one failure, then a retry that succeeds
  flaky: (p) => {
    calls++;
    if (calls % 2 === 1) throw Object.assign(new Error('try again'), { name: 'Flaky' });
    return p;
  },
  // fails when its item is negative
  check: (p) => {
    if (typeof p === 'number' && p < 0) throw Object.assign(new Error('negative'), { name: 'Negative' });
    return p;
  },
};

let h: SdkHarness;
beforeAll(async () => {
  h = await sdkHarness({
    handler: createTaskRouter({
      invokeLambda: async (name, payload) => {
        const f = lambdas[name.split(':').pop()!];
        if (!f) throw new Error(`no fake lambda ${name}`);
        return f(payload);
      },
    }),
  });
});
afterAll(async () => {
  await h.close();
});

const types = (r: SdkRun) => r.events.map((e) => e.type);
const prefix = (state: string, id: number) =>
  `An error occurred while executing the state '${state}' (entered at the event id #${id}). `;
const processor = (extra: object = {}) => ({
  ItemProcessor: { ...extra, StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
});
const distributed = (states: object, start = 'I') => ({
  ItemProcessor: {
    ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
    StartAt: start,
    States: states,
  },
});

interface Case {
  name: string;
  source: string;
  def: object;
  input?: unknown;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  /** null: DescribeExecution has no such field */
  error?: string | null;
  cause?: string | null;
  events: string[];
  check?: (r: SdkRun) => void;
}

const cases: Case[] = [
  // ============================================================ history of each state type
  {
    name: 'Succeed: entered and exited, then ExecutionSucceeded with the input as output',
    source: 'Developer guide, "Succeed workflow state"; API reference, HistoryEventType',
    def: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
    input: { a: 1 },
    status: 'SUCCEEDED',
    output: { a: 1 },
    error: null,
    cause: null,
    events: ['ExecutionStarted', 'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded'],
  },
  {
    name: 'Fail: FailStateEntered then ExecutionFailed (no FailStateExited); ErrorPath and CausePath read the input',
    source:
      'Developer guide, "Fail workflow state": "Because Fail states always exit the state machine, Fail states have no Next field"; ErrorPath/CausePath take a path or an intrinsic function',
    def: {
      StartAt: 'Stop',
      States: {
        Stop: { Type: 'Fail', ErrorPath: '$.code', CausePath: "States.Format('order {} refused', $.id)" },
      },
    },
    input: { code: 'Refused', id: 42 },
    status: 'FAILED',
    error: 'Refused',
    cause: 'order 42 refused',
    events: ['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'Fail: an ErrorPath that matches nothing is States.Runtime naming the field',
    source:
      'Developer guide, "Error names" (States.Runtime); recorded wording for a path that matches nothing',
    def: { StartAt: 'Stop', States: { Stop: { Type: 'Fail', ErrorPath: '$.nope' } } },
    input: { code: 'x' },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Stop', 2)}The JSONPath '$.nope' specified for the field 'ErrorPath' could not be found in the input '{"code":"x"}'`,
    events: ['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'Wait then Choice: each records Entered/Exited; the Default branch is taken',
    source: 'Developer guide, "Wait workflow state" and "Choice workflow state" (Default)',
    def: {
      StartAt: 'Pause',
      States: {
        Pause: { Type: 'Wait', Seconds: 10, Next: 'Route' },
        Route: {
          Type: 'Choice',
          Choices: [{ Variable: '$.kind', StringEquals: 'gift', Next: 'Gift' }],
          Default: 'Normal',
        },
        Gift: { Type: 'Succeed' },
        Normal: { Type: 'Pass', Result: 'normal', End: true },
      },
    },
    input: { kind: 'plain' },
    status: 'SUCCEEDED',
    output: 'normal',
    events: [
      'ExecutionStarted',
      'WaitStateEntered',
      'WaitStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'Choice: a rule comparing a value of another type does not match (no error); Default taken',
    source:
      'Developer guide, "Choice workflow state": comparison operators compare a field to a value of the same type; a mismatched type does not match',
    def: {
      StartAt: 'Route',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [{ Variable: '$.n', NumericGreaterThan: 1, Next: 'Big' }],
          Default: 'Other',
        },
        Big: { Type: 'Succeed' },
        Other: { Type: 'Pass', Result: 'other', End: true },
      },
    },
    input: { n: '5' },
    status: 'SUCCEEDED',
    output: 'other',
    events: [
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'Retry then Catch on a Lambda resource: each attempt scheduled/started/failed, then the catcher',
    source:
      'Developer guide, "Handling errors in Step Functions workflows" (Retry, then Catch when retries are used up); HistoryEventType Lambda* events for a Lambda ARN resource',
    def: {
      StartAt: 'Charge',
      States: {
        Charge: {
          Type: 'Task',
          Resource: fn('boom'),
          Retry: [{ ErrorEquals: ['CustomError'], MaxAttempts: 1, IntervalSeconds: 1 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Refund' }],
          End: true,
        },
        Refund: { Type: 'Pass', End: true },
      },
    },
    input: { order: 1 },
    status: 'SUCCEEDED',
    events: [
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'Retry that succeeds on the second attempt (lambda:invoke): Task* events, one TaskStateExited',
    source:
      'Developer guide, "Handling errors" (Retry: IntervalSeconds, MaxAttempts); "Invoke Lambda" optimized integration',
    def: {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('flaky'), 'Payload.$': '$' },
          OutputPath: '$.Payload',
          Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 2, IntervalSeconds: 1 }],
          End: true,
        },
      },
    },
    input: { v: 7 },
    status: 'SUCCEEDED',
    output: { v: 7 },
    events: [
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'Parallel: a branch that fails fails the Parallel (ParallelStateFailed) and the execution',
    source:
      'Developer guide, "Parallel workflow state": "If any branch fails, because of an unhandled error or by transitioning to a Fail state, the entire Parallel state is considered to have failed"',
    def: {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Bad', States: { Bad: { Type: 'Fail', Error: 'BranchError', Cause: 'no' } } },
          ],
          End: true,
        },
      },
    },
    status: 'FAILED',
    error: 'BranchError',
    cause: 'no',
    events: [
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'FailStateEntered',
      'ParallelStateFailed',
      'ExecutionFailed',
    ],
  },
  {
    name: 'Parallel: a caught failure exits the Parallel with the error output',
    source:
      'Developer guide, "Parallel workflow state" (Catch) and "Handling errors" (error output: Error and Cause)',
    def: {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Bad', States: { Bad: { Type: 'Fail', Error: 'BranchError', Cause: 'no' } } },
          ],
          Catch: [{ ErrorEquals: ['BranchError'], Next: 'After' }],
          End: true,
        },
        After: { Type: 'Pass', End: true },
      },
    },
    status: 'SUCCEEDED',
    output: { Error: 'BranchError', Cause: 'no' },
    events: [
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'FailStateEntered',
      'ParallelStateFailed',
      'ParallelStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'Map: an empty array starts and succeeds the Map with no iteration; output []',
    source:
      'Developer guide, "Map workflow state" (ItemsPath; the output is an array of the iterations\' outputs)',
    def: { StartAt: 'Each', States: { Each: { Type: 'Map', ItemsPath: '$.xs', ...processor(), End: true } } },
    input: { xs: [] },
    status: 'SUCCEEDED',
    output: [],
    events: [
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'Map: a retried inline Map records no MapStateFailed before its retry, only when final',
    source:
      'Developer guide, "Handling errors" (Retry on a Map state re-runs it); recorded: the Failed event of a Map/Parallel is written only when the failure is final',
    def: {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          Retry: [{ ErrorEquals: ['ItemError'], MaxAttempts: 1, IntervalSeconds: 1 }],
          ItemProcessor: { StartAt: 'Bad', States: { Bad: { Type: 'Fail', Error: 'ItemError' } } },
          End: true,
        },
      },
    },
    input: [1],
    status: 'FAILED',
    error: 'ItemError',
    cause: null,
    events: [
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'FailStateEntered',
      'MapIterationFailed',
      'MapStateStarted',
      'MapIterationStarted',
      'FailStateEntered',
      'MapIterationFailed',
      'MapStateFailed',
      'ExecutionFailed',
    ],
  },
  // ============================================================ JSONata outputs by state type
  {
    name: 'JSONata: a Choice rule may carry Output; the next state receives it',
    source: 'Developer guide, "Choice workflow state" (JSONata: "Output" on a choice rule)',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'Route',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [
            {
              Condition: '{% $states.input.n > 1 %}',
              Output: { big: '{% $states.input.n %}' },
              Next: 'Done',
            },
          ],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    },
    input: { n: 3 },
    status: 'SUCCEEDED',
    output: { big: 3 },
    events: [
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: "JSONata: a Choice's own Output applies when the Default is taken; a Fail with only Cause has no error",
    source:
      'Developer guide, "Choice workflow state" (Default; JSONata Output) and "Fail workflow state"; recorded: the state-level Output is the Default path\'s output',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'Route',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [
            { Condition: '{% $states.input.condition %}', Output: 'Condition Output block', Next: 'Yes' },
          ],
          Default: 'No',
          Output: 'Default Output block',
        },
        Yes: { Type: 'Pass', End: true },
        No: { Type: 'Fail', Cause: 'Condition is false' },
      },
    },
    input: { condition: false },
    status: 'FAILED',
    error: null,
    cause: 'Condition is false',
    events: [
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ],
  },
  {
    name: "JSONata: a Parallel's Output reads $states.result (the branches' outputs in order)",
    source: 'Developer guide, "Transforming data with JSONata" ($states.result in Output)',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', Output: 1, End: true } } },
            { StartAt: 'B', States: { B: { Type: 'Pass', Output: 2, End: true } } },
          ],
          Output: '{% $sum($states.result) %}',
          End: true,
        },
      },
    },
    status: 'SUCCEEDED',
    output: 3,
    events: [
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'JSONata: a catcher without Output passes the error output (Error, Cause) on',
    source: 'Developer guide, "Handling errors" (JSONata Catch: the error output is the default output)',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: fn('boom'),
          Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Handle' }],
          End: true,
        },
        Handle: { Type: 'Pass', Output: '{% $states.input.Error %}', End: true },
      },
    },
    status: 'SUCCEEDED',
    output: 'CustomError',
    events: [
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: "JSONata: a state's Output does not see its own Assign (EvaluationFailed, then the failure)",
    source:
      'Developer guide, "Passing data between states with variables": Assign and Output of a state read the variables as they were when it was entered; new values are visible from the next state',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'Set',
      States: { Set: { Type: 'Pass', Assign: { v: 1 }, Output: '{% $v %}', End: true } },
    },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
    cause: `${prefix('Set', 2)}The JSONata expression '$v' specified for the field 'Output' returned nothing (undefined).`,
    events: ['ExecutionStarted', 'PassStateEntered', 'EvaluationFailed', 'ExecutionFailed'],
  },
  {
    name: 'JSONata: EvaluationFailed right after StateEntered points where StateEntered points',
    source:
      'recorded: LocalStack AWS-validated snapshot test_assign_reference_variables (BASE_UNDEFINED_OUTPUT_MULTIPLE_STATES: PassStateEntered #6 previousEventId 5, EvaluationFailed #7 previousEventId 5 with location and state, ExecutionFailed #8 previousEventId 7)',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'State0',
      States: {
        State0: { Type: 'Pass', Next: 'State1' },
        State1: { Type: 'Pass', Next: 'State2' },
        State2: { Type: 'Pass', Output: { result: '{% $doesNotExist %}' }, End: true },
      },
    },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
    cause: `${prefix('State2', 6)}The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).`,
    events: [
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'EvaluationFailed',
      'ExecutionFailed',
    ],
    check: (r) => {
      const at = (id: number) => r.events.find((e) => e.id === id) as Record<string, unknown>;
      expect(at(6).previousEventId).toBe(5);
      expect(at(7)).toMatchObject({
        previousEventId: 5,
        evaluationFailedEventDetails: {
          error: 'States.QueryEvaluationError',
          location: 'Output/result',
          state: 'State2',
        },
      });
      expect(at(8).previousEventId).toBe(7);
    },
  },
  {
    name: 'JSONata: EvaluationFailed of the first state points at 0, as its TaskStateEntered does',
    source:
      'recorded: LocalStack AWS-validated snapshot test_assign_reference_variables (BASE_UNDEFINED_ARGUMENTS_FIELD: location Arguments/FunctionName, EvaluationFailed #3 previousEventId 0)',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'State0',
      States: {
        State0: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: '{% $doesNotExist %}' },
          End: true,
        },
      },
    },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
    cause: `${prefix('State0', 2)}The JSONata expression '$doesNotExist' specified for the field 'Arguments/FunctionName' returned nothing (undefined).`,
    events: ['ExecutionStarted', 'TaskStateEntered', 'EvaluationFailed', 'ExecutionFailed'],
    check: (r) => {
      const at = (id: number) => r.events.find((e) => e.id === id) as Record<string, unknown>;
      expect(at(3).previousEventId).toBe(0);
      expect(at(4).previousEventId).toBe(3);
    },
  },
  // ============================================================ the Map's dynamic fields
  {
    name: 'Map: MaxConcurrencyPath selecting a string that is not a number fails before MapStateStarted',
    source:
      'Developer guide, "Map workflow state" (MaxConcurrencyPath: a reference path to an integer); recorded wording',
    def: {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', ItemsPath: '$.xs', MaxConcurrencyPath: '$.max', ...processor(), End: true },
      },
    },
    input: { xs: [1], max: 'many' },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Each', 2)}The MaxConcurrencyPath field refers to value "many" which is not a valid integer: $.max`,
    events: ['ExecutionStarted', 'MapStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'Map: MaxConcurrencyPath selecting a negative number',
    source: 'Developer guide, "Map workflow state" (MaxConcurrency: zero or more); recorded wording',
    def: {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', ItemsPath: '$.xs', MaxConcurrencyPath: '$.max', ...processor(), End: true },
      },
    },
    input: { xs: [1], max: -1 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Each', 2)}Expected non-negative integer for MaxConcurrency, got '-1' instead.`,
    events: ['ExecutionStarted', 'MapStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'Map: MaxConcurrencyPath selecting a digit string reads it as the integer',
    source: 'recorded: AWS reads "1" at MaxConcurrencyPath as 1',
    def: {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', ItemsPath: '$.xs', MaxConcurrencyPath: '$.max', ...processor(), End: true },
      },
    },
    input: { xs: [1, 2], max: '1' },
    status: 'SUCCEEDED',
    output: [1, 2],
    events: [
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'Map: ItemsPath selecting an object is States.Runtime (the Map needs an array)',
    source:
      'Developer guide, "Map workflow state": ItemsPath selects the array to iterate over; the wording is ours (not recorded)',
    def: { StartAt: 'Each', States: { Each: { Type: 'Map', ItemsPath: '$.xs', ...processor(), End: true } } },
    input: { xs: { a: 1 } },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Each', 2)}Map state input must be an array but was: object ($.xs == {"a":1})`,
    events: ['ExecutionStarted', 'MapStateEntered', 'ExecutionFailed'],
  },
  // ======================================================= ResultPath that cannot be written
  // AWS names this States.ReferencePathConflict (not ResultPathMatchFailure) and reports the cause
  // without the "An error occurred while executing the state" prefix. Recorded from AWS executions:
  // - https://qiita.com/tsubasaogawa/items/4fe341bdb6ae7d2fd8ee (error and cause, a string input:
  //   `Unable to apply ReferencePath $.someTaskResult to input "input1"`);
  // - github.com/aws/aws-cdk issue #29473 (cause, a string input: `Unable to apply ReferencePath
  //   $.partitioned to input "{\"min_size\":10000,…}"`);
  // - github.com/cdklabs/construct-hub pull request #459 (error and cause: `Unable to apply step
  //   "catalogBuilderOutput" to input <omitted>`, ResultPath `$.catalogBuilderOutput`).
  {
    name: 'ResultPath into a string input is States.ReferencePathConflict: "Unable to apply ReferencePath"',
    source:
      'recorded: qiita.com/tsubasaogawa/items/4fe341bdb6ae7d2fd8ee; github.com/aws/aws-cdk issue #29473',
    def: {
      StartAt: 'Tag',
      States: { Tag: { Type: 'Pass', Result: 'x', ResultPath: '$.someTaskResult', End: true } },
    },
    input: 'input1',
    status: 'FAILED',
    error: 'States.ReferencePathConflict',
    cause: 'Unable to apply ReferencePath $.someTaskResult to input "input1"',
    events: ['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'ResultPath inside a Map whose items are strings (the recorded case): each iteration fails so',
    source:
      'recorded: qiita.com/tsubasaogawa/items/4fe341bdb6ae7d2fd8ee (a Map over strings, a ResultPath in its iterator)',
    def: {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          MaxConcurrency: 1,
          ItemProcessor: {
            StartAt: 'Some',
            States: { Some: { Type: 'Pass', Result: 1, ResultPath: '$.someTaskResult', End: true } },
          },
          End: true,
        },
      },
    },
    input: ['input1'],
    status: 'FAILED',
    error: 'States.ReferencePathConflict',
    cause: 'Unable to apply ReferencePath $.someTaskResult to input "input1"',
    events: [
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'PassStateEntered',
      'MapIterationFailed',
      'MapStateFailed',
      'ExecutionFailed',
    ],
  },
  {
    name: 'ResultPath naming a field of an array input: "Unable to apply step" with the whole input',
    source:
      'recorded: github.com/cdklabs/construct-hub pull request #459 (`Unable to apply step "catalogBuilderOutput" to input …`, a one-step ResultPath)',
    def: {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', MaxConcurrency: 1, ...processor(), ResultPath: '$.results', End: true },
      },
    },
    input: [1, 2],
    status: 'FAILED',
    error: 'States.ReferencePathConflict',
    cause: 'Unable to apply step "results" to input [1,2]',
    events: [
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      // the Map's own result is in; writing it is what fails (as a Map's output over the quota)
      'MapStateSucceeded',
      'MapStateFailed',
      'ExecutionFailed',
    ],
  },
  {
    name: 'ResultPath through a field that holds a scalar: "Unable to apply step" names the step that cannot apply',
    source:
      'recorded wording "Unable to apply step "x" to input {…}" (github.com/cdklabs/construct-hub pull request #459); which step is named here is inferred',
    def: { StartAt: 'Tag', States: { Tag: { Type: 'Pass', Result: 1, ResultPath: '$.a.b', End: true } } },
    input: { a: 'text' },
    status: 'FAILED',
    error: 'States.ReferencePathConflict',
    cause: 'Unable to apply step "b" to input {"a":"text"}',
    events: ['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed'],
  },
  // ============================================================ a path into a null input
  {
    name: 'Parameters reading "$" of a null input: States.Runtime "Unable to apply Path transformation"',
    source:
      'recorded: an AWS execution quoted in the StackOverflow question "AWS Step function parameters are not moving to the next step" (cplus-django.wekeepcoding.com/article/12193469 mirrors it): a Lambda returned null, the next Task had "Input.$": "$"',
    def: {
      StartAt: 'Run tasks',
      States: {
        'Run tasks': { Type: 'Pass', Result: null, Next: 'API Gateway start' },
        'API Gateway start': {
          Type: 'Pass',
          Parameters: { 'Input.$': '$', Stage: 'start' },
          End: true,
        },
      },
    },
    input: { scenario: 'a' },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('API Gateway start', 4)}Unable to apply Path transformation to null or empty input.`,
    events: [
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'ExecutionFailed',
    ],
  },
  {
    name: 'a null input read only through the context object or literals is fine',
    source: 'Developer guide, "Context object" ($$ reads the context, not the input)',
    def: {
      StartAt: 'Nothing',
      States: {
        Nothing: { Type: 'Pass', Result: null, Next: 'Name' },
        Name: { Type: 'Pass', Parameters: { 'state.$': '$$.State.Name', fixed: 1 }, End: true },
      },
    },
    status: 'SUCCEEDED',
    output: { state: 'Name', fixed: 1 },
    events: [
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ],
  },
  // ============================================================ lambda:invoke Parameters
  {
    name: 'lambda:invoke with a number as Payload: refused before the task starts (States.Runtime)',
    source:
      'recorded (AWS execution quoted in stackoverflow.com/questions/76373088: a Map item 1 as "Payload.$": "$"): "The Parameters \'{…,"Payload":1}\' could not be used to start the Task: [The value for the field \'Payload\' must be a STRING]"',
    def: {
      StartAt: 'add',
      States: {
        add: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('echo'), 'Payload.$': '$.n' },
          End: true,
        },
      },
    },
    input: { n: 1 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('add', 2)}The Parameters '{"FunctionName":"${fn('echo')}","Payload":1}' could not be used to start the Task: [The value for the field 'Payload' must be a STRING]`,
    events: ['ExecutionStarted', 'TaskStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'lambda:invoke with a string or an object as Payload runs (only the number is refused)',
    source:
      'recorded: LocalStack AWS-validated snapshots, test_lambda_task_service (Payload "0" and {} invoke)',
    def: {
      StartAt: 'add',
      States: {
        add: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('echo'), 'Payload.$': '$.p' },
          OutputPath: '$.Payload',
          End: true,
        },
      },
    },
    input: { p: '0' },
    status: 'SUCCEEDED',
    // a string Payload is the request body itself: "0" reaches the function as 0 (recorded)
    output: 0,
    events: [
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'Distributed Map: a negative ToleratedFailureCountPath fails after MapStateStarted',
    source:
      'Developer guide, "Distributed Map" failure threshold (ToleratedFailureCountPath); recorded: tolerance is read after MapStateStarted, wording "ToleratedFailureCount cannot be negative."',
    def: {
      StartAt: 'Sweep',
      States: {
        Sweep: {
          Type: 'Map',
          ItemsPath: '$.xs',
          ToleratedFailureCountPath: '$.t',
          ...distributed({ I: { Type: 'Pass', End: true } }),
          End: true,
        },
      },
    },
    input: { xs: [1], t: -1 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Sweep', 2)}ToleratedFailureCount cannot be negative.`,
    events: ['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'ExecutionFailed'],
  },
  {
    name: 'Distributed Map: a ToleratedFailurePercentagePath that is not a number is "not a valid float"',
    source: 'Developer guide, "Distributed Map" failure threshold (a percentage); recorded wording',
    def: {
      StartAt: 'Sweep',
      States: {
        Sweep: {
          Type: 'Map',
          ItemsPath: '$.xs',
          ToleratedFailurePercentagePath: '$.p',
          ...distributed({ I: { Type: 'Pass', End: true } }),
          End: true,
        },
      },
    },
    input: { xs: [1], p: 'half' },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Sweep', 2)}The ToleratedFailurePercentagePath field refers to value "half" which is not a valid float: $.p`,
    events: ['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'ExecutionFailed'],
  },
  {
    name: 'Distributed Map: a ToleratedFailurePercentagePath over 100',
    source: 'Developer guide, "Distributed Map": the percentage is from 0 to 100; recorded wording',
    def: {
      StartAt: 'Sweep',
      States: {
        Sweep: {
          Type: 'Map',
          ItemsPath: '$.xs',
          ToleratedFailurePercentagePath: '$.p',
          ...distributed({ I: { Type: 'Pass', End: true } }),
          End: true,
        },
      },
    },
    input: { xs: [1], p: 150 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Sweep', 2)}ToleratedFailurePercentage must be between 0 and 100.`,
    events: ['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'ExecutionFailed'],
  },
  {
    name: 'Distributed Map: a fractional ToleratedFailurePercentagePath (12.5% of 8 items tolerates one failure)',
    source:
      'API reference, DescribeMapRun: toleratedFailurePercentage is a float; developer guide, "Distributed Map" failure threshold',
    def: {
      StartAt: 'Sweep',
      States: {
        Sweep: {
          Type: 'Map',
          ItemsPath: '$.xs',
          ToleratedFailurePercentagePath: '$.p',
          ...distributed({ Check: { Type: 'Task', Resource: fn('check'), End: true } }, 'Check'),
          End: true,
        },
      },
    },
    input: { xs: [1, 2, 3, -4, 5, 6, 7, 8], p: 12.5 },
    status: 'SUCCEEDED',
    events: [
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapRunStarted',
      'MapRunSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ],
  },
];

describe('issue #15: history and causes by state type, through @aws-sdk/client-sfn', () => {
  for (const c of cases) {
    it(c.name, async () => {
      expect(c.source.length).toBeGreaterThan(10);
      const r = await h.run(c.def, c.input ?? {});
      expect(r.status, JSON.stringify({ error: r.error, cause: r.cause })).toBe(c.status);
      if ('output' in c) expect(r.output).toEqual(c.output);
      if (c.error === null) expect('error' in r).toBe(false);
      else if (c.error !== undefined) expect(r.error).toBe(c.error);
      if (c.cause === null) expect('cause' in r).toBe(false);
      else if (c.cause !== undefined) expect(r.cause).toBe(c.cause);
      expect(types(r)).toEqual(c.events);
      c.check?.(r);
    });
  }
});
