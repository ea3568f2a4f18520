import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

/**
 * dynalite's store and actions driven directly, in-process, without its HTTP server: one
 * DynamoDB JSON API call is `execute(target, body)`, validated and run exactly as dynalite's own
 * request handler does (same validations, same actions, same error bodies), minus what only HTTP
 * needs. dynalite is a dependency and stays unpatched; this module only composes its parts.
 *
 * Two things dynalite's server does not do:
 * - Table descriptions are cached. dynalite reads and JSON-decodes the table's description from
 *   LevelDB on every item request (`store.getTable`); here item requests (the 2-argument calls)
 *   are answered from memory. The cache is dropped for a table whenever its description is
 *   written or deleted (every table change goes through `tableDb.put` / `tableDb.del`), and
 *   table-level requests (the 3-argument calls: describe, update, delete, tags) always read the
 *   store, so they see and mutate their own copy.
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
 */
export interface DynamoResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface DynaliteStore {
  /** One DynamoDB API call: `target` is the X-Amz-Target header, `body` the JSON request text. */
  execute(target: string, body: string, contentType?: string): Promise<DynamoResponse>;
  /** `openIterators`: LevelDB iterators open now (0 once no request is running). */
  readonly stats: { tableReads: number; tableCacheHits: number; openIterators: number };
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
  getTable(name: string, checkStatus: unknown, cb?: Callback<unknown>): void;
  lifecycleManager?: { gracefulClose(cb: (error?: Error) => void): void };
  db: LevelDb;
}
/** What dynalite's Level (classic-level, or memory-level without a path) offers here. */
interface LevelIterator<T> {
  next(): Promise<T | undefined>;
  close(): Promise<void>;
}
interface LevelDb {
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
const db = require(`${dynaliteDir}db/index.js`) as { create(options: unknown): Store };
const validations = require(`${dynaliteDir}validations/index.js`) as {
  checkTypes(data: unknown, types: unknown): unknown;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: Store): void;
  toLowerFirst(s: string): string;
};

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

/** dynalite's request ids: 52 characters of upper-case base64. */
const requestId = () => randomBytes(39).toString('base64').toUpperCase().replace(/\+|\//g, '0');

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

export function openDynaliteStore(options: { path?: string }): DynaliteStore {
  const store = db.create({
    ...(options.path ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const stats = { tableReads: 0, tableCacheHits: 0, openIterators: 0 };

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
      queueMicrotask(() => done(null, cached));
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
  tableDb.put = (name, value, cb) => {
    invalidate(name);
    put(name, value, (error) => {
      invalidate(name);
      cb(error);
    });
  };
  tableDb.del = (name, cb) => {
    invalidate(name);
    del(name, (error) => {
      invalidate(name);
      cb(error);
    });
  };

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
      const op = operations.get(target.slice(dot + 1));
      if (dot < 0 || !API_VERSIONS.has(target.slice(0, dot)) || !op)
        return fail(400, 'com.amazon.coral.service#UnknownOperationException');
      if (!body) return fail(400, 'com.amazon.coral.service#SerializationException');
      try {
        data = validations.checkTypes(data, op.validation.types);
        validations.checkValidations(data, op.validation.types, op.validation.custom, store);
      } catch (error) {
        const e = error as { statusCode?: number; body?: unknown };
        if (e.statusCode) return Promise.resolve(reply(e.statusCode, e.body, type));
        return fail(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', String(error));
      }
      return new Promise<DynamoResponse>((resolve) => {
        try {
          op.action(store, data, (error, result) => {
            if (error?.statusCode) return resolve(reply(error.statusCode, error.body, type));
            if (error) {
              return resolve(
                reply(
                  500,
                  { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: error.message },
                  type,
                ),
              );
            }
            resolve(reply(200, result, type));
          });
        } catch (error) {
          resolve(
            reply(
              500,
              { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) },
              type,
            ),
          );
        }
      });
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => (error ? reject(error) : resolve());
        if (store.lifecycleManager) store.lifecycleManager.gracefulClose(done);
        else store.db.close(done);
      });
      return closed;
    },
  };
}
