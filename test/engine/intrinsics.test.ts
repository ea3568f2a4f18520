/**
 * Intrinsic functions (local/engine/intrinsics.ts): parsing (literals, escapes, paths, nesting),
 * every function's result, properties that must hold for any input, and the failure cases
 * (States.IntrinsicFailure). Property tests run with a fixed seed.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatesError } from '../../local/engine/errors.ts';
import { checkIntrinsic, evalIntrinsic, isIntrinsic } from '../../local/engine/intrinsics.ts';
import { resolvePath } from '../../local/engine/payload.ts';
import type { Json } from '../../local/engine/types.ts';
import { deepEqual } from '../../local/engine/types.ts';

const check = <T>(prop: fc.IProperty<T>) => fc.assert(prop, { seed: 424_242, numRuns: 200 });

/** Evaluate as the engine does: `$` paths read `data`, `$$` the context, `$name` variables. */
const run = (expr: string, data: unknown = {}, vars: Record<string, Json> = {}) =>
  evalIntrinsic(expr, (p) =>
    resolvePath(p, { data: data as Json, ctx: { Execution: { Id: 'arn:x' } }, vars }),
  );

/** A string as an intrinsic literal: `\`, `'`, `{`, `}` escaped. */
const lit = (s: string) => `'${s.replace(/[\\'{}]/g, (c) => `\\${c}`)}'`;

const failure = (expr: string, data: unknown = {}): StatesError => {
  try {
    run(expr, data);
  } catch (e) {
    expect(e).toBeInstanceOf(StatesError);
    return e as StatesError;
  }
  throw new Error(`expected ${expr} to fail`);
};

const canonical = (v: unknown) => JSON.parse(JSON.stringify(v)) as Json;

/** any Unicode text (no lone surrogates: they have no UTF-8 form) */
const codePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));
const unicode = (maxLength: number) =>
  fc.string({ maxLength, unit: fc.oneof(codePoint, fc.constantFrom('a', ' ', '"')) });

describe('parsing', () => {
  it('literals, paths, variables, the context object and nesting', () => {
    expect(isIntrinsic("States.Format('x')")).toBe(true);
    expect(isIntrinsic('  States.UUID()')).toBe(true);
    expect(isIntrinsic('$.a')).toBe(false);
    expect(run("States.Array('a', 1, -2.5, 1e3, true, false, null)")).toEqual([
      'a',
      1,
      -2.5,
      1000,
      true,
      false,
      null,
    ]);
    expect(run('States.Array()')).toEqual([]);
    expect(
      run(
        "States.Array($.a, $['b c'], $.list[1], $$.Execution.Id, $v.n)",
        { a: 1, 'b c': 2, list: [0, 3] },
        { v: { n: 4 } },
      ),
    ).toEqual([1, 2, 3, 'arn:x', 4]);
    expect(run("States.Array( $.a ,'x' , States.MathAdd( 1 , 2 ) )", { a: 0 })).toEqual([0, 'x', 3]);
    expect(run('States.ArrayLength(States.Array(1, States.Array(2, 3)))')).toBe(2);
    expect(
      run("States.Array($.m[?(@.k == 'a,b')].v)", {
        m: [
          { k: 'a,b', v: 1 },
          { k: 'c', v: 2 },
        ],
      }),
    ).toEqual([[1]]);
  });

  it("escapes in literals: \\' \\{ \\} \\\\ are characters; anything else after a backslash is invalid", () => {
    expect(run("States.Array('it\\'s', '\\{\\}', 'back\\\\slash')")).toEqual(["it's", '{}', 'back\\slash']);
    expect(run("States.Format('\\{\\} {} \\'q\\'', 'x')")).toBe("{} x 'q'");
    expect(run("States.Format('\\\\{}', 'x')")).toBe('\\x');
    expect(run("States.Format('\\\\\\\\')")).toBe('\\\\');
    expect(checkIntrinsic("States.Format('a\\nb')")).toMatch(/invalid escape/);
    expect(checkIntrinsic("States.Format('a\\')")).toMatch(/invalid escape|unterminated/);
  });

  it('property: any string survives literal escaping, in Format and in other functions', () => {
    const s = fc.string({
      maxLength: 30,
      unit: fc.constantFrom('a', ' ', '\\', "'", '{', '}', '{}', ',', ')', '$', 'é'),
    });
    check(
      fc.property(s, (str) => {
        expect(run(`States.Format(${lit(str)})`)).toBe(str);
        expect(run(`States.Array(${lit(str)})`)).toEqual([str]);
        expect(run(`States.Format('{}|{}', ${lit(str)}, ${lit(str)})`)).toBe(`${str}|${str}`);
      }),
    );
  });

  it('rejects malformed invocations (validation reports them; evaluation fails with States.IntrinsicFailure)', () => {
    const bad = [
      'States.Nope(1)',
      'States.Format(',
      "States.Format('x'",
      "States.Format('x') trailing",
      'States.Array(1 2)',
      'States.Array(@)',
      "States.Format('unterminated)",
    ];
    for (const expr of bad) {
      expect(checkIntrinsic(expr), expr).not.toBeNull();
      expect(failure(expr).error, expr).toBe('States.IntrinsicFailure');
    }
    expect(checkIntrinsic("States.Format('ok {}', $.x)")).toBeNull();
  });
});

describe('functions', () => {
  it('States.Format: values in order; the template may come from a path; argument count must match', () => {
    expect(run("States.Format('Hello, my name is {}.', $.name)", { name: 'Arnav' })).toBe(
      'Hello, my name is Arnav.',
    );
    expect(run("States.Format($.t, $.name, 'B')", { t: 'Hi {}, {}', name: 'A' })).toBe('Hi A, B');
    expect(run("States.Format('{}{}{}{}', 1, 2.5, true, null)")).toBe('12.5truenull');
    expect(failure("States.Format('{} {}', 1)").cause).toMatch(/2 placeholders but 1 values/);
    expect(failure("States.Format('{}', 1, 2)").error).toBe('States.IntrinsicFailure');
    // objects and arrays are rendered as Java prints maps and lists (recorded: LocalStack's
    // AWS-validated test_generic test_format_2, {"Arg1": 1, "Arg2": []} → {Arg1=1, Arg2=[]}; decision 45)
    expect(run("States.Format('{} {}', $.o, $.a)", { o: { a: 1, b: 'x' }, a: [1, [2]] })).toBe(
      '{a=1, b=x} [1, [2]]',
    );
    expect(failure('States.Format(1)').error).toBe('States.IntrinsicFailure');
  });

  it('property: States.StringToJson(States.JsonToString(x)) round-trips any JSON value', () => {
    check(
      fc.property(fc.jsonValue(), (v) => {
        const x = canonical(v);
        expect(run('States.JsonToString($.x)', { x })).toBe(JSON.stringify(x));
        expect(run('States.StringToJson(States.JsonToString($.x))', { x })).toEqual(x);
      }),
    );
    expect(failure("States.StringToJson('{nope')").error).toBe('States.IntrinsicFailure');
    expect(failure('States.StringToJson(1)').error).toBe('States.IntrinsicFailure');
    // the empty string is null on AWS
    expect(run("States.StringToJson('')")).toBeNull();
    expect(run('States.StringToJson($.s)', { s: '' })).toBeNull();
  });

  it('property: States.ArrayPartition chunks have the given size (the last may be shorter) and re-concatenate to the input', () => {
    check(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        (a, size) => {
          const arr = canonical(a) as Json[];
          const chunks = run('States.ArrayPartition($.a, $.n)', { a: arr, n: size }) as Json[][];
          expect(chunks.flat(1)).toEqual(arr);
          expect(chunks).toHaveLength(Math.ceil(arr.length / size));
          chunks.forEach((c, i) => {
            if (i < chunks.length - 1) expect(c).toHaveLength(size);
            else expect(c.length >= 1 && c.length <= size).toBe(true);
          });
        },
      ),
    );
    for (const n of [0, -1, 1.5, '2']) {
      expect(failure('States.ArrayPartition($.a, $.n)', { a: [1], n: n }).error).toBe(
        'States.IntrinsicFailure',
      );
    }
  });

  it('property: States.ArrayUnique is idempotent, keeps first occurrences in order, and drops only duplicates', () => {
    const item = fc.oneof(
      fc.integer({ min: 0, max: 3 }),
      fc.constantFrom('a', 'b'),
      fc.constant(null),
      fc.constantFrom({ k: 1 }, [1]),
    );
    check(
      fc.property(fc.array(item, { maxLength: 20 }), (a) => {
        const arr = canonical(a) as Json[];
        const u = run('States.ArrayUnique($.a)', { a: arr }) as Json[];
        expect(run('States.ArrayUnique($.u)', { u })).toEqual(u);
        for (const x of arr) expect(u.some((y) => deepEqual(x, y))).toBe(true);
        u.forEach((x, i) => {
          expect(u.findIndex((y) => deepEqual(x, y))).toBe(i);
        });
        const firsts = arr.filter((x, i) => arr.findIndex((y) => deepEqual(x, y)) === i);
        expect(u).toEqual(firsts);
      }),
    );
  });

  it('arrays: States.Array, ArrayContains, ArrayRange, ArrayGetItem, ArrayLength', () => {
    check(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 1 }), { minLength: 1, maxLength: 10 }),
        fc.nat(),
        (a, n) => {
          const arr = canonical(a) as Json[];
          const i = n % arr.length;
          expect(run('States.ArrayLength($.a)', { a: arr })).toBe(arr.length);
          expect(run('States.ArrayGetItem($.a, $.i)', { a: arr, i })).toEqual(arr[i]);
          expect(run('States.ArrayContains($.a, $.x)', { a: arr, x: arr[i] })).toBe(true);
          expect(run('States.ArrayContains($.a, $.x)', { a: arr, x: { absent: 'marker' } })).toBe(false);
        },
      ),
    );
    expect(run('States.ArrayRange(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
    expect(run('States.ArrayRange(5, 1, -2)')).toEqual([5, 3, 1]);
    expect(run('States.ArrayRange(0, 999, 1)')).toHaveLength(1000);
    expect(failure('States.ArrayRange(0, 1000, 1)').cause).toMatch(/1000/);
    expect(failure('States.ArrayRange(1, 2, 0)').error).toBe('States.IntrinsicFailure');
    expect(failure('States.ArrayGetItem($.a, 3)', { a: [1] }).error).toBe('States.IntrinsicFailure');
    expect(failure('States.ArrayLength($.a)', { a: 'x' }).error).toBe('States.IntrinsicFailure');
    expect(failure('States.ArrayContains($.a, 1)', { a: {} }).error).toBe('States.IntrinsicFailure');
  });

  it('property: States.ArrayRange(s, e, step) counts from s by step up to e (inclusive)', () => {
    check(
      fc.property(
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 1, max: 7 }),
        (s, e, st) => {
          const step = e >= s ? st : -st;
          const expected: number[] = [];
          for (let x = s; step > 0 ? x <= e : x >= e; x += step) expected.push(x);
          expect(run(`States.ArrayRange(${s}, ${e}, ${step})`)).toEqual(expected);
        },
      ),
    );
  });

  it('property: States.MathAdd is integer addition; non-integers are rounded first (AWS)', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    check(
      fc.property(int32, int32, (a, b) => {
        expect(run('States.MathAdd($.a, $.b)', { a, b })).toBe(a + b);
        expect(run(`States.MathAdd(${a}, ${b})`)).toBe(a + b);
      }),
    );
    expect(run('States.MathAdd(111, -1)')).toBe(110);
    expect(run('States.MathAdd($.a, $.b)', { a: 1.5, b: 2.4 })).toBe(4);
    expect(run('States.MathAdd($.a, 0)', { a: -2.5 })).toBe(-2);
    expect(failure("States.MathAdd('1', 2)").error).toBe('States.IntrinsicFailure');
    expect(failure('States.MathAdd(1)').error).toBe('States.IntrinsicFailure');
  });

  it('States.MathRandom: an integer in [start, end); reproducible with a seed', () => {
    check(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer(),
        (s, width, seed) => {
          const e = s + width;
          const r = run(`States.MathRandom(${s}, ${e}, ${seed})`) as number;
          expect(Number.isInteger(r) && r >= s && r < e).toBe(true);
          expect(run(`States.MathRandom(${s}, ${e}, ${seed})`)).toBe(r);
          const u = run(`States.MathRandom(${s}, ${e})`) as number;
          expect(Number.isInteger(u) && u >= s && u < e).toBe(true);
        },
      ),
    );
    expect(failure('States.MathRandom(5, 5)').error).toBe('States.IntrinsicFailure');
    expect(failure('States.MathRandom(1, 5, 1.5)').error).toBe('States.IntrinsicFailure');
  });

  it('property: States.Base64Decode(States.Base64Encode(s)) = s; the encoding is standard base64 of UTF-8', () => {
    check(
      fc.property(unicode(64), (s) => {
        const enc = run('States.Base64Encode($.s)', { s }) as string;
        expect(enc).toBe(Buffer.from(s, 'utf8').toString('base64'));
        expect(run('States.Base64Decode($.e)', { e: enc })).toBe(s);
        expect(run('States.Base64Decode(States.Base64Encode($.s))', { s })).toBe(s);
      }),
    );
    expect(run("States.Base64Encode('Data to encode')")).toBe('RGF0YSB0byBlbmNvZGU=');
    expect(failure('States.Base64Encode($.s)', { s: 'x'.repeat(10_001) }).error).toBe(
      'States.IntrinsicFailure',
    );
    expect(run('States.Base64Encode($.s)', { s: 'x'.repeat(10_000) })).toHaveLength(13_336);
    expect(failure('States.Base64Decode(1)').error).toBe('States.IntrinsicFailure');
  });

  it('property: States.Hash equals node:crypto for every algorithm', () => {
    const algs = {
      MD5: 'md5',
      'SHA-1': 'sha1',
      'SHA-256': 'sha256',
      'SHA-384': 'sha384',
      'SHA-512': 'sha512',
    } as const;
    check(
      fc.property(unicode(100), fc.constantFrom(...Object.keys(algs)), (s, alg) => {
        const expected = createHash(algs[alg as keyof typeof algs])
          .update(s, 'utf8')
          .digest('hex');
        expect(run('States.Hash($.s, $.alg)', { s, alg })).toBe(expected);
      }),
    );
    expect(run("States.Hash('input data', 'SHA-1')")).toBe('aaff4a450a104cd177d28d18d74485e8cae074b7');
    expect(failure("States.Hash('x', 'SHA-3')").cause).toMatch(/unsupported algorithm/);
    expect(failure("States.Hash($.n, 'MD5')", { n: null }).error).toBe('States.IntrinsicFailure');
    expect(failure("States.Hash($.s, 'MD5')", { s: 'x'.repeat(10_001) }).error).toBe(
      'States.IntrinsicFailure',
    );
  });

  it('States.JsonMerge: shallow merge, the second object wins; deep merge is rejected', () => {
    expect(
      run('States.JsonMerge($.a, $.b, false)', { a: { x: { p: 1 }, y: 1 }, b: { x: { q: 2 }, z: 3 } }),
    ).toEqual({
      x: { q: 2 },
      y: 1,
      z: 3,
    });
    expect(failure('States.JsonMerge($.a, $.b, true)', { a: {}, b: {} }).error).toBe(
      'States.IntrinsicFailure',
    );
    expect(failure('States.JsonMerge($.a, $.b, false)', { a: [], b: {} }).error).toBe(
      'States.IntrinsicFailure',
    );
  });

  it('property: States.StringSplit splits on every delimiter character and drops empty parts', () => {
    const str = fc.string({ maxLength: 30, unit: fc.constantFrom('a', 'b', ',', '.', '+', ' ') });
    const delims = fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom(',', '.', '+', ' ') });
    check(
      fc.property(str, delims, (s, d) => {
        const parts = run('States.StringSplit($.s, $.d)', { s, d }) as string[];
        const expected = s.split(new RegExp(`[${d.replace(/[\\\]^-]/g, '\\$&')}]`)).filter(Boolean);
        expect(parts).toEqual(expected);
      }),
    );
    expect(run("States.StringSplit('This.is+a,test=string', '.+,=')")).toEqual([
      'This',
      'is',
      'a',
      'test',
      'string',
    ]);
    expect(failure('States.StringSplit(1, $.d)', { d: ',' }).error).toBe('States.IntrinsicFailure');
  });

  it('States.UUID: a v4 UUID, different every call', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const u = run('States.UUID()') as string;
      expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(u);
    }
    expect(seen.size).toBe(200);
    expect(failure('States.UUID(1)').error).toBe('States.IntrinsicFailure');
  });

  it('a path argument that does not exist is reported by the caller (PathMissing), not as an intrinsic failure', () => {
    expect(() => run('States.ArrayLength($.missing)', {})).toThrow(/\$\.missing/);
  });
});
