import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, type CommandSpec, commandHelp, type Io, parseCommand, UsageError } from './args.ts';
import { runtimeTarget } from './target.ts';

export const RUNS: CommandSpec = {
  name: 'runs',
  brief: 'List workflow runs, or show one, with the progress of their sweeps',
  summary:
    'Lists the runs of every workflow, newest first (filtered by workflow, status or business key), or shows one run (`storeflow runs <id>`): its states, what it waits for, and the progress of its Distributed Maps — the restock and repricing sweeps — as children done of total.',
  usage: '[<run id>] [options]',
  positionals: { min: 0, max: 1 },
  options: {
    workflow: { type: 'string', arg: 'name', help: 'Only this workflow (PresaleOrder, RestockSweep, …)' },
    status: { type: 'string', arg: 'status', help: 'Only runs in this status (RUNNING, FAILED, …)' },
    key: { type: 'string', arg: 'key', help: 'Only the run of this business key (order:1001, or 1001)' },
    limit: { type: 'string', arg: 'n', default: '20', help: 'How many runs (1-100)' },
    data: { type: 'string', arg: 'dir', default: '.storeflow', help: 'Data directory of the runtime' },
    port: { type: 'string', arg: 'n', help: 'Ask the runtime on this port instead of the one on --data' },
    url: { type: 'string', arg: 'url', help: 'Ask a deployed operations API (needs STOREFLOW_ADMIN_TOKEN)' },
    json: { type: 'boolean', help: 'Print the operations API’s answer as JSON' },
  },
  details: `It asks the operations API (GET /api/runs, GET /api/runs/{id}) with the admin token:
STOREFLOW_ADMIN_TOKEN when set, else <data>/secrets.json. A run id is <workflow>:<name>, as the
list prints it. Progress lines read "Measure  48/64 children done (1 failed, 8 running)".`,
};

interface MapRun {
  state: string | null;
  status: string;
  total: number;
  succeeded: number;
  failed: number;
  running: number;
  aborted: number;
  timedOut: number;
}
interface RunItem {
  id: string;
  status: string;
  startedAt: string;
  stoppedAt: string | null;
  key: { type: string; value: string } | null;
}
interface RunPage extends RunItem {
  error: string | null;
  cause: string | null;
  states: Array<{ name: string; path: string; status: string; entries: number }>;
  waitingFor: { kind: string; by: string; state: string } | null;
  mapRuns: MapRun[];
  actions: { stop: boolean; redrive: boolean };
}

function adminToken(dataDir: string, env: Io['env'], fileAllowed: boolean): string {
  if (env.STOREFLOW_ADMIN_TOKEN) return env.STOREFLOW_ADMIN_TOKEN;
  if (!fileAllowed) throw new CliError('set STOREFLOW_ADMIN_TOKEN (or an operator token) to ask --url');
  const file = join(dataDir, 'secrets.json');
  try {
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { adminToken?: unknown }).adminToken;
    if (typeof token === 'string' && token) return token;
  } catch {
    // the error below
  }
  throw new CliError(`no admin token in ${file}: start the runtime once, or set STOREFLOW_ADMIN_TOKEN`);
}

/** A Distributed Map run's progress: `Measure  48/64 children done (1 failed, 8 running)`. */
export function formatProgress(m: MapRun): string {
  const done = m.succeeded + m.failed + m.timedOut + m.aborted;
  const extra = [
    m.failed ? `${m.failed} failed` : '',
    m.timedOut ? `${m.timedOut} timed out` : '',
    m.aborted ? `${m.aborted} aborted` : '',
    m.running ? `${m.running} running` : '',
  ].filter(Boolean);
  const bar = m.total > 0 ? ` ${progressBar(done / m.total)}` : '';
  return `${(m.state ?? 'map').padEnd(12)} ${done}/${m.total} children done${extra.length ? ` (${extra.join(', ')})` : ''}${bar}${m.status === 'RUNNING' ? '' : ` ${m.status.toLowerCase()}`}`;
}

const progressBar = (fraction: number, width = 20) => {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
};

const keyText = (r: RunItem) => (r.key ? `${r.key.type}:${r.key.value}` : '');

export function formatRun(page: RunPage): string {
  const lines = [
    `${page.id}  ${page.status}`,
    `  started ${page.startedAt}${page.stoppedAt ? `, stopped ${page.stoppedAt}` : ''}${page.key ? `, key ${keyText(page)}` : ''}`,
  ];
  if (page.error) lines.push(`  error   ${page.error}${page.cause ? `: ${page.cause.slice(0, 200)}` : ''}`);
  if (page.waitingFor) {
    lines.push(`  waiting ${page.waitingFor.state}: ${page.waitingFor.kind} (by ${page.waitingFor.by})`);
  }
  for (const m of page.mapRuns) lines.push(`  ${formatProgress(m)}`);
  const ran = page.states.filter((s) => s.status !== 'not-run');
  if (ran.length) {
    lines.push('  states');
    for (const s of ran) {
      lines.push(`    ${s.path.padEnd(28)} ${s.status}${s.entries > 1 ? ` (×${s.entries})` : ''}`);
    }
  }
  const actions = [page.actions.stop ? 'stop' : '', page.actions.redrive ? 'redrive' : ''].filter(Boolean);
  if (actions.length) lines.push(`  can     ${actions.join(', ')} (POST /api/runs/<id>/${actions[0]})`);
  return `${lines.join('\n')}\n`;
}

export async function runs(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals, help } = parseCommand(RUNS, args);
  if (help) {
    io.out(commandHelp(RUNS));
    return 0;
  }
  const limit = Number(values.limit);
  if (!/^\d+$/.test(String(values.limit)) || limit < 1 || limit > 100) {
    throw new UsageError(`--limit: "${values.limit}" must be a whole number from 1 to 100`);
  }
  const target = runtimeTarget({
    data: values.data as string,
    ...(values.port !== undefined ? { port: values.port as string } : {}),
    ...(values.url !== undefined ? { url: values.url as string } : {}),
  });
  const token = adminToken(resolve(values.data as string), io.env, target.local);
  const get = async <T>(path: string): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${target.url}${path}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new CliError(`cannot reach ${target.url}: ${(error as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as T & { message?: string };
    if (!res.ok) throw new CliError(`GET ${path}: ${res.status} ${body.message ?? ''}`.trim());
    return body;
  };

  const id = positionals[0];
  if (id !== undefined) {
    const page = await get<RunPage>(`/api/runs/${encodeURIComponent(id)}`);
    io.out(values.json ? `${JSON.stringify(page)}\n` : formatRun(page));
    return 0;
  }
  const query = new URLSearchParams({ limit: String(limit) });
  for (const name of ['workflow', 'status', 'key'] as const) {
    if (values[name] !== undefined) query.set(name, values[name] as string);
  }
  const list = await get<{ items: RunItem[]; nextCursor: string | null }>(`/api/runs?${query}`);
  // The progress of the running ones (their sweeps' Distributed Maps), at most ten pages.
  const running = list.items.filter((r) => r.status === 'RUNNING').slice(0, 10);
  const pages = new Map(
    await Promise.all(
      running.map(async (r) => [r.id, await get<RunPage>(`/api/runs/${encodeURIComponent(r.id)}`)] as const),
    ),
  );
  if (values.json) {
    io.out(
      `${JSON.stringify({ ...list, progress: Object.fromEntries([...pages].map(([k, p]) => [k, p.mapRuns])) })}\n`,
    );
    return 0;
  }
  if (list.items.length === 0) {
    io.out('no runs\n');
    return 0;
  }
  const w = Math.max(...list.items.map((r) => r.id.length));
  const lines = [`${'run'.padEnd(w)}  ${'status'.padEnd(15)}  ${'started'.padEnd(24)}  key`];
  for (const r of list.items) {
    lines.push(`${r.id.padEnd(w)}  ${r.status.padEnd(15)}  ${r.startedAt.padEnd(24)}  ${keyText(r)}`);
    const page = pages.get(r.id);
    for (const m of page?.mapRuns ?? []) lines.push(`${' '.repeat(4)}${formatProgress(m)}`);
    if (page?.waitingFor) lines.push(`    waiting in ${page.waitingFor.state}: ${page.waitingFor.kind}`);
  }
  if (list.nextCursor) lines.push(`… more: --limit ${Math.min(100, limit * 2)}, or filter`);
  io.out(`${lines.join('\n')}\n`);
  return 0;
}
