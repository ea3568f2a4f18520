/**
 * A probe, not a benchmark (no `.bench.ts` suffix): the app on the local runtime in this process,
 * sent signed 2,000-line `orders/paid` webhooks one at a time, settled between them; prints each
 * acknowledgement's wall time, the process's CPU during the acknowledgement and until settled,
 * and the main thread's CPU during the acknowledgement. For profiling:
 *
 *   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/big-order-probe.ts
 *
 * Knobs: PROBE_ORDERS (10), PROBE_LINES (2000), PROBE_WARMUP (3), PROBE_SETTLE (1; 0: the next order
 * is sent as soon as the last is acknowledged, as the webhooks bench does, settled only at the end),
 * PROBE_REQUEST_HOLD_MS (the runtime's default; 0: background calls are never held),
 * PROBE_WINDOWS=<file> (the measured acknowledgements' [start, end] in µs of the monotonic clock a
 * CPU profile's timestamps use, as JSON: to slice a profile to the acknowledgements).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../lib/synth.ts';
import { prepareAssembly } from '../local/runtime/build.ts';
import { startRuntime } from '../local/runtime/runtime.ts';
import { orderBody, pct, shopifyFixture, shopifyHeaders, shortName } from './webhooks.bench.ts';

const ORDERS = Number(process.env.PROBE_ORDERS ?? 10);
const LINES = Number(process.env.PROBE_LINES ?? 2000);
const WARMUP = Number(process.env.PROBE_WARMUP ?? 3);
const SETTLE = process.env.PROBE_SETTLE !== '0';

function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const work = mkdtempSync(join(tmpdir(), 'storeflow-big-probe-'));
const assembly = join(work, 'app.out');
await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
  synthesize(outdir, context);
});
const dataDir = join(work, 'data');
const runtime = await startRuntime({
  assemblyDir: assembly,
  dataDir,
  port: 0,
  clock: 'real',
  // PROBE_REQUEST_HOLD_MS=n: the background calls' hold while a request is in flight (0: never)
  ...(process.env.PROBE_REQUEST_HOLD_MS
    ? { background: { requestHoldMs: Number(process.env.PROBE_REQUEST_HOLD_MS) } }
    : {}),
});
try {
  const { secret, template } = shopifyFixture(dataDir);
  const base = 8_000_000_000 + Math.floor(Date.now() % 1_000_000) * 1000;
  const body = (orderId: number) => orderBody(template, orderId, LINES);
  const rows: { wall: number; cpu: number; main: number; settled: number }[] = [];
  const windows: Array<[number, number]> = [];
  const micros = () => Number(process.hrtime.bigint() / 1000n);
  let warmed: ReturnType<typeof runtime.stats> | undefined;
  for (let n = 0; n < WARMUP + ORDERS; n++) {
    if (n === WARMUP) {
      await runtime.settle();
      warmed = runtime.stats();
    }
    const text = body(base + n);
    const c0 = cpuMs();
    const m0 = mainThreadCpuMs();
    const t0 = performance.now();
    const w0 = micros();
    const reply = await fetch(new URL('/webhooks/shopify', runtime.url), {
      method: 'POST',
      headers: shopifyHeaders(text, secret, `probe-${base}-${n}`, 'probe.myshopify.com'),
      body: text,
    });
    const answer = await reply.text();
    const wall = performance.now() - t0;
    if (n >= WARMUP) windows.push([w0, micros()]);
    const cpu = cpuMs() - c0;
    const main = mainThreadCpuMs() - m0;
    if (reply.status !== 200) throw new Error(`answered ${reply.status}: ${answer.slice(0, 300)}`);
    if (SETTLE || n === WARMUP + ORDERS - 1) await runtime.settle();
    const settled = cpuMs() - c0;
    if (n >= WARMUP) rows.push({ wall, cpu, main, settled });
    console.log(
      `${n < WARMUP ? 'warm-up ' : ''}#${n}: ${Buffer.byteLength(text)} B body, ack ${wall.toFixed(0)} ms, CPU during ack ${cpu.toFixed(0)} ms (main thread ${main} ms), CPU until settled ${settled.toFixed(0)} ms`,
    );
  }
  // Per order after the warm-up, the bus's consumers included (settled at the end).
  const stats = runtime.stats();
  for (const what of ['calls', 'invocations', 'cpu'] as const) {
    const before = warmed?.[what] ?? {};
    const parts = Object.entries(stats[what])
      .map(([k, v]) => [k, (v - (before[k] ?? 0)) / ORDERS / (what === 'cpu' ? 1000 : 1)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]);
    const sum = parts.reduce((t, [, v]) => t + v, 0);
    console.log(
      `${what === 'cpu' ? 'CPU ms' : what} per order: ${sum.toFixed(2)} (${parts.map(([k, v]) => `${shortName(k)} ${v.toFixed(2)}`).join(', ')})`,
    );
  }
  if (process.env.PROBE_WINDOWS) writeFileSync(process.env.PROBE_WINDOWS, JSON.stringify(windows));
  const col = (k: keyof (typeof rows)[number]) =>
    `p50 ${pct(
      rows.map((r) => r[k]),
      50,
    ).toFixed(0)} p99 ${pct(
      rows.map((r) => r[k]),
      99,
    ).toFixed(0)}`;
  console.log(
    `${LINES}-line orders (${ORDERS}): ack wall ${col('wall')} ms; CPU during ack ${col('cpu')} ms; main thread ${col('main')} ms; CPU until settled ${col('settled')} ms`,
  );
} finally {
  await runtime.close();
  if (process.env.PROBE_KEEP === '1') console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
