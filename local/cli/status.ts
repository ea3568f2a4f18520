import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runtimeHolding } from '../runtime/data-dir.ts';
import type { RuntimeSummary } from '../runtime/runtime.ts';
import { CliError, type CommandSpec, commandHelp, type Io, parseCommand } from './args.ts';
import { parsePort } from './target.ts';

export const STATUS: CommandSpec = {
  name: 'status',
  brief: 'Show the runtime on a data directory, its runs and dead letters',
  summary:
    'Shows whether a runtime is running on the data directory (its pid and URL), the runs in progress and failed per workflow, and the messages in each queue, dead letters first.',
  usage: '[options]',
  options: {
    data: { type: 'string', arg: 'dir', default: '.storeflow', help: 'Data directory of the runtime' },
    port: {
      type: 'string',
      arg: 'n',
      help: 'Ask the runtime on this port instead of the one running on --data',
    },
    json: { type: 'boolean', help: 'Print the status as JSON' },
  },
  details: `It asks the runtime's own AWS endpoints (Step Functions ListExecutions, SQS GetQueueAttributes),
as the AWS CLI would. Exit code 0 when a runtime is running, 3 when none is (as \`pg_ctl status\`).`,
};

/** How many runs `status` counts per workflow and status before it says "N+". */
const COUNT_LIMIT = 10_000;

export interface Status {
  readonly running: boolean;
  readonly dataDir: string;
  readonly pid?: number;
  readonly url?: string;
  readonly since?: string;
  readonly clock?: string;
  readonly workflows?: Array<{ name: string; running: number; failed: number; capped: boolean }>;
  readonly queues?: Array<{ name: string; deadLetter: boolean; visible: number; inFlight: number }>;
}

/** One call of an AWS JSON-protocol API on the runtime's port. */
async function awsCall<T>(url: string, target: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const answer = (await res.json()) as T & { message?: string; __type?: string };
  if (!res.ok)
    throw new CliError(`${target}: ${res.status} ${answer.__type ?? ''} ${answer.message ?? ''}`.trim());
  return answer;
}

async function countExecutions(url: string, stateMachineArn: string, statusFilter: string) {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await awsCall<{ executions: unknown[]; nextToken?: string }>(
      url,
      'AWSStepFunctions.ListExecutions',
      {
        stateMachineArn,
        statusFilter,
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      },
    );
    count += page.executions.length;
    nextToken = page.nextToken;
  } while (nextToken && count < COUNT_LIMIT);
  return { count, capped: Boolean(nextToken) };
}

/** The status of the runtime at `url` (its /health, workflows and queues). */
export async function runtimeStatus(
  url: string,
): Promise<Omit<Status, 'running' | 'dataDir' | 'pid' | 'since'>> {
  let health: RuntimeSummary & { status: string };
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
    health = (await res.json()) as typeof health;
    if (res.status === 503)
      throw new CliError(`the runtime at ${url} is still starting: try again in a moment`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot reach the runtime at ${url}: ${(error as Error).message}`);
  }
  const machines = await awsCall<{ stateMachines: Array<{ name: string; stateMachineArn: string }> }>(
    url,
    'AWSStepFunctions.ListStateMachines',
    {},
  );
  const workflows = await Promise.all(
    machines.stateMachines.map(async (m) => {
      const [running, failed] = await Promise.all([
        countExecutions(url, m.stateMachineArn, 'RUNNING'),
        countExecutions(url, m.stateMachineArn, 'FAILED'),
      ]);
      return {
        name: m.name,
        running: running.count,
        failed: failed.count,
        capped: running.capped || failed.capped,
      };
    }),
  );
  const { QueueUrls = [] } = await awsCall<{ QueueUrls?: string[] }>(url, 'AmazonSQS.ListQueues', {});
  const deadLetters = new Set(health.deadLetterQueues ?? []);
  const queues = await Promise.all(
    QueueUrls.map(async (queueUrl) => {
      const { Attributes = {} } = await awsCall<{ Attributes?: Record<string, string> }>(
        url,
        'AmazonSQS.GetQueueAttributes',
        {
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        },
      );
      const name = queueUrl.split('/').at(-1)!;
      return {
        name,
        deadLetter: deadLetters.has(name),
        visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    }),
  );
  queues.sort((a, b) => Number(b.deadLetter) - Number(a.deadLetter) || a.name.localeCompare(b.name));
  const clock = await fetch(`${url}/_local/clock`, { signal: AbortSignal.timeout(10_000) })
    .then((res) => res.json() as Promise<{ now?: string; kind?: string }>)
    .then((c) => (c.now ? `${c.kind ?? ''} (${c.now})`.trim() : health.clock))
    .catch(() => health.clock);
  return { url, clock, workflows, queues };
}

export async function status(args: readonly string[], io: Io): Promise<number> {
  const { values, help } = parseCommand(STATUS, args);
  if (help) {
    io.out(commandHelp(STATUS));
    return 0;
  }
  const dataDir = resolve(values.data as string);
  const holder = values.port === undefined ? runtimeHolding(dataDir) : undefined;
  let result: Status;
  if (values.port !== undefined) {
    const url = `http://127.0.0.1:${parsePort(values.port as string)}`;
    result = { running: true, dataDir, ...(await runtimeStatus(url)) };
  } else if (!holder) {
    result = { running: false, dataDir };
  } else if (!holder.url) {
    throw new CliError(
      `the runtime on ${dataDir} (pid ${holder.pid}) is still starting: try again in a moment`,
    );
  } else {
    result = {
      running: true,
      dataDir,
      pid: holder.pid,
      since: holder.startedAt,
      ...(await runtimeStatus(holder.url)),
    };
  }
  if (values.json) io.out(`${JSON.stringify(result)}\n`);
  else io.out(formatStatus(result));
  return result.running ? 0 : 3;
}

export function formatStatus(s: Status): string {
  if (!s.running) {
    return `no storeflow runtime is running on ${s.dataDir}${existsSync(s.dataDir) ? '' : ' (there is no such directory)'}\n`;
  }
  const who = s.pid !== undefined ? `pid ${s.pid}, ` : '';
  const lines = [
    `runtime    running on ${s.dataDir}: ${who}${s.url}${s.since ? `, since ${s.since}` : ''}`,
    `clock      ${s.clock}`,
  ];
  const workflows = s.workflows ?? [];
  const queues = s.queues ?? [];
  const queueName = (x: (typeof queues)[number]) => (x.deadLetter ? `${x.name} (dead letters)` : x.name);
  const w = Math.max(20, ...workflows.map((x) => x.name.length), ...queues.map((x) => queueName(x).length));
  const row = (name: string, a: string, b: string) =>
    `  ${name.padEnd(w)}  ${a.padStart(9)}  ${b.padStart(9)}`;
  const heading = (title: string, a: string, b: string) =>
    `${title.padEnd(w + 2)}  ${a.padStart(9)}  ${b.padStart(9)}`;
  lines.push(heading(`workflows (${workflows.length})`, 'running', 'failed'));
  for (const x of workflows) {
    const plus = x.capped ? '+' : '';
    lines.push(row(x.name, `${x.running}${plus}`, `${x.failed}${plus}`));
  }
  lines.push(heading(`queues (${queues.length})`, 'waiting', 'in flight'));
  for (const x of queues) lines.push(row(queueName(x), String(x.visible), String(x.inFlight)));
  return `${lines.join('\n')}\n`;
}
