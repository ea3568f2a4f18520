import { COMPARATORS, isTimestamp } from './choice.ts';
import { checkIntrinsic, isIntrinsic } from './intrinsics.ts';
import { checkJsonata, isJsonataExpr } from './jsonata.ts';
import { isValidPath } from './jsonpath.ts';
import { isVariablePath } from './payload.ts';
import type { MachineDef, QueryLanguage, StateDef } from './types.ts';
import { isObject } from './types.ts';

export interface ValidationProblem {
  code: string;
  message: string;
  location: string;
}

/** AWS's upper bound for seconds and counts in a definition. */
const MAX_SECONDS = 99_999_999;

const TYPES = ['Pass', 'Task', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map'];
const JSONPATH_ONLY = ['InputPath', 'Parameters', 'ResultSelector', 'ResultPath', 'OutputPath', 'ItemsPath'];
const JSONATA_ONLY = ['Arguments', 'Output', 'Items'];
const COMMON = ['Type', 'Comment', 'QueryLanguage', 'Next', 'End', 'Assign'];
const FIELDS: Record<string, string[]> = {
  Pass: ['Result', 'InputPath', 'Parameters', 'ResultPath', 'OutputPath', 'Output'],
  Task: [
    'Resource',
    'InputPath',
    'Parameters',
    'ResultSelector',
    'ResultPath',
    'OutputPath',
    'Arguments',
    'Output',
    'Retry',
    'Catch',
    'TimeoutSeconds',
    'TimeoutSecondsPath',
    'HeartbeatSeconds',
    'HeartbeatSecondsPath',
    'Credentials',
  ],
  Choice: ['Choices', 'Default', 'InputPath', 'OutputPath', 'Output'],
  Wait: ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath', 'InputPath', 'OutputPath', 'Output'],
  Succeed: ['InputPath', 'OutputPath', 'Output'],
  Fail: ['Error', 'Cause', 'ErrorPath', 'CausePath'],
  Parallel: [
    'Branches',
    'InputPath',
    'Parameters',
    'ResultSelector',
    'ResultPath',
    'OutputPath',
    'Arguments',
    'Output',
    'Retry',
    'Catch',
  ],
  Map: [
    'ItemProcessor',
    'Iterator',
    'ItemsPath',
    'Items',
    'ItemSelector',
    'Parameters',
    'ItemReader',
    'ItemBatcher',
    'ResultWriter',
    'MaxConcurrency',
    'MaxConcurrencyPath',
    'ToleratedFailurePercentage',
    'ToleratedFailurePercentagePath',
    'ToleratedFailureCount',
    'ToleratedFailureCountPath',
    'Label',
    'InputPath',
    'ResultSelector',
    'ResultPath',
    'OutputPath',
    'Arguments',
    'Output',
    'Retry',
    'Catch',
  ],
};

/** Map fields a Map state in INLINE mode does not accept. */
const DISTRIBUTED_ONLY = [
  'ToleratedFailureCount',
  'ToleratedFailureCountPath',
  'ToleratedFailurePercentage',
  'ToleratedFailurePercentagePath',
  'ItemReader',
  'ItemBatcher',
  'ResultWriter',
  'Label',
] as const;

const BATCHER_FIELDS = [
  'MaxItemsPerBatch',
  'MaxItemsPerBatchPath',
  'MaxInputBytesPerBatch',
  'MaxInputBytesPerBatchPath',
  'BatchInput',
];

/**
 * A Map's ItemBatcher ("ItemBatcher (Map)"): at least one of the batch limits, a field or its Path
 * but not both, positive integers (MaxInputBytesPerBatch up to 256 KiB), Paths in JSONPath only.
 */
const checkItemBatcher = (b: unknown, ql: QueryLanguage, at: string, ps: ValidationProblem[]): void => {
  const bad = (message: string, location = at): void => {
    ps.push({ code: 'SCHEMA_VALIDATION_FAILED', message, location });
  };
  if (!isObject(b as never)) {
    bad("The value for the field 'ItemBatcher' must be an OBJECT");
    return;
  }
  const o = b as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!BATCHER_FIELDS.includes(k)) bad(`Field '${k}' is not supported`, `${at}/${k}`);
  if (
    o.MaxItemsPerBatch === undefined &&
    o.MaxItemsPerBatchPath === undefined &&
    o.MaxInputBytesPerBatch === undefined &&
    o.MaxInputBytesPerBatchPath === undefined
  ) {
    bad(
      'ItemBatcher must specify at least one of MaxItemsPerBatch, MaxItemsPerBatchPath, MaxInputBytesPerBatch or MaxInputBytesPerBatchPath',
    );
  }
  for (const [f, max] of [
    ['MaxItemsPerBatch', MAX_SECONDS],
    ['MaxInputBytesPerBatch', 256 * 1024],
  ] as const) {
    const v = o[f];
    const path = o[`${f}Path`];
    if (v !== undefined && path !== undefined)
      bad(`Only one of ${f} and ${f}Path may be given`, `${at}/${f}Path`);
    if (path !== undefined && ql !== 'JSONPath')
      bad(`The field '${f}Path' is not supported when the query language is JSONata`, `${at}/${f}Path`);
    else if (path !== undefined && (typeof path !== 'string' || !(isValidPath(path) || isVariablePath(path))))
      bad(`The value for the field '${f}Path' must be a valid JSONPath`, `${at}/${f}Path`);
    if (v === undefined) continue;
    if (ql === 'JSONata' && isJsonataExpr(v)) {
      checkJsonataValue(v, `${at}/${f}`, ps);
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      bad(`The value for the field '${f}' must be an integer between 1 and ${max}`, `${at}/${f}`);
  }
  if (o.BatchInput !== undefined) {
    if (ql === 'JSONata') checkJsonataValue(o.BatchInput, `${at}/BatchInput`, ps);
    else if (!isObject(o.BatchInput as never))
      bad("The value for the field 'BatchInput' must be an OBJECT", `${at}/BatchInput`);
    else checkTemplate(o.BatchInput, `${at}/BatchInput`, ps);
  }
};

export const formatProblems = (ps: ValidationProblem[]): string =>
  `Invalid State Machine Definition: '${ps.map((p) => `${p.code}: ${p.message} at ${p.location}`).join(', ')}'`;

/** Validate a state machine definition. Returns the problems (empty when valid). */
export const validateDefinition = (text: string): { def?: MachineDef; problems: ValidationProblem[] } => {
  const problems: ValidationProblem[] = [];
  let def: unknown;
  try {
    def = JSON.parse(text);
  } catch (e) {
    return {
      problems: [{ code: 'INVALID_JSON_DESCRIPTION', message: (e as Error).message, location: '/' }],
    };
  }
  if (!isObject(def as never)) {
    return {
      problems: [
        { code: 'SCHEMA_VALIDATION_FAILED', message: 'definition must be an object', location: '/' },
      ],
    };
  }
  const top = def as Record<string, unknown>;
  const ql = (top.QueryLanguage as QueryLanguage | undefined) ?? 'JSONPath';
  if (top.QueryLanguage !== undefined && ql !== 'JSONPath' && ql !== 'JSONata') {
    problems.push({
      code: 'SCHEMA_VALIDATION_FAILED',
      message: `Invalid QueryLanguage ${String(ql)}`,
      location: '/QueryLanguage',
    });
  }
  if (
    top.TimeoutSeconds !== undefined &&
    !(Number.isInteger(top.TimeoutSeconds) && (top.TimeoutSeconds as number) > 0)
  ) {
    problems.push({
      code: 'SCHEMA_VALIDATION_FAILED',
      message: 'TimeoutSeconds must be a positive integer',
      location: '/TimeoutSeconds',
    });
  }
  checkMachine(top, '', ql, problems, false, new Set());
  return problems.length ? { problems } : { def: def as MachineDef, problems };
};

const checkMachine = (
  m: Record<string, unknown>,
  loc: string,
  parentQl: QueryLanguage,
  ps: ValidationProblem[],
  nested: boolean,
  /** every state name seen so far: names are unique in the whole state machine */
  names: Set<string>,
) => {
  const ql = (m.QueryLanguage as QueryLanguage | undefined) ?? parentQl;
  const states = m.States;
  if (typeof m.StartAt !== 'string') {
    ps.push({
      code: 'SCHEMA_VALIDATION_FAILED',
      message: 'The field "StartAt" is required',
      location: `${loc}/StartAt`,
    });
  }
  if (!isObject(states as never) || Object.keys(states as object).length === 0) {
    ps.push({
      code: 'SCHEMA_VALIDATION_FAILED',
      message: 'The field "States" must be a non-empty object',
      location: `${loc}/States`,
    });
    return;
  }
  const S = states as Record<string, StateDef>;
  if (typeof m.StartAt === 'string' && !S[m.StartAt]) {
    ps.push({
      code: 'MISSING_TRANSITION_TARGET',
      message: `Missing 'StartAt' target: ${m.StartAt}`,
      location: `${loc}/StartAt`,
    });
  }
  const targets = new Set<string>();
  const target = (name: unknown, where: string, field: string) => {
    if (typeof name !== 'string' || !S[name]) {
      ps.push({
        code: 'MISSING_TRANSITION_TARGET',
        message: `Missing '${field}' target: ${String(name)}`,
        location: where,
      });
    } else targets.add(name);
  };
  for (const [name, st] of Object.entries(S)) {
    const at = `${loc}/States/${name}`;
    // "a name … must be unique within the scope of the entire state machine" (developer guide, "States")
    if (names.has(name)) {
      ps.push({ code: 'DUPLICATE_STATE_NAME', message: `Duplicate State name: ${name}`, location: at });
    }
    names.add(name);
    if (name.length > 80)
      ps.push({
        code: 'SCHEMA_VALIDATION_FAILED',
        message: 'State names must be at most 80 characters',
        location: at,
      });
    if (!isObject(st as never) || !TYPES.includes(st.Type)) {
      ps.push({
        code: 'SCHEMA_VALIDATION_FAILED',
        message: `Invalid state type: ${String((st as StateDef)?.Type)}`,
        location: `${at}/Type`,
      });
      continue;
    }
    const sql = (st.QueryLanguage as QueryLanguage | undefined) ?? ql;
    if (ql === 'JSONata' && st.QueryLanguage === 'JSONPath') {
      ps.push({
        code: 'SCHEMA_VALIDATION_FAILED',
        message: 'A JSONPath state cannot be used in a JSONata state machine',
        location: `${at}/QueryLanguage`,
      });
    }
    const allowed = new Set([...COMMON, ...(FIELDS[st.Type] ?? [])]);
    for (const k of Object.keys(st)) {
      if (!allowed.has(k))
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: `The field "${k}" is not supported by Step Functions for ${st.Type} states`,
          location: `${at}/${k}`,
        });
      else if (sql === 'JSONata' && JSONPATH_ONLY.includes(k)) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: `The field "${k}" is not supported for JSONata states`,
          location: `${at}/${k}`,
        });
      } else if (sql === 'JSONPath' && JSONATA_ONLY.includes(k)) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: `The field "${k}" is only supported for JSONata states`,
          location: `${at}/${k}`,
        });
      }
    }
    const terminal = st.Type === 'Succeed' || st.Type === 'Fail' || st.Type === 'Choice';
    if (terminal) {
      if (st.Next !== undefined || st.End !== undefined) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: `${st.Type} states cannot have "Next" or "End"`,
          location: at,
        });
      }
    } else if (st.End === true) {
      if (st.Next !== undefined)
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: 'A state cannot have both "Next" and "End"',
          location: at,
        });
    } else if (st.Next === undefined) {
      ps.push({
        code: 'SCHEMA_VALIDATION_FAILED',
        message: 'This state must have either "Next" or "End": true',
        location: at,
      });
    } else target(st.Next, `${at}/Next`, 'Next');
    // paths and templates
    if (sql === 'JSONPath') {
      for (const f of [
        'InputPath',
        'OutputPath',
        'ResultPath',
        'ItemsPath',
        'SecondsPath',
        'TimestampPath',
        'TimeoutSecondsPath',
        'HeartbeatSecondsPath',
        'MaxConcurrencyPath',
        'ToleratedFailureCountPath',
        'ToleratedFailurePercentagePath',
        'ErrorPath',
        'CausePath',
      ]) {
        const v = st[f];
        if (v === undefined || v === null) continue;
        if (
          typeof v !== 'string' ||
          (!isValidPath(v) &&
            !(isIntrinsic(v) && (f === 'ErrorPath' || f === 'CausePath')) &&
            !isVariablePath(v))
        ) {
          ps.push({
            code: 'SCHEMA_VALIDATION_FAILED',
            message: `The value for the field '${f}' must be a valid JSONPath`,
            location: `${at}/${f}`,
          });
        }
      }
      for (const f of ['Parameters', 'ResultSelector', 'ItemSelector', 'Assign'])
        checkTemplate(st[f], `${at}/${f}`, ps);
    } else {
      for (const f of [
        'Arguments',
        'Output',
        'Assign',
        'Items',
        'ItemSelector',
        'Seconds',
        'Timestamp',
        'TimeoutSeconds',
        'HeartbeatSeconds',
        'Error',
        'Cause',
        'MaxConcurrency',
        'ToleratedFailureCount',
        'ToleratedFailurePercentage',
      ]) {
        checkJsonataValue(st[f], `${at}/${f}`, ps);
      }
    }
    if (st.Type === 'Task' && typeof st.Resource !== 'string') {
      ps.push({
        code: 'SCHEMA_VALIDATION_FAILED',
        message: 'The field "Resource" is required',
        location: `${at}/Resource`,
      });
    }
    // AWS's bounds (an expression is checked when it is evaluated)
    const bounded = (f: string, min: number, max: number, integer = true) => {
      const v = st[f];
      if (v === undefined || isJsonataExpr(v)) return;
      if (typeof v !== 'number' || (integer && !Number.isInteger(v)) || v < min || v > max) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: `The value for the field '${f}' must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`,
          location: `${at}/${f}`,
        });
      }
    };
    bounded('TimeoutSeconds', 1, MAX_SECONDS);
    bounded('HeartbeatSeconds', 1, MAX_SECONDS);
    if (st.Type === 'Wait') {
      bounded('Seconds', 0, MAX_SECONDS);
      if (st.Timestamp !== undefined && !isJsonataExpr(st.Timestamp) && !isTimestamp(st.Timestamp)) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message:
            "The value for the field 'Timestamp' must be an RFC3339 timestamp with a 'T' and a time zone (e.g. 2026-01-01T00:00:00Z)",
          location: `${at}/Timestamp`,
        });
      }
    }
    if (st.Type === 'Map') {
      // Developer guide, "Map state": these fields belong to Distributed mode only
      const processor = st.ItemProcessor as { ProcessorConfig?: { Mode?: unknown } } | undefined;
      if (processor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') {
        for (const f of DISTRIBUTED_ONLY) {
          if (st[f] === undefined) continue;
          ps.push({
            code: 'SCHEMA_VALIDATION_FAILED',
            message: `The field '${f}' is only supported for Map states in DISTRIBUTED mode`,
            location: `${at}/${f}`,
          });
        }
      }
      bounded('MaxConcurrency', 0, MAX_SECONDS);
      if (st.ItemBatcher !== undefined) checkItemBatcher(st.ItemBatcher, sql, `${at}/ItemBatcher`, ps);
      bounded('ToleratedFailureCount', 0, MAX_SECONDS);
      bounded('ToleratedFailurePercentage', 0, 100, false);
    }
    if (
      typeof st.TimeoutSeconds === 'number' &&
      typeof st.HeartbeatSeconds === 'number' &&
      st.HeartbeatSeconds >= st.TimeoutSeconds
    ) {
      ps.push({
        code: 'SCHEMA_VALIDATION_FAILED',
        message: 'HeartbeatSeconds must be smaller than TimeoutSeconds',
        location: `${at}/HeartbeatSeconds`,
      });
    }
    if (st.Type === 'Wait') {
      const n = ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'].filter(
        (f) => st[f] !== undefined,
      ).length;
      if (n !== 1)
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: 'A Wait state must have exactly one of Seconds, Timestamp, SecondsPath, TimestampPath',
          location: at,
        });
    }
    if (st.Type === 'Choice') {
      if (!Array.isArray(st.Choices) || st.Choices.length === 0) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: 'The field "Choices" must be a non-empty array',
          location: `${at}/Choices`,
        });
      } else {
        (st.Choices as Record<string, unknown>[]).forEach((r, i) => {
          target(r.Next, `${at}/Choices/${i}/Next`, 'Next');
          if (sql === 'JSONata') {
            // a literal boolean is a valid Condition
            if (!isJsonataExpr(r.Condition) && typeof r.Condition !== 'boolean')
              ps.push({
                code: 'SCHEMA_VALIDATION_FAILED',
                message: 'A JSONata choice rule needs a "Condition"',
                location: `${at}/Choices/${i}`,
              });
          } else checkRule(r, `${at}/Choices/${i}`, ps, true);
        });
      }
      if (st.Default !== undefined) target(st.Default, `${at}/Default`, 'Default');
    }
    if (st.Type === 'Fail') {
      if (st.Error !== undefined && st.ErrorPath !== undefined)
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: 'Error and ErrorPath are exclusive',
          location: at,
        });
      if (st.Cause !== undefined && st.CausePath !== undefined)
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: 'Cause and CausePath are exclusive',
          location: at,
        });
    }
    for (const f of ['Retry', 'Catch']) {
      const list = st[f];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: `${f} must be an array`,
          location: `${at}/${f}`,
        });
        continue;
      }
      list.forEach((r: Record<string, unknown>, i) => {
        const eq = r.ErrorEquals;
        if (!Array.isArray(eq) || eq.length === 0) {
          ps.push({
            code: 'SCHEMA_VALIDATION_FAILED',
            message: 'ErrorEquals must be a non-empty array',
            location: `${at}/${f}/${i}/ErrorEquals`,
          });
        } else if (eq.includes('States.ALL') && (eq.length > 1 || i !== list.length - 1)) {
          ps.push({
            code: 'SCHEMA_VALIDATION_FAILED',
            message: 'States.ALL must appear alone in the last retrier/catcher',
            location: `${at}/${f}/${i}/ErrorEquals`,
          });
        }
        if (f === 'Catch') target(r.Next, `${at}/Catch/${i}/Next`, 'Next');
        if (f === 'Retry') {
          for (const [f, min, max] of [
            ['MaxAttempts', 0, MAX_SECONDS],
            ['IntervalSeconds', 1, MAX_SECONDS],
            ['MaxDelaySeconds', 1, 31_622_400],
          ] as const) {
            const v = r[f];
            if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min && (v as number) <= max)) {
              ps.push({
                code: 'SCHEMA_VALIDATION_FAILED',
                message: `The value for the field '${f}' must be an integer between ${min} and ${max}`,
                location: `${at}/Retry/${i}/${f}`,
              });
            }
          }
          if (r.BackoffRate !== undefined && !(typeof r.BackoffRate === 'number' && r.BackoffRate >= 1)) {
            ps.push({
              code: 'SCHEMA_VALIDATION_FAILED',
              message: 'BackoffRate must be at least 1.0',
              location: `${at}/Retry/${i}/BackoffRate`,
            });
          }
          if (r.JitterStrategy !== undefined && r.JitterStrategy !== 'FULL' && r.JitterStrategy !== 'NONE') {
            ps.push({
              code: 'SCHEMA_VALIDATION_FAILED',
              message: 'JitterStrategy must be FULL or NONE',
              location: `${at}/Retry/${i}/JitterStrategy`,
            });
          }
        }
      });
    }
    if (st.Type === 'Parallel') {
      if (!Array.isArray(st.Branches) || st.Branches.length === 0) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: 'The field "Branches" must be a non-empty array',
          location: `${at}/Branches`,
        });
      } else
        (st.Branches as Record<string, unknown>[]).forEach(
          (b, i) => void checkMachine(b, `${at}/Branches/${i}`, sql, ps, true, names),
        );
    }
    if (st.Type === 'Map') {
      const proc = (st.ItemProcessor ?? st.Iterator) as Record<string, unknown> | undefined;
      if (!isObject(proc as never)) {
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: 'The field "ItemProcessor" is required',
          location: `${at}/ItemProcessor`,
        });
      } else
        checkMachine(proc!, `${at}/${st.ItemProcessor ? 'ItemProcessor' : 'Iterator'}`, sql, ps, true, names);
    }
  }
  // reachability
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n) || !S[n]) return;
    seen.add(n);
    const st = S[n]!;
    if (typeof st.Next === 'string') visit(st.Next);
    if (typeof st.Default === 'string') visit(st.Default);
    if (Array.isArray(st.Choices))
      for (const r of st.Choices as Record<string, unknown>[]) if (typeof r.Next === 'string') visit(r.Next);
    if (Array.isArray(st.Catch))
      for (const r of st.Catch as Record<string, unknown>[]) if (typeof r.Next === 'string') visit(r.Next);
  };
  if (typeof m.StartAt === 'string') visit(m.StartAt);
  for (const n of Object.keys(S)) {
    if (!seen.has(n) && typeof m.StartAt === 'string' && S[m.StartAt]) {
      ps.push({
        code: 'SCHEMA_VALIDATION_FAILED',
        message: `State "${n}" is not reachable`,
        location: `${loc}/States/${n}`,
      });
    }
  }
  void nested;
};

const checkTemplate = (tpl: unknown, loc: string, ps: ValidationProblem[]) => {
  if (Array.isArray(tpl))
    tpl.forEach((x, i) => {
      checkTemplate(x, `${loc}/${i}`, ps);
    });
  else if (isObject(tpl as never)) {
    for (const [k, v] of Object.entries(tpl as Record<string, unknown>)) {
      if (k.endsWith('.$')) {
        if (typeof v !== 'string') {
          ps.push({
            code: 'SCHEMA_VALIDATION_FAILED',
            message: `The value for the field '${k}' must be a STRING`,
            location: `${loc}/${k}`,
          });
        } else if (isIntrinsic(v)) {
          const err = checkIntrinsic(v);
          if (err)
            ps.push({
              code: 'SCHEMA_VALIDATION_FAILED',
              message: `The value for the field '${k}' must be a valid JSONPath or a valid intrinsic function call (${err})`,
              location: `${loc}/${k}`,
            });
        } else if (!isValidPath(v) && !isVariablePath(v)) {
          ps.push({
            code: 'SCHEMA_VALIDATION_FAILED',
            message: `The value for the field '${k}' must be a valid JSONPath or a valid intrinsic function call`,
            location: `${loc}/${k}`,
          });
        }
      } else checkTemplate(v, `${loc}/${k}`, ps);
    }
  }
};

const checkJsonataValue = (v: unknown, loc: string, ps: ValidationProblem[]) => {
  if (typeof v === 'string') {
    if (isJsonataExpr(v)) {
      const err = checkJsonata(v);
      if (err)
        ps.push({
          code: 'SCHEMA_VALIDATION_FAILED',
          message: `Invalid JSONata expression: ${err}`,
          location: loc,
        });
    }
  } else if (Array.isArray(v))
    v.forEach((x, i) => {
      checkJsonataValue(x, `${loc}/${i}`, ps);
    });
  else if (isObject(v as never))
    for (const [k, x] of Object.entries(v as object)) checkJsonataValue(x, `${loc}/${k}`, ps);
};

const checkRule = (r: Record<string, unknown>, loc: string, ps: ValidationProblem[], top: boolean) => {
  if (!top && r.Next !== undefined)
    ps.push({
      code: 'SCHEMA_VALIDATION_FAILED',
      message: 'Nested choice rules cannot have "Next"',
      location: loc,
    });
  if (Array.isArray(r.And) || Array.isArray(r.Or)) {
    const list = (r.And ?? r.Or) as Record<string, unknown>[];
    if (list.length === 0)
      ps.push({ code: 'SCHEMA_VALIDATION_FAILED', message: 'And/Or must be non-empty', location: loc });
    list.forEach((x, i) => {
      checkRule(x, `${loc}/${r.And ? 'And' : 'Or'}/${i}`, ps, false);
    });
    return;
  }
  if (r.Not !== undefined) {
    checkRule(r.Not as Record<string, unknown>, `${loc}/Not`, ps, false);
    return;
  }
  if (typeof r.Variable !== 'string' || (!isValidPath(r.Variable) && !isVariablePath(r.Variable))) {
    ps.push({
      code: 'SCHEMA_VALIDATION_FAILED',
      message: 'A choice rule needs a valid "Variable" path',
      location: `${loc}/Variable`,
    });
  }
  const ops = Object.keys(r).filter(
    (k) =>
      (COMPARATORS as readonly string[]).includes(k) ||
      (COMPARATORS as readonly string[]).includes(k.replace(/Path$/, '')),
  );
  if (ops.length !== 1)
    ps.push({
      code: 'SCHEMA_VALIDATION_FAILED',
      message: 'A choice rule needs exactly one comparison operator',
      location: loc,
    });
  const op = ops[0];
  if (op) {
    const v = r[op];
    const isPathOp = op.endsWith('Path') && !(COMPARATORS as readonly string[]).includes(op);
    const base = isPathOp ? op.slice(0, -4) : op;
    const bad = isPathOp
      ? typeof v !== 'string' || (!isValidPath(v) && !isVariablePath(v))
      : base.startsWith('Is') || base === 'BooleanEquals'
        ? typeof v !== 'boolean'
        : base.startsWith('Numeric')
          ? typeof v !== 'number'
          : typeof v !== 'string';
    if (bad)
      ps.push({
        code: 'SCHEMA_VALIDATION_FAILED',
        message: `Invalid value for ${op}`,
        location: `${loc}/${op}`,
      });
  }
};
