/**
 * A process that writes to the embedded store until it is killed (test/runtime/dynalite-store
 * test): it creates a table with a global secondary index, then updates items over and over,
 * each update moving the item to another index key, and prints `ack <key> <n>` after each
 * acknowledged update, until it kills itself with SIGKILL after a given number of LevelDB batches.
 */
import { createRequire } from 'node:module';
import { openDynaliteStore } from '../../local/runtime/dynalite-store.ts';
import { withIndex } from '../support/store-tables.ts';

const [path, crashAfter] = process.argv.slice(2) as [string, string];

// The crash point: SIGKILL right after LevelDB applied the `crashAfter`-th batch of writes to the
// items (counted once the table exists), before any more JavaScript runs — a kill at an exact
// point between two batches instead of wherever a timer lands.
const require = createRequire(import.meta.url);
const { ClassicLevel } = require(
  require.resolve('classic-level', { paths: [require.resolve('dynalite')] }),
) as {
  ClassicLevel: { prototype: { _batch(ops: unknown[], options: unknown): Promise<void> } };
};
let armed = false;
let batches = 0;
const applyBatch = ClassicLevel.prototype._batch;
ClassicLevel.prototype._batch = async function (ops, options) {
  await applyBatch.call(this, ops, options);
  if (armed && ++batches >= Number(crashAfter)) process.kill(process.pid, 'SIGKILL');
};
const store = openDynaliteStore({ path });
const call = (op: string, body: unknown) => store.execute(`DynamoDB_20120810.${op}`, JSON.stringify(body));

const created = await call('CreateTable', withIndex('crash'));
if (created.status !== 200 && !created.body.includes('ResourceInUseException')) throw new Error(created.body);
for (;;) {
  const d = await call('DescribeTable', { TableName: 'crash' });
  if (JSON.parse(d.body).Table?.TableStatus === 'ACTIVE') break;
  await new Promise((r) => setImmediate(r));
}
armed = true;
// Eight writers at once, each on its own item: every update moves the item to the next bucket.
await Promise.all(
  Array.from({ length: 8 }, async (_, w) => {
    for (let n = 1; ; n++) {
      const r = await call('UpdateItem', {
        TableName: 'crash',
        Key: { pk: { S: `item-${w}` } },
        UpdateExpression: 'SET g = :g, n = :n',
        ExpressionAttributeValues: { ':g': { S: `bucket-${n % 5}` }, ':n': { N: String(n) } },
      });
      if (r.status !== 200) throw new Error(r.body);
      process.stdout.write(`ack item-${w} ${n}\n`);
    }
  }),
);
