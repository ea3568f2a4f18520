/**
 * Storefront events at volume on the local runtime (issue #16), against the real app in its own
 * process on the real clock (the write key's rate window is real seconds), batches of 500 POSTed
 * to `/events/storefront` with `BENCH_CONCURRENCY` (8) requests in flight. Two parts, both
 * generated (seeded: new and returning users over four channels, ~10,000 users per seed) before
 * the clock starts:
 *
 * 1. **The target** — `BENCH_STOREFRONT_EVENTS` (1,000,000) events of yesterday, all seeds merged
 *    in the order of `at` as a collector forwards a day of that store's traffic: a batch spans about
 *    a minute of `at`, so it makes ~7 dedupe writes (one atomic UpdateItem per minute of `at` and
 *    shard it touches) and 2 segment writes. Target ≥ 5,000 events/s.
 * 2. **The sparse shape**, reported beside it (no target) — `BENCH_STOREFRONT_SPARSE` (100,000)
 *    events of the day before, each seed's day sent whole before the next one (what this bench sent
 *    before decision 31's amendment): a batch spans ~18 minutes of `at` and touches ~78 dedupe
 *    items, the most a batch of this traffic can cost per event. 0 skips it.
 *
 * Each part prints, beside the embedded store's raw write rate measured in the same run: events
 * accepted per second, the dedupe writes per batch, the ratio to the raw rate, and the time from
 * its last 202 until `GET /api/metrics/gmv` counts every visitor sent (the figures are folded from
 * the stored segments on read, so it is the read's own time). Checks: every event accepted exactly
 * once, the metrics' visitors equal the generated ones.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pMap from 'p-map';
import { DEFAULT_DEDUPE_SHARDS, groupSeen } from '../domain/metrics/ingest.ts';
import { type NormalizedEvent, type StorefrontEvent, userKeyOf } from '../domain/metrics/storefront.ts';
import { generateTraffic } from '../domain/metrics/traffic.ts';
import { addDays, localDate } from '../domain/shared/calendar.ts';
import { synthesize } from '../lib/synth.ts';
import { prepareAssembly } from '../local/runtime/build.ts';
import { storeBaseline } from './baselines.ts';
import { startRuntimeProcess } from './runtime-process.ts';

const EVENTS = Number(process.env.BENCH_STOREFRONT_EVENTS ?? 1_000_000);
const SPARSE = Number(process.env.BENCH_STOREFRONT_SPARSE ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const BATCH = 500;
const TARGET = 5_000;
const TZ = 'Asia/Shanghai';
/** Seeds of the sparse part start here: its users and event ids never meet the first part's. */
const SPARSE_SEEDS = 1_001;

interface Batch {
  readonly events: StorefrontEvent[];
  /** the dedupe writes it makes: one per minute of `at` and shard it touches */
  readonly writes: number;
}

/** `count` events of `day` in batches: seeds merged in the order of `at`, or one seed after another. */
function batches(day: string, count: number, firstSeed: number, merged: boolean): Batch[] {
  const chunks: StorefrontEvent[][] = [];
  let left = count;
  for (let seed = firstSeed; left > 0; seed++) {
    const { events } = generateTraffic({ users: 10_000, days: 1, startDay: day, timeZone: TZ, seed });
    const chunk = events.slice(0, left);
    left -= chunk.length;
    chunks.push(chunk);
  }
  const stream = chunks.flat();
  if (merged) stream.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const out: Batch[] = [];
  for (let i = 0; i < stream.length; i += BATCH) {
    const events = stream.slice(i, i + BATCH);
    const { writes } = groupSeen(
      events.map((e) => ({ event: e as NormalizedEvent })),
      DEFAULT_DEDUPE_SHARDS,
    );
    out.push({ events, writes: writes.length });
  }
  return out;
}

export async function run(): Promise<{ ok: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'storeflow-bench-storefront-'));
  let runtime: Awaited<ReturnType<typeof startRuntimeProcess>> | undefined;
  try {
    const raw = await storeBaseline(work, 3);
    console.log(
      `baseline: embedded store raw PutItem (in-process, no HTTP), c=20: ${raw.toFixed(0)} writes/s`,
    );

    const assembly = join(work, 'app.out');
    await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
      synthesize(outdir, context);
    });
    const dataDir = join(work, 'data');
    runtime = await startRuntimeProcess(assembly, dataDir, 'real');
    const url = runtime.url.href.replace(/\/$/, '');
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
      adminToken: string;
      secrets: Record<string, string>;
    };
    const yesterday = addDays(localDate(new Date(), TZ), -1);

    /** Sends one part's batches, then reads the GMV of its day until every visitor is counted. */
    async function part(label: string, day: string, toSend: readonly Batch[]) {
      const visitors = new Set<string>();
      let sent = 0;
      let writes = 0;
      for (const b of toSend) {
        sent += b.events.length;
        writes += b.writes;
        for (const e of b.events) if (e.type === 'visit') visitors.add(userKeyOf(e));
      }
      let done = 0;
      let accepted = 0;
      let duplicates = 0;
      let throttled = 0;
      const started = performance.now();
      let lastReport = started;
      await pMap(
        toSend,
        async ({ events }) => {
          const body = JSON.stringify({ events });
          for (;;) {
            const res = await fetch(`${url}/events/storefront`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-storeflow-write-key': secrets.secrets.StorefrontWriteKey!,
              },
              body,
            });
            const answer = (await res.json()) as { accepted: number; duplicates: number; message?: string };
            if (res.status === 429) {
              throttled++;
              await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
              continue;
            }
            if (res.status !== 202)
              throw new Error(`POST /events/storefront: ${res.status} ${answer.message}`);
            accepted += answer.accepted;
            duplicates += answer.duplicates;
            break;
          }
          done += events.length;
          const now = performance.now();
          if (now - lastReport > 10_000) {
            lastReport = now;
            console.log(`  … ${done} events, ${(done / ((now - started) / 1000)).toFixed(0)}/s`);
          }
        },
        { concurrency: CONCURRENCY },
      );
      const elapsed = (performance.now() - started) / 1000;
      const rate = accepted / elapsed;

      const readStart = performance.now();
      let counted = 0;
      for (;;) {
        const res = await fetch(`${url}/api/metrics/gmv?from=${day}&to=${day}`, {
          headers: { authorization: `Bearer ${secrets.adminToken}` },
        });
        const body = (await res.json()) as { total?: { traffic: number } };
        counted = body.total?.traffic ?? -1;
        if (counted >= visitors.size || performance.now() - readStart > 600_000) break;
      }
      const readSeconds = (performance.now() - readStart) / 1000;
      const batchCount = toSend.length;
      console.log(
        `${label}: ${sent} events in ${batchCount} batches of ${BATCH}, c=${CONCURRENCY}: ${accepted} accepted, ${duplicates} duplicate, in ${elapsed.toFixed(1)} s`,
      );
      console.log(
        `  ${rate.toFixed(0)} events/s accepted (${(writes / batchCount).toFixed(1)} dedupe writes and 2 segment writes per batch; ${(rate / raw).toFixed(1)}× the raw PutItem rate measured before); ${throttled} answers 429`,
      );
      console.log(
        `  metrics include them ${readSeconds.toFixed(1)} s after the last 202 (GMV of ${day} over ${visitors.size} visitors: ${counted})`,
      );
      return { rate, once: accepted === sent, counted: counted === visitors.size };
    }

    const main = await part(
      'storefront (one day in the order of `at`)',
      yesterday,
      batches(yesterday, EVENTS, 1, true),
    );
    const ok = main.once && main.counted && main.rate >= TARGET;
    console.log(
      `  target ≥ ${TARGET} events/s: ${main.rate >= TARGET ? 'met' : 'NOT met'}; every event accepted once: ${main.once}; all visitors counted: ${main.counted}`,
    );
    let sparse: Awaited<ReturnType<typeof part>> | undefined;
    if (SPARSE > 0) {
      const before = addDays(yesterday, -1);
      sparse = await part(
        'sparse shape (each seed’s day in turn; reported, no target)',
        before,
        batches(before, SPARSE, SPARSE_SEEDS, false),
      );
      console.log(
        `  every event accepted once: ${sparse.once}; all visitors counted: ${sparse.counted}; the first part ran at ${(main.rate / sparse.rate).toFixed(1)}× its rate`,
      );
    }
    // The machine is shared: the raw rate again at the end, and the ratios to the mean of both.
    mkdirSync(join(work, 'after'));
    const rawAfter = await storeBaseline(join(work, 'after'), 3);
    const mean = (raw + rawAfter) / 2;
    console.log(
      `baseline again at the end: ${rawAfter.toFixed(0)} writes/s; to the mean of both (${mean.toFixed(0)}/s): the day ${(main.rate / mean).toFixed(2)}×${sparse ? `, the sparse shape ${(sparse.rate / mean).toFixed(2)}×` : ''}`,
    );
    return { ok: ok && (sparse === undefined || (sparse.once && sparse.counted)) };
  } finally {
    await runtime?.close().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}
