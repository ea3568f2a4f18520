/**
 * The members' nightly re-evaluation (issue #18) on the local runtime with the real app and the
 * virtual clock: 100,000 customers (BENCH_CUSTOMERS), a tenth of them members whose oldest order
 * leaves the 12-month window tonight (a downgrade each, with its event), the rest members whose
 * window still holds; then the clock advanced to 03:00 store time and the run
 * `members-nightly-<date>` timed from the advance until SUCCEEDED (Step Functions API on the
 * runtime). Beside it, in the same run: the embedded store's raw PutItem rate (20 in flight).
 *
 * Seeding is not measured: member records are written straight to the runtime's DynamoDB endpoint
 * with the keys members-store.ts uses.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchPut } from '../adapters/dynamodb/batch.ts';
import { keys } from '../adapters/dynamodb/schema.ts';
import { bucketOf, emptyMember } from '../domain/members/members.ts';
import type { MemberRecord } from '../domain/members/store.ts';
import { synthesize } from '../lib/synth.ts';
import { PROJECT_ROOT, prepareAssembly } from '../local/runtime/build.ts';
import { startRuntime } from '../local/runtime/runtime.ts';
import { storeBaseline } from './baselines.ts';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
/** The run's start: 02:50 on 3 December 2026 store time (Shanghai); the run is due at 03:00. */
const START = '2026-12-02T18:50:00.000Z';
const RUN_AT = Date.parse('2026-12-02T19:00:00.000Z');
const DATE = '2026-12-03';

function member(i: number): MemberRecord & Record<string, unknown> {
  const customerId = `bench-${i}`;
  const leaving = i % 10 === 0;
  // Twelve orders: the oldest (a big one) paid 12 months and a day ago for a tenth of them.
  const oldest = leaving ? Date.parse('2025-12-01T12:00:00.000Z') : Date.parse('2026-06-01T12:00:00.000Z');
  const orders = Array.from({ length: 12 }, (_, k) => ({
    orderId: `bo-${i}-${k}`,
    paidAt: new Date(k === 0 ? oldest : Date.parse('2026-10-01T00:00:00Z') + k * 86_400_000).toISOString(),
    paid: k === 0 ? 2_000_000 : 50_000,
    refunded: 0,
    currency: 'CNY',
    refunds: [],
  }));
  return {
    ...emptyMember(customerId),
    ...keys.member(customerId),
    ...keys.memberIndex(bucketOf(customerId), customerId),
    entity: 'Member',
    tier: 'diamond',
    tierSince: '2026-10-13T00:00:00.000Z',
    orders,
    firstPaidOrder: { orderId: orders[0]!.orderId, paidAt: orders[0]!.paidAt },
    version: 1,
  };
}

export async function run(): Promise<{ ok: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'storeflow-bench-members-'));
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache', 'storeflow-bench');
  mkdirSync(cache, { recursive: true });
  const assembly = join(cache, 'app.out');
  await prepareAssembly(assembly, { stage: 'dev' }, (outdir, context) => {
    synthesize(outdir, context);
  });
  const dataDir = join(work, 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'clock.json'), JSON.stringify({ now: START }));
  let failures = 0;
  const runtime = await startRuntime({
    assemblyDir: assembly,
    dataDir,
    port: 0,
    clock: 'virtual',
    log: (line) => {
      if (/ failed: | logged: /.test(line) && ++failures <= 5)
        console.log(`  runtime: ${line.slice(0, 300)}`);
    },
  });
  const endpoint = {
    endpoint: runtime.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const dynamo = new DynamoDBClient(endpoint);
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const sfn = new SFNClient(endpoint);
  try {
    const { TableNames = [] } = await dynamo.send(new ListTablesCommand({}));
    const tableName = TableNames[0]!;
    const seedStart = performance.now();
    const CHUNK = 2_500;
    const chunks = Array.from({ length: Math.ceil(CUSTOMERS / CHUNK) }, (_, c) => c * CHUNK);
    // Four chunks in flight (each four batches): seeding is not what is measured.
    for (let c = 0; c < chunks.length; c += 4) {
      await Promise.all(
        chunks.slice(c, c + 4).map((from) =>
          batchPut(
            doc,
            tableName,
            Array.from({ length: Math.min(CHUNK, CUSTOMERS - from) }, (_, k) => member(from + k)),
          ),
        ),
      );
    }
    // The buckets in use, as the members store marks them when it writes a new customer.
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.memberBuckets(),
          entity: 'MemberBuckets',
          buckets: new Set(Array.from({ length: 64 }, (_, b) => b)),
        },
      }),
    );
    console.log(
      `seeded ${CUSTOMERS} member records in ${((performance.now() - seedStart) / 1000).toFixed(1)} s (not measured)`,
    );

    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    const machine = stateMachines.find((m) => /MembersNightly|Nightly/i.test(m.name ?? ''))?.stateMachineArn;
    if (!machine) throw new Error('no members nightly state machine in the app');
    const arn = `${machine.replace(':stateMachine:', ':execution:')}:members-nightly-${DATE}`;

    // To 02:59 first (nothing of the members' is due), then past 03:00: the measured advance.
    const advance = (seconds: number) =>
      fetch(`${runtime.url}/_local/clock/advance`, { method: 'POST', body: JSON.stringify({ seconds }) });
    await (await advance((RUN_AT - Date.parse(START)) / 1000 - 60)).arrayBuffer();
    const started = performance.now();
    // The advance answers once the clock's work is done; the run is polled instead (a long run
    // outlasts fetch's 300 s header timeout, which is not a failure of the run).
    const advancing = advance(120).then(
      (res) => res.arrayBuffer(),
      () => undefined,
    );
    let status = 'NONE';
    let polls = 0;
    while (status === 'NONE' || status === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 250));
      if (++polls % 120 === 0)
        console.log(`  … ${((performance.now() - started) / 1000).toFixed(0)} s, ${status}`);
      try {
        status = (await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status ?? 'NONE';
      } catch (error) {
        if ((error as { name?: string }).name !== 'ExecutionDoesNotExist') throw error;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    await advancing;
    const perSecond = CUSTOMERS / seconds;
    const raw = await storeBaseline(work, 5);
    console.log(
      `nightly re-evaluation of ${CUSTOMERS} customers (clock advance → members-nightly-${DATE} ${status}): ${seconds.toFixed(2)} s · ${Math.round(perSecond)} customers/s`,
    );
    console.log(
      `embedded store raw PutItem (20 in flight), same run: ${Math.round(raw)} writes/s · ratio customers/s ÷ raw writes/s = ${(perSecond / raw).toFixed(2)}`,
    );
    console.log(`(a tenth of the customers are downgraded: ${CUSTOMERS / 10} conditional writes and events)`);
    return { ok: status === 'SUCCEEDED' && failures === 0 };
  } finally {
    dynamo.destroy();
    sfn.destroy();
    await runtime.close();
    rmSync(work, { recursive: true, force: true });
  }
}
