/**
 * The awsJson1_1 EventBridge API (`X-Amz-Target: AWSEvents.<Operation>`) over the bus: request validation,
 * AWS-shaped answers and errors (`{"__type": ..., "message": ...}`), paging. The bus itself is reached through
 * {@link ProtocolCore}, so this module holds the wire format and nothing else.
 */
import { type CompiledPattern, compilePattern, EventPatternError, PatternInternalError } from './pattern.ts';
import { parseScheduleExpression } from './schedule.ts';
import { type BridgeCore, type Bus, isObject, message, type RuleRt, stripUndefined } from './state.ts';
import { compileTargetInput, TransformError } from './transform.ts';
import {
  type ApiResponse,
  EventBridgeError,
  type PutEventsRequestEntry,
  type PutEventsResult,
  type RuleSpec,
  type RuleState,
  type StartReplayRequest,
  type TargetSpec,
} from './types.ts';

/** What the wire layer needs from the bus. */
export interface ProtocolCore
  extends Pick<
    BridgeCore,
    | 'opts'
    | 'clock'
    | 'busesByName'
    | 'archives'
    | 'replays'
    | 'archiving'
    | 'ruleStore'
    | 'rules'
    | 'findBus'
    | 'log'
  > {
  putEvents(entries: readonly PutEventsRequestEntry[]): Promise<PutEventsResult>;
}

const pageOf = <T>(items: readonly T[], body: Record<string, unknown>): { page: T[]; next?: string } => {
  const start = typeof body.NextToken === 'string' ? Number(body.NextToken) || 0 : 0;
  const limit = typeof body.Limit === 'number' && body.Limit > 0 ? body.Limit : 100;
  const page = items.slice(start, start + limit);
  return start + limit < items.length ? { page, next: String(start + limit) } : { page };
};

export async function handleRequest(core: ProtocolCore, target: string, body: unknown): Promise<ApiResponse> {
  const op = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : target;
  const b = (isObject(body) ? body : {}) as Record<string, unknown>;
  try {
    return { status: 200, body: await operation(core, op, b) };
  } catch (e) {
    if (e instanceof EventBridgeError) {
      return {
        status: e.type === 'InternalException' || e.type === 'InternalFailure' ? 500 : 400,
        body: { __type: e.type, message: e.message },
      };
    }
    core.log(`AWSEvents.${op} failed: ${message(e)}`);
    return { status: 500, body: { __type: 'InternalException', message: message(e) } };
  }
}

async function operation(core: ProtocolCore, op: string, b: Record<string, unknown>): Promise<unknown> {
  const str = (field: string, required = false): string | undefined => {
    const v = b[field];
    if (v === undefined || v === null) {
      if (required) throw new EventBridgeError('ValidationException', `Parameter ${field} is required.`);
      return undefined;
    }
    if (typeof v !== 'string')
      throw new EventBridgeError('ValidationException', `Parameter ${field} is not valid.`);
    return v;
  };
  const busOf = (field: string): Bus => {
    const name = str(field);
    const bus = core.findBus(name);
    if (!bus) throw new EventBridgeError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return bus;
  };
  const ruleOf = (): RuleRt => {
    const name = str('Name') ?? str('Rule');
    if (name === undefined) throw new EventBridgeError('ValidationException', 'Parameter Name is required.');
    const bus = busOf('EventBusName');
    const rule = bus.rules.find((r) => r.spec.name === name);
    if (!rule) {
      throw new EventBridgeError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${bus.name}.`,
      );
    }
    return rule;
  };
  switch (op) {
    case 'PutEvents':
      return core.putEvents(b.Entries as PutEventsRequestEntry[]);
    case 'StartReplay':
      return core.archiving.startReplay(b as StartReplayRequest);
    case 'DescribeReplay':
      return core.archiving.describeReplay(str('ReplayName', true)!);
    case 'ListReplays': {
      const prefix = str('NamePrefix') ?? '';
      const state = str('State');
      const source = str('EventSourceArn');
      const all = [...core.replays.values()].filter(
        (r) =>
          r.name.startsWith(prefix) && (!state || r.state === state) && (!source || r.archiveArn === source),
      );
      const { page, next } = pageOf(all, b);
      return stripUndefined({
        Replays: page.map((r) => core.archiving.replayOut(r, false)),
        NextToken: next,
      });
    }
    case 'CancelReplay': {
      const r = core.replays.get(str('ReplayName', true)!);
      if (!r)
        throw new EventBridgeError('ResourceNotFoundException', `Replay ${b.ReplayName} does not exist.`);
      throw new EventBridgeError(
        'IllegalStatusException',
        `Replay ${r.name} is not in a valid state for this operation.`,
      );
    }
    case 'ListRules': {
      const bus = busOf('EventBusName');
      const prefix = str('NamePrefix') ?? '';
      const { page, next } = pageOf(bus.rules.filter((r) => r.spec.name.startsWith(prefix)).sort(byName), b);
      return stripUndefined({ Rules: page.map((r) => ruleOut(r)), NextToken: next });
    }
    case 'DescribeRule':
      return { ...ruleOut(ruleOf()), CreatedBy: core.opts.account };
    case 'ListTargetsByRule': {
      const rule = ruleOf();
      const { page, next } = pageOf([...rule.targets.values()], b);
      return stripUndefined({ Targets: page.map((t) => targetOut(t.spec)), NextToken: next });
    }
    case 'ListRuleNamesByTarget': {
      const arn = str('TargetArn');
      if (arn === undefined) throw notNull('targetArn');
      const bus = busOf('EventBusName');
      const names = bus.rules
        .filter((r) => [...r.targets.values()].some((t) => t.spec.arn === arn))
        .sort(byName)
        .map((r) => r.spec.name);
      const { page, next } = pageOf(names, b);
      return stripUndefined({ RuleNames: page, NextToken: next });
    }
    case 'PutRule':
      return putRule(core, b);
    case 'DeleteRule': {
      const name = ruleName(b.Name, 'name');
      const bus = core.findBus(busName(b.EventBusName));
      const rule = bus?.rules.find((r) => r.spec.name === name);
      if (!rule) return {};
      writable(rule);
      if (rule.targets.size > 0) {
        throw new EventBridgeError('ValidationException', "Rule can't be deleted since it has targets.");
      }
      await core.ruleStore.delete(rule);
      return {};
    }
    case 'EnableRule':
    case 'DisableRule': {
      ruleName(b.Name, 'name');
      busName(b.EventBusName);
      const rule = writable(ruleOf());
      const state: RuleState = op === 'EnableRule' ? 'ENABLED' : 'DISABLED';
      if (rule.spec.state !== state) await core.ruleStore.put({ ...rule.spec, state }, rule.bus);
      return {};
    }
    case 'PutTargets':
      return putTargets(core, b);
    case 'RemoveTargets': {
      ruleName(b.Rule, 'rule');
      busName(b.EventBusName);
      const ids = b.Ids;
      if (ids === undefined || ids === null) throw notNull('ids');
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw serialization();
      const model: Violation[] = [];
      if (ids.length < 1) model.push(minLength(listValue(ids), 'ids', 1));
      if (ids.length > 100) model.push(maxLength(listValue(ids), 'ids', 100));
      for (const [i, id] of (ids as string[]).entries()) checkId(id, `ids.${i + 1}.member`, model);
      if (model.length > 0) throw modelError(model);
      const rule = writable(ruleOf());
      const gone = new Set(ids as string[]);
      const targets = rule.spec.targets.filter((t) => !gone.has(t.id));
      if (targets.length !== rule.spec.targets.length) {
        await core.ruleStore.put({ ...rule.spec, targets }, rule.bus);
      }
      return { FailedEntryCount: 0, FailedEntries: [] };
    }
    case 'CreateEventBus': {
      const name = b.Name;
      if (name === undefined || name === null) throw notNull('name');
      if (typeof name !== 'string') throw serialization();
      const model: Violation[] = [];
      lengthAndPattern(name, 'name', 1, 256, /^[/.\-_A-Za-z0-9]+$/, '[/\\.\\-_A-Za-z0-9]+', model);
      if (model.length > 0) throw modelError(model);
      if (core.findBus(name)) {
        throw new EventBridgeError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
      }
      const bus = await core.ruleStore.createBus(name);
      return { EventBusArn: bus.arn };
    }
    case 'DeleteEventBus': {
      const name = b.Name;
      if (name === undefined || name === null) throw notNull('name');
      if (typeof name !== 'string') throw serialization();
      if (name === 'default') {
        throw new EventBridgeError('ValidationException', 'Cannot delete event bus default.');
      }
      const bus = core.findBus(name);
      if (!bus) return {};
      if (bus.created === undefined) {
        throw new EventBridgeError(
          'ValidationException',
          `Event bus ${bus.name} is declared in the cloud assembly: remove it from the app (the local runtime does not delete it through the API).`,
        );
      }
      await core.ruleStore.deleteBus(bus);
      return {};
    }
    case 'ListEventBuses': {
      const prefix = str('NamePrefix') ?? '';
      const { page, next } = pageOf(
        [...core.busesByName.values()].filter((x) => x.name.startsWith(prefix)),
        b,
      );
      return stripUndefined({
        EventBuses: page.map((x) => ({ Name: x.name, Arn: x.arn })),
        NextToken: next,
      });
    }
    case 'DescribeEventBus': {
      const bus = busOf('Name');
      return { Name: bus.name, Arn: bus.arn };
    }
    case 'ListArchives': {
      const prefix = str('NamePrefix') ?? '';
      const source = str('EventSourceArn');
      const state = str('State');
      await core.archiving.purgeArchives(core.clock.now());
      const all = [...core.archives.values()].filter(
        (a) =>
          a.spec.name.startsWith(prefix) &&
          (!source || a.bus.arn === source) &&
          (!state || state === 'ENABLED'),
      );
      const { page, next } = pageOf(all, b);
      return stripUndefined({
        Archives: page.map((a) => core.archiving.archiveOut(a, false)),
        NextToken: next,
      });
    }
    case 'DescribeArchive': {
      const name = str('ArchiveName', true)!;
      const archive = [...core.archives.values()].find((a) => a.spec.name === name);
      if (!archive)
        throw new EventBridgeError('ResourceNotFoundException', `Archive ${name} does not exist.`);
      await core.archiving.purgeArchives(core.clock.now());
      return core.archiving.archiveOut(archive, true);
    }
    case 'TestEventPattern':
      return { Result: testEventPattern(b.EventPattern, b.Event) };
    default:
      throw new EventBridgeError(
        'UnknownOperationException',
        `AWSEvents.${op} is not supported by the local EventBridge`,
      );
  }
}

const byName = (a: RuleRt, b: RuleRt): number =>
  a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0;

function ruleOut(r: RuleRt): Record<string, unknown> {
  const p = r.spec.eventPattern;
  return stripUndefined({
    Name: r.spec.name,
    Arn: r.spec.arn,
    EventPattern: p === undefined ? undefined : typeof p === 'string' ? p : JSON.stringify(p),
    ScheduleExpression: r.spec.scheduleExpression,
    State: r.spec.state,
    Description: r.spec.description,
    EventBusName: r.bus.name,
  });
}

/** A map's entries sorted by key (ListTargetsByRule shows InputPathsMap so: recorded AWS answers). */
const sortedMap = (m: Readonly<Record<string, string>> | undefined) =>
  m === undefined
    ? undefined
    : Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function targetOut(t: TargetSpec): Record<string, unknown> {
  return stripUndefined({
    Id: t.id,
    Arn: t.arn,
    Input: t.input,
    InputPath: t.inputPath,
    InputTransformer: t.inputTransformer
      ? stripUndefined({
          InputPathsMap: sortedMap(t.inputTransformer.inputPathsMap),
          InputTemplate: t.inputTransformer.inputTemplate,
        })
      : undefined,
    RetryPolicy: t.retryPolicy
      ? stripUndefined({
          MaximumRetryAttempts: t.retryPolicy.maximumRetryAttempts,
          MaximumEventAgeInSeconds: t.retryPolicy.maximumEventAgeInSeconds,
        })
      : undefined,
    DeadLetterConfig: t.deadLetterArn ? { Arn: t.deadLetterArn } : undefined,
  });
}

/** AWS's model-validation wording for a required member left out (`eventPattern`, `event`, ...). */
export const notNull = (member: string): EventBridgeError =>
  new EventBridgeError(
    'ValidationException',
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );

/** The EventPattern shape's length limit (API reference: "Maximum length of 4096"). */
export const MAX_PATTERN_LENGTH = 4096;

/**
 * A pattern compiled as PutRule and TestEventPattern compile it: InvalidEventPatternException with EventBridge's
 * reason, or InternalFailure where EventBridge fails internally (an empty anything-but operator list).
 */
export function compileForApi(pattern: string): CompiledPattern {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new EventBridgeError(
      'ValidationException',
      `1 validation error detected: Value '${pattern}' at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PATTERN_LENGTH}`,
    );
  }
  try {
    return compilePattern(pattern);
  } catch (e) {
    if (e instanceof EventPatternError) throw new EventBridgeError('InvalidEventPatternException', e.message);
    if (e instanceof PatternInternalError) throw new EventBridgeError('InternalFailure', '');
    throw e;
  }
}

/**
 * The envelope fields TestEventPattern insists on. The API reference lists `resources` too, but EventBridge
 * accepts an event without it (recorded: an event lacking only `resources` matches; lacking any of these is
 * "Parameter Event is not valid.").
 */
const TEST_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'];

/** RFC 3339 date-time, as EventBridge reads an event's `time`. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * TestEventPattern: the pattern is compiled first (its errors win), then the event must be a JSON object with the
 * envelope fields and a valid `time`; the answer is whether the pattern matches the event as given (a field
 * repeated in the event counts with each of its values).
 */
function testEventPattern(pattern: unknown, event: unknown): boolean {
  if (pattern === undefined || pattern === null) throw notNull('eventPattern');
  if (event === undefined || event === null) throw notNull('event');
  if (typeof pattern !== 'string' || typeof event !== 'string') {
    throw new EventBridgeError(
      'SerializationException',
      'Start of structure or map found where not expected.',
    );
  }
  const compiled = compileForApi(pattern);
  const invalid = (reason?: string) =>
    new EventBridgeError(
      'ValidationException',
      `Parameter Event is not valid.${reason ? ` Reason: ${reason}` : ''}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(event);
  } catch {
    throw invalid();
  }
  if (!isObject(parsed)) throw invalid();
  if (TEST_EVENT_FIELDS.some((f) => !Object.hasOwn(parsed, f))) throw invalid();
  const time = parsed.time;
  if (typeof time !== 'string' || !RFC3339.test(time) || !Number.isFinite(Date.parse(time))) {
    throw invalid('Invalid time.');
  }
  return compiled.matchesJson(event);
}

// ---------------------------------------------------------------------------------------------------------------
// PutRule, PutTargets and the model validation they share

/**
 * One failed constraint of the API model, worded as AWS words them: `Value 'x' at 'member' failed to satisfy
 * constraint: Member must ...`, collected into "N validation error(s) detected: ...; ...".
 */
interface Violation {
  readonly value: string;
  readonly member: string;
  readonly constraint: string;
}

function modelError(violations: readonly Violation[]): EventBridgeError {
  const n = violations.length;
  const each = violations.map(
    (v) => `Value ${v.value} at '${v.member}' failed to satisfy constraint: ${v.constraint}`,
  );
  return new EventBridgeError(
    'ValidationException',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${each.join('; ')}`,
  );
}

const quoted = (v: string): string => `'${v}'`;
/** A list or map as Java prints it: `[a, b]`, `{k=v, k2=v2}`. */
const listValue = (l: readonly unknown[]): string => quoted(`[${l.join(', ')}]`);
const mapValue = (m: Readonly<Record<string, string>>): string =>
  quoted(
    `{${Object.entries(m)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}}`,
  );
const minLength = (value: string, member: string, n: number): Violation => ({
  value,
  member,
  constraint: `Member must have length greater than or equal to ${n}`,
});
const maxLength = (value: string, member: string, n: number): Violation => ({
  value,
  member,
  constraint: `Member must have length less than or equal to ${n}`,
});

function lengthAndPattern(
  v: string,
  member: string,
  min: number,
  max: number,
  re: RegExp | undefined,
  reText: string,
  out: Violation[],
): void {
  if (v.length < min) out.push(minLength(quoted(v), member, min));
  if (v.length > max) out.push(maxLength(quoted(v), member, max));
  if (re && !re.test(v)) {
    out.push({
      value: quoted(v),
      member,
      constraint: `Member must satisfy regular expression pattern: ${reText}`,
    });
  }
}

const NAME_RE = /^[.\-_A-Za-z0-9]+$/;
const NAME_TEXT = '[\\.\\-_A-Za-z0-9]+';
const BUS_RE = /^(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/;
const BUS_TEXT =
  '(arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+';
const STATES: readonly RuleState[] = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'];

/** The JSON of a member has the wrong type (a number where a string goes, ...), as the service reports it. */
const serialization = () =>
  new EventBridgeError('SerializationException', 'Start of structure or map found where not expected.');

/** An optional string member (undefined when absent or null). */
function optionalString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw serialization();
  return v;
}

/** A rule name member (`name`, `rule`): required, 1-64 characters of `[.\-_A-Za-z0-9]`. */
function ruleName(v: unknown, member: string, model?: Violation[]): string {
  if (v === undefined || v === null) throw notNull(member);
  if (typeof v !== 'string') throw serialization();
  const out = model ?? [];
  lengthAndPattern(v, member, 1, 64, NAME_RE, NAME_TEXT, out);
  if (!model && out.length > 0) throw modelError(out);
  return v;
}

/** An EventBusName member (name or ARN), optional. */
function busName(v: unknown, model?: Violation[]): string | undefined {
  const name = optionalString(v);
  if (name === undefined) return undefined;
  const out = model ?? [];
  lengthAndPattern(name, 'eventBusName', 1, 1600, BUS_RE, BUS_TEXT, out);
  if (!model && out.length > 0) throw modelError(out);
  return name;
}

function checkId(id: string, member: string, out: Violation[]): void {
  lengthAndPattern(id, member, 1, 64, NAME_RE, NAME_TEXT, out);
}

/** An assembly rule is read-only through the API: the app declares it. */
function writable(rule: RuleRt): RuleRt {
  if (!rule.api) {
    throw new EventBridgeError(
      'ManagedRuleException',
      `Rule ${rule.spec.name} is declared in the cloud assembly: change it in the app (the local runtime does not change it through the API).`,
    );
  }
  return rule;
}

const invalidSchedule = () =>
  new EventBridgeError('ValidationException', 'Parameter ScheduleExpression is not valid.');

/**
 * PutRule: creates or replaces a rule (what the request leaves out is gone; its targets stay). Checked in this
 * order: the model's constraints, the bus, a pattern or a schedule given, the pattern (as TestEventPattern
 * compiles it), a schedule only on the default bus, the schedule expression, a state that a schedule allows.
 */
async function putRule(core: ProtocolCore, b: Record<string, unknown>): Promise<unknown> {
  const model: Violation[] = [];
  const name = ruleName(b.Name, 'name', model);
  const bus = busName(b.EventBusName, model);
  const schedule = optionalString(b.ScheduleExpression);
  const pattern = optionalString(b.EventPattern);
  const description = optionalString(b.Description);
  const state = optionalString(b.State);
  const roleArn = optionalString(b.RoleArn);
  if (schedule !== undefined && schedule.length > 256)
    model.push(maxLength(quoted(schedule), 'scheduleExpression', 256));
  if (pattern !== undefined && pattern.length > MAX_PATTERN_LENGTH) {
    model.push(maxLength(quoted(pattern), 'eventPattern', MAX_PATTERN_LENGTH));
  }
  if (state !== undefined && !STATES.includes(state as RuleState)) {
    model.push({
      value: quoted(state),
      member: 'state',
      constraint: `Member must satisfy enum value set: [${STATES.join(', ')}]`,
    });
  }
  if (description !== undefined && description.length > 512) {
    model.push(maxLength(quoted(description), 'description', 512));
  }
  if (roleArn !== undefined) lengthAndPattern(roleArn, 'roleArn', 1, 1600, undefined, '', model);
  if (model.length > 0) throw modelError(model);

  const target = core.findBus(bus);
  if (!target) throw new EventBridgeError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
  if (!pattern && !schedule) {
    throw new EventBridgeError(
      'ValidationException',
      'Parameter(s) EventPattern or ScheduleExpression must be specified.',
    );
  }
  if (pattern) compileForApi(pattern);
  if (schedule !== undefined && target.name !== 'default') {
    throw new EventBridgeError(
      'ValidationException',
      'ScheduleExpression is supported only on the default event bus.',
    );
  }
  if (schedule) {
    try {
      parseScheduleExpression(schedule, 'rule');
    } catch {
      throw invalidSchedule();
    }
  }
  if (state === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' && schedule) {
    throw new EventBridgeError(
      'ValidationException',
      'State ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is not supported for a rule with a ScheduleExpression.',
    );
  }
  const prior = target.rules.find((r) => r.spec.name === name);
  if (prior) writable(prior);
  const spec: RuleSpec = {
    name,
    arn: prior?.spec.arn ?? core.ruleStore.ruleArn(target, name),
    busName: target.name,
    ...(pattern !== undefined ? { eventPattern: pattern } : {}),
    ...(schedule !== undefined ? { scheduleExpression: schedule } : {}),
    state: (state as RuleState | undefined) ?? 'ENABLED',
    ...(description !== undefined ? { description } : {}),
    targets: prior?.spec.targets ?? [],
  };
  const rule = await core.ruleStore.put(spec, target);
  return { RuleArn: rule.spec.arn };
}

/** A wire Target (PutTargets) as the bus's TargetSpec, with the model's constraints checked into `model`. */
function targetOf(t: unknown, n: number, model: Violation[]): TargetSpec | undefined {
  const at = (m: string) => `targets.${n}.member${m ? `.${m}` : ''}`;
  if (!isObject(t)) throw serialization();
  const id = t.Id;
  const arn = t.Arn;
  if (id === undefined || id === null)
    model.push({ value: 'null', member: at('id'), constraint: 'Member must not be null' });
  if (arn === undefined || arn === null) {
    model.push({ value: 'null', member: at('arn'), constraint: 'Member must not be null' });
  }
  if (
    (id !== undefined && id !== null && typeof id !== 'string') ||
    (arn !== undefined && arn !== null && typeof arn !== 'string')
  ) {
    throw serialization();
  }
  if (typeof id === 'string') checkId(id, at('id'), model);
  if (typeof arn === 'string') lengthAndPattern(arn, at('arn'), 1, 1600, undefined, '', model);
  const input = optionalString(t.Input);
  const inputPath = optionalString(t.InputPath);
  if (input !== undefined && input.length > 8192) model.push(maxLength(quoted(input), at('input'), 8192));
  if (inputPath !== undefined && inputPath.length > 256)
    model.push(maxLength(quoted(inputPath), at('inputPath'), 256));
  let inputTransformer: TargetSpec['inputTransformer'];
  if (t.InputTransformer !== undefined && t.InputTransformer !== null) {
    if (!isObject(t.InputTransformer)) throw serialization();
    const template = t.InputTransformer.InputTemplate;
    const map = t.InputTransformer.InputPathsMap;
    if (template === undefined || template === null) {
      model.push({
        value: 'null',
        member: at('inputTransformer.inputTemplate'),
        constraint: 'Member must not be null',
      });
    } else if (typeof template !== 'string') throw serialization();
    else lengthAndPattern(template, at('inputTransformer.inputTemplate'), 1, 8192, undefined, '', model);
    let paths: Record<string, string> | undefined;
    if (map !== undefined && map !== null) {
      if (!isObject(map) || Object.values(map).some((v) => typeof v !== 'string')) throw serialization();
      paths = map as Record<string, string>;
      const keys = Object.keys(paths);
      if (keys.length > 100)
        model.push(maxLength(mapValue(paths), at('inputTransformer.inputPathsMap'), 100));
      if (keys.some((k) => k.length < 1 || k.length > 256 || !/^[A-Za-z0-9_-]+$/.test(k))) {
        model.push({
          value: mapValue(paths),
          member: at('inputTransformer.inputPathsMap'),
          constraint:
            'Map keys must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]',
        });
      }
      if (Object.values(paths).some((v) => v.length > 256)) {
        model.push({
          value: mapValue(paths),
          member: at('inputTransformer.inputPathsMap'),
          constraint:
            'Map value must satisfy constraint: [Member must have length less than or equal to 256]',
        });
      }
    }
    if (typeof template === 'string') {
      inputTransformer = { ...(paths ? { inputPathsMap: paths } : {}), inputTemplate: template };
    }
  }
  let retryPolicy: TargetSpec['retryPolicy'];
  if (t.RetryPolicy !== undefined && t.RetryPolicy !== null) {
    if (!isObject(t.RetryPolicy)) throw serialization();
    const { MaximumRetryAttempts: tries, MaximumEventAgeInSeconds: age } = t.RetryPolicy;
    if (
      (tries !== undefined && typeof tries !== 'number') ||
      (age !== undefined && typeof age !== 'number')
    ) {
      throw serialization();
    }
    if (typeof tries === 'number' && (tries < 0 || tries > 185)) {
      model.push({
        value: quoted(String(tries)),
        member: at('retryPolicy.maximumRetryAttempts'),
        constraint: `Member must have value ${tries < 0 ? 'greater than or equal to 0' : 'less than or equal to 185'}`,
      });
    }
    if (typeof age === 'number' && (age < 60 || age > 86_400)) {
      model.push({
        value: quoted(String(age)),
        member: at('retryPolicy.maximumEventAgeInSeconds'),
        constraint: `Member must have value ${age < 60 ? 'greater than or equal to 60' : 'less than or equal to 86400'}`,
      });
    }
    retryPolicy = stripUndefined({
      maximumRetryAttempts: tries,
      maximumEventAgeInSeconds: age,
    }) as TargetSpec['retryPolicy'];
  }
  let deadLetterArn: string | undefined;
  if (t.DeadLetterConfig !== undefined && t.DeadLetterConfig !== null) {
    if (!isObject(t.DeadLetterConfig)) throw serialization();
    deadLetterArn = optionalString(t.DeadLetterConfig.Arn);
  }
  if (typeof id !== 'string' || typeof arn !== 'string') return undefined;
  return {
    id,
    arn,
    ...(input !== undefined ? { input } : {}),
    ...(inputPath !== undefined ? { inputPath } : {}),
    ...(inputTransformer ? { inputTransformer } : {}),
    ...(retryPolicy ? { retryPolicy } : {}),
    ...(deadLetterArn ? { deadLetterArn } : {}),
  };
}

/**
 * PutTargets: adds the targets to the rule, replacing those with the same Id. The model's constraints first, then
 * the rule, then each target's input settings as PutTargets checks them (a ValidationException naming the target:
 * see transform.ts).
 */
async function putTargets(core: ProtocolCore, b: Record<string, unknown>): Promise<unknown> {
  const model: Violation[] = [];
  const name = ruleName(b.Rule, 'rule', model);
  const bus = busName(b.EventBusName, model);
  const list = b.Targets;
  if (list === undefined || list === null) {
    model.push({ value: 'null', member: 'targets', constraint: 'Member must not be null' });
  } else if (!Array.isArray(list)) throw serialization();
  const specs: TargetSpec[] = [];
  if (Array.isArray(list)) {
    if (list.length < 1) model.push(minLength(listValue(list), 'targets', 1));
    if (list.length > 100) model.push(maxLength(quoted('[...]'), 'targets', 100));
    list.forEach((t, i) => {
      const spec = targetOf(t, i + 1, model);
      if (spec) specs.push(spec);
    });
  }
  if (model.length > 0) throw modelError(model);
  const target = core.findBus(bus);
  if (!target) throw new EventBridgeError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
  const rule = target.rules.find((r) => r.spec.name === name);
  if (!rule) {
    throw new EventBridgeError(
      'ResourceNotFoundException',
      `Rule ${name} does not exist on EventBus ${target.name}.`,
    );
  }
  writable(rule);
  for (const spec of specs) {
    try {
      compileTargetInput(spec, spec.id);
    } catch (e) {
      if (e instanceof TransformError) throw new EventBridgeError('ValidationException', e.message);
      throw e;
    }
  }
  const byId = new Map(rule.spec.targets.map((t) => [t.id, t]));
  for (const spec of specs) byId.set(spec.id, spec);
  await core.ruleStore.put({ ...rule.spec, targets: [...byId.values()] }, rule.bus);
  return { FailedEntryCount: 0, FailedEntries: [] };
}
