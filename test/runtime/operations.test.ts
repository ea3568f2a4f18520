import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Body } from '#test/support/api-body';
import { DEPOSIT, type PresaleClient, presaleBody, presaleClient } from '#test/support/presale-client';
import { main } from '../../local/cli/main.ts';
import { loadAssembly } from '../../local/runtime/assembly.ts';
import { stateMachines } from '../../local/runtime/resources.ts';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * The operations API's runs (issue #14, decision 29) on the local runtime with the virtual clock:
 * real workflows started by signed webhooks, listed, filtered and opened through the API; a run
 * stopped; a restock sweep whose Rank step is rejected once (Step Functions Local's mock
 * configuration answers that one state) fails, is redriven and succeeds from the failed step.
 */
let runtime: Runtime;
let dataDir: string;
let sf: PresaleClient;
let sfn: SFNClient;
let sweepArn = '';

const SWEEP_CASE = 'RankRejectedOnce';
const PROGRESS_CASE = 'MeasureRetried';
const lines: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-operations-'));
  const assemblyDir = inject('appAssembly');
  const sweep = stateMachines(loadAssembly(assemblyDir)).find((m) => m.name.includes('RestockSweep'));
  if (!sweep) throw new Error('no restock sweep in the app');
  const mockConfig = join(dataDir, 'mocks.json');
  writeFileSync(
    mockConfig,
    JSON.stringify({
      StateMachines: {
        [sweep.name]: {
          TestCases: {
            [SWEEP_CASE]: { StartSweep: 'NoBuckets', Rank: 'RejectedOnce' },
            [PROGRESS_CASE]: {
              StartSweep: 'ThreeBuckets',
              MeasurePage: 'TransientOnce',
              Rank: 'NoneRanked',
              CheckPage: 'PageDone',
            },
          },
        },
      },
      MockedResponses: {
        NoBuckets: {
          '0': {
            Return: {
              context: {
                sweep: 'sweep-ops',
                date: '2026-12-01',
                policyVersion: 0,
                at: '2026-12-01T18:00:00Z',
              },
              buckets: [],
            },
          },
        },
        ThreeBuckets: {
          '0': {
            Return: {
              context: {
                sweep: 'sweep-ops-progress',
                date: '2026-12-03',
                policyVersion: 0,
                at: '2026-12-02T18:00:00Z',
              },
              buckets: [0, 1, 2],
            },
          },
        },
        TransientOnce: {
          '0': { Throw: { Error: 'Lambda.ServiceException', Cause: 'throttled' } },
          '1-9': { Return: { cursor: null, measured: 0 } },
        },
        NoneRanked: { '0': { Return: { top: [] } } },
        PageDone: { '0-9': { Return: { cursor: null, checked: 0, ordered: 0 } } },
        RejectedOnce: {
          '0': { Throw: { Error: 'RestockStepRejected', Cause: 'the ranking candidates were unreadable' } },
          '1': { Return: { top: [] } },
        },
      },
    }),
  );
  // A fixed start, ten minutes before a quarter-hour tick of the restock clock (whose first tick
  // after 02:00 store time starts the day's sweep): the few minutes the tests advance never start
  // a sweep of their own, whatever the time of day the suite runs.
  writeFileSync(join(dataDir, 'clock.json'), JSON.stringify({ now: '2026-12-02T03:05:00.000Z' }));
  runtime = await startRuntime({
    assemblyDir,
    dataDir,
    port: 0,
    clock: 'virtual',
    mockConfig,
    log: (line) => lines.push(line),
  });
  sf = presaleClient(runtime.url, dataDir);
  sfn = new SFNClient({
    endpoint: runtime.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { stateMachines: machines } = await sfn.send(new ListStateMachinesCommand({}));
  sweepArn = machines?.find((m) => m.name === sweep.name)?.stateMachineArn ?? '';

  const res = await sf.api('PUT', '/api/presales/ps-ops', presaleBody(await sf.now(), { quota: 20 }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
});

afterAll(async () => {
  sf?.close();
  sfn?.destroy();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function deposit(orderId: string) {
  const res = await sf.webhook(`dep-${orderId}`, 'presale.deposit_paid', {
    orderId,
    presaleId: 'ps-ops',
    customerId: `cust-${orderId}`,
    amount: DEPOSIT,
  });
  expect(res.status).toBe(200);
  await sf.settle();
}

const run = (id: string) => `/api/runs/${encodeURIComponent(id)}`;
const state = (page: Body, name: string) => page.states.find((s: Body) => s.name === name);

describe('runs on the local runtime', () => {
  it('a presale order waiting in its callback: the run page shows that state waiting', async () => {
    await deposit('ops-wait');
    const res = await sf.api('GET', run('PresaleOrder:ops-wait'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const page = res.body;
    expect(page).toMatchObject({
      id: 'PresaleOrder:ops-wait',
      workflow: 'PresaleOrder',
      name: 'ops-wait',
      status: 'RUNNING',
      stoppedAt: null,
      key: { type: 'order', value: 'ops-wait' },
      redriveCount: 0,
      input: { deposit: { orderId: 'ops-wait', presaleId: 'ps-ops' } },
      actions: { stop: true, redrive: false },
      waitingFor: {
        kind: 'presale-balance-window',
        by: 'time',
        state: 'AwaitBalanceWindow',
        orderId: 'ops-wait',
      },
    });
    expect(page.definition.StartAt).toBe('TakeUnit');
    expect(page.states).toHaveLength(Object.keys(page.definition.States).length);
    expect(state(page, 'TakeUnit')).toMatchObject({ status: 'succeeded', entries: 1, type: 'Task' });
    expect(state(page, 'TakeUnit').output).toBeTypeOf('object');
    expect(state(page, 'AwaitBalanceWindow')).toMatchObject({ status: 'waiting', exitedAt: null });
    expect(state(page, 'AwaitBalance')).toMatchObject({ status: 'not-run', enteredAt: null });
    expect(state(page, 'Compensate').status).toBe('not-run');
    expect(page.history[0]).toMatchObject({ id: 1, type: 'ExecutionStarted', previousEventId: 0 });
    expect(page.history.at(-1).type).toBe('TaskSubmitted');
    expect(page.historyCursor).toBeNull();
  });

  it('lists runs newest first across workflows, filtered by workflow, status and business key, in pages', async () => {
    for (const id of ['ops-list-1', 'ops-list-2', 'ops-list-3']) {
      await sf.advance(60);
      await deposit(id);
    }
    const all = await sf.api('GET', '/api/runs?limit=100');
    expect(all.status).toBe(200);
    const names = all.body.items.map((r: Body) => r.id);
    expect(names.slice(0, 4)).toEqual([
      'PresaleOrder:ops-list-3',
      'PresaleOrder:ops-list-2',
      'PresaleOrder:ops-list-1',
      'PresaleOrder:ops-wait',
    ]);
    expect(all.body.items[0]).toEqual({
      id: 'PresaleOrder:ops-list-3',
      workflow: 'PresaleOrder',
      name: 'ops-list-3',
      status: 'RUNNING',
      startedAt: expect.any(String),
      stoppedAt: null,
      key: { type: 'order', value: 'ops-list-3' },
      redriveCount: 0,
    });

    // Pages of two walk the same list with no duplicate and no gap.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: Body } = await sf.api(
        'GET',
        `/api/runs?workflow=PresaleOrder&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.items.map((r: Body) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(names.filter((n: string) => n.startsWith('PresaleOrder:')));

    const byKey = await sf.api('GET', '/api/runs?key=order:ops-list-2');
    expect(byKey.body).toEqual({
      items: [expect.objectContaining({ id: 'PresaleOrder:ops-list-2' })],
      nextCursor: null,
    });
    expect((await sf.api('GET', '/api/runs?key=ops-list-2')).body.items).toHaveLength(1);
    expect((await sf.api('GET', '/api/runs?key=po:ops-list-2')).body.items).toEqual([]);
    expect((await sf.api('GET', '/api/runs?key=order:ops-list-2&status=SUCCEEDED')).body.items).toEqual([]);
    expect((await sf.api('GET', '/api/runs?workflow=PurchaseOrderApproval')).body.items).toEqual([]);
    const running = await sf.api('GET', '/api/runs?status=RUNNING&workflow=PresaleOrder&limit=100');
    expect(running.body.items.every((r: Body) => r.status === 'RUNNING')).toBe(true);
    expect(running.body.items.length).toBeGreaterThanOrEqual(4);
  });

  it('stops a running run (409 once it is not running)', async () => {
    await deposit('ops-stop');
    const stopped = await sf.api('POST', `${run('PresaleOrder:ops-stop')}/stop`, { reason: 'test order' });
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(stopped.body).toMatchObject({
      status: 'ABORTED',
      stoppedAt: expect.any(String),
      error: 'StoppedByOperator',
      cause: 'test order',
      actions: { stop: false, redrive: true },
      waitingFor: null,
    });
    expect(state(stopped.body, 'AwaitBalanceWindow').status).toBe('failed');
    const again = await sf.api('POST', `${run('PresaleOrder:ops-stop')}/stop`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('ABORTED');
    const listed = await sf.api('GET', '/api/runs?workflow=PresaleOrder&status=ABORTED');
    expect(listed.body.items.map((r: Body) => r.id)).toEqual(['PresaleOrder:ops-stop']);
  });

  it('a run whose step is rejected fails; redriven, it succeeds from the failed step', async () => {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `${sweepArn}#${SWEEP_CASE}`,
        name: 'sweep-ops',
        input: JSON.stringify({ date: '2026-12-01' }),
      }),
    );
    await sf.settle();
    const failed = await sf.api('GET', run('RestockSweep:sweep-ops'));
    expect(failed.status, JSON.stringify(failed.body)).toBe(200);
    expect(failed.body).toMatchObject({
      status: 'FAILED',
      key: { type: 'run', value: 'sweep-ops' },
      error: 'RestockStepRejected',
      actions: { stop: false, redrive: true },
      mapRuns: [expect.objectContaining({ state: 'Measure', status: 'SUCCEEDED', total: 0 })],
    });
    expect(state(failed.body, 'StartSweep')).toMatchObject({ status: 'succeeded', entries: 1 });
    expect(state(failed.body, 'Rank')).toMatchObject({
      status: 'failed',
      error: 'RestockStepRejected',
      cause: 'the ranking candidates were unreadable',
    });
    expect(state(failed.body, 'Check').status).toBe('not-run');
    expect(state(failed.body, 'CheckPage')).toMatchObject({ path: 'Check/CheckPage', status: 'not-run' });
    expect((await sf.api('GET', '/api/runs?workflow=RestockSweep&status=FAILED')).body.items).toHaveLength(1);

    const redriven = await sf.api('POST', `${run('RestockSweep:sweep-ops')}/redrive`);
    expect(redriven.status, JSON.stringify(redriven.body)).toBe(200);
    // The answer is the run right after the redrive (a mocked step may already have finished it).
    expect(redriven.body.redriveCount).toBe(1);
    expect(['RUNNING', 'SUCCEEDED']).toContain(redriven.body.status);
    await sf.settle();
    const done = (await sf.api('GET', run('RestockSweep:sweep-ops'))).body;
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      actions: { stop: false, redrive: false },
    });
    // From the failed step: StartSweep and Measure ran once, Rank twice.
    expect(state(done, 'StartSweep').entries).toBe(1);
    expect(state(done, 'Measure').entries).toBe(1);
    expect(state(done, 'Rank')).toMatchObject({
      status: 'succeeded',
      entries: 2,
      output: { ranking: { top: [] } },
    });
    expect(state(done, 'Done').status).toBe('succeeded');
    expect(done.history.map((e: Body) => e.type)).toContain('ExecutionRedriven');

    const refused = await sf.api('POST', `${run('RestockSweep:sweep-ops')}/redrive`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('Execution is SUCCEEDED and cannot be redriven.');
  });

  it('answers 401 without the operator token', async () => {
    for (const [method, path] of [
      ['GET', '/api/runs'],
      ['GET', run('PresaleOrder:ops-wait')],
      ['POST', `${run('PresaleOrder:ops-wait')}/stop`],
      ['POST', `${run('PresaleOrder:ops-wait')}/redrive`],
    ] as const) {
      const res = await fetch(`${runtime.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    expect((await sf.api('GET', run('PresaleOrder:ops-wait'))).body.status).toBe('RUNNING');
  });

  it('answers 400 naming the field for each bad parameter', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/api/runs?limit=0', undefined, 'limit'],
      ['GET', '/api/runs?limit=101', undefined, 'limit'],
      ['GET', '/api/runs?limit=ten', undefined, 'limit'],
      ['GET', '/api/runs?status=DONE', undefined, 'status'],
      ['GET', '/api/runs?workflow=Nope', undefined, 'workflow'],
      ['GET', '/api/runs?key=customer:1', undefined, 'key'],
      ['GET', '/api/runs?cursor=not-a-cursor', undefined, 'cursor'],
      ['GET', `${run('PresaleOrder:ops-wait')}?historyCursor=xyz`, undefined, 'historyCursor'],
      ['GET', '/api/runs/no-colon', undefined, 'id'],
      ['POST', `${run('PresaleOrder:ops-wait')}/stop`, { reason: 5 }, 'reason'],
      ['POST', `${run('PresaleOrder:ops-wait')}/stop`, { reason: 'x'.repeat(1001) }, 'reason'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await sf.api(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(
        res.body.issues.map((i: Body) => i.field),
        `${method} ${path}`,
      ).toContain(field);
    }
    expect((await sf.api('GET', run('PresaleOrder:ops-wait'))).body.status).toBe('RUNNING');
  });

  it('answers 404 for an unknown run or workflow', async () => {
    for (const [method, path] of [
      ['GET', run('PresaleOrder:no-such-order')],
      ['GET', run('NoSuchWorkflow:x')],
      ['POST', `${run('PresaleOrder:no-such-order')}/stop`],
      ['POST', `${run('RestockSweep:no-such-sweep')}/redrive`],
    ] as const) {
      const res = await sf.api(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });
});

describe('dead letters on the local runtime', () => {
  let queue = '';
  const invocations = (fn: string) =>
    Object.entries(runtime.stats().invocations)
      .filter(([name]) => name.includes(fn))
      .reduce((n, [, c]) => n + c, 0);

  /** Lambda retries an async invocation twice (after 1 and 2 minutes), then the OnFailure destination. */
  async function exhaustRetries() {
    for (let i = 0; i < 4; i++) {
      await sf.settle();
      await sf.advance(61);
    }
    await sf.settle();
  }

  it('a poisoned event ends in the dead-letter queue: listed with its depth and feeds, peeked', async () => {
    const bus = runtime.summary.buses.find((b) => b !== 'default') ?? runtime.summary.buses[0]!;
    const events = new EventBridgeClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: bus,
            Source: 'storeflow.presale',
            DetailType: 'PresaleDepositPaid',
            Detail: JSON.stringify({ poison: true }),
          },
        ],
      }),
    );
    events.destroy();
    expect(put.FailedEntryCount).toBe(0);
    await exhaustRetries();

    const listed = await sf.api('GET', '/api/dead-letters');
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.queues).toHaveLength(1);
    const q = listed.body.queues[0];
    queue = q.name;
    expect(q).toMatchObject({ redrive: 'replay', depth: 2, inFlight: 0 });
    // The last retry failed about a minute before the clock's last step.
    expect(q.oldestAgeSeconds).toBeGreaterThanOrEqual(61);
    expect(q.oldestAgeSeconds).toBeLessThan(180);
    expect(q.feeds.map((f: Body) => f.name)).toEqual(
      expect.arrayContaining(['Presale/StartOrder', 'Timeline/Record']),
    );

    const peek = await sf.api('GET', `/api/dead-letters/${queue}/messages`);
    expect(peek.status, JSON.stringify(peek.body)).toBe(200);
    expect(peek.body.items).toHaveLength(2);
    for (const m of peek.body.items) {
      expect(m).toMatchObject({
        id: expect.any(String),
        sentAt: expect.any(String),
        body: { requestPayload: { detail: { poison: true } } },
        error: { code: 'RetriesExhausted', message: expect.stringContaining('ValidationError') },
        target: { kind: 'function', via: 'async-invoke' },
      });
    }
    // A peek leaves the messages where they are.
    expect((await sf.api('GET', '/api/dead-letters')).body.queues[0]).toMatchObject({
      depth: 2,
      inFlight: 0,
    });
  });

  it('replays one message and redrives the rest to their functions (a poison fails there again)', async () => {
    const peek = (await sf.api('GET', `/api/dead-letters/${queue}/messages`)).body.items;
    const first = peek[0];
    const before = invocations(first.target.name);
    const replayed = await sf.api('POST', `/api/dead-letters/${queue}/messages/${first.id}/replay`);
    expect(replayed.status, JSON.stringify(replayed.body)).toBe(202);
    expect(replayed.body).toEqual({ replayed: 1 });
    expect((await sf.api('GET', '/api/dead-letters')).body.queues[0].depth).toBe(1);
    expect((await sf.api('POST', `/api/dead-letters/${queue}/messages/${first.id}/replay`)).status).toBe(404);

    const redriven = await sf.api('POST', `/api/dead-letters/${queue}/redrive`);
    expect(redriven.status, JSON.stringify(redriven.body)).toBe(202);
    expect(redriven.body).toEqual({ replayed: 1, skipped: [], remaining: 0 });

    // Both went back to the functions they were meant for, with the same payload: the function ran
    // again, failed again, and after Lambda's retries the messages are dead letters once more.
    await exhaustRetries();
    expect(invocations(first.target.name)).toBeGreaterThan(before);
    const again = (await sf.api('GET', `/api/dead-letters/${queue}/messages`)).body.items;
    expect(again).toHaveLength(2);
    expect(again.map((m: Body) => m.id)).not.toContain(first.id);
    expect(again.map((m: Body) => m.body.requestPayload)).toEqual(
      peek.map((m: Body) => m.body.requestPayload),
    );
  });

  it('answers 401, 400 naming the field, and 404 for an unknown queue or message', async () => {
    for (const [method, path] of [
      ['GET', '/api/dead-letters'],
      ['GET', `/api/dead-letters/${queue}/messages`],
      ['POST', `/api/dead-letters/${queue}/redrive`],
      ['POST', `/api/dead-letters/${queue}/messages/x/replay`],
    ] as const) {
      expect((await fetch(`${runtime.url}${path}`, { method })).status, `${method} ${path}`).toBe(401);
    }
    for (const [path, field] of [
      [`/api/dead-letters/${queue}/messages?limit=0`, 'limit'],
      [`/api/dead-letters/${queue}/messages?limit=101`, 'limit'],
    ] as const) {
      const res = await sf.api('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.issues.map((i: Body) => i.field)).toContain(field);
    }
    for (const [method, path] of [
      ['GET', '/api/dead-letters/no-such-queue/messages'],
      ['POST', '/api/dead-letters/no-such-queue/redrive'],
      ['POST', `/api/dead-letters/${queue}/messages/no-such-message/replay`],
    ] as const) {
      expect((await sf.api(method, path)).status, `${method} ${path}`).toBe(404);
    }
    expect((await sf.api('GET', '/api/dead-letters')).body.queues[0].depth).toBe(2);
  });
});

describe('the overview on the local runtime', () => {
  it('counts runs per workflow and status, lists the last day’s failures and the dead letters', async () => {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `${sweepArn}#${SWEEP_CASE}`,
        name: 'sweep-ops-failed',
        input: JSON.stringify({ date: '2026-12-02' }),
      }),
    );
    await sf.settle();
    const res = await sf.api('GET', '/api/overview');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const o = res.body;
    expect(Object.keys(o.runs).sort()).toEqual([
      'CampaignLaunch',
      'ExperimentRun',
      'MembersNightly',
      'PresaleOrder',
      'PurchaseOrderApproval',
      'RepricingRun',
      'RepricingWhatIf',
      'RestockSweep',
    ]);
    const listed = async (workflow: string, status: string) =>
      (await sf.api('GET', `/api/runs?workflow=${workflow}&status=${status}&limit=100`)).body.items.length;
    expect(o.runs.PresaleOrder).toMatchObject({
      RUNNING: await listed('PresaleOrder', 'RUNNING'),
      ABORTED: 1,
      FAILED: 0,
    });
    expect(o.runs.RestockSweep).toMatchObject({
      FAILED: 1,
      SUCCEEDED: await listed('RestockSweep', 'SUCCEEDED'),
    });
    expect(o.runs.RestockSweep.SUCCEEDED).toBeGreaterThanOrEqual(1);
    expect(o.capped).toEqual([]);
    expect(o.failedLast24h).toEqual([
      expect.objectContaining({ id: 'RestockSweep:sweep-ops-failed', status: 'FAILED' }),
    ]);
    expect(o.deadLetters).toEqual([expect.objectContaining({ depth: 2, redrive: 'replay' })]);
    // Nothing waits for a person here (presale orders wait for time and the customer).
    expect(o.waiting).toEqual([]);
    expect(o.slaBreaches).toEqual([]);
    expect((await fetch(`${runtime.url}/api/overview`)).status).toBe(401);
  });
});

describe('storeflow runs (the CLI) on the local runtime', () => {
  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['runs', '--data', dataDir, '--port', String(runtime.port), ...args], {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
      env: {},
    });
    return { code, out, err };
  };

  it('shows a running sweep’s progress: its Distributed Map’s children done of total', async () => {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `${sweepArn}#${PROGRESS_CASE}`,
        name: 'sweep-ops-progress',
        input: JSON.stringify({ date: '2026-12-03' }),
      }),
    );
    // One child's page is retried after a back-off (a timer on the virtual clock): the map runs on.
    await sf.settle();
    const listed = await cli('--workflow', 'RestockSweep', '--status', 'RUNNING');
    expect(listed.err).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^RestockSweep:sweep-ops-progress\s+RUNNING\s+\S+\s+run:sweep-ops-progress$/m);
    expect(listed.out).toContain('    Measure      2/3 children done (1 running) [#############.......]');

    const one = await cli('RestockSweep:sweep-ops-progress');
    expect(one.out).toContain('RestockSweep:sweep-ops-progress  RUNNING');
    expect(one.out).toContain('  Measure      2/3 children done (1 running)');
    expect(one.out).toMatch(/^ {4}StartSweep\s+succeeded$/m);
    expect(one.out).toMatch(/^ {4}Measure\s+running$/m);

    await sf.advance(10);
    await sf.settle();
    const done = await cli('RestockSweep:sweep-ops-progress');
    expect(done.out).toContain('RestockSweep:sweep-ops-progress  SUCCEEDED');
    expect(done.out).toContain('  Measure      3/3 children done [####################] succeeded');
    expect(done.out).toContain('  Check        3/3 children done [####################] succeeded');
    const json = JSON.parse((await cli('RestockSweep:sweep-ops-progress', '--json')).out);
    expect(json.mapRuns.map((m: Body) => [m.state, m.succeeded, m.total])).toEqual([
      ['Measure', 3, 3],
      ['Check', 3, 3],
    ]);
  });

  it('names what went wrong: an unknown run, a bad limit', async () => {
    expect(await cli('RestockSweep:nope')).toMatchObject({ code: 1, err: expect.stringContaining('404') });
    expect(await cli('--limit', '0')).toMatchObject({ code: 2, err: expect.stringContaining('--limit') });
    expect((await cli('--key', 'run:sweep-ops')).out).toMatch(/^RestockSweep:sweep-ops\s+SUCCEEDED/m);
  });
});

describe('Lambda’s Invoke API on the local runtime (what a replay uses)', () => {
  it('answers RequestResponse, Event and DryRun as the API reference describes, 404 for no function', async () => {
    const lambda = new LambdaClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const recorder = runtime.summary.functions.find((f) => f.name.includes('TimelineRecord'))!.name;
      const sync = await lambda.send(
        new InvokeCommand({ FunctionName: recorder, Payload: new TextEncoder().encode('{}') }),
      );
      expect(sync).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled', ExecutedVersion: '$LATEST' });
      expect(JSON.parse(new TextDecoder().decode(sync.Payload))).toMatchObject({
        errorType: 'ValidationError',
      });
      const dry = await lambda.send(new InvokeCommand({ FunctionName: recorder, InvocationType: 'DryRun' }));
      expect(dry.StatusCode).toBe(204);
      const queued = await lambda.send(
        new InvokeCommand({
          FunctionName: `arn:aws:lambda:us-east-1:000000000000:function:${recorder}`,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode('{"not":"an event"}'),
        }),
      );
      expect(queued.StatusCode).toBe(202);
      await expect(
        lambda.send(new InvokeCommand({ FunctionName: 'no-such-function' })),
      ).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(
        lambda.send(
          new InvokeCommand({
            FunctionName: recorder,
            InvocationType: 'Event',
            Payload: new TextEncoder().encode(JSON.stringify({ big: 'x'.repeat(1024 * 1024) })),
          }),
        ),
      ).rejects.toMatchObject({ name: 'RequestTooLargeException' });
    } finally {
      lambda.destroy();
    }
  });
});
