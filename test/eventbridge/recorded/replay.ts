/**
 * Replays the AWS-recorded EventBridge cases in this folder (issue #15, decision 46) and scores them.
 *
 * `test-event-pattern.json`: TestEventPattern requests as LocalStack's AWS-validated pattern tests send them
 * (each Event and EventPattern `json.dumps`'ed) and what AWS answered: `result`, or `error` (code, and the message
 * where the recording keeps it). `deliveries.json`: rules on a custom bus with an SQS target and what the target
 * received (`body`), or PutTargets' refusal (`putTargetsError`); bus-pattern cases list which events got through.
 * Only the recorded data is kept (no LocalStack code); each case names its test and the file names the snapshot.
 *
 * Classes scored: the pattern matcher itself (`compilePattern(...).matchesJson`) on the cases AWS answered with a
 * result; the TestEventPattern API through @aws-sdk/client-eventbridge (result, or exception code and exact
 * message); the exception code alone; the exception message where recorded; what a target receives (input path,
 * input transformer, PutTargets' refusals); which events a rule on the bus lets through.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { compilePattern, EventPatternError } from '../../../local/eventbridge/pattern.ts';
import { ACCOUNT, type ApiHarness, outcome, REGION } from '../api-harness.ts';

const dir = new URL('.', import.meta.url).pathname;

// --- the TestEventPattern cases ---------------------------------------------------------------------------------

export interface PatternCase {
  test: string;
  /** laid over the file's `envelope` */
  event?: Record<string, unknown>;
  /** the whole event (instead of envelope + event) */
  eventRaw?: Record<string, unknown>;
  /** the event's text as sent */
  eventText?: string;
  pattern?: unknown;
  /** the pattern's text as sent (a repeated key, a pattern that is not JSON) */
  patternText?: string;
  result?: boolean;
  error?: { code: string; message?: string };
  note?: string;
  /** what this case is known not to agree on yet, and why (listed in decision 46) */
  differs?: { scores: string[]; why: string };
}

interface PatternFile {
  file: string;
  envelope: Record<string, unknown>;
  cases: PatternCase[];
}

/** JSON text as Python's `json.dumps` writes it: `", "` and `": "` separators, non-ASCII as `\uXXXX`. */
export function pyDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyDumps(k)}: ${pyDumps(x)}`)
      .join(', ')}}`;
  if (typeof v === 'string')
    return JSON.stringify(v).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return JSON.stringify(v);
}

export interface LoadedPatternCase extends PatternCase {
  source: string;
  eventSent: string;
  patternSent: string;
}

export function loadPatternCases(): LoadedPatternCase[] {
  const f = JSON.parse(readFileSync(join(dir, 'test-event-pattern.json'), 'utf8')) as PatternFile;
  return f.cases.map((c) => ({
    ...c,
    source: `${f.file}::${c.test}`,
    eventSent: c.eventText ?? pyDumps(c.eventRaw ?? { ...f.envelope, ...c.event }),
    patternSent: c.patternText ?? pyDumps(c.pattern),
  }));
}

export type Answer = { ok: true; result: boolean } | { ok: false; code: string; message: string };

/** The pattern matcher on its own: compile, then match the event's text. */
export function matcherAnswer(c: LoadedPatternCase): Answer {
  try {
    return { ok: true, result: compilePattern(c.patternSent).matchesJson(c.eventSent) };
  } catch (e) {
    if (e instanceof EventPatternError)
      return { ok: false, code: 'InvalidEventPatternException', message: e.message };
    return { ok: false, code: 'Error', message: String(e) };
  }
}

export async function apiAnswer(api: ApiHarness, c: LoadedPatternCase): Promise<Answer> {
  const o = await outcome(
    api.client.send(new TestEventPatternCommand({ Event: c.eventSent, EventPattern: c.patternSent })),
  );
  return o.ok
    ? { ok: true, result: o.output.Result === true }
    : { ok: false, code: o.name, message: o.message };
}

export interface PatternScore {
  /** null: the class does not apply to the case */
  matcher: boolean | null;
  api: boolean;
  exception: boolean | null;
  message: boolean | null;
  diffs: string[];
}

const show = (a: Answer) => (a.ok ? `Result ${a.result}` : `${a.code}: ${JSON.stringify(a.message)}`);

export function scorePattern(c: LoadedPatternCase, matcher: Answer, api: Answer): PatternScore {
  const diffs: string[] = [];
  const expected = c.error
    ? `${c.error.code}${c.error.message ? `: ${JSON.stringify(c.error.message)}` : ''}`
    : `Result ${c.result}`;
  let m: boolean | null = null;
  if (c.result !== undefined) {
    m = matcher.ok && matcher.result === c.result;
    if (!m) diffs.push(`matcher: ${show(matcher)}, AWS: ${expected}`);
  }
  let exception: boolean | null = null;
  let message: boolean | null = null;
  let apiOk: boolean;
  if (c.error) {
    exception = !api.ok && api.code === c.error.code;
    if (c.error.message !== undefined) message = !api.ok && api.message === c.error.message;
    apiOk = exception && message !== false;
  } else {
    apiOk = api.ok && api.result === c.result;
  }
  if (!apiOk) diffs.push(`api: ${show(api)}, AWS: ${expected}`);
  return { matcher: m, api: apiOk, exception, message, diffs };
}

// --- the delivery cases -------------------------------------------------------------------------------------------

export interface DeliveryCase {
  test: string;
  class: 'input-path' | 'transformer' | 'bus-pattern';
  pattern?: unknown;
  source?: string;
  detailType?: string;
  detail?: unknown;
  target?: Omit<Target, 'Id' | 'Arn'>;
  body?: unknown;
  putTargetsError?: { code: string; message: string };
  events?: { detail: unknown; delivered: boolean }[];
  note?: string;
  differs?: { scores: string[]; why: string };
}

export interface LoadedDeliveryCase extends DeliveryCase {
  origin: string;
}

export function loadDeliveryCases(): LoadedDeliveryCase[] {
  const f = JSON.parse(readFileSync(join(dir, 'deliveries.json'), 'utf8')) as {
    file: string;
    cases: DeliveryCase[];
  };
  return f.cases.map((c) => ({ ...c, origin: `${f.file}::${c.test}` }));
}

/** The tests' TEST_EVENT_PATTERN (source and detail-type). */
const COMMAND = 'core.update-account-command';
const TEST_EVENT_PATTERN = { source: [COMMAND], 'detail-type': [COMMAND] };

let n = 0;

interface Tokens {
  id: string;
  ruleName: string;
  ruleArn: string;
  targetId: string;
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A recorded string with its tokens, as a regular expression over the local text. */
function tokenRegex(s: string, t: Tokens): RegExp {
  const parts = s.split(/(<id>|<time>|<iso-time>|<account>|<region>|<rule-arn>|<rule-name>|<target-id>)/);
  const body = parts
    .map((p) => {
      switch (p) {
        case '<id>':
          return reEscape(t.id);
        case '<time>':
          return '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z';
        case '<iso-time>':
          return '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z';
        case '<account>':
          return reEscape(ACCOUNT);
        case '<region>':
          return reEscape(REGION);
        case '<rule-arn>':
          return reEscape(t.ruleArn);
        case '<rule-name>':
          return reEscape(t.ruleName);
        case '<target-id>':
          return reEscape(t.targetId);
        default:
          return reEscape(p);
      }
    })
    .join('');
  return new RegExp(`^${body}$`, 's');
}

function sameValue(expected: unknown, actual: unknown, t: Tokens): boolean {
  if (expected === '<any>') return actual !== undefined;
  if (typeof expected === 'string') return typeof actual === 'string' && tokenRegex(expected, t).test(actual);
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => sameValue(e, actual[i], t))
    );
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const ek = Object.keys(expected);
    const ak = Object.keys(actual);
    return (
      ek.length === ak.length &&
      ek.every((k) =>
        sameValue((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], t),
      )
    );
  }
  return expected === actual;
}

/** Does the delivered text agree with the recorded body (text, or JSON value)? */
export function sameBody(expected: unknown, delivered: string, t: Tokens): boolean {
  if (typeof expected === 'string') return tokenRegex(expected, t).test(delivered);
  let parsed: unknown;
  try {
    parsed = JSON.parse(delivered);
  } catch {
    return false;
  }
  return sameValue(expected, parsed, t);
}

export interface DeliveryScore {
  agrees: boolean;
  diffs: string[];
}

const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

export async function replayDelivery(api: ApiHarness, c: LoadedDeliveryCase): Promise<DeliveryScore> {
  const ruleName = `recorded-${++n}`;
  const targetId = `target-${n}`;
  const arn = queueArn(ruleName);
  const tokens: Tokens = {
    id: '',
    ruleName,
    ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/shop/${ruleName}`,
    targetId,
  };
  const rule = await outcome(
    api.client.send(
      new PutRuleCommand({
        Name: ruleName,
        EventBusName: 'shop',
        EventPattern: JSON.stringify(c.pattern ?? TEST_EVENT_PATTERN),
      }),
    ),
  );
  if (!rule.ok) return { agrees: false, diffs: [`PutRule: ${rule.name}: ${rule.message}`] };
  const put = await outcome(
    api.client.send(
      new PutTargetsCommand({
        Rule: ruleName,
        EventBusName: 'shop',
        Targets: [{ Id: targetId, Arn: arn, ...(c.target ?? {}) }],
      }),
    ),
  );
  const failed = put.ok ? put.output.FailedEntryCount : 0;
  if (c.putTargetsError) {
    const want = {
      code: c.putTargetsError.code,
      message: c.putTargetsError.message.replace('<target-id>', targetId),
    };
    const got = put.ok
      ? { code: failed ? 'FailedEntry' : 'ok', message: JSON.stringify(put.output.FailedEntries ?? []) }
      : { code: put.name, message: put.message };
    const agrees = got.code === want.code && got.message === want.message;
    return {
      agrees,
      diffs: agrees ? [] : [`PutTargets: ${got.code}: ${got.message}; AWS: ${want.code}: ${want.message}`],
    };
  }
  if (!put.ok || failed)
    return {
      agrees: false,
      diffs: [`PutTargets refused: ${put.ok ? JSON.stringify(put.output) : put.message}`],
    };
  const send = async (detail: unknown) => {
    const before = api.delivered.length;
    const r = await api.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'shop',
            Source: c.source ?? COMMAND,
            DetailType: c.detailType ?? COMMAND,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    await api.clock.advance(0);
    tokens.id = r.Entries?.[0]?.EventId ?? '';
    return api.delivered.slice(before).filter((d) => d.arn === arn);
  };
  if (c.events) {
    const got: boolean[] = [];
    for (const e of c.events) got.push((await send(e.detail)).length > 0);
    const want = c.events.map((e) => e.delivered);
    const agrees = got.every((g, i) => g === want[i]);
    return {
      agrees,
      diffs: agrees ? [] : [`delivered ${JSON.stringify(got)}; AWS: ${JSON.stringify(want)}`],
    };
  }
  const out = await send(c.detail);
  if (out.length !== 1)
    return { agrees: false, diffs: [`${out.length} deliveries; AWS: 1 (${JSON.stringify(c.body)})`] };
  const text = out[0]?.payload ?? '';
  const agrees = sameBody(c.body, text, tokens);
  return {
    agrees,
    diffs: agrees ? [] : [`delivered ${JSON.stringify(text)}; AWS: ${JSON.stringify(c.body)}`],
  };
}

// --- scores -------------------------------------------------------------------------------------------------------

export interface ClassScore {
  agree: number;
  total: number;
}

export interface Scores {
  [cls: string]: ClassScore;
}

export const CLASS_NAMES: Record<string, string> = {
  matcher: 'pattern matcher (result cases)',
  api: 'TestEventPattern API (result or exception + message)',
  exception: 'exception (code)',
  message: 'exception message (exact, where recorded)',
  transform: 'target input (input path + transformer + PutTargets refusals)',
  'bus-pattern': 'rule on the bus (which events get through)',
};

export function formatScores(s: Scores): string {
  return Object.entries(CLASS_NAMES)
    .filter(([k]) => s[k])
    .map(([k, name]) => {
      const { agree, total } = s[k] as ClassScore;
      return `${name.padEnd(62)} ${String(agree).padStart(3)}/${String(total).padEnd(3)} ${((100 * agree) / total).toFixed(1)}%`;
    })
    .join('\n');
}

/** Replays every case; returns the scores and the cases that disagree. */
export async function scoreAll(
  api: ApiHarness,
): Promise<{ scores: Scores; diffs: { source: string; diffs: string[] }[] }> {
  const scores: Scores = {};
  const add = (k: string, ok: boolean | null) => {
    if (ok === null) return;
    const s = scores[k] ?? { agree: 0, total: 0 };
    scores[k] = s;
    s.total++;
    if (ok) s.agree++;
  };
  const diffs: { source: string; diffs: string[] }[] = [];
  for (const c of loadPatternCases()) {
    const s = scorePattern(c, matcherAnswer(c), await apiAnswer(api, c));
    add('matcher', s.matcher);
    add('api', s.api);
    add('exception', s.exception);
    add('message', s.message);
    if (s.diffs.length) diffs.push({ source: c.source, diffs: s.diffs });
  }
  for (const c of loadDeliveryCases()) {
    const s = await replayDelivery(api, c);
    add(c.class === 'bus-pattern' ? 'bus-pattern' : 'transform', s.agrees);
    if (s.diffs.length) diffs.push({ source: c.origin, diffs: s.diffs });
  }
  return { scores, diffs };
}
