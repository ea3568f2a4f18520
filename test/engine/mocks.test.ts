/**
 * Mocked service integrations in AWS Step Functions Local's mock configuration format (developer
 * guide, "Using mocked service integrations for testing in Step Functions Local": `StateMachines` →
 * `TestCases` → state → mocked response; `MockedResponses` keyed by invocation "0", "1-2", with
 * `Return` or `Throw`; an execution runs a test case when started on `<stateMachineArn>#<test case>`),
 * through @aws-sdk/client-sfn, on the presale order workflow as CDK synthesizes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presaleStateMachine } from '#test/support/presale-definition';
import { createEngine, FileStore, MockConfig, VirtualClock } from '../../local/engine/index.ts';
import type { SdkHarness } from './sdk.ts';
import { sdkHarness } from './sdk.ts';

const STEP = 'arn:aws:lambda:us-east-1:000000000000:function:PresaleOrderStep';
const realCalls: unknown[] = [];

const config = {
  StateMachines: {
    'presale-order': {
      TestCases: {
        RetryThenReject: { TakeUnit: 'TransientThenRejected', RecordRejection: 'Ok' },
        Rejected: { TakeUnit: 'Rejected', RecordRejection: 'Ok' },
        StepRejected: { TakeUnit: 'StepRejected', Compensate: 'Ok' },
        TooFewAnswers: { TakeUnit: 'OneTransient' },
        RealRejection: { TakeUnit: 'Rejected' },
      },
    },
  },
  MockedResponses: {
    TransientThenRejected: {
      '0-1': { Throw: { Error: 'Lambda.ServiceException', Cause: 'throttled' } },
      '2': { Return: { accepted: false, reason: 'SOLD_OUT' } },
    },
    Rejected: { '0': { Return: { accepted: false, reason: 'SOLD_OUT' } } },
    StepRejected: { '0': { Throw: { Error: 'PresaleStepRejected', Cause: 'deposit window closed' } } },
    OneTransient: { '0': { Throw: { Error: 'Lambda.ServiceException', Cause: 'throttled' } } },
    Ok: { '0': { Return: { recorded: true } } },
  },
};

let h: SdkHarness;
let arn: string;
beforeAll(async () => {
  h = await sdkHarness({
    lambdas: {
      PresaleOrderStep: (p) => {
        realCalls.push(p);
        return { recorded: 'for real' };
      },
    },
  });
  h.engine.setMockConfig(MockConfig.parse(config));
  const sm = await h.client.send(
    new CreateStateMachineCommand({
      name: 'presale-order',
      definition: presaleStateMachine(STEP).definition,
      roleArn: 'arn:aws:iam::123456789012:role/test',
    }),
  );
  arn = sm.stateMachineArn!;
});
afterAll(async () => {
  await h.close();
});

const start = async (testCase: string, input: unknown = { deposit: { amount: 5000 } }) => {
  const ex = await h.client.send(
    new StartExecutionCommand({ stateMachineArn: `${arn}#${testCase}`, input: JSON.stringify(input) }),
  );
  return h.settle(ex.executionArn!);
};
const types = (r: { events: { type?: string }[] }) => r.events.map((e) => e.type);

describe('mocked integrations (Step Functions Local mock configuration)', () => {
  it('a retry path driven by a mocked error sequence: two throttles, then the answer', async () => {
    const before = realCalls.length;
    const r = await start('RetryThenReject');
    expect(r.status).toBe('SUCCEEDED');
    expect(realCalls.length).toBe(before);
    const take = types(r).slice(1, types(r).indexOf('TaskStateExited') + 1);
    expect(take).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
    const failed = r.events.filter((e) => e.type === 'LambdaFunctionFailed');
    expect(failed.map((e) => e.lambdaFunctionFailedEventDetails)).toEqual([
      { error: 'Lambda.ServiceException', cause: 'throttled' },
      { error: 'Lambda.ServiceException', cause: 'throttled' },
    ]);
    // the mocked answer then takes the Choice to the rejection branch
    const entered = r.events.filter((e) => e.type?.endsWith('StateEntered'));
    expect(entered.map((e) => (e.stateEnteredEventDetails as { name: string }).name)).toEqual([
      'TakeUnit',
      'DepositAccepted?',
      'RecordRejection',
      'Rejected',
    ]);
  });

  it('a Choice branch taken through a mocked result', async () => {
    const r = await start('Rejected');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({
      deposit: { amount: 5000 },
      take: { accepted: false, reason: 'SOLD_OUT' },
      result: { recorded: true },
    });
    const choice = r.events.find((e) => e.type === 'ChoiceStateExited')!;
    const next = r.events[r.events.indexOf(choice) + 1]!;
    expect((next.stateEnteredEventDetails as { name: string }).name).toBe('RecordRejection');
  });

  it('a mocked error no retrier takes goes to the Catch (compensation mocked too)', async () => {
    const r = await start('StepRejected');
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('PresaleOrderFailed');
    expect(r.output).toBeUndefined();
    const entered = r.events.filter((e) => e.type?.endsWith('StateEntered'));
    expect(entered.map((e) => (e.stateEnteredEventDetails as { name: string }).name)).toEqual([
      'TakeUnit',
      'Compensate',
      'Failed',
    ]);
  });

  it('states the test case does not name run for real', async () => {
    const before = realCalls.length;
    const r = await start('RealRejection');
    expect(r.status).toBe('SUCCEEDED');
    expect(realCalls.length).toBe(before + 1);
    expect(realCalls.at(-1)).toMatchObject({ step: 'reject' });
  });

  it('an invocation the mocked response has no entry for fails the execution with States.Runtime', async () => {
    const r = await start('TooFewAnswers');
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Runtime');
    expect(r.cause).toBe(
      "No mocked response defined for attempt 1 of state 'TakeUnit' in test case 'TooFewAnswers'",
    );
  });

  it('an unknown test case is refused at StartExecution; a bare trailing # runs without mocks', async () => {
    const e = await h.client
      .send(new StartExecutionCommand({ stateMachineArn: `${arn}#Nope`, input: '{}' }))
      .catch((x: Error) => x);
    expect((e as Error).name).toBe('ValidationException');
    expect((e as Error).message).toBe(
      "The mock configuration has no test case 'Nope' for state machine 'presale-order'",
    );
    const plain = await h.client.send(
      new StartExecutionCommand({
        stateMachineArn: `${arn}#`,
        input: JSON.stringify({ deposit: { amount: 1 } }),
      }),
    );
    expect(plain.executionArn).toMatch(/:execution:presale-order:/);
  });

  it('checks the configuration, naming the field and the reason', () => {
    const bad = (c: unknown) => {
      try {
        MockConfig.parse(c);
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad({ StateMachines: {}, MockedResponses: { R: { first: { Return: 1 } } } })).toBe(
      'mock configuration: MockedResponses.R.first: attempt keys are "n" or "n-m"',
    );
    expect(
      bad({ StateMachines: {}, MockedResponses: { R: { '0': { Return: 1, Throw: { Error: 'E' } } } } }),
    ).toBe(
      'mock configuration: MockedResponses.R.0: a mocked response step has exactly one of Return and Throw',
    );
    expect(bad({ StateMachines: { S: { TestCases: { T: { A: 'Missing' } } } }, MockedResponses: {} })).toBe(
      'StateMachines.S.TestCases.T.A: no MockedResponses entry named "Missing"',
    );
    expect(bad({ StateMachines: {}, MockedResponses: { R: { '0': { Throw: { Cause: 'c' } } } } })).toMatch(
      /^mock configuration: MockedResponses\.R\.0\.Throw\.Error: /,
    );
  });

  it('a test case survives a restart: the execution resumes with its mocks and invocation counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sfn-mocks-'));
    const mocks = MockConfig.parse({
      StateMachines: { waits: { TestCases: { T: { Call: 'Seq' } } } },
      MockedResponses: { Seq: { '0': { Return: { n: 'first' } }, '1': { Return: { n: 'second' } } } },
    });
    const definition = JSON.stringify({
      StartAt: 'Call',
      States: {
        Call: { Type: 'Task', Resource: STEP, ResultPath: '$.last', Next: 'Again?' },
        'Again?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.last.n', StringEquals: 'first', Next: 'Pause' }],
          Default: 'Done',
        },
        Pause: { Type: 'Wait', Seconds: 3600, Next: 'Call' },
        Done: { Type: 'Succeed' },
      },
    });
    try {
      const clock = new VirtualClock();
      const unmocked = async () => {
        throw new Error('the mocked state must not be called');
      };
      const first = await createEngine({
        store: new FileStore(dir),
        clock,
        taskHandler: unmocked,
        mockConfig: mocks,
      });
      const { stateMachineArn } = await first.createStateMachine({ name: 'waits', definition });
      const { executionArn } = await first.startExecution({
        stateMachineArn: `${stateMachineArn}#T`,
        input: '{}',
      });
      await clock.advance(60);
      expect((await first.describeExecution({ executionArn })).status).toBe('RUNNING');
      await first.close();
      const second = await createEngine({
        store: new FileStore(dir),
        clock,
        taskHandler: unmocked,
        mockConfig: mocks,
      });
      await clock.advance(3600);
      const d = await second.describeExecution({ executionArn });
      expect(d.status).toBe('SUCCEEDED');
      expect(JSON.parse(d.output!)).toEqual({ last: { n: 'second' } });
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
