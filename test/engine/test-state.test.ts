/**
 * TestState served locally, through @aws-sdk/client-sfn (API reference, "TestState": run one state
 * with an input; `inspectionLevel` INFO/DEBUG/TRACE; `mock` with `result` or `errorOutput`;
 * `stateName` within a whole definition; `variables`; `stateConfiguration.retrierRetryCount`;
 * statuses SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR). The shapes of `inspectionData` per state
 * type follow responses recorded against AWS. The presale order state machine (as CDK synthesizes
 * it) is tested one state at a time.
 */
import { TestStateCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presaleStateMachine } from '#test/support/presale-definition';
import type { SdkHarness } from './sdk.ts';
import { sdkHarness } from './sdk.ts';

const STEP = 'arn:aws:lambda:us-east-1:000000000000:function:PresaleOrderStep';
const steps: unknown[] = [];
let h: SdkHarness;
let presale: string;
beforeAll(async () => {
  presale = presaleStateMachine(STEP).definition;
  h = await sdkHarness({
    lambdas: {
      PresaleOrderStep: (p) => {
        steps.push(p);
        return { accepted: true, order: 'o-1' };
      },
      add: (p) => ({ sum: (p as { a: number; b: number }).a + (p as { a: number; b: number }).b }),
    },
  });
});
afterAll(async () => {
  await h.close();
});

const test = (input: Record<string, unknown>) =>
  h.client.send(
    new TestStateCommand({
      roleArn: 'arn:aws:iam::123456789012:role/test',
      ...input,
      definition: typeof input.definition === 'string' ? input.definition : JSON.stringify(input.definition),
    } as never),
  );
const json = (s: string | undefined) => (s === undefined ? undefined : JSON.parse(s));

describe('TestState', () => {
  it('a Pass state: INFO shows the output; DEBUG the data-processing steps AWS reports for Pass', async () => {
    const definition = {
      Type: 'Pass',
      InputPath: '$.initialData',
      Parameters: { staticValue: 'some value', 'inputValue.$': '$.fieldFromInput' },
      ResultPath: '$.modifiedData',
      End: true,
    };
    const input = JSON.stringify({
      initialData: { fieldFromInput: 'value from input', otherField: 'other' },
    });
    const info = await test({ definition, input });
    expect(info.status).toBe('SUCCEEDED');
    expect(info.inspectionData).toBeUndefined();
    expect(info.nextState).toBeUndefined();
    const output = {
      initialData: { fieldFromInput: 'value from input', otherField: 'other' },
      modifiedData: { staticValue: 'some value', inputValue: 'value from input' },
    };
    expect(json(info.output)).toEqual(output);
    const debug = await test({ definition, input, inspectionLevel: 'DEBUG' });
    const d = debug.inspectionData!;
    expect(json(d.input)).toEqual(JSON.parse(input));
    expect(json(d.afterInputPath)).toEqual({ fieldFromInput: 'value from input', otherField: 'other' });
    expect(json(d.afterParameters)).toEqual({ staticValue: 'some value', inputValue: 'value from input' });
    expect(json(d.afterResultSelector)).toEqual(json(d.afterParameters));
    expect(json(d.afterResultPath)).toEqual(output);
    expect(d.result).toBeUndefined();
    // a Pass with a Result reports the result, not the input path steps (recorded)
    const withResult = await test({
      definition: { Type: 'Pass', Result: { resultKey: 'result value' }, End: true },
      input,
      inspectionLevel: 'TRACE',
    });
    expect(Object.keys(withResult.inspectionData!).sort()).toEqual([
      'afterResultPath',
      'afterResultSelector',
      'input',
      'result',
    ]);
  });

  it('a Choice state of the presale workflow (stateName in the whole definition) names the next state', async () => {
    const accepted = await test({
      definition: presale,
      stateName: 'DepositAccepted?',
      input: JSON.stringify({ take: { accepted: true } }),
    });
    expect(accepted).toMatchObject({ status: 'SUCCEEDED', nextState: 'RecordOrder' });
    const rejected = await test({
      definition: presale,
      stateName: 'DepositAccepted?',
      input: JSON.stringify({ take: { accepted: false } }),
    });
    expect(rejected.nextState).toBe('RecordRejection');
    expect(json(rejected.output)).toEqual({ take: { accepted: false } });
  });

  it('a Fail state is FAILED with its error and cause', async () => {
    const r = await test({ definition: presale, stateName: 'Failed', input: '{}' });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('PresaleOrderFailed');
    expect(r.cause).toBe('A step failed for good; the order was compensated (see its timeline)');
    expect(r.output).toBeUndefined();
  });

  it('a Task state calls its integration for real when not mocked (the presale step Lambda)', async () => {
    const before = steps.length;
    const r = await test({
      definition: presale,
      stateName: 'TakeUnit',
      input: JSON.stringify({ deposit: { amount: 5000 } }),
      inspectionLevel: 'DEBUG',
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.nextState).toBe('DepositAccepted?');
    expect(steps.length).toBe(before + 1);
    expect(steps.at(-1)).toMatchObject({
      step: 'take',
      deposit: { amount: 5000 },
      run: { state: 'TakeUnit' },
    });
    expect(json(r.output)).toEqual({ deposit: { amount: 5000 }, take: { accepted: true, order: 'o-1' } });
    expect(json(r.inspectionData!.result)).toEqual({ accepted: true, order: 'o-1' });
    expect(json(r.inspectionData!.afterParameters)).toMatchObject({ step: 'take' });
  });

  it('a mocked result stands in for the call: ResultSelector and ResultPath apply to it', async () => {
    const before = steps.length;
    const r = await test({
      definition: {
        Type: 'Task',
        Resource: STEP,
        ResultSelector: { 'ok.$': '$.accepted' },
        ResultPath: '$.take',
        Next: 'After',
      },
      input: JSON.stringify({ id: 1 }),
      mock: { result: JSON.stringify({ accepted: false, extra: 1 }) },
      inspectionLevel: 'DEBUG',
    });
    expect(steps.length).toBe(before);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.nextState).toBe('After');
    expect(json(r.output)).toEqual({ id: 1, take: { ok: false } });
    expect(json(r.inspectionData!.afterResultSelector)).toEqual({ ok: false });
  });

  it('a mocked error matching a retrier with attempts left is RETRIABLE; with none left it is caught', async () => {
    const input = JSON.stringify({ deposit: { amount: 5000 } });
    const mock = { errorOutput: { error: 'Lambda.ServiceException', cause: 'try again' } };
    const retriable = await test({
      definition: presale,
      stateName: 'TakeUnit',
      input,
      mock,
      inspectionLevel: 'DEBUG',
    });
    expect(retriable.status).toBe('RETRIABLE');
    expect(retriable.error).toBe('Lambda.ServiceException');
    expect(retriable.cause).toBe('try again');
    expect(retriable.inspectionData!.errorDetails!.retryIndex).toBe(1);
    // FULL jitter: anything from 0 up to IntervalSeconds (2) for the first retry
    expect(retriable.inspectionData!.errorDetails!.retryBackoffIntervalSeconds).toBeGreaterThanOrEqual(0);
    expect(retriable.inspectionData!.errorDetails!.retryBackoffIntervalSeconds).toBeLessThanOrEqual(2);
    const exhausted = await test({
      definition: presale,
      stateName: 'TakeUnit',
      input,
      mock,
      stateConfiguration: { retrierRetryCount: 10 },
      inspectionLevel: 'DEBUG',
    });
    expect(exhausted.status).toBe('CAUGHT_ERROR');
    expect(exhausted.nextState).toBe('Compensate');
    expect(exhausted.error).toBe('Lambda.ServiceException');
    expect(exhausted.inspectionData!.errorDetails!.catchIndex).toBe(0);
    expect(json(exhausted.output)).toEqual({
      deposit: { amount: 5000 },
      error: { Error: 'Lambda.ServiceException', Cause: 'try again' },
    });
    // PresaleStepRejected: its retrier allows no attempt, so it is caught at once
    const rejected = await test({
      definition: presale,
      stateName: 'TakeUnit',
      input,
      mock: { errorOutput: { error: 'PresaleStepRejected', cause: 'sold out' } },
    });
    expect(rejected).toMatchObject({
      status: 'CAUGHT_ERROR',
      nextState: 'Compensate',
      error: 'PresaleStepRejected',
    });
  });

  it('a mocked Map state answers as a whole; variables are visible and Assign reports them', async () => {
    const r = await test({
      definition: {
        Type: 'Map',
        ItemsPath: '$.xs',
        ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
        Assign: { 'count.$': 'States.ArrayLength($)', 'seen.$': '$prior' },
        End: true,
      },
      input: JSON.stringify({ xs: [1, 2] }),
      variables: JSON.stringify({ prior: 'yes' }),
      mock: { result: JSON.stringify([10, 20]) },
      inspectionLevel: 'DEBUG',
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(json(r.output)).toEqual([10, 20]);
    expect(json(r.inspectionData!.variables)).toEqual({ prior: 'yes', count: 2, seen: 'yes' });
  });

  it('a JSONata Task: afterArguments and the result', async () => {
    const r = await test({
      definition: {
        QueryLanguage: 'JSONata',
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:123456789012:function:add',
        Arguments: { a: '{% $states.input.x %}', b: 2 },
        Output: '{% $states.result.sum * 10 %}',
        End: true,
      },
      input: JSON.stringify({ x: 3 }),
      inspectionLevel: 'DEBUG',
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(json(r.output)).toBe(50);
    expect(json(r.inspectionData!.afterArguments)).toEqual({ a: 3, b: 2 });
    expect(json(r.inspectionData!.result)).toEqual({ sum: 5 });
    expect(r.inspectionData!.afterInputPath).toBeUndefined();
  });

  it('refuses what AWS refuses: a mock on a Pass, a Map or a callback task without a mock, an unknown state', async () => {
    const refused = async (input: Record<string, unknown>) => {
      const e = await test(input).catch((x: Error) => x);
      return e instanceof Error ? `${e.name}: ${e.message}` : 'accepted';
    };
    expect(await refused({ definition: { Type: 'Pass', End: true }, mock: { result: '{}' } })).toMatch(
      /^ValidationException: A mock can only be specified for Task, Map, or Parallel states/,
    );
    expect(
      await refused({
        definition: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          End: true,
        },
      }),
    ).toMatch(/^ValidationException: .*Map states only with a mock/);
    expect(
      await refused({
        definition: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { QueueUrl: 'q', MessageBody: 'm' },
          End: true,
        },
      }),
    ).toMatch(/waitForTaskToken integration patterns only with a mock/);
    expect(await refused({ definition: presale, stateName: 'Nope' })).toMatch(/State 'Nope' does not exist/);
    expect(await refused({ definition: { Type: 'Wait', Seconds: -1, End: true } })).toMatch(
      /^InvalidDefinition/,
    );
    expect(await refused({ definition: { Type: 'Pass', End: true }, context: '{}' })).toMatch(
      /context may only be specified with a mock/,
    );
  });

  it('a mocked callback task answers without waiting for a task token; a Wait does not wait', async () => {
    const r = await test({
      definition: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        Parameters: { QueueUrl: 'q', MessageBody: { 'token.$': '$$.Task.Token' } },
        End: true,
      },
      mock: { result: JSON.stringify({ approved: true }) },
    });
    expect(r).toMatchObject({ status: 'SUCCEEDED' });
    expect(json(r.output)).toEqual({ approved: true });
    const wait = await test({
      definition: { Type: 'Wait', Seconds: 86_400, Next: 'Later' },
      input: '{"a":1}',
    });
    expect(wait).toMatchObject({ status: 'SUCCEEDED', nextState: 'Later' });
  });
});
