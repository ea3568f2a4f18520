import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchWriteKey, writeKeys } from '#domain/metrics/access';
import { storefrontEndpoint } from '#domain/metrics/endpoint';
import { groupSeen, ingestStorefrontEvents, parseStorefrontBody } from '#domain/metrics/ingest';
import { checkBatch, type NormalizedEvent, STOREFRONT_LIMITS } from '#domain/metrics/storefront';
import { ManualClock } from '#domain/shared/clock';
import {
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '#domain/shared/errors';
import { MemoryMetricsStore } from '#test/support/memory-metrics';

const TZ = 'Asia/Shanghai';
const NOW = '2026-12-02T04:00:00.000Z'; // 12:00 in Shanghai
const ev = (n: number, extra: Record<string, unknown> = {}) => ({
  eventId: `e${n}`,
  type: 'visit',
  at: '2026-12-02T03:00:00Z',
  userId: 'u1',
  sessionId: 's1',
  channel: 'search',
  ...extra,
});

describe('storefront events: each event checked on its own', () => {
  it('names the field and reason of each bad event, normalizes good ones to their store day', () => {
    const { valid, outcomes } = checkBatch(
      [
        ev(1),
        ev(2, { type: 'purchase' }),
        ev(3, { userId: undefined }),
        ev(4, { at: 'yesterday' }),
        ev(5, { campaignId: 'c1' }),
        ev(6, { campaignId: 'c1', variant: 'blue' }),
        ev(7, { type: 'product_view' }),
        ev(8, { channel: 'a b' }),
        ev(9, { extra: 1 }),
        ev(10, { at: '2026-12-01T16:30:00+00:00', anonymousId: 'x', userId: undefined }),
        'not an object',
        ev(1),
      ],
      new Date(NOW),
      TZ,
    );
    const rejected = [...outcomes.values()].filter((o) => o.status === 'rejected');
    expect(rejected.map((o) => o.status === 'rejected' && [o.index, o.field])).toEqual([
      [1, 'events.1.type'],
      [2, 'events.2.userId'],
      [3, 'events.3.at'],
      [4, 'events.4.variant'],
      [5, 'events.5.variant'],
      [6, 'events.6.sku'],
      [7, 'events.7.channel'],
      [8, 'events.8'],
      [10, 'events.10'],
    ]);
    expect(outcomes.get(11)).toEqual({ index: 11, eventId: 'e1', status: 'duplicate' });
    expect(valid.map((v) => [v.index, v.event.day, v.event.userKey, v.event.at])).toEqual([
      [0, '2026-12-02', 'u1', '2026-12-02T03:00:00.000Z'],
      // 16:30 UTC on 1 December is 00:30 on 2 December in Shanghai
      [9, '2026-12-02', 'anon:x', '2026-12-01T16:30:00.000Z'],
    ]);
  });

  it('takes late events up to 30 days and refuses older ones and ones from the future', () => {
    const { valid, outcomes } = checkBatch(
      [
        ev(1, { at: '2026-11-03T04:00:01Z' }),
        ev(2, { at: '2026-11-02T03:59:59Z' }),
        ev(3, { at: '2026-12-02T04:05:00Z' }),
        ev(4, { at: '2026-12-02T04:05:01Z' }),
      ],
      new Date(NOW),
      TZ,
    );
    expect(valid.map((v) => v.index)).toEqual([0, 2]);
    expect(outcomes.get(1)).toMatchObject({ field: 'events.1.at', reason: /30 days/ });
    expect(outcomes.get(3)).toMatchObject({ field: 'events.3.at', reason: /300 seconds/ });
  });

  it('refuses a body that is not a batch, too many events (413) or too many bytes (413)', () => {
    expect(() => parseStorefrontBody(Buffer.from('{'))).toThrow(/not valid JSON/);
    expect(() => parseStorefrontBody(Buffer.from('{"events":{}}'))).toThrow(/events: must be an array/);
    expect(() => parseStorefrontBody(Buffer.from('{"events":[]}'))).toThrow(/at least one/);
    const many = JSON.stringify({ events: Array.from({ length: 501 }, (_, i) => ev(i)) });
    expect(() => parseStorefrontBody(Buffer.from(many))).toThrow(PayloadTooLargeError);
    const big = Buffer.alloc(STOREFRONT_LIMITS.maxBodyBytes + 1, 0x20);
    expect(() => parseStorefrontBody(big)).toThrow(/1048577 bytes/);
  });
});

describe('ingest: exactly once by eventId, one write per user and day', () => {
  it('answers accepted, then duplicate for the same ids whatever the retries; a bad event never refuses the rest', async () => {
    const store = new MemoryMetricsStore();
    const ingest = ingestStorefrontEvents({ store, clock: new ManualClock(NOW), timeZone: TZ });
    const first = await ingest([
      ev(1),
      ev(2, { type: 'product_view', sku: 'A' }),
      ev(3, { type: 'nope' }),
      ev(4, { userId: 'u2' }),
    ]);
    expect(first).toMatchObject({ accepted: 3, duplicates: 0, rejected: 1 });
    expect(first.results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'rejected', 'accepted']);
    // one atomic write per dedupe slot (minute of `at`) and shard: all four events share a minute
    expect(store.seenWrites).toBeLessThanOrEqual(4);
    for (let retry = 0; retry < 3; retry++) {
      const again = await ingest([ev(2, { type: 'product_view', sku: 'A' }), ev(5), ev(1)]);
      expect(again.results.map((r) => r.status)).toEqual([
        'duplicate',
        retry === 0 ? 'accepted' : 'duplicate',
        'duplicate',
      ]);
    }
    const day = store.userDayOf('2026-12-02', 'u1')!;
    expect([...day.steps.get('search')!].sort()).toEqual(['product_view', 'visit']);
    expect(new Set(store.kept.map((e) => e.eventId))).toEqual(new Set(['e1', 'e2', 'e4', 'e5']));
  });

  it('keeps the events after the verdicts, duplicates too: a crash in between loses nothing', async () => {
    const store = new MemoryMetricsStore();
    const failing = Object.assign(Object.create(store), {
      addEvents: async () => {
        throw new Error('crash');
      },
    }) as MemoryMetricsStore;
    const clock = new ManualClock(NOW);
    const event = ev(1, { campaignId: 'c1', variant: 'pilot' });
    await expect(ingestStorefrontEvents({ store: failing, clock, timeZone: TZ })([event])).rejects.toThrow(
      'crash',
    );
    const retry = await ingestStorefrontEvents({ store, clock, timeZone: TZ })([event]);
    expect(retry.results[0]!.status).toBe('duplicate');
    expect(await store.marks('campaign', 'c1', ['2026-12-02'])).toEqual([
      { variant: 'pilot', userKey: 'u1', at: '2026-12-02T03:00:00.000Z', type: 'visit' },
    ]);
  });

  it('rejects the events of a dedupe slot that is full, and takes the others', async () => {
    const store = new MemoryMetricsStore();
    store.maxIds = 1;
    const ingest = ingestStorefrontEvents({
      store,
      clock: new ManualClock(NOW),
      timeZone: TZ,
      dedupeShards: 1,
    });
    const r = await ingest([ev(1), ev(2), ev(4, { userId: 'u2', at: '2026-12-02T03:01:00Z' })]);
    expect(r.results.map((x) => x.status)).toEqual(['rejected', 'rejected', 'accepted']);
    expect(r.results[0]).toMatchObject({
      field: 'events.0.at',
      reason: /2026-12-02T03:00Z holds more events/,
    });
    expect(store.kept.map((e) => e.eventId)).toEqual(['e4']);
  });
});

describe('groupSeen: the dedupe writes of a batch', () => {
  // The slot and shard as decision 31 defines them, computed the long way round.
  const reference = (eventId: string, at: string, shards: number) => {
    const hash = createHash('sha256').update(eventId).digest().subarray(0, 12).toString('base64url');
    const slot = new Date(Math.floor(Date.parse(at) / 60_000) * 60_000).toISOString().slice(0, 16);
    return { hash, key: `${slot}#${Buffer.from(hash, 'base64url')[0]! % shards}` };
  };

  it('puts each id in the slot of its minute and the shard of its hash, one write per slot and shard', () => {
    const event = fc.record({
      eventId: fc.string({ minLength: 1, maxLength: 40 }),
      ms: fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2099-12-31T23:59:59Z') }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(event, { maxLength: 60, selector: (e) => e.eventId }),
        fc.integer({ min: 1, max: 16 }),
        (raw, shards) => {
          const valid = raw.map(({ eventId, ms }) => ({
            event: { eventId, at: new Date(ms).toISOString() } as NormalizedEvent,
          }));
          const { writes, keyOf } = groupSeen(valid, shards);
          const keys = writes.map((w) => `${w.slot}#${w.shard}`);
          expect(new Set(keys).size).toBe(writes.length); // one write per slot and shard
          for (const { event } of valid) {
            const want = reference(event.eventId, event.at, shards);
            const got = keyOf.get(event.eventId)!;
            expect(got.hash).toBe(want.hash);
            expect(keys[got.write]).toBe(want.key);
            expect(writes[got.write]!.hashes).toContain(want.hash);
          }
          expect(writes.reduce((n, w) => n + w.hashes.length, 0)).toBe(valid.length);
        },
      ),
    );
  });
});

describe('the endpoint: write key, media type, size, rate limit, CORS', () => {
  const setup = (eventsPerSecond = 1_000) => {
    const store = new MemoryMetricsStore();
    const clock = new ManualClock(NOW);
    const endpoint = storefrontEndpoint({
      store,
      limiter: store,
      clock,
      timeZone: TZ,
      writeKey: async () => 'new-key old-key',
      origins: ['https://shop.example.com'],
      eventsPerSecond,
    });
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      endpoint.handle({
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-storeflow-write-key': 'new-key', ...headers },
        body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      });
    return { store, clock, endpoint, post };
  };

  it('accepts either key of a rotation; refuses a wrong or missing key with 401 before reading the body', async () => {
    const { post, store } = setup();
    expect((await post({ events: [ev(1)] })).statusCode).toBe(202);
    expect((await post({ events: [ev(2)] }, { 'x-storeflow-write-key': 'old-key' })).statusCode).toBe(202);
    await expect(post('{', { 'x-storeflow-write-key': 'new-keyx' })).rejects.toThrow(UnauthorizedError);
    await expect(post({ events: [ev(3)] }, { 'x-storeflow-write-key': '' })).rejects.toThrow(
      UnauthorizedError,
    );
    expect(store.kept.map((e) => e.eventId)).toEqual(['e1', 'e2']);
    expect(writeKeys(' a,b\nc ')).toEqual(['a', 'b', 'c']);
    expect(matchWriteKey('b', ['a', 'b'])).toMatch(/^[0-9a-f]{16}$/);
    expect(matchWriteKey('c', ['a', 'b'])).toBeUndefined();
  });

  it('refuses a non-JSON body (415) and takes text/plain for sendBeacon', async () => {
    const { post } = setup();
    await expect(
      post({ events: [ev(1)] }, { 'content-type': 'application/x-www-form-urlencoded' }),
    ).rejects.toThrow(UnsupportedMediaTypeError);
    expect((await post({ events: [ev(1)] }, { 'content-type': 'text/plain;charset=UTF-8' })).statusCode).toBe(
      202,
    );
  });

  it('limits events per second per key (429, Retry-After 1), storing nothing refused; the next second is open', async () => {
    const { post, clock, store } = setup(1_000);
    const batch = (from: number) => ({
      events: Array.from({ length: 500 }, (_, i) => ev(from + i, { userId: `u${i % 7}` })),
    });
    expect((await post(batch(0))).statusCode).toBe(202);
    expect((await post(batch(500))).statusCode).toBe(202);
    const refused = await post(batch(1000)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterSeconds).toBe(1);
    expect(store.kept.length).toBe(1_000);
    clock.advance(1);
    expect((await post(batch(1000))).statusCode).toBe(202);
  });

  it('answers the preflight of a configured origin and refuses others', async () => {
    const { endpoint, post } = setup();
    const pre = await endpoint.handle({
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example.com' },
      body: Buffer.alloc(0),
    });
    expect(pre).toMatchObject({
      statusCode: 204,
      headers: {
        'access-control-allow-origin': 'https://shop.example.com',
        'access-control-allow-headers': 'content-type, x-storeflow-write-key',
        'access-control-allow-methods': 'POST, OPTIONS',
      },
    });
    expect(() => endpoint.cors('https://evil.example.com')).toThrow(/may not send/);
    const ok = await post({ events: [ev(1)] }, { origin: 'https://shop.example.com' });
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(endpoint.cors(undefined)).toEqual({});
  });
});
