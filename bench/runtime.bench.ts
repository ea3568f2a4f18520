/**
 * The local runtime: launch → /health 200 (fresh: synthesis included; warm: an up-to-date
 * assembly and an existing data directory), event → first workflow transition latency, and the
 * real app's deposit webhook → its presale run's first transition and → the order recorded, each
 * beside baselines measured in the same run: an empty `node -e ''` start and a plain Node HTTP
 * loopback round trip. Goal: warm start to /health ≤ 1 s.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { signStoreflow } from '../domain/ingestion/signatures.ts';
import { synthesize } from '../lib/synth.ts';
import { prepareAssembly } from '../local/runtime/build.ts';
import { startRuntime } from '../local/runtime/runtime.ts';
import { synthesizeFixtureApp } from '../test/fixtures/app/fixture-app.ts';

const CLI = fileURLToPath(new URL('../bin/storeflow-cli.js', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WARM_GOAL_MS = 1000;

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

function emptyNode(): number {
  const t = performance.now();
  execFileSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  return performance.now() - t;
}

/** Spawns `storeflow dev` and returns the wall time until /health answers 200. */
async function launchToHealth(args: string[]): Promise<number> {
  const t = performance.now();
  const child = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c;
      const m = /ready on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  for (;;) {
    const res = await fetch(`${url}/health`).catch(() => undefined);
    if (res?.status === 200) break;
  }
  const elapsed = performance.now() - t;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return elapsed;
}

async function loopbackRoundTrips(n: number): Promise<number[]> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((resolve) => {
      request({ port, host: '127.0.0.1', path: '/' }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).end();
    });
    times.push(performance.now() - t);
  }
  server.close();
  return times;
}

/**
 * The real app on the runtime (real clock): a presale, then `n` signed deposit webhooks one after
 * the other; for each, the time until its run exists with a first history event, and until the
 * order is recorded (GET /api/presale-orders answers DEPOSIT_PAID).
 */
async function presaleLatencies(work: string, n: number): Promise<{ started: number[]; recorded: number[] }> {
  const assembly = join(work, 'app.out');
  await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
    synthesize(outdir, context);
  });
  const dataDir = join(work, 'presale-data');
  const runtime = await startRuntime({ assemblyDir: assembly, dataDir, port: 0, clock: 'real' });
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
    adminToken: string;
    secrets: Record<string, string>;
  };
  const auth = { authorization: `Bearer ${secrets.adminToken}`, 'content-type': 'application/json' };
  const now = Date.now();
  const put = await fetch(`${runtime.url}/api/presales/ps-bench`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({
      sku: 'BENCH-1',
      listPrice: { amount: 500_000, currency: 'CNY' },
      depositWindow: {
        start: new Date(now - 3_600_000).toISOString(),
        end: new Date(now + 86_400_000).toISOString(),
      },
      quota: n,
    }),
  });
  if (put.status !== 201) throw new Error(`presale: ${put.status} ${await put.text()}`);
  const sfn = new SFNClient({
    endpoint: runtime.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
  const machine = stateMachines.find((m) => m.name?.includes('PresaleOrder'))?.stateMachineArn;
  if (!machine) throw new Error('no presale state machine');
  const started: number[] = [];
  const recorded: number[] = [];
  for (let i = 0; i < n; i++) {
    const orderId = `bench-${i}`;
    const body = JSON.stringify({
      id: `bench-dep-${i}`,
      type: 'presale.deposit_paid',
      occurredAt: new Date().toISOString(),
      data: { orderId, presaleId: 'ps-bench', customerId: 'c', amount: { amount: 50_000, currency: 'CNY' } },
    });
    const t = performance.now();
    const res = await fetch(`${runtime.url}/webhooks/storeflow`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'storeflow-signature': signStoreflow(
          body,
          secrets.secrets.StoreflowWebhookSecret!,
          Math.floor(Date.now() / 1000),
        ),
      },
      body,
    });
    if (res.status !== 200) throw new Error(`deposit: ${res.status} ${await res.text()}`);
    const executionArn = `${machine.replace(':stateMachine:', ':execution:')}:${orderId}`;
    for (;;) {
      try {
        const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1 }));
        if (h.events?.length) break;
      } catch (error) {
        if ((error as { name?: string }).name !== 'ExecutionDoesNotExist') throw error;
      }
    }
    started.push(performance.now() - t);
    for (;;) {
      const order = await fetch(`${runtime.url}/api/presale-orders/${orderId}`, { headers: auth });
      if (order.status === 200 && ((await order.json()) as { status: string }).status === 'DEPOSIT_PAID')
        break;
      if (order.status !== 200) await order.arrayBuffer();
    }
    recorded.push(performance.now() - t);
  }
  sfn.destroy();
  await runtime.close();
  return { started, recorded };
}

export async function run(): Promise<{ ok: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'storeflow-bench-runtime-'));
  try {
    const empty = Array.from({ length: RUNS }, emptyNode);
    console.log(`baseline: empty node start  p50 ${ms(pct(empty, 50))}`);

    // Fresh: a new data directory; `storeflow dev` synthesizes the real app (bundling included).
    const fresh = await launchToHealth(['--data', join(work, 'fresh')]);
    console.log(
      `launch → /health, fresh (synth + bundle + new data dir): ${ms(fresh)}  (${(fresh / pct(empty, 50)).toFixed(1)}× empty node)`,
    );
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) warm.push(await launchToHealth(['--data', join(work, 'fresh')]));
    const warmP50 = pct(warm, 50);
    console.log(
      `launch → /health, warm (assembly up to date, existing data): p50 ${ms(warmP50)}  max ${ms(Math.max(...warm))}  (${(warmP50 / pct(empty, 50)).toFixed(1)}× empty node; goal ≤ ${WARM_GOAL_MS} ms)`,
    );

    // Event → first workflow transition, in-process, on the fixture app (event → rule → Step Functions).
    const fixture = join(work, 'fixture.out');
    await prepareAssembly(fixture, { fixture: true }, (out) => synthesizeFixtureApp(out), [
      'test/fixtures/app',
    ]);
    const runtime = await startRuntime({
      assemblyDir: fixture,
      dataDir: join(work, 'fx-data'),
      port: 0,
      clock: 'real',
    });
    const creds = {
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    };
    const events = new EventBridgeClient(creds);
    const sfn = new SFNClient(creds);
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:fixture-flow';
    const latencies: number[] = [];
    const N = Number(process.env.BENCH_EVENTS ?? 100);
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: 'fixture-bus',
              Source: 'fixture',
              DetailType: 'Start',
              Detail: JSON.stringify({ run: `b${i}`, slowMs: 0 }),
            },
          ],
        }),
      );
      // first transition = the execution exists with its ExecutionStarted event
      for (;;) {
        const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
        if (executions.length > i) {
          const h = await sfn.send(
            new GetExecutionHistoryCommand({ executionArn: executions[0]!.executionArn!, maxResults: 2 }),
          );
          if (h.events?.length) break;
        }
      }
      latencies.push(performance.now() - t);
    }
    events.destroy();
    sfn.destroy();
    await runtime.close();
    const loop = await loopbackRoundTrips(N);
    console.log(
      `baseline: plain HTTP loopback round trip  p50 ${ms(pct(loop, 50))}  p99 ${ms(pct(loop, 99))}`,
    );
    console.log(
      `event → first workflow transition (PutEvents → rule → StartExecution, observed via the SFN API): p50 ${ms(pct(latencies, 50))}  p99 ${ms(pct(latencies, 99))}  (${(pct(latencies, 50) / pct(loop, 50)).toFixed(1)}× loopback)`,
    );
    const presale = await presaleLatencies(work, Number(process.env.BENCH_DEPOSITS ?? 50));
    console.log(
      `deposit webhook → first transition of its presale run (signed POST → outbox → bus → rule → StartPresaleOrder → StartExecution): p50 ${ms(pct(presale.started, 50))}  p99 ${ms(pct(presale.started, 99))}  (${(pct(presale.started, 50) / pct(loop, 50)).toFixed(1)}× loopback)`,
    );
    console.log(
      `deposit webhook → order recorded DEPOSIT_PAID (TakeUnit + RecordOrder done): p50 ${ms(pct(presale.recorded, 50))}  p99 ${ms(pct(presale.recorded, 99))}  (${(pct(presale.recorded, 50) / pct(loop, 50)).toFixed(1)}× loopback)`,
    );
    return { ok: warmP50 <= WARM_GOAL_MS };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
