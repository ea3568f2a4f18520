/**
 * SLA promises at scale on the local runtime (issue #12): the real app in its own process on the
 * virtual clock, `BENCH_PROMISES` (10,000) orders paid — each `OrderPaid` put on the bus as
 * ingestion puts it, ten to a PutEvents call, 20 calls in flight — with only the `dispatch-24h`
 * policy active, so every order makes one open promise with its own Scheduler timer. Then the
 * clock passes every deadline at once.
 *
 * A warm-up of `BENCH_WARMUP` (1,000) orders is registered and breached first, so the memory
 * baseline is a runtime that has already done this work (its caches and sandboxes warm).
 *
 * Prints, beside the embedded store's raw write rate measured in the same run: the registration
 * rate (promises registered and their timers set, per second, until the runtime settles) for each
 * fifth of the promises, so a slowdown as more are open would show; the runtime's RSS and heap
 * after a full GC after the warm-up, with the promises open, and after their deadlines; the time
 * to breach and compensate all of them once the clock passes (and its rate). Checks: every promise
 * registered with one timer, every one breached and compensated exactly once (the ledger's count
 * and total), no timer left; the heap and ArrayBuffers with the promises open within 40 MiB of the warm baseline
 * (≤ ~4 KiB a promise); the last fifth registered at ≥ 70% of the first fifth's rate.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { ListScheduleGroupsCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgePublisher } from '../adapters/eventbridge/publisher.ts';
import { canonicalEvent } from '../domain/events/catalog.ts';
import { toPublishable } from '../domain/events/publisher.ts';
import { synthesize } from '../lib/synth.ts';
import { prepareAssembly } from '../local/runtime/build.ts';
import { storeBaseline } from './baselines.ts';
import { startRuntimeProcess } from './runtime-process.ts';

const PROMISES = Number(process.env.BENCH_PROMISES ?? 10_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1_000);
const FIFTHS = 5;
const CONCURRENCY = 20;
const HEAP_BUDGET = 40 * 1024 * 1024;
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function run(): Promise<{ ok: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'storeflow-bench-sla-'));
  let runtime: Awaited<ReturnType<typeof startRuntimeProcess>> | undefined;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const clients: Array<{ destroy(): void }> = [];
  try {
    const writes = await storeBaseline(work, 3);
    console.log(
      `baseline: embedded store raw PutItem (in-process, no HTTP), c=20: ${writes.toFixed(0)} writes/s`,
    );

    const assembly = join(work, 'app.out');
    await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
      synthesize(outdir, context);
    });
    const dataDir = join(work, 'data');
    runtime = await startRuntimeProcess(assembly, dataDir, 'virtual');
    const rt = runtime;
    const url = rt.url.href.replace(/\/$/, '');
    const admin = (JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { adminToken: string })
      .adminToken;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    const now = async () =>
      Date.parse(((await (await fetch(`${url}/_local/clock`)).json()) as { now: string }).now);
    /** Moves the clock; answers once everything due has fired (minutes: no client timeout). */
    const advance = (seconds: number) =>
      new Promise<void>((resolve, reject) => {
        const req = request(`${url}/_local/clock/advance`, { method: 'POST' }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString('utf8');
          });
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`advance: ${res.statusCode} ${text}`)),
          );
        });
        req.on('error', reject);
        req.end(JSON.stringify({ seconds }));
      });

    // Only dispatch-24h: one open promise (and one timer) per order.
    for (const policy of (await api('GET', '/api/promise-policies')).items as Array<
      Record<string, unknown>
    >) {
      if (policy.policyId !== 'dispatch-24h' && policy.active) {
        await api('PUT', `/api/promise-policies/${policy.policyId}`, { ...policy, active: false });
      }
    }

    const events = new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials });
    const scheduler = new SchedulerClient({ endpoint: url, region: 'us-east-1', credentials });
    clients.push(events, scheduler);
    const { EventBuses = [] } = await events.send(new ListEventBusesCommand({}));
    const publisher = new EventBridgePublisher(events, EventBuses.find((b) => b.Name !== 'default')!.Name!);
    const { ScheduleGroups = [] } = await scheduler.send(new ListScheduleGroupsCommand({}));
    const timerGroup = ScheduleGroups.find((g) => g.Name?.includes('Timers'))!.Name!;
    /** The SLA timers open (the SLA's schedule group only). */
    const openTimers = async () => {
      let count = 0;
      let token: string | undefined;
      do {
        const page = await scheduler.send(
          new ListSchedulesCommand({ GroupName: timerGroup, MaxResults: 100, NextToken: token }),
        );
        count += page.Schedules?.length ?? 0;
        token = page.NextToken;
      } while (token);
      return count;
    };
    /** Breaches in the ledger for deadlines in [from, to), and what they paid. */
    const ledger = async (from: number, to: number) => {
      let breaches = 0;
      let paid = 0;
      let cursor: string | undefined;
      const range = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
      do {
        const page = (await api(
          'GET',
          `/api/sla/ledger?${range}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        )) as {
          items: Array<{ compensation: { amount: { amount: number } } | null }>;
          nextCursor: string | null;
        };
        breaches += page.items.length;
        paid += page.items.reduce((s, b) => s + (b.compensation?.amount.amount ?? 0), 0);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return { breaches, paid };
    };

    let next = 0;
    /** `count` orders paid now (ten to a PutEvents call, CONCURRENCY calls in flight), settled. */
    const pay = async (count: number) => {
      const paidAt = new Date(await now()).toISOString();
      const last = next + count;
      const order = (n: number) => {
        const orderId = String(5_000_000_000 + n);
        const money = { amount: 25_600, currency: 'CNY' };
        return toPublishable(
          canonicalEvent('OrderPaid', {
            orderId,
            orderName: `#${orderId}`,
            shopDomain: 'bench.myshopify.com',
            customerId: null,
            total: money,
            subtotal: money,
            lines: [
              { sku: 'BENCH-1', productId: null, variantId: null, title: 'x', quantity: 1, unitPrice: money },
            ],
            shippingRegion: 'Tibet',
            placedAt: paidAt,
            paidAt,
          }),
          { eventId: `bench-paid-${orderId}`, publishedAt: paidAt, correlationId: 'bench', origin: 'bench' },
        );
      };
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < last) {
            const batch: number[] = [];
            while (batch.length < 10 && next < last) batch.push(next++);
            await publisher.publish(batch.map(order));
          }
        }),
      );
      await rt.settle();
      return performance.now() - started;
    };
    const pastTheDeadlines = 24 * 3600 + 600;

    // --- warm-up: WARMUP orders registered and breached --------------------------------------------
    const warmFrom = await now();
    await pay(WARMUP);
    await advance(pastTheDeadlines);
    await rt.settle();
    const warm = await ledger(warmFrom, warmFrom + 2 * 86_400_000);
    const m0 = await rt.memory();
    // the JS heap and ArrayBuffers: a parked timer is numbers in typed arrays, outside the heap (decision 59)
    const held = (m: typeof m0) => m.heapUsed + (m.arrayBuffers ?? 0);
    console.log(
      `warm-up: ${WARMUP} orders registered and breached (${warm.breaches} in the ledger); runtime after a full GC${m0.gc ? '' : ' (unavailable: no --expose-gc)'}: RSS ${mib(m0.rss)} heap ${mib(m0.heapUsed)}`,
    );

    // --- registration, a fifth at a time ---------------------------------------------------------
    const paidFrom = await now();
    const rates: number[] = [];
    let registered = 0;
    for (let f = 0; f < FIFTHS; f++) {
      const count = Math.floor(PROMISES / FIFTHS) + (f < PROMISES % FIFTHS ? 1 : 0);
      const took = await pay(count);
      registered += took;
      rates.push(count / (took / 1000));
    }
    const m1 = await rt.memory();
    const timers = await openTimers();
    const sample = (await api('GET', `/api/orders/${5_000_000_000 + next - 1}/promises`)).items as Array<{
      status: string;
    }>;
    const rate = PROMISES / (registered / 1000);
    console.log(
      `registration: ${PROMISES} promises (OrderPaid on the bus, 10 per PutEvents, c=${CONCURRENCY}) in ${seconds(registered)}: ${rate.toFixed(0)} promises/s (${((rate / writes) * 100).toFixed(1)}% of raw store writes/s); by fifth: ${rates.map((r) => r.toFixed(0)).join(' · ')}/s; ${timers} timers open`,
    );
    console.log(
      `runtime memory with ${PROMISES} open: RSS ${mib(m1.rss)} heap ${mib(m1.heapUsed)} ArrayBuffers ${mib(m1.arrayBuffers ?? 0)} (the two +${mib(held(m1) - held(m0))} over the warm baseline, ${((held(m1) - held(m0)) / PROMISES).toFixed(0)} B a promise)`,
    );

    // --- the deadlines ----------------------------------------------------------------------------
    const passing = performance.now();
    await advance(pastTheDeadlines);
    await rt.settle();
    const processed = performance.now() - passing;
    const m2 = await rt.memory();
    const done = await ledger(paidFrom, paidFrom + 2 * 86_400_000);
    const left = await openTimers();
    const breachRate = PROMISES / (processed / 1000);
    console.log(
      `deadlines: the clock passed ${PROMISES} deadlines; breached and compensated in ${seconds(processed)}: ${breachRate.toFixed(0)} breaches/s (${((breachRate / writes) * 100).toFixed(1)}% of raw store writes/s); ledger ${done.breaches} breaches, ${done.paid / 100} CNY; ${left} timers left; RSS ${mib(m2.rss)} heap ${mib(m2.heapUsed)}`,
    );

    const checks = [
      {
        name: `${PROMISES} promises registered OPEN, one timer each`,
        ok: timers === PROMISES && sample.length === 1 && sample[0]!.status === 'OPEN',
      },
      {
        name: `every deadline processed: ${PROMISES} breaches, each compensated once (5 CNY), no timer left`,
        ok: done.breaches === PROMISES && done.paid === PROMISES * 500 && left === 0,
      },
      {
        name: `heap and ArrayBuffers with ${PROMISES} open promises within ${mib(HEAP_BUDGET)} of the warm baseline`,
        ok: held(m1) - held(m0) <= HEAP_BUDGET,
      },
      {
        name: 'registration does not slow as promises open: the last fifth ≥ 70% of the first fifth’s rate',
        ok: rates.at(-1)! >= 0.7 * rates[0]!,
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
