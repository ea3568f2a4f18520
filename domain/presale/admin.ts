import type { Clock } from '../shared/clock.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import type { PresaleOrder } from './order.ts';
import {
  type PresaleDefaults,
  type PresaleView,
  parsePresale,
  presaleView,
  validatePresaleUpdate,
} from './presale.ts';
import { presaleRunName } from './run.ts';
import type { BalanceRefusalRecord, PresaleStore } from './store.ts';

/**
 * The operations API's presale use cases (issue #5): create or update a presale, read it with the
 * units left, read a presale order. An update never takes the quota below the units taken, also
 * against concurrent deposits: the write is conditional on the version read and on `taken`.
 */

/** What `GET /api/presale-orders/{orderId}` shows: the order, its run, and the last refused balance. */
export interface PresaleOrderView extends PresaleOrder {
  readonly runName: string;
  readonly cancelRequested: { readonly reason: string; readonly at: string } | null;
  readonly lastBalanceRefusal: BalanceRefusalRecord | null;
}

const SAVE_ATTEMPTS = 5;

export function presaleAdmin(deps: {
  readonly store: PresaleStore;
  readonly clock: Clock;
  readonly defaults?: PresaleDefaults;
}) {
  return {
    async put(presaleId: unknown, body: unknown): Promise<{ created: boolean; presale: PresaleView }> {
      const next = parsePresale(presaleId, body, deps.defaults);
      for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
        const existing = await deps.store.getPresale(next.presaleId);
        validatePresaleUpdate(existing?.presale, next, existing?.taken ?? 0);
        const saved = await deps.store.savePresale(
          next,
          existing?.version ?? null,
          deps.clock.now().toISOString(),
        );
        if (saved.saved) {
          return { created: saved.created, presale: presaleView(saved.record.presale, saved.record.taken) };
        }
        // A deposit or another update got in between: validate again against what is stored now.
      }
      throw new ConflictError(
        `presale ${next.presaleId} kept changing while it was being saved (${SAVE_ATTEMPTS} attempts); try again`,
      );
    },

    async get(presaleId: string): Promise<PresaleView> {
      const record = await deps.store.getPresale(presaleId);
      if (!record) throw new NotFoundError(`presale ${presaleId} does not exist`);
      return presaleView(record.presale, record.taken);
    },

    async getOrder(orderId: string): Promise<PresaleOrderView> {
      const stored = await deps.store.getOrder(orderId);
      if (!stored) throw new NotFoundError(`presale order ${orderId} does not exist`);
      return {
        ...stored.order,
        runName: presaleRunName(orderId),
        cancelRequested: stored.cancelRequest,
        lastBalanceRefusal: stored.lastBalanceRefusal,
      };
    },
  };
}
