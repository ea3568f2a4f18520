import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvokeResult } from './lambda.ts';

/**
 * Lambda's Invoke action (restJson1: `POST /2015-03-31/functions/<FunctionName>/invocations`), as
 * the AWS documentation describes it: `X-Amz-Invocation-Type` `RequestResponse` (default: 200 with
 * the function's answer, `X-Amz-Function-Error: Unhandled` when it failed), `Event` (202: queued
 * for the asynchronous invoker, so the function's retries and OnFailure destination apply) or
 * `DryRun` (204). Payloads up to 6 MB synchronously and 1 MB asynchronously (413
 * RequestTooLargeException); an unknown function is 404 ResourceNotFoundException; a payload that
 * is not JSON is 400 InvalidRequestContentException. The function is named by name, ARN or partial
 * ARN, optionally qualified with `$LATEST`.
 */
export interface LambdaInvokeDeps {
  /** The function's ARN, or undefined when the app has no such function. */
  functionFor(nameOrArn: string): string | undefined;
  invoke(arn: string, event: unknown): Promise<InvokeResult>;
  invokeAsync(arn: string, payload: string): Promise<void>;
}

const SYNC_LIMIT = 6 * 1024 * 1024;
const ASYNC_LIMIT = 1024 * 1024;
const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

const reply = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': crypto.randomUUID(),
    ...headers,
  });
  res.end(body);
};

const error = (res: ServerResponse, status: number, type: string, message: string) =>
  reply(res, status, JSON.stringify({ Type: 'User', message }), { 'x-amzn-errortype': type });

const readBody = (req: IncomingMessage, limit: number): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

export function lambdaInvokeApi(deps: LambdaInvokeDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const match = PATH.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      return error(
        res,
        404,
        'UnknownOperationException',
        `${req.method} ${url.pathname} is not served locally`,
      );
    }
    const requested = decodeURIComponent(match[1]!);
    const qualifier = url.searchParams.get('Qualifier');
    if (qualifier !== null && qualifier !== '$LATEST') {
      return error(res, 404, 'ResourceNotFoundException', `Function not found: ${requested}:${qualifier}`);
    }
    const arn = deps.functionFor(requested);
    if (!arn) return error(res, 404, 'ResourceNotFoundException', `Function not found: ${requested}`);
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      return error(res, 400, 'InvalidParameterValueException', `Unsupported InvocationType: ${type}`);
    }
    const limit = type === 'Event' ? ASYNC_LIMIT : SYNC_LIMIT;
    const body = await readBody(req, limit);
    if (body === undefined) {
      return error(
        res,
        413,
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the ${type === 'Event' ? 'Event' : 'RequestResponse'} invocation type`,
      );
    }
    const text = body.length ? body.toString('utf8') : '{}';
    try {
      JSON.parse(text);
    } catch {
      return error(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    if (type === 'DryRun') return reply(res, 204, '');
    if (type === 'Event') {
      await deps.invokeAsync(arn, text);
      return reply(res, 202, '');
    }
    const result = await deps.invoke(arn, JSON.parse(text));
    const headers = { 'x-amz-executed-version': '$LATEST' };
    if (result.ok) return reply(res, 200, JSON.stringify(result.result ?? null), headers);
    return reply(res, 200, JSON.stringify(result.error), { ...headers, 'x-amz-function-error': 'Unhandled' });
  };
}
