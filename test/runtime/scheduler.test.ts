import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';
import { type RuntimeProcess, spawnRuntime } from '../support/runtime-process.ts';

/**
 * The EventBridge Scheduler API on the local runtime, with the fixture app's timers (the SLA's
 * adapter in a function): requests told apart from the app's routes by their SigV4 scope, over
 * loopback HTTP (the SDK in this test) and over the sandboxes' in-process transport (the function
 * creating and deleting its schedules); schedules firing on the virtual clock into the function;
 * deletion after completion; the dead-letter queue; the assembly's schedule group and schedule;
 * and, in a child process killed with SIGKILL, schedules surviving the crash.
 */
const GROUP = 'fixture-timers';
const TIMERS = 'arn:aws:lambda:us-east-1:000000000000:function:fixture-timers';
const ROLE_PATTERN = /^arn:aws:iam::000000000000:role\/fixture-TimerInvoker/;
const DLQ = 'arn:aws:sqs:us-east-1:000000000000:fixture-timers-dlq';

let runtime: Runtime;
let dataDir: string;
const lines: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-scheduler-'));
  runtime = await startRuntime({
    assemblyDir: inject('fixtureAssembly'),
    dataDir,
    port: 0,
    clock: 'virtual',
    log: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sdk = (url = runtime.url) => ({
  endpoint: url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
});
const post = (url: string, path: string, body: unknown = {}) =>
  fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
const now = async (url = runtime.url) =>
  Date.parse(((await (await fetch(`${url}/_local/clock`)).json()) as { now: string }).now);
/** `at()` text `seconds` after `t` (whole seconds, UTC). */
const atText = (t: number, seconds: number) => new Date(t + seconds * 1000).toISOString().slice(0, 19);

/** What the timers function recorded: promise id → the inputs it was invoked with. */
async function fired(url = runtime.url): Promise<Map<string, Array<Record<string, unknown>>>> {
  const ddb = new DynamoDBClient(sdk(url));
  const { TableNames = [] } = await ddb.send(new ListTablesCommand({}));
  const { Items = [] } = await ddb.send(new ScanCommand({ TableName: TableNames[0]! }));
  ddb.destroy();
  const out = new Map<string, Array<Record<string, unknown>>>();
  for (const item of Items) {
    if (!item.pk?.S?.startsWith('timer#')) continue;
    const id = item.pk.S.slice('timer#'.length);
    out.set(id, [...(out.get(id) ?? []), JSON.parse(item.input!.S!) as Record<string, unknown>]);
  }
  return out;
}

/** Asks the timers function (through the bus) to set or cancel a timer; resolves once it has. */
async function ask(url: string, detail: Record<string, unknown>) {
  const events = new EventBridgeClient(sdk(url));
  const put = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'fixture-bus',
          Source: 'fixture',
          DetailType: 'Timer',
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  events.destroy();
  expect(put.FailedEntryCount).toBe(0);
  expect((await post(url, '/_local/settle')).status).toBe(200);
}

const errorName = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  return 'no error';
};

describe('the Scheduler API on the runtime port', () => {
  it('is routed by the SigV4 scope, beside the app routes, behind the Host and Origin checks', async () => {
    const scheduler = new SchedulerClient(sdk());
    const group = await scheduler.send(new GetScheduleGroupCommand({ Name: GROUP }));
    expect(group).toMatchObject({ Name: GROUP, State: 'ACTIVE' });
    expect(group.Arn).toBe(`arn:aws:scheduler:us-east-1:000000000000:schedule-group/${GROUP}`);
    // The same path without a Scheduler signature is the app's HTTP API (no such route).
    const unsigned = await fetch(`${runtime.url}/schedule-groups/${GROUP}`);
    expect(unsigned.status).toBe(404);
    expect(await unsigned.json()).toEqual({ message: 'Not Found' });

    const signed = {
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20261201/us-east-1/scheduler/aws4_request, SignedHeaders=host, Signature=0',
    };
    const fromPage = await fetch(`${runtime.url}/schedule-groups/${GROUP}`, {
      headers: { ...signed, origin: 'http://evil.example' },
    });
    expect(fromPage.status).toBe(403);
    expect(fromPage.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(((await fromPage.json()) as { Message: string }).Message).toMatch(
      /Origin "http:\/\/evil.example"/,
    );
    // fetch() will not send another Host: a raw request, as a rebound page's would be.
    const rebound = await new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
      const url = new URL(runtime.url);
      request(
        {
          host: url.hostname,
          port: url.port,
          path: `/schedule-groups/${GROUP}`,
          headers: { ...signed, host: `storeflow.evil.example:${url.port}` },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode!, type: res.headers['x-amzn-errortype'] as string | undefined });
        },
      )
        .on('error', reject)
        .end();
    });
    expect(rebound).toEqual({ status: 403, type: 'AccessDeniedException' });
    // Well signed or not, the runtime answers a Scheduler request (it does not check signatures).
    const plain = await fetch(`${runtime.url}/schedule-groups/${GROUP}`, { headers: signed });
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { Name: string }).Name).toBe(GROUP);
    scheduler.destroy();
  });

  it('shows the assembly schedule, read-only', async () => {
    const scheduler = new SchedulerClient(sdk());
    const nightly = await scheduler.send(
      new GetScheduleCommand({ Name: 'fixture-nightly', GroupName: GROUP }),
    );
    expect(nightly).toMatchObject({
      Arn: `arn:aws:scheduler:us-east-1:000000000000:schedule/${GROUP}/fixture-nightly`,
      GroupName: GROUP,
      ScheduleExpression: 'cron(0 3 * * ? *)',
      State: 'DISABLED',
      Description: 'declared in the template, disabled',
      Target: { Arn: TIMERS, Input: '{"promiseId":"nightly","timer":"nightly"}' },
    });
    expect(nightly.Target!.RoleArn).toMatch(ROLE_PATTERN);
    expect(
      await errorName(
        scheduler.send(new DeleteScheduleCommand({ Name: 'fixture-nightly', GroupName: GROUP })),
      ),
    ).toBe('ConflictException');
    expect(
      await errorName(
        scheduler.send(
          new UpdateScheduleCommand({
            Name: 'fixture-nightly',
            GroupName: GROUP,
            ScheduleExpression: 'rate(1 minute)',
            FlexibleTimeWindow: { Mode: 'OFF' },
            Target: { Arn: TIMERS, RoleArn: nightly.Target!.RoleArn },
          }),
        ),
      ),
    ).toBe('ConflictException');
    scheduler.destroy();
  });

  it('a function sets, re-sets and cancels timers in-process; they fire on the clock with their Input, then are gone', async () => {
    const t = await now();
    const at = atText(t, 3600);
    await ask(runtime.url, { action: 'set', name: 'deadline-a', at: `${at}.000Z`, promiseId: 'a' });
    // A retried step sets it again: ConflictException, tolerated by the adapter.
    await ask(runtime.url, { action: 'set', name: 'deadline-a', at: `${at}.000Z`, promiseId: 'a' });
    await ask(runtime.url, { action: 'set', name: 'deadline-b', at: `${at}.000Z`, promiseId: 'b' });
    await ask(runtime.url, { action: 'cancel', name: 'deadline-b' });
    // Cancelled twice: ResourceNotFoundException, tolerated too.
    await ask(runtime.url, { action: 'cancel', name: 'deadline-b' });
    expect(lines.filter((l) => /function fixture-timers failed/.test(l))).toEqual([]);

    const scheduler = new SchedulerClient(sdk());
    const a = await scheduler.send(new GetScheduleCommand({ Name: 'deadline-a', GroupName: GROUP }));
    expect(a).toMatchObject({
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: TIMERS,
        Input: '{"promiseId":"a","timer":"deadline"}',
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: DLQ },
      },
    });
    expect(a.CreationDate).toEqual(new Date(t));
    const { Schedules = [] } = await scheduler.send(new ListSchedulesCommand({ GroupName: GROUP }));
    expect(Schedules.map((s) => s.Name)).toEqual(['deadline-a', 'fixture-nightly']);

    expect((await post(runtime.url, '/_local/clock/advance', { seconds: 3599 })).status).toBe(200);
    expect((await fired()).get('a')).toBeUndefined();
    expect((await post(runtime.url, '/_local/clock/advance', { seconds: 1 })).status).toBe(200);
    expect((await fired()).get('a')).toEqual([{ promiseId: 'a', timer: 'deadline' }]);
    expect((await fired()).get('b')).toBeUndefined();
    // ActionAfterCompletion DELETE: gone once its invocation is handed over.
    expect(
      await errorName(scheduler.send(new GetScheduleCommand({ Name: 'deadline-a', GroupName: GROUP }))),
    ).toBe('ResourceNotFoundException');
    await post(runtime.url, '/_local/clock/advance', { seconds: 86_400 });
    expect((await fired()).get('a')).toHaveLength(1);
    scheduler.destroy();
  });

  it('substitutes context attributes; a failing hand-over is retried per RetryPolicy, then dead-lettered', async () => {
    const t = await now();
    const scheduler = new SchedulerClient(sdk());
    const role = (await scheduler.send(new GetScheduleCommand({ Name: 'fixture-nightly', GroupName: GROUP })))
      .Target!.RoleArn!;
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'with-context',
        GroupName: GROUP,
        ScheduleExpression: `at(${atText(t, 60)})`,
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: TIMERS,
          RoleArn: role,
          Input:
            '{"promiseId":"ctx","arn":"<aws.scheduler.schedule-arn>","at":"<aws.scheduler.scheduled-time>","n":<aws.scheduler.attempt-number>}',
        },
      }),
    );
    // A queue that does not exist: every hand-over fails; 2 retries (1 s, then 2 s), then the DLQ.
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'to-nowhere',
        GroupName: GROUP,
        ScheduleExpression: `at(${atText(t, 60)})`,
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: 'arn:aws:sqs:us-east-1:000000000000:no-such-queue',
          RoleArn: role,
          Input: 'deadline passed',
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: DLQ },
        },
      }),
    );
    // A function that is not in the app: not retried (as on AWS), straight to the DLQ.
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'no-function',
        GroupName: GROUP,
        ScheduleExpression: `at(${atText(t, 60)})`,
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: 'arn:aws:lambda:us-east-1:000000000000:function:missing',
          RoleArn: role,
          Input: '{}',
          DeadLetterConfig: { Arn: DLQ },
        },
      }),
    );
    expect((await post(runtime.url, '/_local/clock/advance', { seconds: 60 })).status).toBe(200);
    expect((await fired()).get('ctx')).toEqual([
      {
        promiseId: 'ctx',
        arn: `arn:aws:scheduler:us-east-1:000000000000:schedule/${GROUP}/with-context`,
        at: `${atText(t, 60)}Z`,
        n: 1,
      },
    ]);
    // The dead-letter queue, read with SQS's JSON protocol.
    const receive = async () => {
      const res = await fetch(runtime.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'AmazonSQS.ReceiveMessage',
        },
        body: JSON.stringify({
          QueueUrl: 'http://sqs.us-east-1.localhost/000000000000/fixture-timers-dlq',
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
        }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as {
        Messages?: Array<{ Body: string; MessageAttributes?: Record<string, { StringValue?: string }> }>;
      };
    };
    const first = await receive();
    expect(first.Messages?.map((m) => m.Body)).toEqual(['{}']);
    expect(first.Messages![0]!.MessageAttributes).toMatchObject({
      SCHEDULE_ARN: { StringValue: `arn:aws:scheduler:us-east-1:000000000000:schedule/${GROUP}/no-function` },
      TARGET_ARN: { StringValue: 'arn:aws:lambda:us-east-1:000000000000:function:missing' },
      ERROR_CODE: { StringValue: 'NO_RESOURCE' },
      RETRY_ATTEMPTS: { StringValue: '0' },
    });
    expect(
      await errorName(scheduler.send(new GetScheduleCommand({ Name: 'to-nowhere', GroupName: GROUP }))),
    ).toBe('no error');
    expect((await post(runtime.url, '/_local/clock/advance', { seconds: 3 })).status).toBe(200);
    const second = await receive();
    expect(second.Messages?.map((m) => m.Body)).toEqual(['deadline passed']);
    const attributes = Object.fromEntries(
      Object.entries(second.Messages![0]!.MessageAttributes!).map(([k, v]) => [k, v.StringValue]),
    );
    expect(attributes).toEqual({
      SCHEDULE_ARN: `arn:aws:scheduler:us-east-1:000000000000:schedule/${GROUP}/to-nowhere`,
      TARGET_ARN: 'arn:aws:sqs:us-east-1:000000000000:no-such-queue',
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: expect.stringMatching(/no-such-queue/),
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '2',
    });
    // DELETE after completion applies after the last unsuccessful attempt too.
    expect(
      await errorName(scheduler.send(new GetScheduleCommand({ Name: 'to-nowhere', GroupName: GROUP }))),
    ).toBe('ResourceNotFoundException');
    scheduler.destroy();
  });
});

describe('Scheduler schedules across kill -9', () => {
  const running: RuntimeProcess[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) if (r.child.exitCode === null) await r.kill9();
  });

  it('a schedule created before the crash fires once after it; a deleted one never', async () => {
    const data = mkdtempSync(join(tmpdir(), 'storeflow-scheduler-crash-'));
    try {
      const args = ['--assembly', inject('fixtureAssembly'), '--data', data, '--clock', 'virtual', '--quiet'];
      const first = await spawnRuntime(args);
      running.push(first);
      const t = await now(first.url);
      const at = (seconds: number) => `${atText(t, seconds)}.000Z`;
      await ask(first.url, { action: 'set', name: 'crash-early', at: at(1800), promiseId: 'early' });
      await ask(first.url, { action: 'set', name: 'crash-kept', at: at(3600), promiseId: 'kept' });
      await ask(first.url, { action: 'set', name: 'crash-cancelled', at: at(3600), promiseId: 'cancelled' });
      await ask(first.url, { action: 'cancel', name: 'crash-cancelled' });
      expect((await post(first.url, '/_local/clock/advance', { seconds: 2700 })).status).toBe(200);
      expect([...(await fired(first.url)).keys()]).toEqual(['early']);
      await first.kill9();

      const second = await spawnRuntime(args);
      running.push(second);
      const scheduler = new SchedulerClient(sdk(second.url));
      const { Schedules = [] } = await scheduler.send(new ListSchedulesCommand({ GroupName: GROUP }));
      expect(Schedules.map((s) => s.Name)).toEqual(['crash-kept', 'fixture-nightly']);
      expect((await post(second.url, '/_local/clock/advance', { seconds: 7200 })).status).toBe(200);
      const after = await fired(second.url);
      expect(after.get('early')).toHaveLength(1);
      expect(after.get('kept')).toEqual([{ promiseId: 'kept', timer: 'deadline' }]);
      expect(after.get('cancelled')).toBeUndefined();
      expect(
        await errorName(scheduler.send(new GetScheduleCommand({ Name: 'crash-kept', GroupName: GROUP }))),
      ).toBe('ResourceNotFoundException');
      scheduler.destroy();
      expect(await second.stop()).toBe(0);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 90_000);
});
