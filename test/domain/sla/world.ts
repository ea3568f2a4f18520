import { canonicalEvent, type EventData } from '#domain/events/catalog';
import { ManualClock } from '#domain/shared/clock';
import type { PromiseEvent } from '#domain/sla/policy';
import { type SlaDeps, slaPromises } from '#domain/sla/promises';
import { MemoryPublisher, MemoryTimeline } from '#test/support/memory-ports';
import { MemoryDeadlineTimers, MemoryPromiseStore } from '#test/support/memory-sla-store';
import { cny, SH } from './arbitraries.ts';

/** The catalog the examples use: SKU → category. */
export const CATALOG = {
  'SKU-FISH': 'fresh-food',
  'SKU-PILLS': 'medicine',
  'SKU-TOY': 'toys',
  'SKU-SOFA': 'furniture',
};

/** A store day: 2026-11-24 in Asia/Shanghai runs from 2026-11-23T16:00Z to 2026-11-24T16:00Z. */
export const DAY1 = '2026-11-24';
/** `HH:MM[:SS]` store time (UTC+8) on `date` → the UTC instant, `…000Z`. */
export const storeAt = (time: string, date = DAY1) =>
  new Date(Date.parse(`${date}T${time.length === 5 ? `${time}:00` : time}+08:00`)).toISOString();
/** An instant `seconds` after another. */
export const plus = (at: string, seconds: number) => new Date(Date.parse(at) + seconds * 1000).toISOString();

export const promiseId = (orderId: string, policyId: string) => `order:${orderId}:${policyId}`;
export const ticketPromiseId = (ticketId: string, policyId: string) => `ticket:${ticketId}:${policyId}`;

export function orderPaid(
  orderId: string,
  paidAt: string,
  o: { skus?: string[]; region?: string | null; total?: number; customerId?: string | null } = {},
): EventData<'OrderPaid'> {
  const skus = o.skus ?? ['SKU-FISH'];
  const total = o.total ?? 10_000;
  return {
    orderId,
    orderName: `#${orderId}`,
    shopDomain: null,
    customerId: o.customerId === undefined ? `c-${orderId}` : o.customerId,
    total: cny(total),
    subtotal: cny(total),
    lines: skus.map((sku) => ({
      sku,
      productId: null,
      variantId: null,
      title: sku,
      quantity: 1,
      unitPrice: cny(Math.floor(total / skus.length)),
    })),
    shippingRegion: o.region === undefined ? 'Xinjiang' : o.region,
    placedAt: paidAt,
    paidAt,
  };
}
export const dispatched = (orderId: string, dispatchedAt: string): EventData<'ShipmentDispatched'> => ({
  orderId,
  shipmentId: null,
  carrier: null,
  trackingNumber: null,
  lines: [],
  dispatchedAt,
});
export const delivered = (orderId: string, deliveredAt: string): EventData<'OrderDelivered'> => ({
  orderId,
  shipmentId: null,
  deliveredAt,
});
export const shipByPromised = (
  orderId: string,
  paidAt: string,
  shipBy: string,
): EventData<'PresaleFulfilmentPromised'> => ({
  orderId,
  presaleId: 'ps-1',
  customerId: `c-${orderId}`,
  sku: 'SKU-SOFA',
  shipBy,
  paidAt,
});
export const ticketOpened = (
  ticketId: string,
  orderId: string | null,
  openedAt: string,
): EventData<'TicketOpened'> => ({ ticketId, orderId, customerId: 'c-t', subject: 'late parcel', openedAt });
export const ticketResponded = (
  ticketId: string,
  orderId: string | null,
  respondedAt: string,
): EventData<'TicketResponded'> => ({ ticketId, orderId, respondedAt });
export const ticketResolved = (
  ticketId: string,
  orderId: string | null,
  resolvedAt: string,
): EventData<'TicketResolved'> => ({ ticketId, orderId, resolvedAt });
export const installed = (orderId: string, completedAt: string): EventData<'InstallationCompleted'> => ({
  orderId,
  sku: 'SKU-SOFA',
  completedAt,
});

/**
 * The SLA use cases over in-memory ports, a manual clock that the test moves (firing the timers
 * due on the way, as Scheduler would), and a recording publisher.
 */
export function world(options: { start?: string; multiplierBps?: SlaDeps['multiplierBps'] } = {}) {
  const clock = new ManualClock(options.start ?? storeAt('00:00'));
  const store = new MemoryPromiseStore(CATALOG);
  const timers = new MemoryDeadlineTimers();
  const publisher = new MemoryPublisher();
  const timeline = new MemoryTimeline();
  const sla = slaPromises({
    store,
    timers,
    publisher,
    timeline,
    clock,
    timeZone: SH,
    ...(options.multiplierBps ? { multiplierBps: options.multiplierBps } : {}),
  });
  let delivery = 0;
  const fired: Array<{ name: string; at: string; promiseId: string; timer: string }> = [];

  /** Moves the clock to `at`, firing every timer due on the way, earliest first. */
  async function runUntil(at: string): Promise<void> {
    for (let t = timers.takeDue(at); t; t = timers.takeDue(at)) {
      if (Date.parse(t.at) > clock.now().getTime()) clock.set(t.at);
      fired.push({ name: t.name, at: clock.now().toISOString(), ...t.payload });
      await sla.onTimer(t.payload);
    }
    if (Date.parse(at) > clock.now().getTime()) clock.set(at);
  }

  /** An event arrives (validated as a canonical event first); the clock moves to `arrivesAt` first. */
  async function emit<T extends PromiseEvent>(
    type: T,
    data: EventData<T>,
    options: { arrivesAt?: string; eventId?: string; publishedAt?: string } = {},
  ) {
    if (options.arrivesAt) await runUntil(options.arrivesAt);
    const event = canonicalEvent(type, data);
    return sla.onEvent(
      type,
      event.data as Record<string, unknown>,
      options.eventId ?? `evt-${++delivery}`,
      options.publishedAt,
    );
  }

  /** The published events of a detail type (optionally of one promise), with their ids. */
  function published(detailType: string, promise?: string) {
    return publisher.events
      .filter((e) => e.detailType === detailType)
      .map((e) => ({ eventId: e.detail.metadata.eventId, data: e.detail.data as Record<string, unknown> }))
      .filter((e) => promise === undefined || e.data.promiseId === promise);
  }

  const promise = (id: string) => {
    const stored = store.promises.get(id)?.promise;
    if (!stored) throw new Error(`no promise ${id}`);
    return stored;
  };

  return { clock, store, timers, publisher, timeline, sla, runUntil, emit, published, promise, fired };
}
export type World = ReturnType<typeof world>;
