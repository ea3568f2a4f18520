import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { loadAssembly } from '../../local/runtime/assembly.ts';
import { stateMachines } from '../../local/runtime/resources.ts';
import { DEPOSIT, type PresaleClient, presaleBody } from './presale-client.ts';
import type { RestockClient } from './restock-client.ts';

/**
 * What the console's browser test and `npm run screenshots` show: a presale order waiting for its
 * balance window, a purchase order waiting for approval, and a restock sweep that fails once (its
 * Rank step answered by a mock configuration, as Step Functions Local's) so it can be redriven.
 */

export const FAILING_SWEEP_CASE = 'RankRejectedOnce';
const DAY = 86_400_000;

/** Writes the mock configuration that makes a sweep's Rank fail once, then succeed. */
export function writeSweepMocks(assemblyDir: string, dataDir: string): string {
  const sweep = stateMachines(loadAssembly(assemblyDir)).find((m) => m.name.includes('RestockSweep'));
  if (!sweep) throw new Error('no restock sweep in the app');
  const file = join(dataDir, 'console-mocks.json');
  writeFileSync(
    file,
    JSON.stringify({
      StateMachines: {
        [sweep.name]: {
          TestCases: { [FAILING_SWEEP_CASE]: { StartSweep: 'NoBuckets', Rank: 'RejectedOnce' } },
        },
      },
      MockedResponses: {
        NoBuckets: {
          '0': {
            Return: {
              context: {
                sweep: 'sweep-console',
                date: '2026-12-01',
                policyVersion: 0,
                at: '2026-12-01T18:00:00Z',
              },
              buckets: [],
            },
          },
        },
        RejectedOnce: {
          '0': { Throw: { Error: 'RestockStepRejected', Cause: 'the ranking candidates were unreadable' } },
          '1': { Return: { top: [] } },
        },
      },
    }),
  );
  return file;
}

/** A presale and a deposit for `orderId`: its PresaleOrder run waits for the balance window. */
export async function seedPresaleOrder(sf: PresaleClient, orderId: string, presaleId = 'ps-console') {
  const presale = await sf.api(
    'PUT',
    `/api/presales/${presaleId}`,
    presaleBody(await sf.now(), { quota: 20 }),
  );
  if (presale.status !== 201 && presale.status !== 200) {
    throw new Error(`presale: ${presale.status} ${JSON.stringify(presale.body)}`);
  }
  const res = await sf.webhook(`dep-${orderId}`, 'presale.deposit_paid', {
    orderId,
    presaleId,
    customerId: `cust-${orderId}`,
    amount: DEPOSIT,
  });
  if (res.status !== 200) throw new Error(`deposit ${orderId}: ${res.status} ${await res.text()}`);
  await sf.settle();
}

/** A SKU whose check orders above the approval threshold: its PurchaseOrderApproval run waits. */
export async function seedPurchaseOrder(rc: RestockClient, sku = 'DESK-WALNUT'): Promise<string> {
  await rc.ok('PUT', '/api/suppliers/S-CONSOLE', {
    name: 'Strategic Co',
    tier: 'strategic',
    leadTimeDays: 10,
    currency: 'CNY',
    paymentTermsDays: 90,
  });
  await rc.ok('PUT', `/api/skus/${sku}`, {
    title: 'Walnut desk',
    category: 'furniture',
    onHand: 0,
    supply: [
      {
        supplierId: 'S-CONSOLE',
        unitCost: { amount: 100_000, currency: 'CNY' },
        casePack: 1,
        minOrderQty: 60,
      },
    ],
  });
  await rc.orderPaid(880_001, (await rc.now()) - DAY, { [sku]: 30 });
  await rc.settle();
  const check = await rc.ok('POST', `/api/skus/${sku}/check`);
  if (check.outcome !== 'ordered') throw new Error(`check ${sku}: ${JSON.stringify(check)}`);
  await rc.settle();
  return check.poId as string;
}

/** Starts the sweep that fails at Rank (the mock test case) and waits until it has failed. */
export async function startFailingSweep(
  url: string,
  sf: PresaleClient,
  name = 'sweep-console',
): Promise<string> {
  const sfn = new SFNClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { stateMachines: machines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    const arn = machines.find((m) => m.name?.includes('RestockSweep'))?.stateMachineArn;
    if (!arn) throw new Error('no restock sweep state machine');
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `${arn}#${FAILING_SWEEP_CASE}`,
        name,
        input: JSON.stringify({ date: '2026-12-01' }),
      }),
    );
    await sf.settle();
    return `RestockSweep:${name}`;
  } finally {
    sfn.destroy();
  }
}

/**
 * An event its consumers refuse (a PresaleDepositPaid with no order): after the targets' retries
 * (the clock moved past each), its deliveries wait in the dead-letter queue.
 */
export async function poisonEvent(url: string, buses: readonly string[], sf: PresaleClient): Promise<void> {
  const events = new EventBridgeClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const bus = buses.find((b) => b !== 'default') ?? buses[0]!;
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: bus,
            Source: 'storeflow.presale',
            DetailType: 'PresaleDepositPaid',
            Detail: '{"poison":true}',
          },
        ],
      }),
    );
    if (put.FailedEntryCount) throw new Error(`PutEvents: ${JSON.stringify(put.Entries)}`);
  } finally {
    events.destroy();
  }
  // Lambda's asynchronous retries (after 1 and 2 minutes), each on the virtual clock
  for (let i = 0; i < 4; i++) {
    await sf.settle();
    await sf.advance(61);
  }
  await sf.settle();
}
