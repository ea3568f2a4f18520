/**
 * Step Functions' quotas the engine enforces (developer guide, "Step Functions service quotas"):
 * 256 KiB payloads (execution input, state input and output, task results, SendTaskSuccess output)
 * and 25,000 events in an execution history.
 */
import { ApiError, ERR, StatesError } from './errors.ts';
import type { Json } from './types.ts';

/** "Maximum input or output size for a task, state, or execution": 256 KiB of UTF-8. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** "Maximum execution history size": 25,000 events (a hard quota). */
export const MAX_HISTORY_EVENTS = 25_000;

/** AWS's cause when the history quota ends an execution (error States.Runtime). */
export const HISTORY_LIMIT_CAUSE = `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`;

/**
 * An upper bound of a value's JSON size in bytes (every string character counted as the 6 bytes of
 * a `\uXXXX` escape). Exact sizes are only computed near the limit. Large values are memoised: state
 * values are never mutated in place, so a large document passed from state to state is measured
 * once. Only the measured value itself and long arrays are looked up (a lookup costs more than
 * measuring a small object): this check runs on every state's output.
 */
const bounds = new WeakMap<object, number>();
const MEMO_FROM = 4096;
const upperBound = (v: Json, lookup: boolean): number => {
  if (v === null) return 4;
  switch (typeof v) {
    case 'string':
      return v.length * 6 + 2;
    case 'number':
      return 24;
    case 'boolean':
      return 5;
  }
  let n = 2;
  if (Array.isArray(v)) {
    const long = v.length >= 64;
    if (lookup || long) {
      const known = bounds.get(v);
      if (known !== undefined) return known;
    }
    for (const x of v) n += upperBound(x, false) + 1;
    if ((lookup || long) && n >= MEMO_FROM) bounds.set(v, n);
    return n;
  }
  if (lookup) {
    const known = bounds.get(v);
    if (known !== undefined) return known;
  }
  for (const k in v) n += k.length * 6 + 4 + upperBound(v[k]!, false);
  if (lookup && n >= MEMO_FROM) bounds.set(v, n);
  return n;
};

/** Is the value's JSON larger than the payload quota? */
export const overPayloadLimit = (v: Json): boolean =>
  upperBound(v, true) > MAX_PAYLOAD_BYTES && Buffer.byteLength(JSON.stringify(v)) > MAX_PAYLOAD_BYTES;

/** Is this JSON text larger than the payload quota (in UTF-8 bytes)? */
export const textOverPayloadLimit = (text: string): boolean =>
  text.length > MAX_PAYLOAD_BYTES / 3 && Buffer.byteLength(text) > MAX_PAYLOAD_BYTES;

/**
 * `States.DataLimitExceeded` for a state whose output (or a task whose result) is over the quota,
 * in AWS's words: the state's name, or a Lambda function's ARN for its result. A state's output
 * over the quota is terminal (no wildcard matches it, as the developer guide says); a task's result
 * over the quota is a task failure that `States.ALL` catches (as AWS-recorded histories show:
 * `LambdaFunctionFailed`/`TaskFailed`, then the `States.ALL` catcher's state).
 */
export const resultTooLarge = (name: string, of: 'state' | 'task'): StatesError => {
  const e = unprefixed(
    new StatesError(
      ERR.DataLimitExceeded,
      `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    ),
  );
  e.terminal = of === 'state';
  return e;
};

/** `States.DataLimitExceeded` for a state whose effective input (after Parameters) is over the quota. */
export const inputTooLarge = (name: string): StatesError => {
  const e = unprefixed(
    new StatesError(
      ERR.DataLimitExceeded,
      `The state/task '${name}' has an input with a size exceeding the maximum number of bytes service limit.`,
    ),
  );
  e.terminal = true;
  return e;
};

/** AWS's data-limit causes carry no `An error occurred while executing the state …` prefix. */
const unprefixed = (e: StatesError): StatesError => {
  e.prefixed = true;
  return e;
};

/**
 * An API string member over its modelled maximum length: AWS's model-validation answer
 * (`ValidationException`, `1 validation error detected: …`). Payload members are measured in
 * UTF-8 bytes, as the API reference says of them.
 */
export const checkLength = (member: string, value: unknown, max: number, bytes = false): void => {
  if (typeof value !== 'string') return;
  const n = bytes ? (value.length > max / 3 ? Buffer.byteLength(value) : value.length) : value.length;
  if (n <= max) return;
  throw new ApiError(
    'ValidationException',
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
  );
};
