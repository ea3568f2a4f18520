/**
 * The awsJson1_1 EventBridge API (`X-Amz-Target: AWSEvents.<Operation>`) over the bus: request validation,
 * AWS-shaped answers and errors (`{"__type": ..., "message": ...}`), paging. The bus itself is reached through
 * {@link ProtocolCore}, so this module holds the wire format and nothing else.
 */
import { type CompiledPattern, compilePattern, EventPatternError, PatternInternalError } from './pattern.ts';
import { type BridgeCore, type Bus, isObject, message, type RuleRt, stripUndefined } from './state.ts';
import {
  type ApiResponse,
  EventBridgeError,
  type PutEventsRequestEntry,
  type PutEventsResult,
  type StartReplayRequest,
  type TargetSpec,
} from './types.ts';

/** What the wire layer needs from the bus. */
export interface ProtocolCore
  extends Pick<
    BridgeCore,
    'opts' | 'clock' | 'busesByName' | 'archives' | 'replays' | 'archiving' | 'findBus' | 'log'
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
      const { page, next } = pageOf(
        bus.rules.filter((r) => r.spec.name.startsWith(prefix)),
        b,
      );
      return stripUndefined({ Rules: page.map((r) => ruleOut(r)), NextToken: next });
    }
    case 'DescribeRule':
      return { ...ruleOut(ruleOf()), CreatedBy: core.opts.account };
    case 'ListTargetsByRule': {
      const rule = ruleOf();
      const { page, next } = pageOf([...rule.targets.values()], b);
      return stripUndefined({ Targets: page.map((t) => targetOut(t.spec)), NextToken: next });
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

function ruleOut(r: RuleRt): Record<string, unknown> {
  const p = r.spec.eventPattern;
  return stripUndefined({
    Name: r.spec.name,
    Arn: r.spec.arn,
    EventPattern: p === undefined ? undefined : typeof p === 'string' ? p : JSON.stringify(p),
    ScheduleExpression: r.spec.scheduleExpression,
    State: r.enabled ? 'ENABLED' : 'DISABLED',
    Description: r.spec.description,
    EventBusName: r.bus.name,
  });
}

function targetOut(t: TargetSpec): Record<string, unknown> {
  return stripUndefined({
    Id: t.id,
    Arn: t.arn,
    Input: t.input,
    InputPath: t.inputPath,
    InputTransformer: t.inputTransformer
      ? stripUndefined({
          InputPathsMap: t.inputTransformer.inputPathsMap,
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
