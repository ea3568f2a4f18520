/**
 * A quick A/B probe of the acknowledgement path (not part of `npm run bench`): the webhooks bench's
 * load without its settling phases — warm-up (`PROBE_WARMUP`, 200; the backlog it leaves is
 * settled), then `PROBE_DELIVERIES` signed 2-line orders/paid at c=`BENCH_CONCURRENCY` — printing
 * acks/s, p50/p99, CPU per delivery while the load ran (by thread) and the calls per delivery,
 * beside a plain loopback round trip in the same run; the runtime is killed after (its backlog is
 * not drained). `PROBE_ASSEMBLY=<dir>` reuses a synthesized app.
 * `npx tsx bench/ack-probe.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../lib/synth.ts';
import { prepareAssembly } from '../local/runtime/build.ts';
import { startRuntimeProcess } from './runtime-process.ts';
import {
  loopbackBaseline,
  orderBody,
  pct,
  post,
  shopifyFixture,
  shopifyHeaders,
  shortName,
} from './webhooks.bench.ts';

const N = Number(process.env.PROBE_DELIVERIES ?? 1500);
const C = Number(process.env.BENCH_CONCURRENCY ?? 20);
const LINES = Number(process.env.PROBE_LINES ?? 2);
const WARMUP = Number(process.env.PROBE_WARMUP ?? 200);
const work = mkdtempSync(join(tmpdir(), 'storeflow-ack-probe-'));
const assembly = process.env.PROBE_ASSEMBLY ?? join(work, 'app.out');
await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
  synthesize(outdir, context);
});
const dataDir = join(work, 'data');
const rt = await startRuntimeProcess(assembly, dataDir);
const agent = new Agent({ keepAlive: true, maxSockets: C });
try {
  const { secret, template } = shopifyFixture(dataDir);
  const base = 8_000_000_000 + Math.floor(Date.now() % 1_000_000) * 1000;
  let next = 0;
  const load = async (count: number) => {
    const lat: number[] = [];
    let left = count;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (left-- > 0) {
          const n = next++;
          const body = orderBody(template, base + n, LINES);
          const t = performance.now();
          const r = await post(
            agent,
            rt.url,
            '/webhooks/shopify',
            shopifyHeaders(body, secret, `probe-${base}-${n}`),
            body,
          );
          if (r.status !== 200) throw new Error(`${r.status} ${r.body.slice(0, 300)}`);
          lat.push(performance.now() - t);
        }
      }),
    );
    return { lat, rate: lat.length / ((performance.now() - t0) / 1000) };
  };
  await load(WARMUP);
  await rt.settle();
  const loop = (await loopbackBaseline(2)).rate;
  const c0 = await rt.cpu();
  const s0 = await rt.stats();
  const own0 = process.cpuUsage();
  const r = await load(N);
  const own = process.cpuUsage(own0);
  const c1 = await rt.cpu();
  const s1 = await rt.stats();
  const per = (a: Record<string, number>, b: Record<string, number>) =>
    Object.entries(b)
      .map(([k, v]) => [k, (v - (a[k] ?? 0)) / N] as const)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]);
  const cpu = (c1.user + c1.system - c0.user - c0.system) / 1000 / N;
  const threads = per(s0.cpu, s1.cpu).map(([k, v]) => `${shortName(k)} ${(v / 1000).toFixed(2)}`);
  const calls = per(s0.calls, s1.calls);
  const inv = per(s0.invocations, s1.invocations);
  console.log(
    `${N} deliveries (${LINES} lines) c=${C}: ${r.rate.toFixed(0)}/s p50 ${pct(r.lat, 50).toFixed(0)} ms p99 ${pct(r.lat, 99).toFixed(0)} ms; loopback ${loop.toFixed(0)} req/s (ratio ${((r.rate / loop) * 1000).toFixed(1)}‰)`,
  );
  console.log(`CPU per delivery while loaded ${cpu.toFixed(2)} ms: ${threads.join(', ')}`);
  console.log(
    `the load generator's own CPU per delivery ${((own.user + own.system) / 1000 / N).toFixed(2)} ms`,
  );
  console.log(
    `calls ${calls.reduce((t, [, v]) => t + v, 0).toFixed(2)}: ${calls.map(([k, v]) => `${shortName(k)} ${v.toFixed(2)}`).join(', ')}`,
  );
  console.log(`invocations ${inv.map(([k, v]) => `${shortName(k)} ${v.toFixed(2)}`).join(', ')}`);
} finally {
  agent.destroy();
  await rt.exit();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
