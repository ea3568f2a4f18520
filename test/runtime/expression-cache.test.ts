import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cacheParses, expressionCacheStats, type Parser } from '../../local/runtime/expression-cache.ts';
import '../../local/runtime/dynalite-store.ts'; // installs the cache on dynalite's parsers

const require = createRequire(import.meta.url);
const dir = require.resolve('dynalite').replace(/index\.js$/, '');
const validations = require(`${dir}validations/index.js`) as {
  validateExpressions(data: Record<string, unknown>): string | undefined;
};
const parsers = ['conditionParser', 'updateParser', 'projectionParser'].map(
  (p) => require(`${dir}db/${p}.js`) as Parser & { parse: { original?: Parser['parse'] } },
);

/** What dynalite's validation makes of a request: its error, or the trees it keeps on the request. */
function validate(request: Record<string, unknown>): string {
  const data = structuredClone(request);
  const error = validations.validateExpressions(data);
  return JSON.stringify({
    error,
    trees: ['_condition', '_updates', '_keyCondition', '_filter', '_projection'].map((k) => data[k]),
  });
}

/** The same validation with dynalite's own parsers (the cache taken off for the call). */
function validateUncached(request: Record<string, unknown>): string {
  const wrapped = parsers.map((p) => p.parse);
  parsers.forEach((p, i) => {
    p.parse = wrapped[i]!.original!;
  });
  try {
    return validate(request);
  } finally {
    parsers.forEach((p, i) => {
      p.parse = wrapped[i]!;
    });
  }
}

const s = (v: string) => ({ S: v });
const n = (v: string) => ({ N: v });
/** Requests as the app and its tools send them; each comes twice with other values of the same types. */
const cases: Array<[string, (i: number) => Record<string, unknown>]> = [
  ['a claim', () => ({ ConditionExpression: 'attribute_not_exists(pk)' })],
  [
    'mark published',
    (i) => ({
      UpdateExpression: 'SET #status = :published, publishedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':published': s(`PUBLISHED${i}`), ':at': s(`2026-12-0${i + 1}`) },
    }),
  ],
  [
    'a lease takeover',
    (i) => ({
      UpdateExpression: 'SET leaseUntil = :lease',
      ConditionExpression: '#status = :received AND leaseUntil < :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':lease': s(`L${i}`), ':received': s('RECEIVED'), ':now': s(`N${i}`) },
    }),
  ],
  [
    'a counter',
    (i) => ({
      UpdateExpression:
        'SET #n = if_not_exists(#n, :zero) + :one, items = list_append(items, :l) ADD tags :t REMOVE old',
      ExpressionAttributeNames: { '#n': 'count' },
      ExpressionAttributeValues: {
        ':zero': n('0'),
        ':one': n(String(i + 1)),
        ':l': { L: [s('x')] },
        ':t': { SS: [`t${i}`] },
      },
    }),
  ],
  [
    'a query',
    (i) => ({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#t = :t OR size(#list) > :n',
      ProjectionExpression: '#t, sk, #list[0].a',
      ExpressionAttributeNames: { '#t': 'type', '#list': 'list' },
      ExpressionAttributeValues: {
        ':pk': s(`P${i}`),
        ':prefix': s('ORDER#'),
        ':t': s('x'),
        ':n': n(String(i)),
      },
    }),
  ],
  [
    'a value left unused',
    (i) => ({
      ConditionExpression: 'a = :a',
      ExpressionAttributeValues: { ':a': s(`a${i}`), ':unused': s('b') },
    }),
  ],
  [
    'a name left unused',
    () => ({ ConditionExpression: '#a = b', ExpressionAttributeNames: { '#a': 'a', '#b': 'b' } }),
  ],
  [
    'a reserved word',
    (i) => ({ UpdateExpression: 'SET status = :v', ExpressionAttributeValues: { ':v': s(`${i}`) } }),
  ],
  [
    'an undefined value',
    (i) => ({ ConditionExpression: 'a = :missing', ExpressionAttributeValues: { ':a': s(`${i}`) } }),
  ],
  [
    'begins_with on a number',
    (i) => ({ ConditionExpression: 'begins_with(a, :p)', ExpressionAttributeValues: { ':p': n(`${i}`) } }),
  ],
  [
    'begins_with on a string',
    (i) => ({ ConditionExpression: 'begins_with(a, :p)', ExpressionAttributeValues: { ':p': s(`${i}`) } }),
  ],
  [
    'BETWEEN (bounds in order, then not)',
    (i) => ({
      ConditionExpression: 'a BETWEEN :lo AND :hi',
      ExpressionAttributeValues: { ':lo': n(i === 0 ? '1' : '9'), ':hi': n('5') },
    }),
  ],
  [
    'attribute_type',
    (i) => ({
      ConditionExpression: 'attribute_type(a, :t)',
      ExpressionAttributeValues: { ':t': s(i === 0 ? 'S' : 'Q') },
    }),
  ],
  ['a syntax error', () => ({ ConditionExpression: 'a = = b' })],
  ['redundant parentheses', () => ({ ConditionExpression: '((a = b))' })],
];

describe('dynalite expressions parsed once', () => {
  it.each(cases)('%s: the same error or trees as dynalite, first time and cached', (_name, request) => {
    for (const i of [0, 1, 2]) expect(validate(request(i))).toBe(validateUncached(request(i)));
  });

  it('answers a repeated expression from the cache, with its own values in the tree', () => {
    const before = { ...expressionCacheStats };
    const tree = (i: number) =>
      validate({
        UpdateExpression: 'SET cachedProbe = :v',
        ExpressionAttributeValues: { ':v': s(`value-${i}`) },
      });
    expect(tree(1)).toContain('value-1');
    expect(tree(2)).toContain('value-2');
    expect(tree(2)).not.toContain('value-1');
    expect(expressionCacheStats.misses - before.misses).toBe(1);
    expect(expressionCacheStats.hits - before.hits).toBe(2);
  });

  it('wraps a parser once', () => {
    const parser = parsers[0]!;
    const wrapped = parser.parse;
    cacheParses(parser);
    expect(parser.parse).toBe(wrapped);
  });
});
