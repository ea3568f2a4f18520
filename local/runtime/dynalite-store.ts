import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { type DynaliteDb, type TxStore, transactWrites } from './dynalite-transactions.ts';
import { checkTypes } from './dynalite-types.ts';
import { cacheParses, type Parser } from './expression-cache.ts';
import { readLevelDbTablesWithPread } from './leveldb-reads.ts';

/**
 * dynalite's store and actions driven directly, in-process, without its HTTP server: one
 * DynamoDB JSON API call is `execute(target, body)`, validated and run exactly as dynalite's own
 * request handler does (same validations, same actions, same error bodies), minus what only HTTP
 * needs. dynalite is a dependency and stays unpatched; this module only composes its parts.
 *
 * What dynalite's server does not do:
 * - `TransactWriteItems` (dynalite-transactions.ts): dynalite's own actions under item locks held
 *   for the whole transaction, its writes staged in a unit no read sees until all succeeded.
 * - Table descriptions are cached. dynalite reads and JSON-decodes the table's description from
 *   LevelDB on every item request (`store.getTable`); here item requests (the 2-argument calls)
 *   are answered from memory. The cache is dropped for a table whenever its description is
 *   written or deleted (every table change goes through `tableDb.put` / `tableDb.del`), and
 *   table-level requests (the 3-argument calls: describe, update, delete, tags) always read the
 *   store, so they see and mutate their own copy.
 * - Expressions are parsed once (expression-cache.ts): dynalite's PEG parsers ran on every
 *   request for the same few expressions.
 * - `close()` closes LevelDB. dynalite's `server.close()` never reaches its store when the
 *   server was not listening (Node's close callback gets ERR_SERVER_NOT_RUNNING first), which
 *   left the database open and locked.
 * - Range reads close their LevelDB iterator. dynalite 4.0.0 turns `db.values()` / `db.keys()`
 *   into streams whose `destroy` calls `iterator.return()`, which abstract-level iterators do not
 *   have, and never closes them at their end either: every Query, Scan, ListTables and
 *   ListTagsOfResource left an open iterator attached to the database (its prefetched entries on
 *   the heap, its native iterator and snapshot outside it) until the store closed, about 5 KB of
 *   heap per Query. The streams here close the iterator at its end or when destroyed (dynalite
 *   destroys them once a Query has its Limit).
 * - LevelDB's tables are written in blocks of 16 KiB, not 4 KiB (`LEVEL_OPTIONS`): the index
 *   blocks LevelDB keeps in memory for every open table are a quarter of the size.
 * - LevelDB reads its table files with `pread` instead of mapping them (leveldb-reads.ts): the
 *   pages a read touches stay in the kernel's page cache, not in the runtime's RSS.
 */
export interface DynamoResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface DynaliteStore {
  /** One DynamoDB API call: `target` is the X-Amz-Target header, `body` the JSON request text. */
  execute(target: string, body: string, contentType?: string): Promise<DynamoResponse>;
  readonly stats: {
    tableReads: number;
    tableCacheHits: number;
    /** item and table reads, answered synchronously from LevelDB (or a write not yet applied) */
    reads: number;
    /** puts and deletes, and the LevelDB batches that applied them */
    writes: number;
    writeBatches: number;
    /** item and index writes made while no API call's unit was current: a hop that lost it */
    writesOutsideUnits: number;
    /** LevelDB iterators open now (0 once no request is running) */
    openIterators: number;
  };
  close(): Promise<void>;
}

type Callback<T> = (error: (Error & { statusCode?: number; body?: unknown }) | null, value?: T) => void;
interface TableDb {
  get(name: string, cb: Callback<unknown>): void;
  put(name: string, value: unknown, cb: Callback<void>): void;
  del(name: string, cb: Callback<void>): void;
}
interface Store {
  tableDb: TableDb;
  getItemDb(name: string): object;
  getIndexDb(type: string, table: string, index: string): object;
  getTagDb(name: string): object;
  getTable(name: string, checkStatus: unknown, cb?: Callback<unknown>): void;
  lifecycleManager?: { gracefulClose(cb: (error?: Error) => void): void };
  db: LevelDb;
}
type WriteOp =
  | { type: 'put'; key: string; value: unknown; valueEncoding?: 'utf8' }
  | { type: 'del'; key: string };
/** What dynalite's Level (classic-level, or memory-level without a path) offers here. */
interface LevelIterator<T> {
  next(): Promise<T | undefined>;
  close(): Promise<void>;
}
/** The database under dynalite's stores, with dynalite's callback wrappers (and level's getSync). */
interface LevelDb {
  status: string;
  get(key: string, cb: Callback<unknown>): void;
  getSync?(key: string): unknown;
  put(key: string, value: unknown, cb: Callback<void>): void;
  del(key: string, cb: Callback<void>): void;
  batch(ops: WriteOp[], cb: Callback<void>): void;
  close(cb: (error?: Error) => void): void;
  keys(options?: unknown): LevelIterator<unknown>;
  values(options?: unknown): LevelIterator<unknown>;
  createKeyStream(options?: unknown): Readable;
  createValueStream(options?: unknown): Readable;
  attachResource(resource: object): void;
  detachResource(resource: object): void;
}
type Action = (store: Store, data: unknown, cb: Callback<unknown>) => void;
interface Validation {
  types: unknown;
  custom?: unknown;
}

const require = createRequire(import.meta.url);
const dynaliteDir = require.resolve('dynalite').replace(/index\.js$/, '');

/** LevelDB's options for the store's database: classic-level's names. */
export interface LevelOptions {
  /** Bytes of uncompressed data a table block holds (LevelDB's default 4,096). */
  readonly blockSize?: number;
}

/**
 * How the store's LevelDB is opened (decision 61): blocks of 16 KiB instead of LevelDB's 4 KiB.
 *
 * LevelDB keeps the index block of every table in its table cache (up to `maxOpenFiles`, 1,000)
 * in memory, decompressed: one entry a data block. The store's items are JSON that snappy
 * compresses several-fold, so a table file of 2 MiB held thousands of 4 KiB blocks and an index
 * of ~200 KB. After 20,000 webhook deliveries, 83 tables held 16 MiB of index blocks (2.8 MiB at
 * 5,000): the largest part of the runtime's growth in memory. Blocks four times bigger make the
 * indexes a quarter of that; a point read then decompresses 16 KiB instead of 4.
 */
export const LEVEL_OPTIONS: LevelOptions = { blockSize: 16 * 1024 };

const db = require(`${dynaliteDir}db/index.js`) as { create(options: unknown): Store } & DynaliteDb;
const validations = require(`${dynaliteDir}validations/index.js`) as {
  checkValidations(data: unknown, types: unknown, custom: unknown, store: Store): void;
  toLowerFirst(s: string): string;
};

// Expressions are parsed once per expression, names and value types, not on every request.
for (const parser of ['conditionParser', 'updateParser', 'projectionParser']) {
  cacheParses(require(`${dynaliteDir}db/${parser}.js`) as Parser);
}

const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
] as const;
const BOUND = Symbol('lock bound to its caller');
const API_VERSIONS = new Set(['DynamoDB_20111205', 'DynamoDB_20120810']);
const operations = new Map<string, { action: Action; validation: Validation }>();
for (const op of OPERATIONS) {
  const name = validations.toLowerFirst(op);
  operations.set(op, {
    action: require(`${dynaliteDir}actions/${name}.js`) as Action,
    validation: require(`${dynaliteDir}validations/${name}.js`) as Validation,
  });
}

/**
 * A LevelDB iterator as the object stream dynalite reads (what its own `createValueStream` is,
 * minus the leak): the iterator is closed at its end, on an error, or when the stream is
 * destroyed, whichever comes first (abstract-level defers a close until a pending `next()` ends).
 */
function iteratorStream(iterator: LevelIterator<unknown>): Readable {
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= iterator.close().catch(() => {});
    return closing;
  };
  return new Readable({
    objectMode: true,
    read() {
      iterator.next().then(
        (value) => {
          if (value === undefined) {
            void close();
            this.push(null);
          } else {
            this.push(value);
          }
        },
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      void close().then(() => callback(error));
    },
  });
}

/**
 * Request ids shaped as dynalite's (52 characters of [A-Z0-9]), unique per process: a random
 * prefix drawn once and a counter. dynalite draws 39 random bytes per response, a system call
 * that was ~6% of the main thread's time per in-process call; nothing reads the id but logs.
 */
const REQUEST_ID_PREFIX = randomBytes(30).toString('base64').toUpperCase().replace(/\+|\//g, '0');
let requestCount = 0;
const requestId = () =>
  REQUEST_ID_PREFIX + (requestCount++).toString(36).toUpperCase().padStart(12, '0').slice(-12);

const reply = (status: number, data: unknown, contentType: string): DynamoResponse => {
  const body = JSON.stringify(data);
  return {
    status,
    body,
    headers: {
      'x-amzn-requestid': requestId(),
      'x-amz-crc32': String(crc32(body)),
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
    },
  };
};

export function openDynaliteStore(options: {
  path?: string;
  /** The clock of transactions' idempotency window (tests advance it). */
  now?: () => number;
  /** LevelDB's options over `LEVEL_OPTIONS` (tests compare them). */
  level?: LevelOptions;
}): DynaliteStore {
  // Before any LevelDB opens in this process: its table files are read, not mapped (decision 66).
  if (options.path) readLevelDbTablesWithPread();
  const store = db.create({
    ...(options.path ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  if (options.path) {
    // dynalite constructs its database as `new Level(path, { valueEncoding: 'json' })`, with
    // LevelDB's defaults, and abstract-level opens it on the next tick: its `_open` gets the options.
    const level = store.db as LevelDb & { _open(options: object): Promise<void> };
    const open = level._open;
    const levelOptions = { ...LEVEL_OPTIONS, ...options.level };
    level._open = (openOptions) => open.call(level, { ...openOptions, ...levelOptions });
  }
  const stats = {
    tableReads: 0,
    tableCacheHits: 0,
    reads: 0,
    writes: 0,
    writeBatches: 0,
    writesOutsideUnits: 0,
    openIterators: 0,
  };
  const io = groupStoreIo(store.db, stats);
  // A waiter for an item's lock runs in its own call's context, not in the releasing call's.
  const bindLocks = <T extends { lock?: (key: unknown, exec: (...args: unknown[]) => void) => unknown }>(
    sub: T,
  ): T => {
    const lock = sub.lock;
    if (lock && !(lock as { [BOUND]?: true })[BOUND]) {
      // (lock calls a waiter later, from the releasing call's setImmediate: it gets its own unit)
      const bound = (key: unknown, exec: (...args: unknown[]) => void) =>
        lock.call(sub, key, io.bind(exec, true));
      (bound as { [BOUND]?: true })[BOUND] = true;
      sub.lock = bound;
    }
    return sub;
  };
  for (const name of ['getItemDb', 'getIndexDb', 'getTagDb'] as const) {
    const get = store[name].bind(store) as (...args: unknown[]) => object;
    store[name] = ((...args: unknown[]) => bindLocks(get(...args))) as never;
  }
  bindLocks(store.tableDb as never);

  // --- range reads that close their iterators (see above) ---------------------------------------
  const level = store.db;
  level.createValueStream = (options) => iteratorStream(level.values(options));
  level.createKeyStream = (options) => iteratorStream(level.keys(options));
  // Counted where abstract-level itself tracks them, whoever opened them.
  const attach = level.attachResource.bind(level);
  const detach = level.detachResource.bind(level);
  const iterators = new WeakSet<object>();
  level.attachResource = (resource) => {
    attach(resource);
    if (typeof (resource as { next?: unknown }).next === 'function' && !iterators.has(resource)) {
      iterators.add(resource);
      stats.openIterators++;
    }
  };
  level.detachResource = (resource) => {
    detach(resource);
    if (iterators.delete(resource)) stats.openIterators--;
  };

  // --- the table-description cache ------------------------------------------------------------
  const cache = new Map<string, unknown>();
  const { tableDb } = store;
  const put = tableDb.put.bind(tableDb);
  const del = tableDb.del.bind(tableDb);
  let readGeneration = 0;
  const pendingReads = new Map<string, number>();
  const getTable = store.getTable.bind(store);
  store.getTable = (name, checkStatus, cb) => {
    // Item requests call getTable(name, cb): the callback doubles as a truthy checkStatus.
    if (cb !== undefined || typeof checkStatus !== 'function') {
      stats.tableReads++;
      return getTable(name, checkStatus, cb);
    }
    const done = checkStatus as Callback<unknown>;
    const cached = cache.get(name);
    if (cached !== undefined) {
      stats.tableCacheHits++;
      const answer = io.bind(done);
      queueMicrotask(() => answer(null, cached));
      return;
    }
    stats.tableReads++;
    // A write racing this read invalidates the key; only a read no write overtook is cached.
    const generation = ++readGeneration;
    pendingReads.set(name, generation);
    getTable(name, (error: Parameters<Callback<unknown>>[0], table?: unknown) => {
      const status = (table as { TableStatus?: string } | undefined)?.TableStatus;
      if (!error && pendingReads.get(name) === generation && (status === 'ACTIVE' || status === 'UPDATING')) {
        cache.set(name, table);
      }
      if (pendingReads.get(name) === generation) pendingReads.delete(name);
      done(error, table);
    });
  };
  const invalidate = (name: string) => {
    cache.delete(name);
    pendingReads.delete(name);
  };
  // A write queued by groupStoreIo is what every later read sees, so a read after it may be cached
  // at once; a write made any other way (while the database opens) is visible once applied.
  tableDb.put = (name, value, cb) => {
    const queued = store.db.status === 'open';
    invalidate(name);
    put(name, value, (error) => {
      if (!queued || error) invalidate(name);
      cb(error);
    });
  };
  tableDb.del = (name, cb) => {
    const queued = store.db.status === 'open';
    invalidate(name);
    del(name, (error) => {
      if (!queued || error) invalidate(name);
      cb(error);
    });
  };

  const transactWriteItems = transactWrites(
    {
      store: store as unknown as TxStore,
      db,
      validate(op, data) {
        const { validation } = operations.get(op)!;
        const checked = checkTypes(data as Record<string, unknown>, validation.types as never);
        validations.checkValidations(checked, validation.types, validation.custom, store);
        return checked as Record<string, unknown>;
      },
      action: (op) => operations.get(op)!.action as never,
      io: io as never,
    },
    options.now,
  );

  let closed: Promise<void> | undefined;
  return {
    stats,
    execute(target, body, contentType = 'application/x-amz-json-1.0') {
      const type = contentType === 'application/x-amz-json-1.0' ? contentType : 'application/json';
      const fail = (status: number, type_: string, message?: string) =>
        Promise.resolve(reply(status, { __type: type_, ...(message ? { message } : {}) }, type));
      if (closed) return fail(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'closed');
      let data: unknown;
      if (body) {
        try {
          data = JSON.parse(body);
        } catch {
          return fail(400, 'com.amazon.coral.service#SerializationException');
        }
      }
      const dot = target.indexOf('.');
      if (
        dot >= 0 &&
        target.slice(dot + 1) === 'TransactWriteItems' &&
        API_VERSIONS.has(target.slice(0, dot))
      ) {
        if (!data || typeof data !== 'object' || Array.isArray(data)) {
          return fail(400, 'com.amazon.coral.service#SerializationException');
        }
        return transactWriteItems(data as Record<string, unknown>).then(
          (result) =>
            'ok' in result
              ? reply(200, result.ok, type)
              : reply(result.error.status, result.error.body, type),
          (error: unknown) =>
            reply(
              500,
              { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) },
              type,
            ),
        );
      }
      const op = operations.get(target.slice(dot + 1));
      if (dot < 0 || !API_VERSIONS.has(target.slice(0, dot)) || !op)
        return fail(400, 'com.amazon.coral.service#UnknownOperationException');
      if (!body) return fail(400, 'com.amazon.coral.service#SerializationException');
      try {
        data = checkTypes(data as Record<string, unknown>, op.validation.types as never);
        validations.checkValidations(data, op.validation.types, op.validation.custom, store);
      } catch (error) {
        const e = error as { statusCode?: number; body?: unknown };
        if (e.statusCode) return Promise.resolve(reply(e.statusCode, e.body, type));
        return fail(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', String(error));
      }
      return new Promise<DynamoResponse>((resolve) => {
        // Whatever the call wrote is applied as one LevelDB batch before it is answered.
        const unit = io.unit();
        const answer = (response: DynamoResponse) =>
          io.commit(unit).then(
            () => resolve(response),
            (error: unknown) =>
              resolve(
                reply(
                  500,
                  { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) },
                  type,
                ),
              ),
          );
        io.run(unit, () => {
          try {
            op.action(store, data, (error, result) => {
              if (error?.statusCode) return answer(reply(error.statusCode, error.body, type));
              if (error) {
                return answer(
                  reply(
                    500,
                    {
                      __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
                      message: error.message,
                    },
                    type,
                  ),
                );
              }
              answer(reply(200, result, type));
            });
          } catch (error) {
            answer(
              reply(
                500,
                { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) },
                type,
              ),
            );
          }
        });
      });
    },
    close() {
      closed ??= io.flush().then(
        () =>
          new Promise<void>((resolve, reject) => {
            const done = (error?: Error) => (error ? reject(error) : resolve());
            if (store.lifecycleManager) store.lifecycleManager.gracefulClose(done);
            else store.db.close(done);
          }),
      );
      return closed;
    },
  };
}

/**
 * LevelDB I/O without a thread hop per key. dynalite reads and writes one key at a time through
 * level's promise API: each `get` and each `put` is a task on libuv's thread pool and a wake-up of
 * the main thread when it completes, so a conditional PutItem cost four context switches before
 * any answer. Here:
 * - reads are `getSync` (LevelDB's memtable and block cache answer in microseconds; a key whose
 *   write is still queued is answered with that write, so a read never goes back in time);
 * - writes (puts, deletes, dynalite's own batches) queue and are applied as one LevelDB batch per
 *   turn of the event loop, one batch in flight at a time and in the order they were made; each
 *   caller's callback runs once its write is applied, so nothing is acknowledged before LevelDB has
 *   it, as before;
 * - one API call is one unit (`run`/`commit`): the writes dynalite makes for it (an item's index
 *   entries, then the item; every item of a BatchWriteItem) are acknowledged to dynalite at once,
 *   seen by every later read, and applied together as one LevelDB batch, which the call's answer
 *   waits for. dynalite writes an item's index entries and the item one after the other, so
 *   without units a kill -9 between them left a GSI entry for a write that never happened (a
 *   Query then saw an update the table did not have), which DynamoDB never shows.
 * Callbacks stay asynchronous (`setImmediate`), as dynalite's wrappers made them.
 *
 * The current unit is carried by hand (`bind`), not by `AsyncLocalStorage`: on Node 20 that turns
 * on promise hooks for every promise of the main thread (the main thread's CPU an ack went 1.81–1.87
 * → 1.74–1.76 ms without them, decision 64). An action's code moves on only through the hops made
 * here (a read's and a write's callback, the table cache's answer, an item lock's waiter), and
 * each of them runs its callback in the unit that was current when it was scheduled. A write that
 * finds no unit is counted (`writesOutsideUnits`), so a hop that loses it shows in the tests.
 */
interface WriteUnit {
  readonly ops: WriteOp[];
  sealed: boolean;
  /** A transaction's: its writes are seen by no read until it commits (none if it is discarded). */
  readonly staged?: boolean;
}

/** dynalite's key prefix of table descriptions (its `table` sub-database). */
const TABLE_PREFIX = 'table~';

function groupStoreIo(
  level: LevelDb,
  stats: { reads: number; writes: number; writeBatches: number; writesOutsideUnits: number },
) {
  /** The unit of the API call whose code is running now (set by `run` and by bound callbacks). */
  let current: WriteUnit | undefined;
  const within = <A extends unknown[], R>(unit: WriteUnit | undefined, fn: (...args: A) => R, args: A): R => {
    const outer = current;
    current = unit;
    try {
      return fn(...args);
    } finally {
      current = outer;
    }
  };
  /**
   * `fn`, to be called later, running in the unit current now. A callback the event loop calls
   * (setImmediate, a microtask) starts with no unit anyway, so without a unit it is left as is,
   * unless `always` (a lock's waiter is called from another call's code).
   */
  const bind = <A extends unknown[]>(fn: (...args: A) => void, always = false): ((...args: A) => void) => {
    const unit = current;
    return unit === undefined && !always ? fn : (...args: A) => within(unit, fn, args);
  };
  const asyncGet = level.get.bind(level);
  const batch = level.batch.bind(level);
  /** The newest queued or in-flight write per key (JSON text for a put, null for a delete). */
  const latest = new Map<string, { op: WriteOp; text: string | null }>();
  let queue: Array<{ ops: WriteOp[]; cb: Callback<void> }> = [];
  let scheduled = false;
  let inFlight: Promise<void> | undefined;

  const flush = () => {
    scheduled = false;
    if (inFlight || queue.length === 0) return;
    const taken = queue;
    queue = [];
    const ops = taken.flatMap((w) => w.ops);
    stats.writeBatches++;
    inFlight = new Promise<void>((resolve) => {
      batch(ops, (error) => {
        for (const op of ops) if (latest.get(op.key)?.op === op) latest.delete(op.key);
        for (const w of taken) w.cb(error ?? null);
        inFlight = undefined;
        resolve();
        if (queue.length > 0) schedule();
      });
    });
  };
  const schedule = () => {
    if (scheduled || inFlight) return;
    scheduled = true;
    setImmediate(flush);
  };
  const publish = (ops: readonly WriteOp[]) => {
    for (const op of ops) latest.set(op.key, { op, text: op.type === 'put' ? (op.value as string) : null });
  };
  const write = (writes: WriteOp[], cb: Callback<void>) => {
    stats.writes += writes.length;
    // Encoded now, as level's put does: what is stored is the value at the time of the call.
    const ops = writes.map((w): WriteOp => {
      if (w.type !== 'put' || w.valueEncoding === 'utf8') return w;
      return { type: 'put', key: w.key, value: JSON.stringify(w.value), valueEncoding: 'utf8' };
    });
    const unit = current;
    if (unit && !unit.sealed) {
      unit.ops.push(...ops);
      if (!unit.staged) publish(ops);
      setImmediate(bind(cb), null);
      return;
    }
    // A table's description may change outside any call (a table turning ACTIVE after a delay).
    for (const op of ops) if (!op.key.startsWith(TABLE_PREFIX)) stats.writesOutsideUnits++;
    publish(ops);
    queue.push({ ops, cb });
    schedule();
  };

  // level calls these methods itself too (an operation deferred while the database opens is
  // replayed through `this.get(key, options)`): anything but a callback call goes to the original.
  const asyncPut = level.put.bind(level);
  const asyncDel = level.del.bind(level);
  const direct = (cb: unknown) => typeof cb !== 'function' || level.status !== 'open';
  level.get = (key, cb) => {
    if (direct(cb) || typeof level.getSync !== 'function') return asyncGet(key, cb);
    stats.reads++;
    const queued = latest.get(key);
    let value: unknown;
    try {
      // A queued write is the newest value: a copy of it, as LevelDB would decode it.
      value = queued ? (queued.text === null ? undefined : JSON.parse(queued.text)) : level.getSync(key);
    } catch (error) {
      const e = error as Error & { code?: string };
      setImmediate(bind(cb), e.code === 'LEVEL_DATABASE_NOT_OPEN' ? new Error('Database is closed') : e);
      return;
    }
    setImmediate(bind(cb), null, value);
  };
  level.put = (key, value, cb) =>
    direct(cb) ? asyncPut(key, value, cb) : write([{ type: 'put', key, value }], cb);
  level.del = (key, cb) => (direct(cb) ? asyncDel(key, cb) : write([{ type: 'del', key }], cb));
  level.batch = (ops, cb) => (direct(cb) ? batch(ops, cb) : write(ops, cb));

  return {
    /** A unit for one API call. */
    unit: (): WriteUnit => ({ ops: [], sealed: false }),
    /** A transaction's unit: its writes stay invisible until `commit`, and vanish on `discard`. */
    stagedUnit: (): WriteUnit => ({ ops: [], sealed: false, staged: true }),
    /** Runs `fn` (an API call) in `unit`: its writes and those of its callbacks go to the unit. */
    run: <R>(unit: WriteUnit, fn: () => R): R => within(unit, fn, []),
    bind,
    /** Applies the unit's writes as one batch (in order with every other write). */
    commit(unit: WriteUnit): Promise<void> {
      unit.sealed = true;
      if (unit.ops.length === 0) return Promise.resolve();
      if (unit.staged) publish(unit.ops);
      return new Promise<void>((resolve, reject) => {
        queue.push({ ops: unit.ops, cb: (error) => (error ? reject(error) : resolve()) });
        schedule();
      });
    },
    /** Drops a staged unit's writes: nothing of it is seen or applied. */
    discard(unit: WriteUnit): void {
      unit.sealed = true;
      unit.ops.length = 0;
    },
    /** Applies every queued write (before closing). */
    async flush() {
      for (;;) {
        if (inFlight) await inFlight;
        else if (queue.length > 0) flush();
        else return;
      }
    },
  };
}
