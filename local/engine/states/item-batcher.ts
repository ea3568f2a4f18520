/**
 * ItemBatcher (Distributed Map): groups the Map's items so that one child workflow execution runs a
 * batch. Developer guide, "ItemBatcher (Map)": each child execution receives
 * `{"BatchInput": …, "Items": [ … ]}` (BatchInput only when the field is given); MaxItemsPerBatch
 * caps the items of a batch, MaxInputBytesPerBatch (up to 256 KiB) the size of the child's input,
 * and with both the batch ends at whichever is reached first. The `…Path` forms read a positive
 * integer from the state's input (JSONPath); in JSONata the fields are numbers or expressions.
 */
import type { ItemBatcher } from '../asl.ts';
import { ERR, StatesError } from '../errors.ts';
import type { JsonataScope } from '../jsonata.ts';
import { evalExpr, evalJsonataTemplate, expressionText, isJsonataExpr, jsonataTypeOf } from '../jsonata.ts';
import { MAX_PAYLOAD_BYTES } from '../limits.ts';
import type { Scope } from '../payload.ts';
import { applyPath, evalTemplate } from '../payload.ts';
import type { Json } from '../types.ts';

export interface BatchLimits {
  items?: number;
  bytes?: number;
  input?: Json;
}

type BatchField = 'MaxItemsPerBatch' | 'MaxInputBytesPerBatch';

const shown = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A `…PerBatchPath` value: a positive integer (a digit string counts as its integer). */
const positivePath = (path: string | undefined, field: BatchField, scope: Scope): number | undefined => {
  if (typeof path !== 'string') return undefined;
  const raw = applyPath(path, scope.data, scope, `${field}Path`);
  const v = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new StatesError(
      ERR.Runtime,
      `The ${field}Path field refers to value "${shown(v)}" which is not a valid integer: ${path}`,
    );
  }
  if (v <= 0 || (field === 'MaxInputBytesPerBatch' && v > MAX_PAYLOAD_BYTES)) {
    throw new StatesError(
      ERR.Runtime,
      field === 'MaxItemsPerBatch'
        ? `Expected positive integer for MaxItemsPerBatch, got '${v}' instead.`
        : `Expected positive integer up to ${MAX_PAYLOAD_BYTES} for MaxInputBytesPerBatch, got '${v}' instead.`,
    );
  }
  return v;
};

/** The batcher's limits and BatchInput for a JSONPath Map (`scope` reads the effective input). */
export const batchLimitsJsonPath = (b: ItemBatcher, scope: Scope): BatchLimits => {
  const items =
    typeof b.MaxItemsPerBatch === 'number'
      ? b.MaxItemsPerBatch
      : positivePath(b.MaxItemsPerBatchPath, 'MaxItemsPerBatch', scope);
  const bytes =
    typeof b.MaxInputBytesPerBatch === 'number'
      ? b.MaxInputBytesPerBatch
      : positivePath(b.MaxInputBytesPerBatchPath, 'MaxInputBytesPerBatch', scope);
  return {
    ...(items !== undefined ? { items } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
    ...(b.BatchInput !== undefined ? { input: evalTemplate(b.BatchInput, scope) } : {}),
  };
};

/** AWS's error for a JSONata field (`v`, at `field`) whose value `n` is not the integer it must be. */
export const notAnInteger = (v: unknown, field: string, n: unknown): StatesError =>
  new StatesError(
    ERR.QueryEvaluationError,
    `The JSONata expression '${typeof v === 'string' ? expressionText(v) : JSON.stringify(v)}' specified for the field '${field}' returned an unexpected result type. Expected 'integer', but was '${jsonataTypeOf(n as Json)}' for value: ${JSON.stringify(n)}`,
    field,
  );

const positiveExpr = async (v: unknown, s: JsonataScope, field: BatchField): Promise<number | undefined> => {
  if (v === undefined) return undefined;
  const path = `ItemBatcher/${field}`;
  const n = isJsonataExpr(v) ? await evalExpr(v, s, path) : v;
  if (
    typeof n !== 'number' ||
    !Number.isInteger(n) ||
    n <= 0 ||
    (field === 'MaxInputBytesPerBatch' && n > MAX_PAYLOAD_BYTES)
  ) {
    throw notAnInteger(v, path, n);
  }
  return n;
};

/** The batcher's limits and BatchInput for a JSONata Map. */
export const batchLimitsJsonata = async (b: ItemBatcher, s: JsonataScope): Promise<BatchLimits> => {
  const items = await positiveExpr(b.MaxItemsPerBatch, s, 'MaxItemsPerBatch');
  const bytes = await positiveExpr(b.MaxInputBytesPerBatch, s, 'MaxInputBytesPerBatch');
  const input =
    b.BatchInput !== undefined
      ? await evalJsonataTemplate(b.BatchInput, s, 'ItemBatcher/BatchInput')
      : undefined;
  return {
    ...(items !== undefined ? { items } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
    ...(input !== undefined ? { input } : {}),
  };
};

const size = (v: Json): number => Buffer.byteLength(JSON.stringify(v));

/**
 * The items grouped into batch inputs, in order. A batch takes items until MaxItemsPerBatch is
 * reached or the next item would take the child's input (BatchInput and Items together) over
 * MaxInputBytesPerBatch; an item too large on its own is a batch by itself.
 */
export const batchItems = (items: readonly Json[], limits: BatchLimits): Json[] => {
  const wrap = (batch: Json[]): Json =>
    limits.input !== undefined ? { BatchInput: limits.input, Items: batch } : { Items: batch };
  const out: Json[] = [];
  const maxItems = limits.items ?? Number.POSITIVE_INFINITY;
  const maxBytes = limits.bytes ?? MAX_PAYLOAD_BYTES;
  // the size of an empty batch, then one comma per item after the first
  const base = size(wrap([]));
  let batch: Json[] = [];
  let bytes = base;
  for (const item of items) {
    const add = size(item) + (batch.length > 0 ? 1 : 0);
    if (batch.length > 0 && (batch.length >= maxItems || bytes + add > maxBytes)) {
      out.push(wrap(batch));
      batch = [];
      bytes = base;
    }
    bytes += size(item) + (batch.length > 0 ? 1 : 0);
    batch.push(item);
  }
  if (batch.length > 0) out.push(wrap(batch));
  return out;
};
