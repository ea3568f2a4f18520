/**
 * Configuration compilation: the cloud assembly's buses, rules (patterns, targets and their input settings,
 * retry policies), archives, schedule groups and Scheduler schedules turned into the runtime structures of
 * state.ts, refusing what could not run (with the resource named). The same functions compile what the API
 * creates later (Scheduler schedules; see scheduler.ts).
 */
import { type CompiledPattern, compilePattern } from './pattern.ts';
import { isValidTimeZone, parseScheduleExpression, type ScheduleTiming } from './schedule.ts';
import type { ScheduleDefinition, ScheduleSource } from './scheduler.ts';
import {
  type ArchiveRt,
  type Bus,
  type Group,
  message,
  type RuleRt,
  retryLimits,
  type ScheduleRt,
  type TargetRt,
} from './state.ts';
import { compileTargetInput, type TargetInputRenderer } from './transform.ts';
import type {
  ArchiveSpec,
  EventBridgeOptions,
  RuleSpec,
  SchedulerScheduleSpec,
  TargetSpec,
} from './types.ts';

/** Everything the assembly declares, compiled. */
export interface Config {
  readonly busesByName: Map<string, Bus>;
  readonly busesByArn: Map<string, Bus>;
  /** by rule ARN */
  readonly rules: Map<string, RuleRt>;
  /** by archive ARN */
  readonly archives: Map<string, ArchiveRt>;
  /** by schedule key (`rule:<arn>`, `schedule:<arn>`) */
  readonly schedules: Map<string, ScheduleRt>;
  readonly groups: Map<string, Group>;
}

/** A bus by name or ARN (`default` when neither is given). */
export function findBus(config: Pick<Config, 'busesByName' | 'busesByArn'>, nameOrArn: string | undefined) {
  const key = nameOrArn ?? 'default';
  return key.startsWith('arn:') ? config.busesByArn.get(key) : config.busesByName.get(key);
}

/** Compiles the assembly's configuration; throws an Error naming the resource that cannot run. */
export function compileConfig(opts: EventBridgeOptions): Config {
  const { region, account } = opts;
  const config: Config = {
    busesByName: new Map(),
    busesByArn: new Map(),
    rules: new Map(),
    archives: new Map(),
    schedules: new Map(),
    groups: new Map(),
  };
  const addBus = (name: string, arn: string) => {
    const existing = config.busesByName.get(name);
    if (existing) {
      if (existing.arn !== arn) throw new Error(`event bus ${name} is declared with two ARNs`);
      return;
    }
    const bus: Bus = { name, arn, rules: [], archives: [] };
    config.busesByName.set(name, bus);
    config.busesByArn.set(arn, bus);
  };
  addBus('default', `arn:aws:events:${region}:${account}:event-bus/default`);
  for (const b of opts.buses) addBus(b.name, b.arn);

  for (const spec of opts.rules) {
    const where = `rule ${spec.name}`;
    const bus = findBus(config, spec.busName);
    if (!bus) throw new Error(`${where}: event bus ${spec.busName} does not exist`);
    if (config.rules.has(spec.arn)) throw new Error(`${where}: duplicate rule ARN ${spec.arn}`);
    const rule = compileRule(spec, bus);
    config.rules.set(spec.arn, rule);
    bus.rules.push(rule);
    const schedule = ruleSchedule(rule);
    if (schedule) config.schedules.set(schedule.key, schedule);
  }

  for (const spec of opts.archives) {
    const where = `archive ${spec.name}`;
    const bus = findBus(config, spec.busArn);
    if (!bus) throw new Error(`${where}: event bus ${spec.busArn} does not exist`);
    const archive = compileArchive(spec, bus);
    config.archives.set(spec.arn, archive);
    bus.archives.push(archive);
  }

  config.groups.set('default', { name: 'default', source: 'default' });
  for (const g of opts.scheduleGroups ?? []) {
    if (config.groups.has(g.name)) throw new Error(`schedule group ${g.name} is declared twice`);
    config.groups.set(g.name, { name: g.name, source: 'assembly' });
  }
  for (const spec of opts.schedules) {
    const where = `schedule ${spec.groupName ?? 'default'}/${spec.name}`;
    const group = spec.groupName ?? 'default';
    if (!config.groups.has(group)) config.groups.set(group, { name: group, source: 'assembly' });
    const s = schedulerRt(spec, where, 'assembly');
    if (config.schedules.has(s.key)) throw new Error(`${where}: duplicate schedule ARN ${spec.arn}`);
    config.schedules.set(s.key, s);
  }
  return config;
}

/**
 * A rule's runtime form: its compiled pattern and targets. Throws an Error naming what is wrong. An empty
 * EventPattern or ScheduleExpression is none (EventBridge accepts `""` for one of them and shows it as given).
 */
export function compileRule(spec: RuleSpec, bus: Bus, api = false): RuleRt {
  const where = `rule ${spec.name}`;
  if (!spec.eventPattern && !spec.scheduleExpression) {
    throw new Error(`${where}: a rule needs an EventPattern or a ScheduleExpression`);
  }
  if (spec.scheduleExpression !== undefined && bus.name !== 'default') {
    throw new Error(`${where}: ScheduleExpression is supported only on the default event bus`);
  }
  let pattern: CompiledPattern | undefined;
  if (spec.eventPattern) {
    try {
      pattern = compilePattern(spec.eventPattern);
    } catch (e) {
      throw new Error(`${where}: ${message(e)}`);
    }
  }
  const targets = new Map<string, TargetRt>();
  for (const t of spec.targets) {
    const at = `${where} target ${t.id}`;
    if (targets.has(t.id)) throw new Error(`${at}: duplicate target id`);
    targets.set(t.id, compileTarget(t, at));
  }
  return { spec, bus, pattern, targets, enabled: spec.state !== 'DISABLED', ...(api ? { api } : {}) };
}

/** A target's runtime form: its input renderer and retry limits. */
export function compileTarget(t: TargetSpec, where: string): TargetRt {
  let render: TargetInputRenderer;
  try {
    render = compileTargetInput(t, t.id);
  } catch (e) {
    throw new Error(`${where}: ${message(e)}`);
  }
  return { spec: t, render, ...retryLimits(t.retryPolicy, where) };
}

/** The schedule of a rule with a ScheduleExpression (undefined for pattern-only rules). */
export function ruleSchedule(rule: RuleRt): ScheduleRt | undefined {
  const spec = rule.spec;
  if (!spec.scheduleExpression) return undefined;
  let expression: ReturnType<typeof parseScheduleExpression>;
  try {
    expression = parseScheduleExpression(spec.scheduleExpression, 'rule');
  } catch (e) {
    throw new Error(`rule ${spec.name}: ${message(e)}`);
  }
  const key = `rule:${spec.arn}`;
  return {
    key,
    kind: 'rule',
    name: spec.name,
    arn: spec.arn,
    timing: { expression, flavor: 'rule' },
    fp: JSON.stringify([spec.scheduleExpression, spec.state]),
    enabled: rule.enabled,
    rule,
    maxRetries: 0,
    maxAgeMs: 0,
    anchor: 0,
    next: undefined,
    inflight: 0,
  };
}

export function compileArchive(spec: ArchiveSpec, bus: Bus): ArchiveRt {
  let pattern: CompiledPattern | undefined;
  if (spec.eventPattern !== undefined) {
    try {
      pattern = compilePattern(spec.eventPattern);
    } catch (e) {
      throw new Error(`archive ${spec.name}: ${message(e)}`);
    }
  }
  return { spec, bus, pattern, count: 0, bytes: 0, oldest: undefined };
}

/** When a Scheduler schedule runs: its expression, time zone and dates; throws on what cannot run. */
export function schedulerTiming(spec: SchedulerScheduleSpec, where: string): ScheduleTiming {
  let expression: ReturnType<typeof parseScheduleExpression>;
  try {
    expression = parseScheduleExpression(spec.scheduleExpression, 'scheduler');
  } catch (e) {
    throw new Error(`${where}: ${message(e)}`);
  }
  const timeZone = spec.timezone ?? 'UTC';
  if (!isValidTimeZone(timeZone)) throw new Error(`${where}: unknown time zone ${timeZone}`);
  const date = (text: string | undefined, field: string) => {
    if (text === undefined) return undefined;
    const ms = Date.parse(text);
    if (!Number.isFinite(ms)) throw new Error(`${where}: ${field} ${text} is not a date`);
    return ms;
  };
  const startMs = date(spec.startDate, 'StartDate');
  const endMs = date(spec.endDate, 'EndDate');
  return {
    expression,
    flavor: 'scheduler',
    timeZone,
    ...(startMs !== undefined ? { startMs } : {}),
    ...(endMs !== undefined ? { endMs } : {}),
  };
}

/**
 * A Scheduler schedule from its spec; throws on what cannot run. An API schedule is checked by it and then kept
 * with its definition on disk (definitions.ts).
 */
export function schedulerRt(spec: SchedulerScheduleSpec, where: string, source: ScheduleSource): ScheduleRt {
  const timing = schedulerTiming(spec, where);
  const { maxRetries, maxAgeMs } = retryLimits(spec.target.retryPolicy, where);
  return {
    key: `schedule:${spec.arn}`,
    kind: 'scheduler',
    name: spec.name,
    arn: spec.arn,
    timing,
    // API schedules are replaced whole by UpdateSchedule: no fingerprint to compare
    fp:
      source === 'api'
        ? ''
        : JSON.stringify([
            spec.scheduleExpression,
            timing.timeZone,
            timing.startMs ?? null,
            timing.endMs ?? null,
            spec.state,
          ]),
    enabled: spec.state !== 'DISABLED',
    spec,
    maxRetries,
    maxAgeMs,
    source,
    anchor: 0,
    next: undefined,
    // every field declared here, the ones set later too: one object of one shape, no side array
    last: undefined,
    entry: undefined,
    inflight: 0,
    gone: undefined,
  };
}

/** What the bus runs for a Scheduler API schedule. */
export function specOf(def: ScheduleDefinition): SchedulerScheduleSpec {
  const date = (seconds: number | undefined) =>
    seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
  const start = date(def.StartDate);
  const end = date(def.EndDate);
  const target = def.Target;
  return {
    name: def.Name,
    groupName: def.GroupName,
    arn: def.Arn,
    scheduleExpression: def.ScheduleExpression,
    ...(def.ScheduleExpressionTimezone !== undefined ? { timezone: def.ScheduleExpressionTimezone } : {}),
    ...(start !== undefined ? { startDate: start } : {}),
    ...(end !== undefined ? { endDate: end } : {}),
    state: def.State,
    ...(def.FlexibleTimeWindow.MaximumWindowInMinutes !== undefined
      ? { flexibleWindowMinutes: def.FlexibleTimeWindow.MaximumWindowInMinutes }
      : {}),
    target: {
      arn: target.Arn,
      roleArn: target.RoleArn,
      ...(target.Input !== undefined ? { input: target.Input } : {}),
      retryPolicy: {
        maximumRetryAttempts: target.RetryPolicy.MaximumRetryAttempts,
        maximumEventAgeInSeconds: target.RetryPolicy.MaximumEventAgeInSeconds,
      },
      ...(target.DeadLetterConfig ? { deadLetterArn: target.DeadLetterConfig.Arn } : {}),
    },
    actionAfterCompletion: def.ActionAfterCompletion,
  };
}
