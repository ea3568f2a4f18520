import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadAssembly } from '../../local/runtime/assembly.ts';
import { type LocalHttpDispatcher, serveInProcess } from '../../local/runtime/inproc.ts';
import { LocalFunction, type LocalFunctionOptions } from '../../local/runtime/lambda.ts';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';
import { manualTimers } from '../support/manual-timers.ts';

/**
 * The sandboxes' in-process transport: a function's HTTP requests to the runtime's endpoint are
 * answered by the runtime's dispatcher through a MessagePort; the function sees the same response
 * it would get over TCP.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRANSPORT = join(ROOT, 'local/runtime/sandbox-transport.mjs');
let dir: string;
const opened: LocalFunction[] = [];

function fn(source: string, options: LocalFunctionOptions = {}) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  const f = new LocalFunction(
    {
      name: 'fn',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
      file,
      exportName: 'handler',
      environment: {},
      timeoutSeconds: 10,
      memorySize: 256,
    },
    options,
  );
  opened.push(f);
  return f;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'storeflow-transport-'));
});
afterAll(async () => {
  await Promise.all(opened.map((f) => f.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** A handler that sends `event.requests` with Node's http and returns what it got back. */
const rawClient = `
import http from 'node:http';
import { Readable } from 'node:stream';
import { transportStats } from ${JSON.stringify(TRANSPORT)};
const send = (url, r) => new Promise((resolve) => {
  const req = http.request(url + r.path, { method: r.method, headers: r.headers, agent: new http.Agent({ keepAlive: true }) }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('base64') }));
  });
  req.on('error', (e) => resolve({ error: e.code ?? e.message }));
  if (r.timeoutMs) req.setTimeout(r.timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
  const body = r.body === undefined ? undefined : Buffer.from(r.body, 'base64');
  if (r.pipe) Readable.from([body.subarray(0, 10), body.subarray(10)]).pipe(req);
  else req.end(body);
});
export const handler = async (event) => {
  const out = [];
  for (const r of event.requests) out.push(await send(event.url, r));
  return { out, stats: { ...transportStats } };
};`;

/** Headers only a TCP connection has. */
const connectionHeaders = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const strip = (h: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !connectionHeaders.has(k)));

describe('the in-process transport against a plain HTTP server', () => {
  let server: Server;
  let url: string;
  let dispatch: LocalHttpDispatcher;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url === '/fail') throw new Error('the handler failed');
        const text = JSON.stringify({
          method: req.method,
          url: req.url,
          host: req.headers.host,
          type: req.headers['content-type'],
          target: req.headers['x-amz-target'],
          bytes: body.length,
          sha: body.toString('base64').slice(0, 40),
          remote: req.socket.remoteAddress?.replace('::ffff:', ''),
        });
        res.setHeader('x-amzn-requestid', 'fixed');
        res.writeHead(req.url === '/missing' ? 404 : 200, {
          'content-type': 'application/x-amz-json-1.1',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dispatch = serveInProcess(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("holds a background invocation's calls at the services' gate, never a foreground one's", async () => {
    const seen: string[] = [];
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let asked = 0;
    let onAsked: () => void = () => {};
    const firstAsk = new Promise<void>((resolve) => {
      onAsked = resolve;
    });
    const services = {
      endpoint: url,
      dispatch: (request: Parameters<LocalHttpDispatcher>[0]) => {
        seen.push(request.path);
        return dispatch(request);
      },
      backgroundGate: () => {
        asked++;
        onAsked();
        return gate;
      },
    };
    const f = fn(rawClient, { services, maxConcurrency: 2 });
    const call = (path: string) => ({ url, requests: [{ method: 'GET', path }] });
    const background = f.invoke(call('/background'), { background: true });
    await firstAsk; // the sandbox started and sent its call: held at the gate
    expect(asked).toBe(1);
    expect(seen).toEqual([]);
    const foreground = await f.invoke(call('/foreground'));
    expect(foreground.ok).toBe(true);
    expect(asked).toBe(1); // a foreground call is never gated
    expect(seen).toEqual(['/foreground']);
    open();
    const result = await background;
    expect(result.ok && (result.result as { out: Array<{ status: number }> }).out[0]!.status).toBe(200);
    expect(seen).toEqual(['/foreground', '/background']);
  });

  it('returns the same status, headers and bytes as the same request over TCP', async () => {
    const big = Buffer.alloc(300_000, 7).toString('base64');
    const requests = [
      {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
        body: Buffer.from('{"Entries":[]}').toString('base64'),
      },
      { method: 'GET', path: '/health?x=1&y=%20' },
      { method: 'POST', path: '/missing', headers: { 'content-type': 'application/json' }, body: big },
      {
        method: 'PUT',
        path: '/piped',
        body: Buffer.from('a streamed body, in two chunks').toString('base64'),
        pipe: true,
      },
    ];
    const local = await fn(rawClient, { services: { endpoint: url, dispatch } }).invoke({ url, requests });
    const tcp = await fn(rawClient).invoke({ url, requests });
    expect(local.ok && tcp.ok).toBe(true);
    if (!local.ok || !tcp.ok) return;
    type Out = {
      out: Array<{ status: number; headers: Record<string, unknown>; body: string }>;
      stats: Record<string, number>;
    };
    const l = local.result as Out;
    const t = tcp.result as Out;
    expect(l.out.map((o) => ({ ...o, headers: strip(o.headers) }))).toEqual(
      t.out.map((o) => ({ ...o, headers: strip(o.headers) })),
    );
    expect(l.out[2]!.status).toBe(404);
    expect(l.stats).toMatchObject({ inProcess: 4, passedThrough: 0 });
  });

  it('sends requests for other hosts and ports over the network as before', async () => {
    const other = createServer((_req, res) => res.end('elsewhere'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const r = await fn(rawClient, { services: { endpoint: url, dispatch } }).invoke({
        url: otherUrl,
        requests: [{ method: 'GET', path: '/' }],
      });
      expect(r.ok && (r.result as { out: Array<{ body: string }> }).out[0]!.body).toBe(
        Buffer.from('elsewhere').toString('base64'),
      );
      expect(r.ok && (r.result as { stats: unknown }).stats).toMatchObject({
        inProcess: 0,
        passedThrough: 1,
      });
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('fails a request the dispatcher cannot answer like a dropped connection, and honours socket timeouts', async () => {
    const failing: LocalHttpDispatcher = async () => {
      throw new Error('dispatcher down');
    };
    const never: LocalHttpDispatcher = () => new Promise(() => {});
    const a = await fn(rawClient, { services: { endpoint: url, dispatch: failing } }).invoke({
      url,
      requests: [{ method: 'POST', path: '/', body: '' }],
    });
    expect(a.ok && (a.result as { out: unknown[] }).out).toEqual([{ error: 'ECONNRESET' }]);
    const b = await fn(rawClient, { services: { endpoint: url, dispatch: never } }).invoke({
      url,
      requests: [{ method: 'POST', path: '/', body: '', timeoutMs: 50 }],
    });
    expect(b.ok && (b.result as { out: unknown[] }).out).toEqual([{ error: 'ETIMEDOUT' }]);
  });
});

describe('the in-process transport in the runtime', () => {
  let runtime: Runtime;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'storeflow-transport-rt-'));
    runtime = await startRuntime({ assemblyDir: inject('appAssembly'), dataDir, port: 0, clock: 'virtual' });
  });
  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Unmodified AWS SDK v3 clients, as a handler bundle uses them, one call per service. */
  const sdkClient = `
import { createRequire } from 'node:module';
import { transportStats } from ${JSON.stringify(TRANSPORT)};
const require = createRequire(${JSON.stringify(join(ROOT, 'package.json'))});
const ddb = require('@aws-sdk/client-dynamodb');
const eb = require('@aws-sdk/client-eventbridge');
const sfn = require('@aws-sdk/client-sfn');
const sm = require('@aws-sdk/client-secrets-manager');
import http from 'node:http';
const config = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 };
const name = (e) => e.name;
export const handler = async () => {
  const d = new ddb.DynamoDBClient(config);
  const { TableNames } = await d.send(new ddb.ListTablesCommand({}));
  const TableName = TableNames[0];
  await d.send(new ddb.PutItemCommand({ TableName, Item: { pk: { S: 'transport' }, sk: { S: 'x' }, n: { N: '1' } } }));
  const got = await d.send(new ddb.GetItemCommand({ TableName, Key: { pk: { S: 'transport' }, sk: { S: 'x' } } }));
  const conditional = await d.send(new ddb.PutItemCommand({ TableName, Item: { pk: { S: 'transport' }, sk: { S: 'x' } }, ConditionExpression: 'attribute_not_exists(pk)' })).then(() => 'written', name);
  const put = await new eb.EventBridgeClient(config).send(new eb.PutEventsCommand({ Entries: [{ Source: 'test', DetailType: 'Ping', Detail: '{}' }] }));
  const machines = await new sfn.SFNClient(config).send(new sfn.ListStateMachinesCommand({}));
  const missingRun = await new sfn.SFNClient(config).send(new sfn.DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:nope:nope' })).then(() => 'found', name);
  const secret = await new sm.SecretsManagerClient(config).send(new sm.GetSecretValueCommand({ SecretId: process.env.SECRET_ID }));
  const missingSecret = await new sm.SecretsManagerClient(config).send(new sm.GetSecretValueCommand({ SecretId: 'nope' })).then(() => 'found', name);
  // no SQS client in the project: the awsJson1_0 call as the SQS client sends it
  const queues = await new Promise((resolve, reject) => {
    const req = http.request(process.env.AWS_ENDPOINT_URL + '/', { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end('{}');
  });
  return {
    item: got.Item, conditional, failed: put.FailedEntryCount, machines: machines.stateMachines.length, missingRun,
    secret: typeof secret.SecretString, missingSecret, queues: (queues.QueueUrls ?? []).length, stats: { ...transportStats },
  };
};`;

  it('serves DynamoDB, EventBridge, Step Functions, Secrets Manager and SQS calls, errors included', async () => {
    const secretId = loadAssembly(inject('appAssembly')).byType('AWS::SecretsManager::Secret')[0]!.name;
    const environment = { AWS_ENDPOINT_URL: runtime.url, SECRET_ID: secretId };
    const file = join(dir, 'sdk.mjs');
    writeFileSync(file, sdkClient);
    const spec = {
      name: 'sdk',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:sdk',
      file,
      exportName: 'handler',
      environment,
      timeoutSeconds: 20,
      memorySize: 512,
    };
    const local = new LocalFunction(spec, {
      services: { endpoint: runtime.url, dispatch: runtime.dispatch },
    });
    const tcp = new LocalFunction(spec);
    opened.push(local, tcp);
    const before = runtime.stats();
    const a = await local.invoke({});
    const b = await tcp.invoke({});
    const after = runtime.stats();
    if (!a.ok) throw new Error(a.error.errorMessage);
    if (!b.ok) throw new Error(b.error.errorMessage);
    const { stats: viaPort, ...inProcess } = a.result as { stats: Record<string, number> };
    const { stats: _none, ...overTcp } = b.result as { stats: Record<string, number> };
    expect(inProcess).toEqual(overTcp);
    expect(inProcess).toMatchObject({
      item: { pk: { S: 'transport' }, sk: { S: 'x' }, n: { N: '1' } },
      conditional: 'ConditionalCheckFailedException',
      failed: 0,
      missingRun: 'ExecutionDoesNotExist',
      secret: 'string',
      missingSecret: 'ResourceNotFoundException',
    });
    expect(viaPort).toMatchObject({ inProcess: 10, passedThrough: 0 });
    // The runtime counts the calls it serves, from the port and over TCP alike (benches).
    const served = (target: string) => (after.calls[target] ?? 0) - (before.calls[target] ?? 0);
    expect(served('DynamoDB_20120810.PutItem')).toBe(4);
    expect(served('DynamoDB_20120810.GetItem')).toBe(2);
    expect(served('AWSEvents.PutEvents')).toBe(2);
    expect(served('secretsmanager.GetSecretValue')).toBe(4);
    expect(served('AmazonSQS.ListQueues')).toBe(2);
    if (process.platform === 'linux') expect(after.cpu.main).toBeGreaterThan(0);
  });
});

describe('sandbox reclamation', () => {
  const echo = 'let n = 0; export const handler = async (e) => ({ n: ++n, e });';

  it('reclaims a sandbox idle for the idle timeout; the next invocation starts cold', async () => {
    const timers = manualTimers();
    const f = fn(echo, { timers, idleTimeoutMs: 60_000 });
    const first = await f.invoke(1);
    expect(first.cold).toBe(true);
    expect(f.sandboxes).toBe(1);
    expect(timers.armed).toBe(1);
    const warm = await f.invoke(2);
    expect(warm.cold).toBe(false);
    timers.fireAll();
    expect(f.sandboxes).toBe(0);
    const again = await f.invoke(3);
    expect(again.cold).toBe(true);
    expect(again.ok && again.result).toEqual({ n: 1, e: 3 });
  });

  it('keeps at most maxConcurrency sandboxes; after a burst the extra ones go idle and are reclaimed', async () => {
    const timers = manualTimers();
    const slow = `export const handler = async (e) => { await new Promise((r) => setImmediate(r)); return e; };`;
    const f = fn(slow, { timers, maxConcurrency: 3 });
    await Promise.all(Array.from({ length: 9 }, (_, i) => f.invoke(i)));
    expect(f.sandboxes).toBe(3);
    // one at a time now: the most recently used sandbox serves, the other two stay idle
    for (let i = 0; i < 3; i++) await f.invoke(i);
    expect(timers.armed).toBe(3);
    timers.fireAll();
    expect(f.sandboxes).toBe(0);
  });

  it('close() ends a running invocation and those waiting for a sandbox, timers included', async () => {
    const f = fn('export const handler = () => new Promise(() => {});', { maxConcurrency: 1 });
    const running = f.invoke(1);
    const waiting = f.invoke(2);
    await new Promise((r) => setImmediate(r));
    await f.close();
    expect(await running).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    expect(await waiting).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
  });

  it('reclaimIdle() frees the idle sandboxes at once and leaves a busy one running', async () => {
    const timers = manualTimers();
    const held = `export const handler = async (e) => (e === 'wait' ? new Promise(() => {}) : e);`;
    const f = fn(held, { timers, maxConcurrency: 3 });
    await Promise.all([f.invoke(1), f.invoke(2), f.invoke(3)]);
    expect(f.sandboxes).toBe(3);
    const busy = f.invoke('wait'); // the most recently used idle sandbox, held until opened
    await new Promise((r) => setImmediate(r));
    expect(timers.armed).toBe(3); // two idle timers, and the busy invocation's timeout
    expect(await f.reclaimIdle()).toBe(2);
    expect(f.sandboxes).toBe(1);
    expect(timers.armed).toBe(1); // the reclaimed sandboxes' idle timers are gone with them
    // the busy one runs on; a second invocation meanwhile starts a new, cold sandbox
    const other = await f.invoke('x');
    expect(other.cold).toBe(true);
    expect(f.sandboxes).toBe(2);
    expect(timers.armed).toBe(2);
    expect(await f.reclaimIdle()).toBe(1);
    expect(f.sandboxes).toBe(1);
    expect(timers.armed).toBe(1);
    expect(await f.reclaimIdle()).toBe(0);
    await f.close();
    expect(await busy).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
  });

  it('reports each reclaimed sandbox once its isolate is freed, and none on close', async () => {
    const timers = manualTimers();
    let freed = 0;
    let wake = () => {};
    const onSandboxFreed = () => {
      freed++;
      wake();
    };
    const f = fn(echo, { timers, maxConcurrency: 2, onSandboxFreed });
    await Promise.all([f.invoke(1), f.invoke(2)]);
    expect(f.sandboxes).toBe(2);
    expect(await f.reclaimIdle()).toBe(2);
    expect(freed).toBe(2); // reclaimIdle resolves after the isolates are gone, reported by then
    await f.invoke(3);
    const reported = new Promise<void>((resolve) => {
      wake = resolve;
    });
    timers.fireAll(); // the idle timeout reclaims it
    await reported;
    expect(freed).toBe(3);
    await f.invoke(4);
    await f.close();
    expect(freed).toBe(3); // closing is not a reclamation: the process is on its way out
  });

  it('does not reclaim a sandbox that is busy, and close() stops every timer', async () => {
    const timers = manualTimers();
    const f = fn(echo, { timers, idleTimeoutMs: 1 });
    await f.invoke(0);
    const busy = f.invoke(1); // takes the idle sandbox: its timer is cleared
    expect(timers.armed).toBe(0);
    await busy;
    expect(timers.armed).toBe(1); // idle again
    expect(f.sandboxes).toBe(1);
    await f.close();
    expect(timers.armed).toBe(0);
    expect(f.sandboxes).toBe(0);
  });
});
