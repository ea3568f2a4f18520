import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pMap from 'p-map';
import { parseJsonPreservingBigIntegers } from '../../domain/ingestion/json.ts';
import { CliError, type CommandSpec, commandHelp, type Io, parseCommand, UsageError } from './args.ts';
import {
  type Assignment,
  applyAssignments,
  parseAssignment,
  type SignedDelivery,
  secretVariable,
  signDelivery,
  signingSecret,
} from './delivery.ts';
import { FIXTURES, type Fixture, freshValues, type JsonObject, type TimelineKey } from './fixtures.ts';
import { runtimeTarget, type Target } from './target.ts';

export const TRIGGER: CommandSpec = {
  name: 'trigger',
  brief: 'Send signed test webhooks (Shopify topics, storeflow types)',
  summary:
    'Sends a signed test delivery of a Shopify topic or a storeflow type to the running runtime (or a deployed API): a realistic body with fresh ids, signed with the runtime’s own secrets. Prints the HTTP status and the ids of the events it published.',
  usage: '<topic|type> [options]',
  positionals: { min: 0, max: 1 },
  options: {
    set: {
      type: 'string',
      multiple: true,
      arg: 'path=value',
      help: 'Set a field of the body; the value is typed as JSON when it parses (3, true, null, {"amount":100}), else text; quote a numeric string: --set \'sku="123"\'',
    },
    file: { type: 'string', arg: 'body.json', help: 'Send this body instead of the fixture (then --set)' },
    count: { type: 'string', arg: 'n', default: '1', help: 'Deliveries to send' },
    'duplicate-rate': {
      type: 'string',
      arg: 'r',
      default: '0',
      help: 'Share of them (0 to <1) that repeat an earlier delivery: one effect per unique delivery is expected',
    },
    concurrency: { type: 'string', arg: 'n', default: '8', help: 'Deliveries in flight at once' },
    data: {
      type: 'string',
      arg: 'dir',
      default: '.storeflow',
      help: 'Data directory of the runtime: its port and its secrets',
    },
    port: { type: 'string', arg: 'n', help: 'Port of the runtime (default: the one running on --data)' },
    url: {
      type: 'string',
      arg: 'base',
      help: 'Send to this base URL instead, e.g. the stack’s ApiUrl (secrets from the environment only)',
    },
    shop: {
      type: 'string',
      arg: 'domain',
      default: 'demo.myshopify.com',
      help: 'X-Shopify-Shop-Domain of Shopify deliveries',
    },
    list: { type: 'boolean', help: 'List the topics and types, their events and fixtures' },
    print: { type: 'boolean', help: 'Print the signed request instead of sending it' },
    json: { type: 'boolean', help: 'Print the result as JSON' },
  },
  details: `Examples:
  storeflow trigger orders/paid
  storeflow trigger orders/paid --set id=450789469001 --set line_items.0.quantity=3
  storeflow trigger presale.deposit_paid --set data.presaleId=SOFA-2026
  storeflow trigger orders/paid --count 1000 --duplicate-rate 0.3
  SHOPIFY_WEBHOOK_SECRET=… storeflow trigger orders/create --url https://abc.execute-api.ap-southeast-1.amazonaws.com

Secrets: SHOPIFY_WEBHOOK_SECRET and STOREFLOW_WEBHOOK_SECRET when set (as the runtime reads them),
else <data>/secrets.json. A duplicate re-sends an earlier delivery after its answer: every other
one under a new X-Shopify-Webhook-Id (a replay), the rest as they were (a retry); storeflow ones
are signed again. Exit code 0 when every delivery got a 2xx, 1 otherwise, 2 for a usage error.`,
};

export interface DeliveryResult {
  readonly status: number;
  readonly outcome?: string;
  readonly deliveryId: string;
  readonly eventIds: string[];
  readonly duplicate: boolean;
  readonly timeline?: TimelineKey;
  readonly error?: string;
}

interface Plan {
  readonly name: string;
  readonly fixture: Fixture;
  readonly target: Target;
  readonly secret: string;
  readonly shop: string;
  readonly assignments: Assignment[];
  /** the --file body as given (sent byte for byte when nothing is --set) */
  readonly fileBody?: string;
  /** the runtime's clock minus this machine's (a virtual clock may be days ahead) */
  readonly clockOffsetMs: number;
}

const intOption = (value: string, flag: string, min: number, max: number): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${flag}: "${value}" must be a whole number from ${min} to ${max}`);
  }
  return n;
};

/**
 * The runtime's clock (its `/_local/clock`), as an offset from this machine's; 0 for a deployed
 * API. An unreachable runtime is an error, unless `optional` (--print: nothing is sent).
 */
async function clockOffset(target: Target, optional = false): Promise<number> {
  if (!target.local) return 0;
  try {
    const res = await fetch(`${target.url}/_local/clock`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return 0;
    const { now } = (await res.json()) as { now?: string };
    const ms = Date.parse(now ?? '');
    return Number.isFinite(ms) ? ms - Date.now() : 0;
  } catch (error) {
    if (optional) return 0;
    throw new CliError(`cannot reach the runtime at ${target.url}: ${(error as Error).message}`);
  }
}

/** The body of one fresh delivery: the fixture (or the file), then every --set. */
function bodyFor(plan: Plan): { text: string; body?: JsonObject } {
  if (plan.fileBody !== undefined && plan.assignments.length === 0) return { text: plan.fileBody };
  let body: JsonObject;
  if (plan.fileBody !== undefined) {
    const parsed = parseJsonPreservingBigIntegers(plan.fileBody) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError('--file: the body must be a JSON object to --set fields in it');
    }
    body = parsed as JsonObject;
  } else body = plan.fixture.build(freshValues(Date.now() + plan.clockOffsetMs));
  applyAssignments(body, plan.assignments);
  return { text: JSON.stringify(body), body };
}

const nowSeconds = (plan: Plan) => Math.floor((Date.now() + plan.clockOffsetMs) / 1000);

async function send(
  plan: Plan,
  delivery: SignedDelivery,
): Promise<Omit<DeliveryResult, 'duplicate' | 'timeline'>> {
  let res: Response;
  try {
    res = await fetch(`${plan.target.url}${delivery.path}`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      status: 0,
      deliveryId: delivery.deliveryId,
      eventIds: [],
      error: `${(error as Error).message}${cause ? ` (${cause})` : ''}`,
    };
  }
  const text = await res.text();
  let answer: {
    outcome?: string;
    deliveryId?: string;
    eventIds?: unknown;
    message?: string;
    error?: string;
  } = {};
  try {
    answer = JSON.parse(text);
  } catch {
    // not JSON: kept as the error text below
  }
  const ok = res.status >= 200 && res.status < 300;
  return {
    status: res.status,
    ...(answer.outcome ? { outcome: answer.outcome } : {}),
    deliveryId: answer.deliveryId ?? delivery.deliveryId,
    eventIds: Array.isArray(answer.eventIds) ? answer.eventIds.map(String) : [],
    ...(ok
      ? {}
      : {
          error: answer.message
            ? `${answer.error ? `${answer.error}: ` : ''}${answer.message}`
            : text.slice(0, 500),
        }),
  };
}

/**
 * The order of `count` deliveries, `duplicates` of which repeat an earlier unique one: `null` is a
 * unique delivery, a number the index of the delivery it repeats. The first is always unique (so
 * at most `count - 1` are duplicates).
 */
export function deliveryPlan(count: number, requested: number): Array<number | null> {
  const duplicates = Math.min(requested, count - 1);
  const kinds: boolean[] = [...Array(count - duplicates).fill(false), ...Array(duplicates).fill(true)];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const firstUnique = kinds.indexOf(false);
  [kinds[0], kinds[firstUnique]] = [kinds[firstUnique]!, kinds[0]!];
  const uniques: number[] = [];
  return kinds.map((duplicate, i) => {
    if (!duplicate) {
      uniques.push(i);
      return null;
    }
    return uniques[randomInt(0, uniques.length)]!;
  });
}

function timelineUrl(target: Target, key: TimelineKey): string {
  return `${target.url}/api/${key.kind}s/${encodeURIComponent(key.id)}/timeline`;
}

export async function trigger(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals, help } = parseCommand(TRIGGER, args);
  if (help) {
    io.out(commandHelp(TRIGGER));
    return 0;
  }
  if (values.list) {
    io.out(listing());
    return 0;
  }
  const name = positionals[0];
  if (name === undefined) throw new UsageError('missing <topic|type> (storeflow trigger --list shows them)');
  const fixture = FIXTURES[name];
  if (!fixture) {
    throw new UsageError(
      `unknown topic or type "${name}": one of ${Object.keys(FIXTURES).join(', ')} (storeflow trigger --list)`,
    );
  }
  const count = intOption(values.count as string, 'count', 1, 100_000);
  const rateText = values['duplicate-rate'] as string;
  const rate = Number(rateText);
  if (!/^(0(\.\d+)?|\.\d+)$/.test(rateText) || !(rate >= 0 && rate < 1)) {
    throw new UsageError(`--duplicate-rate: "${rateText}" must be a number from 0 up to (not including) 1`);
  }
  const concurrency = intOption(values.concurrency as string, 'concurrency', 1, 256);
  const assignments = ((values.set as string[] | undefined) ?? []).map(parseAssignment);
  let fileBody: string | undefined;
  if (values.file !== undefined) {
    try {
      fileBody = readFileSync(resolve(values.file as string), 'utf8');
    } catch (error) {
      throw new UsageError(
        `--file: cannot read ${values.file} (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
  }
  const data = resolve(values.data as string);
  const target = runtimeTarget({
    data: values.data as string,
    ...(values.port !== undefined ? { port: values.port as string } : {}),
    ...(values.url !== undefined ? { url: values.url as string } : {}),
  });
  const source = fixture.source;
  const plan: Plan = {
    name,
    fixture,
    target,
    secret: signingSecret(source, data, io.env, target.local),
    shop: values.shop as string,
    assignments,
    ...(fileBody !== undefined ? { fileBody } : {}),
    clockOffsetMs: await clockOffset(target, values.print === true),
  };

  if (values.print) {
    const { text } = bodyFor(plan);
    const delivery = signDelivery(source, name, text, {
      secret: plan.secret,
      nowSeconds: nowSeconds(plan),
      shop: plan.shop,
    });
    io.out(
      [
        `POST ${target.url}${delivery.path}`,
        ...Object.entries(delivery.headers).map(([k, v]) => `${k}: ${v}`),
        '',
        delivery.body,
        '',
      ].join('\n'),
    );
    return 0;
  }

  const duplicates = Math.round(count * rate);
  const order = deliveryPlan(count, duplicates);
  // Each unique delivery as sent and its answer; a duplicate waits for its original's answer.
  const originals = new Map<
    number,
    { delivery: SignedDelivery; text: string; timeline?: TimelineKey; answered: Promise<unknown> }
  >();
  const sign = (text: string, webhookId?: string) =>
    signDelivery(source, name, text, {
      secret: plan.secret,
      nowSeconds: nowSeconds(plan),
      shop: plan.shop,
      ...(webhookId ? { webhookId } : {}),
    });
  const started = performance.now();
  const results = await pMap(
    order.map((original, index) => ({ original, index })),
    async ({ original, index }): Promise<DeliveryResult> => {
      if (original === null) {
        const { text, body } = bodyFor(plan);
        const delivery = sign(text);
        const timeline = fixture.timeline(body ?? objectOf(text));
        const answered = send(plan, delivery);
        originals.set(index, { delivery, text, ...(timeline ? { timeline } : {}), answered });
        return { ...(await answered), duplicate: false, ...(timeline ? { timeline } : {}) };
      }
      // Sent once the original was answered, as a platform's retry would be.
      const first = originals.get(original)!;
      await first.answered;
      const delivery =
        source === 'storeflow'
          ? sign(first.text) // signed again: the replay window counts from the signature
          : index % 2 === 1
            ? sign(first.text, randomUUID()) // the same fact under a new delivery id
            : first.delivery; // a retry, as it was
      const result = await send(plan, delivery);
      return { ...result, duplicate: true, ...(first.timeline ? { timeline: first.timeline } : {}) };
    },
    { concurrency },
  );
  const seconds = (performance.now() - started) / 1000;
  return report(io, plan, results, seconds, values.json === true);
}

/** A body sent from a file, read back for its timeline key (undefined when it is not an object). */
function objectOf(text: string): JsonObject {
  try {
    const value = parseJsonPreservingBigIntegers(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : {};
  } catch {
    return {};
  }
}

const ok = (r: DeliveryResult) => r.status >= 200 && r.status < 300;

function report(io: Io, plan: Plan, results: DeliveryResult[], seconds: number, json: boolean): number {
  const failed = results.filter((r) => !ok(r)).length;
  const exitCode = failed ? 1 : 0;
  const tally = (values: Array<string | undefined>) => {
    const counts: Record<string, number> = {};
    for (const v of values) if (v !== undefined) counts[v] = (counts[v] ?? 0) + 1;
    return counts;
  };
  const statuses = tally(results.map((r) => String(r.status)));
  const outcomes = tally(results.map((r) => r.outcome));
  const acked = results.length - failed;
  const acksPerSecond = seconds > 0 ? acked / seconds : acked;

  if (results.length === 1) {
    const r = results[0]!;
    if (json) {
      io.out(`${JSON.stringify({ name: plan.name, url: plan.target.url, ...r })}\n`);
      return exitCode;
    }
    const lines = [`${plan.name} → ${r.status === 0 ? 'no answer' : r.status} ${r.outcome ?? ''}`.trimEnd()];
    lines.push(`  delivery  ${r.deliveryId}`);
    if (r.error) lines.push(`  error     ${r.error}`);
    if (ok(r)) {
      const types = r.eventIds.length === plan.fixture.events.length ? plan.fixture.events : [];
      if (r.eventIds.length === 0) lines.push('  events    none published');
      r.eventIds.forEach((id, i) => {
        lines.push(`  ${i === 0 ? 'events   ' : '         '} ${id}${types[i] ? ` (${types[i]})` : ''}`);
      });
      if (r.outcome === 'duplicate') lines.push('            a fact seen before: nothing new was published');
      if (r.timeline) lines.push(`  timeline  GET ${timelineUrl(plan.target, r.timeline)}`);
    }
    io.out(`${lines.join('\n')}\n`);
    if (r.status === 401) io.err(secretHint(plan));
    return exitCode;
  }

  const unique = results.filter((r) => !r.duplicate).length;
  const summary = {
    name: plan.name,
    url: plan.target.url,
    sent: results.length,
    unique,
    duplicates: results.length - unique,
    statuses,
    outcomes,
    seconds: Math.round(seconds * 1000) / 1000,
    acksPerSecond: Math.round(acksPerSecond * 10) / 10,
    deliveries: results,
  };
  if (json) {
    io.out(`${JSON.stringify(summary)}\n`);
    return exitCode;
  }
  const counts = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ') || 'none';
  const errors = [...new Set(results.filter((r) => r.error).map((r) => `${r.status}: ${r.error}`))];
  io.out(
    [
      `sent ${results.length} deliveries of ${plan.name} to ${plan.target.url} in ${seconds.toFixed(1)} s`,
      `  unique      ${unique}`,
      `  duplicates  ${results.length - unique}`,
      `  statuses    ${counts(statuses)}`,
      `  outcomes    ${counts(outcomes)}`,
      `  acks/s      ${acksPerSecond.toFixed(1)}`,
      ...errors.slice(0, 5).map((e, i) => `${i === 0 ? '  errors      ' : '              '}${e}`),
      '',
    ].join('\n'),
  );
  if (results.some((r) => r.status === 401)) io.err(secretHint(plan));
  return exitCode;
}

/** Why a signature may have been refused: the secret the runtime uses is not the one read here. */
function secretHint(plan: Plan): string {
  const variable = secretVariable(plan.fixture.source);
  return plan.target.local
    ? `storeflow: 401: the runtime did not accept the signature. If it was started with ${variable} set, set the same value here (it overrides secrets.json for the runtime, and for trigger)\n`
    : `storeflow: 401: the deployed API did not accept the signature: ${variable} must hold the value stored in the stack's secret\n`;
}

/** `storeflow trigger --list`. */
function listing(): string {
  const rows = Object.entries(FIXTURES).map(([name, f]) => [name, f.events.join(', ') || '—', f.summary]);
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  const section = (source: Fixture['source'], title: string) => [
    title,
    ...rows
      .filter(([name]) => FIXTURES[name!]!.source === source)
      .map(([name, events, summary]) => `  ${name!.padEnd(w0)}  ${events!.padEnd(w1)}  ${summary}`),
  ];
  return [
    ...section('shopify', 'Shopify topics (POST /webhooks/shopify):'),
    '',
    ...section('storeflow', 'storeflow types (POST /webhooks/storeflow):'),
    '',
  ].join('\n');
}
