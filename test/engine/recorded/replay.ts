/**
 * Replays the AWS-recorded cases in this folder through the engine and scores them (issue #15).
 *
 * A case file (`*.json`) is `{ "file": <LocalStack test module the recording comes from>,
 * "definitions"?: { name: definition }, "cases": [Case] }`. A case names its test (and parameter /
 * execution index), its class, its definition (inline or a name from `definitions`), its input
 * and what AWS recorded: status, output, error, cause and the history's event types. Only the
 * recorded data is kept (transcribed from LocalStack's snapshots marked validated against AWS);
 * no LocalStack code.
 *
 * Scores, as the issue defines them: (a) same status, output, error and cause; (b) same sequence
 * of history event types; (c) as (a) with the cause's wording ignored.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
// dynalite ships no types.
// @ts-expect-error -- untyped CommonJS module
import dynalite from 'dynalite';
import {
  awsSdkRoutes,
  createTaskRouter,
  lambdaFunctionNotFound,
  type TaskContext,
  TaskFailure,
  type TaskRoutes,
  VirtualClock,
} from '../../../local/engine/index.ts';
import { createEventBridge } from '../../../local/eventbridge/bus.ts';
import { createSqs, type LocalSqs } from '../../../local/sqs/queues.ts';
import { type Harness, harness } from '../helpers.ts';

/** a fake Lambda: returns `return`, or throws `throw` (name + message); `sequence` answers call by call */
export type FakeLambda =
  | { return: unknown }
  | { echo: true }
  | { throw: { name: string; message: string } }
  /** the function's error as Lambda reports it: error type and the runtime's JSON cause, verbatim */
  | { fail: { error: string; cause: string } }
  | { sequence: FakeLambda[] }
  /** never answers (until the task is aborted): the function outlives the task's TimeoutSeconds */
  | { hang: true };

export interface RecordedCase {
  /** test name, with its parameter and execution index when the test runs several */
  test: string;
  class: string;
  definition: string | object;
  input?: unknown;
  lambdas?: Record<string, FakeLambda>;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  output?: unknown;
  /** absent: DescribeExecution has no such field */
  error?: string;
  /** an object where the recording shows the cause as JSON (it is compared parsed) */
  cause?: string | object;
  /** absent: the recording's history is not comparable (LocalStack normalises Parallel branch events) */
  events?: string[];
  /** names for the state machine and the execution (some recordings show them) */
  machineName?: string;
  executionName?: string;
  /** a remark on the transcription (e.g. which template version the recording used) */
  note?: string;
  /**
   * A DynamoDB table the case's tasks use (served by dynalite through `awsSdkRoutes`, the path
   * `storeflow dev` takes): created per case with this hash key, named `<TableName>` in the case.
   */
  table?: {
    key: string /** false: the name only (the recording's table does not exist) */;
    create?: boolean;
  };
  /**
   * An SQS queue the case's tasks use (the local SQS behind its JSON protocol, reached through
   * `awsSdkRoutes` as in `storeflow dev`), `<QueueUrl>` in the case. `consumer` answers the task
   * token of each message it receives (the recording's other state machine or worker).
   */
  queue?: { consumer?: { fail: { error: string; cause: string } } };
  /** the local EventBridge (default bus) serves the case's `events:` tasks */
  bus?: true;
  /** more keys whose values the recording normalised (see `LOOSE`), e.g. a Lambda runtime's Content-Length */
  loose?: string[];
  /** scores this case is known not to reach yet, with the reason (listed in decision 45) */
  differs?: { scores: ('a' | 'b' | 'c')[]; why: string };
}

export interface CaseFile {
  file: string;
  /** a remark on the whole file's transcription */
  note?: string;
  definitions?: Record<string, object>;
  cases: RecordedCase[];
}

export interface Loaded extends RecordedCase {
  source: string;
  def: object;
}

const dir = new URL('.', import.meta.url).pathname;

export const loadCases = (): Loaded[] => {
  const out: Loaded[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const cf = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CaseFile;
    for (const c of cf.cases) {
      const def = typeof c.definition === 'string' ? cf.definitions?.[c.definition] : c.definition;
      if (!def) throw new Error(`${f}: ${c.test}: no definition ${String(c.definition)}`);
      out.push({ ...c, def, source: `${cf.file}::${c.test}` });
    }
  }
  return out;
};

export interface Outcome {
  /** the replay's names, for `expand` */
  names: Record<string, string>;
  status: string;
  output?: unknown;
  error?: string;
  cause?: string;
  events: string[];
}

const answer = (l: FakeLambda, payload: unknown, call: number, ctx: TaskContext): unknown => {
  if ('sequence' in l) return answer(l.sequence[Math.min(call, l.sequence.length - 1)]!, payload, 0, ctx);
  if ('hang' in l)
    return ctx.idleWhile(
      new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
  if ('echo' in l) return payload;
  if ('throw' in l) throw Object.assign(new Error(l.throw.message), { name: l.throw.name });
  if ('fail' in l) throw new TaskFailure(l.fail.error, l.fail.cause);
  return l.return;
};

let seq = 0;

/**
 * The recorded values name the state machine and execution as `<StateMachineName>`,
 * `<StateMachineArn>` and `<ExecutionName>` (AWS's names were redacted in the recording): they are
 * replaced by the replay's own names before comparing.
 */
export const expand = (v: unknown, names: Record<string, string>): unknown =>
  typeof v === 'string'
    ? v.replace(
        /<(StateMachineName|StateMachineArn|ExecutionName|ExecutionArn|TableName|QueueUrl)>/g,
        (m, k: string) => names[k] ?? m,
      )
    : Array.isArray(v)
      ? v.map((x) => expand(x, names))
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x, names)]))
        : v;

/** one dynalite for all cases (a table per case), started on first use */
let dynamo: Promise<{ endpoint: string; client: DynamoDBClient; close: () => Promise<void> }> | undefined;
const startDynamo = () =>
  (dynamo ??= (async () => {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    return { endpoint, client, close };
  })());

/** stops what the replays started (dynalite) */
export const closeServices = async (): Promise<void> => {
  if (!dynamo) return;
  const d = await dynamo;
  dynamo = undefined;
  d.client.destroy();
  await d.close();
};

/**
 * The local SQS (one queue) and EventBridge (the default bus, no rules) behind their JSON protocols
 * on one loopback port, as the runtime's server answers them.
 */
const startLocalServices = async (clock: VirtualClock, name: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'recorded-services-'));
  const account = '123456789012';
  const region = 'us-east-1';
  const url = `http://sqs.${region}.localhost/${account}/${name}`;
  const sqs: LocalSqs = await createSqs({
    dir: join(dir, 'sqs'),
    clock,
    region,
    account,
    queues: [{ name, arn: `arn:aws:sqs:${region}:${account}:${name}`, url }],
    mappings: [],
    invoke: async () => ({ ok: true, result: null }) as never,
    fsync: false,
  });
  const events = await createEventBridge({
    dir: join(dir, 'events'),
    clock,
    region,
    account,
    buses: [],
    rules: [],
    archives: [],
    schedules: [],
    deliver: async () => {},
    sendToDeadLetter: async () => {},
    fsync: false,
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const [service, operation] = String(req.headers['x-amz-target'] ?? '').split('.') as [string, string];
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw ? JSON.parse(raw) : {};
      const sqsCall = service === 'AmazonSQS';
      const reply = await (sqsCall ? sqs : events).handle(operation, body);
      res.writeHead(reply.status, {
        'content-type': sqsCall ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
        ...((reply as { headers?: Record<string, string> }).headers ?? {}),
      });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url,
    sqs,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sqs.close();
      await events.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** one engine per case, so fake Lambdas' call counts start at zero */
export const replay = async (c: Loaded): Promise<Outcome> => {
  const calls: Record<string, number> = {};
  const n = ++seq;
  const names: Record<string, string> = {};
  let services: Partial<TaskRoutes> = {};
  if (c.table) {
    const d = await startDynamo();
    names.TableName = `recorded_table_${n}`;
    if (c.table.create !== false)
      await d.client.send(
        new CreateTableCommand({
          TableName: names.TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: c.table.key, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: c.table.key, KeyType: 'HASH' }],
        }),
      );
    services = await awsSdkRoutes({ endpoint: d.endpoint });
  }
  const clock = new VirtualClock();
  const queue = c.queue || c.bus ? await startLocalServices(clock, `recorded_queue_${n}`) : undefined;
  if (queue) {
    names.QueueUrl = queue.url;
    const { sqs, eventBridge } = await awsSdkRoutes({ endpoint: queue.endpoint });
    services = { ...services, sqs, eventBridge };
  }
  const h: Harness = await harness({
    clock,
    handler: createTaskRouter({
      ...services,
      invokeLambda: async (name, payload, ctx) => {
        const short = name.split(':').pop()!;
        const l = c.lambdas?.[short];
        // a function the case does not define does not exist, as the Lambda service answers
        if (!l) throw lambdaFunctionNotFound(name, 'us-east-1', '123456789012');
        const n = calls[short] ?? 0;
        calls[short] = n + 1;
        return answer(l, payload, n, ctx);
      },
    }),
  });
  try {
    const sm = await h.machine(c.def, c.machineName ?? `recorded_${n}`);
    names.StateMachineName = sm.split(':').pop()!;
    names.StateMachineArn = sm;
    const { executionArn } = await h.engine.startExecution({
      stateMachineArn: sm,
      input: JSON.stringify(expand(c.input ?? {}, names)),
      ...(c.executionName ? { name: c.executionName } : {}),
    });
    await h.clock.advance(0);
    for (;;) {
      const d = await h.engine.describeExecution({ executionArn });
      if (d.status !== 'RUNNING') break;
      if (queue && c.queue?.consumer && (await consume(queue, c.queue.consumer, h))) continue;
      const next = h.clock.nextDue();
      if (next === undefined) break;
      await h.clock.advanceTo(next);
    }
    const r = await h.result(executionArn);
    Object.assign(names, {
      StateMachineName: sm.split(':').pop()!,
      StateMachineArn: sm,
      ExecutionName: executionArn.split(':').pop()!,
      ExecutionArn: executionArn,
    });
    return {
      names,
      status: r.status,
      ...(r.output !== undefined ? { output: r.output } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
      events: r.events.map((e) => e.type),
    };
  } finally {
    await h.engine.close();
    await queue?.close();
  }
};

/** receives the queue's messages and fails each one's task token as the consumer says; true if any */
const consume = async (
  queue: { url: string; sqs: LocalSqs },
  consumer: NonNullable<RecordedCase['queue']>['consumer'] & object,
  h: Harness,
): Promise<boolean> => {
  const r = await queue.sqs.handle('ReceiveMessage', { QueueUrl: queue.url, MaxNumberOfMessages: 10 });
  const messages = ((r.body as { Messages?: { Body: string }[] }).Messages ?? []) as { Body: string }[];
  for (const m of messages) {
    const token = (JSON.parse(m.Body) as { TaskToken: string }).TaskToken;
    await h.engine.sendTaskFailure({ taskToken: token, ...consumer.fail });
  }
  if (messages.length) await h.clock.advance(0);
  return messages.length > 0;
};

const same = (a: unknown, b: unknown) => JSON.stringify(canon(a)) === JSON.stringify(canon(b));

/**
 * Values the recordings normalised, by key, and the placeholder they show instead: dates, request
 * ids, checksums, trace ids and the execution role (LocalStack's snapshot transformers replace them;
 * `<uuid:N>` stands for one UUID wherever it recurs). A recorded placeholder under such a key matches
 * any non-empty string (or a one-element list of one) the replay produced; `<uuid:N>` (and other
 * numbered placeholders, `<m-d5-of-message-body:N>`) must be the same value at each of its places.
 */
const LOOSE: Record<string, string[]> = {
  Date: ['date'],
  StartTime: ['date'],
  EnteredTime: ['date'],
  'x-amzn-RequestId': ['x-amzn-RequestId'],
  RequestId: ['RequestId'],
  'x-amz-crc32': ['x-amz-crc32'],
  'X-Amzn-Trace-Id': ['X-Amzn-Trace-Id'],
  RoleArn: ['snf_role_arn'],
};

/**
 * The replay's value with every normalised value replaced by the recording's placeholder where the
 * recording has one (so the comparison that follows is exact everywhere else).
 */
/** AWS's causes end with the request id; the recordings show `<request_id>` */
const requestIds = (s: string) => s.replace(/Request ID: [^;,)\s]+/g, 'Request ID: <request_id>');

export const normalise = (actual: unknown, recorded: unknown, loose: string[] = []): unknown => {
  const uuids = new Map<string, string>();
  const scalar = (v: unknown) =>
    typeof v === 'string'
      ? v
      : Array.isArray(v) && v.length === 1 && typeof v[0] === 'string'
        ? v[0]
        : undefined;
  const walk = (a: unknown, r: unknown, key: string | undefined): unknown => {
    if (key !== undefined) {
      const tag = typeof r === 'string' ? r : Array.isArray(r) && r.length === 1 ? r[0] : undefined;
      const u = typeof tag === 'string' ? /^<[a-z0-9-]+:\d+>$/.exec(tag) : null;
      const v = scalar(a);
      if (typeof tag === 'string' && v !== undefined && v !== '') {
        if (u) {
          const seen = uuids.get(tag);
          if (seen === undefined || seen === v) {
            uuids.set(tag, v);
            return r;
          }
        } else if (LOOSE[key]?.includes(tag) || loose.includes(key)) return r;
      }
    }
    if (typeof a === 'string' && typeof r === 'string' && r.includes('<request_id>')) return requestIds(a);
    if (Array.isArray(a) && Array.isArray(r)) return a.map((x, i) => walk(x, r[i], undefined));
    if (a && typeof a === 'object' && r && typeof r === 'object' && !Array.isArray(a) && !Array.isArray(r))
      return Object.fromEntries(
        Object.entries(a).map(([k, x]) => [k, walk(x, (r as Record<string, unknown>)[k], k)]),
      );
    return a;
  };
  return walk(actual, recorded, undefined);
};
const canon = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canon)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
        )
      : v;

export interface Score {
  a: boolean;
  b: boolean;
  c: boolean;
  diffs: string[];
}

export const score = (recorded: RecordedCase, o: Outcome): Score => {
  const c = expand(recorded, o.names) as RecordedCase;
  const diffs: string[] = [];
  const status = o.status === c.status;
  if (!status) diffs.push(`status ${o.status} ≠ ${c.status}`);
  const output = same(normalise(o.output, c.output, c.loose), c.output);
  if (!output) diffs.push(`output ${JSON.stringify(o.output)} ≠ ${JSON.stringify(c.output)}`);
  const error = o.error === c.error;
  if (!error) diffs.push(`error ${o.error} ≠ ${c.error}`);
  // the recordings show request ids in causes as <request_id>
  let oc: unknown = o.cause;
  if (typeof c.cause === 'string' && c.cause.includes('<request_id>') && o.cause) oc = requestIds(o.cause);
  if (typeof c.cause === 'object' && o.cause !== undefined) {
    try {
      oc = normalise(JSON.parse(o.cause), c.cause, c.loose);
    } catch {
      // not JSON: compared as text, so it differs
    }
  }
  const cause = typeof c.cause === 'object' ? same(oc, c.cause) : oc === c.cause;
  const causePresence = (o.cause === undefined) === (c.cause === undefined);
  if (!cause) diffs.push(`cause ${JSON.stringify(oc)} ≠ ${JSON.stringify(c.cause)}`);
  const b = c.events === undefined || same(o.events, c.events);
  if (!b) diffs.push(`events ${o.events.join(',')} ≠ ${c.events?.join(',')}`);
  return { a: status && output && error && cause, b, c: status && output && error && causePresence, diffs };
};

export interface Summary {
  total: number;
  /** cases with a comparable history (score b's denominator) */
  withEvents: number;
  a: number;
  b: number;
  c: number;
  byClass: Record<string, { n: number; nb: number; a: number; b: number; c: number }>;
}

export const summarise = (rows: { c: RecordedCase; s: Score }[]): Summary => {
  const sum: Summary = { total: rows.length, withEvents: 0, a: 0, b: 0, c: 0, byClass: {} };
  for (const { c, s } of rows) {
    sum.byClass[c.class] ??= { n: 0, nb: 0, a: 0, b: 0, c: 0 };
    const k = sum.byClass[c.class]!;
    k.n++;
    if (c.events) {
      k.nb++;
      sum.withEvents++;
    }
    for (const d of ['a', 'b', 'c'] as const)
      if (s[d] && (d !== 'b' || c.events)) {
        k[d]++;
        sum[d]++;
      }
  }
  return sum;
};

const pct = (x: number, n: number) => (n === 0 ? 'n/a' : `${((100 * x) / n).toFixed(1)}%`);

export const formatSummary = (s: Summary): string => {
  const lines = [
    `class                 cases   (a) all    (b) events  (c) no cause wording`,
    ...Object.entries(s.byClass)
      .sort((x, y) => y[1].n - x[1].n)
      .map(
        ([k, v]) =>
          `${k.padEnd(22)}${String(v.n).padStart(5)}   ${pct(v.a, v.n).padStart(7)}    ${pct(v.b, v.nb).padStart(7)}     ${pct(v.c, v.n).padStart(7)}`,
      ),
    `${'total'.padEnd(22)}${String(s.total).padStart(5)}   ${pct(s.a, s.total).padStart(7)}    ${pct(s.b, s.withEvents).padStart(7)}     ${pct(s.c, s.total).padStart(7)}`,
  ];
  return lines.join('\n');
};
