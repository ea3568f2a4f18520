import type { TaskContext, TaskHandler } from './engine.ts';
import { TaskFailure } from './errors.ts';
import type { Json, JsonObject } from './types.ts';
import { isObject } from './types.ts';

/** Calls a service action with the integration's parameters (SDK input shape) and returns the SDK output. */
export type ServiceCall = (action: string, params: JsonObject, ctx: TaskContext) => Promise<unknown>;

export interface TaskRoutes {
  /** Invoke a Lambda function (name or ARN) with a payload; resolve with its result, throw its error. */
  invokeLambda?: (functionName: string, payload: Json, ctx: TaskContext) => Promise<unknown>;
  dynamodb?: ServiceCall;
  eventBridge?: ServiceCall;
  sqs?: ServiceCall;
  /** anything else (activities, other services) */
  fallback?: TaskHandler;
}

const pascal = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** An AWS error code without its namespace (`com.amazonaws.sqs#QueueDoesNotExist`) or URL suffix. */
const errorCode = (raw: string): string => raw.split('#').pop()!.split(':')[0]!.trim();

/**
 * Service integrations the router knows, by the service name in the resource ARN. AWS names a failed
 * call `<prefix>.<ErrorCode>`: optimized integrations use the classic service name (`DynamoDB.`,
 * `SQS.`, `EventBridge.`); `aws-sdk:` integrations use the SDK client name (`DynamoDb.`, `Sqs.`) and
 * always end the error name in `Exception` (AWS: `S3.BucketAlreadyExistsException`).
 */
const SERVICES: Record<
  string,
  { route: 'dynamodb' | 'eventBridge' | 'sqs'; prefix: string; sdkPrefix: string }
> = {
  dynamodb: { route: 'dynamodb', prefix: 'DynamoDB', sdkPrefix: 'DynamoDb' },
  events: { route: 'eventBridge', prefix: 'EventBridge', sdkPrefix: 'EventBridge' },
  eventbridge: { route: 'eventBridge', prefix: 'EventBridge', sdkPrefix: 'EventBridge' },
  sqs: { route: 'sqs', prefix: 'SQS', sdkPrefix: 'Sqs' },
};

const serviceError = (prefix: string, e: unknown, sdk: boolean): TaskFailure => {
  if (e instanceof TaskFailure) return e;
  const err = e as { name?: string; message?: string };
  let code = errorCode(typeof err?.name === 'string' && err.name ? err.name : 'Exception');
  if (sdk && !code.endsWith('Exception')) code += 'Exception';
  return new TaskFailure(`${prefix}.${code}`, err?.message ?? String(e));
};

const lambdaError = (e: unknown): TaskFailure => {
  if (e instanceof TaskFailure) return e;
  const err = e as { name?: string; message?: string };
  const errorType = err?.name ?? 'Error';
  return new TaskFailure(
    errorType,
    JSON.stringify({ errorType, errorMessage: err?.message ?? String(e), trace: [] }),
  );
};

const stripMetadata = (v: unknown): unknown => {
  if (v && typeof v === 'object' && '$metadata' in v) {
    const { $metadata: _m, ...rest } = v as Record<string, unknown>;
    return rest;
  }
  return v;
};

/**
 * Optimized `events:putEvents`: AWS appends the state machine and execution ARNs to every entry's
 * `Resources`.
 */
const withExecutionResources = (params: JsonObject, ctx: TaskContext): JsonObject => {
  if (!Array.isArray(params.Entries)) return params;
  const arns = [ctx.stateMachineArn, ctx.executionArn].filter((a): a is string => typeof a === 'string');
  return {
    ...params,
    Entries: params.Entries.map((e) =>
      isObject(e) ? { ...e, Resources: [...(Array.isArray(e.Resources) ? e.Resources : []), ...arns] } : e,
    ),
  };
};

/**
 * Route Task resources to handlers: Lambda (function ARN, `lambda:invoke` with its envelope), the
 * optimized DynamoDB / EventBridge / SQS integrations (and `aws-sdk:` forms of them), each also in the
 * `.waitForTaskToken` variant. `states:startExecution*` is handled by the engine itself.
 */
export const createTaskRouter = (routes: TaskRoutes): TaskHandler => {
  return async (resource, input, ctx) => {
    const fn = /^arn:aws[a-z-]*:lambda:[^:]+:[^:]+:function:(.+)$/.exec(resource);
    if (fn) {
      if (!routes.invokeLambda) throw new TaskFailure('States.Runtime', `No Lambda invoker for ${resource}`);
      try {
        return await routes.invokeLambda(resource, input, ctx);
      } catch (e) {
        throw lambdaError(e);
      }
    }
    const m =
      /^arn:aws[a-z-]*:states:::(aws-sdk:)?([a-zA-Z0-9-]+):([a-zA-Z0-9]+)(\.waitForTaskToken|\.sync(?::2)?)?$/.exec(
        resource,
      );
    if (m) {
      const [, sdkForm, service, action] = m as unknown as [string, string | undefined, string, string];
      const sdk = sdkForm !== undefined;
      let params = (isObject(input) ? input : {}) as JsonObject;
      if (service === 'lambda' && action === 'invoke') {
        if (!routes.invokeLambda) throw new TaskFailure('States.Runtime', 'No Lambda invoker configured');
        const name = String(params.FunctionName ?? '');
        let payload: Json = (params.Payload ?? {}) as Json;
        if (typeof payload === 'string') {
          try {
            payload = JSON.parse(payload) as Json;
          } catch {
            // a plain string payload
          }
        }
        let result: unknown;
        try {
          result = await routes.invokeLambda(name, payload, ctx);
        } catch (e) {
          throw lambdaError(e);
        }
        return {
          ExecutedVersion: '$LATEST',
          Payload: result ?? null,
          SdkHttpMetadata: { HttpHeaders: { 'Content-Type': 'application/json' }, HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: ctx.idempotencyKey },
          StatusCode: 200,
        };
      }
      const svc = Object.hasOwn(SERVICES, service) ? SERVICES[service] : undefined;
      const call = svc ? routes[svc.route] : undefined;
      if (svc && call) {
        const optimizedPutEvents = !sdk && service === 'events' && action === 'putEvents';
        if (optimizedPutEvents) params = withExecutionResources(params, ctx);
        let out: unknown;
        try {
          out = stripMetadata(await call(pascal(action), params, ctx));
        } catch (e) {
          throw serviceError(sdk ? svc.sdkPrefix : svc.prefix, e, sdk);
        }
        if (optimizedPutEvents && isObject(out as Json) && Number((out as JsonObject).FailedEntryCount) > 0) {
          // AWS: a non-zero FailedEntryCount fails the optimized PutEvents task
          throw new TaskFailure('EventBridge.FailedEntry', JSON.stringify(out));
        }
        return out;
      }
    }
    if (routes.fallback) return routes.fallback(resource, input, ctx);
    throw new TaskFailure('States.Runtime', `No task handler for resource ${resource}`);
  };
};

/** A service error as the SDK clients raise it: `name` is the error code. */
const wireError = (code: string, message: string, status: number): Error =>
  Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } });

/** Step Functions accepts JSON objects where the API wants a JSON string (`Detail`, `MessageBody`). */
const jsonString = (v: unknown): unknown =>
  v === undefined || typeof v === 'string' ? v : JSON.stringify(v);

/**
 * Service calls through the AWS SDK against a local (or real) endpoint: DynamoDB and EventBridge
 * with their SDK clients, SQS through its JSON protocol (no client package needed). Service errors
 * are thrown with `name` = the AWS error code; the router turns them into `DynamoDB.<code>` etc.
 */
export const awsSdkRoutes = async (opts: {
  endpoint: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): Promise<Pick<TaskRoutes, 'dynamodb' | 'eventBridge' | 'sqs'>> => {
  const region = opts.region ?? 'us-east-1';
  const credentials = opts.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' };
  const ddbMod = await import('@aws-sdk/client-dynamodb');
  const ebMod = await import('@aws-sdk/client-eventbridge');
  const ddb = new ddbMod.DynamoDBClient({ endpoint: opts.endpoint, region, credentials });
  const eb = new ebMod.EventBridgeClient({ endpoint: opts.endpoint, region, credentials });
  type Commands = Record<string, new (input: unknown) => unknown>;
  // one command table per client: both packages export e.g. TagResourceCommand
  const sendWith =
    (client: { send: (c: never) => Promise<unknown> }, commands: Commands) =>
    async (action: string, params: JsonObject) => {
      const Cmd = commands[`${action}Command`];
      if (!Cmd) throw new TaskFailure('States.Runtime', `Unsupported action ${action}`);
      return client.send(new Cmd(params) as never);
    };
  const ebSend = sendWith(eb as never, ebMod as unknown as Commands);
  return {
    dynamodb: sendWith(ddb as never, ddbMod as unknown as Commands),
    eventBridge: async (action, params) => {
      if (action === 'PutEvents' && Array.isArray(params.Entries)) {
        params = {
          ...params,
          Entries: params.Entries.map((e) =>
            isObject(e) && e.Detail !== undefined ? { ...e, Detail: jsonString(e.Detail) as Json } : e,
          ),
        };
      }
      return ebSend(action, params);
    },
    sqs: async (action, params) => {
      const body =
        action === 'SendMessage' && params.MessageBody !== undefined
          ? { ...params, MessageBody: jsonString(params.MessageBody) }
          : params;
      const res = await fetch(opts.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      let out: Record<string, unknown> = {};
      try {
        if (text) out = JSON.parse(text) as Record<string, unknown>;
      } catch {
        if (res.ok) throw wireError('SerializationException', `Unreadable SQS response: ${text}`, res.status);
      }
      if (!res.ok) {
        const code = errorCode(String(out.__type ?? res.headers.get('x-amzn-errortype') ?? 'UnknownError'));
        throw wireError(code, String(out.message ?? out.Message ?? text), res.status);
      }
      return out;
    },
  };
};
