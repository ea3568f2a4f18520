import { type CanonicalEvent, canonicalEvent, type DetailType, type EventData } from '../events/catalog.ts';
import {
  type EventPublisher,
  markRecorded,
  type PublishableEvent,
  toPublishable,
} from '../events/publisher.ts';
import type { Clock } from '../shared/clock.ts';
import { ConflictError, ValidationError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import { instantSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import type { TimelineRepository } from '../timeline/timeline.ts';
import { eventTimelineEntries } from '../timeline/use-cases.ts';
import {
  DEFAULT_PROMISE_POLICIES,
  isPromiseEvent,
  PROMISE_EVENTS,
  type PromiseEvent,
  parsePromisePolicy,
  type StoredPolicy,
} from './policy.ts';
import {
  capped,
  compensationFor,
  dueDate,
  eligibility,
  lastTierSeconds,
  SLA_RULES_VERSION,
  settlesAtBreach,
} from './rules.ts';
import type {
  DeadlineTimers,
  PromiseCompensation,
  PromiseStore,
  PromiseSubject,
  SlaPromise,
} from './store.ts';

/**
 * Promises and their compensation (SPEC §4, issue #12). A promise's life is a record and a timer:
 * the start event registers it (its policy snapshotted) and sets a one-time timer at its deadline;
 * the fulfilling event keeps it and cancels the timer; the timer breaches it. A breach's
 * compensation is reserved under the order's cap and issued once per promise, whatever the
 * duplicate events, retries and restarts: every change is a conditional write and every event's id
 * derives from the promise.
 */

export const SLA_ORIGIN = 'workflow:sla';

const LedgerQuery = z.object({
  from: z.pipe(
    instantSchema(),
    z.transform((v) => new Date(v).toISOString()),
  ),
  to: z.pipe(
    instantSchema(),
    z.transform((v) => new Date(v).toISOString()),
  ),
  kind: z.optional(z.string().check(z.minLength(1), z.maxLength(64, 'must be at most 64 characters'))),
  limit: z._default(
    z.coerce
      .number('must be a number from 1 to 500')
      .check(z.int('must be a whole number'), z.minimum(1), z.maximum(500)),
    100,
  ),
  cursor: z.optional(
    z.string().check(z.minLength(1), z.maxLength(2048, 'is not a cursor this API handed out')),
  ),
});
/**
 * How long after a deadline the timer fires: a fulfilment made in time whose event is still on its
 * way (webhook retries, the bus) keeps the promise. The breach is dated at the deadline.
 */
export const SLA_GRACE_SECONDS = 300;

/**
 * How long after it was published a start event that needs its order (an installation promise
 * needs the order's categories) waits for the order's `OrderPaid`: the bus does not order events,
 * so an `OrderDelivered` can be handled first. Within this window the event fails with
 * {@link OrderNotYetKnownError} and its asynchronous invocation is retried (Lambda retries after
 * about 1 and then 2 more minutes); after it, the promise is registered NOT_ELIGIBLE with the reason
 * (an order paid before storeflow saw it is never known).
 */
export const ORDER_WAIT_SECONDS = 150;

/** A start event came before the order it concerns: retried, not refused. */
export class OrderNotYetKnownError extends Error {
  override readonly name = 'OrderNotYetKnown';
  constructor(readonly orderId: string) {
    super(
      `order ${orderId} is not known yet (its OrderPaid has not been handled); retried for ${ORDER_WAIT_SECONDS} s after the event`,
    );
  }
}

export interface SlaDeps {
  readonly store: PromiseStore;
  readonly timers: DeadlineTimers;
  readonly publisher: EventPublisher;
  /**
   * Where an event's promise registrations write their timeline lines themselves (one batch for
   * all of an order's promises) before they are published marked as recorded (decision 33).
   */
  readonly timeline: TimelineRepository;
  readonly clock: Clock;
  /** The store's IANA time zone (store-calendar deadlines). */
  readonly timeZone: string;
  /** The member tier's multiplier of a customer's compensation (10 000 = ×1.0; members come later). */
  readonly multiplierBps?: (customerId: string | null) => Promise<number>;
}

/** A timer's name: Scheduler names are at most 64 characters of [0-9a-zA-Z-_.]. */
export const timerName = (promiseId: string, timer: 'deadline' | 'final-tier') =>
  `sla-${deterministicId('sla-timer', promiseId, timer).replaceAll('-', '')}`;

const subjectOf = (data: Record<string, unknown>): PromiseSubject | null => {
  if (typeof data.ticketId === 'string') return { type: 'ticket', id: data.ticketId };
  if (typeof data.orderId === 'string') return { type: 'order', id: data.orderId };
  return null;
};

const promiseIdOf = (subject: PromiseSubject, policyId: string) =>
  `${subject.type}:${subject.id}:${policyId}`;

/**
 * The instant an event carries, as instants are stored (SPEC §0: ISO-8601 UTC): events may write
 * one with an offset or without milliseconds, and promises compare instants as strings.
 */
function instantOf(detailType: PromiseEvent, data: Record<string, unknown>): string {
  const field = PROMISE_EVENTS[detailType];
  const ms = Date.parse(String(data[field]));
  if (!Number.isFinite(ms)) throw ValidationError.field(`data.${field}`, 'must be an ISO-8601 instant');
  return new Date(ms).toISOString();
}

export function slaPromises(deps: SlaDeps) {
  const nowIso = () => deps.clock.now().toISOString();
  const multiplier = deps.multiplierBps ?? (async () => 10_000);

  async function policies(): Promise<StoredPolicy[]> {
    const stored = new Map((await deps.store.listPolicies()).map((p) => [p.policyId, p]));
    const defaults = DEFAULT_PROMISE_POLICIES.map(
      (p): StoredPolicy => stored.get(p.policyId) ?? { ...p, version: 0, updatedAt: null },
    );
    return [
      ...defaults,
      ...[...stored.values()].filter((p) => !defaults.some((d) => d.policyId === p.policyId)),
    ];
  }

  const publishable = (promise: SlaPromise, event: CanonicalEvent, at: string) =>
    toPublishable(event, {
      eventId: deterministicId(SLA_ORIGIN, promise.promiseId, event.detailType),
      publishedAt: at,
      correlationId: promise.startEvent.eventId,
      origin: SLA_ORIGIN,
    });

  async function publish(promise: SlaPromise, event: CanonicalEvent, at: string): Promise<void> {
    await deps.publisher.publish([publishable(promise, event, at)]);
  }

  /**
   * The reads the promises one event starts share (the same order, SKUs and fulfilments): made
   * once per event, not once per policy.
   */
  function sharedReads() {
    const memo = new Map<string, Promise<unknown>>();
    const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
      if (!memo.has(key)) memo.set(key, read());
      return memo.get(key) as Promise<T>;
    };
    return {
      order: (orderId: string) => once(`order:${orderId}`, () => deps.store.getOrder(orderId)),
      categoriesOf: (skus: readonly string[]) =>
        once(`categories:${JSON.stringify(skus)}`, () => deps.store.categoriesOf(skus)),
      // One read of all the subject's fulfilments, whatever the policies wait for (a promise
      // registered after it that misses a fulfilment is still kept: its timer reads again).
      fulfilment: async (subject: PromiseSubject, detailType: string) =>
        (await once(`fulfilments:${subject.type}:${subject.id}`, () => deps.store.fulfilmentsOf(subject)))[
          detailType
        ] ?? null,
    };
  }
  type SharedReads = ReturnType<typeof sharedReads>;

  const ref = (p: SlaPromise) => ({
    promiseId: p.promiseId,
    policyId: p.policyId,
    kind: p.kind,
    orderId: p.orderId,
    ticketId: p.ticketId,
  });

  /** The promise's deadline timer fires a grace period after it (see SLA_GRACE_SECONDS). */
  const timerAt = (deadline: string, extraSeconds = 0) =>
    new Date(Date.parse(deadline) + (SLA_GRACE_SECONDS + extraSeconds) * 1000).toISOString();

  /**
   * Registers the promise `policy` makes on a start event, or — delivered again (a retry after a
   * failure part-way, or a duplicate) — resumes the promise as registered: its announcement (put
   * in `announcements`, published once for the event's promises) and its timers are idempotent,
   * and may be missing.
   */
  async function start(
    policy: StoredPolicy,
    detailType: PromiseEvent,
    data: Record<string, unknown>,
    event: { eventId: string; publishedAt?: string | undefined },
    reads: SharedReads,
    announcements: PublishableEvent[],
  ) {
    const subject = subjectOf(data);
    if (!subject) return null;
    const stored = await register(policy, detailType, data, event, subject, reads);
    announcements.push(
      publishable(
        stored,
        canonicalEvent('PromiseRegistered', {
          ...ref(stored),
          status: stored.status === 'NOT_ELIGIBLE' ? 'NOT_ELIGIBLE' : 'OPEN',
          deadline: stored.deadline,
          reason: stored.reason,
          registeredAt: stored.registeredAt,
        }),
        stored.registeredAt,
      ),
    );
    if (stored.status !== 'OPEN' || !stored.deadline) return stored;
    const terms = stored.policy;
    // The fulfilling event may have come first (events are not ordered).
    const fulfilled = await reads.fulfilment(subject, terms.fulfilledBy);
    if (fulfilled && fulfilled >= stored.startedAt) return fulfil(stored, fulfilled);
    const afterDeadline = await setTimer(stored, 'deadline', timerAt(stored.deadline));
    // A tiered compensation waits at most until its last tier: that timer is set now too, so the
    // function that breaches never sets a timer (it would have to target itself). After the
    // deadline's: registered late, the breach must come first for the last tier to pay.
    if (settlesAtBreach(terms.compensation)) return afterDeadline;
    return setTimer(
      afterDeadline,
      'final-tier',
      timerAt(stored.deadline, lastTierSeconds(terms.compensation)),
    );
  }

  /**
   * A new promise: its policy snapshotted, its deadline and eligibility decided, then one
   * conditional put; one already registered is returned as stored (its own snapshot).
   */
  async function register(
    policy: StoredPolicy,
    detailType: PromiseEvent,
    data: Record<string, unknown>,
    event: { eventId: string; publishedAt?: string | undefined },
    subject: PromiseSubject,
    reads: SharedReads,
  ): Promise<SlaPromise> {
    const { eventId } = event;
    const promiseId = promiseIdOf(subject, policy.policyId);
    const startedAt = instantOf(detailType, data);
    const orderId = typeof data.orderId === 'string' ? data.orderId : null;
    const order = detailType === 'OrderPaid' ? null : orderId ? await reads.order(orderId) : null;
    const needsOrder = Boolean(policy.eligible.categories || policy.eligible.regions);
    if (
      orderId &&
      !order &&
      needsOrder &&
      detailType !== 'OrderPaid' &&
      event.publishedAt &&
      deps.clock.now().getTime() - Date.parse(event.publishedAt) < ORDER_WAIT_SECONDS * 1000 &&
      !(await deps.store.getPromise(promiseId))
    ) {
      throw new OrderNotYetKnownError(orderId);
    }
    const skus =
      detailType === 'OrderPaid'
        ? ((data as EventData<'OrderPaid'>).lines.map((l) => l.sku).filter(Boolean) as string[])
        : (order?.skus ?? []);
    const region =
      detailType === 'OrderPaid' ? (data as EventData<'OrderPaid'>).shippingRegion : (order?.region ?? null);
    const due = dueDate(policy.deadline, startedAt, data, deps.timeZone);
    const facts =
      detailType === 'OrderPaid' || order
        ? { categories: policy.eligible.categories ? await reads.categoriesOf(skus) : [], region }
        : null;
    const covered = eligibility(policy.eligible, facts);
    const eligible = due.eligible && covered.eligible;
    const now = nowIso();
    const promise: SlaPromise = {
      promiseId,
      subject,
      orderId,
      ticketId: subject.type === 'ticket' ? subject.id : null,
      customerId: typeof data.customerId === 'string' ? data.customerId : (order?.customerId ?? null),
      policyId: policy.policyId,
      kind: policy.kind,
      policy,
      status: eligible ? 'OPEN' : 'NOT_ELIGIBLE',
      reason: !due.eligible ? due.reason : !covered.eligible ? covered.reason : null,
      startedAt,
      startEvent: { detailType, eventId },
      deadline: due.eligible ? due.deadline : null,
      fulfilledAt: null,
      lateSeconds: null,
      breachedAt: null,
      compensation: null,
      registeredAt: now,
      updatedAt: now,
    };
    return (await deps.store.register(promise)).promise;
  }

  /**
   * Sets a promise's timer, or — when its time has already come (an event processed late) — does
   * now what the timer would have done.
   */
  async function setTimer(
    promise: SlaPromise,
    timer: 'deadline' | 'final-tier',
    at: string,
  ): Promise<SlaPromise> {
    if (Date.parse(at) <= deps.clock.now().getTime()) return fire(promise, timer);
    await deps.timers.set(timerName(promise.promiseId, timer), at, { promiseId: promise.promiseId, timer });
    return promise;
  }

  async function fire(promise: SlaPromise, timer: 'deadline' | 'final-tier'): Promise<SlaPromise> {
    if (timer === 'deadline' && promise.status === 'OPEN') {
      const fulfilledAt = await deps.store.fulfilment(promise.subject, promise.policy.fulfilledBy);
      if (fulfilledAt && fulfilledAt >= promise.startedAt) return fulfil(promise, fulfilledAt);
      return (await breach(promise)) ?? promise;
    }
    // Delivered again after an attempt that failed part-way (Scheduler retries): finish the breach.
    if (timer === 'deadline' && promise.status === 'BREACHED') return (await breach(promise)) ?? promise;
    if (timer === 'final-tier' && promise.status === 'BREACHED') {
      return issue(promise, promise.lateSeconds ?? lastTierSeconds(promise.policy.compensation));
    }
    return promise;
  }

  async function fulfil(promise: SlaPromise, at: string): Promise<SlaPromise> {
    if (promise.status === 'OPEN' && promise.deadline && at <= promise.deadline) {
      const { moved, promise: kept } = await deps.store.update(
        promise.promiseId,
        ['OPEN'],
        { status: 'KEPT', fulfilledAt: at },
        nowIso(),
      );
      if (!kept) return promise;
      if (!moved) return kept.status === 'OPEN' ? promise : fulfil(kept, at);
      await deps.timers.cancel(timerName(kept.promiseId, 'deadline'));
      if (!settlesAtBreach(kept.policy.compensation))
        await deps.timers.cancel(timerName(kept.promiseId, 'final-tier'));
      await publish(
        kept,
        canonicalEvent('PromiseKept', { ...ref(kept), deadline: kept.deadline!, fulfilledAt: at }),
        at,
      );
      return kept;
    }
    if (promise.status === 'OPEN' && promise.deadline) {
      // Late, and the deadline's timer has not fired yet: the breach first, with the lateness.
      const breached = await breach(promise);
      if (!breached) return promise;
      const late = await fulfil(breached, at);
      // Settled here: the deadline's timer has nothing left to do (it would announce it again).
      await deps.timers.cancel(timerName(promise.promiseId, 'deadline'));
      return late;
    }
    if (promise.status === 'BREACHED' && promise.deadline && promise.fulfilledAt) {
      // Delivered again: a tiered compensation is the fulfilment's to issue, and to announce again
      // in case the first attempt failed part-way (a fixed one is the breach's, and its timer's).
      if (settlesAtBreach(promise.policy.compensation)) return promise;
      return issue(promise, promise.lateSeconds ?? 0);
    }
    if (promise.status === 'BREACHED' && promise.deadline) {
      const lateSeconds = Math.max(0, Math.round((Date.parse(at) - Date.parse(promise.deadline)) / 1000));
      const { promise: late } = await deps.store.update(
        promise.promiseId,
        ['BREACHED'],
        { fulfilledAt: at, lateSeconds },
        nowIso(),
      );
      if (late && !late.compensation) {
        await deps.timers.cancel(timerName(late.promiseId, 'final-tier'));
        return issue(late, late.lateSeconds ?? lateSeconds);
      }
      return late ?? promise;
    }
    return promise;
  }

  /** OPEN → BREACHED (dated at the deadline); the compensation at once, or when the lateness is known. */
  async function breach(promise: SlaPromise): Promise<SlaPromise | null> {
    const deadline = promise.deadline!;
    const { moved, promise: breached } = await deps.store.update(
      promise.promiseId,
      ['OPEN'],
      { status: 'BREACHED', breachedAt: deadline },
      nowIso(),
    );
    if (breached?.status !== 'BREACHED') return breached;
    if (moved || !breached.compensation) {
      await publish(
        breached,
        canonicalEvent('SlaBreached', { ...ref(breached), deadline, breachedAt: deadline }),
        deadline,
      );
    }
    if (breached.compensation) return issue(breached, breached.compensation.lateSeconds);
    if (settlesAtBreach(breached.policy.compensation)) return issue(breached, 0);
    // Tiered: the compensation waits for the lateness (a late fulfilment, or the last tier's timer).
    return breached;
  }

  /**
   * The breach's compensation, reserved under the order's cap and issued once. Once decided it is
   * only announced again (same event id): a step delivered again may have failed before announcing.
   */
  async function issue(promise: SlaPromise, lateSeconds: number): Promise<SlaPromise> {
    if (promise.compensation) return announce(promise, promise.compensation);
    const policy = promise.policy;
    const order = promise.orderId ? await deps.store.getOrder(promise.orderId) : null;
    const multiplierBps = await multiplier(promise.customerId);
    const step = compensationFor({
      compensation: policy.compensation,
      orderTotal: order?.total ?? null,
      lateSeconds,
      multiplierBps,
      currency: policy.capPerOrder.currency,
    });
    const capKey = promise.orderId ? `order:${promise.orderId}` : `ticket:${promise.ticketId}`;
    const granted = await deps.store.reserve(capKey, promise.promiseId, step.amount, policy.capPerOrder);
    const idempotencyKey = deterministicId('sla-compensation', promise.orderId ?? capKey, promise.promiseId);
    const type = step.basis.startsWith('coupon') ? 'coupon' : 'refund';
    const issuedAt = nowIso();
    const compensation = {
      type,
      amount: granted,
      requested: step.amount,
      capped: granted.amount < step.amount.amount,
      basis: step.basis,
      multiplierBps,
      lateSeconds,
      rule: SLA_RULES_VERSION,
      idempotencyKey,
      issuedAt,
    } as const;
    const { promise: stored } = await deps.store.update(
      promise.promiseId,
      ['BREACHED'],
      { compensation },
      issuedAt,
    );
    return announce(stored ?? promise, stored?.compensation ?? compensation);
  }

  async function announce(final: SlaPromise, issued: PromiseCompensation): Promise<SlaPromise> {
    // Capped to nothing: the receipt is on the promise and in the ledger; there is no coupon or
    // refund to hand to a provider, nor anything to tell the customer.
    if (issued.amount.amount === 0) return final;
    await publish(
      final,
      canonicalEvent('CompensationIssued', {
        ...ref(final),
        customerId: final.customerId,
        type: issued.type,
        amount: issued.amount,
        requested: issued.requested,
        capped: issued.capped,
        lateSeconds: issued.lateSeconds,
        idempotencyKey: issued.idempotencyKey,
        rule: issued.rule,
        issuedAt: issued.issuedAt,
      }),
      issued.issuedAt,
    );
    return final;
  }

  return {
    policies,

    /**
     * Every event a promise may start or end on: an `OrderPaid` is kept (for the promises started
     * after it), a fulfilling event keeps or marks late the subject's open promises, a start event
     * registers the promises of every active policy that starts on it.
     */
    async onEvent(
      detailType: DetailType,
      data: Record<string, unknown>,
      eventId: string,
      /** When the event was published: a start event that needs its order waits for it a while. */
      publishedAt?: string,
    ) {
      if (!isPromiseEvent(detailType)) return { started: 0, fulfilled: 0 };
      if (detailType === 'OrderPaid') {
        const paid = data as EventData<'OrderPaid'>;
        await deps.store.recordOrder({
          orderId: paid.orderId,
          total: paid.total,
          customerId: paid.customerId,
          region: paid.shippingRegion,
          skus: [...new Set(paid.lines.map((l) => l.sku).filter((s): s is string => Boolean(s)))],
          paidAt: paid.paidAt,
        });
      }
      const all = await policies();
      const subject = subjectOf(data);
      let fulfilled = 0;
      if (subject && all.some((p) => p.fulfilledBy === detailType)) {
        const at = await deps.store.recordFulfilment(subject, detailType, instantOf(detailType, data));
        const subjects: PromiseSubject[] = [subject];
        // A ticket's events end the ticket's promises; an order's end the order's.
        for (const s of subjects) {
          for (const promise of await deps.store.listPromises(s)) {
            if (promise.policy.fulfilledBy !== detailType) continue;
            await fulfil(promise, at);
            fulfilled++;
          }
        }
      }
      let started = 0;
      const reads = sharedReads();
      const announcements: PublishableEvent[] = [];
      for (const policy of all.filter((p) => p.active && p.startsOn === detailType)) {
        if (await start(policy, detailType, data, { eventId, publishedAt }, reads, announcements)) started++;
      }
      // After the timers: a failure before this point is retried, and announces them then. Their
      // lines first, in one batch (a retry writes the same ones), then the events, marked so the
      // timeline recorder skips them: one invocation less per promise (decision 33).
      const marked = announcements.map(markRecorded);
      if (marked.length > 0) await deps.timeline.record(marked.flatMap(eventTimelineEntries));
      await deps.publisher.publish(marked);
      return { started, fulfilled };
    },

    /** A timer fired: the deadline passed (breach unless kept), or the last lateness tier did. */
    async onTimer(input: { promiseId: string; timer: 'deadline' | 'final-tier' }) {
      const promise = await deps.store.getPromise(input.promiseId);
      if (!promise) return { status: 'unknown' };
      return { status: (await fire(promise, input.timer)).status };
    },

    /** `GET /api/sla/ledger`: breaches whose deadline is in [from, to), and totals per kind. */
    async ledger(query: unknown) {
      const q = parseOrThrow(LedgerQuery, query ?? {});
      if (q.to <= q.from) throw ValidationError.field('to', `must be after from (${q.from})`);
      const filter = { from: q.from, to: q.to, ...(q.kind ? { kind: q.kind } : {}) };
      const [page, totals] = await Promise.all([
        deps.store.listBreaches(filter, q.cursor ?? null, q.limit),
        deps.store.breachTotals(filter),
      ]);
      return {
        from: q.from,
        to: q.to,
        items: page.items.map((p) => ({
          promiseId: p.promiseId,
          policyId: p.policyId,
          kind: p.kind,
          orderId: p.orderId,
          ticketId: p.ticketId,
          deadline: p.deadline,
          breachedAt: p.breachedAt,
          fulfilledAt: p.fulfilledAt,
          lateSeconds: p.lateSeconds,
          compensation: p.compensation,
        })),
        totals,
        nextCursor: page.cursor,
      };
    },

    // --- the operations API -------------------------------------------------------------------------
    async putPolicy(policyId: unknown, body: unknown) {
      const policy = parsePromisePolicy(policyId, body);
      const current = (await deps.store.listPolicies()).find((p) => p.policyId === policy.policyId);
      const saved = await deps.store.savePolicy(policy, current?.version ?? null, nowIso());
      if (!saved)
        throw new ConflictError(
          `promise policy ${policy.policyId} changed while it was being saved; try again`,
        );
      return { created: !current, policy: saved };
    },
    async promisesOf(type: 'order' | 'ticket', id: string) {
      const subjectId = parseId(id, type === 'order' ? 'orderId' : 'ticketId');
      const items = await deps.store.listPromises({ type, id: subjectId });
      // An order's promises include those of its tickets only when asked for the ticket.
      return items.map(view);
    },
  };
}
export type SlaPromises = ReturnType<typeof slaPromises>;

/** A promise as the API shows it. */
export function view(p: SlaPromise) {
  return {
    promiseId: p.promiseId,
    policyId: p.policyId,
    kind: p.kind,
    orderId: p.orderId,
    ticketId: p.ticketId,
    status: p.status,
    reason: p.reason,
    startedAt: p.startedAt,
    deadline: p.deadline,
    fulfilledAt: p.fulfilledAt,
    lateSeconds: p.lateSeconds,
    breachedAt: p.breachedAt,
    compensation: p.compensation,
    policyVersion: p.policy.version,
    policy: p.policy,
  };
}

export { capped };
