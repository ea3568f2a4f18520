import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * The runtime's own fixture app (test/fixtures/app): an event on a custom bus starts a Standard
 * workflow through a rule; the workflow waits an hour on the virtual clock; an hourly rule
 * schedule invokes a function asynchronously.
 */
let runtime: Runtime;
let dataDir: string;
const lines: string[] = [];
const FLOW = 'arn:aws:states:us-east-1:000000000000:stateMachine:fixture-flow';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-fixture-'));
  // a mock configuration, as `storeflow dev --mock-config` loads it (Step Functions Local's format)
  const mockConfig = join(dataDir, 'mocks.json');
  writeFileSync(
    mockConfig,
    JSON.stringify({
      StateMachines: { 'fixture-flow': { TestCases: { StepOneDown: { StepOne: 'Down' } } } },
      MockedResponses: {
        Down: { '0': { Throw: { Error: 'Lambda.ServiceException', Cause: 'mocked outage' } } },
      },
    }),
  );
  runtime = await startRuntime({
    assemblyDir: inject('fixtureAssembly'),
    dataDir,
    port: 0,
    clock: 'virtual',
    mockConfig,
    log: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sdk = () => ({
  endpoint: runtime.url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const advance = (seconds: number) =>
  fetch(`${runtime.url}/_local/clock/advance`, { method: 'POST', body: JSON.stringify({ seconds }) });

async function items(): Promise<string[]> {
  const ddb = new DynamoDBClient(sdk());
  const { TableNames = [] } = await ddb.send(new ListTablesCommand({}));
  const { Items = [] } = await ddb.send(new ScanCommand({ TableName: TableNames[0]! }));
  return Items.map((i) => `${i.pk?.S} ${i.sk?.S?.replace(/#[0-9a-f-]{36}$/, '')}`).sort();
}

describe('a workflow app on the local runtime', () => {
  it('loads the workflow, the rules and the schedule', () => {
    expect(runtime.summary.workflows).toEqual(['fixture-flow']);
    expect(runtime.summary.rules).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/StartFlow/),
        expect.stringMatching(/Hourly.*\(rate\(1 hour\)\)/),
      ]),
    );
  });

  it('starts the workflow from an event, holds it at the wait until the clock reaches it, then finishes', async () => {
    const put = await new EventBridgeClient(sdk()).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'fixture-bus',
            Source: 'fixture',
            DetailType: 'Start',
            Detail: JSON.stringify({ run: 'flow-1', slowMs: 0 }),
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    await fetch(`${runtime.url}/_local/settle`, { method: 'POST' });
    const sfn = new SFNClient(sdk());
    const [execution] =
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: FLOW }))).executions ?? [];
    expect(execution?.status).toBe('RUNNING');
    expect(await items()).toEqual(['flow-1 effect#one', 'flow-1 started#one']);

    expect((await advance(3599)).status).toBe(200);
    expect(await items()).not.toContain('flow-1 effect#two');
    expect((await advance(1)).status).toBe(200);
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: execution!.executionArn! }));
    expect(done.status).toBe('SUCCEEDED');
    expect(await items()).toEqual(
      expect.arrayContaining(['flow-1 effect#one', 'flow-1 effect#two', 'flow-1 started#two']),
    );
    // the stream shows the run's transitions
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^run fixture-flow\/\S+ started$/),
        expect.stringMatching(/^run fixture-flow\/\S+ → WaitAnHour \(Wait\)$/),
        expect.stringMatching(/^run fixture-flow\/\S+ succeeded$/),
      ]),
    );
  });

  it('fires the hourly rule schedule on the virtual clock, once per hour', async () => {
    const hourly = (await items()).filter((i) => i.startsWith('hourly effect#'));
    await advance(3600);
    const after = (await items()).filter((i) => i.startsWith('hourly effect#'));
    expect(after.length).toBe(hourly.length + 1);
  });

  it('runs a test case of the mock configuration: <stateMachineArn>#<test case>, no real call', async () => {
    const before = await items();
    const sfn = new SFNClient(sdk());
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `${FLOW}#StepOneDown`,
        input: JSON.stringify({ run: 'mocked-1', slowMs: 0 }),
      }),
    );
    await fetch(`${runtime.url}/_local/settle`, { method: 'POST' });
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(d).toMatchObject({ status: 'FAILED', error: 'Lambda.ServiceException', cause: 'mocked outage' });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'ExecutionFailed',
    ]);
    expect((await items()).filter((i) => i.startsWith('mocked-1'))).toEqual([]);
    expect(await items()).toEqual(before);
  });
});
