/**
 * dynalite parses every ConditionExpression, UpdateExpression, KeyConditionExpression,
 * FilterExpression and ProjectionExpression with its PEG parsers on every request: ~9% of the
 * runtime's main thread under the webhooks bench, for the same few expressions an app sends over
 * and over (`attribute_not_exists(pk)`, `SET #status = :published, publishedAt = :at`).
 *
 * `cacheParses(parser)` wraps a parser's `parse(input, { context })` so that a successful parse is
 * kept as a template and the next request with the same expression, the same attribute names and
 * values of the same DynamoDB types gets a fresh copy of the tree with its own values in the
 * slots, and the same effect on the request's context (the names and values the expression uses
 * are marked used, so the "unused in expressions" errors come out as before). What is not cached:
 * - parses that fail (a thrown syntax error, or the error text dynalite's parsers return);
 * - expressions with BETWEEN or attribute_type, whose checks read the values themselves (bound
 *   order, the type name) and not only their types; every other check reads a value's type alone;
 * - trees holding anything but plain objects, arrays and scalars.
 * The tree a parse returns is never kept itself (dynalite may change what it is given): the
 * template is a copy.
 */

type Context = {
  attrNames?: Record<string, string>;
  attrVals?: Record<string, unknown>;
  unusedAttrNames?: Record<string, boolean>;
  unusedAttrVals?: Record<string, boolean>;
  [k: string]: unknown;
};
type Parse = (input: string, options?: { context?: Context }) => unknown;
export interface Parser {
  parse: Parse;
}

/** A value's slot in a template: filled with the request's value of that name. */
class Slot {
  constructor(readonly name: string) {}
}

interface Template {
  readonly tree: unknown;
  readonly names: readonly string[];
  readonly vals: readonly string[];
}

/** Expressions whose checks read the values themselves, not only their types. */
const VALUE_DEPENDENT = /between|attribute_type/i;
const MAX_TEMPLATES = 1000;
const TYPES = ['S', 'N', 'B', 'NULL', 'BOOL', 'SS', 'NS', 'BS', 'L', 'M'];

const immediateType = (v: unknown): string => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return '?';
  for (const t of TYPES) if ((v as Record<string, unknown>)[t] != null) return t;
  return '?';
};

export const expressionCacheStats = { hits: 0, misses: 0, uncacheable: 0 };

/** Wraps `parser.parse` (once) with the cache described above. */
export function cacheParses(parser: Parser): void {
  const original = parser.parse as Parse & { cached?: true };
  if (original.cached) return;
  const templates = new Map<string, Template>();
  const parse = function (this: unknown, input: string, options?: { context?: Context }): unknown {
    const context = options?.context;
    if (!context || typeof input !== 'string' || VALUE_DEPENDENT.test(input)) {
      expressionCacheStats.uncacheable++;
      return original.call(this, input, options);
    }
    const names = context.attrNames;
    const vals = context.attrVals;
    const key = `${input}\u0000${names ? JSON.stringify(names) : ''}\u0000${
      vals
        ? Object.keys(vals)
            .map((k) => `${k}=${immediateType(vals[k])}`)
            .join(',')
        : ''
    }`;
    const hit = templates.get(key);
    if (hit) {
      expressionCacheStats.hits++;
      for (const n of hit.names) if (context.unusedAttrNames) delete context.unusedAttrNames[n];
      for (const v of hit.vals) if (context.unusedAttrVals) delete context.unusedAttrVals[v];
      return fill(hit.tree, vals ?? {});
    }
    expressionCacheStats.misses++;
    // Parsed against fresh "unused" maps, to learn which names and values this expression uses.
    const unusedNames: Record<string, boolean> = Object.create(null);
    const unusedVals: Record<string, boolean> = Object.create(null);
    for (const k of Object.keys(names ?? {})) unusedNames[k] = true;
    for (const k of Object.keys(vals ?? {})) unusedVals[k] = true;
    const result = original.call(this, input, {
      ...options,
      context: { ...context, unusedAttrNames: unusedNames, unusedAttrVals: unusedVals },
    });
    const usedNames = Object.keys(names ?? {}).filter((k) => !unusedNames[k]);
    const usedVals = Object.keys(vals ?? {}).filter((k) => !unusedVals[k]);
    for (const n of usedNames) if (context.unusedAttrNames) delete context.unusedAttrNames[n];
    for (const v of usedVals) if (context.unusedAttrVals) delete context.unusedAttrVals[v];
    if (typeof result !== 'object' || result === null) return result; // an error text
    const slots = new Map<unknown, Slot>();
    for (const v of usedVals) slots.set(vals![v], new Slot(v));
    const tree = template(result, slots);
    if (tree !== undefined) {
      if (templates.size >= MAX_TEMPLATES) templates.clear();
      templates.set(key, { tree, names: usedNames, vals: usedVals });
    }
    return result;
  };
  Object.assign(parse, { cached: true, original });
  parser.parse = parse;
}

const plainProto = (o: object) => {
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
};

/** A copy of `tree` with the request's value objects replaced by slots; undefined if not plain data. */
function template(tree: unknown, slots: Map<unknown, Slot>): unknown {
  if (typeof tree !== 'object' || tree === null) return typeof tree === 'function' ? undefined : tree;
  const slot = slots.get(tree);
  if (slot) return slot;
  if (Array.isArray(tree)) {
    const out: unknown[] = [];
    for (const x of tree) {
      const c = template(x, slots);
      if (c === undefined && x !== undefined) return undefined;
      out.push(c);
    }
    return out;
  }
  if (!plainProto(tree)) return undefined;
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(tree));
  for (const k of Object.keys(tree)) {
    const x = (tree as Record<string, unknown>)[k];
    const c = template(x, slots);
    if (c === undefined && x !== undefined) return undefined;
    out[k] = c;
  }
  return out;
}

/** A fresh copy of a template with each slot filled by the request's value of that name. */
function fill(tree: unknown, vals: Record<string, unknown>): unknown {
  if (typeof tree !== 'object' || tree === null) return tree;
  if (tree instanceof Slot) return vals[tree.name];
  if (Array.isArray(tree)) return tree.map((x) => fill(x, vals));
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(tree));
  for (const k of Object.keys(tree)) out[k] = fill((tree as Record<string, unknown>)[k], vals);
  return out;
}
