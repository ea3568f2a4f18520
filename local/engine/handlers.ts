import { createHash, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
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
 * call after the SDK's exception class: optimized integrations use the classic service name and the
 * AWS SDK for Java 1.x classes (`DynamoDB.ConditionalCheckFailedException`,
 * `SQS.QueueDoesNotExistException`; an error the SDK has no class for takes the service's base class,
 * `DynamoDB.AmazonDynamoDBException` for a ValidationException); `aws-sdk:` integrations use the SDK
 * client name and always the `Exception` suffix (`DynamoDb.ConditionalCheckFailedException`,
 * `Sqs.QueueDoesNotExistException`). Causes end with the SDK's service suffix:
 * `(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: …; Request ID: …; Proxy: null)`, and for
 * `aws-sdk:` integrations `(Service: DynamoDb, Status Code: 400, Request ID: …)`.
 */
interface ServiceInfo {
  route: 'dynamodb' | 'eventBridge' | 'sqs';
  prefix: string;
  sdkPrefix: string;
  /** the AWS SDK for Java 1.x service name in causes of optimized integrations */
  v1Name: string;
  /** error codes the SDK 1.x has an exception class for (others take `base`) */
  modeled: ReadonlySet<string>;
  base: string;
  /** optimized results carry SdkHttpMetadata / SdkResponseMetadata (SDK 1.x responses) */
  metadata?: 'dynamodb' | 'sqs';
}
const SERVICES: Record<string, ServiceInfo> = {
  dynamodb: {
    route: 'dynamodb',
    prefix: 'DynamoDB',
    sdkPrefix: 'DynamoDb',
    v1Name: 'AmazonDynamoDBv2',
    modeled: new Set([
      'ConditionalCheckFailedException',
      'ResourceNotFoundException',
      'ProvisionedThroughputExceededException',
      'ItemCollectionSizeLimitExceededException',
      'TransactionConflictException',
      'TransactionCanceledException',
      'TransactionInProgressException',
      'IdempotentParameterMismatchException',
      'RequestLimitExceeded',
      'InternalServerError',
      'ResourceInUseException',
      'LimitExceededException',
    ]),
    base: 'AmazonDynamoDBException',
    metadata: 'dynamodb',
  },
  events: {
    route: 'eventBridge',
    prefix: 'EventBridge',
    sdkPrefix: 'EventBridge',
    v1Name: 'AmazonEventBridge',
    modeled: new Set(['ResourceNotFoundException', 'InternalException', 'ConcurrentModificationException']),
    base: 'AmazonEventBridgeException',
  },
  sqs: {
    route: 'sqs',
    prefix: 'SQS',
    sdkPrefix: 'Sqs',
    v1Name: 'AmazonSQS',
    modeled: new Set([
      'QueueDoesNotExist',
      'InvalidMessageContents',
      'UnsupportedOperation',
      'QueueDeletedRecently',
      'QueueNameExists',
      'PurgeQueueInProgress',
      'TooManyEntriesInBatchRequest',
      'EmptyBatchRequest',
      'BatchEntryIdsNotDistinct',
      'InvalidBatchEntryId',
      'InvalidIdFormat',
      'OverLimit',
      'ReceiptHandleIsInvalid',
      'MessageNotInflight',
      'InvalidAttributeName',
      'BatchRequestTooLong',
    ]),
    base: 'AmazonSQSException',
    metadata: 'sqs',
  },
};
SERVICES.eventbridge = SERVICES.events!;

/** The SDK exception class name of an error code (`QueueDoesNotExist` → `QueueDoesNotExistException`). */
const exceptionName = (code: string): string => {
  if (code === 'RequestLimitExceeded' || code === 'InternalServerError') return `${code}Exception`;
  return code.endsWith('Exception') ? code : `${code}Exception`;
};

const serviceError = (svc: ServiceInfo, e: unknown, sdk: boolean): TaskFailure => {
  if (e instanceof TaskFailure) return e;
  const err = e as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const code = errorCode(typeof err?.name === 'string' && err.name ? err.name : 'Exception');
  const status = err?.$metadata?.httpStatusCode ?? 400;
  const requestId = err?.$metadata?.requestId ?? randomUUID();
  const message = err?.message ?? String(e);
  if (sdk) {
    const name = code === 'ValidationException' ? `${svc.sdkPrefix}Exception` : exceptionName(code);
    return new TaskFailure(
      `${svc.sdkPrefix}.${name}`,
      `${message} (Service: ${svc.sdkPrefix}, Status Code: ${status}, Request ID: ${requestId})`,
    );
  }
  const name = svc.modeled.has(code) ? exceptionName(code) : svc.base;
  return new TaskFailure(
    `${svc.prefix}.${name}`,
    `${message} (Service: ${svc.v1Name}; Status Code: ${status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`,
  );
};

/**
 * The response metadata the AWS SDK for Java 1.x adds to the results of the optimized DynamoDB and
 * SQS integrations (`SdkHttpMetadata`, `SdkResponseMetadata`), shaped as AWS returns them.
 */
const sdkMetadata = (kind: 'dynamodb' | 'sqs', body: unknown, nowMs: number): JsonObject => {
  const requestId = randomUUID();
  const text = JSON.stringify(body);
  const length = String(Buffer.byteLength(text));
  const date = new Date(nowMs).toUTCString();
  const type = 'application/x-amz-json-1.0';
  if (kind === 'sqs') {
    return {
      SdkHttpMetadata: {
        AllHttpHeaders: {
          'x-amzn-RequestId': [requestId],
          connection: ['keep-alive'],
          'Content-Length': [length],
          Date: [date],
          'Content-Type': [type],
        },
        HttpHeaders: {
          connection: 'keep-alive',
          'Content-Length': length,
          'Content-Type': type,
          Date: date,
          'x-amzn-RequestId': requestId,
        },
        HttpStatusCode: 200,
      },
      SdkResponseMetadata: { RequestId: requestId },
    };
  }
  const crc = String(crc32(text));
  return {
    SdkHttpMetadata: {
      AllHttpHeaders: {
        Server: ['Server'],
        Connection: ['keep-alive'],
        'x-amzn-RequestId': [requestId],
        'x-amz-crc32': [crc],
        'Content-Length': [length],
        Date: [date],
        'Content-Type': [type],
      },
      HttpHeaders: {
        Connection: 'keep-alive',
        'Content-Length': length,
        'Content-Type': type,
        Date: date,
        Server: 'Server',
        'x-amz-crc32': crc,
        'x-amzn-RequestId': requestId,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
  };
};

/**
 * The response metadata of an optimized `lambda:invoke` result, with the headers Lambda's Invoke
 * answers (recorded: `test_context_object` `test_result_selector`). The request id is a UUID derived
 * from the task's idempotency key, so a task re-run after a crash reports the same one.
 */
const lambdaMetadata = (body: unknown, key: string, nowMs: number): JsonObject => {
  const h = createHash('sha256').update(key).digest('hex');
  const requestId = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  const trace = `Root=1-${h.slice(32, 40)}-${h.slice(40, 64)};Parent=${h.slice(0, 16)};Sampled=0`;
  const length = String(Buffer.byteLength(JSON.stringify(body)));
  const date = new Date(nowMs).toUTCString();
  return {
    SdkHttpMetadata: {
      AllHttpHeaders: {
        'X-Amz-Executed-Version': ['$LATEST'],
        'x-amzn-Remapped-Content-Length': ['0'],
        Connection: ['keep-alive'],
        'x-amzn-RequestId': [requestId],
        'Content-Length': [length],
        Date: [date],
        'X-Amzn-Trace-Id': [trace],
        'Content-Type': ['application/json'],
      },
      HttpHeaders: {
        Connection: 'keep-alive',
        'Content-Length': length,
        'Content-Type': 'application/json',
        Date: date,
        'X-Amz-Executed-Version': '$LATEST',
        'x-amzn-Remapped-Content-Length': '0',
        'x-amzn-RequestId': requestId,
        'X-Amzn-Trace-Id': trace,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
  };
};

/**
 * The Lambda service's own refusal (no such function, throttling), as the invoker throws it: an
 * error named by its code with the HTTP status in `$metadata`, like the SDK's service exceptions.
 */
export const lambdaFunctionNotFound = (nameOrArn: string, region: string, account: string): Error => {
  const arn = nameOrArn.startsWith('arn:')
    ? nameOrArn
    : `arn:aws:lambda:${region}:${account}:function:${nameOrArn}`;
  return Object.assign(new Error(`Function not found: ${arn}`), {
    name: 'ResourceNotFoundException',
    $metadata: { httpStatusCode: 404 },
  });
};

/**
 * A failed invocation: a function error keeps its error type and the runtime's JSON cause; a Lambda
 * service error (it has `$metadata`) is `Lambda.<Exception>` with the SDK 1.x cause AWS records
 * (`Function not found: <arn> (Service: AWSLambda; Status Code: 404; Error Code:
 * ResourceNotFoundException; Request ID: …; Proxy: null)`, `test_task_service_lambda` `test_no_such_function`).
 */
const lambdaError = (e: unknown): TaskFailure => {
  if (e instanceof TaskFailure) return e;
  const service = e as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  if (service?.$metadata && typeof service.name === 'string') {
    const code = errorCode(service.name);
    return new TaskFailure(
      `Lambda.${exceptionName(code)}`,
      `${service.message ?? code} (Service: AWSLambda; Status Code: ${service.$metadata.httpStatusCode ?? 400}; Error Code: ${code}; Request ID: ${service.$metadata.requestId ?? randomUUID()}; Proxy: null)`,
    );
  }
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
 * The optimized SQS integration sends each request to the host of its `QueueUrl` (SDK 1.x): a host
 * that cannot resolve (a single label other than localhost) fails before any SQS answers, as
 * `SQS.SdkClientException` with the SDK's wording (`test_send_message_no_such_queue`). Other unknown
 * URLs reach the local SQS and fail as QueueDoesNotExist.
 */
const unreachableQueueHost = (url: unknown): void => {
  if (typeof url !== 'string') return;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return;
  }
  if (host && !host.includes('.') && !host.includes(':') && host !== 'localhost')
    throw new TaskFailure(
      'SQS.SdkClientException',
      `Unable to execute HTTP request: ${host}: Name or service not known`,
    );
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
          ...lambdaMetadata(result ?? null, ctx.idempotencyKey, ctx.now()),
          StatusCode: 200,
        };
      }
      const svc = Object.hasOwn(SERVICES, service) ? SERVICES[service] : undefined;
      const call = svc ? routes[svc.route] : undefined;
      if (svc && call) {
        if (!sdk && svc.route === 'sqs') unreachableQueueHost(params.QueueUrl);
        const optimizedPutEvents = !sdk && service === 'events' && action === 'putEvents';
        if (optimizedPutEvents) params = withExecutionResources(params, ctx);
        let out: unknown;
        try {
          out = stripMetadata(await call(pascal(action), params, ctx));
        } catch (e) {
          throw serviceError(svc, e, sdk);
        }
        if (!sdk && svc.metadata && isObject(out as Json)) {
          out = { ...(out as JsonObject), ...sdkMetadata(svc.metadata, out, ctx.now()) };
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

/**
 * Step Functions accepts JSON objects where the API wants a JSON string (`Detail`, `MessageBody`).
 * A null is no value (AWS: `MessageBody: null` fails with MissingParameter, `test_send_message_empty_body`).
 */
const jsonString = (v: unknown): unknown =>
  v === undefined || v === null || typeof v === 'string' ? (v ?? undefined) : JSON.stringify(v);

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
