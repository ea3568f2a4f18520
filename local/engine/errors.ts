/**
 * An ASL runtime error: `error` is the name matched by Retry/Catch ErrorEquals. `cause` is undefined
 * when the failure has none (a Fail state without Cause, a timeout): AWS then leaves the field out.
 */
export class StatesError extends Error {
  readonly error: string;
  override readonly cause: string | undefined;
  /** a Fail state without Error: the execution reports no error field at all */
  readonly noError: boolean;
  /** JSONata: the field the failing expression sits in (`Output/v`, `Arguments/Body[0]`, …) */
  location?: string;
  /** the cause already names the state (`An error occurred while executing the state …`) */
  prefixed = false;
  /**
   * A state's own input or output over the payload quota: terminal, matched only by a retrier or
   * catcher that names it (never by `States.ALL`). A task's result over the quota is a task failure
   * and is not terminal (AWS-recorded: `States.ALL` catches it).
   */
  terminal = false;
  /**
   * The `Cause` a catcher sees when the error has no cause: a task's States.Timeout is caught as
   * `{"Error": "States.Timeout", "Cause": ""}` while the execution's failure has no cause
   * (`test_task_service_lambda` `test_invoke_timeout`).
   */
  catchCause?: string;
  constructor(error: string | undefined, cause?: string, location?: string) {
    super(`${error ?? ''}: ${cause ?? ''}`);
    this.name = 'StatesError';
    this.error = error ?? '';
    this.noError = error === undefined;
    this.cause = cause;
    if (location !== undefined) this.location = location;
  }

  /**
   * An error whose cause AWS reports as is, without the `An error occurred while executing the
   * state …` prefix (recorded for `States.ReferencePathConflict`).
   */
  static bare(error: string, cause: string): StatesError {
    const e = new StatesError(error, cause);
    e.prefixed = true;
    return e;
  }

  /** The same error with the state's prefix on its cause (once). */
  inState(state: string, enteredEventId: number | undefined): StatesError {
    if (this.prefixed) return this;
    const where =
      enteredEventId === undefined
        ? `An error occurred while executing the state '${state}'. `
        : `An error occurred while executing the state '${state}' (entered at the event id #${enteredEventId}). `;
    const e = new StatesError(this.error, `${where}${this.cause ?? ''}`, this.location);
    e.prefixed = true;
    return e;
  }

  /** `{Error, Cause}` as a catcher sees it (absent fields left out). */
  output(): { Error?: string; Cause?: string } {
    return {
      ...(this.noError ? {} : { Error: this.error }),
      ...(this.cause !== undefined
        ? { Cause: this.cause }
        : this.catchCause !== undefined
          ? { Cause: this.catchCause }
          : {}),
    };
  }

  /** `{error, cause}` for history event details and the execution record (absent fields left out). */
  details(): { error?: string; cause?: string } {
    return {
      ...(this.noError ? {} : { error: this.error }),
      ...(this.cause !== undefined ? { cause: this.cause } : {}),
    };
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
  /** what AWS raises when a ResultPath cannot be written into the state's input (recorded) */
  ReferencePathConflict: 'States.ReferencePathConflict',
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
