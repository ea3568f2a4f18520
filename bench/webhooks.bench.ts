/**
 * Acknowledged Shopify deliveries on the local runtime: the real app (synthesized and bundled as
 * `storeflow dev` runs it) in its own process, sent signed `orders/paid` webhooks (a 2-line order,
 * each a fresh order id and delivery id) by 20 concurrent clients, beside baselines measured in the
 * same run: the embedded store's raw write rate (dynalite PutItem in-process, no HTTP, 20 in
 * flight) and a plain Node loopback HTTP round trip (20 in flight, keep-alive).
 *
 * Prints: acknowledged/s, p50/p99 at c=20; the runtime's CPU per delivery (all its threads, the
 * bus's consumers included: measured until the runtime settled, since background work waits while
 * requests are in flight), split by thread (the main thread, each function's sandboxes); the AWS
 * calls and invocations per delivery; the ack latency of a 2,000-line order (one at a time); the
 * runtime's RSS and heap after a full GC at 5,000 and at 20,000 deliveries (each after the
 * runtime settled: timelines recorded), with the sandboxes then alive and at rest (the idle ones
 * reclaimed, as their idle timeouts would). Orders are paid now, as a live store's are.
 * BENCH_CPU_PROF=<dir>: V8 CPU profiles of the runtime's threads.
 * Targets: ≥ 250 acks/s with p99 ≤ 150 ms; memory within 10% from 5,000 to 20,000 (the heap apart
 * from the SLA's open promise timers, state the orders create on purpose: printed beside it).
 *
 * Knobs: BENCH_DELIVERIES (20000), BENCH_CHECKPOINT (5000), BENCH_BIG_ORDERS (20),
 * BENCH_CONCURRENCY (20), BENCH_CUSTOMERS (2000: the customers the orders come from, in turn).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signShopify } from '../domain/ingestion/signatures.ts';
import { synthesize } from '../lib/synth.ts';
import { prepareAssembly } from '../local/runtime/build.ts';
import { storeBaseline } from './baselines.ts';
import { startRuntimeProcess } from './runtime-process.ts';

const TOTAL = Number(process.env.BENCH_DELIVERIES ?? 20_000);
const CHECKPOINT = Math.min(TOTAL, Number(process.env.BENCH_CHECKPOINT ?? 5_000));
const BIG_ORDERS = Number(process.env.BENCH_BIG_ORDERS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
/** Warm-up deliveries before the measured ones: never all of the first phase, so it measures some. */
const WARMUP = Math.min(200, Math.floor(CHECKPOINT / 2));
if (!Number.isInteger(CHECKPOINT) || CHECKPOINT < 2)
  throw new Error(`BENCH_CHECKPOINT and BENCH_DELIVERIES must be at least 2 (got ${CHECKPOINT})`);
const TARGET_RATE = 250;
const TARGET_P99_MS = 150;
const TARGET_BIG_P99_MS = 250;
const MEMORY_TOLERANCE = 0.1;
/**
 * The customers the orders come from, in turn (a store's paid orders come from many customers: 20,000
 * orders are 10 each). One customer for every order made one member record take them all, every
 * consumer of it rewriting a record that grows with each order (quadratic, and past DynamoDB's
 * 400 KB item size after ~4,000 orders).
 */
export const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 2_000);
/**
 * Heap and ArrayBuffers an open EventBridge Scheduler schedule holds (the scheduler bench: 1.37 KiB
 * in decision 23, 1.18 KiB in decision 56, 0.45 KiB since decision 58 keeps its definition on disk,
 * 148 B since decision 59 parks a far-off one as numbers in typed arrays, outside the JS heap).
 * Every paid order opens the SLA's promise timers, which stay until their deadline hours later:
 * state the app keeps on purpose, not a leak, so the memory check leaves it out (and prints it).
 */
const SCHEDULE_BYTES = 148;

export const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
/** `DynamoDB_20120810.PutItem` → `PutItem`; `storeflow-dev-app-TimelineRecordFunction7235C55E` → `TimelineRecord`. */
export const shortName = (name: string) =>
  name.replace(/^[A-Za-z0-9_]+\.|^storeflow-dev-app-/, '').replace(/Function[0-9A-F]{8}$/, '');
const ms = (n: number) => `${n.toFixed(1)} ms`;
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

interface Reply {
  status: number;
  body: string;
}

/** One keep-alive POST; resolves with the status and body. */
export function post(agent: Agent, url: URL, path: string, headers: Record<string, string>, body: string) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path, method: 'POST', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The runtime's Shopify signing secret (from its data directory) and the orders/paid fixture. */
export function shopifyFixture(dataDir: string): { secret: string; template: Record<string, unknown> } {
  const secret = (
    JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { secrets: Record<string, string> }
  ).secrets.ShopifyWebhookSecret!;
  const template = JSON.parse(
    readFileSync(
      fileURLToPath(new URL('../test/fixtures/shopify/orders-paid.json', import.meta.url)),
      'utf8',
    ),
  ) as Record<string, unknown>;
  return { secret, template };
}

/** The headers of a signed Shopify orders/paid delivery of `body`. */
export const shopifyHeaders = (
  body: string,
  secret: string,
  webhookId: string,
  shop = 'bench.myshopify.com',
) => ({
  'content-type': 'application/json',
  'x-shopify-topic': 'orders/paid',
  'x-shopify-hmac-sha256': signShopify(body, secret),
  'x-shopify-webhook-id': webhookId,
  'x-shopify-shop-domain': shop,
});

/**
 * A Shopify orders/paid body with a fresh order id, placed and paid at `at` (default now, as a live
 * store's deliveries are: the fixture's own dates are fixed, so its SLA promises would all be long
 * past their deadlines and breach at once, two compensations per order): `lines` line items, each
 * as the fixture's for small orders; for large ones short items, so 2,000 lines stay under the
 * 256 KiB body limit. The customer is one of {@link CUSTOMERS}, in turn by order id.
 */
export function orderBody(
  template: Record<string, unknown>,
  orderId: number,
  lines: number,
  at = new Date(),
): string {
  const item = (template.line_items as Record<string, unknown>[])[0]!;
  const lineItems = Array.from({ length: lines }, (_, i) =>
    lines <= 10
      ? { ...item, id: orderId * 10 + i, sku: `BENCH-${i}`, price: '1.00', quantity: 1 }
      : { id: i + 1, sku: `B${i}`, title: 'x', quantity: 1, price: '1.00', product_id: 1, variant_id: 1 },
  );
  const subtotal = `${lines}.00`;
  const customerId = 7_000_000_000 + (orderId % Math.max(1, CUSTOMERS));
  const email = `customer-${customerId}@example.com`;
  return JSON.stringify({
    ...template,
    email,
    customer: {
      ...(template.customer as Record<string, unknown>),
      id: customerId,
      email,
      admin_graphql_api_id: `gid://shopify/Customer/${customerId}`,
    },
    id: orderId,
    name: `#${orderId}`,
    created_at: new Date(at.getTime() - 60_000).toISOString(),
    processed_at: at.toISOString(),
    updated_at: at.toISOString(),
    line_items: lineItems,
    subtotal_price: subtotal,
    current_subtotal_price: subtotal,
    total_line_items_price: subtotal,
    total_price: subtotal,
    current_total_price: subtotal,
    total_discounts: '0.00',
    shipping_lines: [],
    discount_codes: [],
    refunds: [],
  });
}

/** Plain loopback HTTP: `CONCURRENCY` keep-alive clients for `seconds`; req/s and latencies. */
export async function loopbackBaseline(seconds: number): Promise<{ rate: number; latencies: number[] }> {
  const server = createServer((_req, res) => {
    _req.resume();
    _req.on('end', () => res.end('{"ok":true}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await post(agent, url, '/', { 'content-type': 'application/json' }, '{"ping":1}');
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return { rate: latencies.length / elapsed, latencies };
}

export async function run(): Promise<{ ok: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'storeflow-bench-webhooks-'));
  let runtime: Awaited<ReturnType<typeof startRuntimeProcess>> | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    // --- baselines, same run ---------------------------------------------------------------------
    const loop = await loopbackBaseline(3);
    console.log(
      `baseline: plain HTTP loopback, c=${CONCURRENCY}: ${loop.rate.toFixed(0)} req/s  p50 ${ms(pct(loop.latencies, 50))}  p99 ${ms(pct(loop.latencies, 99))}`,
    );
    const writes = await storeBaseline(work, 3, CONCURRENCY);
    console.log(
      `baseline: embedded store raw PutItem (in-process, no HTTP), c=${CONCURRENCY}: ${writes.toFixed(0)} writes/s`,
    );

    // --- the app ---------------------------------------------------------------------------------
    const assembly = join(work, 'app.out');
    await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
      synthesize(outdir, context);
    });
    const dataDir = join(work, 'data');
    runtime = await startRuntimeProcess(assembly, dataDir);
    const rt = runtime;
    const { secret, template } = shopifyFixture(dataDir);
    const base = 7_000_000_000 + Math.floor(Date.now() % 1_000_000) * 1000;
    let next = 0;
    const failures: string[] = [];
    /** One delivery; its ack latency, or throws on any answer but 200 (`tolerate`: counts it instead). */
    const deliver = async (lines: number, tolerate = false): Promise<number> => {
      const n = next++;
      const body = orderBody(template, base + n, lines);
      const t = performance.now();
      const reply = await post(
        agent,
        rt.url,
        '/webhooks/shopify',
        shopifyHeaders(body, secret, `bench-${base}-${n}`),
        body,
      );
      const elapsed = performance.now() - t;
      if (reply.status !== 200) {
        failures.push(`${lines} lines: ${reply.status} ${reply.body.slice(0, 200)}`);
        if (!tolerate) throw new Error(`delivery answered ${reply.status}: ${reply.body.slice(0, 300)}`);
      }
      return elapsed;
    };
    /** `count` deliveries by CONCURRENCY clients: latencies and acks/s. */
    const load = async (count: number, lines = 2) => {
      const latencies: number[] = [];
      let left = count;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (left > 0) {
            left--;
            latencies.push(await deliver(lines));
          }
        }),
      );
      return { latencies, rate: latencies.length / ((performance.now() - started) / 1000) };
    };

    await load(WARMUP);
    await rt.settle();
    const cpu0 = await rt.cpu();
    const stats0 = await rt.stats();
    const measured = CHECKPOINT - WARMUP;
    const first = await load(measured);
    const cpu1 = await rt.cpu();
    const statsLoad = await rt.stats();
    // Background work (the bus's consumers: timeline, restock, SLA…) runs behind the load and
    // drains after it: CPU per delivery counts it too, so it is the cost of a delivery all in.
    await rt.settle();
    const cpu2 = await rt.cpu();
    const stats1 = await rt.stats();
    const perDelivery = (a: { user: number; system: number }, b: { user: number; system: number }) =>
      (b.user + b.system - a.user - a.system) / 1000 / measured;
    const cpuDuringLoad = perDelivery(cpu0, cpu1);
    const cpuPerDelivery = perDelivery(cpu0, cpu2);
    const mainPerDelivery =
      cpu0.main !== undefined && cpu2.main !== undefined
        ? (cpu2.main - cpu0.main) / 1000 / measured
        : undefined;
    const p50 = pct(first.latencies, 50);
    const p99 = pct(first.latencies, 99);
    console.log(
      `acknowledged deliveries (signed orders/paid, 2 lines), c=${CONCURRENCY}, ${first.latencies.length} after ${WARMUP} warm-up: ${first.rate.toFixed(0)}/s  p50 ${ms(p50)}  p99 ${ms(p99)}  (${((first.rate / loop.rate) * 100).toFixed(1)}% of loopback req/s, ${((first.rate / writes) * 100).toFixed(1)}% of raw store writes/s; p50 ${(p50 / pct(loop.latencies, 50)).toFixed(1)}× loopback)`,
    );
    console.log(
      `runtime CPU per acknowledged delivery (all threads, incl. the bus's consumers until settled): ${ms(cpuPerDelivery)} (${ms(cpuDuringLoad)} while the load ran)${mainPerDelivery === undefined ? '' : `, of which the main thread (HTTP, dispatch, store, bus, journals): ${ms(mainPerDelivery)}`}`,
    );
    const perDeliveryCounts = (a: Record<string, number>, b: Record<string, number>) =>
      Object.entries(b)
        .map(([k, v]) => [k, (v - (a[k] ?? 0)) / measured] as const)
        .filter(([, v]) => v > 0)
        .sort((x, y) => y[1] - x[1]);
    const calls = perDeliveryCounts(stats0.calls, stats1.calls);
    const invocations = perDeliveryCounts(stats0.invocations, stats1.invocations);
    const sum = (xs: ReadonlyArray<readonly [string, number]>) => xs.reduce((t, [, v]) => t + v, 0);
    const list = (xs: ReadonlyArray<readonly [string, number]>) =>
      xs.map(([k, v]) => `${shortName(k)} ${v.toFixed(2)}`).join(', ');
    console.log(`AWS calls per delivery: ${sum(calls).toFixed(2)} (${list(calls)})`);
    console.log(`invocations per delivery: ${sum(invocations).toFixed(2)} (${list(invocations)})`);
    const threads = perDeliveryCounts(stats0.cpu, stats1.cpu).map(([k, v]) => [k, v / 1000] as const);
    console.log(
      `CPU ms per delivery by thread (the main thread; each function's sandboxes): ${list(threads)}; the rest (V8 and libuv helpers, GC) ${(cpuPerDelivery - sum(threads)).toFixed(2)}`,
    );
    // The same split while the load ran: what the acknowledgements competed with for the cores.
    const loadThreads = perDeliveryCounts(stats0.cpu, statsLoad.cpu).map(([k, v]) => [k, v / 1000] as const);
    const loadCalls = perDeliveryCounts(stats0.calls, statsLoad.calls);
    console.log(
      `while the load ran, CPU ms per delivery by thread: ${list(loadThreads)}; the rest ${(cpuDuringLoad - sum(loadThreads)).toFixed(2)}; AWS calls per delivery ${sum(loadCalls).toFixed(2)} (${list(loadCalls)})`,
    );
    /**
     * Memory at a checkpoint, after a full GC: with the sandboxes alive at that moment (their number
     * follows the last burst's concurrency; each is a V8 isolate of tens of MiB in the RSS), then at
     * rest, once the idle sandboxes are reclaimed as their idle timeouts would take them (what a
     * runtime left running holds between bursts). Flatness is judged at rest.
     */
    const checkpoint = async () => {
      const live = await rt.memory();
      const { schedules, sandboxes } = await rt.stats();
      const { sandboxes: reclaimed } = await rt.reclaim();
      const rest = await rt.memory();
      return { live, rest, schedules: Number(schedules), sandboxes: Number(sandboxes), reclaimed };
    };
    const at5 = await checkpoint();

    const remaining = TOTAL - CHECKPOINT;
    let second: { latencies: number[]; rate: number } | undefined;
    if (remaining > 0) second = await load(remaining);
    await rt.settle();
    if (second) {
      console.log(
        `deliveries ${CHECKPOINT}→${TOTAL}: ${second.rate.toFixed(0)}/s  p50 ${ms(pct(second.latencies, 50))}  p99 ${ms(pct(second.latencies, 99))}`,
      );
    }

    // The big orders before the last checkpoint (20 orders among 20,000 change no memory figure),
    // after one small delivery: the settle above can outlast the sandboxes' 5-minute idle timeout,
    // and the first big order then met a cold sandbox (573 ms where the other 19 took ≤ 218 ms).
    // A cold start is Lambda's, whatever the order's size; this measures the ack path itself.
    if (BIG_ORDERS > 0) await deliver(2);
    const big: number[] = [];
    const before = failures.length;
    for (let i = 0; i < BIG_ORDERS; i++) big.push(await deliver(2000, true));
    const bigFailed = failures.length - before;
    if (BIG_ORDERS > 0) {
      console.log(
        `2,000-line order, one at a time (${BIG_ORDERS}): ack p50 ${ms(pct(big, 50))}  p99 ${ms(pct(big, 99))} (in order: ${big.map((b) => b.toFixed(0)).join(', ')} ms)${bigFailed ? `  (${bigFailed} not acknowledged: ${failures.slice(before, before + 2).join('; ')})` : ''}`,
      );
    }
    await rt.settle();
    const at20 = await checkpoint();

    const grew = (a: number, b: number) => (b - a) / a;
    const schedulesHeap = (at20.schedules - at5.schedules) * SCHEDULE_BYTES;
    const rawHeapGrowth = grew(at5.rest.heapUsed, at20.rest.heapUsed);
    // the JS heap and ArrayBuffers (where a parked schedule's numbers are) apart from the open schedules
    const held = (m: typeof at5.rest) => m.heapUsed + (m.arrayBuffers ?? 0);
    const heapGrowth = grew(held(at5.rest), held(at20.rest) - schedulesHeap);
    const rssGrowth = grew(at5.rest.rss, at20.rest.rss);
    const liveRssGrowth = grew(at5.live.rss, at20.live.rss);
    console.log(
      `runtime memory after a full GC${at5.live.gc ? '' : ' (unavailable: no --expose-gc)'}, sandboxes alive: at ${CHECKPOINT}: RSS ${mib(at5.live.rss)} with ${at5.sandboxes} sandboxes; at ${TOTAL}: RSS ${mib(at20.live.rss)} with ${at20.sandboxes} (${(liveRssGrowth * 100).toFixed(1)}%; each sandbox is a V8 isolate in the RSS)`,
    );
    console.log(
      `runtime memory at rest (idle sandboxes reclaimed: ${at5.reclaimed}, ${at20.reclaimed}): at ${CHECKPOINT}: RSS ${mib(at5.rest.rss)} heap ${mib(at5.rest.heapUsed)}; at ${TOTAL}: RSS ${mib(at20.rest.rss)} heap ${mib(at20.rest.heapUsed)} (RSS ${(rssGrowth * 100).toFixed(1)}%, heap ${(rawHeapGrowth * 100).toFixed(1)}%); open SLA schedules ${at5.schedules} → ${at20.schedules} (≈ ${mib(schedulesHeap)} at ${SCHEDULE_BYTES} B each): heap and ArrayBuffers ${(heapGrowth * 100).toFixed(1)}% without them; outside the JS heap (RSS − heap reserved − external) ${mib(at5.rest.rss - at5.rest.heapTotal - at5.rest.external)} → ${mib(at20.rest.rss - at20.rest.heapTotal - at20.rest.external)}${at5.rest.rssFile !== undefined && at20.rest.rssFile !== undefined ? `; of the RSS, file-backed (the binary and its libraries; LevelDB's table files where it maps them, decision 66) ${mib(at5.rest.rssFile)} → ${mib(at20.rest.rssFile)}` : ''}`,
    );

    const spaces = (a = at5.rest.spaces, b = at20.rest.spaces) =>
      a && b
        ? Object.keys(b)
            .filter((k) => Math.max(b[k]!.committed, a[k]?.committed ?? 0) >= 1048576)
            .map(
              (k) =>
                `${k} ${mib(a[k]?.committed ?? 0).replace(' MiB', '')}/${mib(a[k]?.used ?? 0).replace(' MiB', '')} → ${mib(b[k]!.committed).replace(' MiB', '')}/${mib(b[k]!.used)}`,
            )
            .join(', ')
        : '';
    if (spaces()) console.log(`V8's spaces at rest, committed/used: ${spaces()}`);
    const m5 = at5.rest.malloc;
    const m20 = at20.rest.malloc;
    if (m5 && m20) {
      console.log(
        `glibc's malloc at rest, in use/free in its arenas/mapped whole: ${mib(m5.inUse)}/${mib(m5.free)}/${mib(m5.mapped)} → ${mib(m20.inUse)}/${mib(m20.free)}/${mib(m20.mapped)}; V8's external memory (of it ArrayBuffers) ${mib(at5.rest.external)} (${mib(at5.rest.arrayBuffers ?? 0)}) → ${mib(at20.rest.external)} (${mib(at20.rest.arrayBuffers ?? 0)})`,
      );
    }

    const checks = [
      { name: `≥ ${TARGET_RATE} acks/s at c=${CONCURRENCY}`, ok: first.rate >= TARGET_RATE },
      { name: `p99 ≤ ${TARGET_P99_MS} ms at c=${CONCURRENCY}`, ok: p99 <= TARGET_P99_MS },
      {
        name: `memory at rest flat within ${MEMORY_TOLERANCE * 100}% (${CHECKPOINT} → ${TOTAL}; RSS, and heap with ArrayBuffers apart from open SLA schedules)`,
        ok: TOTAL === CHECKPOINT || (heapGrowth <= MEMORY_TOLERANCE && rssGrowth <= MEMORY_TOLERANCE),
      },
      {
        name: `2,000-line order ack p99 ≤ ${TARGET_BIG_P99_MS} ms`,
        ok: BIG_ORDERS === 0 || (bigFailed === 0 && pct(big, 99) <= TARGET_BIG_P99_MS),
      },
    ];
    for (const c of checks) console.log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}`);
    return { ok: checks.every((c) => c.ok) };
  } finally {
    agent.destroy();
    await runtime?.close().catch(() => runtime?.kill());
    rmSync(work, { recursive: true, force: true });
  }
}
