import { createHash } from 'node:crypto';

/**
 * TransactWriteItems for the embedded store (dynalite has no transactions), with DynamoDB's
 * documented behaviour (API_TransactWriteItems):
 * - 1 to 100 actions (`ConditionCheck`, `Put`, `Update`, `Delete`), no two on one item, at most
 *   4 MB of items; a malformed request is a ValidationException and nothing runs; an unknown
 *   table is ResourceNotFoundException.
 * - All or nothing. Every condition is evaluated on the items as they are; if any fails (or an
 *   action is invalid for its item, as an update past 400 KB), nothing is written and the answer is
 *   `TransactionCanceledException` with one `CancellationReasons` entry per action, in order:
 *   `{ Code: 'None' }` for the actions that were fine, `ConditionalCheckFailed` (with the item when
 *   `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`) or `ValidationError` for the others.
 * - `ClientRequestToken` (the SDK sets one and keeps it across its retries): for 10 minutes after a
 *   call that succeeded, the same token with the same request succeeds again without writing; with
 *   a different request it is `IdempotentParameterMismatchException`; while the first call still
 *   runs, `TransactionInProgressException`.
 * - Isolation: the transaction holds dynalite's item locks on every item it touches (the locks
 *   every PutItem, UpdateItem and DeleteItem takes), acquired in one synchronous pass so two
 *   transactions cannot deadlock. Its writes are staged, invisible to every read, until all its
 *   actions have succeeded; then they are published at once and applied as one LevelDB batch
 *   (nothing half-written after a kill -9), which the answer waits for.
 *
 * Each action runs dynalite's own action (the same validation, condition, update-expression and
 * index code as a single call) against the store with its locks already held.
 */

/** What the transaction needs of the embedded store (see dynalite-store.ts). */
export interface TransactionHost {
  /** dynalite's store (getTable, getItemDb, getIndexDb, options). */
  readonly store: TxStore;
  /** dynalite's `db` module: keys, conditions, sizes, errors. */
  readonly db: DynaliteDb;
  /** Validates a single-item request as dynalite's request handler does (throws {statusCode, body}). */
  validate(
    op: 'PutItem' | 'UpdateItem' | 'DeleteItem',
    data: Record<string, unknown>,
  ): Record<string, unknown>;
  /** Runs dynalite's action for `op` on `store`. */
  action(op: 'PutItem' | 'UpdateItem' | 'DeleteItem'): TxAction;
  /** The write staging of the store's I/O (groupStoreIo). */
  readonly io: {
    stagedUnit(): object;
    run<R>(unit: object, fn: () => R): R;
    commit(unit: object): Promise<void>;
    discard(unit: object): void;
  };
}

type Cb<T> = (
  error: (Error & { statusCode?: number; body?: { __type?: string; message?: string } }) | null,
  value?: T,
) => void;
type Item = Record<string, unknown>;
interface Table {
  TableName: string;
}
interface ItemDb {
  get(key: string, cb: Cb<Item | undefined>): void;
  lock(key: string | string[], exec: (release: (done: () => void) => () => void) => void): void;
}
export interface TxStore {
  getTable(name: string, cb: Cb<Table>): void;
  getItemDb(name: string): ItemDb;
  options: { maxItemSize: number };
}
export interface DynaliteDb {
  validateKey(key: unknown, table: Table): Error | null | undefined;
  validateItem(item: unknown, table: Table): Error | null | undefined;
  createKey(item: unknown, table: Table): string;
  checkConditional(data: unknown, existing: Item | undefined): Error | null | undefined;
  itemSize(item: unknown): number;
}
type TxAction = (
  store: TxStore,
  data: unknown,
  cb: Cb<{ ConsumedCapacity?: { CapacityUnits?: number } }>,
) => void;

export interface TxError {
  readonly status: number;
  readonly body: Record<string, unknown>;
}
export type TxResult = { readonly ok: Record<string, unknown> } | { readonly error: TxError };

const TYPE = 'com.amazonaws.dynamodb.v20120810#';
const validation = (message: string): TxResult => ({
  error: { status: 400, body: { __type: 'com.amazon.coral.validate#ValidationException', message } },
});
const MAX_ACTIONS = 100;
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
const TOKEN_WINDOW_MS = 10 * 60_000;
const KINDS = ['ConditionCheck', 'Put', 'Update', 'Delete'] as const;
type Kind = (typeof KINDS)[number];
const OP = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'DeleteItem',
} as const;
const EXPRESSION_FIELDS = ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'];

interface Prepared {
  readonly kind: Kind;
  readonly request: Record<string, unknown>;
  readonly table: Table;
  readonly key: string;
  readonly returnOld: boolean;
}

export function transactWrites(host: TransactionHost, now: () => number = Date.now) {
  /** Successful tokens: the request's digest and when the window closes. */
  const tokens = new Map<string, { digest: string; until: number }>();
  /** Tokens whose transaction is running now. */
  const running = new Set<string>();

  const prune = (t: number) => {
    for (const [token, entry] of tokens) {
      if (entry.until > t) break; // insertion order is expiry order
      tokens.delete(token);
    }
  };

  const tableOf = (name: string) =>
    new Promise<Table | TxError>((resolve) =>
      host.store.getTable(name, (error, table) =>
        resolve(
          error
            ? {
                status: error.statusCode ?? 500,
                body: (error.body ?? { message: error.message }) as Record<string, unknown>,
              }
            : table!,
        ),
      ),
    );

  /** Validates and resolves every action, or answers why the request is refused as a whole. */
  async function prepare(data: Record<string, unknown>): Promise<Prepared[] | TxResult> {
    const items = data.TransactItems;
    if (items === undefined || items === null) {
      return validation(
        "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
      );
    }
    if (!Array.isArray(items)) return validation('Start of list found where not expected');
    if (items.length < 1 || items.length > MAX_ACTIONS) {
      return validation(
        `1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length ${items.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ACTIONS}`}`,
      );
    }
    const token = data.ClientRequestToken;
    if (token !== undefined && (typeof token !== 'string' || token.length < 1 || token.length > 36)) {
      return validation(
        "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must be a string of length 1 to 36",
      );
    }
    const prepared: Prepared[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    const tables = new Map<string, Table | TxError>();
    for (const [index, entry] of items.entries()) {
      const kinds = KINDS.filter((k) => entry && typeof entry === 'object' && (entry as Item)[k] != null);
      if (kinds.length !== 1) {
        return validation(
          `TransactItems can only contain one of ConditionCheck, Put, Update or Delete (item ${index} has ${kinds.length})`,
        );
      }
      const kind = kinds[0]!;
      const action = (entry as Record<Kind, Item>)[kind];
      if (kind === 'ConditionCheck' && typeof action.ConditionExpression !== 'string') {
        return validation('The ConditionExpression parameter is required for a ConditionCheck');
      }
      if (kind === 'Update' && typeof action.UpdateExpression !== 'string') {
        return validation('The UpdateExpression parameter is required for an Update');
      }
      const onFailure = action.ReturnValuesOnConditionCheckFailure;
      if (onFailure !== undefined && onFailure !== 'ALL_OLD' && onFailure !== 'NONE') {
        return validation(
          `1 validation error detected: Value '${String(onFailure)}' at 'transactItems.${index + 1}.member.${kind.charAt(0).toLowerCase()}${kind.slice(1)}.returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
        );
      }
      const request: Item = { TableName: action.TableName };
      if (kind === 'Put') request.Item = action.Item;
      else request.Key = action.Key;
      if (kind === 'Update') request.UpdateExpression = action.UpdateExpression;
      for (const f of EXPRESSION_FIELDS) if (action[f] !== undefined) request[f] = action[f];
      let checked: Item;
      try {
        checked = host.validate(OP[kind], request);
      } catch (error) {
        const e = error as { statusCode?: number; body?: Record<string, unknown> };
        if (e.statusCode && e.body) return { error: { status: e.statusCode, body: e.body } };
        throw error;
      }
      const name = String(checked.TableName);
      if (!tables.has(name)) tables.set(name, await tableOf(name));
      const table = tables.get(name)!;
      if ('status' in table) return { error: table };
      const invalid =
        kind === 'Put' ? host.db.validateItem(checked.Item, table) : host.db.validateKey(checked.Key, table);
      if (invalid) {
        const e = invalid as { statusCode?: number; body?: Record<string, unknown> };
        return { error: { status: e.statusCode ?? 400, body: e.body ?? { message: invalid.message } } };
      }
      const key = host.db.createKey(kind === 'Put' ? checked.Item : checked.Key, table);
      const id = `${name}\u0000${key}`;
      if (seen.has(id))
        return validation('Transaction request cannot include multiple operations on one item');
      seen.add(id);
      bytes += kind === 'Put' ? host.db.itemSize(checked.Item) : host.db.itemSize(checked.Key);
      prepared.push({ kind, request: checked, table, key, returnOld: onFailure === 'ALL_OLD' });
    }
    if (bytes > MAX_TRANSACTION_BYTES) {
      return validation('Transaction request size exceeds the maximum of 4 MB');
    }
    return prepared;
  }

  /** Holds the item locks of every action (one synchronous pass, see above); resolves to the release. */
  function lockAll(actions: readonly Prepared[]): Promise<() => void> {
    const byTable = new Map<string, string[]>();
    for (const a of actions) {
      const keys = byTable.get(a.table.TableName) ?? [];
      keys.push(a.key);
      byTable.set(a.table.TableName, keys);
    }
    return new Promise((resolve) => {
      const releases: Array<() => void> = [];
      let waiting = byTable.size;
      for (const [name, keys] of byTable) {
        host.store.getItemDb(name).lock(keys, (release) => {
          let released = false;
          const free = release(() => {});
          releases.push(() => {
            if (!released) {
              released = true;
              free();
            }
          });
          if (--waiting === 0)
            resolve(() => {
              for (const r of releases) r();
            });
        });
      }
    });
  }

  /** dynalite's store with the transaction's locks already held: an action's own lock is a no-op. */
  const heldStore = (): TxStore => {
    const base = host.store;
    const held = Object.create(base) as TxStore;
    const dbs = new Map<string, ItemDb>();
    held.getItemDb = (name) => {
      let itemDb = dbs.get(name);
      if (!itemDb) {
        itemDb = Object.create(base.getItemDb(name)) as ItemDb;
        itemDb.lock = (_key, exec) => exec((done) => done);
        dbs.set(name, itemDb);
      }
      return itemDb;
    };
    return held;
  };

  const run = (store: TxStore, a: Prepared) =>
    new Promise<{ code: string; message?: string; units: number }>((resolve) => {
      const settle: Cb<{ ConsumedCapacity?: { CapacityUnits?: number } }> = (error, result) => {
        if (!error) return resolve({ code: 'None', units: result?.ConsumedCapacity?.CapacityUnits ?? 0 });
        const type = error.body?.__type ?? '';
        if (type.endsWith('#ConditionalCheckFailedException')) {
          return resolve({
            code: 'ConditionalCheckFailed',
            message: 'The conditional request failed',
            units: 0,
          });
        }
        if (error.statusCode === 400) {
          return resolve({
            code: 'ValidationError',
            message: error.body?.message ?? error.message,
            units: 0,
          });
        }
        resolve({ code: 'InternalError', message: error.message, units: 0 });
      };
      if (a.kind === 'ConditionCheck') {
        store.getItemDb(a.table.TableName).get(a.key, (error, old) => {
          if (error && error.name !== 'NotFoundError') return settle(error);
          const failed = host.db.checkConditional(a.request, old);
          settle(failed ?? null, { ConsumedCapacity: { CapacityUnits: 1 } });
        });
        return;
      }
      host.action(OP[a.kind])(store, { ...a.request, ReturnConsumedCapacity: 'TOTAL' }, settle);
    });

  const oldItem = (a: Prepared) =>
    new Promise<Item | undefined>((resolve) =>
      host.store.getItemDb(a.table.TableName).get(a.key, (_error, item) => resolve(item)),
    );

  return async function transactWriteItems(data: Record<string, unknown>): Promise<TxResult> {
    const prepared = await prepare(data);
    if (!Array.isArray(prepared)) return prepared;
    const token = data.ClientRequestToken as string | undefined;
    const digest = createHash('sha256')
      .update(JSON.stringify([data.TransactItems, data.ReturnConsumedCapacity ?? null]))
      .digest('hex');
    if (token !== undefined) {
      prune(now());
      const known = tokens.get(token);
      if (known && known.digest !== digest) {
        return {
          error: {
            status: 400,
            body: {
              __type: `${TYPE}IdempotentParameterMismatchException`,
              message:
                'Specified idempotency token has been used with different request parameters within its window',
            },
          },
        };
      }
      if (known) return { ok: {} };
      if (running.has(token)) {
        return {
          error: {
            status: 400,
            body: {
              __type: `${TYPE}TransactionInProgressException`,
              message: 'The transaction with the given request token is already in progress.',
            },
          },
        };
      }
      running.add(token);
    }
    const release = await lockAll(prepared);
    try {
      const unit = host.io.stagedUnit();
      const store = heldStore();
      // One action at a time, each started in the unit (its callbacks carry it; an await does not).
      const outcomes: Array<{ code: string; message?: string; units: number }> = [];
      for (const a of prepared) outcomes.push(await host.io.run(unit, () => run(store, a)));
      const internal = outcomes.find((o) => o.code === 'InternalError');
      if (internal) {
        host.io.discard(unit);
        return {
          error: { status: 500, body: { __type: `${TYPE}InternalServerError`, message: internal.message } },
        };
      }
      if (outcomes.some((o) => o.code !== 'None')) {
        host.io.discard(unit);
        const reasons = await Promise.all(
          outcomes.map(async (o, i) => {
            const a = prepared[i]!;
            if (o.code === 'None') return { Code: 'None' };
            const reason: Item = { Code: o.code, Message: o.message };
            if (o.code === 'ConditionalCheckFailed' && a.returnOld) {
              const item = await oldItem(a);
              if (item) reason.Item = item;
            }
            return reason;
          }),
        );
        return {
          error: {
            status: 400,
            body: {
              __type: `${TYPE}TransactionCanceledException`,
              CancellationReasons: reasons,
              Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
            },
          },
        };
      }
      await host.io.commit(unit);
      if (token !== undefined) tokens.set(token, { digest, until: now() + TOKEN_WINDOW_MS });
      const capacity = data.ReturnConsumedCapacity;
      if (capacity !== 'TOTAL' && capacity !== 'INDEXES') return { ok: {} };
      // A transactional write costs two write units per unit of a standard write.
      const perTable = new Map<string, number>();
      for (const [i, a] of prepared.entries()) {
        perTable.set(a.table.TableName, (perTable.get(a.table.TableName) ?? 0) + 2 * outcomes[i]!.units);
      }
      return {
        ok: {
          ConsumedCapacity: [...perTable].map(([TableName, CapacityUnits]) => ({
            TableName,
            CapacityUnits,
            WriteCapacityUnits: CapacityUnits,
          })),
        },
      };
    } finally {
      release();
      if (token !== undefined) running.delete(token);
    }
  };
}
