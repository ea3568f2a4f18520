/**
 * Storefront events at volume on the local runtime (issue #16): `BENCH_STOREFRONT_EVENTS`
 * (1,000,000) generated storefront events — yesterday's traffic of new and returning users over
 * four channels, in time order as a storefront's collector forwards it — POSTed in batches of 500
 * to `/events/storefront`, `BENCH_CONCURRENCY` (8) requests in flight, against the real app in its
 * own process on the real clock (the write key's rate window is real seconds).
 *
 * Prints, beside the embedded store's raw write rate measured in the same run: events accepted per
 * second (and the dedupe writes per batch: one atomic UpdateItem per minute of `at` and shard),
 * and the time from the last 202 until `GET /api/metrics/gmv` counts every visitor sent (the
 * figures are read from the stored segments, so it is the read's own time). Checks: every
 * event accepted exactly once, the funnel's visitors equal the generated ones; target ≥ 5,000
 * events/s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pMap from 'p-map';
import { type StorefrontEvent, userKeyOf } from '../domain/metrics/storefront.ts';
import { generateTraffic } from '../domain/metrics/traffic.ts';
import { addDays, localDate } from '../domain/shared/calendar.ts';
import { synthesize } from '../lib/synth.ts';
import { prepareAssembly } from '../local/runtime/build.ts';
import { storeBaseline } from './baselines.ts';
import { startRuntimeProcess } from './runtime-process.ts';

const EVENTS = Number(process.env.BENCH_STOREFRONT_EVENTS ?? 1_000_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const BATCH = 500;
const TARGET = 5_000;
const TZ = 'Asia/Shanghai';

/** Yesterday's traffic in chunks of ~40,000 events (distinct users per chunk), up to `EVENTS`. */
function* batches(day: string): Generator<{ events: StorefrontEvent[]; slots: number }> {
  let left = EVENTS;
  for (let seed = 1; left > 0; seed++) {
    const { events } = generateTraffic({ users: 10_000, days: 1, startDay: day, timeZone: TZ, seed });
    const chunk = events.slice(0, left);
    left -= chunk.length;
    for (let i = 0; i < chunk.length; i += BATCH) {
      const batch = chunk.slice(i, i + BATCH);
      // dedupe writes: the minutes of `at` the batch spans × 4 shards (at most)
      yield { events: batch, slots: new Set(batch.map((e) => e.at.slice(0, 16))).size * 4 };
    }
  }
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
    const day = addDays(localDate(new Date(), TZ), -1);

    const visitors = new Set<string>();
    let sent = 0;
    let accepted = 0;
    let duplicates = 0;
    let slotWrites = 0;
    let throttled = 0;
    const started = performance.now();
    let lastReport = started;
    await pMap(
      batches(day),
      async ({ events, slots }) => {
        for (const e of events) if (e.type === 'visit') visitors.add(userKeyOf(e));
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
          if (res.status !== 202) throw new Error(`POST /events/storefront: ${res.status} ${answer.message}`);
          accepted += answer.accepted;
          duplicates += answer.duplicates;
          break;
        }
        sent += events.length;
        slotWrites += slots;
        const now = performance.now();
        if (now - lastReport > 10_000) {
          lastReport = now;
          console.log(`  … ${sent} events, ${(sent / ((now - started) / 1000)).toFixed(0)}/s`);
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

    console.log(
      `storefront: ${sent} events in ${sent / BATCH} batches of ${BATCH}, c=${CONCURRENCY}: ${accepted} accepted, ${duplicates} duplicate, in ${elapsed.toFixed(1)} s`,
    );
    console.log(
      `  ${rate.toFixed(0)} events/s accepted (≤ ${(slotWrites / (sent / BATCH)).toFixed(1)} dedupe writes and 2 segment writes per batch; ${(rate / raw).toFixed(1)}× the raw PutItem rate); ${throttled} answers 429`,
    );
    console.log(
      `  metrics include them ${readSeconds.toFixed(1)} s after the last 202 (GMV over ${visitors.size} visitors: ${counted})`,
    );
    const ok = accepted === sent && counted === visitors.size && rate >= TARGET;
    console.log(
      `  target ≥ ${TARGET} events/s: ${rate >= TARGET ? 'met' : 'NOT met'}; every event accepted once: ${accepted === sent}; all visitors counted: ${counted === visitors.size}`,
    );
    return { ok };
  } finally {
    await runtime?.close().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}
