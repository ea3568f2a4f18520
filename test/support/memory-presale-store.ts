import type { PresaleOrder, PresaleOrderStatus } from '#domain/presale/order';
import type { Presale } from '#domain/presale/presale';
import type {
  AwaitPhase,
  BalanceRefusalRecord,
  ParkOutcome,
  PresaleRecord,
  PresaleStore,
  SavePresaleResult,
  StoredPresaleOrder,
  TakeUnitOutcome,
} from '#domain/presale/store';

const CANCELLABLE: readonly PresaleOrderStatus[] = ['DEPOSIT_PAID', 'BALANCE_DUE'];

interface PresaleEntry {
  record: PresaleRecord;
  /** Order ids holding a unit (the DynamoDB adapter keeps hashes of them in a string set). */
  holders: Set<string>;
}

/**
 * {@link PresaleStore} in memory, with the DynamoDB adapter's conditional semantics (the contract
 * suite in test/adapters/presale-store.test.ts runs against both). Each method reads and writes
 * with no `await` in between, so it is atomic like a single-item conditional write; values are
 * cloned in and out, as a round trip through the table would.
 */
export class MemoryPresaleStore implements PresaleStore {
  readonly presales = new Map<string, PresaleEntry>();
  readonly orders = new Map<string, StoredPresaleOrder>();
  /** Fault injection: the next N calls of a method throw `store unavailable` before doing anything. */
  readonly failNext: Partial<Record<keyof PresaleStore, number>> = {};

  private gate(method: keyof PresaleStore): void {
    const left = this.failNext[method] ?? 0;
    if (left > 0) {
      this.failNext[method] = left - 1;
      throw new Error('store unavailable');
    }
  }

  async getPresale(presaleId: string): Promise<PresaleRecord | undefined> {
    this.gate('getPresale');
    return structuredClone(this.presales.get(presaleId)?.record);
  }

  async savePresale(
    presale: Presale,
    expectedVersion: number | null,
    at: string,
  ): Promise<SavePresaleResult> {
    this.gate('savePresale');
    const entry = this.presales.get(presale.presaleId);
    if (expectedVersion === null) {
      if (entry) return { saved: false };
      const record: PresaleRecord = {
        presale: structuredClone(presale),
        taken: 0,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      this.presales.set(presale.presaleId, { record, holders: new Set() });
      return { saved: true, record: structuredClone(record), created: true };
    }
    if (entry?.record.version !== expectedVersion || entry.record.taken > presale.quota)
      return { saved: false };
    entry.record = {
      ...entry.record,
      presale: structuredClone(presale),
      version: entry.record.version + 1,
      updatedAt: at,
    };
    return { saved: true, record: structuredClone(entry.record), created: false };
  }

  async takeUnit(presaleId: string, orderId: string, expectedVersion: number): Promise<TakeUnitOutcome> {
    this.gate('takeUnit');
    const entry = this.presales.get(presaleId);
    if (!entry) return { outcome: 'refused', record: undefined };
    if (entry.holders.has(orderId)) return { outcome: 'held', record: structuredClone(entry.record) };
    if (entry.record.version !== expectedVersion || entry.record.taken >= entry.record.presale.quota) {
      return { outcome: 'refused', record: structuredClone(entry.record) };
    }
    entry.holders.add(orderId);
    entry.record = { ...entry.record, taken: entry.record.taken + 1 };
    return { outcome: 'taken', record: structuredClone(entry.record) };
  }

  async returnUnit(presaleId: string, orderId: string): Promise<boolean> {
    this.gate('returnUnit');
    const entry = this.presales.get(presaleId);
    if (!entry?.holders.delete(orderId)) return false;
    entry.record = { ...entry.record, taken: entry.record.taken - 1 };
    return true;
  }

  async getOrder(orderId: string): Promise<StoredPresaleOrder | undefined> {
    this.gate('getOrder');
    return structuredClone(this.orders.get(orderId));
  }

  async createOrder(
    order: PresaleOrder,
  ): Promise<{ created: true } | { created: false; existing: StoredPresaleOrder }> {
    this.gate('createOrder');
    const existing = this.orders.get(order.orderId);
    if (existing) return { created: false, existing: structuredClone(existing) };
    this.orders.set(order.orderId, {
      order: structuredClone(order),
      taskToken: null,
      awaiting: null,
      cancelRequest: null,
      lastBalanceRefusal: null,
    });
    return { created: true };
  }

  async transition(
    next: PresaleOrder,
    from: PresaleOrderStatus,
  ): Promise<{ ok: true } | { ok: false; existing: StoredPresaleOrder | undefined }> {
    this.gate('transition');
    const stored = this.orders.get(next.orderId);
    if (stored?.order.status !== from) return { ok: false, existing: structuredClone(stored) };
    this.orders.set(next.orderId, {
      ...stored,
      order: structuredClone(next),
      taskToken: null,
      awaiting: null,
    });
    return { ok: true };
  }

  async park(
    orderId: string,
    status: PresaleOrderStatus,
    phase: AwaitPhase,
    taskToken: string,
  ): Promise<ParkOutcome> {
    this.gate('park');
    const stored = this.orders.get(orderId);
    if (stored?.order.status === status && !stored.cancelRequest) {
      this.orders.set(orderId, { ...stored, taskToken, awaiting: phase });
      return { outcome: 'parked' };
    }
    if (stored?.cancelRequest && CANCELLABLE.includes(stored.order.status)) {
      return { outcome: 'cancel-requested', stored: structuredClone(stored) };
    }
    return { outcome: 'wrong-status', stored: structuredClone(stored) };
  }

  async requestCancel(
    orderId: string,
    reason: string,
    at: string,
  ): Promise<
    | { requested: true; stored: StoredPresaleOrder }
    | { requested: false; stored: StoredPresaleOrder | undefined }
  > {
    this.gate('requestCancel');
    const stored = this.orders.get(orderId);
    if (!stored || !CANCELLABLE.includes(stored.order.status)) {
      return { requested: false, stored: structuredClone(stored) };
    }
    if (stored.cancelRequest) return { requested: true, stored: structuredClone(stored) };
    const next = { ...stored, cancelRequest: { reason, at } };
    this.orders.set(orderId, next);
    return { requested: true, stored: structuredClone(next) };
  }

  async recordBalanceRefusal(orderId: string, refusal: BalanceRefusalRecord): Promise<void> {
    this.gate('recordBalanceRefusal');
    const stored = this.orders.get(orderId);
    if (!stored) throw new Error(`presale order ${orderId} does not exist`);
    this.orders.set(orderId, { ...stored, lastBalanceRefusal: structuredClone(refusal) });
  }
}
