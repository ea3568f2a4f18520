/**
 * Baselines the benchmarks measure in the same run as what they compare against them.
 */
import { join } from 'node:path';
import { openDynaliteStore } from '../local/runtime/dynalite-store.ts';

/** The embedded store's raw write rate: dynalite PutItem in-process, `concurrency` in flight. */
export async function storeBaseline(dir: string, seconds: number, concurrency = 20): Promise<number> {
  const store = openDynaliteStore({ path: join(dir, 'raw-store') });
  try {
    const created = await store.execute(
      'DynamoDB_20120810.CreateTable',
      JSON.stringify({
        TableName: 'raw',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    if (created.status !== 200) throw new Error(`raw store: ${created.body}`);
    for (;;) {
      const d = await store.execute('DynamoDB_20120810.DescribeTable', '{"TableName":"raw"}');
      if ((JSON.parse(d.body) as { Table?: { TableStatus?: string } }).Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    let n = 0;
    const end = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        while (performance.now() < end) {
          const i = n++;
          const r = await store.execute(
            'DynamoDB_20120810.PutItem',
            JSON.stringify({
              TableName: 'raw',
              Item: {
                pk: { S: `ORDER#${worker}-${i}` },
                sk: { S: 'DELIVERY' },
                body: { S: 'x'.repeat(200) },
                at: { N: String(Date.now()) },
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
          if (r.status !== 200) throw new Error(`raw store: ${r.body}`);
        }
      }),
    );
    return n / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}
