/**
 * SQS errors as the JSON protocol (awsJson1_0 with `awsQueryCompatible`) returns them: a `__type`
 * naming the Smithy shape, a `message`, and the `x-amzn-query-error: <query code>;<Sender|Receiver>`
 * header the SDKs read to fill in the legacy error `Code`.
 */
export class SqsError extends Error {
  constructor(
    /** Smithy shape name (the part after `#` in `__type`). */
    readonly code: string,
    message: string,
    /** Legacy query error code (first half of `x-amzn-query-error`). */
    readonly queryCode: string = code,
    readonly status = 400,
    readonly namespace = 'com.amazonaws.sqs',
  ) {
    super(message);
    this.name = code;
  }

  get fault(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }

  /** The wire form: status, JSON body and headers. */
  toResponse(): {
    status: number;
    body: { __type: string; message: string };
    headers: Record<string, string>;
  } {
    return {
      status: this.status,
      body: { __type: `${this.namespace}#${this.code}`, message: this.message },
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': `${this.queryCode};${this.fault}`,
      },
    };
  }
}

const SQS = 'AWS.SimpleQueueService.';

export const queueDoesNotExist = (queue: string) =>
  new SqsError(
    'QueueDoesNotExist',
    `The specified queue does not exist. (${JSON.stringify(queue)})`,
    `${SQS}NonExistentQueue`,
  );

/** `Value <v> for parameter <field> is invalid. Reason: <reason>` — AWS's wording, field named. */
export const invalidValue = (field: string, value: unknown, reason: string) =>
  new SqsError(
    'InvalidParameterValue',
    `Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter ${field} is invalid. Reason: ${reason}`,
  );

export const invalidParameter = (message: string) => new SqsError('InvalidParameterValue', message);

export const missingParameter = (field: string) =>
  new SqsError('MissingParameter', `The request must contain the parameter ${field}.`);

export const invalidMessageContents = (field: string) =>
  new SqsError(
    'InvalidMessageContents',
    `Invalid characters found in ${field}. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
  );

export const receiptHandleIsInvalid = (handle: string) =>
  new SqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );

export const messageNotInflight = () =>
  new SqsError('MessageNotInflight', 'The message referred to is not in flight.', `${SQS}MessageNotInflight`);

export const emptyBatch = (field: string) =>
  new SqsError(
    'EmptyBatchRequest',
    `There should be at least one ${field} in the request.`,
    `${SQS}EmptyBatchRequest`,
  );

export const tooManyEntries = (field: string, n: number) =>
  new SqsError(
    'TooManyEntriesInBatchRequest',
    `Maximum number of entries per request are 10. You have sent ${n}. (${field})`,
    `${SQS}TooManyEntriesInBatchRequest`,
  );

export const idsNotDistinct = (id: string) =>
  new SqsError(
    'BatchEntryIdsNotDistinct',
    `Id ${id} repeated. Two or more batch entries in the request have the same Id.`,
    `${SQS}BatchEntryIdsNotDistinct`,
  );

export const invalidBatchEntryId = (id: string) =>
  new SqsError(
    'InvalidBatchEntryId',
    `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long. (Id ${JSON.stringify(id)})`,
    `${SQS}InvalidBatchEntryId`,
  );

export const batchTooLong = (bytes: number, max: number) =>
  new SqsError(
    'BatchRequestTooLong',
    `Batch requests cannot be longer than ${max} bytes. You have sent ${bytes} bytes.`,
    `${SQS}BatchRequestTooLong`,
  );

export const purgeInProgress = (name: string) =>
  new SqsError(
    'PurgeQueueInProgress',
    `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`,
    `${SQS}PurgeQueueInProgress`,
  );

export const invalidAttributeName = (name: string) =>
  new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);

export const unsupportedOperation = (message: string) =>
  new SqsError('UnsupportedOperation', message, `${SQS}UnsupportedOperation`);

export const invalidAction = (op: string) =>
  new SqsError('InvalidAction', `The action ${op} is not valid for this web service.`);

export const serialization = (message: string) =>
  new SqsError('SerializationException', message, 'SerializationException', 400, 'com.amazon.coral.service');

export const internal = (message: string) =>
  new SqsError('InternalError', message, 'InternalError', 500, 'com.amazon.coral.service');
