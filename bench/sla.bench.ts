/**
 * SLA promises at scale on the local runtime (issue #12): the real app in its own process on the
 * virtual clock, `BENCH_PROMISES` (10,000) orders paid — each `OrderPaid` put on the bus as
 * ingestion puts it, ten to a PutEvents call, 20 calls in flight — with only the `dispatch-24h`
 * policy active, so every order makes one open promise with its own Scheduler timer. Then the
 * clock passes every deadline at once.
 *
 * Prints, beside the embedded store's raw write rate measured in the same run: the registration
 * rate (promises registered and their timers set, per second, until the runtime settles); the
 * runtime's RSS and heap after a full GC before and with the promises open, and after their
 * deadlines; the time to breach and compensate all of them once the clock passes (and its rate).
 * Checks: every promise registered with one timer, every one breached and compensated exactly
 * once (the ledger's count and total), no timer left; the runtime's heap with the promises open
 * within 40 MiB of its heap before them (≤ ~4 KiB a promise), and all deadlines processed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgePublisher } from '../adapters/eventbridge/publisher.ts';
import { canonicalEvent } from '../domain/events/catalog.ts';
import { toPublishable } from '../domain/events/publisher.ts';
import { synthesize } from '../lib/synth.ts';
import { prepareAssembly } from '../local/runtime/build.ts';
import { storeBaseline } from './baselines.ts';
import { startRuntimeProcess } from './runtime-process.ts';

const PROMISES = Number(process.env.BENCH_PROMISES ?? 10_000);
const CONCURRENCY = 20;
const HEAP_BUDGET = 40 * 1024 * 1024;
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function run(): Promise<{ ok: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'storeflow-bench-sla-'));
  let runtime: Awaited<ReturnType<typeof startRuntimeProcess>> | undefined;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
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

    // Only dispatch-24h: one open promise (and one timer) per order.
    for (const policy of (await api('GET', '/api/promise-policies')).items as Array<
      Record<string, unknown>
    >) {
      if (policy.policyId !== 'dispatch-24h' && policy.active) {
        await api('PUT', `/api/promise-policies/${policy.policyId}`, { ...policy, active: false });
      }
    }
    await rt.settle();
    const m0 = await rt.memory();

    // --- registration ------------------------------------------------------------------------------
    const events = new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials });
    const { EventBuses = [] } = await events.send(new ListEventBusesCommand({}));
    const bus = EventBuses.find((b) => b.Name !== 'default')!.Name!;
    const publisher = new EventBridgePublisher(events, bus);
    const paidAt = await now();
    const base = 5_000_000_000;
    let next = 0;
    const order = (n: number) => {
      const at = new Date(paidAt).toISOString();
      const orderId = String(base + n);
      return toPublishable(
        canonicalEvent('OrderPaid', {
          orderId,
          orderName: `#${orderId}`,
          shopDomain: 'bench.myshopify.com',
          customerId: null,
          total: { amount: 25_600, currency: 'CNY' },
          subtotal: { amount: 25_600, currency: 'CNY' },
          lines: [
            {
              sku: 'BENCH-1',
              productId: null,
              variantId: null,
              title: 'x',
              quantity: 1,
              unitPrice: { amount: 25_600, currency: 'CNY' },
            },
          ],
          shippingRegion: 'Tibet',
          placedAt: at,
          paidAt: at,
        }),
        { eventId: `bench-paid-${orderId}`, publishedAt: at, correlationId: 'bench', origin: 'bench' },
      );
    };
    const registering = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < PROMISES) {
          const batch: number[] = [];
          while (batch.length < 10 && next < PROMISES) batch.push(next++);
          await publisher.publish(batch.map(order));
        }
      }),
    );
    await rt.settle();
    const registered = performance.now() - registering;
    const m1 = await rt.memory();

    const scheduler = new SchedulerClient({ endpoint: url, region: 'us-east-1', credentials });
    const countSchedules = async () => {
      let count = 0;
      let token: string | undefined;
      do {
        const page = await scheduler.send(new ListSchedulesCommand({ MaxResults: 100, NextToken: token }));
        count += page.Schedules?.length ?? 0;
        token = page.NextToken;
      } while (token);
      return count;
    };
    const timers = await countSchedules();
    const sample = (await api('GET', `/api/orders/${base + 7}/promises`)).items as Array<{ status: string }>;
    console.log(
      `registration: ${PROMISES} promises (OrderPaid on the bus, 10 per PutEvents, c=${CONCURRENCY}) in ${seconds(registered)}: ${(PROMISES / (registered / 1000)).toFixed(0)} promises/s (${((PROMISES / (registered / 1000) / writes) * 100).toFixed(1)}% of raw store writes/s); ${timers} timers open`,
    );
    console.log(
      `runtime memory after a full GC${m0.gc ? '' : ' (unavailable: no --expose-gc)'}: before RSS ${mib(m0.rss)} heap ${mib(m0.heapUsed)}; with ${PROMISES} open RSS ${mib(m1.rss)} heap ${mib(m1.heapUsed)} (heap +${mib(m1.heapUsed - m0.heapUsed)}, ${((m1.heapUsed - m0.heapUsed) / PROMISES).toFixed(0)} B a promise)`,
    );

    // --- the deadlines ----------------------------------------------------------------------------
    const passing = performance.now();
    const advanced = await fetch(`${url}/_local/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 24 * 3600 + 600 }),
    });
    if (advanced.status !== 200) throw new Error(`advance: ${advanced.status} ${await advanced.text()}`);
    await rt.settle();
    const processed = performance.now() - passing;
    const m2 = await rt.memory();
    let breaches = 0;
    let paid = 0;
    let cursor: string | undefined;
    const range = `from=${new Date(paidAt).toISOString()}&to=${new Date(paidAt + 2 * 86_400_000).toISOString()}`;
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
    const left = await countSchedules();
    console.log(
      `deadlines: the clock passed ${PROMISES} deadlines; all breached and compensated in ${seconds(processed)}: ${(PROMISES / (processed / 1000)).toFixed(0)} breaches/s (${((PROMISES / (processed / 1000) / writes) * 100).toFixed(1)}% of raw store writes/s); ledger ${breaches} breaches, ${paid / 100} CNY; ${left} timers left; RSS ${mib(m2.rss)} heap ${mib(m2.heapUsed)}`,
    );
    events.destroy();
    scheduler.destroy();

    const checks = [
      {
        name: `${PROMISES} promises registered OPEN, one timer each`,
        ok: timers === PROMISES && sample.length === 1 && sample[0]!.status === 'OPEN',
      },
      {
        name: `every deadline processed: ${PROMISES} breaches, each compensated once (5 CNY)`,
        ok: breaches === PROMISES && paid === PROMISES * 500 && left === 0,
      },
      {
        name: `heap with ${PROMISES} open promises within ${mib(HEAP_BUDGET)} of before`,
        ok: m1.heapUsed - m0.heapUsed <= HEAP_BUDGET,
      },
    ];
    for (const c of checks) console.log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}`);
    return { ok: checks.every((c) => c.ok) };
  } finally {
    await runtime?.close().catch(() => runtime?.kill());
    rmSync(work, { recursive: true, force: true });
  }
}
