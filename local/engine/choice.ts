import { ERR, StatesError } from './errors.ts';
import { PathMissing } from './jsonpath.ts';
import type { Scope } from './payload.ts';
import { resolvePath } from './payload.ts';
import type { Json } from './types.ts';

export const COMPARATORS = [
  'StringEquals',
  'StringLessThan',
  'StringGreaterThan',
  'StringLessThanEquals',
  'StringGreaterThanEquals',
  'StringMatches',
  'NumericEquals',
  'NumericLessThan',
  'NumericGreaterThan',
  'NumericLessThanEquals',
  'NumericGreaterThanEquals',
  'BooleanEquals',
  'TimestampEquals',
  'TimestampLessThan',
  'TimestampGreaterThan',
  'TimestampLessThanEquals',
  'TimestampGreaterThanEquals',
  'IsNull',
  'IsPresent',
  'IsNumeric',
  'IsString',
  'IsBoolean',
  'IsTimestamp',
] as const;

const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export const isTimestamp = (v: unknown): v is string =>
  typeof v === 'string' && TS_RE.test(v) && !Number.isNaN(Date.parse(v));

const wildcardCache = new Map<string, RegExp>();
const wildcardRe = (pattern: string): RegExp => {
  let re = wildcardCache.get(pattern);
  if (re) return re;
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      src += `\\${pattern[i + 1]}`;
      i++;
    } else if (c === '*') src += '.*';
    else src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`${src}$`, 's');
  if (wildcardCache.size > 10_000) wildcardCache.clear();
  wildcardCache.set(pattern, re);
  return re;
};

const wildcard = (pattern: string, s: string): boolean => wildcardRe(pattern).test(s);

const cmp = (op: string, a: Json, b: Json): boolean => {
  const kind = op.startsWith('String')
    ? 'string'
    : op.startsWith('Numeric')
      ? 'number'
      : op.startsWith('Timestamp')
        ? 'ts'
        : 'boolean';
  if (op === 'StringMatches') return typeof a === 'string' && typeof b === 'string' && wildcard(b, a);
  if (kind === 'boolean') return typeof a === 'boolean' && a === b;
  let x: number | string;
  let y: number | string;
  if (kind === 'ts') {
    if (!isTimestamp(a) || !isTimestamp(b)) return false;
    x = Date.parse(a);
    y = Date.parse(b);
  } else {
    if (typeof a !== kind || typeof b !== kind) return false;
    x = a as number | string;
    y = b as number | string;
  }
  const suffix = op.replace(/^(String|Numeric|Timestamp)/, '');
  switch (suffix) {
    case 'Equals':
      return x === y;
    case 'LessThan':
      return x < y;
    case 'GreaterThan':
      return x > y;
    case 'LessThanEquals':
      return x <= y;
    case 'GreaterThanEquals':
      return x >= y;
  }
  return false;
};

/**
 * The comparator of a leaf rule, found once per rule object (definitions are immutable): a list with
 * just that operator, or every comparator when none is present (the loop below then reports it).
 */
const leafOps = new WeakMap<object, readonly (typeof COMPARATORS)[number][]>();
const leafOp = (rule: Record<string, unknown>): readonly (typeof COMPARATORS)[number][] => {
  let ops = leafOps.get(rule);
  if (ops) return ops;
  ops = COMPARATORS;
  for (const op of COMPARATORS) {
    if (op in rule || `${op}Path` in rule) {
      ops = [op];
      break;
    }
  }
  leafOps.set(rule, ops);
  return ops;
};

/** Evaluate a JSONPath Choice rule (boolean expression). */
export const evalRule = (rule: Record<string, unknown>, scope: Scope): boolean => {
  if (Array.isArray(rule.And))
    return (rule.And as Record<string, unknown>[]).every((r) => evalRule(r, scope));
  if (Array.isArray(rule.Or)) return (rule.Or as Record<string, unknown>[]).some((r) => evalRule(r, scope));
  if (rule.Not) return !evalRule(rule.Not as Record<string, unknown>, scope);
  const variable = rule.Variable as string;
  const found = leafOp(rule);
  let value: Json | undefined;
  let present = true;
  try {
    value = resolvePath(variable, scope);
  } catch (e) {
    if (!(e instanceof PathMissing)) throw e;
    present = false;
  }
  for (const op of found) {
    if (op in rule) {
      const expected = rule[op] as Json;
      if (op === 'IsPresent') return present === expected;
      if (!present) {
        throw new StatesError(
          ERR.Runtime,
          `Invalid path '${variable}': The choice state's condition path references an invalid value.`,
        );
      }
      switch (op) {
        case 'IsNull':
          return (value === null) === expected;
        case 'IsNumeric':
          return (typeof value === 'number') === expected;
        case 'IsString':
          return (typeof value === 'string') === expected;
        case 'IsBoolean':
          return (typeof value === 'boolean') === expected;
        case 'IsTimestamp':
          return isTimestamp(value) === expected;
        default:
          return cmp(op, value as Json, expected);
      }
    }
    const pathOp = `${op}Path`;
    if (pathOp in rule) {
      if (!present) {
        throw new StatesError(
          ERR.Runtime,
          `Invalid path '${variable}': The choice state's condition path references an invalid value.`,
        );
      }
      let other: Json;
      try {
        other = resolvePath(rule[pathOp] as string, scope);
      } catch (e) {
        if (e instanceof PathMissing) {
          throw new StatesError(
            ERR.Runtime,
            `Invalid path '${rule[pathOp]}': The choice state's condition path references an invalid value.`,
          );
        }
        throw e;
      }
      return cmp(op, value as Json, other);
    }
  }
  throw new StatesError(ERR.Runtime, `Choice rule has no comparison operator: ${JSON.stringify(rule)}`);
};
