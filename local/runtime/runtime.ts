import { mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { awsSdkRoutes, lambdaFunctionNotFound } from '../engine/handlers.ts';
import {
  createEngine,
  createSfnHttpHandler,
  createTaskRouter,
  FileStore,
  MockConfig,
} from '../engine/index.ts';
import { createEventBridge, DeliveryError, type LocalEventBridge } from '../eventbridge/bus.ts';
import { errorReply } from '../eventbridge/scheduler.ts';
import { createSqs, type LocalSqs } from '../sqs/queues.ts';
import { fromResultV2, gatewayErrors, type HttpRoute, RouteTable, toEventV2 } from './apigw.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, loadAssembly } from './assembly.ts';
import { type AsyncInvoker, createAsyncInvoker } from './async-invoke.ts';
import { fileSize } from './build.ts';
import { PersistentVirtualClock, type RuntimeClock, realRuntimeClock } from './clock.ts';
import { CONSOLE_PATH, consoleHandler } from './console.ts';
import { acquireDataDirLock, type DataDirLock, prepareDataDir } from './data-dir.ts';
import { embeddedDynamoDb, externalDynamoDb, type LocalDynamoDb } from './dynamodb.ts';
import { openFunctionLog } from './function-log.ts';
import { createRequestGuard, redactUrl, sigv4Service } from './guard.ts';
import { type LocalHttpDispatcher, serveInProcess } from './inproc.ts';
import { DEFAULT_MAX_SANDBOXES, type InvokeResult, JsonPayload, LocalFunction } from './lambda.ts';
import { lambdaInvokeApi } from './lambda-api.ts';
import { glibcMallocTrim, HeapTrimmer, tuneGlibcMalloc } from './malloc-trim.ts';
import { ForegroundFirst, type PriorityOptions } from './priority.ts';
import {
  archiveSpecs,
  busSpecs,
  consoleAssetDir,
  deadLetterQueueArns,
  eventSourceMappings,
  functionSpecs,
  httpRoutes,
  invokeConfigs,
  queueSpecs,
  ruleSpecs,
  scheduleGroups,
  schedulerSchedules,
  stateMachines,
} from './resources.ts';
import { loadSecrets } from './secrets.ts';
import { bindServer, DEFAULT_HOST, endpointUrl, readBody } from './server.ts';

export interface RuntimeOptions {
  /** A synthesized cloud assembly (cdk.out). */
  readonly assemblyDir: string;
  readonly dataDir: string;
  readonly port: number;
  /** The address to bind (default 127.0.0.1); requests must name it, or a loopback name, in `Host`. */
  readonly host?: string;
  /** A server already bound by the caller (`bindServer`: the CLI binds before synthesis). */
  readonly server?: Server;
  /** The data directory's lock, taken by the caller; the runtime releases it on close. */
  readonly lock?: DataDirLock;
  /** Where `SHOPIFY_WEBHOOK_SECRET` & co. override secrets.json (the CLI: process.env; default none). */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly clock: 'real' | 'virtual';
  /** Use this DynamoDB endpoint instead of the embedded store. */
  readonly dynamodbEndpoint?: string;
  /**
   * A mock configuration file (Step Functions Local's format): executions started on
   * `<stateMachineArn>#<test case>` answer that test case's Task states with mocked responses.
   */
  readonly mockConfig?: string;
  /** One line per webhook, event, run transition and failure. */
  readonly log?: (line: string) => void;
  /**
   * How sandboxes reach the runtime's services: in-process through a MessagePort (default, see
   * inproc.ts) or loopback HTTP (as an external client does).
   */
  readonly sandboxTransport?: 'in-process' | 'http';
  /** Sandboxes per function at most (default: cores + 2, at most 10; see lambda.ts). */
  readonly maxSandboxes?: number;
  /**
   * Asynchronous invocations running at once while an HTTP request waits for a function (`busy`,
   * default 1) and otherwise (`idle`, default: the sandbox cap); see priority.ts.
   */
  readonly background?: Partial<PriorityOptions>;
}

export interface RuntimeSummary {
  readonly endpoint: string;
  readonly dataDir: string;
  readonly clock: string;
  readonly dynamodb: string;
  readonly tables: string[];
  readonly functions: Array<{ name: string; bundleKiB: number }>;
  readonly workflows: string[];
  readonly routes: string[];
  readonly buses: string[];
  readonly rules: string[];
  readonly schedules: string[];
  readonly queues: string[];
  /** the queues that are dead-letter queues of rules, schedules, functions or other queues */
  readonly deadLetterQueues: string[];
  readonly secretsFile: string;
  /** the environment variables that override secrets.json (names only) */
  readonly secretsFromEnvironment: string[];
  /** the operations console's URL, when the app has one */
  readonly console?: string;
}

/** How long the runtime keeps an idle client connection open (Node's `keepAliveTimeout`). */
export const KEEP_ALIVE_MS = 65_000;

export interface RuntimeStats {
  readonly calls: Record<string, number>;
  readonly invocations: Record<string, number>;
  /**
   * CPU time in microseconds (Linux; empty elsewhere) of the main thread (`main`) and of each
   * function's live sandboxes (a reclaimed sandbox's time leaves the sum).
   */
  readonly cpu: Record<string, number>;
  /** EventBridge Scheduler schedules alive (made through the API: the SLA's promise timers). */
  readonly schedules: number;
  /** Live function sandboxes (worker threads, each its own V8 isolate), all functions. */
  readonly sandboxes: number;
}

/** A thread's CPU time in microseconds from /proc (Linux), or undefined. */
function threadCpuMicros(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux)
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

export interface Runtime {
  readonly url: string;
  readonly port: number;
  readonly clock: RuntimeClock;
  readonly summary: RuntimeSummary;
  /** Serves one request in-process, as the sandboxes' transport does (see inproc.ts). */
  readonly dispatch: LocalHttpDispatcher;
  /** Waits until nothing due is in flight anywhere in the runtime. */
  settle(): Promise<void>;
  /**
   * Counts since start: AWS API calls served (by `X-Amz-Target`, or `scheduler <METHOD>`), from the
   * sandboxes and from outside alike, and invocations per function (benches, to count per delivery).
   */
  stats(): RuntimeStats;
  /**
   * Reclaims every function's idle sandboxes now, as their idle timeouts would (benches: memory at
   * rest); how many went.
   */
  reclaimIdleSandboxes(): Promise<number>;
  close(): Promise<void>;
}

const MAX_API_BODY = 10 * 1024 * 1024;

const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
};

const awsError = (
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  contentType = 'application/x-amz-json-1.1',
) => sendJson(res, status, { __type: type, message }, { 'content-type': contentType });

/**
 * Starts the local runtime: loads the cloud assembly, opens the durable stores under the data
 * directory, and serves the app's HTTP API and the AWS JSON APIs on one port.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  // Big blocks mapped whole, threads in two arenas: first, before the store's and sandboxes' threads.
  tuneGlibcMalloc();
  for (const line of prepareDataDir(options.dataDir)) options.log?.(line);
  // One runtime per data directory; a second one stops here, naming the first.
  const lock = options.lock ?? acquireDataDirLock(options.dataDir);
  try {
    return await startLocked(options, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startLocked(options: RuntimeOptions, lock: DataDirLock): Promise<Runtime> {
  const log = options.log ?? (() => {});
  const assembly = loadAssembly(options.assemblyDir);
  const consoleDir = consoleAssetDir(assembly);
  const serveConsole = consoleHandler(consoleDir);
  const clock: RuntimeClock =
    options.clock === 'virtual' ? new PersistentVirtualClock(options.dataDir) : realRuntimeClock();
  const secrets = loadSecrets(
    options.dataDir,
    assembly.byType('AWS::SecretsManager::Secret'),
    options.environment,
  );

  // --- one port; components attach as they come up -------------------------------------------
  let ready = false;
  let summary: RuntimeSummary | undefined;
  let closing = false;
  const calls = new Map<string, number>();
  const invocations = new Map<string, number>();
  const count = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const handlers: {
    dynamodb?: LocalDynamoDb;
    sfn?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
    events?: LocalEventBridge;
    sqs?: LocalSqs;
    lambda?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    api?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  } = {};
  const host = options.host ?? DEFAULT_HOST;
  const server = options.server ?? (await bindServer(options.port, host));
  const port = (server.address() as AddressInfo).port;
  const url = endpointUrl(server);
  lock.update({ port, url });
  // Foreign Host (DNS rebinding) and cross-site browser requests are refused before anything else.
  const guard = createRequestGuard({ port, host, address: (server.address() as AddressInfo).address });
  server.removeAllListeners('request'); // the "starting" answer of bindServer
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    dispatch(req, res).catch((error: Error) => {
      log(`error ${req.method} ${redactUrl(req.url)}: ${error.message}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  // An idle connection is kept 65 s (Node's default is 5 s). The AWS SDK's agents keep their idle
  // sockets without a time limit and do not read the `Keep-Alive: timeout` hint, so a client idle
  // for ~5 s between calls (a script, a bench between phases) could send on a socket the server was
  // closing that instant: ECONNRESET or "socket hang up", which costs a retry from the SDK's retry
  // quota. Reproduced with 100 PutItems after 6 s idle and retries off: 1-3 in 100 reset in a third
  // of the rounds.
  server.keepAliveTimeout = KEEP_ALIVE_MS;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = guard(req);
    if (refusal) {
      log(`refused ${req.method} ${redactUrl(req.url)}: ${refusal.reason}`);
      return sendJson(res, refusal.status, refusal.body, {
        'content-type': refusal.contentType,
        ...refusal.headers,
      });
    }
    // EventBridge Scheduler is restJson1 (POST/GET/PUT/DELETE /schedules/…): its paths could be the
    // app's own routes, so it is told apart by the service its SigV4 signature names.
    if (sigv4Service(req.headers.authorization) === 'scheduler') {
      count(calls, `scheduler ${req.method}`);
      const body = await readBody(req, 1024 * 1024);
      const reply =
        body === undefined
          ? errorReply('ValidationException', 413, 'The request body is over 1 MiB.')
          : !handlers.events || !ready
            ? errorReply('ThrottlingException', 503, 'The local runtime is starting.')
            : await handlers.events.scheduler.handle(req.method ?? 'GET', req.url ?? '/', body);
      res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
      res.end(reply.body);
      return;
    }
    // Lambda's Invoke is restJson1 too (POST /2015-03-31/functions/<name>/invocations).
    if (sigv4Service(req.headers.authorization) === 'lambda') {
      count(calls, `lambda ${req.method}`);
      if (!handlers.lambda || !ready) {
        return sendJson(res, 503, { Type: 'Service', message: 'The local runtime is starting.' });
      }
      return handlers.lambda(req, res);
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && req.method === 'POST') {
      count(calls, target);
      const dot = target.indexOf('.');
      const service = dot < 0 ? target : target.slice(0, dot);
      const operation = target.slice(dot + 1);
      switch (service) {
        case 'DynamoDB_20120810':
          if (!handlers.dynamodb)
            return awsError(res, 503, 'ServiceUnavailable', 'starting', 'application/x-amz-json-1.0');
          return handlers.dynamodb.handle(req, res);
        case 'AWSStepFunctions':
          if (!handlers.sfn || !ready)
            return awsError(res, 503, 'ServiceUnavailable', 'starting', 'application/x-amz-json-1.0');
          await handlers.sfn(req, res);
          return;
        case 'AWSEvents':
        case 'AmazonSQS':
        case 'secretsmanager': {
          const raw = await readBody(req, 1024 * 1024);
          if (raw === undefined)
            return awsError(res, 413, 'RequestEntityTooLarge', 'request body is over 1 MiB');
          let body: unknown;
          try {
            body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
          } catch {
            return awsError(res, 400, 'SerializationException', 'request body is not JSON');
          }
          if (service === 'secretsmanager') return secretsApi(res, operation, body);
          const component = service === 'AWSEvents' ? handlers.events : handlers.sqs;
          if (!component || !ready) return awsError(res, 503, 'ServiceUnavailable', 'starting');
          const reply = await component.handle(operation, body);
          return sendJson(res, reply.status, reply.body, {
            'content-type':
              service === 'AmazonSQS' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
            ...((reply as { headers?: Record<string, string> }).headers ?? {}),
          });
        }
        default:
          return awsError(
            res,
            400,
            'UnknownOperationException',
            `${target} is not served by the local runtime`,
          );
      }
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health' && req.method === 'GET') {
      if (!ready) return sendJson(res, 503, { status: 'starting' });
      return sendJson(res, 200, { status: 'ok', ...summary });
    }
    if (path.startsWith('/_local/')) return localControls(req, res, path);
    if (path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`)) return serveConsole(req, res, path);
    if (!handlers.api || !ready) return sendJson(res, 503, { message: 'Service Unavailable' });
    return handlers.api(req, res);
  }

  function secretsApi(res: ServerResponse, operation: string, body: unknown) {
    const secret = secrets.find(String((body as { SecretId?: unknown }).SecretId ?? ''));
    if (operation !== 'GetSecretValue' && operation !== 'DescribeSecret') {
      return awsError(
        res,
        400,
        'UnknownOperationException',
        `secretsmanager.${operation} is not served locally`,
      );
    }
    if (!secret) {
      return awsError(
        res,
        400,
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    return sendJson(
      res,
      200,
      operation === 'GetSecretValue'
        ? {
            ARN: secret.arn,
            Name: secret.name,
            SecretString: secret.value,
            VersionId: 'local',
            VersionStages: ['AWSCURRENT'],
          }
        : { ARN: secret.arn, Name: secret.name },
      { 'content-type': 'application/x-amz-json-1.1' },
    );
  }

  async function localControls(req: IncomingMessage, res: ServerResponse, path: string) {
    if (path === '/_local/clock' && req.method === 'GET') {
      return sendJson(res, 200, { now: new Date(clock.now()).toISOString(), kind: clock.kind });
    }
    if (path === '/_local/clock/advance' && req.method === 'POST') {
      if (!clock.advance) {
        return sendJson(res, 409, { message: 'the clock is real: start with --clock virtual to advance it' });
      }
      const raw = (await readBody(req, 4096)) ?? Buffer.alloc(0);
      let seconds: unknown;
      try {
        seconds = (JSON.parse(raw.toString('utf8') || '{}') as { seconds?: unknown }).seconds;
      } catch {
        return sendJson(res, 400, { message: 'body must be JSON: {"seconds": <non-negative number>}' });
      }
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        return sendJson(res, 400, { message: 'seconds: must be a non-negative number' });
      }
      await clock.advance(seconds);
      log(`clock advanced ${seconds}s to ${new Date(clock.now()).toISOString()}`);
      return sendJson(res, 200, { now: new Date(clock.now()).toISOString() });
    }
    if (path === '/_local/settle' && req.method === 'POST') {
      await clock.settle();
      return sendJson(res, 200, { now: new Date(clock.now()).toISOString() });
    }
    return sendJson(res, 404, { message: `${req.method} ${path} is not a local control` });
  }

  const dispatchInProcess = serveInProcess(server);
  const cleanups: Array<() => Promise<void>> = [async () => lock.release()];
  try {
    // --- storage --------------------------------------------------------------------------------
    const rules = ruleSpecs(assembly);
    const buses = busSpecs(assembly);
    const queues = queueSpecs(assembly);
    const schedules = schedulerSchedules(assembly);
    const dynamodb = options.dynamodbEndpoint
      ? externalDynamoDb(options.dynamodbEndpoint)
      : embeddedDynamoDb(options.dataDir);
    handlers.dynamodb = dynamodb;
    cleanups.push(() => dynamodb.close());
    const tables = await dynamodb.ensureTables(assembly.byType('AWS::DynamoDB::Table'), url);

    // --- functions --------------------------------------------------------------------------------
    mkdirSync(join(options.dataDir, 'logs'), { recursive: true });
    const functionLog = openFunctionLog(join(options.dataDir, 'logs', 'functions.log'), {
      onErrorLine: (name, line) => log(`function ${name} logged: ${line.slice(0, 400)}`),
    });
    cleanups.push(() => functionLog.close());
    const baseEnv = {
      AWS_ENDPOINT_URL: url,
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      STOREFLOW_ADMIN_TOKEN: secrets.adminToken,
      TZ: 'UTC',
    };
    const functions = new Map<string, LocalFunction>();
    // HTTP requests waiting for their function first; asynchronous invocations when cores are free.
    const priority = new ForegroundFirst({
      busy: options.background?.busy ?? 1,
      idle: options.background?.idle ?? options.maxSandboxes ?? DEFAULT_MAX_SANDBOXES,
      ...(options.background?.maxHoldMs !== undefined ? { maxHoldMs: options.background.maxHoldMs } : {}),
      ...(options.background?.requestHoldMs !== undefined
        ? { requestHoldMs: options.background.requestHoldMs }
        : {}),
    });
    // Reclaimed sandboxes' freed isolates go back to the system, not into malloc's arenas.
    const trimmer = new HeapTrimmer(glibcMallocTrim());
    cleanups.push(async () => trimmer.cancel());
    for (const spec of functionSpecs(assembly, baseEnv)) {
      const fn = new LocalFunction(spec, {
        onSandboxFreed: () => trimmer.sandboxFreed(),
        ...(clock.shared ? { clock: clock.shared } : {}),
        ...(options.maxSandboxes ? { maxConcurrency: options.maxSandboxes } : {}),
        ...(options.sandboxTransport !== 'http'
          ? {
              services: {
                endpoint: url,
                dispatch: dispatchInProcess,
                backgroundGate: () => priority.backgroundRequest(),
              },
            }
          : {}),
        onLog: functionLog.writer(spec.name),
      });
      functions.set(spec.arn, fn);
      functions.set(spec.name, fn);
    }
    cleanups.push(async () => {
      await Promise.all([...new Set(functions.values())].map((f) => f.close()));
    });
    const findFunction = (nameOrArn: string): LocalFunction | undefined =>
      functions.get(nameOrArn) ??
      functions.get(nameOrArn.replace(/:(\$LATEST|\d+)$/, '')) ??
      functions.get(nameOrArn.split(':').at(-1)!);
    const hasFunction = (nameOrArn: string) => findFunction(nameOrArn) !== undefined;
    const functionFor = (nameOrArn: string): LocalFunction => {
      const fn = findFunction(nameOrArn);
      if (!fn) throw new Error(`function ${nameOrArn} is not in the app`);
      return fn;
    };
    const invoke = async (
      nameOrArn: string,
      event: unknown,
      options: { readonly background?: boolean } = {},
    ): Promise<InvokeResult> => {
      const fn = functionFor(nameOrArn);
      count(invocations, fn.spec.name);
      const result = await fn.invoke(event, options);
      if (!result.ok)
        log(`function ${fn.spec.name} failed: ${result.error.errorType}: ${result.error.errorMessage}`);
      return result;
    };

    // --- queues -----------------------------------------------------------------------------------
    const sqs = await createSqs({
      dir: join(options.dataDir, 'sqs'),
      clock,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      queues,
      mappings: eventSourceMappings(assembly, (name) => functionFor(name).spec.arn),
      invoke: (arn, event) => invoke(arn, event),
      log,
    });
    handlers.sqs = sqs;
    cleanups.push(() => sqs.close());

    // --- workflows --------------------------------------------------------------------------------
    const sdk = await awsSdkRoutes({ endpoint: url, region: LOCAL_REGION });
    const engine = await createEngine({
      store: new FileStore(join(options.dataDir, 'sfn')),
      clock,
      ...(options.mockConfig ? { mockConfig: MockConfig.load(options.mockConfig) } : {}),
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      onHistoryEvent: (arn, event) => {
        const line = describeTransition(event);
        if (line) log(`run ${arn.split(':').slice(-2).join('/')} ${line}`);
      },
      taskHandler: createTaskRouter({
        ...sdk,
        invokeLambda: async (name, payload) => {
          if (!hasFunction(name)) throw lambdaFunctionNotFound(name, LOCAL_REGION, LOCAL_ACCOUNT);
          const result = await invoke(name, payload);
          if (result.ok) return result.result;
          throw Object.assign(new Error(result.error.errorMessage), { name: result.error.errorType });
        },
      }),
    });
    cleanups.push(() => engine.close());
    const workflows: string[] = [];
    for (const machine of stateMachines(assembly)) {
      try {
        await engine.describeStateMachine({ stateMachineArn: machine.arn });
        await engine.updateStateMachine({ stateMachineArn: machine.arn, definition: machine.definition });
      } catch (error) {
        if ((error as { code?: string }).code !== 'StateMachineDoesNotExist') throw error;
        await engine.createStateMachine({
          name: machine.name,
          definition: machine.definition,
          type: machine.type,
        });
      }
      workflows.push(machine.name);
    }
    handlers.sfn = createSfnHttpHandler(engine);

    // --- async invocation (events, destinations) -------------------------------------------------
    let events: LocalEventBridge | undefined;
    // The last payload found to be JSON: an event's targets get the same text (see eventJson), so
    // it is parsed once per event rather than once per target.
    let lastJson: string | undefined;
    const deliver = async (targetArn: string, payload: string, context: string): Promise<void> => {
      const service = targetArn.split(':')[2];
      switch (service) {
        case 'lambda':
          try {
            functionFor(targetArn);
          } catch (error) {
            throw new DeliveryError((error as Error).message, 'NO_RESOURCE', false);
          }
          // A Lambda takes JSON: text that is not fails the delivery here, as before; valid text is
          // passed on as it is (journaled and parsed in the sandbox, not cloned as objects).
          if (payload !== lastJson) {
            JSON.parse(payload);
            lastJson = payload;
          }
          return asyncInvoker.invoke(targetArn, new JsonPayload(payload), context);
        case 'sqs':
          await sqs.sendMessage(targetArn, payload, {});
          return;
        case 'states': {
          await engine.startExecution({ stateMachineArn: targetArn, input: payload });
          return;
        }
        case 'events': {
          const event = JSON.parse(payload) as Record<string, unknown>;
          await events!.putEvents([
            {
              EventBusName: targetArn,
              Source: String(event.source),
              DetailType: String(event['detail-type']),
              Detail: JSON.stringify(event.detail ?? {}),
              Resources: (event.resources as string[]) ?? [],
            },
          ]);
          return;
        }
        default:
          // Not retried: straight to the rule's dead-letter queue, as AWS does for a missing resource.
          throw new DeliveryError(
            `target ${targetArn}: this kind of target is not supported by the local runtime`,
            'NO_RESOURCE',
            false,
          );
      }
    };
    const asyncInvoker: AsyncInvoker = await createAsyncInvoker({
      file: join(options.dataDir, 'lambda', 'async.journal'),
      clock,
      configs: invokeConfigs(assembly),
      invoke: (arn, event) => priority.background(() => invoke(arn, event, { background: true })),
      destination: (arn, record) => deliver(arn, JSON.stringify(record), 'destination'),
      resolveArn: (nameOrArn) => functionFor(nameOrArn).spec.arn,
      log,
    });
    cleanups.push(() => asyncInvoker.close());
    handlers.lambda = lambdaInvokeApi({
      functionFor: (name) => {
        try {
          return functionFor(name).spec.arn;
        } catch {
          return undefined;
        }
      },
      invoke: (arn, event) => invoke(arn, event),
      invokeAsync: (arn, payload) => asyncInvoker.invoke(arn, new JsonPayload(payload), 'Invoke API'),
    });

    events = await createEventBridge({
      dir: join(options.dataDir, 'events'),
      clock,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      buses,
      rules,
      archives: archiveSpecs(assembly),
      schedules,
      scheduleGroups: scheduleGroups(assembly),
      deliver: (targetArn, payload, info) =>
        deliver(targetArn, payload, info.rule ? `rule ${info.rule}` : `schedule ${info.schedule}`),
      sendToDeadLetter: async (queueArn, body, attributes) => {
        await sqs.sendMessage(queueArn, body, {
          messageAttributes: Object.fromEntries(
            Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
          ),
        });
      },
      log,
    });
    handlers.events = events;
    cleanups.push(() => events!.close());

    // --- HTTP API ---------------------------------------------------------------------------------
    const routes: HttpRoute[] = httpRoutes(assembly);
    const table = new RouteTable(routes);
    const apiId = assembly.byType('AWS::ApiGatewayV2::Api')[0]?.ref ?? 'local';
    handlers.api = async (req, res) => {
      const started = performance.now();
      const match = table.match(req.method ?? 'GET', (req.url ?? '/').split('?')[0]!);
      const reply = async () => {
        if (!match) return gatewayErrors.notFound();
        const body = await readBody(req, MAX_API_BODY);
        if (body === undefined) return gatewayErrors.tooLarge();
        const event = toEventV2(
          {
            method: req.method ?? 'GET',
            url: req.url ?? '/',
            headers: req.headers,
            body,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            now: clock.now(),
          },
          match,
          apiId,
        );
        const fn = functionFor(match.route.functionArn);
        const result = await priority.foreground(() => invoke(match.route.functionArn, event), {
          key: fn.spec.name,
          capacity: fn.capacity,
        });
        if (!result.ok) {
          return result.error.errorType === 'Sandbox.Timedout' &&
            functionFor(match.route.functionArn).timeoutMs > 30_000
            ? gatewayErrors.unavailable()
            : gatewayErrors.internal();
        }
        return fromResultV2(result.result);
      };
      const response = await reply();
      res.writeHead(response.status, { ...response.headers, 'content-length': response.body.length });
      res.end(response.body);
      const ms = (performance.now() - started).toFixed(0);
      log(
        `${req.method} ${redactUrl(req.url)} → ${match?.route.routeKey ?? 'no route'} ${response.status} ${ms}ms`,
      );
    };

    summary = {
      endpoint: url,
      dataDir: options.dataDir,
      clock: `${clock.kind} (${new Date(clock.now()).toISOString()})`,
      dynamodb: dynamodb.description,
      tables,
      functions: [...new Set(functions.values())].map((f) => ({
        name: f.spec.name,
        bundleKiB: Math.round(fileSize(f.spec.file) / 102.4) / 10,
      })),
      workflows,
      routes: table.routes.map((r) => r.routeKey),
      buses: buses.map((b) => b.name),
      rules: rules.map((r) => `${r.name}${r.scheduleExpression ? ` (${r.scheduleExpression})` : ''}`),
      schedules: schedules.map((s) => `${s.name} (${s.scheduleExpression})`),
      queues: queues.map((q) => q.name),
      deadLetterQueues: ((dlqs) => queues.filter((q) => dlqs.has(q.arn)).map((q) => q.name))(
        deadLetterQueueArns(assembly),
      ),
      secretsFile: secrets.file,
      secretsFromEnvironment: secrets.fromEnvironment,
      ...(consoleDir ? { console: `${url}${CONSOLE_PATH}/` } : {}),
    };
    ready = true;

    return {
      url,
      port,
      clock,
      summary: summary,
      dispatch: dispatchInProcess,
      settle: () => clock.settle(),
      stats: () => {
        const cpu: Record<string, number> = {};
        const main = threadCpuMicros(process.pid);
        if (main !== undefined) cpu.main = main;
        let sandboxes = 0;
        for (const fn of new Set(functions.values())) {
          sandboxes += fn.sandboxes;
          for (const tid of fn.threadIds) {
            const micros = threadCpuMicros(tid);
            if (micros !== undefined) cpu[fn.spec.name] = (cpu[fn.spec.name] ?? 0) + micros;
          }
        }
        return {
          calls: Object.fromEntries(calls),
          invocations: Object.fromEntries(invocations),
          cpu,
          schedules: events?.stats().schedules ?? 0,
          sandboxes,
        };
      },
      async reclaimIdleSandboxes() {
        let reclaimed = 0;
        for (const fn of new Set(functions.values())) reclaimed += await fn.reclaimIdle();
        if (reclaimed > 0) trimmer.now();
        return reclaimed;
      },
      async close() {
        if (closing) return;
        closing = true;
        ready = false;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        for (const cleanup of cleanups.reverse()) {
          try {
            await cleanup();
          } catch (error) {
            log(`shutdown: ${(error as Error).message}`);
          }
        }
      },
    };
  } catch (error) {
    server.closeAllConnections();
    server.close();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    throw error;
  }
}

/** One stream line for a history event worth showing (state entries, outcomes, failures). */
export function describeTransition(event: { type: string; [details: string]: unknown }): string | undefined {
  const details = Object.entries(event).find(([k]) => k.endsWith('EventDetails'))?.[1] as
    | { name?: string; error?: string; cause?: string }
    | undefined;
  const { type } = event;
  if (type.endsWith('StateEntered')) return `→ ${details?.name ?? '?'} (${type.replace('StateEntered', '')})`;
  if (type === 'ExecutionStarted') return 'started';
  if (type === 'ExecutionSucceeded') return 'succeeded';
  if (/Failed$|TimedOut$|Aborted$/.test(type)) {
    const why = [details?.error, details?.cause?.slice(0, 200)].filter(Boolean).join(': ');
    return `${type}${why ? ` ${why}` : ''}`;
  }
  return undefined;
}
