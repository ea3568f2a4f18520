import { describe, expect, it } from 'vitest';
import { keysOf } from '#domain/events/catalog';
import type { DeliveryInput } from '#domain/ingestion/accept-delivery';
import { ingestShopifyWebhook, ingestStoreflowWebhook } from '#domain/ingestion/ingest-webhook';
import { SHOPIFY_TOPICS } from '#domain/ingestion/shopify';
import { STOREFLOW_TYPES } from '#domain/ingestion/storeflow';
import { ManualClock } from '#domain/shared/clock';
import { commandHelp, parseCommand, UsageError } from '../../local/cli/args.ts';
import { applyAssignments, parseAssignment, signDelivery } from '../../local/cli/delivery.ts';
import { DEV } from '../../local/cli/dev.ts';
import {
  FIXTURES,
  freshValues,
  type JsonObject,
  SHOPIFY_FIXTURES,
  STOREFLOW_FIXTURES,
} from '../../local/cli/fixtures.ts';
import { RESET } from '../../local/cli/reset.ts';
import { STATUS } from '../../local/cli/status.ts';
import { deliveryPlan, TRIGGER } from '../../local/cli/trigger.ts';

/**
 * `storeflow trigger`'s fixtures, signing and body edits, checked against the ingestion code the
 * webhook handlers run: every topic and type has a fixture, and each one, signed as the CLI signs
 * it, is accepted and publishes the events it claims, on the timeline it names.
 */
const SECRET = 'test-secret';
const NOW = Date.parse('2026-11-24T02:00:00Z');

/** The demo catalogue as products/update teaches it (inventory item → SKU). */
const catalogFromProducts = () => {
  const product = SHOPIFY_FIXTURES['products/update'].build(freshValues(NOW));
  const skus = new Map(
    (product.variants as JsonObject[]).map((v) => [String(v.inventory_item_id), String(v.sku)]),
  );
  return { skuForInventoryItem: async (id: string) => skus.get(id) ?? null };
};

/** Runs one fixture through the webhook's ingestion, as the runtime would; returns what it accepted. */
async function ingest(name: string, body: JsonObject): Promise<DeliveryInput> {
  const fixture = FIXTURES[name]!;
  const clock = new ManualClock(new Date(NOW));
  const text = JSON.stringify(body);
  const delivery = signDelivery(fixture.source, name, text, {
    secret: SECRET,
    nowSeconds: NOW / 1000,
    shop: 'demo.myshopify.com',
  });
  let accepted: DeliveryInput | undefined;
  const deps = {
    secret: async () => SECRET,
    clock,
    accept: async (input: DeliveryInput) => {
      accepted = input;
      return { outcome: 'accepted' as const, deliveryId: input.deliveryId, eventIds: [] };
    },
  };
  const webhook = { headers: delivery.headers, body: Buffer.from(delivery.body) };
  if (fixture.source === 'shopify') {
    await ingestShopifyWebhook({ ...deps, storeCurrency: 'CNY', catalog: catalogFromProducts() })(webhook);
  } else {
    await ingestStoreflowWebhook(deps)(webhook);
  }
  return accepted!;
}

describe('the fixture tables', () => {
  it('have one fixture for every Shopify topic and storeflow type the ingestion supports, and no other', () => {
    expect(Object.keys(SHOPIFY_FIXTURES).sort()).toEqual([...SHOPIFY_TOPICS].sort());
    expect(Object.keys(STOREFLOW_FIXTURES).sort()).toEqual([...STOREFLOW_TYPES].sort());
    expect(Object.keys(FIXTURES)).toHaveLength(SHOPIFY_TOPICS.length + STOREFLOW_TYPES.length);
    for (const topic of SHOPIFY_TOPICS) expect(FIXTURES[topic]?.source, topic).toBe('shopify');
    for (const type of STOREFLOW_TYPES) expect(FIXTURES[type]?.source, type).toBe('storeflow');
  });

  it.each(Object.keys(FIXTURES))(
    '%s: signed as the CLI signs it, it is accepted and publishes its events on its timeline',
    async (name) => {
      const fixture = FIXTURES[name]!;
      const body = fixture.build(freshValues(NOW));
      const accepted = await ingest(name, body);
      expect(accepted.name).toBe(name);
      expect(accepted.events.map((e) => e.detailType)).toEqual(fixture.events);
      const key = fixture.timeline(body);
      expect(key, 'a timeline to look at').toBeDefined();
      const keys = [...accepted.events.flatMap(keysOf), ...(accepted.extraKeys ?? [])];
      expect(keys).toContainEqual({ type: key!.kind, id: key!.id });
    },
  );

  it.each(Object.keys(FIXTURES))('%s: every build is a new business fact', async (name) => {
    const fixture = FIXTURES[name]!;
    // Two builds at the same clock reading, as two triggers in one millisecond would be.
    const [a, b] = [fixture.build(freshValues(NOW)), fixture.build(freshValues(NOW))];
    expect((await ingest(name, a)).factKey).not.toBe((await ingest(name, b)).factKey);
  });

  it('competitor.price_observed carries observedAt in its data (the reworked schema’s shape)', () => {
    const body = STOREFLOW_FIXTURES['competitor.price_observed'].build(freshValues(NOW));
    expect(body.data).toMatchObject({
      sku: 'IPOD2008PINK',
      competitor: 'jd.com',
      price: { amount: 18_900, currency: 'CNY' },
      url: expect.stringMatching(/^https:\/\//),
    });
    // observed half a minute before it was reported
    expect(Date.parse((body.data as JsonObject).observedAt as string)).toBe(
      Date.parse(body.occurredAt as string) - 30_000,
    );
  });

  it('stamps Shopify resources in the store’s +08:00 and storeflow envelopes in UTC, at the clock given', () => {
    const order = SHOPIFY_FIXTURES['orders/paid'].build(freshValues(NOW + 60_000));
    expect(Date.parse(order.processed_at as string)).toBeGreaterThanOrEqual(NOW + 60_000);
    expect(order.processed_at).toMatch(/\+08:00$/);
    const envelope = STOREFLOW_FIXTURES['ticket.opened'].build(freshValues(NOW + 120_000));
    expect(Date.parse(envelope.occurredAt as string)).toBeGreaterThanOrEqual(NOW + 120_000);
    expect(envelope.occurredAt).toMatch(/Z$/);
  });
});

describe('--set path=value', () => {
  const body = (): JsonObject => ({ id: 1, line_items: [{ sku: 'A', quantity: 1 }], data: {} });

  it('types the value as JSON when it parses, else keeps the text', () => {
    const b = body();
    applyAssignments(
      b,
      [
        'line_items.0.quantity=3',
        'line_items[0].sku=IPOD2008RED',
        'data.flag=true',
        'data.none=null',
        'data.amount={"amount":100,"currency":"CNY"}',
        'data.code="0042"',
        'data.big=450789469001000123456',
        'new.nested.0.x=y',
        'line_items.1={"sku":"B","quantity":2}',
      ].map(parseAssignment),
    );
    expect(b).toEqual({
      id: 1,
      line_items: [
        { sku: 'IPOD2008RED', quantity: 3 },
        { sku: 'B', quantity: 2 },
      ],
      data: {
        flag: true,
        none: null,
        amount: { amount: 100, currency: 'CNY' },
        code: '0042',
        big: '450789469001000123456',
      },
      new: { nested: [{ x: 'y' }] },
    });
  });

  it('refuses what is not an assignment, a gap in an array and a prototype path, naming them', () => {
    expect(() => parseAssignment('id')).toThrow(
      new UsageError('--set: "id" must be path=value, e.g. --set line_items.0.quantity=3'),
    );
    expect(() => parseAssignment('a..b=1')).toThrow(/empty segment/);
    expect(() => parseAssignment('__proto__.polluted=1')).toThrow(
      new UsageError('--set: "__proto__" cannot be part of a path'),
    );
    expect(() => parseAssignment('data.constructor.prototype=1')).toThrow(/cannot be part of a path/);
    expect(() => applyAssignments(body(), [parseAssignment('line_items.5.sku=X')])).toThrow(
      '--set line_items.5.sku: line_items has 1 items; index 5 would leave a gap',
    );
    expect(() => applyAssignments(body(), [parseAssignment('line_items.sku=X')])).toThrow(
      /is an array; "sku" is not an index/,
    );
    expect(() => applyAssignments(body(), [parseAssignment('id.x=1')])).toThrow(
      '--set id.x: id is 1, not an object or array',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('--count with --duplicate-rate', () => {
  it('plans the unique and duplicate deliveries: the first unique, each duplicate after its original', () => {
    for (const [count, duplicates] of [
      [1, 0],
      [10, 3],
      [10, 9],
      [1000, 300],
    ] as const) {
      const plan = deliveryPlan(count, duplicates);
      expect(plan).toHaveLength(count);
      expect(plan[0]).toBeNull();
      expect(plan.filter((p) => p !== null)).toHaveLength(duplicates);
      plan.forEach((original, i) => {
        if (original === null) return;
        expect(original).toBeLessThan(i);
        expect(plan[original]).toBeNull();
      });
    }
    // --count 1 --duplicate-rate 0.5 rounds to one duplicate: there is nothing to repeat yet
    expect(deliveryPlan(1, 1)).toEqual([null]);
    expect(deliveryPlan(3, 3).filter((p) => p === null)).toHaveLength(1);
  });
});

describe('the argument layer', () => {
  it('names an unknown flag, a missing value and a stray argument', () => {
    expect(() => parseCommand(TRIGGER, ['orders/paid', '--bogus'])).toThrow(
      new UsageError('unknown option --bogus'),
    );
    expect(() => parseCommand(TRIGGER, ['orders/paid', '--count'])).toThrow(
      new UsageError('--count needs a value (--count <n>)'),
    );
    expect(() => parseCommand(TRIGGER, ['orders/paid', '--json=yes'])).toThrow(
      new UsageError('--json takes no value'),
    );
    expect(() => parseCommand(TRIGGER, ['orders/paid', 'extra'])).toThrow(
      new UsageError('unexpected argument "extra"'),
    );
    expect(() => parseCommand(STATUS, ['x'])).toThrow(new UsageError('unexpected argument "x"'));
    expect(parseCommand(TRIGGER, ['orders/paid', '--set', 'a=1', '--set', 'b=2']).values.set).toEqual([
      'a=1',
      'b=2',
    ]);
  });

  it('every command’s help lists every option its parser accepts', () => {
    for (const spec of [DEV, TRIGGER, STATUS, RESET]) {
      const help = commandHelp(spec);
      expect(help.startsWith(`Usage: storeflow ${spec.name} `), spec.name).toBe(true);
      for (const [name, option] of Object.entries(spec.options)) {
        expect(help, `${spec.name} --${name}`).toContain(`--${name}${option.type === 'string' ? ' <' : ''}`);
        expect(
          parseCommand(spec, option.type === 'boolean' ? [`--${name}`] : [`--${name}`, '1']).values[name],
        ).toBeDefined();
      }
      expect(help).toContain('-h, --help');
    }
  });
});
