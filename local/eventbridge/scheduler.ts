/**
 * The EventBridge Scheduler API (restJson1, `@aws-sdk/client-scheduler`) of the local runtime: the HTTP
 * operations, their validation and their answers, over a {@link SchedulerStore} (the local EventBridge, which
 * journals the schedules and runs them on the runtime's clock with the rest of its schedules).
 *
 * Follows the Scheduler API Reference (service model 2021-06-30):
 *  - `POST /schedules/{Name}` CreateSchedule, `GET` GetSchedule, `PUT` UpdateSchedule (replaces every field:
 *    what the request leaves out goes back to its default), `DELETE` DeleteSchedule, `?groupName=` on the last
 *    three; `GET /schedules` ListSchedules (`ScheduleGroup`, `NamePrefix`, `State`, `MaxResults` 1-100,
 *    `NextToken`); `POST|GET|DELETE /schedule-groups/{Name}`, `GET /schedule-groups` (`NamePrefix`, `MaxResults`,
 *    `NextToken`).
 *  - Names and group names 1-64 of `[0-9a-zA-Z-_.]`; ScheduleExpression 1-256 (`at()`, `rate()`, `cron()`);
 *    ScheduleExpressionTimezone 1-50 (an IANA zone); Description ≤ 512; State ENABLED | DISABLED (default
 *    ENABLED); ActionAfterCompletion NONE | DELETE (default NONE); FlexibleTimeWindow required, Mode OFF |
 *    FLEXIBLE, MaximumWindowInMinutes 1-1440 (required with FLEXIBLE only); Target required with Arn (1-1600) and
 *    RoleArn (an IAM role ARN); Target.Input at least 1 character, well-formed JSON for Lambda and Step Functions
 *    targets; RetryPolicy MaximumRetryAttempts 0-185 (default 185), MaximumEventAgeInSeconds 60-86400 (default
 *    86400); DeadLetterConfig.Arn an SQS queue ARN; ClientToken 1-64 of `[a-zA-Z0-9-_]`.
 *  - StartDate and EndDate are ignored for one-time schedules; for recurring ones StartDate may not be more than 5
 *    minutes in the past and EndDate must follow it.
 *  - Errors: the status of the error shape, `x-amzn-ErrorType: <name>` and `{"Message": ...}`, so the SDK raises
 *    ValidationException (400), ResourceNotFoundException (404), ConflictException (409) by name. Shape violations
 *    read like AWS's (`1 validation error detected: Value '...' at 'name' failed to satisfy constraint: ...`).
 *  - CreateSchedule with the ClientToken of the request that created the schedule (an SDK retry) answers as the
 *    first time did instead of ConflictException.
 *
 * Local choices (docs/decisions.md): targets are Lambda functions, SQS queues and Step Functions state machines
 * (others, universal targets and target parameters are refused at creation); the execution role and the KMS key
 * are recorded, never used; flexible time windows are recorded and the target is invoked on time; schedules
 * declared in the cloud assembly are read-only (ConflictException on update or delete: the assembly is their
 * source, as CloudFormation is); tags are not served.
 */
import { isValidTimeZone, parseScheduleExpression } from './schedule.ts';
import { renderSchedulerInput } from './transform.ts';

// ---------------------------------------------------------------------------------------------------------------
// Shapes

export interface ScheduleTarget {
  readonly Arn: string;
  readonly RoleArn: string;
  readonly Input?: string;
  readonly RetryPolicy: { readonly MaximumEventAgeInSeconds: number; readonly MaximumRetryAttempts: number };
  readonly DeadLetterConfig?: { readonly Arn: string };
}

/** A schedule as GetSchedule returns it (epoch seconds for dates), defaults filled in. */
export interface ScheduleDefinition {
  readonly Arn: string;
  readonly Name: string;
  readonly GroupName: string;
  readonly ScheduleExpression: string;
  readonly ScheduleExpressionTimezone?: string;
  readonly StartDate?: number;
  readonly EndDate?: number;
  readonly Description?: string;
  readonly State: 'ENABLED' | 'DISABLED';
  readonly KmsKeyArn?: string;
  readonly Target: ScheduleTarget;
  readonly FlexibleTimeWindow: {
    readonly Mode: 'OFF' | 'FLEXIBLE';
    readonly MaximumWindowInMinutes?: number;
  };
  readonly ActionAfterCompletion: 'NONE' | 'DELETE';
  readonly CreationDate: number;
  readonly LastModificationDate: number;
}

export interface ScheduleGroupInfo {
  readonly Arn: string;
  readonly Name: string;
  readonly State: 'ACTIVE';
  readonly CreationDate?: number;
  readonly LastModificationDate?: number;
}

/** What ListSchedules filters on: a schedule's group, name and state. */
export type ScheduleListing = Pick<ScheduleDefinition, 'GroupName' | 'Name' | 'State'>;

/** Where a schedule comes from: the Scheduler API, or the cloud assembly (read-only). */
export type ScheduleSource = 'api' | 'assembly';

export interface StoredSchedule {
  readonly definition: ScheduleDefinition;
  readonly source: ScheduleSource;
  /** the ClientToken of the CreateSchedule that made it */
  readonly clientToken?: string;
}

/** What the API needs from the store that journals and runs the schedules (the local EventBridge). */
export interface SchedulerStore {
  readonly region: string;
  readonly account: string;
  now(): number;
  group(name: string): (ScheduleGroupInfo & { readonly source: 'default' | ScheduleSource }) | undefined;
  /** every group, in name order */
  groups(): ScheduleGroupInfo[];
  createGroup(name: string): Promise<ScheduleGroupInfo>;
  /** deletes the group and its schedules */
  deleteGroup(name: string): Promise<void>;
  get(group: string, name: string): StoredSchedule | undefined;
  /** creates or replaces a schedule; resolves once it is durable */
  put(definition: ScheduleDefinition, clientToken: string | undefined): Promise<void>;
  /** resolves once the deletion is durable */
  delete(group: string, name: string): Promise<void>;
  /**
   * Schedules in a stable order (group, then name), starting after the one whose `cursor` is given: up to `limit`
   * that `keep` accepts (it sees what the store holds in memory: the definitions are read for those kept), and the
   * cursor of the last one looked at when more may follow.
   */
  list(
    after: string | undefined,
    keep: (schedule: ScheduleListing) => boolean,
    limit: number,
  ): { items: ScheduleDefinition[]; cursor?: string };
}

export class SchedulerError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

const validation = (message: string) => new SchedulerError('ValidationException', 400, message);
const notFound = (message: string) => new SchedulerError('ResourceNotFoundException', 404, message);
const conflict = (message: string) => new SchedulerError('ConflictException', 409, message);

export const NAME_PATTERN = /^[0-9a-zA-Z\-_.]+$/;
const CLIENT_TOKEN_PATTERN = /^[a-zA-Z0-9\-_]+$/;
const ROLE_ARN_PATTERN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const DLQ_ARN_PATTERN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9\-_]+$/;
const KMS_ARN_PATTERN = /^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[0-9a-zA-Z\-_]*$/;
/** Target input, at most (EventBridge Scheduler quota; also Lambda's asynchronous payload limit). */
export const MAX_INPUT_BYTES = 256 * 1024;
const DEFAULT_RETRIES = 185;
const DEFAULT_EVENT_AGE = 86_400;
const START_DATE_SLACK_MS = 5 * 60_000;
/** Target services the local runtime invokes. */
const LOCAL_TARGETS = new Set(['lambda', 'sqs', 'states']);
const UNSUPPORTED_TARGET_PARAMETERS = [
  'EcsParameters',
  'EventBridgeParameters',
  'KinesisParameters',
  'SageMakerPipelineParameters',
  'SqsParameters',
];

export const scheduleArnOf = (region: string, account: string, group: string, name: string) =>
  `arn:aws:scheduler:${region}:${account}:schedule/${group}/${name}`;
export const groupArnOf = (region: string, account: string, group: string) =>
  `arn:aws:scheduler:${region}:${account}:schedule-group/${group}`;

// ---------------------------------------------------------------------------------------------------------------
// Validation

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const quoted = (v: unknown) =>
  typeof v === 'string' ? `'${v.length > 256 ? `${v.slice(0, 256)}…` : v}'` : String(v);

/** Collects shape violations and reports them the way AWS's request validation does. */
class Violations {
  readonly list: string[] = [];

  add(value: unknown, path: string, constraint: string): void {
    this.list.push(
      `Value ${value === undefined || value === null ? 'null' : quoted(value)} at '${path}' failed to satisfy constraint: ${constraint}`,
    );
  }

  /** A string member: type, length and pattern. `required` adds "must not be null". */
  string(
    value: unknown,
    path: string,
    o: { required?: boolean; min?: number; max?: number; pattern?: RegExp; values?: readonly string[] } = {},
  ): string | undefined {
    if (value === undefined || value === null) {
      if (o.required) this.add(value, path, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(value, path, 'Member must be a string');
      return undefined;
    }
    const before = this.list.length;
    if (o.values && !o.values.includes(value))
      this.add(value, path, `Member must satisfy enum value set: [${o.values.join(', ')}]`);
    if (o.min !== undefined && value.length < o.min)
      this.add(value, path, `Member must have length greater than or equal to ${o.min}`);
    if (o.max !== undefined && value.length > o.max)
      this.add(value, path, `Member must have length less than or equal to ${o.max}`);
    if (o.pattern && !o.pattern.test(value))
      this.add(value, path, `Member must satisfy regular expression pattern: ${o.pattern.source}`);
    return this.list.length === before ? value : undefined;
  }

  integer(value: unknown, path: string, min: number, max: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(value, path, 'Member must be an integer');
      return undefined;
    }
    if (value < min) this.add(value, path, `Member must have value greater than or equal to ${min}`);
    else if (value > max) this.add(value, path, `Member must have value less than or equal to ${max}`);
    else return value;
    return undefined;
  }

  /** A timestamp member: epoch seconds (what the SDKs send in restJson1 bodies). */
  timestamp(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.add(value, path, 'Member must be a timestamp (epoch seconds)');
      return undefined;
    }
    return value;
  }

  object(value: unknown, path: string, required: boolean): Json | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(value, path, 'Member must not be null');
      return undefined;
    }
    if (!isObject(value)) {
      this.add(value, path, 'Member must be a structure');
      return undefined;
    }
    return value;
  }

  throwIfAny(): void {
    const n = this.list.length;
    if (n === 0) return;
    throw validation(`${n} validation error${n === 1 ? '' : 's'} detected: ${this.list.join('; ')}`);
  }
}

export function validateName(value: unknown, path: string): string {
  const v = new Violations();
  const name = v.string(value, path, { required: true, min: 1, max: 64, pattern: NAME_PATTERN });
  v.throwIfAny();
  return name!;
}

const serviceOf = (arn: string): string | undefined => /^arn:aws[a-z-]*:([a-z0-9-]+):/.exec(arn)?.[1];

/**
 * A CreateSchedule / UpdateSchedule request body as the schedule it defines (defaults filled in), or a
 * ValidationException. `created` is the creation date to keep (UpdateSchedule), else `now`.
 */
export function scheduleFromRequest(request: {
  readonly name: string;
  readonly body: unknown;
  readonly now: number;
  readonly region: string;
  readonly account: string;
  readonly created?: number;
}): { definition: ScheduleDefinition; clientToken?: string } {
  const v = new Violations();
  const name = validateName(request.name, 'name');
  if (!isObject(request.body)) throw validation('The request body must be a JSON object.');
  const b = request.body;
  const group = v.string(b.GroupName, 'groupName', { min: 1, max: 64, pattern: NAME_PATTERN }) ?? 'default';
  const expression = v.string(b.ScheduleExpression, 'scheduleExpression', {
    required: true,
    min: 1,
    max: 256,
  });
  const timezone = v.string(b.ScheduleExpressionTimezone, 'scheduleExpressionTimezone', { min: 1, max: 50 });
  const description = v.string(b.Description, 'description', { max: 512 });
  const state = v.string(b.State, 'state', { values: ['ENABLED', 'DISABLED'] }) as
    | 'ENABLED'
    | 'DISABLED'
    | undefined;
  const action = v.string(b.ActionAfterCompletion, 'actionAfterCompletion', { values: ['NONE', 'DELETE'] }) as
    | 'NONE'
    | 'DELETE'
    | undefined;
  const kmsKeyArn = v.string(b.KmsKeyArn, 'kmsKeyArn', { min: 1, max: 2048, pattern: KMS_ARN_PATTERN });
  const clientToken = v.string(b.ClientToken, 'clientToken', {
    min: 1,
    max: 64,
    pattern: CLIENT_TOKEN_PATTERN,
  });
  const startDate = v.timestamp(b.StartDate, 'startDate');
  const endDate = v.timestamp(b.EndDate, 'endDate');
  const window = v.object(b.FlexibleTimeWindow, 'flexibleTimeWindow', true);
  const mode = window
    ? (v.string(window.Mode, 'flexibleTimeWindow.mode', { required: true, values: ['OFF', 'FLEXIBLE'] }) as
        | 'OFF'
        | 'FLEXIBLE'
        | undefined)
    : undefined;
  const windowMinutes = window
    ? v.integer(window.MaximumWindowInMinutes, 'flexibleTimeWindow.maximumWindowInMinutes', 1, 1440)
    : undefined;
  const target = v.object(b.Target, 'target', true);
  const targetArn = target
    ? v.string(target.Arn, 'target.arn', { required: true, min: 1, max: 1600 })
    : undefined;
  const roleArn = target
    ? v.string(target.RoleArn, 'target.roleArn', {
        required: true,
        min: 1,
        max: 1600,
        pattern: ROLE_ARN_PATTERN,
      })
    : undefined;
  const input = target ? v.string(target.Input, 'target.input', { min: 1 }) : undefined;
  const retry = target ? v.object(target.RetryPolicy, 'target.retryPolicy', false) : undefined;
  const retries = retry
    ? v.integer(retry.MaximumRetryAttempts, 'target.retryPolicy.maximumRetryAttempts', 0, 185)
    : undefined;
  const age = retry
    ? v.integer(retry.MaximumEventAgeInSeconds, 'target.retryPolicy.maximumEventAgeInSeconds', 60, 86_400)
    : undefined;
  const dlq = target ? v.object(target.DeadLetterConfig, 'target.deadLetterConfig', false) : undefined;
  const dlqArn = dlq
    ? v.string(dlq.Arn, 'target.deadLetterConfig.arn', { min: 1, max: 1600, pattern: DLQ_ARN_PATTERN })
    : undefined;
  v.throwIfAny();

  // --- what the shapes cannot say ---------------------------------------------------------------------------
  let kind: string;
  try {
    kind = parseScheduleExpression(expression!, 'scheduler').kind;
  } catch (e) {
    throw validation(`Invalid Schedule Expression ${expression}. ${(e as Error).message}`);
  }
  if (timezone !== undefined && !isValidTimeZone(timezone)) {
    throw validation(`Invalid ScheduleExpressionTimezone ${timezone}: not a time zone of the IANA database.`);
  }
  if (mode === 'FLEXIBLE' && windowMinutes === undefined) {
    throw validation('MaximumWindowInMinutes is required when the FlexibleTimeWindow Mode is FLEXIBLE.');
  }
  if (mode === 'OFF' && windowMinutes !== undefined) {
    throw validation('MaximumWindowInMinutes is allowed only when the FlexibleTimeWindow Mode is FLEXIBLE.');
  }
  if (kind !== 'at') {
    if (startDate !== undefined && startDate * 1000 < request.now - START_DATE_SLACK_MS) {
      throw validation('The StartDate you specify cannot be earlier than 5 minutes ago.');
    }
    if (startDate !== undefined && endDate !== undefined && endDate <= startDate) {
      throw validation('The EndDate you specify must be after the StartDate.');
    }
  }
  const unsupported = UNSUPPORTED_TARGET_PARAMETERS.filter(
    (p) => target![p] !== undefined && target![p] !== null,
  );
  if (unsupported.length > 0) {
    throw validation(
      `Target ${unsupported.join(', ')} ${unsupported.length === 1 ? 'is' : 'are'} not supported by the local runtime.`,
    );
  }
  const service = serviceOf(targetArn!);
  if (targetArn!.startsWith('arn:aws:scheduler:::') || !service || !LOCAL_TARGETS.has(service)) {
    throw validation(
      `Target ${targetArn} is not supported by the local runtime: it invokes Lambda functions, SQS queues and Step Functions state machines.`,
    );
  }
  if (input !== undefined) {
    if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) {
      throw validation(`Target Input is larger than ${MAX_INPUT_BYTES / 1024} KB.`);
    }
    if (service !== 'sqs') {
      // The context attributes are substituted before the target sees the input: check what it will see.
      const sample = renderSchedulerInput(input, {
        scheduleArn: scheduleArnOf(request.region, request.account, group, name),
        scheduledTime: '2025-01-01T00:00:00Z',
        executionId: 'x',
        attemptNumber: 1,
      });
      try {
        JSON.parse(sample);
      } catch {
        throw validation(
          `Target Input must be well-formed JSON for a ${service === 'lambda' ? 'Lambda' : 'Step Functions'} target.`,
        );
      }
    }
  }

  const now = request.now / 1000;
  const definition: ScheduleDefinition = {
    Arn: scheduleArnOf(request.region, request.account, group, name),
    Name: name,
    GroupName: group,
    ScheduleExpression: expression!,
    ...(timezone !== undefined ? { ScheduleExpressionTimezone: timezone } : {}),
    ...(startDate !== undefined ? { StartDate: startDate } : {}),
    ...(endDate !== undefined ? { EndDate: endDate } : {}),
    ...(description !== undefined ? { Description: description } : {}),
    State: state ?? 'ENABLED',
    ...(kmsKeyArn !== undefined ? { KmsKeyArn: kmsKeyArn } : {}),
    Target: {
      Arn: targetArn!,
      RoleArn: roleArn!,
      ...(input !== undefined ? { Input: input } : {}),
      RetryPolicy: {
        MaximumEventAgeInSeconds: age ?? DEFAULT_EVENT_AGE,
        MaximumRetryAttempts: retries ?? DEFAULT_RETRIES,
      },
      ...(dlqArn !== undefined ? { DeadLetterConfig: { Arn: dlqArn } } : {}),
    },
    FlexibleTimeWindow: {
      Mode: mode!,
      ...(windowMinutes !== undefined ? { MaximumWindowInMinutes: windowMinutes } : {}),
    },
    ActionAfterCompletion: action ?? 'NONE',
    CreationDate: request.created ?? now,
    LastModificationDate: now,
  };
  return { definition, ...(clientToken !== undefined ? { clientToken } : {}) };
}

/** Are two definitions the same request (creation and modification dates aside)? */
export function sameSchedule(a: ScheduleDefinition, b: ScheduleDefinition): boolean {
  const strip = ({ CreationDate: _c, LastModificationDate: _m, ...rest }: ScheduleDefinition) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

export const scheduleSummary = (d: ScheduleDefinition) => ({
  Arn: d.Arn,
  Name: d.Name,
  GroupName: d.GroupName,
  State: d.State,
  CreationDate: d.CreationDate,
  LastModificationDate: d.LastModificationDate,
  Target: { Arn: d.Target.Arn },
});

// ---------------------------------------------------------------------------------------------------------------
// Paging tokens: the store's cursor, opaque to the client.

const encodeToken = (cursor: string) => Buffer.from(cursor, 'utf8').toString('base64url');
function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const cursor = /^[A-Za-z0-9_-]{1,2800}$/.test(token)
    ? Buffer.from(token, 'base64url').toString('utf8')
    : '';
  if (!cursor.startsWith('s:') && !cursor.startsWith('g:')) throw validation('The NextToken is not valid.');
  return cursor;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

export interface SchedulerReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const reply = (status: number, body: unknown, headers: Record<string, string> = {}): SchedulerReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The restJson1 error answer: status, `x-amzn-ErrorType` and `{"Message": ...}`. */
export const errorReply = (type: string, status: number, message: string): SchedulerReply =>
  reply(status, { Message: message }, { 'x-amzn-errortype': type });

const stripUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export interface SchedulerApi {
  /** One request (`url` with its query string); never rejects. */
  handle(method: string, url: string, body: Uint8Array): Promise<SchedulerReply>;
}

export function createSchedulerApi(
  store: SchedulerStore,
  log: (line: string) => void = () => {},
): SchedulerApi {
  const existingGroup = (name: string) => {
    const group = store.group(name);
    if (!group) throw notFound(`Schedule group ${name} does not exist.`);
    return group;
  };
  const existingSchedule = (group: string, name: string) => {
    existingGroup(group);
    const stored = store.get(group, name);
    if (!stored) throw notFound(`Schedule ${name} does not exist.`);
    return stored;
  };
  const queryName = (query: URLSearchParams, key: string, path: string) => {
    const value = query.get(key);
    return value === null ? undefined : validateName(value, path);
  };
  const maxResults = (query: URLSearchParams) => {
    const raw = query.get('MaxResults');
    if (raw === null) return 100;
    const n = Number(raw);
    const v = new Violations();
    v.integer(Number.isFinite(n) ? n : raw, 'maxResults', 1, 100);
    v.throwIfAny();
    return n;
  };
  const jsonBody = (body: Uint8Array): unknown => {
    if (body.byteLength === 0) return {};
    try {
      return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch {
      throw new SchedulerError('SerializationException', 400, 'The request body is not valid JSON.');
    }
  };

  async function operation(method: string, path: string, query: URLSearchParams, body: Uint8Array) {
    const segments = path.split('/').filter((s) => s !== '');
    const [collection, rawName, extra] = segments;
    let name: string | undefined;
    try {
      name = rawName === undefined ? undefined : decodeURIComponent(rawName);
    } catch {
      throw validation('The resource name in the path is not valid.');
    }
    if (extra !== undefined) return undefined;

    if (collection === 'schedules' && name !== undefined) {
      switch (method) {
        case 'POST': {
          const request = jsonBody(body);
          const { definition, clientToken } = scheduleFromRequest({
            name,
            body: request,
            now: store.now(),
            region: store.region,
            account: store.account,
          });
          existingGroup(definition.GroupName);
          const prior = store.get(definition.GroupName, name);
          if (prior) {
            // An SDK retry of the request that created it (same ClientToken) gets the same answer.
            if (
              !(
                clientToken &&
                prior.clientToken === clientToken &&
                sameSchedule(prior.definition, definition)
              )
            ) {
              throw conflict(`Schedule ${name} already exists.`);
            }
            return reply(200, { ScheduleArn: prior.definition.Arn });
          }
          await store.put(definition, clientToken);
          return reply(200, { ScheduleArn: definition.Arn });
        }
        case 'PUT': {
          const request = jsonBody(body);
          const group =
            isObject(request) && typeof request.GroupName === 'string' ? request.GroupName : 'default';
          validateName(name, 'name');
          const prior = existingSchedule(validateName(group, 'groupName'), name);
          const { definition } = scheduleFromRequest({
            name,
            body: request,
            now: store.now(),
            region: store.region,
            account: store.account,
            created: prior.definition.CreationDate,
          });
          if (prior.source === 'assembly') {
            throw conflict(
              `Schedule ${name} is declared in the cloud assembly: change it in the app (the local runtime does not update it through the API).`,
            );
          }
          await store.put(definition, prior.clientToken);
          return reply(200, { ScheduleArn: definition.Arn });
        }
        case 'GET': {
          const group = queryName(query, 'groupName', 'groupName') ?? 'default';
          const { definition } = existingSchedule(group, validateName(name, 'name'));
          return reply(200, stripUndefined(definition));
        }
        case 'DELETE': {
          const group = queryName(query, 'groupName', 'groupName') ?? 'default';
          const stored = existingSchedule(group, validateName(name, 'name'));
          if (stored.source === 'assembly') {
            throw conflict(
              `Schedule ${name} is declared in the cloud assembly: remove it from the app (the local runtime does not delete it through the API).`,
            );
          }
          await store.delete(group, name);
          return reply(200, {});
        }
      }
      return undefined;
    }
    if (collection === 'schedules' && method === 'GET') {
      const group = queryName(query, 'ScheduleGroup', 'groupName');
      const prefix = queryName(query, 'NamePrefix', 'namePrefix');
      const state = query.get('State');
      if (state !== null && state !== 'ENABLED' && state !== 'DISABLED') {
        const v = new Violations();
        v.string(state, 'state', { values: ['ENABLED', 'DISABLED'] });
        v.throwIfAny();
      }
      const limit = maxResults(query);
      const after = decodeToken(query.get('NextToken') ?? undefined);
      if (after !== undefined && !after.startsWith('s:')) throw validation('The NextToken is not valid.');
      if (group !== undefined) existingGroup(group);
      const page = store.list(
        after?.slice(2),
        (d) =>
          (group === undefined || d.GroupName === group) &&
          (prefix === undefined || d.Name.startsWith(prefix)) &&
          (state === null || d.State === state),
        limit,
      );
      return reply(
        200,
        stripUndefined({
          Schedules: page.items.map(scheduleSummary),
          NextToken: page.cursor === undefined ? undefined : encodeToken(`s:${page.cursor}`),
        }),
      );
    }
    if (collection === 'schedule-groups' && name !== undefined) {
      const groupName = validateName(name, 'name');
      switch (method) {
        case 'POST': {
          const request = jsonBody(body);
          if (isObject(request) && request.Tags !== undefined && request.Tags !== null) {
            if (!Array.isArray(request.Tags) || request.Tags.length > 0) {
              throw validation('Tags are not supported by the local runtime.');
            }
          }
          if (store.group(groupName)) throw conflict(`Schedule group ${groupName} already exists.`);
          const group = await store.createGroup(groupName);
          return reply(200, { ScheduleGroupArn: group.Arn });
        }
        case 'GET': {
          const { source: _source, ...group } = existingGroup(groupName);
          return reply(200, stripUndefined(group));
        }
        case 'DELETE': {
          const group = existingGroup(groupName);
          if (group.source === 'default') throw validation('The default schedule group cannot be deleted.');
          if (group.source === 'assembly') {
            throw conflict(
              `Schedule group ${groupName} is declared in the cloud assembly: remove it from the app (the local runtime does not delete it through the API).`,
            );
          }
          await store.deleteGroup(groupName);
          return reply(200, {});
        }
      }
      return undefined;
    }
    if (collection === 'schedule-groups' && method === 'GET') {
      const prefix = queryName(query, 'NamePrefix', 'namePrefix');
      const limit = maxResults(query);
      const after = decodeToken(query.get('NextToken') ?? undefined);
      if (after !== undefined && !after.startsWith('g:')) throw validation('The NextToken is not valid.');
      const all = store.groups().filter((g) => prefix === undefined || g.Name.startsWith(prefix));
      const start = after === undefined ? 0 : all.findIndex((g) => g.Name > after.slice(2));
      const page = start < 0 ? [] : all.slice(start, start + limit);
      const more = start >= 0 && start + limit < all.length;
      return reply(
        200,
        stripUndefined({
          ScheduleGroups: page.map((g) => stripUndefined({ ...g })),
          NextToken: more ? encodeToken(`g:${page.at(-1)!.Name}`) : undefined,
        }),
      );
    }
    return undefined;
  }

  return {
    async handle(method, url, body) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      try {
        const answer = await operation(method.toUpperCase(), path, query, body);
        return (
          answer ??
          errorReply(
            'UnknownOperationException',
            404,
            `${method} ${path} is not an EventBridge Scheduler operation served by the local runtime.`,
          )
        );
      } catch (error) {
        if (error instanceof SchedulerError) return errorReply(error.type, error.status, error.message);
        log(`scheduler ${method} ${path} failed: ${(error as Error).message}`);
        return errorReply('InternalServerException', 500, (error as Error).message);
      }
    },
  };
}
