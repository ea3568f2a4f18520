/**
 * What a rule target receives: the matched event, or the target's `Input`, `InputPath` or `InputTransformer`
 * applied to it (EventBridge User Guide, "Amazon EventBridge input transformation"; API Reference, `Target`,
 * `InputTransformer`), plus the context attributes EventBridge Scheduler substitutes into a schedule target's
 * `Input` ("Adding context attributes in EventBridge Scheduler").
 *
 * The rules below are the documented ones, made precise by what AWS answered to the same requests (the recorded
 * PutTargets answers and SQS deliveries cited in test/eventbridge/transform.test.ts).
 *
 * Checked when the target is put (a ValidationException naming the target, see {@link TransformError}):
 *  - at most one of Input, InputPath and InputTransformer;
 *  - `Input` must start with a JSON value (Jackson reads one value; what follows it is not looked at, and an
 *    empty Input is accepted);
 *  - a path is `$` followed by `.name` (letters, digits, `-`, `_`, `/`), `[n]` and `[*]` segments: no bracket
 *    names, `..`, `.*`, negative indexes or slices. An empty InputPath is accepted (it delivers `{}`), an empty
 *    InputPathsMap path is not;
 *  - an InputTemplate that is a JSON object may not use a placeholder as an object key; `aws.events.event` and
 *    `aws.events.event.json` may only stand, unquoted, as values in a JSON object template (their contents are
 *    not escaped);
 *  - the template with every `<placeholder>` replaced by `null` must start with a JSON value (so `"a <b>"`,
 *    `{"a": <b>}` and the API Reference's `<instance> is in state <status>` pass, `hello <b>` does not).
 *    With an InputPathsMap, a placeholder that is neither one of its keys nor a predefined variable is refused
 *    (`contains invalid placeholder x`); without one, such placeholders are accepted (and delivered as written).
 *
 * Rendering. A template whose first non-blank character is `{` is a JSON template, any other a text template:
 *  - JSON template, placeholder outside a string: the value as JSON (`"RUNNING"`, `42`, `{"a":1}`), a missing path
 *    `""`;
 *  - JSON template, placeholder inside a string: a string's JSON-escaped characters (`say \"hi\"`), any other value
 *    as JSON (an object keeps its quotes, so the output is no longer JSON), a missing path nothing;
 *  - text template, anywhere: a string's raw characters (not escaped), an object or array as JSON with every `"`
 *    removed (`{first:one,second:2}`), null/true/numbers as written, a missing path nothing.
 *
 * Delivered. `InputPath` to a missing or null value delivers `{}`. A transformed payload that is not a sequence
 * of JSON values is not delivered: it fails with INVALID_JSON "Invalid input for target." (not retried; to the
 * dead-letter queue if any, with the rendered text as body). A payload that is empty is not delivered at all
 * (AWS sends nothing: no target call, no dead-letter message).
 *
 * Predefined variables: `aws.events.rule-arn`, `aws.events.rule-name`, `aws.events.event.ingestion-time`
 * (ISO 8601 with milliseconds), `aws.events.event` (id, account, detailType, time in epoch milliseconds, source,
 * region, resources, version: the key names and order AWS delivers) and `aws.events.event.json` (the event).
 */
import type { EventBridgeEvent } from './pattern.ts';

/** A target's input settings AWS refuses (PutTargets ValidationException); the message is AWS's. */
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
  /** ISO 8601 time (with milliseconds) EventBridge received the event. */
  readonly ingestionTime: string;
}

/** What a target is sent: the text, or why nothing can be sent. */
export interface RenderedInput {
  readonly text: string;
  /** `empty`: nothing is sent; `invalid`: the INVALID_JSON failure */
  readonly problem?: 'empty' | 'invalid';
}

/** Produces the payload for one event; never throws. */
export type TargetInputRenderer = (event: EventBridgeEvent, context: TransformContext) => RenderedInput;

/** The failure of a transformed payload that is not JSON (recorded dead-letter attributes). */
export const INVALID_INPUT = { code: 'INVALID_JSON', message: 'Invalid input for target.' } as const;

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

const SEGMENT = /\.([\p{L}\p{N}_\-/]+)|\[(\d+)\]|\[\*\]/uy;

/** Parses an EventBridge JSON path (`$.detail.items[0].id`, `$.detail.items[*].id`); undefined when invalid. */
export function parseEventPath(text: string): EventPath | undefined {
  if (!text.startsWith('$')) return undefined;
  const segments: Segment[] = [];
  let i = 1;
  while (i < text.length) {
    SEGMENT.lastIndex = i;
    const m = SEGMENT.exec(text);
    if (!m) return undefined;
    if (m[1] !== undefined) segments.push({ k: 'name', name: m[1] });
    else if (m[2] !== undefined) {
      const n = Number(m[2]);
      if (!Number.isSafeInteger(n)) return undefined;
      segments.push({ k: 'index', i: n });
    } else segments.push({ k: 'wild' });
    i = SEGMENT.lastIndex;
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
    }
    nodes = next;
  }
  if (path.multiple) return { found: true, value: nodes };
  return nodes.length === 0 ? { found: false } : { found: true, value: nodes[0] };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON checks, the way Jackson reads

/** Where a JSON reading stopped: `[Source: (String)"..."; line: L, column: C]`, Jackson's form. */
function sourceLocation(source: string, at: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && source.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  const snippet = source.length > 500 ? source.slice(0, 500) : source;
  const truncated = source.length > 500 ? `[truncated ${source.length - 500} chars]` : '';
  return `[Source: (String)"${snippet}"${truncated}; line: ${line}, column: ${at - lineStart + 1}]`;
}

class JsonSyntax extends Error {
  constructor(readonly at: number) {
    super('JSON syntax');
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/** A strict (RFC 8259) JSON reader over `text`: `value()` reads one value, failing at the offending token's start. */
class Json {
  pos = 0;
  constructor(readonly text: string) {}

  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  value(depth = 0): void {
    this.ws();
    const t = this.text;
    const start = this.pos;
    const c = t[start];
    if (c === undefined || depth > 1000) throw new JsonSyntax(start);
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      this.pos++;
      this.ws();
      if (t[this.pos] === close) {
        this.pos++;
        return;
      }
      for (;;) {
        if (c === '{') {
          this.ws();
          if (t[this.pos] !== '"') throw new JsonSyntax(this.pos);
          this.string();
          this.ws();
          if (t[this.pos] !== ':') throw new JsonSyntax(this.pos);
          this.pos++;
        }
        this.value(depth + 1);
        this.ws();
        const d = t[this.pos];
        if (d === ',') {
          this.pos++;
          continue;
        }
        if (d === close) {
          this.pos++;
          return;
        }
        throw new JsonSyntax(this.pos);
      }
    }
    if (c === '"') {
      this.string();
      return;
    }
    for (const re of [NUMBER, LITERAL]) {
      re.lastIndex = start;
      const m = re.exec(t);
      // a number or literal runs to a delimiter (Jackson: `truex`, `01`, `1.` are errors)
      if (m && !/[\w.+-]/.test(t[start + m[0].length] ?? ' ')) {
        this.pos = start + m[0].length;
        return;
      }
    }
    throw new JsonSyntax(start);
  }

  private string(): void {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const ch = t.charCodeAt(i);
      if (Number.isNaN(ch) || ch < 0x20) throw new JsonSyntax(start);
      if (ch === 0x22) break;
      if (ch === 0x5c) {
        const e = t[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new JsonSyntax(start);
      } else i++;
    }
    this.pos = i + 1;
  }
}

/** Jackson's `readTree`: undefined when `text` starts with a JSON value (or is blank), else where it fails. */
export function firstJsonValueError(text: string): string | undefined {
  const r = new Json(text);
  r.ws();
  if (r.done) return undefined;
  try {
    r.value();
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntax) return sourceLocation(text, e.at);
    throw e;
  }
}

/** Is `text` a sequence of one or more JSON values (what a target may be sent), blank, or neither? */
export function payloadProblem(text: string): RenderedInput['problem'] {
  const r = new Json(text);
  r.ws();
  if (r.done) return 'empty';
  try {
    while (!r.done) {
      r.value();
      r.ws();
    }
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntax) return 'invalid';
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Templates

/** What a placeholder resolves to: a value, a known name whose path is missing, or not a variable at all. */
export type Resolved = { readonly value: unknown } | 'missing' | undefined;

type Part =
  | string
  | {
      readonly name: string;
      /** inside a JSON string literal */
      readonly inString: boolean;
      /** where an object key goes (refused in JSON templates) */
      readonly isKey: boolean;
    };

export interface ParsedTemplate {
  readonly json: boolean;
  readonly parts: readonly Part[];
}

const PLACEHOLDER = /<([^<>\s]+)>/y;

/**
 * Splits a template into text and `<placeholders>`, noting for each placeholder whether it stands inside a JSON
 * string and whether it is an object key. Strings are tracked with JSON's rules (`\"` does not end one).
 */
export function parseTemplate(template: string): ParsedTemplate {
  const json = /^\s*\{/.test(template);
  const parts: Part[] = [];
  const stack: ('o' | 'a')[] = [];
  let expectKey = false;
  let inString = false;
  let stringIsKey = false;
  let text = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === '<') {
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(template);
      if (m) {
        if (text) parts.push(text);
        text = '';
        parts.push({ name: m[1]!, inString, isKey: inString ? stringIsKey : expectKey });
        i += m[0].length;
        continue;
      }
    }
    if (inString) {
      if (c === '\\' && i + 1 < template.length) {
        text += c + template[i + 1];
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      stringIsKey = expectKey;
    } else if (c === '{') {
      stack.push('o');
      expectKey = true;
    } else if (c === '[') {
      stack.push('a');
      expectKey = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') expectKey = stack.at(-1) === 'o';
    else if (c === ':') expectKey = false;
    text += c;
    i++;
  }
  if (text) parts.push(text);
  return { json, parts };
}

/** A value in a JSON template, outside a string. */
const asJson = (value: unknown): string => JSON.stringify(value) ?? 'null';

/** A value in a JSON template, inside a string. */
const inJsonString = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : asJson(value);

/** A value in a text template. */
const asText = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value).replaceAll('"', '');
  return asJson(value);
};

/** Substitutes placeholders by the rules in this module's header; a name resolved to undefined stays as written. */
export function renderTemplate(
  template: string | ParsedTemplate,
  resolve: (name: string) => Resolved,
): string {
  const parsed = typeof template === 'string' ? parseTemplate(template) : template;
  let out = '';
  for (const part of parsed.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const r = resolve(part.name);
    if (r === undefined) out += `<${part.name}>`;
    else if (!parsed.json) out += r === 'missing' ? '' : asText(r.value);
    else if (part.inString) out += r === 'missing' ? '' : inJsonString(r.value);
    else out += r === 'missing' ? '""' : asJson(r.value);
  }
  return out;
}

const PREDEFINED = new Set([
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event',
  'aws.events.event.json',
  'aws.events.event.ingestion-time',
]);
const EVENT_VARIABLES = new Set(['aws.events.event', 'aws.events.event.json']);

/** `aws.events.event`: the event without detail, under the key names AWS delivers. */
function eventSummary(event: EventBridgeEvent): Record<string, unknown> {
  const time = Date.parse(event.time);
  return {
    id: event.id,
    account: event.account,
    detailType: event['detail-type'],
    time: Number.isNaN(time) ? null : time,
    source: event.source,
    region: event.region,
    resources: event.resources,
    version: event.version,
  };
}

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
    case 'aws.events.event':
      return { value: eventSummary(event) };
    default:
      return undefined;
  }
}

/** Is `name` one of EventBridge's predefined input-transformer variables? */
export const isPredefinedVariable = (name: string): boolean => PREDEFINED.has(name);

const invalidPath = (id: string) => new TransformError(`InputPath for target ${id} is invalid.`);

/**
 * The whole event as JSON, once per event: every target without input settings gets the same text
 * (seven targets of a 2,000-line order's event stringified it seven times). Events are not
 * changed once accepted.
 */
const eventJsonCache = new WeakMap<EventBridgeEvent, string>();
function eventJson(event: EventBridgeEvent): string {
  let text = eventJsonCache.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    eventJsonCache.set(event, text);
  }
  return text;
}

/**
 * Validates a target's input settings as PutTargets does and returns the function producing its payload.
 * Throws {@link TransformError} with AWS's message (naming target `targetId`) for what AWS refuses.
 */
export function compileTargetInput(spec: TargetInputSpec, targetId = 'target'): TargetInputRenderer {
  const set = [spec.input, spec.inputPath, spec.inputTransformer].filter((x) => x !== undefined).length;
  if (set > 1) {
    throw new TransformError(
      `Only one of Input, InputPath, or InputTransformer must be provided for target ${targetId}.`,
    );
  }
  if (spec.input !== undefined) {
    const input = spec.input;
    const error = firstJsonValueError(input);
    if (error) throw new TransformError(`JSON syntax error in input for target ${targetId}: ${error}`);
    const empty = payloadProblem(input) === 'empty';
    return () => (empty ? { text: input, problem: 'empty' } : { text: input });
  }
  if (spec.inputPath !== undefined) {
    if (spec.inputPath === '') return () => ({ text: '{}' });
    const path = parseEventPath(spec.inputPath);
    if (!path) throw invalidPath(targetId);
    return (event) => {
      const r = readEventPath(path, event);
      return { text: !r.found || r.value === null ? '{}' : asJson(r.value) };
    };
  }
  const transformer = spec.inputTransformer;
  if (transformer === undefined) return (event) => ({ text: eventJson(event) });
  const template = transformer.inputTemplate;
  if (typeof template !== 'string' || template.length < 1 || template.length > 8192) {
    throw new TransformError(`InputTemplate for target ${targetId} must be 1 to 8192 characters.`);
  }
  const entries = Object.entries(transformer.inputPathsMap ?? {});
  if (entries.length > 100) {
    throw new TransformError(`InputPathsMap for target ${targetId} has more than 100 entries.`);
  }
  const paths = new Map<string, EventPath>();
  for (const [name, text] of entries) {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
      throw new TransformError(`InputPathsMap key ${name} for target ${targetId} is invalid.`);
    }
    const path = parseEventPath(text);
    if (!path) throw invalidPath(targetId);
    paths.set(name, path);
  }
  const parsed = parseTemplate(template);
  for (const part of parsed.parts) {
    if (typeof part === 'string') continue;
    // With an InputPathsMap, a placeholder must name one of its keys or a predefined variable (recorded:
    // `<notdefinedkey>` beside three mapped names is refused); without one, AWS delivers it as written.
    if (paths.size > 0 && !paths.has(part.name) && !PREDEFINED.has(part.name)) {
      throw new TransformError(
        `InputTemplate for target ${targetId} contains invalid placeholder ${part.name}.`,
      );
    }
    if (EVENT_VARIABLES.has(part.name) && !paths.has(part.name) && (!parsed.json || part.inString)) {
      throw new TransformError(
        `InputTemplate for target ${targetId} contains placeholder ${part.name} valid only for JSON template.`,
      );
    }
    if (parsed.json && part.isKey) {
      throw new TransformError(
        `InputTemplate placeholder present as a JSON object key for target ${targetId}.`,
      );
    }
  }
  const probe = parsed.parts.map((p) => (typeof p === 'string' ? p : 'null')).join('');
  const error = firstJsonValueError(probe);
  if (error) throw new TransformError(`Invalid InputTemplate for target ${targetId} : ${error}.`);
  return (event, ctx) => {
    const text = renderTemplate(parsed, (name) => {
      const path = paths.get(name);
      if (path) {
        const r = readEventPath(path, event);
        return r.found ? { value: r.value } : 'missing';
      }
      return PREDEFINED.has(name) ? predefined(name, event, ctx) : undefined;
    });
    const problem = payloadProblem(text);
    return problem ? { text, problem } : { text };
  };
}

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
