import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SdkHarness } from './sdk.ts';
import { sdkHarness, sent } from './sdk.ts';

let h: SdkHarness;
let fails = 0;
const invoked: string[] = [];
beforeAll(async () => {
  h = await sdkHarness({
    lambdas: {
      echo: (p) => p,
      record: (p) => {
        invoked.push(String((p as { step: string }).step));
        return p;
      },
      failOnce: (p) => {
        if (fails++ === 0) throw Object.assign(new Error('first run fails'), { name: 'Flaky' });
        return p;
      },
    },
  });
});
afterAll(async () => {
  await h.close();
});

const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const role = 'arn:aws:iam::123456789012:role/test';
let n = 0;
const create = async (def: object, type: 'STANDARD' | 'EXPRESS' = 'STANDARD') =>
  (
    await h.client.send(
      new CreateStateMachineCommand({
        name: `api-${++n}`,
        definition: JSON.stringify(def),
        roleArn: role,
        type,
      }),
    )
  ).stateMachineArn!;
const err = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected an error');
};
const waitDef = { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100, End: true } } };

describe('state machine API', () => {
  it('CreateStateMachine validates and names the state and the reason', async () => {
    const e = await err(create({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }));
    expect(e.name).toBe('InvalidDefinition');
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect(e.message).toContain(
      "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/A/Next",
    );
    const e2 = await err(
      create({ StartAt: 'A', States: { A: { Type: 'Task', End: true }, B: { Type: 'Succeed' } } }),
    );
    expect(e2.message).toContain('"Resource" is required at /States/A/Resource');
    expect(e2.message).toContain('State "B" is not reachable');
    const e3 = await err(
      create({
        StartAt: 'A',
        States: { A: { Type: 'Pass', Parameters: { 'x.$': 'States.Nope(1)' }, End: true } },
      }),
    );
    expect(e3.message).toContain('/States/A/Parameters/x.$');
    const e4 = await err(
      create({
        StartAt: 'A',
        States: { A: { Type: 'Choice', Choices: [{ Variable: '$.a', NumericEquals: 'x', Next: 'A' }] } },
      }),
    );
    expect(e4.message).toContain('Invalid value for NumericEquals');
    const e5 = await err(
      create({
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: { A: { Type: 'Pass', OutputPath: '$', End: true } },
      }),
    );
    expect(e5.message).toContain('not supported for JSONata states');
  });

  it('Describe, List, Update, Delete', async () => {
    const arn = await create(waitDef);
    const d = await h.client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(d).toMatchObject({ stateMachineArn: arn, status: 'ACTIVE', type: 'STANDARD', roleArn: role });
    expect(d.creationDate).toBeInstanceOf(Date);
    const next = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const u = await h.client.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify(next) }),
    );
    expect(u.updateDate).toBeInstanceOf(Date);
    expect(
      JSON.parse(
        (await h.client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).definition!,
      ),
    ).toEqual(next);
    const l = await h.client.send(new ListStateMachinesCommand({}));
    expect(l.stateMachines!.some((s) => s.stateMachineArn === arn)).toBe(true);
    await h.client.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    const e = await err(h.client.send(new DescribeStateMachineCommand({ stateMachineArn: arn })));
    expect(e.name).toBe('StateMachineDoesNotExist');
  });
});

describe('executions API', () => {
  it('StartExecution dedupes by name as AWS documents for STANDARD', async () => {
    const sm = await create(waitDef);
    const a = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: sm, name: 'order-1', input: '{"a":1}' }),
    );
    const b = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: sm, name: 'order-1', input: '{"a":1}' }),
    );
    expect(b.executionArn).toBe(a.executionArn);
    expect(b.startDate!.getTime()).toBe(a.startDate!.getTime());
    const other = await err(
      h.client.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'order-1', input: '{"a":2}' })),
    );
    expect(other.name).toBe('ExecutionAlreadyExists');
    await h.settle(a.executionArn!);
    const closed = await err(
      h.client.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'order-1', input: '{"a":1}' })),
    );
    expect(closed.name).toBe('ExecutionAlreadyExists');
    const bad = await err(
      h.client.send(new StartExecutionCommand({ stateMachineArn: sm, input: '{not json' })),
    );
    expect(bad.name).toBe('InvalidExecutionInput');
    const missing = await err(h.client.send(new StartExecutionCommand({ stateMachineArn: `${sm}-nope` })));
    expect(missing.name).toBe('StateMachineDoesNotExist');
  });

  it('ListExecutions by status, StopExecution, DescribeExecution', async () => {
    const sm = await create(waitDef);
    const x1 = await h.client.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'a' }));
    const x2 = await h.client.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'b' }));
    await h.clock.advance(1);
    const stop = await h.client.send(
      new StopExecutionCommand({ executionArn: x1.executionArn, error: 'Manual', cause: 'test' }),
    );
    expect(stop.stopDate).toBeInstanceOf(Date);
    const d = await h.client.send(new DescribeExecutionCommand({ executionArn: x1.executionArn }));
    expect(d).toMatchObject({
      status: 'ABORTED',
      error: 'Manual',
      cause: 'test',
      redriveStatus: 'REDRIVABLE',
    });
    const running = await h.client.send(
      new ListExecutionsCommand({ stateMachineArn: sm, statusFilter: 'RUNNING' }),
    );
    expect(running.executions!.map((e) => e.executionArn)).toEqual([x2.executionArn]);
    const aborted = await h.client.send(
      new ListExecutionsCommand({ stateMachineArn: sm, statusFilter: 'ABORTED' }),
    );
    expect(aborted.executions!.map((e) => e.executionArn)).toEqual([x1.executionArn]);
    const page = await h.client.send(new ListExecutionsCommand({ stateMachineArn: sm, maxResults: 1 }));
    expect(page.executions).toHaveLength(1);
    expect(page.nextToken).toBeDefined();
    const missing = await err(
      h.client.send(new DescribeExecutionCommand({ executionArn: `${x1.executionArn}-nope` })),
    );
    expect(missing.name).toBe('ExecutionDoesNotExist');
  });

  it('GetExecutionHistory reports AWS event types and details', async () => {
    const r = await h.run({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'echo', Payload: { v: 1 } },
          TimeoutSeconds: 30,
          Next: 'W',
        },
        W: { Type: 'Wait', Seconds: 1, End: true },
      },
    });
    expect(r.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'ExecutionSucceeded',
    ]);
    const byType = Object.fromEntries(r.events.map((e) => [e.type, e]));
    expect(byType.ExecutionStarted!.executionStartedEventDetails).toMatchObject({
      input: '{}',
      roleArn: role,
    });
    expect(byType.TaskStateEntered!.stateEnteredEventDetails).toMatchObject({ name: 'T', input: '{}' });
    expect(byType.TaskScheduled!.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
      timeoutInSeconds: 30,
    });
    expect(
      JSON.parse((byType.TaskScheduled!.taskScheduledEventDetails as { parameters: string }).parameters),
    ).toEqual({ FunctionName: 'echo', Payload: { v: 1 } });
    expect(
      JSON.parse((byType.TaskSucceeded!.taskSucceededEventDetails as { output: string }).output).Payload,
    ).toEqual({ v: 1 });
    expect(r.events.map((e) => e.id)).toEqual(r.events.map((_, i) => i + 1));
    const rev = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn: r.arn, reverseOrder: true, maxResults: 2 }),
    );
    expect(rev.events!.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'WaitStateExited']);
    expect(rev.nextToken).toBeDefined();
  });

  it('StartSyncExecution runs an EXPRESS machine to completion', async () => {
    const sm = await create(
      {
        StartAt: 'P',
        States: { P: { Type: 'Pass', Parameters: { 'doubled.$': 'States.MathAdd($.n, $.n)' }, End: true } },
      },
      'EXPRESS',
    );
    const r = await h.client.send(new StartSyncExecutionCommand({ stateMachineArn: sm, input: '{"n":21}' }));
    expect(r.status).toBe('SUCCEEDED');
    expect(JSON.parse(r.output!)).toEqual({ doubled: 42 });
    expect(r.executionArn).toContain(':express:');
  });
});

describe('callbacks (.waitForTaskToken) and heartbeats', () => {
  const callbackDef = (extra: object = {}) => ({
    StartAt: 'Ask',
    States: {
      Ask: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        Parameters: {
          QueueUrl: 'approvals',
          MessageBody: { 'token.$': '$$.Task.Token', 'order.$': '$.order' },
        },
        ResultPath: '$.approval',
        ...extra,
        End: true,
      },
    },
  });
  const tokenFor = (order: string) =>
    sent
      .filter((m) => (m.params.MessageBody as { order: string }).order === order)
      .map((m) => (m.params.MessageBody as { token: string }).token);

  it('SendTaskSuccess resumes the execution with the output', async () => {
    const sm = await create(callbackDef());
    const x = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: sm, input: '{"order":"o-1"}' }),
    );
    await h.clock.advance(86_400 * 3); // waits for days
    expect((await h.client.send(new DescribeExecutionCommand({ executionArn: x.executionArn }))).status).toBe(
      'RUNNING',
    );
    const [token] = tokenFor('o-1');
    await h.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    const r = await h.settle(x.executionArn!);
    expect(r.output).toEqual({ order: 'o-1', approval: { approved: true } });
    expect(r.events.map((e) => e.type)).toContain('TaskSubmitted');
    const again = await err(h.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })));
    expect(again.name).toBe('TaskTimedOut');
    const invalid = await err(
      h.client.send(new SendTaskSuccessCommand({ taskToken: 'x'.repeat(5000), output: '{}' })),
    );
    expect(invalid.name).toBe('InvalidToken');
  });

  it('SendTaskFailure with Catch', async () => {
    const def = callbackDef({ Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.why', Next: 'No' }] });
    (def.States as Record<string, object>).No = { Type: 'Pass', End: true };
    const sm = await create(def);
    const x = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: sm, input: '{"order":"o-3"}' }),
    );
    await h.clock.advance(10);
    await h.client.send(
      new SendTaskFailureCommand({
        taskToken: tokenFor('o-3')[0],
        error: 'Rejected',
        cause: 'too expensive',
      }),
    );
    const r = await h.settle(x.executionArn!);
    expect(r.output).toEqual({ order: 'o-3', why: { Error: 'Rejected', Cause: 'too expensive' } });
  });

  it('HeartbeatSeconds: heartbeats keep the task alive; missing one is States.HeartbeatTimeout', async () => {
    const sm = await create(callbackDef({ HeartbeatSeconds: 60, TimeoutSeconds: 3600 }));
    const x = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: sm, input: '{"order":"o-4"}' }),
    );
    const [token] = tokenFor('o-4');
    for (let i = 0; i < 5; i++) {
      await h.clock.advance(50);
      await h.client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    expect((await h.client.send(new DescribeExecutionCommand({ executionArn: x.executionArn }))).status).toBe(
      'RUNNING',
    );
    await h.clock.advance(61);
    const r = await h.settle(x.executionArn!);
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.HeartbeatTimeout');
    expect(r.events.find((e) => e.type === 'TaskTimedOut')).toBeDefined();
  });
});

describe('nested executions and redrive', () => {
  it('states:startExecution.sync:2 waits for the child and returns its output', async () => {
    const child = await create({
      StartAt: 'W',
      States: {
        W: { Type: 'Wait', Seconds: 600, Next: 'P' },
        P: { Type: 'Pass', Parameters: { 'got.$': '$.v' }, End: true },
      },
    });
    const r = await h.run(
      {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: child, Input: { 'v.$': '$.v' } },
            OutputPath: '$.Output',
            Next: 'Fire',
          },
          Fire: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution',
            Parameters: { StateMachineArn: child, Input: { v: 0 } },
            ResultSelector: { 'ok.$': 'States.ArrayLength(States.Array($.ExecutionArn))' },
            ResultPath: '$.fired',
            End: true,
          },
        },
      },
      { v: 7 },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ got: 7, fired: { ok: 1 } });
    const kids = await h.client.send(new ListExecutionsCommand({ stateMachineArn: child }));
    expect(kids.executions).toHaveLength(2);
  });

  it('RedriveExecution restarts from the failed state without repeating what succeeded', async () => {
    const sm = await create({
      StartAt: 'One',
      States: {
        One: {
          Type: 'Task',
          Resource: fn('record'),
          Parameters: { step: 'one' },
          ResultPath: null,
          Next: 'Fan',
        },
        Fan: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Ok',
              States: {
                Ok: { Type: 'Task', Resource: fn('record'), Parameters: { step: 'branch-ok' }, End: true },
              },
            },
            {
              StartAt: 'Bad',
              States: {
                Bad: { Type: 'Task', Resource: fn('failOnce'), Parameters: { step: 'flaky' }, End: true },
              },
            },
          ],
          Next: 'Two',
        },
        Two: { Type: 'Task', Resource: fn('record'), Parameters: { step: 'two' }, End: true },
      },
    });
    const x = await h.client.send(new StartExecutionCommand({ stateMachineArn: sm }));
    const first = await h.settle(x.executionArn!);
    expect(first.status).toBe('FAILED');
    expect(first.error).toBe('Flaky');
    expect(invoked).toEqual(['one', 'branch-ok']);
    const rd = await h.client.send(new RedriveExecutionCommand({ executionArn: x.executionArn }));
    expect(rd.redriveDate).toBeInstanceOf(Date);
    const second = await h.settle(x.executionArn!);
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output).toEqual({ step: 'two' });
    const parallelExit = second.events.filter((e) => e.type === 'ParallelStateExited').pop() as {
      stateExitedEventDetails: { output: string };
    };
    expect(JSON.parse(parallelExit.stateExitedEventDetails.output)).toEqual([
      { step: 'branch-ok' },
      { step: 'flaky' },
    ]);
    expect(invoked).toEqual(['one', 'branch-ok', 'two']);
    expect(second.events.map((e) => e.type)).toContain('ExecutionRedriven');
    const d = await h.client.send(new DescribeExecutionCommand({ executionArn: x.executionArn }));
    expect(d.redriveCount).toBe(1);
    const notAgain = await err(h.client.send(new RedriveExecutionCommand({ executionArn: x.executionArn })));
    expect(notAgain.name).toBe('ExecutionNotRedrivable');
  });
});
