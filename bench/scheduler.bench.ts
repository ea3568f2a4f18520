/**
 * EventBridge Scheduler on the local runtime at the SLA's scale: the fixture app (its timers
 * function is the SLA's deadline-timer adapter and target) in its own process with a virtual
 * clock; N one-time schedules (`at()`, ActionAfterCompletion DELETE, retry policy, DLQ: what the
 * SLA sends) created through `@aws-sdk/client-scheduler` by 20 concurrent clients, spread over an
 * hour of due times, then the clock advanced past the last one so all fire (each invokes the
 * function, which writes one item) and are deleted.
 *
 * Beside it, measured in the same run on the same runtime: a read-only Scheduler call through the
 * same SDK and route (GetScheduleGroup, 20 in flight) for the creates; the same function invoked
 * by an EventBridge rule for the same number of events (PutEvents, 10 per call, then settle) for
 * the fires; the runtime's RSS after a full GC before the schedules exist, with them all open, and
 * after they fired. Checks: every schedule fired exactly once and none is left.
 *
 * Knobs: BENCH_SCHEDULES (10000), BENCH_CONCURRENCY (20), BENCH_SPREAD_SECONDS (3600).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateScheduleCommand,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { PROJECT_ROOT, prepareAssembly } from '../local/runtime/build.ts';
import { startRuntimeProcess } from './runtime-process.ts';

const N = Number(process.env.BENCH_SCHEDULES ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const SPREAD = Number(process.env.BENCH_SPREAD_SECONDS ?? 3600);
const GROUP = 'fixture-timers';
const TIMERS = 'arn:aws:lambda:us-east-1:000000000000:function:fixture-timers';
const ROLE = 'arn:aws:iam::000000000000:role/fixture-timers-invoker';
const DLQ = 'arn:aws:sqs:us-east-1:000000000000:fixture-timers-dlq';

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** `count` calls by CONCURRENCY workers; latencies and calls/s. */
async function concurrently(count: number, call: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await call(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, rate: count / ((performance.now() - started) / 1000) };
}

/** Items the timers function wrote for promise ids starting with `prefix`, with how many per id. */
async function firings(ddb: DynamoDBClient, table: string, prefix: string) {
  const perId = new Map<string, number>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: 'pk',
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': { S: `timer#${prefix}` } },
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    for (const item of page.Items ?? []) perId.set(item.pk!.S!, (perId.get(item.pk!.S!) ?? 0) + 1);
    start = page.LastEvaluatedKey;
  } while (start);
  return perId;
}

export async function run(): Promise<{ ok: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'storeflow-bench-scheduler-'));
  let runtime: Awaited<ReturnType<typeof startRuntimeProcess>> | undefined;
  const clients: Array<{ destroy(): void }> = [];
  try {
    const assembly = join(PROJECT_ROOT, 'node_modules', '.cache', 'storeflow-test', 'fixture.out');
    await prepareAssembly(
      assembly,
      { fixture: true },
      async (outdir) => {
        const { synthesizeFixtureApp } = await import('../test/fixtures/app/fixture-app.ts');
        synthesizeFixtureApp(outdir);
      },
      ['test/fixtures/app'],
    );
    runtime = await startRuntimeProcess(assembly, join(work, 'data'), 'virtual');
    const rt = runtime;
    const config = {
      endpoint: rt.url.href.replace(/\/$/, ''),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const scheduler = new SchedulerClient(config);
    const events = new EventBridgeClient(config);
    const ddb = new DynamoDBClient(config);
    clients.push(scheduler, events, ddb);
    const table = (await ddb.send(new ListTablesCommand({}))).TableNames![0]!;
    const post = async (path: string, body: unknown = {}) => {
      const res = await fetch(`${config.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { now: string };
    };

    // --- baselines, same run, same runtime --------------------------------------------------------
    await concurrently(500, () => scheduler.send(new GetScheduleGroupCommand({ Name: GROUP })));
    const read = await concurrently(Math.max(2000, N / 2), () =>
      scheduler.send(new GetScheduleGroupCommand({ Name: GROUP })),
    );
    console.log(
      `baseline: GetScheduleGroup (same SDK and route, read-only), c=${CONCURRENCY}: ${read.rate.toFixed(0)}/s  p50 ${pct(read.latencies, 50).toFixed(1)} ms  p99 ${pct(read.latencies, 99).toFixed(1)} ms`,
    );
    const ruleStarted = performance.now();
    await concurrently(Math.ceil(N / 10), (i) =>
      events.send(
        new PutEventsCommand({
          Entries: Array.from({ length: Math.min(10, N - i * 10) }, (_, j) => ({
            EventBusName: 'fixture-bus',
            Source: 'fixture',
            DetailType: 'Timer',
            Detail: JSON.stringify({ promiseId: `rule-${i * 10 + j}`, timer: 'deadline' }),
          })),
        }),
      ),
    );
    await rt.settle();
    const ruleSeconds = (performance.now() - ruleStarted) / 1000;
    const ruleRate = N / ruleSeconds;
    const ruleFired = await firings(ddb, table, 'rule-');
    console.log(
      `baseline: the same function invoked by a rule for ${N} events (PutEvents ×10, then settled): ${ruleSeconds.toFixed(1)} s, ${ruleRate.toFixed(0)} invocations/s (${ruleFired.size} recorded)`,
    );
    const m0 = await rt.memory();
    console.log(
      `baseline: runtime after a full GC, no schedules: RSS ${mib(m0.rss)} heap ${mib(m0.heapUsed)}`,
    );

    // --- N one-time schedules ----------------------------------------------------------------------
    const t0 = Date.parse(
      ((await (await fetch(`${config.endpoint}/_local/clock`)).json()) as { now: string }).now,
    );
    const at = (i: number) => new Date(t0 + (60 + (i % SPREAD)) * 1000).toISOString().slice(0, 19);
    const created = await concurrently(N, (i) =>
      scheduler.send(
        new CreateScheduleCommand({
          Name: `sched-${i}`,
          GroupName: GROUP,
          ScheduleExpression: `at(${at(i)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: TIMERS,
            RoleArn: ROLE,
            Input: JSON.stringify({ promiseId: `sched-${i}`, timer: 'deadline' }),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: DLQ },
          },
        }),
      ),
    );
    console.log(
      `CreateSchedule ×${N}, c=${CONCURRENCY}: ${created.rate.toFixed(0)}/s  p50 ${pct(created.latencies, 50).toFixed(1)} ms  p99 ${pct(created.latencies, 99).toFixed(1)} ms  (${((created.rate / read.rate) * 100).toFixed(0)}% of the GetScheduleGroup rate)`,
    );
    const m1 = await rt.memory();
    // the JS heap and ArrayBuffers: a parked schedule is numbers in typed arrays, outside the heap
    const held = (m: typeof m0) => m.heapUsed + (m.arrayBuffers ?? 0);
    const perSchedule = (held(m1) - held(m0)) / N;
    console.log(
      `runtime with ${N} open schedules, after a full GC: RSS ${mib(m1.rss)} (+${mib(m1.rss - m0.rss)}, ${(((m1.rss - m0.rss) / m0.rss) * 100).toFixed(1)}% of the baseline), heap ${mib(m1.heapUsed)}, ArrayBuffers ${mib(m1.arrayBuffers ?? 0)} (+${perSchedule.toFixed(0)} B per schedule of the two)`,
    );

    // --- fire them all -----------------------------------------------------------------------------
    const fireStarted = performance.now();
    await post('/_local/clock/advance', { seconds: SPREAD + 120 });
    await rt.settle();
    const fireSeconds = (performance.now() - fireStarted) / 1000;
    const fireRate = N / fireSeconds;
    console.log(
      `clock advanced ${SPREAD + 120} s: ${N} schedules at ${Math.min(N, SPREAD)} distinct instants fired, invoked and deleted in ${fireSeconds.toFixed(1)} s: ${fireRate.toFixed(0)} fires/s (${((fireRate / ruleRate) * 100).toFixed(0)}% of the rule → function rate)`,
    );
    const m2 = await rt.memory();
    console.log(
      `runtime after they fired, after a full GC: RSS ${mib(m2.rss)} (${m2.rss >= m0.rss ? '+' : ''}${mib(m2.rss - m0.rss)} from the baseline), heap ${mib(m2.heapUsed)} (${m2.heapUsed >= m0.heapUsed ? '+' : ''}${mib(m2.heapUsed - m0.heapUsed)})`,
    );

    // --- checks ------------------------------------------------------------------------------------
    const perId = await firings(ddb, table, 'sched-');
    const twice = [...perId.values()].filter((n) => n > 1).length;
    const left = (await scheduler.send(new ListSchedulesCommand({ GroupName: GROUP, NamePrefix: 'sched-' })))
      .Schedules!.length;
    const checks = [
      { name: `every schedule fired (${perId.size} of ${N})`, ok: perId.size === N },
      { name: `none fired twice (${twice})`, ok: twice === 0 },
      { name: `none left after ActionAfterCompletion DELETE (${left})`, ok: left === 0 },
      {
        name: `the rule baseline delivered every event (${ruleFired.size} of ${N})`,
        ok: ruleFired.size === N,
      },
    ];
    for (const c of checks) console.log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}`);
    return { ok: checks.every((c) => c.ok) };
  } finally {
    for (const c of clients) c.destroy();
    await runtime?.close().catch(() => runtime?.kill());
    rmSync(work, { recursive: true, force: true });
  }
}
