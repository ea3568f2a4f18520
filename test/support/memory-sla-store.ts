import { ValidationError } from '#domain/shared/errors';
import type { Money } from '#domain/shared/money';
import type { PromisePolicy, StoredPolicy } from '#domain/sla/policy';
import type {
  DeadlineTimers,
  OrderFacts,
  Page,
  PromiseStatus,
  PromiseStore,
  PromiseSubject,
  SlaPromise,
} from '#domain/sla/store';

type Changes = Parameters<PromiseStore['update']>[2];
type TimerPayload = Parameters<DeadlineTimers['set']>[2];

/** Gives every other pending call a turn: concurrent calls interleave as round trips to a table do. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const ATTEMPTS = 8;

/**
 * {@link PromiseStore} in memory, with the DynamoDB adapter's semantics (adapters/dynamodb/sla-store.ts):
 * a promise is created once (`register` returns the stored one after that); `update` and `reserve`
 * read, yield, then write only when the item is unchanged since the read (the adapter's version and
 * `paid` conditions), retrying a few times — so concurrent calls really interleave, and the cap holds
 * only if the optimistic check is right. Values are cloned in and out, as a round trip would.
 */
export class MemoryPromiseStore implements PromiseStore {
  readonly policies = new Map<string, StoredPolicy>();
  readonly orders = new Map<string, OrderFacts>();
  /** The catalog: SKU → category (`categoriesOf` leaves unknown SKUs out). */
  readonly categories = new Map<string, string>();
  readonly fulfilments = new Map<string, string>();
  readonly promises = new Map<string, { version: number; promise: SlaPromise }>();
  readonly caps = new Map<
    string,
    { paid: number; currency: string; grants: Record<string, number>; version: number }
  >();
  /** Every `reserve` call, in order (what was asked, what was granted). */
  readonly reservations: Array<{ capKey: string; promiseId: string; asked: Money; granted: Money }> = [];
  /** Fault injection: the next N calls of a method throw `store unavailable` before doing anything. */
  readonly failNext: Partial<Record<keyof PromiseStore, number>> = {};
  /** How many conditional writes lost a race and read again (a concurrency test shows it raced). */
  conflicts = 0;

  constructor(catalog: Record<string, string> = {}) {
    for (const [sku, category] of Object.entries(catalog)) this.categories.set(sku, category);
  }

  private async gate(method: keyof PromiseStore): Promise<void> {
    await turn();
    const left = this.failNext[method] ?? 0;
    if (left > 0) {
      this.failNext[method] = left - 1;
      throw new Error('store unavailable');
    }
  }

  // --- policies ----------------------------------------------------------------------------------

  async listPolicies(): Promise<StoredPolicy[]> {
    await this.gate('listPolicies');
    return structuredClone([...this.policies.values()].sort((a, b) => a.policyId.localeCompare(b.policyId)));
  }

  async savePolicy(
    policy: PromisePolicy,
    expectedVersion: number | null,
    at: string,
  ): Promise<StoredPolicy | null> {
    await this.gate('savePolicy');
    const current = this.policies.get(policy.policyId);
    if (expectedVersion === null ? current : current?.version !== expectedVersion) return null;
    const record: StoredPolicy = {
      ...structuredClone(policy),
      version: (expectedVersion ?? 0) + 1,
      updatedAt: at,
    };
    this.policies.set(policy.policyId, record);
    return structuredClone(record);
  }

  // --- orders and fulfilments --------------------------------------------------------------------

  async recordOrder(facts: OrderFacts): Promise<void> {
    await this.gate('recordOrder');
    this.orders.set(facts.orderId, structuredClone(facts));
  }

  async getOrder(orderId: string): Promise<OrderFacts | null> {
    await this.gate('getOrder');
    return structuredClone(this.orders.get(orderId) ?? null);
  }

  async categoriesOf(skus: readonly string[]): Promise<string[]> {
    await this.gate('categoriesOf');
    const found = new Set<string>();
    for (const sku of new Set(skus)) {
      const category = this.categories.get(sku);
      if (category !== undefined) found.add(category);
    }
    return [...found];
  }

  async recordFulfilment(subject: PromiseSubject, detailType: string, at: string): Promise<string> {
    await this.gate('recordFulfilment');
    const key = `${subject.type}#${subject.id}#${detailType}`;
    const earlier = this.fulfilments.get(key);
    // As the adapter's condition `attribute_not_exists(at) OR at > :at`: strings compared as strings.
    if (earlier === undefined || earlier > at) this.fulfilments.set(key, at);
    return this.fulfilments.get(key)!;
  }

  async fulfilment(subject: PromiseSubject, detailType: string): Promise<string | null> {
    await this.gate('fulfilment');
    return this.fulfilments.get(`${subject.type}#${subject.id}#${detailType}`) ?? null;
  }

  async fulfilmentsOf(subject: PromiseSubject): Promise<Record<string, string>> {
    await this.gate('fulfilmentsOf');
    const prefix = `${subject.type}#${subject.id}#`;
    return Object.fromEntries(
      [...this.fulfilments]
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, at]) => [k.slice(prefix.length), at]),
    );
  }

  // --- promises ----------------------------------------------------------------------------------

  async register(promise: SlaPromise): Promise<{ created: boolean; promise: SlaPromise }> {
    await this.gate('register');
    const existing = this.promises.get(promise.promiseId);
    if (existing) return { created: false, promise: structuredClone(existing.promise) };
    this.promises.set(promise.promiseId, { version: 1, promise: structuredClone(promise) });
    return { created: true, promise: structuredClone(promise) };
  }

  async getPromise(promiseId: string): Promise<SlaPromise | null> {
    await this.gate('getPromise');
    return structuredClone(this.promises.get(promiseId)?.promise ?? null);
  }

  async listPromises(subject: PromiseSubject): Promise<SlaPromise[]> {
    await this.gate('listPromises');
    return structuredClone(
      [...this.promises.values()]
        .map((e) => e.promise)
        .filter((p) => p.subject.type === subject.type && p.subject.id === subject.id)
        .sort((a, b) => a.policyId.localeCompare(b.policyId)),
    );
  }

  async update(
    promiseId: string,
    from: readonly PromiseStatus[],
    changes: Changes,
    at: string,
  ): Promise<{ moved: boolean; promise: SlaPromise | null }> {
    await this.gate('update');
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const read = this.promises.get(promiseId);
      if (!read) return { moved: false, promise: null };
      const current = structuredClone(read.promise);
      if (!from.includes(current.status)) return { moved: false, promise: current };
      if (changes.compensation && current.compensation) return { moved: false, promise: current };
      if (changes.fulfilledAt && current.fulfilledAt) return { moved: false, promise: current };
      const next: SlaPromise = { ...current, ...structuredClone(changes), updatedAt: at };
      await turn();
      // `version = :v`: written only when nobody wrote since the read.
      if (this.promises.get(promiseId)?.version === read.version) {
        this.promises.set(promiseId, { version: read.version + 1, promise: next });
        return { moved: true, promise: structuredClone(next) };
      }
      this.conflicts++;
    }
    throw new Error(`promise ${promiseId} kept changing; retry`);
  }

  async reserve(capKey: string, promiseId: string, amount: Money, cap: Money): Promise<Money> {
    await this.gate('reserve');
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const read = this.caps.get(capKey);
      const earlier = read?.grants[promiseId];
      if (earlier !== undefined) return { amount: earlier, currency: cap.currency };
      const paid = read?.paid ?? 0;
      const granted =
        amount.currency === cap.currency ? Math.max(0, Math.min(amount.amount, cap.amount - paid)) : 0;
      await turn();
      // `paid = :paid` (or `attribute_not_exists`): a concurrent grant of the same order reads again.
      const now = this.caps.get(capKey);
      if (read ? now?.version === read.version : now === undefined) {
        this.caps.set(capKey, {
          paid: paid + granted,
          currency: cap.currency,
          grants: { ...(read?.grants ?? {}), [promiseId]: granted },
          version: (read?.version ?? 0) + 1,
        });
        const grant = { amount: granted, currency: cap.currency };
        this.reservations.push({ capKey, promiseId, asked: { ...amount }, granted: grant });
        return { ...grant };
      }
      this.conflicts++;
    }
    throw new Error(`compensation of ${capKey} kept changing; retry`);
  }

  // --- the SLA ledger ----------------------------------------------------------------------------

  /** Breaches keyed as the adapter's gsi1 sort key, `<deadline>#<promiseId>`, in key order. */
  private breachesIn(filter: { from: string; to: string }): Array<{ key: string; promise: SlaPromise }> {
    return [...this.promises.values()]
      .map((e) => e.promise)
      .filter((p) => p.status === 'BREACHED' && p.deadline)
      .map((p) => ({ key: `${p.deadline}#${p.promiseId}`, promise: p }))
      .filter((b) => b.key >= filter.from && b.key < filter.to)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async listBreaches(
    filter: { from: string; to: string; kind?: string },
    cursor: string | null,
    limit: number,
  ): Promise<Page<SlaPromise>> {
    await this.gate('listBreaches');
    const after = cursor === null ? null : decodeCursor(cursor);
    const range = this.breachesIn(filter).filter((b) => after === null || b.key > after);
    // As a DynamoDB Query: `limit` items are evaluated, then the kind filter drops some of them.
    const evaluated = range.slice(0, limit);
    const items = evaluated.filter((b) => !filter.kind || b.promise.kind === filter.kind);
    const last = evaluated.at(-1);
    return {
      items: structuredClone(items.map((b) => b.promise)),
      cursor: last && range.length > limit ? encodeCursor(last.key) : null,
    };
  }

  async breachTotals(filter: { from: string; to: string; kind?: string }) {
    await this.gate('breachTotals');
    const totals = new Map<string, { kind: string; count: number; amount: Money }>();
    for (const { promise } of this.breachesIn(filter)) {
      if (filter.kind && promise.kind !== filter.kind) continue;
      const paid = promise.compensation?.amount;
      const t = totals.get(promise.kind) ?? {
        kind: promise.kind,
        count: 0,
        amount: { amount: 0, currency: paid?.currency ?? 'CNY' },
      };
      t.count++;
      if (paid) t.amount = { amount: t.amount.amount + paid.amount, currency: paid.currency };
      totals.set(promise.kind, t);
    }
    return [...totals.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  }

  /** The cap's record of an order (or ticket): what was paid in all, and each promise's grant. */
  capOf(capKey: string) {
    const cap = this.caps.get(capKey);
    return cap ? { paid: cap.paid, currency: cap.currency, grants: { ...cap.grants } } : null;
  }
}

const encodeCursor = (key: string) => Buffer.from(JSON.stringify({ gsi1sk: key })).toString('base64url');
function decodeCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { gsi1sk?: unknown };
    if (typeof value.gsi1sk === 'string') return value.gsi1sk;
  } catch {
    // the validation error below
  }
  throw ValidationError.field('cursor', 'is not a cursor this API handed out');
}

/**
 * {@link DeadlineTimers} in memory: records every `set` and `cancel`; setting a name that is
 * pending again is a no-op (as a Scheduler schedule of that name that exists); a timer that fired
 * is gone. The test drives the clock and fires what is due.
 */
export class MemoryDeadlineTimers implements DeadlineTimers {
  readonly pending = new Map<string, { at: string; payload: TimerPayload }>();
  readonly log: Array<
    { op: 'set'; name: string; at: string; payload: TimerPayload } | { op: 'cancel'; name: string }
  > = [];
  /** Fault injection: the next N `set` calls throw before doing anything. */
  failSets = 0;

  async set(name: string, at: string, payload: TimerPayload): Promise<void> {
    await turn();
    if (this.failSets > 0) {
      this.failSets--;
      throw new Error('scheduler unavailable');
    }
    this.log.push({ op: 'set', name, at, payload: { ...payload } });
    if (!this.pending.has(name)) this.pending.set(name, { at, payload: { ...payload } });
  }

  async cancel(name: string): Promise<void> {
    await turn();
    this.log.push({ op: 'cancel', name });
    this.pending.delete(name);
  }

  /** The earliest pending timer due at or before `at`, taken off the list (it fires). */
  takeDue(at: string): { name: string; at: string; payload: TimerPayload } | null {
    let next: { name: string; at: string; payload: TimerPayload } | null = null;
    for (const [name, t] of this.pending) {
      if (Date.parse(t.at) <= Date.parse(at) && (!next || Date.parse(t.at) < Date.parse(next.at))) {
        next = { name, ...t };
      }
    }
    if (next) this.pending.delete(next.name);
    return next;
  }
}
