/**
 * What a rule target receives: the matched event, or the target's `Input`, `InputPath` or `InputTransformer`
 * applied to it (EventBridge User Guide, "Amazon EventBridge input transformation"; API Reference, `Target`,
 * `InputTransformer`), plus the context attributes EventBridge Scheduler substitutes into a schedule target's
 * `Input` ("Adding context attributes in EventBridge Scheduler").
 *
 * InputTransformer rules implemented here:
 *  - `InputPathsMap` maps up to 100 names (letters, digits, `_`, `-`; not starting with `aws.`) to JSON paths over
 *    the event: `$`, dot notation (names may hold dashes, underscores, slashes), array indices `[n]`, wildcards
 *    `.*` / `[*]` (a path with a wildcard yields the array of everything it reaches), and `['name']`.
 *  - Predefined variables: `aws.events.rule-arn`, `aws.events.rule-name`, `aws.events.event.ingestion-time` (ISO
 *    8601), `aws.events.event` (the event without `detail`), `aws.events.event.json` (the whole event).
 *  - `InputTemplate` is text with `<name>` placeholders, substituted by where they stand:
 *    - outside a JSON string literal a placeholder becomes the value as JSON (`"RUNNING"`, `42`, `{...}`): EventBridge
 *      adds the quotes to strings itself, so `{"state": <state>}` is valid JSON;
 *    - inside a string literal (`"instance <instance> is in <state>"`) it becomes the raw text of the value, not
 *      escaped (as on AWS: a value holding a `"` yields invalid JSON there); an object or array is written as JSON
 *      with its quotes removed;
 *    - a name whose path is missing from the event yields nothing inside a string and `null` outside one (AWS says
 *      only that the variable "won't appear in the output"; `null` keeps a JSON template valid);
 *    - a placeholder naming neither a map entry nor a predefined variable is left as written.
 *    String literals are tracked with JSON's rules, so `\"` inside a string does not end it.
 */
import type { EventBridgeEvent } from './pattern.ts';

/** Thrown when a target's input cannot be produced: configuration errors, or a path the event lacks. */
export class TransformError extends Error {
  readonly code = 'TRANSFORMATION_ERROR';
  constructor(message: string) {
    super(message);
    this.name = 'TransformError';
  }
}

export interface InputTransformerSpec {
  readonly inputPathsMap?: Readonly<Record<string, string>>;
  readonly inputTemplate: string;
}

/** The input settings of a rule target (at most one of them). */
export interface TargetInputSpec {
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: InputTransformerSpec;
}

export interface TransformContext {
  readonly ruleArn: string;
  readonly ruleName: string;
  /** ISO 8601 time EventBridge received the event. */
  readonly ingestionTime: string;
}

/** Produces the payload text for one event. Throws {@link TransformError} when the event lacks an InputPath. */
export type TargetInputRenderer = (event: EventBridgeEvent, context: TransformContext) => string;

// ---------------------------------------------------------------------------------------------------------------
// JSON paths

type Segment =
  | { readonly k: 'name'; readonly name: string }
  | { readonly k: 'index'; readonly i: number }
  | { readonly k: 'wild' };

export interface EventPath {
  readonly text: string;
  readonly segments: readonly Segment[];
  /** true when the path has a wildcard: its value is the array of every match */
  readonly multiple: boolean;
}

/** Parses an EventBridge JSON path (`$.detail.items[0].id`, `$.detail.items[*].id`, `$['detail-type']`). */
export function parseEventPath(text: string): EventPath {
  const path = text.trim();
  if (!path.startsWith('$')) throw new TransformError(`JSON path "${text}" must start with $`);
  const segments: Segment[] = [];
  let i = 1;
  const fail = (why: string) => new TransformError(`JSON path "${text}": ${why} at position ${i}`);
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      i++;
      if (path[i] === '*') {
        segments.push({ k: 'wild' });
        i++;
        continue;
      }
      const m = /^[^.[\]\s]+/.exec(path.slice(i));
      if (!m) throw fail('expected a field name');
      segments.push({ k: 'name', name: m[0] });
      i += m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i);
      const wild = /^\[\s*\*\s*\]/.exec(rest);
      const index = /^\[\s*(\d+)\s*\]/.exec(rest);
      const quoted =
        /^\[\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(rest) ?? /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest);
      const m = wild ?? index ?? quoted;
      if (wild) segments.push({ k: 'wild' });
      else if (index) segments.push({ k: 'index', i: Number(index[1]) });
      else if (quoted) segments.push({ k: 'name', name: quoted[1]!.replace(/\\(.)/g, '$1') });
      if (!m) throw fail("expected [n], [*] or ['name']");
      i += m[0].length;
    } else throw fail(`unexpected "${c}"`);
  }
  return { text, segments, multiple: segments.some((s) => s.k === 'wild') };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a path: `{found: false}` when a definite path is missing; wildcard paths always yield an array. */
export function readEventPath(path: EventPath, data: unknown): { found: boolean; value?: unknown } {
  let nodes: unknown[] = [data];
  for (const seg of path.segments) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (seg.k === 'name') {
        if (isObject(node) && Object.hasOwn(node, seg.name)) next.push(node[seg.name]);
      } else if (seg.k === 'index') {
        if (Array.isArray(node) && seg.i < node.length) next.push(node[seg.i]);
      } else if (Array.isArray(node)) next.push(...node);
      else if (isObject(node)) next.push(...Object.values(node));
    }
    nodes = next;
  }
  if (path.multiple) return { found: true, value: nodes };
  return nodes.length === 0 ? { found: false } : { found: true, value: nodes[0] };
}

// ---------------------------------------------------------------------------------------------------------------
// Templates

/** What a placeholder resolves to: a value, a known name whose path is missing, or not a variable at all. */
export type Resolved = { readonly value: unknown } | 'missing' | undefined;

const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/y;

/** Raw text of a value placed inside a JSON string literal. */
function rawText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value).replaceAll('"', '');
  return JSON.stringify(value) ?? 'null';
}

/** Substitutes `<name>` placeholders in `template` by the rules in this module's header. */
export function renderTemplate(template: string, resolve: (name: string) => Resolved): string {
  let out = '';
  let inString = false;
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === '<') {
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(template);
      const resolved = m ? resolve(m[1]!) : undefined;
      if (m && resolved !== undefined) {
        if (resolved === 'missing') out += inString ? '' : 'null';
        else out += inString ? rawText(resolved.value) : (JSON.stringify(resolved.value) ?? 'null');
        i += m[0].length;
        continue;
      }
    }
    if (inString && c === '\\' && i + 1 < template.length) {
      out += c + template[i + 1];
      i += 2;
      continue;
    }
    if (c === '"') inString = !inString;
    out += c;
    i++;
  }
  return out;
}

const RESERVED = 'aws.';
const PREDEFINED = new Set([
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event',
  'aws.events.event.json',
  'aws.events.event.ingestion-time',
]);

function predefined(name: string, event: EventBridgeEvent, ctx: TransformContext): Resolved {
  switch (name) {
    case 'aws.events.rule-arn':
      return { value: ctx.ruleArn };
    case 'aws.events.rule-name':
      return { value: ctx.ruleName };
    case 'aws.events.event.ingestion-time':
      return { value: ctx.ingestionTime };
    case 'aws.events.event.json':
      return { value: event };
    case 'aws.events.event': {
      const { detail: _detail, ...rest } = event;
      return { value: rest };
    }
    default:
      return undefined;
  }
}

/**
 * Validates a target's input settings and returns the function producing its payload. Throws
 * {@link TransformError} for configuration AWS would reject: more than one of Input / InputPath / InputTransformer,
 * Input that is not JSON, a malformed path, an InputPathsMap key that is invalid or reserved, over 100 keys, or a
 * template over 8192 characters.
 */
export function compileTargetInput(spec: TargetInputSpec): TargetInputRenderer {
  const set = [spec.input, spec.inputPath, spec.inputTransformer].filter((x) => x !== undefined).length;
  if (set > 1) throw new TransformError('a target takes only one of Input, InputPath and InputTransformer');
  if (spec.input !== undefined) {
    const input = spec.input;
    try {
      JSON.parse(input);
    } catch {
      throw new TransformError(`Input must be valid JSON text, got ${JSON.stringify(input.slice(0, 80))}`);
    }
    return () => input;
  }
  if (spec.inputPath !== undefined) {
    const path = parseEventPath(spec.inputPath);
    return (event) => {
      const r = readEventPath(path, event);
      if (!r.found) throw new TransformError(`InputPath ${path.text} matches nothing in event ${event.id}`);
      return JSON.stringify(r.value) ?? 'null';
    };
  }
  const transformer = spec.inputTransformer;
  if (transformer === undefined) return (event) => JSON.stringify(event);
  const template = transformer.inputTemplate;
  if (typeof template !== 'string' || template.length < 1 || template.length > 8192) {
    throw new TransformError('InputTemplate must be 1 to 8192 characters');
  }
  const entries = Object.entries(transformer.inputPathsMap ?? {});
  if (entries.length > 100)
    throw new TransformError(`InputPathsMap has ${entries.length} keys; the limit is 100`);
  const paths = new Map<string, EventPath>();
  for (const [name, path] of entries) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new TransformError(`InputPathsMap key "${name}" is not valid`);
    if (name.toLowerCase().startsWith(RESERVED)) {
      throw new TransformError(
        `InputPathsMap key "${name}" is reserved (keys can't start with "${RESERVED}")`,
      );
    }
    paths.set(name, parseEventPath(path));
  }
  return (event, ctx) =>
    renderTemplate(template, (name) => {
      const path = paths.get(name);
      if (path) {
        const r = readEventPath(path, event);
        return r.found ? { value: r.value } : 'missing';
      }
      return PREDEFINED.has(name) ? predefined(name, event, ctx) : undefined;
    });
}

/** Is `name` one of EventBridge's predefined input-transformer variables? */
export const isPredefinedVariable = (name: string): boolean => PREDEFINED.has(name);

export interface SchedulerContext {
  readonly scheduleArn: string;
  /** ISO 8601 time the schedule was due */
  readonly scheduledTime: string;
  readonly executionId: string;
  readonly attemptNumber: number;
}

/** Substitutes EventBridge Scheduler's context attributes (`<aws.scheduler.scheduled-time>`, ...) in a target Input. */
export function renderSchedulerInput(input: string, ctx: SchedulerContext): string {
  return input
    .replaceAll('<aws.scheduler.schedule-arn>', ctx.scheduleArn)
    .replaceAll('<aws.scheduler.scheduled-time>', ctx.scheduledTime)
    .replaceAll('<aws.scheduler.execution-id>', ctx.executionId)
    .replaceAll('<aws.scheduler.attempt-number>', String(ctx.attemptNumber));
}
