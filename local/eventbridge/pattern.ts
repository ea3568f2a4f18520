/**
 * Amazon EventBridge event patterns for the local runtime: validation with EventBridge's own error messages, and
 * matching.
 *
 * The language is the one the Amazon EventBridge User Guide describes ("Event patterns", "Event pattern syntax",
 * "Arrays in event patterns", "Matching null values and empty strings", "Comparison operators for use in event
 * patterns"): a pattern mirrors the event's structure, every field it names must be present, leaf values are
 * arrays whose members are OR-ed, sibling fields are AND-ed; prefix, suffix (both also with equals-ignore-case),
 * equals-ignore-case, wildcard, anything-but (a value, a list, prefix, suffix, equals-ignore-case, wildcard),
 * numeric, cidr, exists and $or. "Considerations when creating event patterns": EventBridge joins field names with
 * a dot, so `{"a.b": [..]}` and `{"a": {"b": [..]}}` name the same field (in patterns and in events), and when a
 * pattern names the same field twice only the last one counts.
 *
 * Where the guide is silent this follows Event Ruler (github.com/aws/event-ruler), the library EventBridge
 * matches with, and EventBridge's recorded answers:
 *  - validation walks the pattern token by token as Event Ruler's JsonRuleCompiler does, so the first error is the
 *    same one with the same wording and the same Jackson location (`Event pattern is not valid. Reason: ...\n at
 *    [Source: (String)"..."; line: 1, column: 11]`); errors raised outside the JSON walk (CIDR blocks, a single
 *    anything-but number, wildcard complexity) carry no location, list errors carry it twice, and an empty
 *    anything-but operator list is an InternalFailure ({@link PatternInternalError});
 *  - objects inside event arrays: fields of different elements of one array cannot be combined into a match, and
 *    `exists: false` means no such field in the element the other fields matched in;
 *  - equals-ignore-case compares each character with its lower- and upper-case forms (Java's, per UTF-16 unit):
 *    "ß" matches "SS", "K" does not match the Kelvin sign;
 *  - numbers: a pattern number equals an event number when their texts are equal or both hold an exact binary64
 *    value and those are equal (so 1, 1.0 and 1e0 match); numeric bounds must be exact binary64 values;
 *  - IP addresses are compared as Event Ruler compares them, as hexadecimal digit strings: a CIDR block is the range
 *    from its address as written to the address with the host bits set (`10.0.0.5/24` starts at .5), IPv4 blocks
 *    are /0-/31 and IPv6 /0-/127, and a plain string that is an IP address in a pattern matches that address;
 *  - a field with more wildcard states live at once than EventBridge allows is "too complex" (see
 *    {@link wildcardComplexity}).
 */
import { exactDouble, isNumericToken, type JsonLocatedError, JsonReader, type JsonToken } from './json.ts';

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

/**
 * A pattern EventBridge would refuse. `reason` is what EventBridge puts after "Reason: " (Jackson's location
 * included where EventBridge includes it); `message` is InvalidEventPatternException's whole message.
 */
export class EventPatternError extends Error {
  constructor(readonly reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'EventPatternError';
  }
}

/** A pattern EventBridge fails on with an InternalFailure (an empty anything-but operator list). */
export class PatternInternalError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PatternInternalError';
  }
}

/** A pattern that has been validated and compiled once, for matching many events. */
export interface CompiledPattern {
  /** Matches an event object (or its JSON text). */
  matches(event: unknown): boolean;
  /** Matches an event given as JSON text as TestEventPattern reads it (repeated fields all count). */
  matchesJson(text: string): boolean;
}

/** Throws an {@link EventPatternError} (or {@link PatternInternalError}) if `pattern` is not a valid pattern. */
export function validatePattern(pattern: unknown): void {
  compilePattern(pattern);
}

/** Validates and compiles `pattern` (object or JSON text). */
export function compilePattern(pattern: unknown): CompiledPattern {
  const text = typeof pattern === 'string' ? pattern : (JSON.stringify(pattern) ?? 'null');
  const branches = compileText(text);
  const needed = neededPaths(branches);
  return {
    matches: (event) => {
      if (typeof event === 'string') return matchIndex(branches, indexOfText(event, needed));
      return matchIndex(branches, indexOfValue(event, needed));
    },
    matchesJson: (json) => matchIndex(branches, indexOfText(json, needed)),
  };
}

/** Does `event` match `pattern`? The pattern is validated first. */
export function matches(
  pattern: unknown,
  event: EventBridgeEvent | Readonly<Record<string, unknown>> | string,
): boolean {
  return compilePattern(pattern).matches(event);
}

// ---------------------------------------------------------------------------------------------------------------
// Values and matchers

/** An event number: its text (floats as binary64 reads them) and its exact binary64 value, if it has one. */
class Num {
  constructor(
    readonly text: string,
    readonly value: number | undefined,
  ) {}
}

type Val = string | boolean | null | Num;

type Matcher = (v: Val) => boolean;

/** One field's condition: the value list's matchers; `absent` when it holds `{"exists": false}`. */
interface Condition {
  readonly path: string;
  readonly matchers: Matcher[];
  absent: boolean;
  /** wildcard patterns, for the complexity check */
  readonly wildcards: string[];
  /** what the value list is, for telling equal lists apart in the complexity check */
  readonly identity: string;
}

/** One alternative of the pattern ($or multiplies them): field path to condition. */
type Branch = Map<string, Condition>;

const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

const ONE_KEY = 'Only one key allowed in match expression';
const TOO_MANY = 'Too many elements in numeric expression';
const TOO_COMPLEX =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

/** An error raised outside the JSON walk: EventBridge reports it without a location. */
class Unlocated extends Error {}

const isString = (v: Val): v is string => typeof v === 'string';

// ---------------------------------------------------------------------------------------------------------------
// Compilation (the order of checks is Event Ruler's, so the first error reported is EventBridge's)

function compileText(text: string): Branch[] {
  const r = new JsonReader(text);
  try {
    if (r.nextToken() !== 'START_OBJECT') r.fail('Filter is not an object');
    const rules: Branch[] = [];
    parseObject(r, rules, '', false);
    if (rules.length === 0) rules.push(new Map());
    checkComplexity(rules);
    return rules;
  } catch (e) {
    if (e instanceof PatternInternalError || e instanceof EventPatternError) throw e;
    if (e instanceof Unlocated) throw new EventPatternError(e.message);
    if (e instanceof Error && e.name === 'JsonLocatedError') throw new EventPatternError(e.message);
    throw e;
  }
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

const copyRules = (rules: readonly Branch[]): Branch[] => rules.map((b) => new Map(b));

function parseObject(r: JsonReader, rules: Branch[], path: string, inOr: boolean): void {
  let fields = false;
  while (r.nextToken() !== 'END_OBJECT') {
    fields = true;
    const name = r.currentName;
    if (name === '$or') {
      parseOr(r, rules, path);
      continue;
    }
    if (inOr && RESERVED_IN_OR.has(name)) {
      r.fail(`${name} is Ruler reserved fieldName which cannot be used inside $or.`);
    }
    const t = r.nextToken();
    if (t === 'START_OBJECT') parseObject(r, rules, join(path, name), inOr);
    else if (t === 'START_ARRAY') writeRules(r, rules, join(path, name));
    else r.fail(`"${name}" must be an object or an array`);
  }
  if (!fields) r.fail('Empty objects are not allowed');
}

function parseOr(r: JsonReader, rules: Branch[], path: string): void {
  const current = copyRules(rules);
  rules.length = 0;
  if (r.nextToken() !== 'START_ARRAY') r.fail('It must be an Array followed with $or.');
  let count = 0;
  for (let t = r.nextToken(); t !== 'END_ARRAY'; t = r.nextToken()) {
    count++;
    if (t !== 'START_OBJECT') r.fail('Only JSON object is allowed in array of $or relationship.');
    const alternative = copyRules(current);
    if (alternative.length === 0) alternative.push(new Map());
    parseObject(r, alternative, path, true);
    rules.push(...alternative);
  }
  if (count < 2) r.fail('There must have at least 2 Objects in $or relationship.');
}

function writeRules(r: JsonReader, rules: Branch[], path: string): void {
  const condition: Condition = { path, matchers: [], absent: false, wildcards: [], identity: '' };
  const identity: string[] = [];
  for (let t = r.nextToken(); t !== 'END_ARRAY'; t = r.nextToken()) {
    switch (t) {
      case 'START_OBJECT':
        matchExpression(r, condition, identity);
        break;
      case 'VALUE_STRING': {
        const s = r.text();
        const ip = ipHexIfPossible(s);
        condition.matchers.push(ip === undefined ? (v) => v === s : rangeMatcher(ip, ip));
        identity.push(JSON.stringify(s));
        break;
      }
      case 'VALUE_NUMBER_INT':
      case 'VALUE_NUMBER_FLOAT': {
        const text = r.text();
        const exact = exactDouble(text);
        condition.matchers.push(
          (v) => v instanceof Num && (v.text === text || (exact !== undefined && v.value === exact)),
        );
        identity.push(exact === undefined ? text : String(exact));
        break;
      }
      case 'VALUE_NULL':
        condition.matchers.push((v) => v === null);
        identity.push('null');
        break;
      case 'VALUE_TRUE':
      case 'VALUE_FALSE': {
        const b = t === 'VALUE_TRUE';
        condition.matchers.push((v) => v === b);
        identity.push(String(b));
        break;
      }
      default:
        r.fail('Match value must be String, number, true, false, or null');
    }
  }
  if (condition.matchers.length === 0 && !condition.absent) r.fail('Empty arrays are not allowed');
  const done: Condition = { ...condition, identity: identity.join(',') };
  if (rules.length === 0) rules.push(new Map());
  for (const rule of rules) {
    // "If multiple patterns are specified for the same JSON field, EventBridge only uses the last one."
    rule.delete(path);
    rule.set(path, done);
  }
}

function expectEnd(r: JsonReader, message = ONE_KEY): void {
  if (r.nextToken() !== 'END_OBJECT') r.fail(message);
}

function matchExpression(r: JsonReader, c: Condition, identity: string[]): void {
  if (r.nextToken() !== 'FIELD_NAME') r.fail('Match expression name not found');
  const op = r.currentName;
  switch (op) {
    case 'exactly': {
      if (r.nextToken() !== 'VALUE_STRING') r.fail('exact match pattern must be a string');
      const s = r.text();
      expectEnd(r);
      c.matchers.push((v) => v === s);
      identity.push(JSON.stringify(s));
      return;
    }
    case 'prefix':
    case 'suffix': {
      const t = r.nextToken();
      if (t === 'START_OBJECT') {
        const Name = op === 'prefix' ? 'Prefix' : 'Suffix';
        if (r.nextToken() !== 'FIELD_NAME') r.fail(`${Name} expression name not found`);
        if (r.currentName !== 'equals-ignore-case') r.fail(`Unsupported ${op} pattern: ${r.currentName}`);
        if (r.nextToken() !== 'VALUE_STRING') r.fail('equals-ignore-case match pattern must be a string');
        const s = r.text();
        expectEnd(r);
        expectEnd(r);
        const re = caseFoldRegex(s, op === 'prefix' ? 'prefix' : 'suffix');
        c.matchers.push((v) => isString(v) && re.test(v));
        identity.push(`${op}-ic:${JSON.stringify(s)}`);
        return;
      }
      if (t !== 'VALUE_STRING') r.fail(`${op} match pattern must be a string`);
      const s = r.text();
      expectEnd(r);
      c.matchers.push(
        op === 'prefix' ? (v) => isString(v) && v.startsWith(s) : (v) => isString(v) && v.endsWith(s),
      );
      identity.push(`${op}:${JSON.stringify(s)}`);
      return;
    }
    case 'numeric': {
      if (r.nextToken() !== 'START_ARRAY') r.fail('Value of numeric must be an array.');
      const m = numeric(r);
      expectEnd(r, TOO_MANY);
      c.matchers.push(m.matcher);
      identity.push(`numeric:${m.identity}`);
      return;
    }
    case 'anything-but':
      anythingBut(r, c, identity);
      return;
    case 'exists': {
      const t = r.nextToken();
      if (t !== 'VALUE_TRUE' && t !== 'VALUE_FALSE')
        r.fail('exists match pattern must be either true or false.');
      expectEnd(r);
      if (t === 'VALUE_TRUE') c.matchers.push(() => true);
      else c.absent = true;
      identity.push(`exists:${t === 'VALUE_TRUE'}`);
      return;
    }
    case 'cidr': {
      if (r.nextToken() !== 'VALUE_STRING') r.fail('prefix match pattern must be a string');
      const [lo, hi] = cidrRange(r.text());
      expectEnd(r);
      c.matchers.push(rangeMatcher(lo, hi));
      identity.push(`cidr:${lo}-${hi}`);
      return;
    }
    case 'equals-ignore-case': {
      if (r.nextToken() !== 'VALUE_STRING') r.fail('equals-ignore-case match pattern must be a string');
      const s = r.text();
      expectEnd(r);
      const re = caseFoldRegex(s, 'whole');
      c.matchers.push((v) => isString(v) && re.test(v));
      identity.push(`eic:${JSON.stringify(s)}`);
      return;
    }
    case 'wildcard': {
      if (r.nextToken() !== 'VALUE_STRING') r.fail('wildcard match pattern must be a string');
      const s = r.text();
      const re = wildcardRegex(r, s);
      expectEnd(r);
      c.matchers.push((v) => isString(v) && re.test(v));
      c.wildcards.push(s);
      identity.push(`wildcard:${JSON.stringify(s)}`);
      return;
    }
    default:
      r.fail(`Unrecognized match type ${op}`);
  }
}

/** `[op, n]` or `[">"|">=", n, "<"|"<=", m]`; the opening `[` is consumed, the closing `]` is consumed here. */
function numeric(r: JsonReader): { matcher: Matcher; identity: string } {
  let t = r.nextToken();
  if (t !== 'VALUE_STRING') r.fail(`Invalid member in numeric match: ${r.text()}`);
  const op = r.text();
  t = r.nextToken();
  const bound = (text: string): number => {
    const n = exactDouble(text);
    if (n === undefined) throw new IllegalArgument(`Cannot compare number : ${text}`);
    return n;
  };
  try {
    if (op === '=') {
      if (!isNumericToken(t)) r.fail('Value of equals must be numeric');
      const n = bound(r.text());
      if (r.nextToken() !== 'END_ARRAY') r.fail(TOO_MANY);
      return { matcher: (v) => v instanceof Num && v.value === n, identity: `=${n}` };
    }
    if (op === '>=' || op === '>') {
      if (!isNumericToken(t)) r.fail(`Value of ${op} must be numeric`);
      const low = bound(r.text());
      t = r.nextToken();
      if (t === 'END_ARRAY') {
        return { matcher: compare(op, low, undefined, undefined), identity: `${op}${low}` };
      }
      if (t !== 'VALUE_STRING') r.fail(`Bad value in numeric range: ${r.text()}`);
      const op2 = r.text();
      if (op2 !== '<' && op2 !== '<=') r.fail(`Bad numeric range operator: ${op2}`);
      if (!isNumericToken(r.nextToken())) r.fail(`Value of ${op2} must be numeric`);
      const high = bound(r.text());
      if (r.nextToken() !== 'END_ARRAY') r.fail('Too many terms in numeric range expression');
      if (low >= high) throw new IllegalArgument('Bottom must be less than top');
      return { matcher: compare(op, low, op2, high), identity: `${op}${low}${op2}${high}` };
    }
    if (op === '<=' || op === '<') {
      if (!isNumericToken(t)) r.fail(`Value of ${op} must be numeric`);
      const high = bound(r.text());
      if (r.nextToken() !== 'END_ARRAY') r.fail(TOO_MANY);
      return { matcher: compare(undefined, undefined, op, high), identity: `${op}${high}` };
    }
    r.fail(`Unrecognized numeric range operator: ${op}`);
  } catch (e) {
    if (e instanceof IllegalArgument) r.fail(e.message);
    throw e;
  }
}

/** Java's IllegalArgumentException inside Event Ruler: caught and re-reported with a location where it is. */
class IllegalArgument extends Error {}

function compare(
  lowOp: string | undefined,
  low: number | undefined,
  highOp: string | undefined,
  high: number | undefined,
): Matcher {
  return (v) => {
    if (!(v instanceof Num) || v.value === undefined) return false;
    const x = v.value;
    if (low !== undefined && (lowOp === '>' ? !(x > low) : !(x >= low))) return false;
    if (high !== undefined && (highOp === '<' ? !(x < high) : !(x <= high))) return false;
    return true;
  };
}

type AnythingButKind = 'plain' | 'equals-ignore-case' | 'prefix' | 'suffix' | 'wildcard';

function anythingBut(r: JsonReader, c: Condition, identity: string[]): void {
  let kind: AnythingButKind = 'plain';
  let t = r.nextToken();
  if (t === 'START_OBJECT') {
    if (r.nextToken() !== 'FIELD_NAME') r.fail('Anything-But expression name not found');
    const sub = r.currentName;
    if (sub !== 'equals-ignore-case' && sub !== 'prefix' && sub !== 'suffix' && sub !== 'wildcard') {
      r.fail(`Unsupported anything-but pattern: ${sub}`);
    }
    kind = sub;
    t = r.nextToken();
  }
  if (t !== 'START_ARRAY' && t !== 'VALUE_STRING' && !isNumericToken(t)) {
    r.fail('Value of anything-but must be an array or single string/number value.');
  }
  let matcher: Matcher;
  let key: string;
  if (kind === 'plain') {
    const { strings, numbers } = t === 'START_ARRAY' ? plainList(r) : plainSingle(r, t!);
    matcher = (v) =>
      !(
        (isString(v) && strings.has(v)) ||
        (v instanceof Num && v.value !== undefined && numbers.has(v.value))
      );
    key = JSON.stringify([[...strings].sort(), [...numbers].sort()]);
  } else {
    const values = t === 'START_ARRAY' ? valuesList(r, kind) : [valuesSingle(r, t!, kind)];
    if (values.length === 0) throw new PatternInternalError('empty anything-but operator list');
    const tests = values.map((s): ((x: string) => boolean) => {
      if (kind === 'prefix') return (x) => x.startsWith(s);
      if (kind === 'suffix') return (x) => x.endsWith(s);
      const re = kind === 'wildcard' ? wildcardRegex(r, s) : caseFoldRegex(s, 'whole');
      return (x) => re.test(x);
    });
    matcher = (v) => !(isString(v) && tests.some((test) => test(v)));
    key = JSON.stringify([...values].sort());
  }
  expectEnd(r, TOO_MANY);
  if (kind !== 'plain') expectEnd(r, TOO_MANY);
  c.matchers.push(matcher);
  identity.push(`anything-but:${kind}:${key}`);
}

/** A number anything-but excludes: its exact binary64 value (EventBridge compares numbers it can hold exactly). */
function comparable(text: string): number {
  const n = exactDouble(text);
  if (n === undefined) throw new IllegalArgument(`Cannot compare number : ${text}`);
  return n;
}

function plainSingle(r: JsonReader, t: JsonToken): { strings: Set<string>; numbers: Set<number> } {
  if (t === 'VALUE_STRING') return { strings: new Set([r.text()]), numbers: new Set() };
  try {
    return { strings: new Set(), numbers: new Set([comparable(r.text())]) };
  } catch (e) {
    // Not caught by Event Ruler here: EventBridge reports it without a location.
    if (e instanceof IllegalArgument) throw new Unlocated(e.message);
    throw e;
  }
}

function plainList(r: JsonReader): { strings: Set<string>; numbers: Set<number> } {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  try {
    for (let t = r.nextToken(); t !== 'END_ARRAY'; t = r.nextToken()) {
      if (t === 'VALUE_STRING') strings.add(r.text());
      else if (isNumericToken(t)) numbers.add(comparable(r.text()));
      else r.fail('Inside anything but list, start|null|boolean is not supported.');
    }
  } catch (e) {
    // Event Ruler catches and re-reports errors inside the list: a located error gets a second location.
    if (e instanceof IllegalArgument || (e instanceof Error && e.name === 'JsonLocatedError')) {
      r.fail((e as JsonLocatedError | IllegalArgument).message);
    }
    throw e;
  }
  if (strings.size > 0 === numbers.size > 0) {
    r.fail('Inside anything but list, either all values are number or string, mixed type is not supported');
  }
  return { strings, numbers };
}

function typeError(kind: AnythingButKind): string {
  if (kind === 'equals-ignore-case') {
    return 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.';
  }
  return kind === 'wildcard'
    ? 'wildcard match pattern must be a string'
    : 'prefix/suffix match pattern must be a string';
}

function valuesList(r: JsonReader, kind: AnythingButKind): string[] {
  const values: string[] = [];
  try {
    for (let t = r.nextToken(); t !== 'END_ARRAY'; t = r.nextToken()) {
      if (t !== 'VALUE_STRING') r.fail(typeError(kind));
      const s = r.text();
      if ((kind === 'prefix' || kind === 'suffix') && s === '') r.fail('Null prefix/suffix not allowed');
      if (!values.includes(s)) values.push(s);
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'JsonLocatedError') r.fail(e.message);
    throw e;
  }
  return values;
}

function valuesSingle(r: JsonReader, t: JsonToken, kind: AnythingButKind): string {
  if (t !== 'VALUE_STRING') r.fail(typeError(kind));
  const s = r.text();
  if ((kind === 'prefix' || kind === 'suffix') && s === '') r.fail('Null prefix/suffix not allowed');
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// String operators

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * equals-ignore-case (whole value, prefix or suffix): each UTF-16 unit of the pattern matches its lower- or
 * upper-case form (Java's Locale.ROOT mapping of that one char; a lone surrogate encodes as "?").
 */
function caseFoldRegex(s: string, where: 'whole' | 'prefix' | 'suffix'): RegExp {
  let source = '';
  for (let i = 0; i < s.length; i++) {
    const unit = s[i]!;
    const code = unit.charCodeAt(0);
    const lone = code >= 0xd800 && code <= 0xdfff;
    const forms = lone ? ['?'] : [...new Set([unit.toLowerCase(), unit.toUpperCase()])];
    source += forms.length === 1 ? escapeRe(forms[0]!) : `(?:${forms.map(escapeRe).join('|')})`;
  }
  if (where === 'whole') return new RegExp(`^${source}$`);
  return where === 'prefix' ? new RegExp(`^${source}`) : new RegExp(`${source}$`);
}

/**
 * Wildcard: `*` is any run of characters, `\*` a literal `*`, `\\` a literal `\`. Event Ruler parses the value
 * within its quotes as UTF-8, and reports positions in those bytes (the opening quote is position 0).
 */
function wildcardRegex(r: JsonReader, s: string): RegExp {
  const bytes = Buffer.from(`"${s}"`, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x2a && bytes[i + 1] === 0x2a) r.fail(`Consecutive wildcard characters at pos ${i}`);
    if (b === 0x5c) {
      const next = bytes[i + 1];
      if (next === 0x2a || next === 0x5c) {
        i++;
        continue;
      }
      r.fail(`Invalid escape character at pos ${i}`);
    }
  }
  let source = '^';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '\\') {
      source += escapeRe(s[i + 1]!);
      i++;
    } else source += escapeRe(ch);
  }
  return new RegExp(`${source}$`);
}

// ---------------------------------------------------------------------------------------------------------------
// IP addresses as Event Ruler sees them: hexadecimal digit strings (8 for IPv4, 32 for IPv6)

const IPV4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** Java's InetAddress.getByName for an IP literal: its bytes, or undefined when it is not a valid address. */
function ipBytes(ip: string): number[] | undefined {
  if (IPV4.test(ip)) {
    const parts = ip.split('.').map(Number);
    return parts.every((p) => p <= 255) ? parts : undefined;
  }
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const groups = (text: string): number[] | undefined => {
    if (text === '') return [];
    const out: number[] = [];
    for (const g of text.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const words = [...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...tail];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  // An IPv4-mapped IPv6 address is an IPv4 address to Java.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12);
  }
  return bytes;
}

const hex = (bytes: readonly number[]): string =>
  bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');

/** The hexadecimal form of a string that is an IP address literal; undefined for anything else. */
function ipHexIfPossible(s: string): string | undefined {
  if (!IPV4.test(s) && !IPV6.test(s)) return undefined;
  const bytes = ipBytes(s);
  return bytes ? hex(bytes) : undefined;
}

/** Java's String.split("/"): trailing empty strings dropped. */
function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** A CIDR block as Event Ruler's range: [address as written, address with the host bits set]. */
function cidrRange(cidr: string): [string, string] {
  const parts = javaSplit(cidr, '/');
  if (parts.length !== 2) throw new Unlocated("Malformed CIDR, one '/' required");
  if (!/^[+-]?\d+$/.test(parts[1]!) || Math.abs(Number(parts[1])) > 2 ** 31 - 1) {
    throw new Unlocated('Malformed CIDR, mask bits must be an integer');
  }
  const bits = Number(parts[1]);
  if (bits < 0) throw new Unlocated('Malformed CIDR, mask bits must not be negative');
  const ip = parts[0]!;
  if (!IPV4.test(ip) && !IPV6.test(ip)) throw new Unlocated(`Nonstandard IP address: ${ip}`);
  const bytes = ipBytes(ip);
  if (!bytes) throw new Unlocated(`Invalid IP address: ${ip}`);
  if (bytes.length === 4 && bits > 31) throw new Unlocated('IPv4 mask bits must be < 32');
  if (bytes.length === 16 && bits > 127) throw new Unlocated('IPv6 mask bits must be < 128');
  let host = bytes.length * 8 - bits;
  const top = [...bytes];
  for (let i = top.length - 1; i >= 0; i--) {
    if (host >= 8) top[i] = 0xff;
    else if (host > 0) top[i] = top[i]! | ((1 << host) - 1);
    host -= 8;
  }
  return [hex(bytes), hex(top)];
}

/** Event Ruler's 14-hex-digit form of a number in ±5e9 with at most 6 decimals (numbers and IPs share ranges). */
function numberHex(n: number): string | undefined {
  if (!(Math.abs(n) <= 5e9)) return undefined;
  const scaled = Math.round(n * 1e6);
  if (Math.abs(scaled / 1e6 - n) > 1e-9) return undefined;
  return (BigInt(scaled) + 5_000_000_000_000_000n).toString(16).toUpperCase().padStart(14, '0');
}

/**
 * Range matching as Event Ruler's byte machine walks a range: digit by digit, bounded by the low and high ends
 * until the value leaves them; a value that stays on a bound for all the range's digits is in (bounds inclusive).
 */
function rangeMatcher(lo: string, hi: string): Matcher {
  return (v) => {
    const digits = isString(v)
      ? ipHexIfPossible(v)
      : v instanceof Num && v.value !== undefined
        ? numberHex(v.value)
        : undefined;
    if (digits === undefined) return false;
    let onLo = true;
    let onHi = true;
    for (let i = 0; i < lo.length; i++) {
      const d = digits[i];
      if (d === undefined) return false;
      if (onLo) {
        if (d < lo[i]!) return false;
        if (d > lo[i]!) onLo = false;
      }
      if (onHi) {
        if (d > hi[i]!) return false;
        if (d < hi[i]!) onHi = false;
      }
      if (!onLo && !onHi) return true;
    }
    return true;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Wildcard complexity

/**
 * EventBridge refuses a rule whose wildcards make one field's matching machine too expensive: Event Ruler's
 * MachineComplexityEvaluator counts, over every input, the wildcard patterns reachable from the machine states
 * live at once, and EventBridge refuses a rule above {@link WILDCARD_COMPLEXITY_LIMIT}. Recorded AWS answers
 * calibrate it: `*a*a*a*a*a` and `*abcabcabcabcabc*` are accepted, ten repetitions of either are refused, and so
 * are five `*aN*` patterns on one field.
 */
export const WILDCARD_COMPLEXITY_LIMIT = 10;

function checkComplexity(branches: readonly Branch[]): void {
  // Fields that share a machine: same path after the same preceding fields (Event Ruler sorts fields by name).
  const machines = new Map<string, Set<string>>();
  for (const branch of branches) {
    const sorted = [...branch.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let prefix = '';
    for (const c of sorted) {
      if (c.wildcards.length > 0) {
        const key = `${prefix}|${c.path}`;
        const patterns = machines.get(key) ?? new Set<string>();
        for (const w of c.wildcards) patterns.add(w);
        machines.set(key, patterns);
      }
      prefix += `|${c.path}=${c.identity}`;
    }
  }
  for (const patterns of machines.values()) {
    if (wildcardComplexity([...patterns]) > WILDCARD_COMPLEXITY_LIMIT) throw new Unlocated(TOO_COMPLEX);
  }
}

interface NfaState {
  /** byte → next states */
  readonly on: Map<number, number[]>;
  /** states reached on any byte (a wildcard's self loop) */
  readonly any: number[];
  /** the wildcard patterns a path through this state belongs to */
  readonly weight: Set<string>;
  /** determinate prefixes share states: byte → state, and the first wildcard after it */
  readonly prefix: Map<number, number>;
  star: number;
}

/**
 * The largest number of wildcard patterns reachable from the states a value can have live at once, over one
 * field's wildcard patterns. Patterns share states while they agree from the start (before any `*`); after a `*`
 * each has its own; a `*` state loops on any byte, and the state before it also takes the byte after it (the `*`
 * matching nothing).
 */
export function wildcardComplexity(patterns: readonly string[]): number {
  const states: NfaState[] = [newState()];
  const ends = new Map<string, number>();
  const alphabet = new Set<number>();
  for (const pattern of patterns) {
    const tokens = wildcardTokens(pattern);
    let current = 0;
    let previous = -1;
    let determinate = true;
    tokens.forEach((token, i) => {
      const last = i === tokens.length - 1;
      const shared = determinate;
      let next = 0;
      if (last) next = ends.get(pattern) ?? 0;
      else if (token < 0) next = shared ? states[current]!.star : 0;
      else if (shared) next = states[current]!.prefix.get(token) ?? 0;
      if (token < 0) determinate = false;
      const created = next === 0;
      if (created) {
        next = states.length;
        states.push(newState());
        if (last) ends.set(pattern, next);
        else if (token < 0 && shared) states[current]!.star = next;
        else if (shared) states[current]!.prefix.set(token, next);
      }
      if (token < 0) {
        if (created) {
          states[current]!.any.push(next);
          states[next]!.any.push(next);
        }
      } else if (last || created) {
        alphabet.add(token);
        push(states[current]!.on, token, next);
        if (i > 0 && tokens[i - 1]! < 0) push(states[previous]!.on, token, next);
      }
      states[next]!.weight.add(pattern);
      previous = current;
      current = next;
    });
  }
  if (states.length === 1) return 0;
  const bytes = [-1, ...alphabet];
  const seen = new Set<string>();
  const pending: number[][] = [[0]];
  let max = 0;
  while (pending.length > 0) {
    const active = pending.pop()!;
    for (const b of bytes) {
      const next = new Set<number>();
      for (const id of active) {
        for (const n of states[id]!.any) next.add(n);
        if (b >= 0) for (const n of states[id]!.on.get(b) ?? []) next.add(n);
      }
      if (next.size === 0) continue;
      let size = 0;
      for (const id of next) {
        size += states[id]!.weight.size;
        for (const w of states[id]!.any) if (!next.has(w)) size += states[w]!.weight.size;
      }
      if (size > WILDCARD_COMPLEXITY_LIMIT) return size;
      max = Math.max(max, size);
      const key = [...next].sort((x, y) => x - y).join(',');
      if (!seen.has(key)) {
        seen.add(key);
        pending.push([...next]);
      }
    }
  }
  return max;
}

function newState(): NfaState {
  return { on: new Map(), any: [], weight: new Set(), prefix: new Map(), star: 0 };
}

function push(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A wildcard pattern within its quotes as UTF-8 bytes, -1 for each `*`. */
function wildcardTokens(pattern: string): number[] {
  const bytes = Buffer.from(`"${pattern}"`, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x2a) out.push(-1);
    else if (b === 0x5c && i + 1 < bytes.length) out.push(bytes[++i]!);
    else out.push(b);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Matching. An event is flattened into leaves at the joined paths the pattern reads; each leaf records, for every
// enclosing array whose element is an object or array, which element it came from; leaves chosen for one branch
// must agree on those, so fields of different objects in one array cannot combine to make a match.

interface Leaf {
  readonly value: Val;
  readonly membership: ReadonlyMap<number, number>;
}

type LeafIndex = Map<string, Leaf[]>;

interface Needed {
  /** the joined paths conditions read */
  readonly paths: Set<string>;
  /** every proper dot-prefix of those (an object there may hold them) */
  readonly prefixes: Set<string>;
}

function neededPaths(branches: readonly Branch[]): Needed {
  const paths = new Set<string>();
  const prefixes = new Set<string>();
  for (const b of branches) {
    for (const path of b.keys()) {
      paths.add(path);
      for (let i = path.indexOf('.'); i >= 0; i = path.indexOf('.', i + 1)) prefixes.add(path.slice(0, i));
    }
  }
  return { paths, prefixes };
}

/** Normalizes a JS value the way JSON.stringify would see it; undefined means "omitted". */
function toJsonValue(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'object') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    return typeof toJSON === 'function' ? toJsonValue(toJSON.call(value)) : value;
  }
  return undefined;
}

function add(index: LeafIndex, key: string, leaf: Leaf): void {
  const list = index.get(key);
  if (list) list.push(leaf);
  else index.set(key, [leaf]);
}

/** The leaves of an event object at the paths the pattern reads. */
function indexOfValue(event: unknown, needed: Needed): LeafIndex | undefined {
  const root = toJsonValue(event);
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return undefined;
  const index: LeafIndex = new Map();
  let arrays = 0;
  const visit = (value: unknown, path: string, membership: ReadonlyMap<number, number>): void => {
    const v = toJsonValue(value);
    if (v === undefined) return;
    if (Array.isArray(v)) {
      const id = arrays++;
      v.forEach((element, i) => {
        const e = toJsonValue(element);
        if (typeof e === 'object' && e !== null) visit(e, path, new Map(membership).set(id, i));
        else visit(e, path, membership);
      });
      return;
    }
    if (typeof v === 'object' && v !== null) {
      for (const [name, child] of Object.entries(v)) {
        const key = path === '' ? name : `${path}.${name}`;
        if (needed.paths.has(key) || needed.prefixes.has(key)) visit(child, key, membership);
      }
      return;
    }
    if (!needed.paths.has(path)) return;
    const leaf: Val = typeof v === 'number' ? new Num(String(v), v) : (v as string | boolean | null);
    add(index, path, { value: leaf, membership });
  };
  visit(root, '', new Map());
  return index;
}

/** An event number as TestEventPattern reads it: floats through binary64, integers exact or not at all. */
function eventNumber(text: string): Num {
  if (/[.eE]/.test(text)) {
    const n = Number(text);
    return Number.isFinite(n) ? new Num(String(n), n === 0 ? 0 : n) : new Num(text, undefined);
  }
  return new Num(text, exactDouble(text));
}

/** The leaves of an event given as JSON text (repeated fields all count, as Event Ruler streams them). */
function indexOfText(text: string, needed: Needed): LeafIndex | undefined {
  const r = new JsonReader(text);
  try {
    if (r.nextToken() !== 'START_OBJECT') return undefined;
    const index: LeafIndex = new Map();
    let arrays = 0;
    const visitObject = (path: string, membership: ReadonlyMap<number, number>): void => {
      for (let t = r.nextToken(); t !== 'END_OBJECT'; t = r.nextToken()) {
        const key = path === '' ? r.currentName : `${path}.${r.currentName}`;
        r.nextToken();
        if (needed.paths.has(key) || needed.prefixes.has(key)) visitValue(key, membership);
        else r.skipChildren();
      }
    };
    const visitArray = (path: string, membership: ReadonlyMap<number, number>): void => {
      const id = arrays++;
      let i = 0;
      for (let t = r.nextToken(); t !== 'END_ARRAY'; t = r.nextToken(), i++) {
        const inner =
          t === 'START_OBJECT' || t === 'START_ARRAY' ? new Map(membership).set(id, i) : membership;
        visitValue(path, inner);
      }
    };
    const visitValue = (path: string, membership: ReadonlyMap<number, number>): void => {
      const t = r.token;
      if (t === 'START_OBJECT') {
        visitObject(path, membership);
        return;
      }
      if (t === 'START_ARRAY') {
        visitArray(path, membership);
        return;
      }
      if (!needed.paths.has(path)) return;
      let value: Val;
      if (t === 'VALUE_STRING') value = r.text();
      else if (t === 'VALUE_NUMBER_INT' || t === 'VALUE_NUMBER_FLOAT') value = eventNumber(r.text());
      else value = t === 'VALUE_TRUE' ? true : t === 'VALUE_FALSE' ? false : null;
      add(index, path, { value, membership });
    };
    visitObject('', new Map());
    return index;
  } catch {
    return undefined;
  }
}

function matchIndex(branches: readonly Branch[], index: LeafIndex | undefined): boolean {
  if (index === undefined) return false;
  return branches.some((b) => matchBranch(b, index));
}

interface Slot {
  readonly path: string;
  readonly candidates: Leaf[];
  readonly absent: boolean;
}

function matchBranch(branch: Branch, index: LeafIndex): boolean {
  const slots: Slot[] = [];
  for (const c of branch.values()) {
    const leaves = index.get(c.path) ?? [];
    const candidates = leaves.filter((l) => c.matchers.some((m) => m(l.value)));
    if (candidates.length === 0 && !c.absent) return false;
    slots.push({ path: c.path, candidates, absent: c.absent });
  }
  slots.sort((a, b) => a.candidates.length + (a.absent ? 1 : 0) - (b.candidates.length + (b.absent ? 1 : 0)));
  return assign(slots, 0, new Map(), [], index);
}

const compatible = (
  membership: ReadonlyMap<number, number>,
  chosen: ReadonlyMap<number, number>,
): boolean => {
  for (const [array, element] of membership) {
    const other = chosen.get(array);
    if (other !== undefined && other !== element) return false;
  }
  return true;
};

/**
 * Picks one leaf per slot so that all picks agree on the element of every shared array; a slot that allows
 * absence may instead require that no leaf at its path sits in the elements the other picks chose (checked last).
 */
function assign(
  slots: readonly Slot[],
  i: number,
  chosen: Map<number, number>,
  absent: readonly string[],
  index: LeafIndex,
): boolean {
  const slot = slots[i];
  if (slot === undefined) {
    return absent.every((path) => !(index.get(path) ?? []).some((l) => compatible(l.membership, chosen)));
  }
  if (slot.absent && assign(slots, i + 1, chosen, [...absent, slot.path], index)) return true;
  for (const leaf of slot.candidates) {
    if (!compatible(leaf.membership, chosen)) continue;
    const added: number[] = [];
    for (const [array, element] of leaf.membership) {
      if (!chosen.has(array)) {
        chosen.set(array, element);
        added.push(array);
      }
    }
    if (assign(slots, i + 1, chosen, absent, index)) return true;
    for (const array of added) chosen.delete(array);
  }
  return false;
}
