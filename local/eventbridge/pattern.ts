/**
 * Amazon EventBridge event-pattern matcher for the local runtime.
 *
 * Implements the event-pattern language as described in the Amazon EventBridge User Guide:
 *  - "Amazon EventBridge event patterns" / "Event pattern syntax": a pattern mirrors the event's structure;
 *    every field named in the pattern must be present in the event (same nesting); fields the pattern does not
 *    name are ignored; leaf values are JSON arrays whose members are OR-ed; sibling fields are AND-ed; string
 *    matching is exact and case-sensitive.
 *  - "Arrays in Amazon EventBridge event patterns": when the event value is an array the field matches if the
 *    intersection of the pattern array and the event array is non-empty.
 *  - "Matching null values and empty strings": `[null]` and `[""]` are distinct and not interchangeable.
 *  - "Content filtering in Amazon EventBridge event patterns" / "Comparison operators for use in event
 *    patterns": prefix, suffix (both with an equals-ignore-case form), equals-ignore-case, wildcard,
 *    anything-but (value, list, prefix, suffix, equals-ignore-case, wildcard), numeric, cidr, exists, $or.
 *
 * Where the guide is silent, behaviour follows Event Ruler (github.com/aws/event-ruler), the open-source library
 * EventBridge uses for matching. That covers objects inside event arrays (two pattern fields can't be satisfied
 * by objects in different elements of the same array), null counting as a present leaf for `exists`, and how
 * anything-but treats values of a different JSON type.
 */

/** A JSON leaf value as it appears in an event. */
export type JsonLeaf = string | number | boolean | null;

/** An event pattern: a JSON object (or its JSON text, as stored on an EventBridge rule). */
export type EventPattern = { readonly [field: string]: unknown };

/** The EventBridge event envelope. Extra top-level fields are allowed (patterns can match on any field). */
export interface EventBridgeEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
  readonly [field: string]: unknown;
}

/** Thrown for a malformed pattern. `path` locates the offending part, e.g. `detail.state[0].numeric`. */
export class EventPatternError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`Invalid event pattern at ${path === '' ? '(root)' : path}: ${message}`);
    this.name = 'EventPatternError';
    this.path = path;
  }
}

/** A pattern that has been validated and compiled once, for matching many events. */
export interface CompiledPattern {
  matches(event: unknown): boolean;
}

/** Throws an {@link EventPatternError} naming the offending path if `pattern` is not a valid event pattern. */
export function validatePattern(pattern: unknown): void {
  compilePattern(pattern);
}

/** Validates and compiles `pattern` (object or JSON text). Throws {@link EventPatternError} if malformed. */
export function compilePattern(pattern: unknown): CompiledPattern {
  const branches = compileRoot(pattern);
  const paths = pathTrie(branches);
  return { matches: (event) => matchBranches(branches, paths, event) };
}

/**
 * Does `event` (the full envelope: version, id, detail-type, source, account, time, region, resources, detail)
 * match `pattern`? The pattern is validated first; a malformed pattern throws {@link EventPatternError}.
 */
export function matches(
  pattern: unknown,
  event: EventBridgeEvent | Readonly<Record<string, unknown>> | string,
): boolean {
  return compilePattern(pattern).matches(event);
}

// ---------------------------------------------------------------------------------------------------------------
// Compilation: a pattern becomes a list of branches (one per $or alternative combination); a branch is a list of
// field conditions that must all hold; a condition holds if some leaf at its path matches one of its matchers
// (or, with exists:false among them, if the path has no leaf at all).

type Matcher = (value: JsonLeaf) => boolean;

interface Condition {
  /** Path key (JSON-encoded array of field names). */
  readonly key: string;
  readonly matchers: readonly Matcher[];
  /** True when the value list contains `{"exists": false}`: an absent field satisfies the condition. */
  readonly allowsAbsent: boolean;
}

type Branch = readonly Condition[];

const OR_KEY = '$or';

const OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
] as const;

const ANYTHING_BUT_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'] as const;

const NUMERIC_OPERATORS = ['=', '<', '<=', '>', '>='] as const;

/** "Numeric matching ... is limited to values between -5.0e9 and +5.0e9 inclusive" (comparison operators page). */
const NUMERIC_LIMIT = 5e9;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const pathKey = (path: readonly string[]): string => JSON.stringify(path);

const child = (where: string, key: string): string => (where === '' ? key : `${where}.${key}`);

const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
};

const quoteList = (xs: readonly string[]): string => xs.map((x) => `"${x}"`).join(', ');

function compileRoot(pattern: unknown): Branch[] {
  let root = pattern;
  if (typeof root === 'string') {
    try {
      root = JSON.parse(root);
    } catch (e) {
      throw new EventPatternError('', `pattern is not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isPlainObject(root))
    throw new EventPatternError('', `pattern must be a JSON object, got ${describe(root)}`);
  return compileObject(root, [], [[]], '', false);
}

function compileObject(
  obj: Record<string, unknown>,
  path: readonly string[],
  incoming: Branch[],
  where: string,
  insideOr: boolean,
): Branch[] {
  const keys = Object.keys(obj);
  if (keys.length === 0) throw new EventPatternError(where, 'empty objects are not allowed');
  let branches = incoming;
  for (const key of keys) {
    const value = obj[key];
    const at = child(where, key);
    if (key === OR_KEY) {
      branches = compileOr(value, path, branches, at);
      continue;
    }
    if (insideOr && (OPERATORS as readonly string[]).includes(key)) {
      throw new EventPatternError(
        at,
        `"${key}" is a reserved operator name and cannot be a field name inside $or`,
      );
    }
    if (Array.isArray(value)) {
      const condition = compileValueList(value, at, [...path, key]);
      branches = branches.map((b) => [...b, condition]);
    } else if (isPlainObject(value)) {
      branches = compileObject(value, [...path, key], branches, at, insideOr);
    } else {
      throw new EventPatternError(
        at,
        `a field must be an array of match values or a nested object, got ${describe(value)} (wrap values in [ ])`,
      );
    }
  }
  return branches;
}

function compileOr(value: unknown, path: readonly string[], incoming: Branch[], where: string): Branch[] {
  if (!Array.isArray(value))
    throw new EventPatternError(where, `$or must be an array of objects, got ${describe(value)}`);
  if (value.length < 2) throw new EventPatternError(where, '$or must contain at least two objects');
  const out: Branch[] = [];
  value.forEach((alternative, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(alternative)) {
      throw new EventPatternError(at, `each $or alternative must be an object, got ${describe(alternative)}`);
    }
    out.push(...compileObject(alternative, path, incoming, at, true));
  });
  return out;
}

function compileValueList(values: readonly unknown[], where: string, path: readonly string[]): Condition {
  if (values.length === 0) throw new EventPatternError(where, 'empty arrays are not allowed');
  const matchers: Matcher[] = [];
  let allowsAbsent = false;
  values.forEach((v, i) => {
    const at = `${where}[${i}]`;
    if (typeof v === 'string' || typeof v === 'boolean' || v === null) {
      matchers.push((x) => x === v);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new EventPatternError(at, 'numbers must be finite');
      matchers.push((x) => typeof x === 'number' && x === v);
    } else if (isPlainObject(v)) {
      const op = compileOperator(v, at);
      if (op === 'absent') allowsAbsent = true;
      else matchers.push(op);
    } else {
      throw new EventPatternError(
        at,
        `match values must be strings, numbers, booleans, null or operator objects, got ${describe(v)}`,
      );
    }
  });
  return { key: pathKey(path), matchers, allowsAbsent };
}

/** Compiles `{ "<operator>": ... }`. Returns 'absent' for `{"exists": false}`. */
function compileOperator(obj: Record<string, unknown>, where: string): Matcher | 'absent' {
  const keys = Object.keys(obj);
  if (keys.length !== 1) {
    throw new EventPatternError(where, `an operator object must have exactly one key, got ${keys.length}`);
  }
  const op = keys[0]!;
  const arg = obj[op];
  const at = child(where, op);
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const test = op === 'prefix' ? startsWith : endsWith;
      if (typeof arg === 'string') return (x) => typeof x === 'string' && test(x, arg);
      if (isPlainObject(arg)) {
        const inner = Object.keys(arg);
        if (inner.length !== 1 || inner[0] !== 'equals-ignore-case') {
          throw new EventPatternError(at, `${op} accepts a string or { "equals-ignore-case": "<string>" }`);
        }
        const s = arg['equals-ignore-case'];
        if (typeof s !== 'string') {
          throw new EventPatternError(
            child(at, 'equals-ignore-case'),
            `must be a string, got ${describe(s)}`,
          );
        }
        const folded = fold(s);
        return (x) => typeof x === 'string' && test(fold(x), folded);
      }
      throw new EventPatternError(at, `${op} must be a string, got ${describe(arg)}`);
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') throw new EventPatternError(at, `must be a string, got ${describe(arg)}`);
      const folded = fold(arg);
      return (x) => typeof x === 'string' && fold(x) === folded;
    }
    case 'wildcard': {
      if (typeof arg !== 'string') throw new EventPatternError(at, `must be a string, got ${describe(arg)}`);
      const re = compileWildcard(arg, at);
      return (x) => typeof x === 'string' && re.test(x);
    }
    case 'anything-but':
      return compileAnythingBut(arg, at);
    case 'numeric':
      return compileNumeric(arg, at);
    case 'exists':
      if (typeof arg !== 'boolean')
        throw new EventPatternError(at, `must be true or false, got ${describe(arg)}`);
      return arg ? () => true : 'absent';
    case 'cidr': {
      if (typeof arg !== 'string')
        throw new EventPatternError(at, `must be a CIDR string, got ${describe(arg)}`);
      const block = parseCidr(arg);
      if (typeof block === 'string')
        throw new EventPatternError(at, `invalid CIDR ${JSON.stringify(arg)}: ${block}`);
      return (x) => {
        if (typeof x !== 'string') return false;
        const ip = parseIp(x);
        return ip !== undefined && ip.v6 === block.v6 && (ip.n & block.mask) === block.network;
      };
    }
    default:
      throw new EventPatternError(
        where,
        `unknown operator "${op}" (expected one of ${quoteList(OPERATORS)})`,
      );
  }
}

const startsWith = (s: string, p: string): boolean => s.startsWith(p);
const endsWith = (s: string, p: string): boolean => s.endsWith(p);
/** Case folding for the equals-ignore-case forms. */
const fold = (s: string): string => s.toLowerCase();

function compileAnythingBut(arg: unknown, where: string): Matcher {
  if (typeof arg === 'string') return (x) => x !== arg;
  if (typeof arg === 'number') {
    if (!Number.isFinite(arg)) throw new EventPatternError(where, 'numbers must be finite');
    return (x) => !(typeof x === 'number' && x === arg);
  }
  if (Array.isArray(arg)) {
    if (arg.length === 0) throw new EventPatternError(where, 'the anything-but list must not be empty');
    const allStrings = arg.every((v) => typeof v === 'string');
    const allNumbers = arg.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!allStrings && !allNumbers) {
      throw new EventPatternError(where, 'an anything-but list must contain only strings or only numbers');
    }
    const excluded = new Set<unknown>(arg);
    return allStrings
      ? (x) => !(typeof x === 'string' && excluded.has(x))
      : (x) => !(typeof x === 'number' && excluded.has(x));
  }
  if (isPlainObject(arg)) {
    const keys = Object.keys(arg);
    const op = keys[0];
    if (
      keys.length !== 1 ||
      op === undefined ||
      !(ANYTHING_BUT_OPERATORS as readonly string[]).includes(op)
    ) {
      throw new EventPatternError(
        where,
        `an anything-but object must have exactly one of ${quoteList(ANYTHING_BUT_OPERATORS)}`,
      );
    }
    const at = child(where, op);
    const raw = arg[op];
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length === 0) throw new EventPatternError(at, 'the list must not be empty');
    const strings = list.map((v, i) => {
      const vAt = Array.isArray(raw) ? `${at}[${i}]` : at;
      if (typeof v !== 'string') throw new EventPatternError(vAt, `must be a string, got ${describe(v)}`);
      if ((op === 'prefix' || op === 'suffix') && v === '') {
        throw new EventPatternError(vAt, `an empty ${op} is not allowed`);
      }
      return v;
    });
    let test: (s: string) => boolean;
    if (op === 'prefix') test = (s) => strings.some((p) => s.startsWith(p));
    else if (op === 'suffix') test = (s) => strings.some((p) => s.endsWith(p));
    else if (op === 'equals-ignore-case') {
      const folded = new Set(strings.map(fold));
      test = (s) => folded.has(fold(s));
    } else {
      const res = strings.map((w, i) => compileWildcard(w, Array.isArray(raw) ? `${at}[${i}]` : at));
      test = (s) => res.some((re) => re.test(s));
    }
    // A value of another JSON type is never one of the excluded strings, so it matches.
    return (x) => !(typeof x === 'string' && test(x));
  }
  throw new EventPatternError(
    where,
    `anything-but must be a string, a number, a list of strings or numbers, or an object, got ${describe(arg)}`,
  );
}

function compileNumeric(arg: unknown, where: string): Matcher {
  if (!Array.isArray(arg))
    throw new EventPatternError(where, `numeric must be an array, got ${describe(arg)}`);
  const operand = (i: number): number => {
    const v = arg[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new EventPatternError(
        `${where}[${i}]`,
        `expected a number, got ${v === undefined ? 'nothing' : describe(v)}`,
      );
    }
    if (Math.abs(v) > NUMERIC_LIMIT) {
      throw new EventPatternError(
        `${where}[${i}]`,
        `numeric values must be between -5.0e9 and +5.0e9, got ${v}`,
      );
    }
    return v;
  };
  const operator = (i: number, allowed: readonly string[]): string => {
    const v = arg[i];
    if (typeof v !== 'string' || !allowed.includes(v)) {
      throw new EventPatternError(
        `${where}[${i}]`,
        `expected one of ${quoteList(allowed)}, got ${v === undefined ? 'nothing' : describe(v)}`,
      );
    }
    return v;
  };
  const op1 = operator(0, NUMERIC_OPERATORS);
  const n1 = operand(1);
  const first = comparator(op1, n1);
  if (arg.length === 2) return (x) => typeof x === 'number' && first(x);
  if (op1 !== '>' && op1 !== '>=') {
    throw new EventPatternError(
      where,
      `"${op1}" must be the only comparison; a range must start with ">" or ">=" followed by "<" or "<="`,
    );
  }
  const op2 = operator(2, ['<', '<=']);
  const n2 = operand(3);
  if (arg.length > 4) throw new EventPatternError(where, 'too many elements in numeric expression');
  if (n1 >= n2)
    throw new EventPatternError(where, `range lower bound ${n1} must be less than upper bound ${n2}`);
  const second = comparator(op2, n2);
  return (x) => typeof x === 'number' && first(x) && second(x);
}

function comparator(op: string, n: number): (x: number) => boolean {
  switch (op) {
    case '=':
      return (x) => x === n;
    case '<':
      return (x) => x < n;
    case '<=':
      return (x) => x <= n;
    case '>':
      return (x) => x > n;
    default:
      return (x) => x >= n;
  }
}

/**
 * Wildcard patterns: `*` matches zero or more characters; consecutive `*` are not allowed; `\*` is a literal `*`
 * and `\\` a literal `\`; a backslash before any other character is not allowed.
 */
function compileWildcard(pattern: string, where: string): RegExp {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        throw new EventPatternError(where, `consecutive wildcard characters are not allowed (position ${i})`);
      }
      source += '[\\s\\S]*';
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new EventPatternError(where, `invalid escape at position ${i}: only \\* and \\\\ are allowed`);
      }
      source += `\\${next}`;
      i++;
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`${source}$`);
}

// ---------------------------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks (IPv4 and IPv6).

interface Ip {
  readonly v6: boolean;
  readonly n: bigint;
}

interface CidrBlock {
  readonly v6: boolean;
  readonly network: bigint;
  readonly mask: bigint;
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const octet = Number(p);
    if (octet > 255) return undefined;
    n = (n << 8n) | BigInt(octet);
  }
  return n;
}

function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (text: string): number[] | undefined => {
    if (text === '') return [];
    const out: number[] = [];
    const parts = text.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) {
        out.push(Number.parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  let all: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    all = head;
  }
  if (all.length !== 8) return undefined;
  return all.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}

function parseIp(s: string): Ip | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { v6: false, n: v4 };
  const v6 = parseIpv6(s);
  if (v6 !== undefined) return { v6: true, n: v6 };
  return undefined;
}

/** Parses `address/bits`; returns an error description instead of throwing. */
function parseCidr(s: string): CidrBlock | string {
  const slash = s.split('/');
  if (slash.length !== 2) return "expected exactly one '/' (address/prefix-length)";
  const [addr, bitsText] = slash as [string, string];
  const ip = parseIp(addr);
  if (ip === undefined) return `"${addr}" is not an IPv4 or IPv6 address`;
  if (!/^\d{1,3}$/.test(bitsText)) return 'the prefix length must be a non-negative integer';
  const width = ip.v6 ? 128 : 32;
  const bits = Number(bitsText);
  if (bits > width) return `the prefix length must be at most ${width} for ${ip.v6 ? 'IPv6' : 'IPv4'}`;
  const all = (1n << BigInt(width)) - 1n;
  const mask = all ^ ((1n << BigInt(width - bits)) - 1n);
  return { v6: ip.v6, network: ip.n & mask, mask };
}

// ---------------------------------------------------------------------------------------------------------------
// Matching. The event is flattened into leaves (path, value, array membership). Each leaf records, for every
// array of objects/arrays it sits inside, which element it came from; leaves chosen to satisfy one branch must
// agree on those indices, so fields of *different* objects in the same array can't combine to make a match.

interface Leaf {
  readonly value: JsonLeaf;
  /** arrayId -> element index, for each enclosing array whose element is an object or array. */
  readonly membership: ReadonlyMap<number, number>;
}

type LeafIndex = Map<string, Leaf[]>;

/** The field paths a pattern's conditions read, as a tree of field names. */
interface PathNode {
  /** a condition reads the leaves at this path */
  key?: string;
  readonly children: Map<string, PathNode>;
}

function pathTrie(branches: readonly Branch[]): PathNode {
  const root: PathNode = { children: new Map() };
  for (const branch of branches) {
    for (const condition of branch) {
      let node = root;
      for (const name of JSON.parse(condition.key) as string[]) {
        let next = node.children.get(name);
        if (!next) {
          next = { children: new Map() };
          node.children.set(name, next);
        }
        node = next;
      }
      node.key = condition.key;
    }
  }
  return root;
}

/**
 * The event's leaves at the paths the pattern reads (`paths`), nothing else: an event's other fields
 * (a 2,000-line order's lines, say) are never visited, so matching costs what the pattern asks for.
 */
function flattenEvent(event: unknown, paths: PathNode): LeafIndex | undefined {
  let root = event;
  if (typeof root === 'string') {
    try {
      root = JSON.parse(root);
    } catch {
      return undefined;
    }
  }
  if (!isPlainObject(root)) return undefined;
  const index: LeafIndex = new Map();
  let arrays = 0;
  const add = (key: string, value: JsonLeaf, membership: ReadonlyMap<number, number>) => {
    const list = index.get(key);
    const leaf = { value, membership };
    if (list) list.push(leaf);
    else index.set(key, [leaf]);
  };
  const visit = (value: unknown, node: PathNode, membership: ReadonlyMap<number, number>): void => {
    const v = toJsonValue(value);
    if (v === undefined) return;
    if (Array.isArray(v)) {
      const id = arrays++;
      v.forEach((element, i) => {
        const e = toJsonValue(element);
        if (typeof e === 'object' && e !== null) visit(e, node, new Map(membership).set(id, i));
        else visit(e, node, membership);
      });
    } else if (isPlainObject(v)) {
      for (const [name, next] of node.children) {
        if (Object.hasOwn(v, name)) visit(v[name], next, membership);
      }
    } else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      if (node.key !== undefined) add(node.key, v, membership);
    }
  };
  visit(root, paths, new Map());
  return index;
}

/** Normalizes a JS value the way JSON.stringify would see it; undefined means "omitted". */
function toJsonValue(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'object') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    return typeof toJSON === 'function' ? toJsonValue(toJSON.call(value)) : value;
  }
  return undefined; // undefined, functions, symbols, bigints
}

function matchBranches(branches: readonly Branch[], paths: PathNode, event: unknown): boolean {
  const index = flattenEvent(event, paths);
  if (index === undefined) return false;
  return branches.some((b) => matchBranch(b, index));
}

function matchBranch(branch: Branch, index: LeafIndex): boolean {
  const slots: Leaf[][] = [];
  for (const condition of branch) {
    const leaves = index.get(condition.key);
    if (leaves === undefined || leaves.length === 0) {
      if (condition.allowsAbsent) continue;
      return false;
    }
    const candidates = leaves.filter((l) => condition.matchers.some((m) => m(l.value)));
    if (candidates.length === 0) return false;
    slots.push(candidates);
  }
  slots.sort((a, b) => a.length - b.length);
  return assign(slots, 0, new Map());
}

/** Picks one leaf per slot such that all picks agree on the element index of every shared array. */
function assign(slots: readonly Leaf[][], i: number, chosen: Map<number, number>): boolean {
  const slot = slots[i];
  if (slot === undefined) return true;
  for (const leaf of slot) {
    const added: number[] = [];
    let consistent = true;
    for (const [arrayId, element] of leaf.membership) {
      const existing = chosen.get(arrayId);
      if (existing === undefined) {
        chosen.set(arrayId, element);
        added.push(arrayId);
      } else if (existing !== element) {
        consistent = false;
        break;
      }
    }
    if (consistent && assign(slots, i + 1, chosen)) return true;
    for (const arrayId of added) chosen.delete(arrayId);
  }
  return false;
}
