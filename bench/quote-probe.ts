/**
 * A quick A/B probe of the checkout quote (not part of `npm run bench`): the quote bench's store and
 * cart (quote.bench.ts), warm-up, then `PROBE_SECONDS` (10) of `POST /api/quote` at
 * c=`BENCH_CONCURRENCY` (4), printing quotes/s, p50/p99, the CPU per quote by thread and the AWS
 * calls per quote; the runtime is then ended at once, so with `BENCH_CPU_PROF=<dir>` the profiles'
 * last `PROBE_SECONDS` are the load (scripts/cpuprofile-summary.py `--last`). `PROBE_ASSEMBLY=<dir>`
 * runs a synthesized app as it is (A/B of two builds). `npx tsx bench/quote-probe.ts`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../lib/synth.ts';
import { PROJECT_ROOT, prepareAssembly } from '../local/runtime/build.ts';
import { load, pct, quoteFixture } from './quote.bench.ts';
import { startRuntimeProcess } from './runtime-process.ts';
import { shortName } from './webhooks.bench.ts';

const SECONDS = Number(process.env.PROBE_SECONDS ?? 10);
const work = mkdtempSync(join(tmpdir(), 'storeflow-quote-probe-'));
// PROBE_ASSEMBLY=<dir>: a synthesized app used as it is (an A/B of two builds), else the bench's.
const assembly =
  process.env.PROBE_ASSEMBLY ?? join(PROJECT_ROOT, 'node_modules', '.cache', 'storeflow-bench', 'app.out');
if (!process.env.PROBE_ASSEMBLY || !existsSync(join(assembly, 'manifest.json'))) {
  await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
    synthesize(outdir, context);
  });
}
const rt = await startRuntimeProcess(assembly, join(work, 'data'), 'virtual');
try {
  const { headers, cart } = await quoteFixture(rt.url.origin, join(work, 'data'));
  await rt.settle(); // the hourly schedules the fixture's clock jump passed (quote.bench.ts)
  await load(rt.url, '/api/quote', headers, cart, 3); // warm-up: every sandbox started
  const s0 = await rt.stats();
  const q = await load(rt.url, '/api/quote', headers, cart, SECONDS);
  const s1 = await rt.stats();
  const n = q.latencies.length;
  const per = (a: Record<string, number>, b: Record<string, number>) =>
    Object.entries(b)
      .map(([k, v]) => [k, (v - (a[k] ?? 0)) / n] as const)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]);
  const cpu = per(s0.cpu, s1.cpu);
  const total = cpu.reduce((t, [, v]) => t + v, 0) / 1000;
  const calls = per(s0.calls, s1.calls);
  console.log(
    `${n} quotes in ${SECONDS} s: ${q.rate.toFixed(0)}/s p50 ${pct(q.latencies, 50).toFixed(1)} ms p99 ${pct(q.latencies, 99).toFixed(1)} ms (${q.failed} failed)`,
  );
  console.log(
    `CPU per quote ${total.toFixed(2)} ms: ${cpu.map(([k, v]) => `${shortName(k)} ${(v / 1000).toFixed(2)}`).join(', ')}`,
  );
  console.log(
    `calls ${calls.reduce((t, [, v]) => t + v, 0).toFixed(2)}: ${calls.map(([k, v]) => `${shortName(k)} ${v.toFixed(2)}`).join(', ')}`,
  );
} finally {
  await rt.exit();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
