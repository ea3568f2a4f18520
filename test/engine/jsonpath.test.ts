/**
 * The JSONPath subset (local/engine/jsonpath.ts) and how payload.ts reports missing paths:
 * reference paths in dot and bracket notation, indexes, slices, wildcards, unions, descent, filters,
 * `length()`, the context object, ResultPath writes, and error cases. Property tests run with a
 * fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatesError } from '../../local/engine/errors.ts';
import {
  compilePath,
  isReferencePath,
  isValidPath,
  PathMissing,
  query,
  readPath,
  writePath,
} from '../../local/engine/jsonpath.ts';
import { applyPath, evalDynamic, evalTemplate, resolvePath } from '../../local/engine/payload.ts';
import type { Json } from '../../local/engine/types.ts';

const check = <T>(prop: fc.IProperty<T>) => fc.assert(prop, { seed: 20_250_701, numRuns: 300 });

const canonical = (v: unknown) => JSON.parse(JSON.stringify(v)) as Json;

/** `$['k']` with `\` and `'` escaped */
const bracket = (k: string) => `['${k.replace(/[\\']/g, (c) => `\\${c}`)}']`;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const dot = (k: string) => (IDENT.test(k) ? `.${k}` : bracket(k));

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
};

const raw = {
  a: { b: 'ab', 'a b': 1, "it's": 2, 'back\\slash': 3, '': 'empty', 'x.y': 'dotted', '0': 'zero' },
  list: [10, 20, 30, 40, 50],
  items: [
    { id: 1, price: 5, tag: 'red', name: 'pen' },
    { id: 2, price: 15, name: 'book' },
    { id: 3, price: 8, tag: 'blue', name: 'pencil', sub: { id: 30 } },
  ],
  nil: null,
};
const data = raw as unknown as Json;

describe('reference paths', () => {
  it('reads dot, bracket (single/double quoted, escaped) and index forms', () => {
    expect(readPath('$', data)).toBe(data);
    expect(readPath('$.a.b', data)).toBe('ab');
    expect(readPath("$['a']['b']", data)).toBe('ab');
    expect(readPath('$["a"]["b"]', data)).toBe('ab');
    expect(readPath("$.a['a b']", data)).toBe(1);
    expect(readPath("$.a['it\\'s']", data)).toBe(2);
    expect(readPath("$.a['back\\\\slash']", data)).toBe(3);
    expect(readPath("$.a['']", data)).toBe('empty');
    expect(readPath("$.a['x.y']", data)).toBe('dotted');
    expect(readPath('$.a.0', data)).toBe('zero');
    expect(readPath('$.list[0]', data)).toBe(10);
    expect(readPath('$.list[4]', data)).toBe(50);
    expect(readPath('$.list[-1]', data)).toBe(50);
    expect(readPath('$.items[2].sub.id', data)).toBe(30);
    expect(readPath('$.nil', data)).toBeNull();
    expect(readPath('  $.a.b  ', data)).toBe('ab');
  });

  it('reads the context object with $$', () => {
    const ctx = {
      Execution: { Id: 'arn:exec', Input: { k: 1 } },
      State: { Name: 'S' },
      Map: { Item: { Index: 2 } },
    };
    expect(readPath('$$.Execution.Id', data, ctx)).toBe('arn:exec');
    expect(readPath('$$.Execution.Input.k', data, ctx)).toBe(1);
    expect(readPath("$$['State']['Name']", data, ctx)).toBe('S');
    expect(readPath('$$', data, ctx)).toBe(ctx);
    expect(resolvePath('$$.Map.Item.Index', { data, ctx, vars: {} })).toBe(2);
    expect(thrown(() => readPath('$$.Task.Token', data, ctx))).toMatchObject({ path: '$$.Task.Token' });
  });

  it('a missing reference throws PathMissing naming the path', () => {
    for (const p of [
      '$.nope',
      '$.a.b.c',
      '$.list[5]',
      '$.list[-6]',
      '$.a[0]',
      '$.list.x',
      "$.a['A B']",
      '$.nil.x',
    ]) {
      const e = thrown(() => readPath(p, data));
      expect(e, p).toBeInstanceOf(PathMissing);
      expect((e as PathMissing).path).toBe(p);
      expect((e as Error).message).toContain(p);
    }
  });

  it('property: nested keys of any characters read back in bracket and (where possible) dot notation', () => {
    const key = fc.string({
      maxLength: 6,
      unit: fc.constantFrom('a', 'B', '_', '1', ' ', '.', "'", '\\', '[', ']', '"', '$', '(', '@', '*', 'é'),
    });
    check(
      fc.property(fc.array(key, { minLength: 1, maxLength: 5 }), fc.jsonValue(), (keys, value) => {
        let doc: Json = value as Json;
        for (const k of [...keys].reverse()) doc = { [k]: doc, sibling: true } as Json;
        const expected = value as Json;
        expect(readPath(`$${keys.map(bracket).join('')}`, doc)).toEqual(expected);
        expect(readPath(`$${keys.map(dot).join('')}`, doc)).toEqual(expected);
        expect(isReferencePath(`$${keys.map(bracket).join('')}`)).toBe(true);
      }),
    );
  });

  it('property: [i] is Array.prototype.at for -len <= i < len and missing otherwise', () => {
    check(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.integer({ min: -10, max: 10 }), (arr, i) => {
        const doc = { a: arr } as Json;
        if (i >= -arr.length && i < arr.length) expect(readPath(`$.a[${i}]`, doc)).toEqual(arr.at(i));
        else expect(() => readPath(`$.a[${i}]`, doc)).toThrow(PathMissing);
      }),
    );
  });
});

describe('indefinite paths', () => {
  it('wildcards, unions, descent, length()', () => {
    expect(readPath('$.list[*]', data)).toEqual(raw.list);
    expect(readPath('$.a.*', { a: { x: 1, y: [2] } })).toEqual([1, [2]]);
    expect(readPath('$.items[*].name', data)).toEqual(['pen', 'book', 'pencil']);
    expect(readPath('$.list[0,2,-1]', data)).toEqual([10, 30, 50]);
    expect(readPath("$.items[0]['id','name']", data)).toEqual([1, 'pen']);
    expect(readPath('$..id', data)).toEqual([1, 2, 3, 30]);
    expect(readPath('$.items..sub.id', data)).toEqual([30]);
    expect(readPath('$.list.length()', data)).toBe(5);
    expect(readPath('$.a.b.length()', data)).toBe(2);
    // an indefinite path that matches nothing is an empty list, not an error
    expect(readPath('$.none[*]', data)).toEqual([]);
    expect(readPath('$..nothing', data)).toEqual([]);
    expect(query('$.list[*]', data)).toEqual(raw.list);
  });

  it('filters: comparisons, existence, &&, ||, regex, comparing two fields', () => {
    const names = (p: string) => (readPath(p, data) as { name: string }[]).map((x) => x.name);
    expect(names('$.items[?(@.price < 10)]')).toEqual(['pen', 'pencil']);
    expect(names('$.items[?(@.price >= 8)]')).toEqual(['book', 'pencil']);
    expect(names("$.items[?(@.tag == 'red')]")).toEqual(['pen']);
    expect(names("$.items[?(@.name != 'book')]")).toEqual(['pen', 'pencil']);
    expect(names('$.items[?(@.tag)]')).toEqual(['pen', 'pencil']);
    expect(names("$.items[?(@.price < 10 && @.tag == 'blue')]")).toEqual(['pencil']);
    expect(names("$.items[?(@.price > 10 || @.tag == 'red')]")).toEqual(['pen', 'book']);
    expect(names('$.items[?(@.name =~ /^pen/)]')).toEqual(['pen', 'pencil']);
    expect(names('$.items[?(@.id < @.price)]')).toEqual(['pen', 'book', 'pencil']);
    expect(readPath('$.items[?(@.price < 10)].id', data)).toEqual([1, 3]);
  });

  it('property: [start:end] is Array.prototype.slice; [start:end:step] keeps every step-th of it', () => {
    const bound = fc.option(fc.integer({ min: -12, max: 12 }), { nil: undefined });
    check(
      fc.property(
        fc.array(fc.integer(), { maxLength: 10 }),
        bound,
        bound,
        fc.integer({ min: 1, max: 4 }),
        (arr, s, e, step) => {
          const doc = { a: arr };
          const range = `${s ?? ''}:${e ?? ''}`;
          const sliced = arr.slice(s, e);
          expect(readPath(`$.a[${range}]`, doc)).toEqual(sliced);
          expect(readPath(`$.a[${range}:${step}]`, doc)).toEqual(sliced.filter((_, i) => i % step === 0));
        },
      ),
    );
  });

  it('property: [*] and descent agree with a direct walk', () => {
    check(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const doc = canonical(v);
        const expectedStar = Array.isArray(doc)
          ? doc
          : doc !== null && typeof doc === 'object'
            ? Object.values(doc)
            : [];
        expect(readPath('$[*]', doc)).toEqual(expectedStar);
        const found: Json[] = [];
        const walk = (x: Json) => {
          if (Array.isArray(x)) x.forEach(walk);
          else if (x !== null && typeof x === 'object') {
            if (Object.hasOwn(x, 'k')) found.push(x.k!);
            Object.values(x).forEach(walk);
          }
        };
        walk(doc);
        expect(readPath('$..k', doc)).toEqual(found);
      }),
    );
  });
});

describe('path syntax', () => {
  it('accepts valid paths and rejects malformed ones', () => {
    for (const p of [
      '$',
      '$$',
      '$.a',
      "$['a']",
      '$.a[0]',
      '$..a',
      '$.a[*]',
      '$.a[1:2]',
      '$.a[?(@.x)]',
      '$.a.length()',
    ]) {
      expect(isValidPath(p), p).toBe(true);
    }
    for (const p of ['a.b', '', '$.', '$.a[', "$['a]", '$.a]', '$a b[', '$.a[?(@.x]']) {
      expect(isValidPath(p), p).toBe(false);
    }
    expect(() => compilePath('a.b')).toThrow(/must start with \$/);
  });

  it('reference paths are only names and indexes', () => {
    for (const p of ['$', '$.a.b', "$['a b'].c", '$.a[0][-1]', '$$.Execution.Id'])
      expect(isReferencePath(p), p).toBe(true);
    for (const p of ['$.a[*]', '$..a', '$.a[1:2]', '$.a[0,1]', '$.a[?(@.x)]', '$.a.length()', 'nope']) {
      expect(isReferencePath(p), p).toBe(false);
    }
  });
});

describe('ResultPath writes (writePath)', () => {
  const deepFreeze = <T>(v: T): T => {
    if (v && typeof v === 'object') {
      Object.freeze(v);
      for (const x of Object.values(v)) deepFreeze(x);
    }
    return v;
  };

  it('writes into a copy, creating missing objects, keeping everything else', () => {
    const input = deepFreeze({ a: { b: 1, keep: true }, list: [{ x: 1 }, { x: 2 }], other: 'o' }) as Json;
    expect(writePath('$', input, 7)).toBe(7);
    expect(writePath('$.a.b', input, 2)).toEqual({
      a: { b: 2, keep: true },
      list: [{ x: 1 }, { x: 2 }],
      other: 'o',
    });
    expect(writePath('$.new.deep.er', input, 'v')).toMatchObject({ new: { deep: { er: 'v' } }, other: 'o' });
    expect(writePath('$.list[1].x', input, 9)).toMatchObject({ list: [{ x: 1 }, { x: 9 }] });
    expect(writePath('$.list[-1]', input, 'last')).toMatchObject({ list: [{ x: 1 }, 'last'] });
    expect(writePath('$.list[-2].y', input, 0)).toMatchObject({ list: [{ x: 1, y: 0 }, { x: 2 }] });
    expect(writePath("$['a b']", {}, 1)).toEqual({ 'a b': 1 });
    const proto = writePath('$.__proto__', {}, { polluted: true }) as Record<string, unknown>;
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fails with States.ReferencePathConflict (as AWS names it) where the path cannot be written', () => {
    const cases: [string, Json][] = [
      ['$.a.b', { a: 'text' }],
      ['$.a.b', { a: null }],
      ['$.a', 'scalar'],
      ['$.list[5]', { list: [1] }],
      ['$.list[-2]', { list: [1] }],
      ['$.list[0].x', { list: [1] }],
      ['$.list.x', { list: [] }],
      ['$.a[0]', { a: {} }],
      ['$.a[*]', { a: [] }],
      ['$$.x', {}],
    ];
    for (const [p, doc] of cases) {
      const e = thrown(() => writePath(p, doc, 1));
      expect(e, p).toBeInstanceOf(StatesError);
      expect((e as StatesError).error, p).toBe('States.ReferencePathConflict');
      expect((e as StatesError).cause, p).toMatch(/^(Unable to apply|Invalid ResultPath)/);
    }
    // AWS's recorded wordings (see test/engine/aws-history-causes.test.ts for the sources)
    const cause = (p: string, doc: Json) => (thrown(() => writePath(p, doc, 1)) as StatesError).cause;
    expect(cause('$.a', 'scalar')).toBe('Unable to apply ReferencePath $.a to input "scalar"');
    expect(cause('$.a.b', { a: 'text' })).toBe('Unable to apply step "b" to input {"a":"text"}');
    expect(cause('$.list.x', { list: [] })).toBe('Unable to apply step "x" to input {"list":[]}');
    expect(cause('$.list[0].x', { list: [1] })).toBe('Unable to apply step "x" to input {"list":[1]}');
  });

  it('property: what is written is read back; the input is never mutated', () => {
    const key = fc.string({ minLength: 1, maxLength: 4, unit: fc.constantFrom('a', 'b', ' ', "'", '.') });
    check(
      fc.property(
        fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        fc.array(key, { minLength: 1, maxLength: 4 }),
        fc.jsonValue({ maxDepth: 2 }),
        (doc0, keys, value) => {
          const doc = deepFreeze(canonical(doc0));
          const before = JSON.stringify(doc);
          const path = `$${keys.map(bracket).join('')}`;
          let out: Json;
          try {
            out = writePath(path, doc, value as Json);
          } catch (e) {
            // only when the path runs into a non-object
            expect((e as StatesError).error).toBe('States.ReferencePathConflict');
            return;
          }
          expect(readPath(path, out)).toEqual(value);
          expect(JSON.stringify(doc)).toBe(before);
          for (const k of Object.keys(doc as object)) {
            if (k !== keys[0])
              expect((out as Record<string, Json>)[k]).toBe((doc as Record<string, Json>)[k]);
          }
        },
      ),
    );
  });
});

describe('missing paths in payload templates and InputPath/OutputPath', () => {
  const scope = {
    data: { order: { id: 'o-1' } },
    ctx: { Execution: { Id: 'arn:x' } },
    vars: { v: { n: 1 } },
  };

  // AWS fails a payload template path that matches nothing with States.Runtime (not
  // States.ParameterPathFailure): "The JSONPath '$.x' specified for the field 'k.$' could not be found
  // in the input '…'" (recorded against AWS; the cause of a real execution adds the state prefix).
  it('Parameters: States.Runtime naming the field and the path', () => {
    expect(
      evalTemplate(
        { 'id.$': '$.order.id', 'exec.$': '$$.Execution.Id', 'n.$': '$v.n', k: { 'x.$': '$.order' } },
        scope,
      ),
    ).toEqual({
      id: 'o-1',
      exec: 'arn:x',
      n: 1,
      k: { x: { id: 'o-1' } },
    });
    const e = thrown(() => evalTemplate({ 'total.$': '$.order.total' }, scope)) as StatesError;
    expect(e).toBeInstanceOf(StatesError);
    expect(e.error).toBe('States.Runtime');
    expect(e.cause).toBe(
      `The JSONPath '$.order.total' specified for the field 'total.$' could not be found in the input '{"order":{"id":"o-1"}}'`,
    );
    const v = thrown(() =>
      evalDynamic('$missing.x', scope, 'f.$', 'States.ParameterPathFailure'),
    ) as StatesError;
    expect(v.error).toBe('States.ParameterPathFailure');
    expect(v.cause).toContain("'$missing.x'");
  });

  // AWS: "Invalid path '$.Payload' : No results for path: $['Payload']" (its JSONPath library's words)
  it('InputPath/OutputPath: States.Runtime naming the path; null means {}', () => {
    expect(applyPath('$.order', scope.data, scope, 'InputPath')).toEqual({ id: 'o-1' });
    expect(applyPath(null, scope.data, scope, 'InputPath')).toEqual({});
    expect(applyPath(undefined, scope.data, scope, 'InputPath')).toBe(scope.data);
    const e = thrown(() => applyPath('$.nope', scope.data, scope, 'OutputPath')) as StatesError;
    expect(e.error).toBe('States.Runtime');
    expect(e.cause).toBe("Invalid path '$.nope' : No results for path: $['nope']");
    const deep = thrown(() =>
      applyPath("$.order['a b'][2].c", scope.data, scope, 'InputPath'),
    ) as StatesError;
    expect(deep.cause).toBe(
      "Invalid path '$.order['a b'][2].c' : No results for path: $['order']['a b'][2]['c']",
    );
  });
});
