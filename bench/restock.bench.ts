/**
 * The nightly restock sweep (issue #11) end to end on the local runtime, with the real app and the
 * virtual clock: 10,000 SKUs from a few suppliers (mixed tiers, case packs and MOQs) with 30 days
 * of sales of varying velocity, then the clock advanced to 02:00 store time; measured from the
 * clock advance until the run `sweep-<date>` SUCCEEDED (Step Functions API on the runtime). Beside
 * it, in the same run and on the same embedded store: the raw PutItem rate (sequential and 8 in
 * flight), the raw per-SKU ledger Query rate, and a sweep of an empty catalog (the fixed cost of
 * 2 × 64 bucket children). Target: ≤ 60 s for 10,000 SKUs on this 2-core machine.
 *
 * Seeding is not measured: suppliers go through the operations API, SKUs and the sales ledger are
 * written straight to the runtime's DynamoDB endpoint with the keys restock-store.ts uses (one
 * ledger line per SKU and day, what `projectSale` writes for an order line).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchPut } from '../adapters/dynamodb/batch.ts';
import { DynamoRestockStore } from '../adapters/dynamodb/restock-store.ts';
import { keys } from '../adapters/dynamodb/schema.ts';
import { DynamoTimelineRepository } from '../adapters/dynamodb/timeline-repository.ts';
import { EventBridgePublisher } from '../adapters/eventbridge/publisher.ts';
import type { SkuSpec } from '../domain/restock/catalog.ts';
import { DEFAULT_POLICY } from '../domain/restock/policy.ts';
import { decideRestock, SALES_WINDOW_DAYS, type SupplierTerms } from '../domain/restock/rules.ts';
import { CATALOG_BUCKETS, restockSweep, type SweepContext } from '../domain/restock/sweep.ts';
import { addDays, localDate } from '../domain/shared/calendar.ts';
import { synthesize } from '../lib/synth.ts';
import { possibleInstants } from '../local/eventbridge/schedule.ts';
import { PROJECT_ROOT, prepareAssembly } from '../local/runtime/build.ts';
import { startRuntime } from '../local/runtime/runtime.ts';
import { bindServer } from '../local/runtime/server.ts';

const SKUS = Number(process.env.BENCH_SKUS ?? 10_000);
const TARGET_S = 60;
/** PutItem calls per baseline (sequential, then 8 in flight). */
const WRITES = Number(process.env.BENCH_WRITES ?? 2_000);
/** Pages (of 100 SKUs) the in-process probe times per step after the sweep. */
const PROBE_PAGES = Number(process.env.BENCH_PROBE_PAGES ?? 8);
const ZONE = DEFAULT_POLICY.timeZone;
/** A directory: the runtime's main thread is CPU-profiled during the measured sweep (a .cpuprofile). */
const PROFILE = process.env.BENCH_PROFILE;

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/**
 * CPU seconds (user + system) of the whole process and of its main thread — where the runtime
 * serves DynamoDB, Step Functions, EventBridge and the Lambda sandboxes' I/O (Linux /proc; CLK_TCK
 * taken as 100).
 */
function cpuSeconds(): { all: number; main: number | undefined } {
  const { user, system } = process.cpuUsage();
  let main: number | undefined;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    main = (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    // not Linux: the main thread's share stays unknown
  }
  return { all: (user + system) / 1e6, main };
}

/** A small deterministic PRNG (mulberry32): the same catalog and sales on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
    poisson(mean: number) {
      const limit = Math.exp(-mean);
      let k = 0;
      for (let p = next(); p > limit; p *= next()) k++;
      return k;
    },
  };
}

// --- the catalog ------------------------------------------------------------------------------------

const SUPPLIERS: Array<SupplierTerms & { paymentTermsDays?: number }> = [
  {
    supplierId: 'sup-strategic',
    name: 'Strategic Textiles',
    tier: 'strategic',
    leadTimeDays: 10,
    currency: 'CNY',
    paymentTermsDays: 45,
  },
  { supplierId: 'sup-core-east', name: 'Core East Trading', tier: 'core', leadTimeDays: 7, currency: 'CNY' },
  { supplierId: 'sup-core-west', name: 'Core West Supply', tier: 'core', leadTimeDays: 14, currency: 'CNY' },
  { supplierId: 'sup-normal', name: 'Normal Wholesale', tier: 'normal', leadTimeDays: 5, currency: 'CNY' },
];
const CATEGORIES = ['apparel', 'home', 'beauty', 'electronics', 'toys'] as const;
const CASE_PACKS = [1, 1, 6, 12, 24, 48] as const;
const MOQS = [0, 0, 10, 24, 50, 100] as const;

interface SeedSku {
  readonly spec: SkuSpec;
  readonly onHand: number;
  /** Units sold per store day, oldest first, the last entry being the sweep's own date. */
  readonly daily: number[];
  readonly sales30d: number;
}

/**
 * 10,000 SKUs: ~30% without sales, ~45% slow (≤ 0.5/day), ~20% medium, ~5% fast, and ten hero
 * SKUs well ahead (the top ten); stock on hand is 0–40 days of each SKU's demand, so about a third
 * of the selling SKUs are below their reorder point. 1–3 supply options each; a few SKUs with big
 * MOQs of expensive goods need approval.
 */
function catalog(n: number): SeedSku[] {
  const r = prng(11);
  const skus: SeedSku[] = [];
  for (let i = 0; i < n; i++) {
    const sku = `SKU-${String(i).padStart(5, '0')}`;
    const band = r.next();
    const perDay =
      i < 10 && n >= 100
        ? 80 + 7 * i // the heroes: 80–143 units a day
        : band < 0.3
          ? 0
          : band < 0.75
            ? 0.02 + r.next() * 0.48
            : band < 0.95
              ? 0.5 + r.next() * 4.5
              : 5 + r.next() * 45;
    const daily = Array.from({ length: SALES_WINDOW_DAYS }, () => (perDay > 0 ? r.poisson(perDay) : 0));
    const sales30d = daily.reduce((a, b) => a + b, 0);
    const expensive = r.next() < 0.01;
    const options = r.int(1, 3);
    const supply = [...SUPPLIERS]
      .sort(() => r.next() - 0.5)
      .slice(0, options)
      .map((supplier) => ({
        supplierId: supplier.supplierId,
        unitCost: { amount: expensive ? r.int(50_000, 200_000) : r.int(300, 30_000), currency: 'CNY' },
        casePack: r.pick(CASE_PACKS),
        minOrderQty: expensive ? 100 : r.pick(MOQS),
        ...(r.next() < 0.2 ? { leadTimeDays: r.int(3, 21) } : {}),
      }));
    const onHand = Math.round(((sales30d / SALES_WINDOW_DAYS) * r.int(0, 40) * 100) / 100);
    skus.push({
      spec: { sku, title: `Bench item ${i}`, category: r.pick(CATEGORIES), supply },
      onHand,
      daily,
      sales30d,
    });
  }
  return skus;
}

/** What the sweep must decide: the top ten and how many purchase orders (the same pure rules). */
function expected(skus: readonly SeedSku[], at: Date) {
  const topTen = [...skus]
    .filter((k) => k.sales30d > 0)
    .sort((a, b) => b.sales30d - a.sales30d || a.spec.sku.localeCompare(b.spec.sku))
    .slice(0, 10)
    .map((k) => k.spec.sku);
  const suppliers = new Map(SUPPLIERS.map((x) => [x.supplierId, x]));
  let orders = 0;
  let approvals = 0;
  for (const k of skus) {
    const decision = decideRestock({
      sku: k.spec.sku,
      category: k.spec.category,
      onHand: k.onHand,
      inbound: 0,
      sales30d: k.sales30d,
      topTen: topTen.includes(k.spec.sku),
      supply: k.spec.supply,
      suppliers,
      purchasedThisYear: () => ({ amount: 0, currency: 'CNY' }),
      policy: DEFAULT_POLICY,
      at,
    });
    if (decision.outcome === 'order') {
      orders++;
      if (decision.approvalRequired) approvals++;
    }
  }
  return { topTen, orders, approvals };
}

/** The instant the store's wall clock reads `date` `hh:mm` (Asia/Shanghai has no DST). */
function storeInstant(date: string, hh: number, mm: number): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const at = possibleInstants({ year, month, day, hour: hh, minute: mm, second: 0 }, ZONE)[0];
  if (at === undefined) throw new Error(`${date} ${hh}:${mm} does not exist in ${ZONE}`);
  return at;
}

// --- the bench ----------------------------------------------------------------------------------------

export async function run(): Promise<{ ok: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'storeflow-bench-restock-'));
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache', 'storeflow-bench');
  mkdirSync(cache, { recursive: true });
  const assembly = join(cache, 'app.out');
  const synth = await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
    synthesize(outdir, context);
  });
  console.log(`app assembly: ${synth} (${assembly})`);

  // Every AWS JSON request the runtime serves, counted by X-Amz-Target (functions' and ours).
  const calls = new Map<string, number>();
  const server = await bindServer(0);
  // Wall-clock instants of the sweep's phases, from the runtime's transition stream.
  const marks = new Map<string, number>();
  let transitions = 0;
  let failures = 0;
  let watch: string | undefined;
  const runtime = await startRuntime({
    assemblyDir: assembly,
    dataDir: join(work, 'data'),
    port: 0,
    server,
    clock: 'virtual',
    log: (line) => {
      if (/ failed: | logged: /.test(line)) {
        failures++;
        if (failures <= 5) console.log(`  runtime: ${line.slice(0, 300)}`);
      }
      if (!watch || !line.startsWith(`run `) || !line.includes(`/${watch} `)) return;
      if (line.includes(' → ')) transitions++;
      const state = / → (\w+) \(/.exec(line)?.[1] ?? (line.endsWith(' succeeded') ? 'succeeded' : undefined);
      if (state && !marks.has(state)) marks.set(state, performance.now());
    },
  });
  server.prependListener('request', (req: IncomingMessage) => {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') calls.set(target, (calls.get(target) ?? 0) + 1);
  });
  const endpoint = {
    endpoint: runtime.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const dynamo = new DynamoDBClient(endpoint);
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const sfn = new SFNClient(endpoint);
  const events = new EventBridgeClient(endpoint);
  const secrets = JSON.parse(readFileSync(join(work, 'data', 'secrets.json'), 'utf8')) as {
    adminToken: string;
  };
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${runtime.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${secrets.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const now = async () =>
    Date.parse(((await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string }).now);
  const advanceTo = async (ms: number) => {
    const seconds = (ms - (await now())) / 1000;
    if (seconds < 0) throw new Error('the virtual clock only moves forward');
    const res = await fetch(`${runtime.url}/_local/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds }),
    });
    if (res.status !== 200) throw new Error(`advance: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const snapshot = () => new Map(calls);
  const diff = (before: Map<string, number>) =>
    [...calls].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0);

  try {
    const { TableNames = [] } = await dynamo.send(new ListTablesCommand({}));
    const tableName = TableNames.find((t) => !t.startsWith('bench-')) ?? TableNames[0]!;
    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    const machine = stateMachines.find((m) => /Sweep/i.test(m.name ?? ''))?.stateMachineArn;
    if (!machine) throw new Error('no restock sweep state machine in the app');
    const executionArn = (date: string) =>
      `${machine.replace(':stateMachine:', ':execution:')}:sweep-${date}`;
    const status = async (arn: string): Promise<ExecutionStatus | 'NONE'> => {
      try {
        return (await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status ?? 'NONE';
      } catch (error) {
        if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return 'NONE';
        throw error;
      }
    };

    /**
     * Advances the clock from the current instant to `date` 02:00 (store time) and polls the run
     * until it ends: the time from the advance to SUCCEEDED, and to the runtime settled (the
     * timeline and approval work the purchase orders set off done too).
     */
    const timedSweep = async (date: string) => {
      const arn = executionArn(date);
      watch = `sweep-${date}`;
      marks.clear();
      transitions = 0;
      const load = loadavg()[0]!;
      const cpu0 = cpuSeconds();
      const sweepSteps = () =>
        Object.entries(runtime.stats().invocations)
          .filter(([name]) => name.includes('SweepStep'))
          .reduce((sum, [, n]) => sum + n, 0);
      const steps0 = sweepSteps();
      const t0 = performance.now();
      let settledAt: number | undefined;
      const advancing = advanceTo(storeInstant(date, 2, 0)).then(() => {
        settledAt = performance.now();
      });
      let end: ExecutionStatus | 'NONE' = 'NONE';
      let succeededAt = 0;
      for (let extra = 0; ; ) {
        end = await status(arn);
        if (end !== 'NONE' && end !== 'RUNNING' && end !== 'PENDING_REDRIVE') {
          succeededAt = performance.now();
          break;
        }
        if (settledAt !== undefined && end !== 'NONE') {
          // Quiet yet still running: a step waits for a retry's back-off on the virtual clock.
          if (++extra > 60) throw new Error(`sweep-${date} is stuck (${end})`);
          await advanceTo((await now()) + 10_000);
          continue;
        }
        if (settledAt !== undefined && end === 'NONE') throw new Error(`sweep-${date} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const cpu1 = cpuSeconds();
      await advancing;
      if (end !== 'SUCCEEDED') throw new Error(`sweep-${date} ended ${end}`);
      watch = undefined;
      return {
        load,
        cpu: {
          all: cpu1.all - cpu0.all,
          main: cpu1.main !== undefined && cpu0.main !== undefined ? cpu1.main - cpu0.main : undefined,
        },
        // The Map Runs' children keep their states in their own histories (as on AWS), not in the
        // run's: its Task lines are StartSweep and Rank only; the step's invocations count them all.
        tasks: sweepSteps() - steps0,
        ms: succeededAt - t0,
        settledMs: (settledAt ?? succeededAt) - t0,
        phases: {
          start: (marks.get('Measure') ?? t0) - t0,
          measure: (marks.get('Rank') ?? 0) - (marks.get('Measure') ?? 0),
          rank: (marks.get('Check') ?? 0) - (marks.get('Rank') ?? 0),
          check: (marks.get('succeeded') ?? succeededAt) - (marks.get('Check') ?? 0),
        },
        transitions,
      };
    };

    // --- baseline: the embedded store's raw write rate, in a table of its own ---------------------
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'bench-baseline',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    while (
      (await dynamo.send(new DescribeTableCommand({ TableName: 'bench-baseline' }))).Table?.TableStatus !==
      'ACTIVE'
    )
      await new Promise((r) => setTimeout(r, 10));
    const put = (i: number, prefix: string) =>
      doc.send(
        new PutCommand({
          TableName: 'bench-baseline',
          Item: {
            pk: `SKU#${prefix}-${i % 500}`,
            sk: `SOLD#2026-01-01#${i}`,
            entity: 'Sold',
            units: i,
            version: 1,
          },
        }),
      );
    await Promise.all(Array.from({ length: 200 }, (_, i) => put(i, 'warm'))); // warm the connections
    let t = performance.now();
    for (let i = 0; i < WRITES; i++) await put(i, 'seq');
    const seqMs = performance.now() - t;
    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < WRITES) await put(next++, 'par');
      }),
    );
    const parMs = performance.now() - t;
    const seqRate = rate(WRITES, seqMs);
    const parRate = rate(WRITES, parMs);
    console.log(
      `baseline: raw PutItem to the embedded store  sequential ${seqRate} items/s  ·  8 in flight ${parRate} items/s  (${WRITES} each)`,
    );
    await dynamo.send(new DeleteTableCommand({ TableName: 'bench-baseline' }));

    // --- the nights before: the sweep of an empty catalog -----------------------------------------
    const start = await now();
    const d1 = addDays(localDate(new Date(start), ZONE), 1);
    const d2 = addDays(d1, 1);
    // Every tick on the way (sweep-<today> included, on an empty catalog) runs; the sandboxes warm.
    await advanceTo(storeInstant(d1, 1, 45));
    const empty = await timedSweep(d1);
    console.log(
      `baseline: sweep of an empty catalog (2 × ${CATALOG_BUCKETS} bucket children, ${2 * CATALOG_BUCKETS + 2} steps): ${s(empty.ms)}`,
    );

    // --- seeding (not measured) -------------------------------------------------------------------
    const seedStart = performance.now();
    for (const supplier of SUPPLIERS) {
      const { supplierId, ...body } = supplier;
      await api('PUT', `/api/suppliers/${supplierId}`, body);
    }
    const skus = catalog(SKUS);
    const store = new DynamoRestockStore(doc, tableName);
    const seededAt = new Date(await now()).toISOString();
    next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < skus.length) {
          const k = skus[next++]!;
          const saved = await store.saveSku(k.spec, k.onHand, null, seededAt);
          if (!saved.saved) throw new Error(`SKU ${k.spec.sku} exists`);
        }
      }),
    );
    // The ledger: one line per SKU and day with that day's units (a `projectSale` item).
    const ledger = skus.flatMap((k) =>
      k.daily.flatMap((units, i) => {
        if (units === 0) return [];
        const day = addDays(d2, i - (SALES_WINDOW_DAYS - 1));
        return [
          { ...keys.sold(k.spec.sku, day, `bench-${k.spec.sku}-${day}`), entity: 'Sold', units, version: 1 },
        ];
      }),
    );
    await batchPut(doc, tableName, ledger);
    const seedMs = performance.now() - seedStart;
    const selling = skus.filter((k) => k.sales30d > 0).length;
    console.log(
      `seeding (not measured): ${SUPPLIERS.length} suppliers (API), ${skus.length} SKUs (${selling} with sales), ${ledger.length} ledger lines over ${SALES_WINDOW_DAYS} days, in ${s(seedMs)}`,
    );

    // --- baseline: the raw per-SKU ledger read the sweep does (one Query per SKU) ----------------
    const windowFrom = addDays(d2, -(SALES_WINDOW_DAYS - 1));
    const probeSkus = skus.slice(0, Math.min(2_000, skus.length)).map((k) => k.spec.sku);
    t = performance.now();
    for (const sku of probeSkus.slice(0, 500)) await store.unitsSold(sku, windowFrom, d2);
    const querySeqRate = rate(Math.min(500, probeSkus.length), performance.now() - t);
    t = performance.now();
    next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < probeSkus.length) await store.unitsSold(probeSkus[next++]!, windowFrom, d2);
      }),
    );
    const queryParRate = rate(probeSkus.length, performance.now() - t);
    console.log(
      `baseline: raw 30-day ledger Query per SKU  sequential ${querySeqRate} SKUs/s  ·  8 in flight ${queryParRate} SKUs/s`,
    );

    // --- the measured night -----------------------------------------------------------------------
    await advanceTo(storeInstant(d2, 1, 45));
    const want = expected(skus, new Date(storeInstant(d2, 2, 0)));
    const before = snapshot();
    const profiler = PROFILE ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const night = await timedSweep(d2);
    const used = diff(before);
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      mkdirSync(PROFILE!, { recursive: true });
      const file = join(PROFILE!, `restock-sweep-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      profiler.disconnect();
      console.log(`  main thread profile of the sweep: ${file}`);
    }

    // --- what it did --------------------------------------------------------------------------------
    let pos = 0;
    let awaiting = 0;
    let poBytes = 0;
    for (let cursor: string | null = null; ; ) {
      const page = (await api(
        'GET',
        `/api/purchase-orders?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )) as { items: Array<{ status: string }>; nextCursor: string | null };
      pos += page.items.length;
      poBytes += page.items.reduce((n, p) => n + JSON.stringify(p).length, 0);
      awaiting += page.items.filter((p) => p.status === 'AWAITING_APPROVAL').length;
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    const hero = (await api('GET', `/api/skus/${want.topTen[0]}`)) as { topTen?: boolean; sales30d?: number };
    const ranked = (
      await Promise.all(
        want.topTen.map(
          async (sku) => ((await api('GET', `/api/skus/${sku}`)) as { topTen?: boolean }).topTen,
        ),
      )
    ).every(Boolean);

    const total = night.ms / 1000;
    const skusPerS = SKUS / total;
    const ok = total <= TARGET_S && pos === want.orders && ranked;
    console.log(
      `nightly sweep of ${SKUS} SKUs (clock advance → sweep-${d2} SUCCEEDED): ${total.toFixed(2)} s  ·  ${Math.round(skusPerS)} SKUs/s  ·  target ≤ ${TARGET_S} s: ${ok ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `  phases: start ${s(night.phases.start)} · measure ${s(night.phases.measure)} · rank ${s(night.phases.rank)} · check ${s(night.phases.check)}  ·  runtime settled (timeline, approvals) ${s(night.settledMs)}`,
    );
    console.log(
      `  vs baselines: ${(skusPerS / parRate).toFixed(3)}× the raw 8-in-flight PutItem rate, ${(skusPerS / queryParRate).toFixed(3)}× the raw 8-in-flight ledger Query rate; ${(night.ms / empty.ms).toFixed(1)}× the empty-catalog sweep`,
    );
    console.log(
      `  purchase orders: ${pos} created (${awaiting} awaiting approval); the rules expect ${want.orders} (${want.approvals} above the threshold): ${pos === want.orders ? 'match' : 'MISMATCH'}`,
    );
    const skuBytes = skus.reduce((n, k) => n + JSON.stringify(k.spec).length, 0) / skus.length;
    console.log(
      `  sizes (JSON, for the cost note): a purchase order ${Math.round(poBytes / Math.max(1, pos))} B, a SKU's spec ${Math.round(skuBytes)} B, a ledger line ~${JSON.stringify(ledger[0]).length} B`,
    );
    console.log(
      `  top ten: ${ranked ? 'as expected' : 'NOT as expected'} (${want.topTen[0]}: ${hero.sales30d} units in 30 days)`,
    );
    const byOp = used.sort((a, b) => b[1] - a[1]);
    const dynamoOps = byOp.filter(([k]) => k.startsWith('DynamoDB'));
    const dynamoCalls = dynamoOps.reduce((n, [, v]) => n + v, 0);
    const other = byOp.filter(([k]) => !k.startsWith('DynamoDB') && !k.endsWith('.DescribeExecution'));
    const op = ([k, v]: readonly [string, number]) => `${k.replace(/^[^.]+\./, '')} ${v}`;
    console.log(
      `  requests served during the sweep (every function, the timeline and approval reactions included): ${dynamoCalls} DynamoDB (${(dynamoCalls / SKUS).toFixed(2)} per SKU: ${dynamoOps
        .map(op)
        .join(', ')}); ${other.map(op).join(', ')}`,
    );
    console.log(
      `  states the run entered: ${night.transitions} (its Map Runs' children record theirs in their own histories); sweep-step Lambda invocations (the run's and its children's): ${night.tasks}; runtime errors logged: ${failures}`,
    );
    const wall = night.ms / 1000;
    console.log(
      `  CPU during the sweep: ${night.cpu.all.toFixed(1)} s all threads, ${((1000 * night.cpu.all) / SKUS).toFixed(1)} ms per SKU (${((100 * night.cpu.all) / wall / 2).toFixed(0)}% of 2 cores)${
        night.cpu.main === undefined
          ? ''
          : `, runtime main thread ${night.cpu.main.toFixed(1)} s (${((100 * night.cpu.main) / wall).toFixed(0)}% of the wall time)`
      }; machine load average at the start ${night.load.toFixed(1)} (2 cores: other work on the machine slows this run)`,
    );

    // --- probe: one page at a time, in process, on the same endpoint (per-Lambda-call estimate) ----
    if (PROBE_PAGES > 0) {
      const deps = {
        store,
        publisher: new EventBridgePublisher(events, 'unused-bus'),
        timeline: new DynamoTimelineRepository(doc, tableName),
        clock: { now: () => new Date(storeInstant(d2, 2, 30)) },
      };
      const sweep = restockSweep(deps);
      const ctx: SweepContext = {
        sweep: 'sweep-bench-probe',
        date: d2,
        policyVersion: 0,
        at: new Date(storeInstant(d2, 2, 30)).toISOString(),
      };
      const measureMs: number[] = [];
      const checkMs: number[] = [];
      const probeProfiler = PROFILE ? new Session() : undefined;
      if (probeProfiler) {
        probeProfiler.connect();
        await probeProfiler.post('Profiler.enable');
        await probeProfiler.post('Profiler.start');
      }
      for (let bucket = 0; bucket < PROBE_PAGES; bucket++) {
        t = performance.now();
        await sweep.measure({ sweep: ctx, bucket, cursor: null });
        measureMs.push(performance.now() - t);
        t = performance.now();
        await sweep.check({ sweep: ctx, bucket, cursor: null });
        checkMs.push(performance.now() - t);
      }
      if (probeProfiler) {
        const { profile } = await probeProfiler.post('Profiler.stop');
        const file = join(PROFILE!, `restock-probe-${Date.now()}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        probeProfiler.disconnect();
        console.log(`  profile of the in-process probe (client and store in one thread): ${file}`);
      }
      console.log(
        `  probe (one page of ${100} SKUs at a time, in process): measure p50 ${median(measureMs).toFixed(0)} ms · check p50 ${median(checkMs).toFixed(0)} ms (check of SKUs whose POs exist: no new PO)`,
      );
    }
    return { ok };
  } finally {
    dynamo.destroy();
    sfn.destroy();
    events.destroy();
    await runtime.close();
    rmSync(work, { recursive: true, force: true });
  }
}

// `tsx bench/restock.bench.ts` runs it alone (bench/run.ts imports it and calls run()).
if (import.meta.url === `file://${process.argv[1]}`) {
  const { ok } = await run();
  process.exitCode = ok ? 0 : 1;
}
