import type { Clock } from '../engine/clock.ts';
import {
  batchTooLong,
  emptyBatch,
  idsNotDistinct,
  internal,
  invalidAction,
  invalidAttributeName,
  invalidBatchEntryId,
  invalidMessageContents,
  invalidParameter,
  invalidValue,
  missingParameter,
  purgeInProgress,
  queueDoesNotExist,
  SqsError,
  serialization,
  tooManyEntries,
  unsupportedOperation,
} from './errors.ts';
import {
  attributesSize,
  type MessageAttributes,
  type MessageAttributeValue,
  md5OfAttributes,
} from './md5.ts';
import type { Delivery, Queue, SendEntry } from './queue.ts';

/** What the wire layer needs from the SQS instance. */
export interface SqsCore {
  readonly clock: Clock;
  readonly account: string;
  /** Finds a queue by URL, ARN or name (also the last path segment of an unknown URL). */
  queue(ref: string): Queue;
  readonly queues: readonly Queue[];
  /** Makes every journaled mutation durable (and compacts the journal when it grew). */
  commit(): Promise<void>;
}

export interface SqsResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

type Input = Record<string, unknown>;

// ------------------------------------------------------------------ field readers

function str(input: Input, field: string, required: true): string;
function str(input: Input, field: string, required?: false): string | undefined;
function str(input: Input, field: string, required = false): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) {
    if (required) throw missingParameter(field);
    return undefined;
  }
  if (typeof v !== 'string') throw invalidValue(field, v, 'Must be a string.');
  if (required && v.length === 0) throw missingParameter(field);
  return v;
}

const int = (input: Input, field: string, min: number, max: number, required = false): number | undefined => {
  const v = input[field];
  if (v === undefined || v === null) {
    if (required) throw missingParameter(field);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidValue(field, v, `Must be between ${min} and ${max}, if provided.`);
  }
  return v;
};

const list = (input: Input, field: string): unknown[] | undefined => {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalidValue(field, v, 'Must be a list.');
  return v;
};

const strings = (input: Input, field: string): string[] | undefined => {
  const v = list(input, field);
  if (v?.some((x) => typeof x !== 'string')) throw invalidValue(field, v, 'Must be a list of strings.');
  return v as string[] | undefined;
};

const object = (v: unknown, field: string): Input => {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw invalidValue(field, v, 'Must be a structure.');
  return v as Input;
};

// ------------------------------------------------------------------ message validation

// XML 1.0 characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF
const INVALID_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\.[^\s]+)?$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const GROUP_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;

export const validateBody = (body: unknown, field = 'MessageBody'): string => {
  if (body === undefined || body === null || body === '') throw missingParameter(field);
  if (typeof body !== 'string') throw invalidValue(field, body, 'Must be a string.');
  if (INVALID_CHARS.test(body)) throw invalidMessageContents(field);
  return body;
};

/** Validates `MessageAttributes` (JSON protocol shape; `BinaryValue` base64 or bytes). */
export const validateAttributes = (
  raw: unknown,
  field = 'MessageAttributes',
): MessageAttributes | undefined => {
  if (raw === undefined || raw === null) return undefined;
  const attrs = object(raw, field);
  const names = Object.keys(attrs);
  if (names.length > 10) {
    throw invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [10] (${field}).`,
    );
  }
  const out: Record<string, MessageAttributeValue> = {};
  for (const name of names) {
    const where = `${field}.${name}`;
    if (
      !ATTRIBUTE_NAME.test(name) ||
      /^(aws\.|amazon\.)/i.test(name) ||
      name.includes('..') ||
      name.startsWith('.') ||
      name.endsWith('.')
    ) {
      throw invalidParameter(
        `Message attribute name '${name}' is invalid (${field}): use 1-256 of A-Z a-z 0-9 _ - . (no leading, trailing or double '.', no AWS./Amazon. prefix).`,
      );
    }
    const v = object(attrs[name], where);
    const type = v.DataType;
    if (type === undefined || type === null || type === '') throw missingParameter(`${where}.DataType`);
    if (typeof type !== 'string' || type.length > 256 || !DATA_TYPE.test(type)) {
      throw invalidValue(
        `${where}.DataType`,
        type,
        'Must be String, Number or Binary, optionally followed by .<custom type>.',
      );
    }
    if (v.StringListValues !== undefined || v.BinaryListValues !== undefined) {
      throw invalidParameter(
        `${where}: StringListValues and BinaryListValues are not implemented (reserved by SQS).`,
      );
    }
    if (type.startsWith('Binary')) {
      let b = v.BinaryValue;
      if (b instanceof Uint8Array) b = Buffer.from(b).toString('base64');
      if (typeof b !== 'string' || b.length === 0) {
        throw invalidParameter(
          `Message attribute '${name}' must contain a non-empty BinaryValue for message attribute type '${type}' (${where}.BinaryValue).`,
        );
      }
      if (!BASE64.test(b)) throw invalidValue(`${where}.BinaryValue`, b, 'Must be base64-encoded.');
      out[name] = { DataType: type, BinaryValue: b };
    } else {
      const s = v.StringValue;
      if (typeof s !== 'string' || s.length === 0) {
        throw invalidParameter(
          `Message attribute '${name}' must contain a non-empty StringValue for message attribute type '${type}' (${where}.StringValue).`,
        );
      }
      if (INVALID_CHARS.test(s)) throw invalidMessageContents(`${where}.StringValue`);
      if (type.startsWith('Number') && !NUMBER.test(s)) {
        throw invalidValue(
          `${where}.StringValue`,
          s,
          `Must be a number for message attribute type '${type}'.`,
        );
      }
      out[name] = { DataType: type, StringValue: s };
    }
  }
  return names.length ? out : undefined;
};

const groupLikeId = (input: Input, field: string): string | undefined => {
  const v = str(input, field);
  if (v !== undefined && !GROUP_ID.test(v)) {
    throw invalidValue(field, v, 'Must be 1-128 alphanumeric or punctuation characters.');
  }
  return v;
};

/** A SendMessage request (or batch entry) checked against the queue it goes to. */
export const validateSendEntry = (input: Input, queue: Queue): SendEntry => {
  const body = validateBody(input.MessageBody);
  const delaySeconds = int(input, 'DelaySeconds', 0, 900);
  const attributes = validateAttributes(input.MessageAttributes);
  let traceHeader: string | undefined;
  if (input.MessageSystemAttributes !== undefined && input.MessageSystemAttributes !== null) {
    const sys = object(input.MessageSystemAttributes, 'MessageSystemAttributes');
    for (const [name, value] of Object.entries(sys)) {
      if (name !== 'AWSTraceHeader') {
        throw invalidValue('MessageSystemAttributes', name, 'Only AWSTraceHeader is supported.');
      }
      const v = object(value, 'MessageSystemAttributes.AWSTraceHeader');
      if (v.DataType !== 'String' || typeof v.StringValue !== 'string' || v.StringValue === '') {
        throw invalidParameter('MessageSystemAttributes.AWSTraceHeader must be a non-empty String.');
      }
      traceHeader = v.StringValue;
    }
  }
  const size = Buffer.byteLength(body) + attributesSize(attributes);
  if (size > queue.maximumMessageSize) {
    throw invalidParameter(
      `One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes (MessageBody plus MessageAttributes is ${size} bytes).`,
    );
  }
  const groupId = groupLikeId(input, 'MessageGroupId');
  const dedupId = groupLikeId(input, 'MessageDeduplicationId');
  return {
    body,
    ...(delaySeconds !== undefined ? { delaySeconds } : {}),
    ...(attributes ? { attributes } : {}),
    ...(groupId !== undefined ? { groupId } : {}),
    ...(dedupId !== undefined ? { dedupId } : {}),
    ...(traceHeader !== undefined ? { traceHeader } : {}),
  };
};

// ------------------------------------------------------------------ receive output

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;

export interface ReceivedMessage {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly MD5OfBody: string;
  readonly Body: string;
  readonly Attributes?: Record<string, string>;
  readonly MD5OfMessageAttributes?: string;
  readonly MessageAttributes?: MessageAttributes;
}

/** Formats a delivery as ReceiveMessage returns it, with the requested attributes only. */
export const receivedMessage = (
  d: Delivery,
  account: string,
  systemNames: readonly string[],
  attributeNames: readonly string[],
): ReceivedMessage => {
  const msg = d.msg;
  const all = systemNames.includes('All');
  const values: Record<(typeof SYSTEM_ATTRIBUTES)[number], string | undefined> = {
    SenderId: account,
    SentTimestamp: String(msg.sent),
    ApproximateReceiveCount: String(d.receiveCount),
    ApproximateFirstReceiveTimestamp: String(d.firstReceive),
    SequenceNumber: msg.seq,
    MessageDeduplicationId: msg.dedupId,
    MessageGroupId: msg.group,
    AWSTraceHeader: msg.traceHeader,
    DeadLetterQueueSourceArn: msg.source,
  };
  const Attributes: Record<string, string> = {};
  for (const name of SYSTEM_ATTRIBUTES) {
    const v = values[name];
    if (v !== undefined && (all || systemNames.includes(name))) Attributes[name] = v;
  }
  let MessageAttributes: Record<string, MessageAttributeValue> | undefined;
  if (msg.attributes && attributeNames.length) {
    const every = attributeNames.some((n) => n === 'All' || n === '.*');
    for (const [name, value] of Object.entries(msg.attributes)) {
      const wanted =
        every ||
        attributeNames.some((n) => (n.endsWith('.*') ? name.startsWith(n.slice(0, -1)) : n === name));
      if (wanted) {
        MessageAttributes ??= {};
        MessageAttributes[name] = value;
      }
    }
  }
  return {
    MessageId: msg.id,
    ReceiptHandle: d.handle,
    MD5OfBody: msg.md5,
    Body: msg.body,
    ...(Object.keys(Attributes).length ? { Attributes } : {}),
    ...(MessageAttributes
      ? { MD5OfMessageAttributes: md5OfAttributes(MessageAttributes)!, MessageAttributes }
      : {}),
  };
};

// ------------------------------------------------------------------ queue attributes

const QUEUE_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;
const OTHER_QUEUE_ATTRIBUTES = new Set([
  'Policy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'RedriveAllowPolicy',
]);

export const queueAttributes = (queue: Queue, names: readonly string[]): Record<string, string> => {
  for (const n of names) {
    if (
      n !== 'All' &&
      !(QUEUE_ATTRIBUTES as readonly string[]).includes(n) &&
      !OTHER_QUEUE_ATTRIBUTES.has(n)
    ) {
      throw invalidAttributeName(n);
    }
  }
  const s = queue.stats();
  const created = String(Math.floor(queue.createdAt / 1000));
  const policy = queue.spec.redrivePolicy;
  const values: Record<(typeof QUEUE_ATTRIBUTES)[number], string | undefined> = {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(s.visible),
    ApproximateNumberOfMessagesNotVisible: String(s.inFlight),
    ApproximateNumberOfMessagesDelayed: String(s.delayed),
    CreatedTimestamp: created,
    LastModifiedTimestamp: created,
    VisibilityTimeout: String(queue.visibilityTimeout),
    MaximumMessageSize: String(queue.maximumMessageSize),
    MessageRetentionPeriod: String(queue.retentionMs / 1000),
    DelaySeconds: String(queue.delaySeconds),
    ReceiveMessageWaitTimeSeconds: String(queue.waitTimeSeconds),
    RedrivePolicy: policy
      ? JSON.stringify({
          deadLetterTargetArn: policy.deadLetterTargetArn,
          maxReceiveCount: policy.maxReceiveCount,
        })
      : undefined,
    SqsManagedSseEnabled: 'true',
    FifoQueue: queue.fifo ? 'true' : undefined,
    ContentBasedDeduplication: queue.fifo ? String(queue.contentBasedDeduplication) : undefined,
    DeduplicationScope: queue.fifo ? 'queue' : undefined,
    FifoThroughputLimit: queue.fifo ? 'perQueue' : undefined,
  };
  const all = names.includes('All');
  const out: Record<string, string> = {};
  for (const name of QUEUE_ATTRIBUTES) {
    const v = values[name];
    if (v !== undefined && (all || names.includes(name))) out[name] = v;
  }
  return out;
};

// ------------------------------------------------------------------ operations

interface BatchError {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

const batchEntries = (input: Input, field: string): { id: string; entry: Input }[] => {
  const entries = list(input, field);
  if (!entries || entries.length === 0) throw emptyBatch(field);
  if (entries.length > 10) throw tooManyEntries(field, entries.length);
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const entry = object(e, `${field}.${i + 1}`);
    const id = entry.Id;
    if (typeof id !== 'string' || id === '') throw missingParameter(`${field}.${i + 1}.Id`);
    if (!BATCH_ID.test(id)) throw invalidBatchEntryId(id);
    if (seen.has(id)) throw idsNotDistinct(id);
    seen.add(id);
    return { id, entry };
  });
};

const batchError = (id: string, error: unknown): BatchError => {
  if (error instanceof SqsError) {
    return { Id: id, SenderFault: error.fault === 'Sender', Code: error.queryCode, Message: error.message };
  }
  throw error;
};

/** The name half of a QueueUrl/QueueName lookup. */
const queueOf = (core: SqsCore, input: Input): Queue => core.queue(str(input, 'QueueUrl', true));

const receiveNames = (input: Input): { system: string[]; attributes: string[] } => ({
  system: [
    ...(strings(input, 'AttributeNames') ?? []),
    ...(strings(input, 'MessageSystemAttributeNames') ?? []),
  ],
  attributes: strings(input, 'MessageAttributeNames') ?? [],
});

type Op = (core: SqsCore, input: Input) => Promise<unknown>;

export const OPERATIONS: Record<string, Op> = {
  async SendMessage(core, input) {
    const queue = queueOf(core, input);
    const result = queue.send(validateSendEntry(input, queue));
    await core.commit();
    return result;
  },

  async SendMessageBatch(core, input) {
    const queue = queueOf(core, input);
    const entries = batchEntries(input, 'Entries');
    const total = entries.reduce((n, { entry }) => {
      const body = typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody) : 0;
      let attrs = 0;
      try {
        attrs = attributesSize(validateAttributes(entry.MessageAttributes));
      } catch {
        // reported on the entry
      }
      return n + body + attrs;
    }, 0);
    if (total > queue.maximumMessageSize) throw batchTooLong(total, queue.maximumMessageSize);
    const Successful: unknown[] = [];
    const Failed: BatchError[] = [];
    for (const { id, entry } of entries) {
      try {
        Successful.push({ Id: id, ...queue.send(validateSendEntry(entry, queue)) });
      } catch (error) {
        Failed.push(batchError(id, error));
      }
    }
    await core.commit();
    return { Successful, Failed };
  },

  async ReceiveMessage(core, input) {
    const queue = queueOf(core, input);
    const max = int(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibility = int(input, 'VisibilityTimeout', 0, 43_200) ?? queue.visibilityTimeout;
    const wait = int(input, 'WaitTimeSeconds', 0, 20) ?? queue.waitTimeSeconds;
    str(input, 'ReceiveRequestAttemptId');
    const names = receiveNames(input);
    const got = await queue.receiveWait(max, visibility, wait);
    // format now: each handle and count is this receive's, whatever happens during the commit
    const Messages = got.map((d) => receivedMessage(d, core.account, names.system, names.attributes));
    await core.commit();
    return Messages.length ? { Messages } : {};
  },

  async DeleteMessage(core, input) {
    const queue = queueOf(core, input);
    queue.deleteByHandle(str(input, 'ReceiptHandle', true));
    await core.commit();
    return {};
  },

  async DeleteMessageBatch(core, input) {
    const queue = queueOf(core, input);
    const Successful: { Id: string }[] = [];
    const Failed: BatchError[] = [];
    for (const { id, entry } of batchEntries(input, 'Entries')) {
      try {
        queue.deleteByHandle(str(entry, 'ReceiptHandle', true));
        Successful.push({ Id: id });
      } catch (error) {
        Failed.push(batchError(id, error));
      }
    }
    await core.commit();
    return { Successful, Failed };
  },

  async ChangeMessageVisibility(core, input) {
    const queue = queueOf(core, input);
    const handle = str(input, 'ReceiptHandle', true);
    const seconds = int(input, 'VisibilityTimeout', 0, 43_200, true)!;
    queue.changeVisibility(handle, seconds);
    await core.commit();
    return {};
  },

  async ChangeMessageVisibilityBatch(core, input) {
    const queue = queueOf(core, input);
    const Successful: { Id: string }[] = [];
    const Failed: BatchError[] = [];
    for (const { id, entry } of batchEntries(input, 'Entries')) {
      try {
        const handle = str(entry, 'ReceiptHandle', true);
        queue.changeVisibility(handle, int(entry, 'VisibilityTimeout', 0, 43_200, true)!);
        Successful.push({ Id: id });
      } catch (error) {
        Failed.push(batchError(id, error));
      }
    }
    await core.commit();
    return { Successful, Failed };
  },

  async GetQueueUrl(core, input) {
    const name = str(input, 'QueueName', true);
    const owner = str(input, 'QueueOwnerAWSAccountId');
    const queue = core.queues.find((q) => q.name === name);
    if (!queue || (owner !== undefined && owner !== core.account)) throw queueDoesNotExist(name);
    return { QueueUrl: queue.url };
  },

  async GetQueueAttributes(core, input) {
    const queue = queueOf(core, input);
    const names = strings(input, 'AttributeNames') ?? [];
    const Attributes = queueAttributes(queue, names);
    return Object.keys(Attributes).length ? { Attributes } : {};
  },

  async ListQueues(core, input) {
    const prefix = str(input, 'QueueNamePrefix') ?? '';
    const max = int(input, 'MaxResults', 1, 1000);
    const token = str(input, 'NextToken');
    let start = 0;
    if (token !== undefined) {
      start = Number(Buffer.from(token, 'base64').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw invalidValue('NextToken', token, 'Invalid token.');
    }
    const urls = core.queues.filter((q) => q.name.startsWith(prefix)).map((q) => q.url);
    const page = max === undefined ? urls.slice(start) : urls.slice(start, start + max);
    const next = max !== undefined && start + max < urls.length ? start + max : undefined;
    return {
      ...(page.length ? { QueueUrls: page } : {}),
      ...(next !== undefined ? { NextToken: Buffer.from(String(next)).toString('base64') } : {}),
    };
  },

  async PurgeQueue(core, input) {
    const queue = queueOf(core, input);
    const now = core.clock.now();
    if (queue.lastPurge !== undefined && now - queue.lastPurge < 60_000) throw purgeInProgress(queue.name);
    queue.purge();
    await core.commit();
    return {};
  },
};

/** Operations of the SQS API this local runtime deliberately does not offer (queues come from the app). */
const UNSUPPORTED = new Set([
  'CreateQueue',
  'DeleteQueue',
  'SetQueueAttributes',
  'AddPermission',
  'RemovePermission',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
  'ListDeadLetterSourceQueues',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'ListMessageMoveTasks',
]);

const TARGET_PREFIX = 'AmazonSQS.';

const parseBody = (body: unknown): Input => {
  let value = body;
  if (value instanceof Uint8Array) value = Buffer.from(value).toString('utf8');
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    try {
      value = JSON.parse(value);
    } catch {
      throw serialization('Request body is not valid JSON.');
    }
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw serialization('Request body must be a JSON object.');
  return value as Input;
};

/**
 * Answers one awsJson1_0 request: `target` is the `X-Amz-Target` header (`AmazonSQS.<Operation>`)
 * or just the operation name, `body` the parsed JSON body (a string or bytes are parsed). Never
 * throws: errors come back as the protocol's 400/500 answers.
 */
export const handleRequest = async (
  core: SqsCore,
  target: string,
  body: unknown,
  onInternalError: (error: unknown) => void,
): Promise<SqsResponse> => {
  try {
    if (typeof target !== 'string' || target === '') throw invalidAction(String(target));
    // the whole X-Amz-Target, or just the operation when the router already split it off
    const op = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    if (op.includes('.')) throw invalidAction(target);
    const fn = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
    if (!fn) {
      if (UNSUPPORTED.has(op)) {
        throw unsupportedOperation(
          `${op} is not supported by the local SQS: queues and their attributes come from the CDK app.`,
        );
      }
      throw invalidAction(op);
    }
    const out = await fn(core, parseBody(body));
    return { status: 200, body: out, headers: { 'content-type': 'application/x-amz-json-1.0' } };
  } catch (error) {
    if (error instanceof SqsError) return error.toResponse();
    onInternalError(error);
    return internal((error as Error)?.message ?? String(error)).toResponse();
  }
};
