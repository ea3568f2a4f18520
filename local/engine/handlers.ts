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

const serviceError = (prefix: string, e: unknown): TaskFailure => {
  if (e instanceof TaskFailure) return e;
  const err = e as { name?: string; message?: string };
  return new TaskFailure(`${prefix}.${err?.name ?? 'Exception'}`, err?.message ?? String(e));
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
      /^arn:aws[a-z-]*:states:::(?:aws-sdk:)?([a-zA-Z0-9-]+):([a-zA-Z0-9]+)(\.waitForTaskToken|\.sync(?::2)?)?$/.exec(
        resource,
      );
    if (m) {
      const [, service, action] = m as unknown as [string, string, string];
      const params = (isObject(input) ? input : {}) as JsonObject;
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
      const call =
        service === 'dynamodb'
          ? routes.dynamodb
          : service === 'events' || service === 'eventbridge'
            ? routes.eventBridge
            : service === 'sqs'
              ? routes.sqs
              : undefined;
      const prefix =
        service === 'dynamodb'
          ? 'DynamoDB'
          : service === 'sqs'
            ? 'SQS'
            : service === 'events' || service === 'eventbridge'
              ? 'EventBridge'
              : service;
      if (call) {
        try {
          return stripMetadata(await call(pascal(action), params, ctx));
        } catch (e) {
          throw serviceError(prefix, e);
        }
      }
    }
    if (routes.fallback) return routes.fallback(resource, input, ctx);
    throw new TaskFailure('States.Runtime', `No task handler for resource ${resource}`);
  };
};

/**
 * Service calls through the AWS SDK against a local (or real) endpoint: DynamoDB and EventBridge
 * with their SDK clients, SQS through its JSON protocol (no client package needed).
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
  const commands = { ...ddbMod, ...ebMod } as unknown as Record<string, new (input: unknown) => unknown>;
  const sendWith =
    (client: { send: (c: never) => Promise<unknown> }) => async (action: string, params: JsonObject) => {
      const Cmd = commands[`${action}Command`];
      if (!Cmd) throw new TaskFailure('States.Runtime', `Unsupported action ${action}`);
      return client.send(new Cmd(params) as never);
    };
  return {
    dynamodb: sendWith(ddb as never),
    eventBridge: sendWith(eb as never),
    sqs: async (action, params) => {
      const res = await fetch(opts.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
        body: JSON.stringify(params),
      });
      const body = (await res.json()) as Record<string, unknown>;
      if (!res.ok) {
        const type = String(body.__type ?? 'Exception')
          .split('#')
          .pop()!;
        throw new TaskFailure(`SQS.${type}`, String(body.message ?? ''));
      }
      return body;
    },
  };
};
