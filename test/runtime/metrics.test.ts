import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { batchesOf, generateTraffic, type Traffic } from '#domain/metrics/traffic';
import { addDays, localDate } from '#domain/shared/calendar';
import { expectedMetrics } from '#test/support/metrics-expected';
import { sendTraffic, traffic as trafficCommand } from '../../local/cli/traffic.ts';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * Metrics (issue #16) end to end on the local runtime: a day of generated storefront traffic over
 * several channels (new and returning users, anonymous visitors) in batches of 500 with 20% of the
 * events sent again and some held back to the end, the paid orders and refunds as signed Shopify
 * webhooks through ingestion and the bus; the API's figures equal an independent computation over
 * the same data. Then the endpoint's refusals: bad events around good ones, 401, 413, 429, CORS.
 */
const TZ = 'Asia/Shanghai';
let runtime: Runtime;
let dataDir: string;
let secrets: { adminToken: string; secrets: Record<string, string> };
let day: string;
let today: string;
let generated: Traffic;

const api = async (path: string) => {
  const res = await fetch(`${runtime.url}${path}`, {
    headers: { authorization: `Bearer ${secrets.adminToken}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const postEvents = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${runtime.url}/events/storefront`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-storeflow-write-key': secrets.secrets.StorefrontWriteKey!,
      ...headers,
    },
    body,
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-metrics-'));
  runtime = await startRuntime({ assemblyDir: inject('appAssembly'), dataDir, port: 0, clock: 'virtual' });
  secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
  const now = Date.parse(
    ((await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string }).now,
  );
  today = localDate(new Date(now), TZ);
  day = addDays(today, -3);
  generated = generateTraffic({
    users: 900,
    days: 1,
    startDay: day,
    timeZone: TZ,
    seed: 16,
    refundBps: 2_500,
  });
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('metrics on the local runtime', () => {
  it('a day of traffic with duplicates and late events: the API equals an independent computation', async () => {
    const batches = batchesOf(generated.events, { size: 500, duplicateBps: 2_000, lateBps: 300, seed: 16 });
    const sent = batches.flat().length;
    expect(sent).toBeGreaterThan(generated.events.length * 1.15);
    const result = await sendTraffic({
      url: runtime.url,
      writeKey: secrets.secrets.StorefrontWriteKey!,
      shopifySecret: secrets.secrets.ShopifyWebhookSecret!,
      batches,
      orders: generated.orders,
      refunds: generated.refunds,
    });
    expect(result.failures).toEqual([]);
    expect(result.rejected).toBe(0);
    // every event of every batch answered once, accepted or duplicate; exactly the unique ones
    // accepted (unless a batch was sent again after a 5xx: then some of its events answer duplicate)
    expect(result.accepted + result.duplicates).toBe(sent);
    if (result.retries === 0) expect(result.accepted).toBe(generated.events.length);
    else expect(result.accepted).toBeLessThanOrEqual(generated.events.length);
    expect(generated.refunds.length).toBeGreaterThan(3);
    await runtime.settle();

    const expected = expectedMetrics(generated, TZ);
    const funnel = await api(`/api/metrics/funnel?from=${day}&to=${day}`);
    expect(funnel.status).toBe(200);
    expect(funnel.body.steps).toEqual(expected.funnel(day, day));
    expect(funnel.body.period).toMatchObject({ from: day, to: day, timeZone: TZ });
    expect((funnel.body.steps as Array<{ users: number }>)[4]!.users).toBeGreaterThan(5);
    const ads = await api(`/api/metrics/funnel?from=${day}&to=${day}&channel=ads`);
    expect(ads.body.steps).toEqual(expected.funnel(day, day, 'ads'));

    // Refunds land on their own days: the period to today holds them all.
    for (const [from, to] of [
      [day, day],
      [day, today],
    ] as const) {
      for (const by of ['day', 'channel'] as const) {
        const gmv = await api(`/api/metrics/gmv?from=${from}&to=${to}&by=${by}`);
        const want = expected.gmv(from, to, by);
        const pick = (r: Record<string, unknown>) => ({
          key: r.key,
          traffic: r.traffic,
          orders: r.orders,
          conversionBps: r.conversionBps,
          aov: r.aov,
          gmv: r.gmv,
          repurchaseBps: r.repurchaseBps,
        });
        expect(
          (gmv.body.rows as Array<Record<string, unknown>>).map(pick),
          `${from}..${to} by ${by}`,
        ).toEqual(want.rows);
        expect(pick(gmv.body.total as Record<string, unknown>)).toEqual(want.total);
      }
    }
    const total = (await api(`/api/metrics/gmv?from=${day}&to=${today}`)).body.total as Record<
      string,
      number
    >;
    expect(total.refunded).toBe(generated.refunds.reduce((n, r) => n + r.amount, 0));
  });

  it('takes the good events of a batch around the bad ones; refuses a wrong key, an oversize body, CORS strangers', async () => {
    const at = new Date(Date.parse(`${today}T00:00:00+08:00`) + 60_000).toISOString();
    const good = (id: string) => ({
      eventId: id,
      type: 'visit',
      at,
      userId: '77',
      sessionId: 'x',
      channel: 'email',
    });
    const mixed = await postEvents(
      JSON.stringify({
        events: [good('m1'), { ...good('m2'), type: 'wave' }, good('m3'), { eventId: 'm4' }],
      }),
    );
    expect(mixed.status).toBe(202);
    const answer = (await mixed.json()) as { results: Array<{ status: string; field?: string }> };
    expect(answer.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted', 'rejected']);
    expect(answer.results[1]!.field).toBe('events.1.type');

    const wrong = await postEvents(JSON.stringify({ events: [good('w1')] }), {
      'x-storeflow-write-key': 'guess',
    });
    expect(wrong.status).toBe(401);
    const huge = await postEvents(
      JSON.stringify({ events: [{ ...good('h1'), pad: 'x'.repeat(1_100_000) }] }),
    );
    expect(huge.status).toBe(413);
    const preflight = await fetch(`${runtime.url}/events/storefront`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(
      (await postEvents(JSON.stringify({ events: [good('o1')] }), { origin: 'https://elsewhere.example' }))
        .status,
    ).toBe(403);
    const funnel = await api(`/api/metrics/funnel?from=${today}&to=${today}&channel=email`);
    expect((funnel.body.steps as Array<{ users: number }>)[0]!.users).toBe(1);
  });

  it('limits a write key to 20,000 events a second: 429 with Retry-After, nothing of it stored', async () => {
    // The virtual clock stands still: every request falls in the same second.
    const bad = JSON.stringify({ events: Array.from({ length: 500 }, (_, i) => ({ eventId: `r${i}` })) });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 45 && retryAfter === null; i++) {
      const res = await postEvents(bad);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.text();
    }
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(40);
    expect(retryAfter).toBe('1');
  });

  it('storeflow traffic sends generated traffic and its orders (same seed, same traffic)', async () => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => {}, env: {} };
    await fetch(`${runtime.url}/_local/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 2 }),
    });
    const port = new URL(runtime.url).port;
    const code = await trafficCommand(
      ['--users', '60', '--days', '2', '--seed', '5', '--port', port, '--data', dataDir, '--json'],
      io,
    );
    expect(code).toBe(0);
    const summary = JSON.parse(out.join('')) as {
      accepted: number;
      events: number;
      orders: number;
      failures: string[];
    };
    expect(summary.failures).toEqual([]);
    expect(summary.accepted).toBe(summary.events);
    const again: string[] = [];
    expect(
      await trafficCommand(
        ['--users', '60', '--days', '2', '--seed', '5', '--port', port, '--data', dataDir, '--json'],
        { ...io, out: (t) => again.push(t) },
      ),
    ).toBe(0);
    expect((JSON.parse(again.join('')) as { duplicates: number }).duplicates).toBe(summary.events);
  });
});
