import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from './engine.ts';
import { ApiError } from './errors.ts';

const OPS = [
  'CreateStateMachine',
  'UpdateStateMachine',
  'DescribeStateMachine',
  'DescribeStateMachineForExecution',
  'ListStateMachines',
  'DeleteStateMachine',
  'StartExecution',
  'StartSyncExecution',
  'DescribeExecution',
  'ListExecutions',
  'GetExecutionHistory',
  'StopExecution',
  'SendTaskSuccess',
  'SendTaskFailure',
  'SendTaskHeartbeat',
  'RedriveExecution',
  'ListMapRuns',
  'DescribeMapRun',
  'TestState',
  'ValidateStateMachineDefinition',
] as const;

const lowerFirst = (s: string) => s[0]!.toLowerCase() + s.slice(1);

/** awsJson1_0 wire form: Dates become epoch seconds. */
const toWire = (v: unknown): unknown => {
  if (v instanceof Date) return v.getTime() / 1000;
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toWire(x);
    return out;
  }
  return v;
};

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
    ...headers,
  });
  res.end(text);
};

const sendError = (res: ServerResponse, code: string, message: string, status = 400) =>
  send(
    res,
    status,
    { __type: `com.amazonaws.swf.service.v2.model#${code}`, message },
    { 'x-amzn-query-error': `${code};Sender` },
  );

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/**
 * A Node request handler speaking the Step Functions API (awsJson1_0, `X-Amz-Target:
 * AWSStepFunctions.<Operation>`). Signatures are not checked. Returns false (without answering)
 * for requests that are not Step Functions calls, so a runtime can chain handlers on one port.
 */
export const createSfnHttpHandler = (engine: Engine) => {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target.startsWith('AWSStepFunctions.')) return false;
    const op = target.slice('AWSStepFunctions.'.length);
    let body: string;
    try {
      body = await readBody(req);
    } catch (e) {
      sendError(res, 'InternalFailure', String(e), 500);
      return true;
    }
    if (!(OPS as readonly string[]).includes(op)) {
      sendError(res, 'UnknownOperationException', `Operation ${op} is not supported by the local engine`);
      return true;
    }
    let input: Record<string, unknown>;
    try {
      input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      sendError(res, 'SerializationException', 'Request body is not valid JSON');
      return true;
    }
    try {
      const fn = (engine as unknown as Record<string, (x: unknown) => Promise<unknown>>)[lowerFirst(op)]!;
      const out = await fn.call(engine, input);
      send(res, 200, toWire(out));
    } catch (e) {
      if (e instanceof ApiError) sendError(res, e.code, e.message, e.status);
      else sendError(res, 'InternalFailure', (e as Error)?.message ?? String(e), 500);
    }
    return true;
  };
};

/** A standalone server for tests and tools: `await startSfnServer({ engine, port: 0 })`. */
export const startSfnServer = async (opts: {
  engine: Engine;
  port?: number;
  host?: string;
}): Promise<{ url: string; port: number; server: Server; close: () => Promise<void> }> => {
  const handle = createSfnHttpHandler(opts.engine);
  const server = createServer((req, res) => {
    void handle(req, res).then((handled) => {
      if (!handled) sendError(res, 'UnknownOperationException', 'Missing or unknown X-Amz-Target', 400);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
};
