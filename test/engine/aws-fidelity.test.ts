/**
 * Issue #15: the engine as AWS Step Functions behaves, class by class (causes, validation, history,
 * Assign, intrinsics and JSONata, integrations). Every case runs end to end through
 * @aws-sdk/client-sfn against the engine's HTTP API and compares what the held-out AWS recordings
 * compare: status, output, error, cause (exact wording) and the sequence of history event types.
 *
 * Each case quotes its source. "Developer guide" and "API reference" are the AWS Step Functions
 * documentation pages; "recorded" marks a wording the documentation does not give, taken from
 * responses recorded against AWS (published parity snapshots of AWS behaviour and emulator tests
 * verified against us-east-1), the documentation being silent on exact strings.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskRouter, TaskFailure } from '../../local/engine/index.ts';
import type { SdkHarness, SdkRun } from './sdk.ts';
import { sdkHarness } from './sdk.ts';

const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const lambdas: Record<string, (p: unknown) => unknown> = {
  echo: (p) => p,
  boom: () => {
    throw Object.assign(new Error('it broke'), { name: 'CustomError' });
  },
  // 300,000 characters: over the 256 KiB payload limit
  big: () => ({ blob: 'x'.repeat(300_000) }),
};
let h: SdkHarness;
beforeAll(async () => {
  h = await sdkHarness({
    handler: createTaskRouter({
      invokeLambda: async (name, payload) => {
        const short = name.split(':').pop()!;
        const f = lambdas[short];
        if (!f) throw new Error(`no fake lambda ${name}`);
        return f(payload);
      },
      dynamodb: async (action, params) => {
        if (!params.TableName || String(params.TableName).startsWith('/')) {
          throw Object.assign(
            new Error(
              `1 validation error detected: Value '${String(params.TableName)}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
            ),
            { name: 'ValidationException', $metadata: { httpStatusCode: 400, requestId: 'REQ1' } },
          );
        }
        if (params.TableName === 'missing') {
          throw Object.assign(new Error('Requested resource not found'), {
            name: 'ResourceNotFoundException',
            $metadata: { httpStatusCode: 400, requestId: 'REQ2' },
          });
        }
        return action === 'GetItem' ? { Item: { id: { S: '1' } } } : {};
      },
      sqs: async (action) => {
        if (action === 'SendMessage') return { MessageId: 'm-1', MD5OfMessageBody: 'x' };
        throw new TaskFailure('SQS.AmazonSQSException', 'unexpected');
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

interface Case {
  name: string;
  /** where the expected behaviour comes from */
  source: string;
  def: object;
  input?: unknown;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  output?: unknown;
  error?: string | null;
  cause?: string | null;
  events?: string[];
  check?: (r: SdkRun) => void;
}

const pass = (extra: object, name = 'S') => ({
  StartAt: name,
  States: { [name]: { Type: 'Pass', End: true, ...extra } },
});

const cases: Case[] = [
  // ================================================================ causes
  {
    name: 'causes: a payload template path that matches nothing',
    source:
      "Developer guide, \"Error names\": States.Runtime for a path that cannot be applied; wording recorded: \"The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '…'\"",
    def: pass({ Parameters: { 'x.$': '$.nope.deep' } }, 'Pick'),
    input: { other: 1 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Pick', 2)}The JSONPath '$.nope.deep' specified for the field 'x.$' could not be found in the input '{"other":1}'`,
    events: ['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'causes: an InputPath that matches nothing',
    source:
      'Developer guide, "InputPath": the path must select a node; recorded wording: "Invalid path \'$.Payload\' : No results for path: $[\'Payload\']"',
    def: pass({ InputPath: '$.Payload' }, 'Aggregate'),
    input: { other: 1 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Aggregate', 2)}Invalid path '$.Payload' : No results for path: $['Payload']`,
    events: ['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'causes: an OutputPath that matches nothing, after the task ran',
    source: 'Developer guide, "OutputPath"; recorded wording as for InputPath',
    def: {
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: fn('echo'), OutputPath: "$.a['b c']", End: true } },
    },
    input: { a: {} },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('T', 2)}Invalid path '$.a['b c']' : No results for path: $['a']['b c']`,
    events: [
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'ExecutionFailed',
    ],
  },
  {
    name: 'causes: a Choice rule on a variable that is not there',
    source:
      'Developer guide, "Choice workflow state"; recorded: "Invalid path \'$.x\': The choice state\'s condition path references an invalid value."',
    def: {
      StartAt: 'IsDataset',
      States: {
        IsDataset: {
          Type: 'Choice',
          Choices: [{ Variable: '$.processing_type', StringEquals: 'dataset', Next: 'Done' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    },
    input: {},
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('IsDataset', 2)}Invalid path '$.processing_type': The choice state's condition path references an invalid value.`,
    events: ['ExecutionStarted', 'ChoiceStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'causes: a Choice with no matching rule and no Default',
    source:
      'recorded: States.Runtime, "Failed to transition out of the state. The state does not point to a next state."',
    def: {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.x', StringEquals: 'never', Next: 'Done' }] },
        Done: { Type: 'Pass', End: true },
      },
    },
    input: { x: 'a' },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('C', 2)}Failed to transition out of the state. The state does not point to a next state.`,
    events: ['ExecutionStarted', 'ChoiceStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'causes: an intrinsic function argument that matches nothing names the whole call',
    source:
      "Developer guide, \"Intrinsic functions\"; recorded: \"The function '…' had the following error: The JsonPath argument for the field '$.nope' could not be found in the input '…'\"",
    def: pass({ Parameters: { 'v.$': "States.Format('{}', States.Format('{}', $.nope))" } }, 'Pick'),
    input: { other: 1 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Pick', 2)}The function 'States.Format('{}', States.Format('{}', $.nope))' had the following error: The JsonPath argument for the field '$.nope' could not be found in the input '{"other":1}'`,
  },
  {
    name: 'causes: a Wait TimestampPath value without a time zone',
    source:
      'Developer guide, "Wait": timestamps must conform to RFC3339 (an uppercase T, a time zone); recorded: "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.start_at == …"',
    def: {
      StartAt: 'State_1',
      States: { State_1: { Type: 'Wait', TimestampPath: '$.start_at', End: true } },
    },
    input: { start_at: '2016-03-14T01:59:00' },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('State_1', 2)}The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.start_at == 2016-03-14T01:59:00`,
    events: ['ExecutionStarted', 'WaitStateEntered', 'ExecutionFailed'],
  },
  {
    name: 'causes: a Wait SecondsPath value that is negative',
    source:
      'Developer guide, "Wait": SecondsPath must select a non-negative integer; recorded: "The SecondsPath parameter references a negative value: $.s == -5"',
    def: { StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.s', End: true } } },
    input: { s: -5 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('W', 2)}The SecondsPath parameter references a negative value: $.s == -5`,
  },
  {
    name: 'causes: a Wait SecondsPath value that is not an integer',
    source:
      'Developer guide, "Wait" ("You must specify an integer value"); recorded: "…cannot be parsed as a long value: $.s == 1.5"',
    def: { StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.s', End: true } } },
    input: { s: 1.5 },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('W', 2)}The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5`,
  },
  {
    name: 'causes: a JSONata expression returning nothing names the field as AWS does (Output/v)',
    source:
      'Developer guide, "Transforming data with JSONata": an expression evaluating to undefined is States.QueryEvaluationError; recorded wording and location "Output/v"',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'Undef',
      States: { Undef: { Type: 'Pass', Output: { v: '{% $states.input.missing %}' }, End: true } },
    },
    input: { x: 'a' },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
    cause: `${prefix('Undef', 2)}The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined).`,
    events: ['ExecutionStarted', 'PassStateEntered', 'EvaluationFailed', 'ExecutionFailed'],
    check: (r) => {
      const ev = r.events.find((e) => e.type === 'EvaluationFailed')!;
      // API reference, EvaluationFailedEventDetails: error, cause, location, state
      expect(ev.evaluationFailedEventDetails).toEqual({
        error: 'States.QueryEvaluationError',
        cause: r.cause,
        location: 'Output/v',
        state: 'Undef',
      });
    },
  },
  {
    name: 'causes: a JSONata function error is States.QueryEvaluationError with the JSONata error code',
    source:
      'Developer guide, "Transforming data with JSONata" (evaluation errors are States.QueryEvaluationError); recorded: "… threw an error during evaluation. T0410: Argument 1 of function "range" does not match function signature"',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'R',
      States: { R: { Type: 'Pass', Output: "{% $range('0',4,1) %}", End: true } },
    },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
    cause: `${prefix('R', 2)}The JSONata expression '$range('0',4,1)' specified for the field 'Output' threw an error during evaluation. T0410: Argument 1 of function "range" does not match function signature`,
  },
  {
    name: 'causes: a Fail state without Error or Cause reports neither field',
    source:
      'Developer guide, "Fail workflow state": Error and Cause are optional; AWS leaves absent fields out',
    def: { StartAt: 'F', States: { F: { Type: 'Fail' } } },
    status: 'FAILED',
    error: null,
    cause: null,
    events: ['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed'],
    check: (r) => expect(r.events.at(-1)!.executionFailedEventDetails).toEqual({}),
  },
  {
    name: 'causes: a Fail state cause passes through unchanged (no state prefix)',
    source: 'Developer guide, "Fail workflow state"',
    def: { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'OrderFailed', Cause: 'out of stock' } } },
    status: 'FAILED',
    error: 'OrderFailed',
    cause: 'out of stock',
  },
  {
    name: 'causes: a task that times out has States.Timeout and no cause',
    source:
      'Developer guide, "Task" TimeoutSeconds and "Error names" (States.Timeout); recorded: TaskTimedOut/ExecutionFailed details carry only the error',
    def: {
      StartAt: 'Start',
      States: {
        Start: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { QueueUrl: 'q', MessageBody: { 'token.$': '$$.Task.Token' } },
          TimeoutSeconds: 5,
          End: true,
        },
      },
    },
    status: 'FAILED',
    error: 'States.Timeout',
    cause: null,
    events: [
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskTimedOut',
      'ExecutionFailed',
    ],
    check: (r) => {
      expect(r.events[5]!.taskTimedOutEventDetails).toEqual({
        resourceType: 'sqs',
        resource: 'sendMessage.waitForTaskToken',
        error: 'States.Timeout',
      });
      expect(r.events[6]!.executionFailedEventDetails).toEqual({ error: 'States.Timeout' });
    },
  },
  {
    name: 'causes: an execution over its TimeoutSeconds is TIMED_OUT with no error and no cause',
    source:
      'API reference, DescribeExecution (error/cause are for failures); recorded: a TIMED_OUT execution shows neither, redriveStatus REDRIVABLE',
    def: { TimeoutSeconds: 10, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, End: true } } },
    status: 'TIMED_OUT',
    error: null,
    cause: null,
    events: ['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut'],
  },
  // ================================================================ validation
  {
    name: 'validation: SecondsPath accepts a non-negative integer',
    source: 'Developer guide, "Wait": SecondsPath, "You must specify an integer value for this field"',
    def: {
      StartAt: 'W',
      States: { W: { Type: 'Wait', SecondsPath: '$.s', Next: 'P' }, P: { Type: 'Pass', End: true } },
    },
    input: { s: 0 },
    status: 'SUCCEEDED',
    output: { s: 0 },
  },
  {
    name: 'validation: a JSONata Choice Condition may be the literal true',
    source: 'Developer guide, "Choice workflow state" (JSONata): Condition is a boolean or an expression',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Condition: true, Next: 'Yes' }], Default: 'No' },
        Yes: { Type: 'Pass', Output: 'yes', End: true },
        No: { Type: 'Pass', Output: 'no', End: true },
      },
    },
    status: 'SUCCEEDED',
    output: 'yes',
  },
  {
    name: 'validation: a JSONata Condition that is not a boolean is States.QueryEvaluationError',
    source: 'Developer guide, "Choice workflow state" (JSONata): the Condition must evaluate to a boolean',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Condition: '{% 1 %}', Next: 'Yes' }], Default: 'Yes' },
        Yes: { Type: 'Succeed' },
      },
    },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
    cause: `${prefix('C', 2)}The JSONata expression '1' specified for the field 'Choices[0]/Condition' returned an unexpected result type. Expected 'boolean', but was 'number' for value: 1`,
    events: ['ExecutionStarted', 'ChoiceStateEntered', 'EvaluationFailed', 'ExecutionFailed'],
  },
  {
    name: 'validation: a ToleratedFailureCountPath that does not select a number fails the state',
    source:
      'Developer guide, "Map state" (Distributed): ToleratedFailureCountPath must resolve to a non-negative integer',
    def: {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.xs',
          ToleratedFailureCountPath: '$.tolerated',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'P',
            States: { P: { Type: 'Pass', End: true } },
          },
          End: true,
        },
      },
    },
    input: { xs: [1], tolerated: 'many' },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('M', 2)}The ToleratedFailureCountPath field refers to value "many" which is not a valid integer: $.tolerated`,
    // recorded: AWS reads the tolerance fields after MapStateStarted (MaxConcurrency before it)
    events: ['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'ExecutionFailed'],
  },
  {
    name: 'validation: a task result over 256 KiB fails the task with States.DataLimitExceeded, which States.ALL catches',
    source:
      "AWS-recorded history (a Lambda returning a large UTF-8 string, Catch States.ALL → HandleGeneralError): LambdaFunctionFailed with States.DataLimitExceeded, cause \"The state/task '<function ARN>' returned a result with a size exceeding the maximum number of bytes service limit.\", then the catcher. The developer guide calls DataLimitExceeded terminal; that holds for a state's own output (aws-quotas-history.test.ts), not for a task's result.",
    def: {
      StartAt: 'InvokeLambda',
      States: {
        InvokeLambda: {
          Type: 'Task',
          Resource: fn('big'),
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'HandleGeneralError' }],
          End: true,
        },
        HandleGeneralError: { Type: 'Pass', End: true },
      },
    },
    status: 'SUCCEEDED',
    output: {
      Error: 'States.DataLimitExceeded',
      Cause: `The state/task '${fn('big')}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    },
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
  // ================================================================ history
  {
    name: 'history: EvaluationFailed before each failed attempt of a retried JSONata task',
    source:
      'API reference, EvaluationFailedEventDetails ("an evaluation failure that occurred while processing a state"); recorded: one EvaluationFailed per attempt, before Retry',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'Send',
      States: {
        Send: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage',
          Arguments: {
            QueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q',
            MessageBody: '{% $states.input.missing %}',
          },
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1, IntervalSeconds: 1 }],
          End: true,
        },
      },
    },
    input: { x: 'a' },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
    cause: `${prefix('Send', 2)}The JSONata expression '$states.input.missing' specified for the field 'Arguments/MessageBody' returned nothing (undefined).`,
    events: [
      'ExecutionStarted',
      'TaskStateEntered',
      'EvaluationFailed',
      'EvaluationFailed',
      'ExecutionFailed',
    ],
  },
  {
    name: 'history: a retried Parallel records ParallelStateFailed only when its retries are used up',
    source:
      'Developer guide, "Retrying after an error" (Parallel and Map retry as a whole); recorded event sequence',
    def: {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'MyError', Cause: 'my cause' } } },
          ],
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1, IntervalSeconds: 1 }],
          End: true,
        },
      },
    },
    status: 'FAILED',
    error: 'MyError',
    cause: 'my cause',
    events: [
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'FailStateEntered',
      'ParallelStateStarted',
      'FailStateEntered',
      'ParallelStateFailed',
      'ExecutionFailed',
    ],
  },
  {
    name: 'history: States.Runtime inside a branch fails the execution at once, without Parallel events',
    source:
      'Developer guide, "Error names": States.Runtime cannot be caught or retried; recorded event sequence',
    def: {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Fast',
              States: { Fast: { Type: 'Pass', Parameters: { 'm.$': '$.nope' }, End: true } },
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    },
    input: { x: 'a' },
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `${prefix('Fast', 4)}The JSONPath '$.nope' specified for the field 'm.$' could not be found in the input '{"x":"a"}'`,
    events: [
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'PassStateEntered',
      'ExecutionFailed',
    ],
  },
  {
    name: 'history: a task failure ending a branch records TaskStateAborted; the caught Parallel exits with the error',
    source: 'Developer guide, "Parallel": a failed branch fails the state; recorded event sequence',
    def: {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'T', States: { T: { Type: 'Task', Resource: fn('boom'), End: true } } }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    },
    status: 'SUCCEEDED',
    output: {
      Error: 'CustomError',
      Cause: JSON.stringify({ errorType: 'CustomError', errorMessage: 'it broke', trace: [] }),
    },
    events: [
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateAborted',
      'ParallelStateFailed',
      'ParallelStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ],
  },
  {
    name: 'history: a failing inline Map iteration is MapIterationFailed; MapStateFailed; ExecutionFailed',
    source: 'API reference, HistoryEvent types (MapIterationFailed, MapStateFailed); recorded event sequence',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          Items: '{% $states.input.items %}',
          MaxConcurrency: 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Undef',
            States: { Undef: { Type: 'Pass', Output: { v: '{% $states.input.missing %}' }, End: true } },
          },
          End: true,
        },
      },
    },
    input: { items: [1, 2] },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
    cause: `${prefix('Undef', 5)}The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined).`,
    events: [
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'PassStateEntered',
      'EvaluationFailed',
      'MapIterationFailed',
      'MapStateFailed',
      'ExecutionFailed',
    ],
  },
  {
    name: 'history: the siblings of a failed Map iteration are aborted (MapIterationAborted, TaskStateAborted)',
    source:
      'API reference, HistoryEvent types (MapIterationAborted, TaskStateAborted); recorded event sequence',
    def: {
      StartAt: 'MapWait',
      States: {
        MapWait: {
          Type: 'Map',
          ItemsPath: '$.xs',
          ItemProcessor: {
            StartAt: 'LambdaInvoke',
            States: {
              LambdaInvoke: {
                Type: 'Task',
                Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
                Parameters: { QueueUrl: 'q', MessageBody: { 'token.$': '$$.Task.Token' } },
                TimeoutSeconds: 5,
                End: true,
              },
            },
          },
          End: true,
        },
      },
    },
    input: { xs: [1, 2] },
    status: 'FAILED',
    error: 'States.Timeout',
    cause: null,
    check: (r) => {
      const t = types(r);
      const failedAt = t.indexOf('MapIterationFailed');
      expect(t.slice(failedAt)).toEqual([
        'MapIterationFailed',
        'TaskStateAborted',
        'MapIterationAborted',
        'TaskStateAborted',
        'MapStateFailed',
        'ExecutionFailed',
      ]);
    },
  },
  {
    name: 'history: a Distributed Map runs as a Map Run; its iterations stay out of the parent history',
    source:
      'Developer guide, "Map state in Distributed mode" (child workflow executions, Map Run) and API reference (MapRunStarted, MapRunSucceeded)',
    def: {
      StartAt: 'D',
      States: {
        D: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'I1',
            States: { I1: { Type: 'Pass', End: true } },
          },
          End: true,
        },
      },
    },
    input: { items: [1, 2] },
    status: 'SUCCEEDED',
    output: [1, 2],
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
    check: (r) => {
      const started = r.events[3]!.mapRunStartedEventDetails as { mapRunArn: string };
      expect(started.mapRunArn).toMatch(
        /^arn:aws:states:us-east-1:123456789012:mapRun:conf-\d+\/[^:]+:[0-9a-f-]{36}$/,
      );
    },
  },
  {
    name: 'history: a failed item of a Distributed Map without tolerance fails the Map Run',
    source:
      'Developer guide, "Setting failure thresholds for Distributed Map states" (default: no failure tolerated; States.ExceedToleratedFailureThreshold)',
    def: {
      StartAt: 'D',
      States: {
        D: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'F',
            States: { F: { Type: 'Fail', Error: 'Bad', Cause: 'item failed' } },
          },
          End: true,
        },
      },
    },
    input: { items: [1] },
    status: 'FAILED',
    error: 'States.ExceedToleratedFailureThreshold',
    cause: 'The specified tolerated failure threshold was exceeded',
    events: [
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapRunStarted',
      'MapRunFailed',
      'MapStateFailed',
      'ExecutionFailed',
    ],
  },
  {
    name: 'history: a JSONata MaxConcurrency expression limits the iterations running at once',
    source:
      'Developer guide, "Map state": MaxConcurrency (in JSONata, a number or an expression); 1 runs items one after the other',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          Items: '{% $states.input.xs %}',
          MaxConcurrency: '{% $states.input.limit %}',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    },
    input: { xs: ['a', 'b'], limit: 1 },
    status: 'SUCCEEDED',
    output: ['a', 'b'],
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
  // ================================================================ Assign
  {
    name: 'Assign: on a Pass state with Result, $ in Assign is the result',
    source:
      'Developer guide, "Passing data between states with variables": in JSONPath, Assign reads the state result when the state produces one',
    def: {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Result: { n: 7 }, Assign: { 'seen.$': '$.n' }, ResultPath: '$.r', Next: 'B' },
        B: { Type: 'Pass', Parameters: { 'seen.$': '$seen' }, End: true },
      },
    },
    input: { n: 1 },
    status: 'SUCCEEDED',
    output: { seen: 7 },
  },
  {
    name: 'Assign: on a Pass state with Parameters, $ in Assign is the Parameters result',
    source: 'Developer guide, "Passing data between states with variables"',
    def: {
      StartAt: 'A',
      States: {
        A: {
          Type: 'Pass',
          Parameters: { 'double.$': 'States.MathAdd($.n, $.n)' },
          Assign: { 'd.$': '$.double' },
          Next: 'B',
        },
        B: { Type: 'Pass', Parameters: { 'd.$': '$d' }, End: true },
      },
    },
    input: { n: 4 },
    status: 'SUCCEEDED',
    output: { d: 8 },
  },
  // ================================================================ intrinsics and JSONata
  {
    name: 'intrinsics: States.Format renders objects and arrays as Java maps and lists; States.StringToJson("") is null',
    source:
      'Developer guide, "Intrinsic functions" (States.Format, States.StringToJson); recorded (decision 45): LocalStack AWS-validated test_generic test_format_2 renders {"Arg1": 1, "Arg2": []} as {Arg1=1, Arg2=[]}',
    def: pass({
      Parameters: {
        'f.$': "States.Format('{} and {}', $.o, $.a)",
        'n.$': 'States.StringToJson($.empty)',
      },
    }),
    input: { o: { a: 1 }, a: [1, 'x'], empty: '' },
    status: 'SUCCEEDED',
    output: { f: '{a=1} and [1, x]', n: null },
  },
  {
    name: 'JSONata: $range over a single value is that value, not an array',
    source: 'Developer guide, "JSONata functions" ($range); JSONata sequences of one value are the value',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'R',
      States: {
        R: {
          Type: 'Pass',
          Output: { one: '{% $range(1, 1, 1) %}', many: '{% $range(1, 5, 2) %}' },
          End: true,
        },
      },
    },
    status: 'SUCCEEDED',
    output: { one: 1, many: [1, 3, 5] },
  },
  {
    name: 'JSONPath: keys with escaped quotes and dots in bracket notation',
    source: 'Developer guide, "Paths" (bracket notation); JSONPath string escapes',
    def: pass({ Parameters: { 'q.$': "$['it\\'s']", 'dot.$': "$['a.b']" } }),
    input: { "it's": 1, 'a.b': 2 },
    status: 'SUCCEEDED',
    output: { q: 1, dot: 2 },
  },
  {
    name: 'JSONata: Items over data with cycles fails the state instead of hanging',
    source: 'Developer guide, "Map" (JSONata Items must be an array of JSON values)',
    def: {
      QueryLanguage: 'JSONata',
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          Items: '{% ($f := function($x){ $x }; [$f]) %}',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    },
    status: 'FAILED',
    error: 'States.QueryEvaluationError',
  },
  // ================================================================ integrations
  {
    name: 'integrations: DynamoDB results carry SdkHttpMetadata and SdkResponseMetadata',
    source:
      'Developer guide, "DynamoDB" service integration (the result is the SDK response, with its metadata)',
    def: {
      StartAt: 'PutItem',
      States: {
        PutItem: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: { TableName: 'table-name', Item: { id: { S: 'id1' } } },
          End: true,
        },
      },
    },
    status: 'SUCCEEDED',
    check: (r) => {
      const out = r.output as Record<string, { HttpStatusCode?: number; RequestId?: string }>;
      expect(Object.keys(out)).toEqual(['SdkHttpMetadata', 'SdkResponseMetadata']);
      expect(out.SdkHttpMetadata!.HttpStatusCode).toBe(200);
      expect(out.SdkResponseMetadata!.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    },
  },
  {
    name: 'integrations: a DynamoDB validation error is DynamoDB.AmazonDynamoDBException with the service suffix',
    source:
      'Developer guide, "Handling errors" in service integrations (errors named after the service exception); recorded name and cause suffix',
    def: {
      StartAt: 'PutItem',
      States: {
        PutItem: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: { TableName: '/bad', Item: { id: { S: 'id1' } } },
          End: true,
        },
      },
    },
    status: 'FAILED',
    error: 'DynamoDB.AmazonDynamoDBException',
    cause:
      "1 validation error detected: Value '/bad' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: REQ1; Proxy: null)",
    events: [
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'ExecutionFailed',
    ],
  },
  {
    name: 'integrations: an aws-sdk:dynamodb error keeps the SDK name, Exception suffix and its service suffix',
    source: 'Developer guide, "AWS SDK service integrations" (errors: <Service>.<Exception>)',
    def: {
      StartAt: 'Get',
      States: {
        Get: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem',
          Parameters: { TableName: 'missing', Key: { id: { S: '1' } } },
          End: true,
        },
      },
    },
    status: 'FAILED',
    error: 'DynamoDb.ResourceNotFoundException',
    cause: 'Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: REQ2)',
  },
  {
    name: 'integrations: aws-sdk:sfn:startExecution is answered by the engine itself',
    source:
      'Developer guide, "AWS SDK service integrations" (Step Functions is one of the services); SDK output shape',
    def: {
      StartAt: 'Start',
      States: {
        Start: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:sfn:startExecution',
          Parameters: { 'StateMachineArn.$': '$.child', Name: 'from-sdk', Input: { hello: 'child' } },
          End: true,
        },
      },
    },
    status: 'SUCCEEDED',
    check: (r) => {
      const out = r.output as { ExecutionArn: string; StartDate: string };
      expect(out.ExecutionArn).toMatch(/:execution:fidelity-child:from-sdk$/);
      expect(out.StartDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    },
  },
];

describe('issue #15: AWS Step Functions behaviour through @aws-sdk/client-sfn', () => {
  let childArn = '';
  beforeAll(async () => {
    const sm = await h.client.send(
      new CreateStateMachineCommand({
        name: 'fidelity-child',
        definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
        roleArn: 'arn:aws:iam::123456789012:role/test',
      }),
    );
    childArn = sm.stateMachineArn!;
  });

  for (const c of cases) {
    it(c.name, async () => {
      expect(c.source.length).toBeGreaterThan(10);
      const input = c.name.includes('aws-sdk:sfn') ? { child: childArn } : (c.input ?? {});
      const r = await h.run(c.def, input);
      expect(r.status, JSON.stringify({ error: r.error, cause: r.cause })).toBe(c.status);
      if ('output' in c) expect(r.output).toEqual(c.output);
      if (c.error === null) expect('error' in r).toBe(false);
      else if (c.error !== undefined) expect(r.error).toBe(c.error);
      if (c.cause === null) expect('cause' in r).toBe(false);
      else if (c.cause !== undefined) expect(r.cause).toBe(c.cause);
      if (c.events) expect(types(r)).toEqual(c.events);
      c.check?.(r);
    });
  }

  it('validation: Wait Timestamp must be RFC 3339 with a T and a time zone (refused at creation)', async () => {
    // Developer guide, "Wait": "Timestamps must conform to the RFC3339 profile of ISO 8601, with the
    // further restrictions that an uppercase T must separate the date and time portions, and an
    // uppercase Z must denote that a numeric time zone offset is not present".
    for (const ts of ['2026-03-14 01:59:00Z', '2026-03-14T01:59:00', '14/03/2026']) {
      const e = await h.client
        .send(
          new CreateStateMachineCommand({
            name: `wait-ts-${ts.length}-${ts.replace(/\W/g, '')}`,
            definition: JSON.stringify({
              StartAt: 'W',
              States: { W: { Type: 'Wait', Timestamp: ts, End: true } },
            }),
            roleArn: 'arn:aws:iam::123456789012:role/test',
          }),
        )
        .catch((x: Error) => x);
      expect((e as Error).name, ts).toBe('InvalidDefinition');
      expect((e as Error).message).toContain('/States/W/Timestamp');
    }
  });

  it("validation: AWS's bounds for seconds and retriers (refused at creation)", async () => {
    // Developer guide, "Wait"/"Task"/"Retrying after an error": Seconds, TimeoutSeconds,
    // IntervalSeconds and MaxAttempts are integers up to 99999999; MaxDelaySeconds up to 31622400.
    const bad: [object, string][] = [
      [{ Type: 'Wait', Seconds: 100_000_000, End: true }, '/States/S/Seconds'],
      [{ Type: 'Wait', Seconds: -1, End: true }, '/States/S/Seconds'],
      [{ Type: 'Task', Resource: fn('echo'), TimeoutSeconds: 0, End: true }, '/States/S/TimeoutSeconds'],
      [
        {
          Type: 'Task',
          Resource: fn('echo'),
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 0 }],
          End: true,
        },
        '/States/S/Retry/0/IntervalSeconds',
      ],
      [
        {
          Type: 'Task',
          Resource: fn('echo'),
          Retry: [{ ErrorEquals: ['States.ALL'], MaxDelaySeconds: 31_622_401 }],
          End: true,
        },
        '/States/S/Retry/0/MaxDelaySeconds',
      ],
    ];
    for (const [state, where] of bad) {
      const e = await h.client
        .send(
          new CreateStateMachineCommand({
            name: `bounds-${where.replace(/\W/g, '')}-${JSON.stringify(state).length}`,
            definition: JSON.stringify({ StartAt: 'S', States: { S: state } }),
            roleArn: 'arn:aws:iam::123456789012:role/test',
          }),
        )
        .catch((x: Error) => x);
      expect((e as Error).name, where).toBe('InvalidDefinition');
      expect((e as Error).message).toContain(where);
    }
  });

  it('context object: an Express execution has no Execution.RedriveCount', async () => {
    // Developer guide, "Context object": RedriveCount is for Standard workflows (Express ones are not redriven).
    const def = {
      StartAt: 'S',
      States: { S: { Type: 'Pass', Parameters: { 'e.$': '$$.Execution' }, End: true } },
    };
    const sm = await h.client.send(
      new CreateStateMachineCommand({
        name: 'fidelity-express',
        definition: JSON.stringify(def),
        roleArn: 'arn:aws:iam::123456789012:role/test',
        type: 'EXPRESS',
      }),
    );
    const r = await h.client.send(
      new StartSyncExecutionCommand({ stateMachineArn: sm.stateMachineArn, input: '{}' }),
    );
    expect(r.status).toBe('SUCCEEDED');
    const e = (JSON.parse(r.output!) as { e: Record<string, unknown> }).e;
    expect(e).not.toHaveProperty('RedriveCount');
    expect(e).toHaveProperty('Id');
    const standard = await h.run(def);
    expect((standard.output as { e: Record<string, unknown> }).e.RedriveCount).toBe(0);
    const d = await h.client.send(new DescribeExecutionCommand({ executionArn: standard.arn }));
    expect(d.redriveCount).toBe(0);
  });
});
