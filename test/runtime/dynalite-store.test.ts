import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// dynalite ships no types.
// @ts-expect-error -- untyped CommonJS module
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../../domain/metrics/traffic.ts';
import {
  type DynaliteStore,
  LEVEL_OPTIONS,
  type LevelOptions,
  openDynaliteStore,
} from '../../local/runtime/dynalite-store.ts';
import { readLevelDbTablesWithPread } from '../../local/runtime/leveldb-reads.ts';
import { table, withIndex } from '../support/store-tables.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'storeflow-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = (op: string) => `DynamoDB_20120810.${op}`;
const call = async (store: DynaliteStore, op: string, body: unknown) => {
  const r = await store.execute(T(op), JSON.stringify(body));
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
};
async function active(store: DynaliteStore, name: string) {
  for (;;) {
    const d = await call(store, 'DescribeTable', { TableName: name });
    if ((d.body.Table as { TableStatus?: string } | undefined)?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setImmediate(r));
  }
}

describe('the embedded store (dynalite driven in-process)', () => {
  it('answers what dynalite’s own HTTP server answers, byte for byte (request ids aside)', async () => {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const store = openDynaliteStore({});
    const viaHttp = async (op: string, body: string) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'x-amz-target': T(op),
          'content-type': 'application/x-amz-json-1.0',
          authorization: 'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=x',
          'x-amz-date': '20260101T000000Z',
        },
        body,
      });
      return {
        status: res.status,
        body: await res.text(),
        crc: res.headers.get('x-amz-crc32'),
        type: res.headers.get('content-type'),
      };
    };
    try {
      const requests: Array<[string, unknown]> = [
        ['CreateTable', table('same')],
        ['PutItem', { TableName: 'same', Item: { pk: { S: 'a' }, n: { N: '1' } } }],
        [
          'PutItem',
          {
            TableName: 'same',
            Item: { pk: { S: 'a' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        ],
        ['GetItem', { TableName: 'same', Key: { pk: { S: 'a' } } }],
        [
          'UpdateItem',
          {
            TableName: 'same',
            Key: { pk: { S: 'a' } },
            UpdateExpression: 'SET n = n + :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
            ReturnValues: 'ALL_NEW',
          },
        ],
        ['GetItem', { TableName: 'missing', Key: { pk: { S: 'a' } } }],
        ['PutItem', { TableName: 'same', Item: { other: { S: 'no key' } } }],
        ['BatchWriteItem', { RequestItems: { same: [{ PutRequest: { Item: { pk: { S: 'b' } } } }] } }],
        [
          'Query',
          {
            TableName: 'same',
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': { S: 'b' } },
          },
        ],
        ['NotAnOperation', {}],
      ];
      for (const [op, body] of requests) {
        const text = JSON.stringify(body);
        const http = await viaHttp(op, text);
        const local = await store.execute(T(op), text);
        if (op === 'CreateTable') {
          // creation dates differ between the two stores; the rest is the same
          expect(local.status).toBe(http.status);
          await active(store, 'same');
          for (;;) {
            const d = JSON.parse((await viaHttp('DescribeTable', '{"TableName":"same"}')).body);
            if (d.Table?.TableStatus === 'ACTIVE') break;
          }
          continue;
        }
        expect({ op, status: local.status, body: local.body }).toEqual({
          op,
          status: http.status,
          body: http.body,
        });
        expect(local.headers['x-amz-crc32']).toBe(http.crc);
        expect(local.headers['content-type']).toBe(http.type);
        expect(local.headers['x-amzn-requestid']).toMatch(/^[A-Z0-9]{52}$/);
      }
      expect(JSON.parse((await store.execute(T('GetItem'), 'not json')).body).__type).toBe(
        'com.amazon.coral.service#SerializationException',
      );
    } finally {
      await store.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('reads a table’s description once for item requests, and again after the table changes', async () => {
    const store = openDynaliteStore({});
    try {
      await call(store, 'CreateTable', table('tbl'));
      await active(store, 'tbl');
      const reads = store.stats.tableReads;
      for (let i = 0; i < 20; i++) {
        expect(
          (await call(store, 'PutItem', { TableName: 'tbl', Item: { pk: { S: `k${i}` } } })).status,
        ).toBe(200);
      }
      expect(store.stats.tableReads - reads).toBe(1);
      expect(store.stats.tableCacheHits).toBeGreaterThanOrEqual(19);

      // an updated table: its description is read again by the next item request
      const updated = await call(store, 'UpdateTable', {
        TableName: 'tbl',
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 7 },
      });
      expect(updated.status).toBe(200);
      await active(store, 'tbl');
      const before = store.stats.tableReads;
      expect((await call(store, 'PutItem', { TableName: 'tbl', Item: { pk: { S: 'x' } } })).status).toBe(200);
      expect((await call(store, 'PutItem', { TableName: 'tbl', Item: { pk: { S: 'y' } } })).status).toBe(200);
      expect(store.stats.tableReads - before).toBe(1);

      // deleted, then created again with another key: item requests follow
      expect((await call(store, 'DeleteTable', { TableName: 'tbl' })).status).toBe(200);
      for (;;) {
        const d = await call(store, 'DescribeTable', { TableName: 'tbl' });
        if (d.status === 400) break;
        await new Promise((r) => setImmediate(r));
      }
      const gone = await call(store, 'PutItem', { TableName: 'tbl', Item: { pk: { S: 'a' } } });
      expect(gone.body.__type).toBe('com.amazonaws.dynamodb.v20120810#ResourceNotFoundException');
      await call(store, 'CreateTable', table('tbl', 'id'));
      await active(store, 'tbl');
      const wrongKey = await call(store, 'PutItem', { TableName: 'tbl', Item: { pk: { S: 'a' } } });
      expect(wrongKey.status).toBe(400);
      expect((await call(store, 'PutItem', { TableName: 'tbl', Item: { id: { S: 'a' } } })).status).toBe(200);
    } finally {
      await store.close();
    }
  });

  it('reads LevelDB synchronously and applies concurrent writes in shared batches, in order', async () => {
    const store = openDynaliteStore({ path: join(dir, 'grouped') });
    try {
      await call(store, 'CreateTable', table('grp'));
      await active(store, 'grp');
      const before = { ...store.stats };
      // 40 conditional puts at once (two per key): one of each pair wins, and every answer is final
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          call(store, 'PutItem', {
            TableName: 'grp',
            Item: { pk: { S: `k${i % 20}` }, n: { N: String(i) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(20);
      expect(answers.filter((a) => a.status === 400)).toHaveLength(20);
      const writes = store.stats.writes - before.writes;
      expect(writes).toBe(20);
      expect(store.stats.writeBatches - before.writeBatches).toBeLessThan(writes);
      // what was acknowledged is what is read back, and an update sees the put before it
      for (let i = 0; i < 20; i++) {
        const won = answers.findIndex((a, j) => j % 20 === i && a.status === 200);
        const got = await call(store, 'GetItem', { TableName: 'grp', Key: { pk: { S: `k${i}` } } });
        expect(got.body.Item).toEqual({ pk: { S: `k${i}` }, n: { N: String(won) } });
      }
      const [put, updated] = await Promise.all([
        call(store, 'PutItem', { TableName: 'grp', Item: { pk: { S: 'seq' }, n: { N: '1' } } }),
        call(store, 'UpdateItem', {
          TableName: 'grp',
          Key: { pk: { S: 'seq' } },
          UpdateExpression: 'SET n = n + :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'ALL_NEW',
        }),
      ]);
      expect(put.status).toBe(200);
      expect(updated.body.Attributes).toEqual({ pk: { S: 'seq' }, n: { N: '2' } });
      expect(store.stats.reads).toBeGreaterThan(before.reads);
    } finally {
      await store.close();
    }
  });

  it('serializes UpdateItems on one item (the dedupe write): each id is told new exactly once', async () => {
    const store = openDynaliteStore({ path: join(dir, 'locks') });
    try {
      await call(store, 'CreateTable', withIndex('seen'));
      await active(store, 'seen');
      // 30 requests at once on one item, as the storefront's dedupe write sends them: each adds
      // three ids (overlapping its neighbours') and moves the item's index key; every waiter for
      // the item's lock makes its writes in its own call, and sees all that the calls before it made.
      const ids = (i: number) => [`h${i}`, `h${i + 1}`, `h${i + 2}`];
      const before = { ...store.stats };
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          call(store, 'UpdateItem', {
            TableName: 'seen',
            Key: { pk: { S: 'slot' } },
            UpdateExpression: 'ADD ids :ids SET g = :g',
            ExpressionAttributeValues: { ':ids': { SS: ids(i) }, ':g': { S: `g${i}` } },
            ReturnValues: 'UPDATED_OLD',
          }),
        ),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const told = new Map<string, number>();
      for (const [i, a] of answers.entries()) {
        const held = new Set((a.body.Attributes as { ids?: { SS: string[] } } | undefined)?.ids?.SS ?? []);
        for (const id of ids(i)) if (!held.has(id)) told.set(id, (told.get(id) ?? 0) + 1);
      }
      // h0 … h31: every id was new to exactly one request, never to two
      expect([...told.values()].every((n) => n === 1)).toBe(true);
      expect(told.size).toBe(32);
      const item = await call(store, 'GetItem', { TableName: 'seen', Key: { pk: { S: 'slot' } } });
      expect((item.body.Item as { ids: { SS: string[] } }).ids.SS).toHaveLength(32);
      // each call is its own unit: the item and its index entries (old one deleted, new one put)
      expect(store.stats.writes - before.writes).toBe(30 + 30 + 29);
      const last = (item.body.Item as { g: { S: string } }).g.S;
      const byG = await call(store, 'Query', {
        TableName: 'seen',
        IndexName: 'byG',
        KeyConditionExpression: 'g = :g',
        ExpressionAttributeValues: { ':g': { S: last } },
      });
      expect(byG.body.Count).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('keeps every write of every call in its unit, whatever hops and lock waits the call goes through', async () => {
    const store = openDynaliteStore({ path: join(dir, 'hops') });
    try {
      await call(store, 'CreateTable', withIndex('hopsA'));
      await call(store, 'CreateTable', withIndex('hopsB'));
      await active(store, 'hopsA');
      await active(store, 'hopsB');
      const before = { ...store.stats };
      // Seeded mix on 6 hot items of two tables: most calls wait for an item's lock (resumed from
      // another call's code), some read the table's description uncached (after an UpdateTable),
      // batches and transactions span both tables.
      const r = prng(64);
      const key = () => ({ pk: { S: `k${Math.floor(r() * 6)}` } });
      const tableName = () => (r() < 0.5 ? 'hopsA' : 'hopsB');
      const g = () => ({ S: `g${Math.floor(r() * 4)}` });
      const calls = Array.from({ length: 240 }, (_, i) => {
        const pick = r();
        if (pick < 0.25)
          return call(store, 'PutItem', {
            TableName: tableName(),
            Item: { ...key(), g: g(), n: { N: `${i}` } },
          });
        if (pick < 0.5) {
          return call(store, 'UpdateItem', {
            TableName: tableName(),
            Key: key(),
            UpdateExpression: 'SET g = :g ADD n :one',
            ExpressionAttributeValues: { ':g': g(), ':one': { N: '1' } },
          });
        }
        if (pick < 0.6) return call(store, 'DeleteItem', { TableName: tableName(), Key: key() });
        if (pick < 0.75) {
          return call(store, 'BatchWriteItem', {
            RequestItems: {
              hopsA: [
                { PutRequest: { Item: { pk: { S: `b${i}` }, g: g() } } },
                { PutRequest: { Item: { ...key(), g: g() } } },
              ],
              hopsB: [{ DeleteRequest: { Key: { pk: { S: `b${i - 1}` } } } }],
            },
          });
        }
        if (pick < 0.9) {
          return call(store, 'TransactWriteItems', {
            TransactItems: [
              { Put: { TableName: 'hopsA', Item: { pk: { S: `t${i}` }, g: g() } } },
              {
                Update: {
                  TableName: 'hopsB',
                  Key: { pk: { S: `t${i}` } },
                  UpdateExpression: 'SET g = :g',
                  ExpressionAttributeValues: { ':g': g() },
                },
              },
            ],
          });
        }
        if (pick < 0.93) {
          // a description written again: the next item calls read it uncached
          return call(store, 'UpdateTable', { TableName: tableName(), BillingMode: 'PAY_PER_REQUEST' });
        }
        return call(store, 'GetItem', { TableName: tableName(), Key: key(), ConsistentRead: true });
      });
      const answers = await Promise.all(calls);
      const failed = answers.filter((a) => a.status !== 200);
      // UpdateTable of an unchanged mode is refused by DynamoDB (and dynalite): the only 400s.
      expect(failed.every((a) => String(a.body.__type).endsWith('ValidationException'))).toBe(true);
      expect(answers.length - failed.length).toBeGreaterThan(200);
      expect(store.stats.writes - before.writes).toBeGreaterThan(400);
      expect(store.stats.writesOutsideUnits - before.writesOutsideUnits).toBe(0);
      // and what the units wrote is consistent: every item's index entry, and no other
      for (const name of ['hopsA', 'hopsB']) {
        const items = (await call(store, 'Scan', { TableName: name, ConsistentRead: true })).body
          .Items as Array<{
          pk: { S: string };
          g?: { S: string };
        }>;
        const entries = (await call(store, 'Scan', { TableName: name, IndexName: 'byG' })).body
          .Items as Array<{
          pk: { S: string };
          g: { S: string };
        }>;
        const expected = items.filter((i) => i.g).map((i) => `${i.pk.S}=${i.g!.S}`);
        expect(entries.map((e) => `${e.pk.S}=${e.g.S}`).sort()).toEqual(expected.sort());
      }
    } finally {
      await store.close();
    }
  });

  it('closes the LevelDB iterator of every range read: none stays open however many run', async () => {
    // dynalite 4.0.0's streams never closed theirs: each Query, Scan, ListTables left one attached
    // to the database, its prefetched entries on the heap (~5 KB a Query), until the store closed.
    const store = openDynaliteStore({ path: join(dir, 'iterators') });
    /** A few turns of the event loop for the closes dynalite's callback does not wait for. */
    const closed = async () => {
      for (let turn = 0; turn < 100 && store.stats.openIterators > 0; turn++) {
        await new Promise((r) => setImmediate(r));
      }
      return store.stats.openIterators;
    };
    try {
      await call(store, 'CreateTable', {
        TableName: 'rng',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byG',
            KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      });
      await active(store, 'rng');
      for (let i = 0; i < 30; i++) {
        const item = { pk: { S: `p${i % 3}` }, sk: { S: `s${String(i).padStart(3, '0')}` }, g: { S: 'all' } };
        expect((await call(store, 'PutItem', { TableName: 'rng', Item: item })).status).toBe(200);
      }
      const query = (limit?: number, index?: string) =>
        call(store, 'Query', {
          TableName: 'rng',
          ...(index ? { IndexName: index } : {}),
          KeyConditionExpression: index ? 'g = :v' : 'pk = :v',
          ExpressionAttributeValues: { ':v': { S: index ? 'all' : 'p1' } },
          ...(limit ? { Limit: limit } : {}),
        });
      let most = 0;
      for (let n = 0; n < 200; n++) {
        const r = await [
          () => query(1), // stopped at its Limit: the stream is destroyed early
          () => query(), // read to its end
          () => query(2, 'byG'),
          () => call(store, 'Scan', { TableName: 'rng', Limit: 5 }),
          () => call(store, 'ListTables', {}),
        ][n % 5]!();
        expect(r.status).toBe(200);
        most = Math.max(most, store.stats.openIterators);
      }
      expect((await query(1)).body.Items).toHaveLength(1);
      expect((await query()).body.Count).toBe(10);
      expect(await closed()).toBe(0);
      expect(most).toBeLessThanOrEqual(2);
    } finally {
      await store.close();
    }
  });

  it('applies each call’s writes as one batch: an item and its index entries together', async () => {
    const store = openDynaliteStore({ path: join(dir, 'unit') });
    try {
      await call(store, 'CreateTable', withIndex('unit'));
      await active(store, 'unit');
      await call(store, 'PutItem', { TableName: 'unit', Item: { pk: { S: 'a' }, g: { S: 'one' } } });
      const before = { ...store.stats };
      // Moving the item to another index key: the old entry deleted, the new one put, the item put.
      const moved = await call(store, 'UpdateItem', {
        TableName: 'unit',
        Key: { pk: { S: 'a' } },
        UpdateExpression: 'SET g = :g',
        ExpressionAttributeValues: { ':g': { S: 'two' } },
      });
      expect(moved.status).toBe(200);
      expect(store.stats.writes - before.writes).toBe(3);
      expect(store.stats.writeBatches - before.writeBatches).toBe(1);
      const byG = async (g: string) =>
        (
          await call(store, 'Query', {
            TableName: 'unit',
            IndexName: 'byG',
            KeyConditionExpression: 'g = :g',
            ExpressionAttributeValues: { ':g': { S: g } },
          })
        ).body.Items;
      expect(await byG('one')).toEqual([]);
      expect(await byG('two')).toEqual([{ pk: { S: 'a' }, g: { S: 'two' } }]);
    } finally {
      await store.close();
    }
  });

  it('never shows an index entry for a write it lost: kill -9 between any two batches, then reopen', async () => {
    const path = join(dir, 'crash');
    const acked = new Map<string, number>();
    // Killed right after a different LevelDB batch each round (consecutive counts, so the kill
    // falls after every kind of batch an update may make), the data directory reused throughout.
    for (let round = 0; round < 6; round++) {
      const worker = join(import.meta.dirname, 'store-crash-worker.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', worker, path, String(40 + round)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      const signal = await new Promise((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
      expect(signal, 'the writer killed itself at its crash point').toBe('SIGKILL');
      for (const line of out.split('\n')) {
        const [kind, key, n] = line.split(' ');
        if (kind === 'ack') acked.set(key!, Math.max(acked.get(key!) ?? 0, Number(n)));
      }

      const store = openDynaliteStore({ path });
      try {
        type Item = Record<string, { S?: string; N?: string }>;
        const items = (await call(store, 'Scan', { TableName: 'crash' })).body.Items as Item[];
        const indexed = (await call(store, 'Scan', { TableName: 'crash', IndexName: 'byG' })).body
          .Items as Item[];
        const key = (i: Item) => JSON.stringify([i.pk, i.g, i.n]);
        // The index is exactly the table: no entry for an update the table does not have, none missing.
        expect(indexed.map(key).sort(), `round ${round}`).toEqual(items.map(key).sort());
        // Every acknowledged update survived the kill.
        for (const item of items)
          expect(Number(item.n!.N)).toBeGreaterThanOrEqual(acked.get(item.pk!.S!) ?? 0);
      } finally {
        await store.close();
      }
    }
    expect(acked.size, 'every writer had updates acknowledged').toBe(8);
  }, 60_000);

  it('close() releases LevelDB: a second store opens the same directory right after', async () => {
    const path = join(dir, 'reopen');
    const first = openDynaliteStore({ path });
    await call(first, 'CreateTable', table('reo'));
    await active(first, 'reo');
    await call(first, 'PutItem', { TableName: 'reo', Item: { pk: { S: 'kept' } } });
    await first.close();
    const second = openDynaliteStore({ path });
    try {
      const got = await call(second, 'GetItem', { TableName: 'reo', Key: { pk: { S: 'kept' } } });
      expect(got.body.Item).toEqual({ pk: { S: 'kept' } });
      expect((await first.execute(T('ListTables'), '{}')).status).toBe(500);
    } finally {
      await second.close();
    }
  });

  it('opens LevelDB with 16 KiB blocks: the indexes a table keeps in memory shrink several-fold', async () => {
    expect(LEVEL_OPTIONS.blockSize).toBe(16 * 1024);
    /** The same 8,000 items (JSON that compresses, as the store's do), then the tables' index sizes. */
    const indexBytes = async (name: string, level?: LevelOptions) => {
      const path = join(dir, name);
      const store = openDynaliteStore({ path, ...(level ? { level } : {}) });
      const random = prng(61);
      try {
        await call(store, 'CreateTable', table('blocks'));
        await active(store, 'blocks');
        for (let b = 0; b < 320; b++) {
          const items = Array.from({ length: 25 }, (_, i) => {
            const n = b * 25 + i;
            const lines = Array.from({ length: 6 }, () => ({
              M: {
                sku: { S: `SKU-${Math.floor(random() * 5000)}` },
                quantity: { N: String(1 + Math.floor(random() * 9)) },
                priceFen: { N: String(Math.floor(random() * 1_000_000)) },
              },
            }));
            return {
              PutRequest: {
                Item: {
                  pk: { S: `ORDER#shop-${n % 40}.myshopify.com#${1_000_000 + n}` },
                  lines: { L: lines },
                },
              },
            };
          });
          const r = await call(store, 'BatchWriteItem', { RequestItems: { blocks: items } });
          expect(r.status).toBe(200);
        }
      } finally {
        await store.close();
      }
      // A table file ends in a 48-byte footer: the metaindex block's handle, then the index
      // block's (offset and size, varints).
      const varint = (b: Buffer, at: number): [number, number] => {
        let value = 0;
        for (let shift = 0; ; shift += 7) {
          const byte = b[at++]!;
          value += (byte & 0x7f) * 2 ** shift;
          if (byte < 0x80) return [value, at];
        }
      };
      const tables = readdirSync(path).filter((f) => f.endsWith('.ldb'));
      expect(tables.length).toBeGreaterThan(0);
      return tables.reduce((total, file) => {
        const content = readFileSync(join(path, file));
        const footer = content.subarray(content.length - 48);
        let at = varint(footer, varint(footer, 0)[1])[1];
        at = varint(footer, at)[1];
        return total + varint(footer, at)[0];
      }, 0);
    };
    const ours = await indexBytes('blocks-16k');
    const leveldbDefault = await indexBytes('blocks-4k', { blockSize: 4096 });
    expect(ours * 2.5).toBeLessThan(leveldbDefault);
  });

  // /proc/self/maps is Linux's; the setting itself applies wherever LevelDB's POSIX env runs.
  it.runIf(process.platform === 'linux')(
    'reads LevelDB’s table files with pread: none is mapped into the process, so none counts in its RSS',
    async () => {
      const path = join(dir, 'pread');
      const store = openDynaliteStore({ path });
      const random = prng(66);
      try {
        await call(store, 'CreateTable', table('reads'));
        await active(store, 'reads');
        // ~8 MB of items that barely compress: past LevelDB's 4 MiB write buffer, so tables are
        // written, opened (and, with mmap, mapped) and read back below.
        const noise = () =>
          Array.from({ length: 120 }, () => Math.floor(random() * 2 ** 32).toString(36)).join('');
        for (let b = 0; b < 400; b++) {
          const items = Array.from({ length: 25 }, (_, i) => ({
            PutRequest: { Item: { pk: { S: `K#${b * 25 + i}` }, v: { S: noise() } } },
          }));
          expect((await call(store, 'BatchWriteItem', { RequestItems: { reads: items } })).status).toBe(200);
        }
        for (let i = 0; i < 500; i++) {
          const key = `K#${Math.floor(random() * 10_000)}`;
          const got = await call(store, 'GetItem', { TableName: 'reads', Key: { pk: { S: key } } });
          expect((got.body.Item as { pk: { S: string } }).pk.S).toBe(key);
        }
        expect(readdirSync(path).filter((f) => f.endsWith('.ldb')).length).toBeGreaterThan(0);
        const mapped = readFileSync('/proc/self/maps', 'utf8')
          .split('\n')
          .filter((line) => line.includes(path));
        expect(mapped).toEqual([]);
        // set by the first store this process opened, and once for all
        expect(readLevelDbTablesWithPread()).toBe('pread');
      } finally {
        await store.close();
      }
    },
  );
});
