/** An ASL runtime error: `error` is the name matched by Retry/Catch ErrorEquals. */
export class StatesError extends Error {
  readonly error: string;
  override readonly cause: string;
  constructor(error: string, cause = '') {
    super(`${error}: ${cause}`);
    this.name = 'StatesError';
    this.error = error;
    this.cause = cause;
  }
}

/** Thrown by task handlers to fail a task with a specific error name (what ErrorEquals matches). */
export class TaskFailure extends Error {
  readonly error: string;
  override readonly cause: string;
  constructor(error: string, cause = '') {
    super(cause || error);
    this.name = error;
    this.error = error;
    this.cause = cause;
  }
}

/** An API-level error (HTTP 400 with AWS __type). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
  }
}

export const ERR = {
  ALL: 'States.ALL',
  Timeout: 'States.Timeout',
  TaskFailed: 'States.TaskFailed',
  Permissions: 'States.Permissions',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ParameterPathFailure: 'States.ParameterPathFailure',
  BranchFailed: 'States.BranchFailed',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  QueryEvaluationError: 'States.QueryEvaluationError',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  ItemReaderFailed: 'States.ItemReaderFailed',
  Runtime: 'States.Runtime',
  DataLimitExceeded: 'States.DataLimitExceeded',
} as const;

export const toStatesError = (e: unknown): StatesError => {
  if (e instanceof StatesError) return e;
  if (e instanceof TaskFailure) return new StatesError(e.error, e.cause);
  if (e && typeof e === 'object') {
    const o = e as { error?: unknown; cause?: unknown; name?: unknown; message?: unknown };
    if (typeof o.error === 'string')
      return new StatesError(o.error, typeof o.cause === 'string' ? o.cause : '');
    if (e instanceof Error) return new StatesError(e.name || 'Error', e.message);
  }
  return new StatesError(ERR.TaskFailed, String(e));
};
