import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { prng as random } from '../../domain/metrics/traffic.ts';
import { checkTypes } from '../../local/runtime/dynalite-types.ts';

const require = createRequire(import.meta.url);
const dir = require.resolve('dynalite').replace(/index\.js$/, '');
const original = (require(`${dir}validations/index.js`) as { checkTypes: typeof checkTypes }).checkTypes;
const OPERATIONS = [
  'batchGetItem',
  'batchWriteItem',
  'createTable',
  'deleteItem',
  'deleteTable',
  'describeTable',
  'describeTimeToLive',
  'getItem',
  'listTables',
  'putItem',
  'query',
  'scan',
  'tagResource',
  'untagResource',
  'listTagsOfResource',
  'updateItem',
  'updateTable',
];
type Spec = string | { type?: string; children?: unknown };
const typesOf = (op: string) =>
  (require(`${dir}validations/${op}.js`) as { types: Record<string, Spec> }).types;

const ATTRIBUTE = ['S', 'B', 'N', 'BOOL', 'NULL', 'BS', 'NS', 'SS', 'L', 'M'];
/** Values of the wrong shape for some node: what a hostile or mistaken client sends. */
const WRONG: unknown[] = [
  true,
  false,
  0,
  7,
  1.5,
  -2.25,
  'abc',
  'TRUE',
  'no',
  '1',
  'QUJD',
  'QUJ',
  '',
  [],
  [1, 'a'],
  {},
  { x: 1 },
  null,
];

/** A request for `spec`: mostly well-formed, with wrong values at random places. */
function generate(next: () => number, spec: Spec, depth: number): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  if (next() < 0.06 || depth > 5) return pick(WRONG);
  const children = typeof spec === 'string' ? undefined : spec.children;
  const name = typeof spec === 'string' ? spec : spec.type!;
  const m = name.match(/(.+?)<(.+)>$/);
  const type = m ? m[1] : name;
  const struct = (keys: string[], child: (k: string) => Spec) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) if (next() < 0.5) out[k] = generate(next, child(k), depth + 1);
    if (next() < 0.1) out[pick(['extra', 'constructor', 'toString'])] = pick(WRONG);
    return out;
  };
  const many = (child: Spec) =>
    Array.from({ length: Math.floor(next() * 3) }, () => generate(next, child, depth + 1));
  switch (type) {
    case 'Boolean':
      return pick([true, false, 'true', 'No', 'YES', '0', 'maybe']);
    case 'Short':
    case 'Integer':
    case 'Long':
    case 'Double':
      return pick([0, 3, 2.75, -1.5, 100]);
    case 'String':
      return pick(['pk', 'a b', 'ORDER#1', '']);
    case 'Blob':
      return pick(['QUJD', 'AAEC', 'QUJ=', 'QUI=', 'abc']);
    case 'List':
    case 'ParameterizedList':
      return many(typeof children === 'string' ? children : (children as Spec));
    case 'Map':
    case 'ParameterizedMap': {
      const out: Record<string, unknown> = {};
      for (const k of ['a', 'b', 'c'].slice(0, Math.floor(next() * 3)))
        out[k] = generate(next, typeof children === 'string' ? children : (children as Spec), depth + 1);
      return out;
    }
    case 'AttrStruct': {
      // one type key, sometimes two or none (dynalite's custom checks, not these, refuse those)
      const out: Record<string, unknown> = {};
      const key = pick(ATTRIBUTE);
      const child: Spec =
        key === 'L'
          ? { type: 'List', children: 'AttrStruct<ValueStruct>' }
          : key === 'M'
            ? { type: 'Map<AttributeValue>', children: 'AttrStruct<ValueStruct>' }
            : key === 'BOOL' || key === 'NULL'
              ? 'Boolean'
              : key === 'B'
                ? 'Blob'
                : key === 'BS'
                  ? { type: 'List', children: 'Blob' }
                  : key === 'NS' || key === 'SS'
                    ? { type: 'List', children: 'String' }
                    : 'String';
      out[key] = generate(next, child, depth + 1);
      if (next() < 0.1) out[pick(ATTRIBUTE)] = generate(next, 'String', depth + 1);
      return out;
    }
    case 'ValueStruct':
    case 'FieldStruct': {
      const c = children as Record<string, Spec>;
      return struct(Object.keys(c), (k) => c[k]!);
    }
    default:
      throw new Error(`generator: unknown type ${type}`);
  }
}

/** What a check makes of a request: its result and the request as it left it, or its error. */
function outcome(
  check: typeof checkTypes,
  data: Record<string, unknown>,
  types: Record<string, Spec>,
): string {
  const copy = structuredClone(data);
  try {
    const result = check(copy, types as never);
    return JSON.stringify({ result, request: copy });
  } catch (error) {
    const e = error as Error & { statusCode?: number; body?: unknown };
    return JSON.stringify({ error: e.message, statusCode: e.statusCode, body: e.body, request: copy });
  }
}

describe('dynalite’s type checks, ported without their per-value costs', () => {
  it('gives the same result, request and error as dynalite on generated requests for every operation', () => {
    let refused = 0;
    let accepted = 0;
    for (const op of OPERATIONS) {
      const types = typesOf(op);
      for (let seed = 0; seed < 400; seed++) {
        const next = random(seed * 7919 + op.length);
        const data = generate(next, { type: 'FieldStruct', children: types }, 0) as Record<string, unknown>;
        if (typeof data !== 'object' || data === null || Array.isArray(data)) continue;
        const ours = outcome(checkTypes, data, types);
        expect(ours, `${op} seed ${seed}: ${JSON.stringify(data)}`).toBe(outcome(original, data, types));
        if (ours.startsWith('{"error"')) refused++;
        else accepted++;
      }
    }
    // both kinds are well represented, so the comparison covers the errors and the results
    expect(refused).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(1000);
  });

  it('checks a claim-shaped PutItem as dynalite does, converting what dynalite converts', () => {
    const types = typesOf('putItem');
    const request = {
      TableName: 't',
      Item: {
        pk: { S: 'FACT#1' },
        on: { BOOL: 'yes' },
        n: { N: '1' },
        l: { L: [{ M: { a: { NULL: 'TRUE' } } }] },
      },
      ReturnConsumedCapacity: null,
      Unknown: 1,
    };
    const copy = structuredClone(request);
    expect(checkTypes(copy, types as never)).toEqual({
      TableName: 't',
      Item: {
        pk: { S: 'FACT#1' },
        on: { BOOL: true },
        n: { N: '1' },
        l: { L: [{ M: { a: { NULL: true } } }] },
      },
    });
    expect(copy).not.toHaveProperty('Unknown'); // dropped from the request, as dynalite does
    expect(() => checkTypes({ TableName: 't', Item: { pk: { S: 5 } } }, types as never)).toThrow(
      'NUMBER_VALUE cannot be converted to String',
    );
  });
});
