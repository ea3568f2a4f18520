/**
 * The EventBridge Scheduler API of the local EventBridge (local/eventbridge/scheduler.ts) driven by the real
 * `@aws-sdk/client-scheduler` over HTTP: every operation and the errors the SDK raises by name, paging, the
 * schedules running on the bus's virtual clock (context attributes, ActionAfterCompletion, retries and the DLQ,
 * UpdateSchedule, DISABLED), their durability across a restart, and validation as pure functions.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  paginateListSchedules,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../local/engine/clock.ts';
import {
  createEventBridge,
  type DeliveryInfo,
  type LocalEventBridge,
  type SchedulerScheduleSpec,
} from '../../local/eventbridge/bus.ts';
import { DefinitionFile } from '../../local/eventbridge/definitions.ts';
import { keyHash, PARK_AFTER_MS } from '../../local/eventbridge/parked.ts';
import { scheduleFromRequest, validateName } from '../../local/eventbridge/scheduler.ts';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const T0 = Date.parse('2026-11-30T00:00:00.000Z');
const FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:deadline`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/scheduler-invokes`;
const DLQ = `arn:aws:sqs:${REGION}:${ACCOUNT}:timers-dlq`;
const arnOf = (group: string, name: string) =>
  `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${group}/${name}`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Harness {
  bus: LocalEventBridge;
  clock: VirtualClock;
  client: SchedulerClient;
  calls: Array<{ arn: string; payload: unknown; info: DeliveryInfo; at: number }>;
  dead: Array<{ queue: string; body: string; attributes: Record<string, string> }>;
  logs: string[];
  dir: string;
  close(): Promise<void>;
}
const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

/** A bus with the `timers` group and the Scheduler API on a loopback HTTP server, and an SDK client for it. */
async function start(
  options: {
    dir?: string;
    clock?: VirtualClock;
    fail?: (arn: string) => boolean;
    schedules?: SchedulerScheduleSpec[];
    compactEvery?: number;
  } = {},
): Promise<Harness> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'scheduler-'));
  if (!options.dir) dirs.push(dir);
  const clock = options.clock ?? new VirtualClock(T0);
  const calls: Harness['calls'] = [];
  const dead: Harness['dead'] = [];
  const logs: string[] = [];
  const bus = await createEventBridge({
    dir,
    clock,
    region: REGION,
    account: ACCOUNT,
    buses: [],
    rules: [],
    archives: [],
    schedules: options.schedules ?? [],
    scheduleGroups: [{ name: 'timers', arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/timers` }],
    deliver: async (arn, payload, info) => {
      calls.push({ arn, payload: JSON.parse(payload), info, at: clock.now() });
      if (options.fail?.(arn)) throw new Error('target unavailable');
    },
    sendToDeadLetter: async (queue, body, attributes) => {
      dead.push({ queue, body, attributes });
    },
    log: (line) => logs.push(line),
    fsync: false,
    ...(options.compactEvery ? { compactEvery: options.compactEvery } : {}),
  });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const reply = await bus.scheduler.handle(req.method!, req.url!, Buffer.concat(chunks));
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new SchedulerClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const h: Harness = {
    bus,
    clock,
    client,
    calls,
    dead,
    logs,
    dir,
    async close() {
      client.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await bus.close();
    },
  };
  open.push(h);
  return h;
}

/** What the SLA deadline timers send (adapters/scheduler/deadline-timers.ts). */
const timer = (
  name: string,
  at: string,
  extra: Partial<CreateScheduleCommandInput> = {},
): CreateScheduleCommandInput => ({
  Name: name,
  GroupName: 'timers',
  ScheduleExpression: `at(${at})`,
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' },
  ActionAfterCompletion: 'DELETE',
  Target: {
    Arn: FN,
    RoleArn: ROLE,
    Input: JSON.stringify({ promiseId: name, timer: 'deadline' }),
    RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
    DeadLetterConfig: { Arn: DLQ },
  },
  ...extra,
});

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata.httpStatusCode, message: err.message };
  }
  throw new Error('expected the call to fail');
};

describe('the Scheduler API through the SDK', () => {
  it('creates, gets, lists, updates and deletes a one-time schedule', async () => {
    const h = await start();
    const created = await h.client.send(new CreateScheduleCommand(timer('p-1', '2026-12-01T18:05:00')));
    expect(created.ScheduleArn).toBe(arnOf('timers', 'p-1'));

    const got = await h.client.send(new GetScheduleCommand({ Name: 'p-1', GroupName: 'timers' }));
    expect(got).toMatchObject({
      Arn: arnOf('timers', 'p-1'),
      Name: 'p-1',
      GroupName: 'timers',
      ScheduleExpression: 'at(2026-12-01T18:05:00)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: FN,
        RoleArn: ROLE,
        Input: '{"promiseId":"p-1","timer":"deadline"}',
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: DLQ },
      },
    });
    expect(got.CreationDate).toEqual(new Date(T0));
    expect(got.LastModificationDate).toEqual(new Date(T0));

    await h.clock.advance(60);
    await h.client.send(
      new UpdateScheduleCommand({
        Name: 'p-1',
        GroupName: 'timers',
        ScheduleExpression: 'at(2026-12-02T09:00:00)',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
        Target: { Arn: FN, RoleArn: ROLE },
      }),
    );
    const updated = await h.client.send(new GetScheduleCommand({ Name: 'p-1', GroupName: 'timers' }));
    // UpdateSchedule replaces everything: what it leaves out is back to its default.
    expect(updated).toMatchObject({
      ScheduleExpression: 'at(2026-12-02T09:00:00)',
      ActionAfterCompletion: 'NONE',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      Target: {
        Arn: FN,
        RoleArn: ROLE,
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      },
    });
    expect(updated.ScheduleExpressionTimezone).toBeUndefined();
    expect(updated.Target?.Input).toBeUndefined();
    expect(updated.CreationDate).toEqual(new Date(T0));
    expect(updated.LastModificationDate).toEqual(new Date(T0 + 60_000));

    const listed = await h.client.send(new ListSchedulesCommand({ GroupName: 'timers' }));
    expect(listed.Schedules).toEqual([
      {
        Arn: arnOf('timers', 'p-1'),
        Name: 'p-1',
        GroupName: 'timers',
        State: 'ENABLED',
        CreationDate: new Date(T0),
        LastModificationDate: new Date(T0 + 60_000),
        Target: { Arn: FN },
      },
    ]);
    expect(listed.NextToken).toBeUndefined();

    await h.client.send(new DeleteScheduleCommand({ Name: 'p-1', GroupName: 'timers' }));
    expect(
      await errorOf(h.client.send(new GetScheduleCommand({ Name: 'p-1', GroupName: 'timers' }))),
    ).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
      message: 'Schedule p-1 does not exist.',
    });
    await h.clock.advance(3 * 86_400);
    expect(h.calls).toHaveLength(0);
  });

  it('raises ConflictException, ResourceNotFoundException and ValidationException by name', async () => {
    const h = await start();
    await h.client.send(new CreateScheduleCommand(timer('p-2', '2026-12-01T18:05:00')));
    const again = await errorOf(
      h.client.send(new CreateScheduleCommand(timer('p-2', '2026-12-01T18:05:00'))),
    );
    expect(again).toEqual({
      name: 'ConflictException',
      status: 409,
      message: 'Schedule p-2 already exists.',
    });
    // The same name in another group is another schedule.
    await h.client.send(
      new CreateScheduleCommand(timer('p-2', '2026-12-01T18:05:00', { GroupName: 'default' })),
    );

    const cases: Array<[string, () => Promise<unknown>, string, RegExp]> = [
      [
        'delete missing',
        () => h.client.send(new DeleteScheduleCommand({ Name: 'nope', GroupName: 'timers' })),
        'ResourceNotFoundException',
        /Schedule nope does not exist/,
      ],
      [
        'update missing',
        () => h.client.send(new UpdateScheduleCommand({ ...timer('nope', '2026-12-01T18:05:00') })),
        'ResourceNotFoundException',
        /Schedule nope does not exist/,
      ],
      [
        'missing group',
        () =>
          h.client.send(
            new CreateScheduleCommand(timer('p-3', '2026-12-01T18:05:00', { GroupName: 'other' })),
          ),
        'ResourceNotFoundException',
        /Schedule group other does not exist/,
      ],
      [
        'list missing group',
        () => h.client.send(new ListSchedulesCommand({ GroupName: 'other' })),
        'ResourceNotFoundException',
        /Schedule group other does not exist/,
      ],
      [
        'bad name',
        () => h.client.send(new CreateScheduleCommand(timer('p 3!', '2026-12-01T18:05:00'))),
        'ValidationException',
        /at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern/,
      ],
      [
        'long name',
        () => h.client.send(new CreateScheduleCommand(timer('x'.repeat(65), '2026-12-01T18:05:00'))),
        'ValidationException',
        /Member must have length less than or equal to 64/,
      ],
      [
        'no window',
        () =>
          h.client.send(
            new CreateScheduleCommand({
              ...timer('p-3', '2026-12-01T18:05:00'),
              FlexibleTimeWindow: undefined,
            }),
          ),
        'ValidationException',
        /^1 validation error detected: Value null at 'flexibleTimeWindow' failed to satisfy constraint: Member must not be null$/,
      ],
      [
        'no role',
        () =>
          h.client.send(
            new CreateScheduleCommand({
              ...timer('p-3', '2026-12-01T18:05:00'),
              Target: { Arn: FN } as never,
            }),
          ),
        'ValidationException',
        /Value null at 'target.roleArn'/,
      ],
      [
        'two errors',
        () =>
          h.client.send(
            new CreateScheduleCommand({ Name: 'p-3', FlexibleTimeWindow: { Mode: 'OFF' } } as never),
          ),
        'ValidationException',
        /^2 validation errors detected: .*'scheduleExpression'.*; .*'target'/,
      ],
      [
        'bad expression',
        () => h.client.send(new CreateScheduleCommand(timer('p-3', '2026-13-01T18:05:00'))),
        'ValidationException',
        /Invalid Schedule Expression at\(2026-13-01T18:05:00\)/,
      ],
      [
        'bad zone',
        () =>
          h.client.send(
            new CreateScheduleCommand(
              timer('p-3', '2026-12-01T18:05:00', { ScheduleExpressionTimezone: 'Mars/Base' }),
            ),
          ),
        'ValidationException',
        /Mars\/Base/,
      ],
      [
        'retries',
        () =>
          h.client.send(
            new CreateScheduleCommand({
              ...timer('p-3', '2026-12-01T18:05:00'),
              Target: { Arn: FN, RoleArn: ROLE, RetryPolicy: { MaximumRetryAttempts: 186 } },
            }),
          ),
        'ValidationException',
        /target.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185/,
      ],
      [
        'input not JSON',
        () =>
          h.client.send(
            new CreateScheduleCommand({
              ...timer('p-3', '2026-12-01T18:05:00'),
              Target: { Arn: FN, RoleArn: ROLE, Input: 'not json' },
            }),
          ),
        'ValidationException',
        /well-formed JSON/,
      ],
      [
        'input too big',
        () =>
          h.client.send(
            new CreateScheduleCommand({
              ...timer('p-3', '2026-12-01T18:05:00'),
              Target: {
                Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:q`,
                RoleArn: ROLE,
                Input: 'x'.repeat(256 * 1024 + 1),
              },
            }),
          ),
        'ValidationException',
        /larger than 256 KB/,
      ],
      [
        'flexible without window',
        () =>
          h.client.send(
            new CreateScheduleCommand(
              timer('p-3', '2026-12-01T18:05:00', { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }),
            ),
          ),
        'ValidationException',
        /MaximumWindowInMinutes is required/,
      ],
      [
        'old start',
        () =>
          h.client.send(
            new CreateScheduleCommand(
              timer('p-3', '', { ScheduleExpression: 'rate(5 minutes)', StartDate: new Date(T0 - 600_000) }),
            ),
          ),
        'ValidationException',
        /StartDate you specify cannot be earlier than 5 minutes ago/,
      ],
      [
        'end before start',
        () =>
          h.client.send(
            new CreateScheduleCommand(
              timer('p-3', '', {
                ScheduleExpression: 'rate(5 minutes)',
                StartDate: new Date(T0 + 3_600_000),
                EndDate: new Date(T0),
              }),
            ),
          ),
        'ValidationException',
        /EndDate you specify must be after the StartDate/,
      ],
      [
        'universal target',
        () =>
          h.client.send(
            new CreateScheduleCommand({
              ...timer('p-3', '2026-12-01T18:05:00'),
              Target: { Arn: 'arn:aws:scheduler:::aws-sdk:sqs:sendMessage', RoleArn: ROLE },
            }),
          ),
        'ValidationException',
        /not supported by the local runtime/,
      ],
      [
        'bad state filter',
        () => h.client.send(new ListSchedulesCommand({ State: 'PAUSED' as never })),
        'ValidationException',
        /Member must satisfy enum value set: \[ENABLED, DISABLED\]/,
      ],
      [
        'bad page size',
        () => h.client.send(new ListSchedulesCommand({ MaxResults: 101 })),
        'ValidationException',
        /maxResults/,
      ],
      [
        'bad token',
        () => h.client.send(new ListSchedulesCommand({ NextToken: 'garbage' })),
        'ValidationException',
        /NextToken/,
      ],
    ];
    for (const [what, call, name, message] of cases) {
      const e = await errorOf(call());
      expect(e.name, what).toBe(name);
      expect(e.message, what).toMatch(message);
      expect(e.status, what).toBe(name === 'ValidationException' ? 400 : 404);
    }
    // Nothing was created by the refused calls.
    const { Schedules = [] } = await h.client.send(new ListSchedulesCommand({}));
    expect(Schedules.map((s) => `${s.GroupName}/${s.Name}`)).toEqual(['default/p-2', 'timers/p-2']);
  });

  it('answers a retried CreateSchedule (same ClientToken) as the first time', async () => {
    const h = await start();
    const input = { ...timer('p-4', '2026-12-01T18:05:00'), ClientToken: 'token-1' };
    await h.client.send(new CreateScheduleCommand(input));
    expect((await h.client.send(new CreateScheduleCommand(input))).ScheduleArn).toBe(arnOf('timers', 'p-4'));
    const other = await errorOf(
      h.client.send(new CreateScheduleCommand({ ...input, ClientToken: 'token-2' })),
    );
    expect(other.name).toBe('ConflictException');
  });

  it('pages ListSchedules by NamePrefix, group and State', async () => {
    const h = await start();
    for (let i = 0; i < 25; i++) {
      const name = `p-${String(i).padStart(2, '0')}`;
      await h.client.send(
        new CreateScheduleCommand(
          timer(name, '2026-12-01T18:05:00', i % 5 === 0 ? { State: 'DISABLED' } : {}),
        ),
      );
    }
    await h.client.send(new CreateScheduleCommand(timer('q-1', '2026-12-01T18:05:00')));
    await h.client.send(
      new CreateScheduleCommand(timer('p-99', '2026-12-01T18:05:00', { GroupName: 'default' })),
    );

    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListSchedules(
      { client: h.client, pageSize: 7 },
      { GroupName: 'timers', NamePrefix: 'p-' },
    )) {
      pages++;
      expect(page.Schedules!.length).toBeLessThanOrEqual(7);
      names.push(...page.Schedules!.map((s) => s.Name!));
    }
    expect(pages).toBe(4);
    expect(names).toEqual(Array.from({ length: 25 }, (_, i) => `p-${String(i).padStart(2, '0')}`));
    const disabled = await h.client.send(new ListSchedulesCommand({ State: 'DISABLED', MaxResults: 100 }));
    expect(disabled.Schedules!.map((s) => s.Name)).toEqual(['p-00', 'p-05', 'p-10', 'p-15', 'p-20']);
    const everywhere = await h.client.send(new ListSchedulesCommand({ NamePrefix: 'p-9' }));
    expect(everywhere.Schedules!.map((s) => `${s.GroupName}/${s.Name}`)).toEqual(['default/p-99']);
  });

  it("serves schedule groups: default, the assembly's, created ones; deleting one deletes its schedules", async () => {
    const h = await start();
    expect(await h.client.send(new GetScheduleGroupCommand({ Name: 'default' }))).toMatchObject({
      Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/default`,
      Name: 'default',
      State: 'ACTIVE',
    });
    const made = await h.client.send(new CreateScheduleGroupCommand({ Name: 'extra' }));
    expect(made.ScheduleGroupArn).toBe(`arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/extra`);
    expect((await errorOf(h.client.send(new CreateScheduleGroupCommand({ Name: 'extra' })))).name).toBe(
      'ConflictException',
    );
    const { ScheduleGroups = [] } = await h.client.send(new ListScheduleGroupsCommand({}));
    expect(ScheduleGroups.map((g) => g.Name)).toEqual(['default', 'extra', 'timers']);
    expect(ScheduleGroups[1]!.CreationDate).toEqual(new Date(T0));
    const page = await h.client.send(new ListScheduleGroupsCommand({ MaxResults: 2 }));
    const rest = await h.client.send(
      new ListScheduleGroupsCommand({ MaxResults: 2, NextToken: page.NextToken }),
    );
    expect([...page.ScheduleGroups!, ...rest.ScheduleGroups!].map((g) => g.Name)).toEqual([
      'default',
      'extra',
      'timers',
    ]);
    expect(rest.NextToken).toBeUndefined();

    await h.client.send(
      new CreateScheduleCommand(timer('in-extra', '2026-12-01T18:05:00', { GroupName: 'extra' })),
    );
    await h.client.send(new DeleteScheduleGroupCommand({ Name: 'extra' }));
    expect((await errorOf(h.client.send(new GetScheduleGroupCommand({ Name: 'extra' })))).name).toBe(
      'ResourceNotFoundException',
    );
    expect((await errorOf(h.client.send(new DeleteScheduleGroupCommand({ Name: 'default' })))).name).toBe(
      'ValidationException',
    );
    expect((await errorOf(h.client.send(new DeleteScheduleGroupCommand({ Name: 'timers' })))).name).toBe(
      'ConflictException',
    );
    await h.clock.advance(3 * 86_400);
    expect(h.calls).toHaveLength(0);
  });
});

describe('schedules made through the API run on the bus clock', () => {
  it('a one-time schedule invokes its target once with its Input; DELETE removes it after, NONE keeps it', async () => {
    const h = await start();
    await h.client.send(
      new CreateScheduleCommand(
        timer('p-10', '2026-12-01T18:05:00', {
          Target: {
            Arn: FN,
            RoleArn: ROLE,
            Input:
              '{"promiseId":"p-10","arn":"<aws.scheduler.schedule-arn>","at":"<aws.scheduler.scheduled-time>","n":<aws.scheduler.attempt-number>}',
          },
        }),
      ),
    );
    await h.client.send(
      new CreateScheduleCommand(timer('p-11', '2026-12-01T18:05:30', { ActionAfterCompletion: 'NONE' })),
    );
    // Shanghai is UTC+8: 02:06 there is 18:06 UTC the day before.
    await h.client.send(
      new CreateScheduleCommand(
        timer('p-12', '2026-12-02T02:06:00', { ScheduleExpressionTimezone: 'Asia/Shanghai' }),
      ),
    );
    await h.clock.advance((Date.parse('2026-12-01T18:04:59Z') - T0) / 1000);
    expect(h.calls).toHaveLength(0);
    await h.clock.advance(3600);
    expect(h.calls.map((c) => [c.info.schedule, new Date(c.at).toISOString()])).toEqual([
      ['p-10', '2026-12-01T18:05:00.000Z'],
      ['p-11', '2026-12-01T18:05:30.000Z'],
      ['p-12', '2026-12-01T18:06:00.000Z'],
    ]);
    expect(h.calls[0]!.arn).toBe(FN);
    expect(h.calls[0]!.payload).toEqual({
      promiseId: 'p-10',
      arn: arnOf('timers', 'p-10'),
      at: '2026-12-01T18:05:00Z',
      n: 1,
    });
    expect(h.calls[0]!.info.scheduleArn).toBe(arnOf('timers', 'p-10'));
    expect(
      (await errorOf(h.client.send(new GetScheduleCommand({ Name: 'p-10', GroupName: 'timers' })))).name,
    ).toBe('ResourceNotFoundException');
    const kept = await h.client.send(new GetScheduleCommand({ Name: 'p-11', GroupName: 'timers' }));
    expect(kept.State).toBe('ENABLED');
    expect(h.logs).toContain('schedule p-10 completed and deleted (ActionAfterCompletion DELETE)');
    await h.clock.advance(7 * 86_400);
    expect(h.calls).toHaveLength(3);
  });

  it('retries per its RetryPolicy, then dead-letters with SCHEDULE_ARN, then deletes the schedule', async () => {
    const h = await start({ fail: () => true });
    await h.client.send(
      new CreateScheduleCommand({
        ...timer('p-20', '2026-11-30T00:10:00'),
        Target: {
          Arn: FN,
          RoleArn: ROLE,
          Input: '{"n":<aws.scheduler.attempt-number>}',
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: DLQ },
        },
      }),
    );
    await h.clock.advance(600);
    expect(h.calls.map((c) => c.payload)).toEqual([{ n: 1 }]);
    // Still there while its retries are pending.
    await h.client.send(new GetScheduleCommand({ Name: 'p-20', GroupName: 'timers' }));
    await h.clock.advance(10);
    expect(h.calls.map((c) => [c.payload, (c.at - T0) / 1000])).toEqual([
      [{ n: 1 }, 600],
      [{ n: 2 }, 601],
      [{ n: 3 }, 603],
    ]);
    expect(h.dead).toEqual([
      {
        queue: DLQ,
        body: '{"n":3}',
        attributes: {
          SCHEDULE_ARN: arnOf('timers', 'p-20'),
          TARGET_ARN: FN,
          ERROR_CODE: 'ERROR_FROM_TARGET',
          ERROR_MESSAGE: 'target unavailable',
          EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
          RETRY_ATTEMPTS: '2',
        },
      },
    ]);
    expect(
      (await errorOf(h.client.send(new GetScheduleCommand({ Name: 'p-20', GroupName: 'timers' })))).name,
    ).toBe('ResourceNotFoundException');
  });

  it('a rate schedule runs until disabled, then again once enabled; an at() in the past never runs', async () => {
    const h = await start();
    const rate = {
      ...timer('tick', ''),
      ScheduleExpression: 'rate(10 minutes)',
      ActionAfterCompletion: 'NONE' as const,
    };
    await h.client.send(new CreateScheduleCommand(rate));
    await h.client.send(new CreateScheduleCommand(timer('late', '2026-11-29T23:00:00')));
    await h.clock.advance(25 * 60);
    expect(h.calls.map((c) => (c.at - T0) / 60_000)).toEqual([0, 10, 20]);
    await h.client.send(new UpdateScheduleCommand({ ...rate, State: 'DISABLED' }));
    await h.clock.advance(3600);
    expect(h.calls).toHaveLength(3);
    await h.client.send(new UpdateScheduleCommand(rate));
    await h.clock.advance(5 * 60);
    expect(h.calls.map((c) => (c.at - T0) / 60_000)).toEqual([0, 10, 20, 85]);
    expect(h.calls.every((c) => c.info.schedule === 'tick')).toBe(true);
    // The past one-time schedule stays (it never ran, so it never completed).
    await h.client.send(new GetScheduleCommand({ Name: 'late', GroupName: 'timers' }));
    expect(h.logs.some((l) => l.includes('late: at(2026-11-29T23:00:00) had already passed'))).toBe(true);
  });

  it('schedules, deletions and completions survive a restart: each runs once, a deleted one never', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scheduler-'));
    dirs.push(dir);
    const a = await start({ dir });
    for (const name of ['keep-1', 'keep-2', 'gone-1']) {
      await a.client.send(new CreateScheduleCommand(timer(name, '2026-11-30T01:00:00')));
    }
    await a.client.send(new CreateScheduleCommand(timer('early', '2026-11-30T00:30:00')));
    await a.client.send(new DeleteScheduleCommand({ Name: 'gone-1', GroupName: 'timers' }));
    await a.client.send(new CreateScheduleGroupCommand({ Name: 'made' }));
    await a.clock.advance(45 * 60);
    expect(a.calls.map((c) => c.info.schedule)).toEqual(['early']);
    await a.close();
    open.splice(open.indexOf(a), 1);

    const b = await start({ dir, clock: new VirtualClock(T0 + 45 * 60_000) });
    const { Schedules = [] } = await b.client.send(new ListSchedulesCommand({}));
    expect(Schedules.map((s) => s.Name)).toEqual(['keep-1', 'keep-2']);
    await b.client.send(new GetScheduleGroupCommand({ Name: 'made' }));
    await b.clock.advance(3600);
    expect(b.calls.map((c) => c.info.schedule)).toEqual(['keep-1', 'keep-2']);
    await b.close();
    open.splice(open.indexOf(b), 1);

    const c = await start({ dir, clock: new VirtualClock(T0 + 3 * 3_600_000) });
    await c.clock.advance(86_400);
    expect(c.calls).toHaveLength(0);
    expect((await c.client.send(new ListSchedulesCommand({}))).Schedules).toEqual([]);
  });

  it('keeps working through journal compactions with thousands of schedules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scheduler-'));
    dirs.push(dir);
    const a = await start({ dir, compactEvery: 500 });
    const store = a.bus.scheduler;
    const n = 3000;
    const post = (name: string, at: string) =>
      store.handle(
        'POST',
        `/schedules/${name}`,
        Buffer.from(JSON.stringify({ ...timer(name, at), Name: undefined })),
      );
    for (let i = 0; i < n; i++) {
      const at = new Date(T0 + 60_000 + (i % 600) * 1000).toISOString().slice(0, 19);
      expect((await post(`s-${i}`, at)).status).toBe(200);
    }
    for (let i = 0; i < n; i += 3) {
      expect(
        (await store.handle('DELETE', `/schedules/s-${i}?groupName=timers`, Buffer.alloc(0))).status,
      ).toBe(200);
    }
    await a.clock.advance(300);
    await a.close();
    open.splice(open.indexOf(a), 1);
    // Compacted: far fewer records than were appended (3,000 creations alone).
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').length).toBeLessThan(n);
    const b = await start({ dir, clock: new VirtualClock(T0 + 300_000), compactEvery: 500 });
    await b.clock.advance(3600);
    const fired = [...a.calls, ...b.calls].map((c) => c.info.schedule!);
    expect(new Set(fired).size).toBe(fired.length);
    expect(fired).toHaveLength(2000);
    expect(fired.some((name) => Number(name.slice(2)) % 3 === 0)).toBe(false);
    expect(b.bus.stats().schedules).toBe(0);
  });
  it('keeps waiting definitions on disk: updated, deleted, rewritten and rebuilt, each fires with its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scheduler-'));
    dirs.push(dir);
    const a = await start({ dir });
    const store = a.bus.scheduler;
    const file = join(dir, 'schedule-definitions.jsonl');
    const n = 3000;
    const pad = 'p'.repeat(300);
    const body = (i: number, v: number, token = `token-${i}-${v}`) =>
      Buffer.from(
        JSON.stringify({
          ...timer(`s-${i}`, new Date(T0 + 600_000 + (i % 60) * 1000).toISOString().slice(0, 19)),
          Name: undefined,
          Target: { ...timer(`s-${i}`, '2026-11-30T01:00:00').Target, Input: JSON.stringify({ i, v, pad }) },
          ClientToken: token,
        }),
      );
    for (let i = 0; i < n; i++)
      expect((await store.handle('POST', `/schedules/s-${i}`, body(i, 1))).status).toBe(200);
    const written = statSync(file).size;
    // Every definition replaced: the first versions' lines are dead, and the file is rewritten without them.
    for (let i = 0; i < n; i++)
      expect((await store.handle('PUT', `/schedules/s-${i}`, body(i, 2))).status).toBe(200);
    for (let i = 0; i < n; i += 3) {
      expect(
        (await store.handle('DELETE', `/schedules/s-${i}?groupName=timers`, Buffer.alloc(0))).status,
      ).toBe(200);
    }
    expect(statSync(file).size).toBeLessThan(written * 1.5);
    for (const i of [1, 2, 1000, 2999]) {
      const got = await a.client.send(new GetScheduleCommand({ Name: `s-${i}`, GroupName: 'timers' }));
      expect(JSON.parse(got.Target!.Input!)).toEqual({ i, v: 2, pad });
    }
    // ListSchedules filters on the keys: parked schedules' keys are read once (then kept until a change), and
    // only the definitions it lists are read after that.
    const parked = a.bus.stats().parkedSchedules;
    expect(parked).toBe(2000);
    const reads = vi.spyOn(DefinitionFile.prototype, 'readText');
    const list = async () =>
      (
        await a.client.send(new ListSchedulesCommand({ NamePrefix: 's-299', State: 'ENABLED' }))
      ).Schedules!.map((x) => x.Name);
    const names = ['s-299', 's-2990', 's-2992', 's-2993', 's-2995', 's-2996', 's-2998', 's-2999'];
    expect(await list()).toEqual(names);
    expect(reads).toHaveBeenCalledTimes(parked + 8);
    reads.mockClear();
    expect(await list()).toEqual(names);
    expect(reads).toHaveBeenCalledTimes(8);
    reads.mockRestore();
    // A retried CreateSchedule (the ClientToken that made it, kept by the update) reads the token from disk.
    expect((await store.handle('POST', '/schedules/s-1', body(1, 2, 'token-1-1'))).status).toBe(200);
    expect((await store.handle('POST', '/schedules/s-1', body(1, 2))).status).toBe(409);
    await a.close();
    open.splice(open.indexOf(a), 1);

    // Rebuilt from the journal at start: the live definitions alone.
    const b = await start({ dir });
    expect(statSync(file).size).toBeLessThan(written * 0.8);
    await b.clock.advance(3600);
    const fired = b.calls.map((c) => c.payload as { i: number; v: number });
    expect(fired).toHaveLength(2000);
    expect(new Set(fired.map((p) => p.i)).size).toBe(2000);
    expect(fired.every((p) => p.v === 2 && p.i % 3 !== 0)).toBe(true);
    expect(b.bus.stats().schedules).toBe(0);
  });
  it('parks far-off at() schedules as numbers: found by key, shown, replaced, deleted, listed, fired once each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scheduler-'));
    dirs.push(dir);
    const a = await start({ dir });
    const at = (ms: number) => new Date(T0 + ms).toISOString().slice(0, 19);
    const make = (name: string, ms: number, v: number, extra: Partial<CreateScheduleCommandInput> = {}) => {
      const base = timer(name, at(ms), extra);
      return { ...base, Target: { ...base.Target!, Input: JSON.stringify({ name, v }) } };
    };
    // Two keys with one 32-bit hash (keyHash): a match is confirmed by the definition, so neither is taken
    // for the other.
    const [x, y] = ['c-1549599', 'c-1712382'];
    expect(keyHash(`schedule:${arnOf('timers', x)}`)).toBe(keyHash(`schedule:${arnOf('timers', y)}`));
    await a.client.send(new CreateScheduleCommand(make(x, 3_600_000, 1)));
    await a.client.send(new CreateScheduleCommand(make(y, 7_200_000, 1)));
    // within the horizon: stays an object; recurring and disabled ones are never parked
    await a.client.send(new CreateScheduleCommand(make('soon', PARK_AFTER_MS / 2, 1)));
    await a.client.send(new CreateScheduleCommand(make('off', 3_600_000, 1, { State: 'DISABLED' })));
    await a.client.send(
      new CreateScheduleCommand({ ...make('every', 0, 1), ScheduleExpression: 'rate(30 minutes)' }),
    );
    const retried = { ...make('far-7', 86_400_000, 1), ClientToken: 'tok-7' };
    for (let i = 0; i < 50; i++)
      await a.client.send(new CreateScheduleCommand(i === 7 ? retried : make(`far-${i}`, 86_400_000, 1)));
    expect(a.bus.stats()).toMatchObject({ schedules: 55, parkedSchedules: 52 });

    // shown where it is (and left parked); the other of the pair is not found for it
    const got = await a.client.send(new GetScheduleCommand({ Name: y, GroupName: 'timers' }));
    expect(JSON.parse(got.Target!.Input!)).toEqual({ name: y, v: 1 });
    expect(a.bus.stats().parkedSchedules).toBe(52);
    const missing = await errorOf(
      a.client.send(new GetScheduleCommand({ Name: 'c-0', GroupName: 'timers' })),
    );
    expect(missing.name).toBe('ResourceNotFoundException');
    // a retried CreateSchedule finds the parked one: same request → same answer, another → ConflictException
    await a.client.send(new CreateScheduleCommand(retried));
    expect((await errorOf(a.client.send(new CreateScheduleCommand(make('far-7', 86_400_000, 2))))).name).toBe(
      'ConflictException',
    );
    // replaced (new Input, new time) and deleted: each is the one named
    await a.client.send(new UpdateScheduleCommand(make(x, 5_400_000, 2)));
    await a.client.send(new DeleteScheduleCommand({ Name: y, GroupName: 'timers' }));
    await a.client.send(new DeleteScheduleCommand({ Name: 'far-3', GroupName: 'timers' }));
    expect(a.bus.stats()).toMatchObject({ schedules: 53, parkedSchedules: 50 });
    expect(
      (await errorOf(a.client.send(new GetScheduleCommand({ Name: y, GroupName: 'timers' })))).name,
    ).toBe('ResourceNotFoundException');
    const listed = await a.client.send(new ListSchedulesCommand({ GroupName: 'timers', NamePrefix: 'c-' }));
    expect(listed.Schedules!.map((s) => [s.Name, s.State])).toEqual([[x, 'ENABLED']]);
    const all = (await a.client.send(new ListSchedulesCommand({ MaxResults: 100 }))).Schedules!.map(
      (s) => s.Name,
    );
    expect(all).toHaveLength(53);
    expect(all).toContain('far-49');
    expect(all).not.toContain('far-3');
    expect(
      (await a.client.send(new ListSchedulesCommand({ State: 'DISABLED' }))).Schedules!.map((s) => s.Name),
    ).toEqual(['off']);

    // Kept across a restart (rebuilt from the journal, parked again), then each fires once, at its time.
    await a.close();
    open.splice(open.indexOf(a), 1);
    const b = await start({ dir });
    expect(b.bus.stats()).toMatchObject({ schedules: 53, parkedSchedules: 50 });
    await b.clock.advance(2 * 86_400);
    const fired = b.calls
      .map((c) => ({ ...(c.payload as { name: string; v: number }), at: c.at - T0 }))
      .filter((c) => c.name !== 'every');
    const far = Array.from({ length: 50 }, (_, i) => `far-${i}`).filter((n) => n !== 'far-3');
    expect(fired.map((c) => c.name)).toEqual(['soon', x, ...far]);
    expect(fired.slice(0, 2)).toEqual([
      { name: 'soon', v: 1, at: PARK_AFTER_MS / 2 },
      { name: x, v: 2, at: 5_400_000 },
    ]);
    expect(fired.slice(2).every((c) => c.at === 86_400_000 && c.v === 1)).toBe(true);
    expect(b.bus.stats()).toMatchObject({ schedules: 2, parkedSchedules: 0 });
  });
});

describe('Scheduler validation (pure)', () => {
  const base = {
    ScheduleExpression: 'at(2026-12-01T18:05:00)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: FN, RoleArn: ROLE },
  };
  const parse = (name: string, body: unknown) =>
    scheduleFromRequest({ name, body, now: T0, region: REGION, account: ACCOUNT });

  it('fills in the defaults', () => {
    expect(parse('a.b-c_d', base).definition).toEqual({
      Arn: arnOf('default', 'a.b-c_d'),
      Name: 'a.b-c_d',
      GroupName: 'default',
      ScheduleExpression: 'at(2026-12-01T18:05:00)',
      State: 'ENABLED',
      Target: {
        Arn: FN,
        RoleArn: ROLE,
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      },
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'NONE',
      CreationDate: T0 / 1000,
      LastModificationDate: T0 / 1000,
    });
  });

  it('ignores StartDate and EndDate for one-time schedules, checks them for recurring ones', () => {
    const old = { StartDate: T0 / 1000 - 3600, EndDate: T0 / 1000 - 7200 };
    expect(parse('a', { ...base, ...old }).definition.StartDate).toBe(T0 / 1000 - 3600);
    expect(() => parse('a', { ...base, ...old, ScheduleExpression: 'rate(1 hour)' })).toThrow(
      /5 minutes ago/,
    );
    expect(
      parse('a', { ...base, StartDate: T0 / 1000 - 200, ScheduleExpression: 'rate(1 hour)' }).definition
        .StartDate,
    ).toBe(T0 / 1000 - 200);
  });

  it('accepts context attributes in a JSON input, refuses target parameters and other targets', () => {
    const input = '{"n":<aws.scheduler.attempt-number>,"t":"<aws.scheduler.scheduled-time>"}';
    expect(parse('a', { ...base, Target: { ...base.Target, Input: input } }).definition.Target.Input).toBe(
      input,
    );
    expect(() =>
      parse('a', { ...base, Target: { ...base.Target, SqsParameters: { MessageGroupId: 'g' } } }),
    ).toThrow(/SqsParameters is not supported/);
    expect(() =>
      parse('a', { ...base, Target: { ...base.Target, Arn: `arn:aws:sns:${REGION}:${ACCOUNT}:t` } }),
    ).toThrow(/not supported by the local runtime/);
    // SQS targets take any text.
    const sqs = { ...base.Target, Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:q`, Input: 'plain text' };
    expect(parse('a', { ...base, Target: sqs }).definition.Target.Input).toBe('plain text');
  });

  it('names: 1-64 of [0-9a-zA-Z-_.]', () => {
    expect(validateName('Ab9-_.', 'name')).toBe('Ab9-_.');
    expect(() => validateName('', 'name')).toThrow(/length greater than or equal to 1/);
    expect(() => validateName('a/b', 'name')).toThrow(/regular expression pattern/);
  });
});
