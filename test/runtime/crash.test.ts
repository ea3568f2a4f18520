import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { signShopify } from '#domain/ingestion/signatures';
import { fixture } from '#test/support/fixtures';
import { type RuntimeProcess, spawnRuntime } from '#test/support/runtime-process';

/**
 * kill -9 of the whole runtime, mid-workflow (a task running) and mid-wait, then a restart on the
 * same data directory: the work completes, nothing lost, nothing repeated.
 */
const dirs: string[] = [];
const running: RuntimeProcess[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) await r.kill9();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const start = async (args: string[]) => {
  const r = await spawnRuntime(args);
  running.push(r);
  return r;
};

const sdk = (url: string) => ({
  endpoint: url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** Polls a condition of another process (not a timing assumption): up to `ms` real milliseconds. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const FLOW = 'arn:aws:states:us-east-1:000000000000:stateMachine:fixture-flow';

async function tableItems(url: string) {
  const ddb = new DynamoDBClient(sdk(url));
  const { TableNames } = await ddb.send(new ListTablesCommand({}));
  const items = await ddb.send(new ScanCommand({ TableName: TableNames![0]! }));
  ddb.destroy();
  return (items.Items ?? []).map((i) => `${i.pk!.S} ${i.sk!.S!.replace(/#[0-9a-f-]{36}$/, '')}`).sort();
}

describe('the runtime killed with SIGKILL', () => {
  it('resumes executions mid-task and mid-wait on restart; each step has its effect once', async () => {
    const data = mkdtempSync(join(tmpdir(), 'storeflow-crash-'));
    dirs.push(data);
    const args = ['--assembly', inject('fixtureAssembly'), '--data', data, '--clock', 'virtual', '--quiet'];
    const first = await start(args);
    const events = new EventBridgeClient(sdk(first.url));
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          { run: 'wait-1', slowMs: 0 },
          { run: 'wait-2', slowMs: 0 },
          { run: 'task-1', slowMs: 8000 },
        ].map((detail) => ({
          EventBusName: 'fixture-bus',
          Source: 'fixture',
          DetailType: 'Start',
          Detail: JSON.stringify(detail),
        })),
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    const sfn = new SFNClient(sdk(first.url));
    // wait-1 and wait-2 reach the hour-long wait; task-1 is inside its slow first step.
    await until('two executions waiting and one task started', async () => {
      const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: FLOW }));
      if (executions.length < 3) return undefined;
      let waiting = 0;
      for (const e of executions) {
        const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: e.executionArn! }));
        if (h.events?.some((x) => x.type === 'WaitStateEntered')) waiting++;
      }
      const items = await tableItems(first.url);
      return waiting === 2 && items.includes('task-1 started#one') ? true : undefined;
    });
    await first.kill9();

    const second = await start(args);
    await fetch(`${second.url}/_local/settle`, { method: 'POST' });
    const advanced = await fetch(`${second.url}/_local/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 3600 }),
    });
    expect(advanced.status).toBe(200);
    const sfn2 = new SFNClient(sdk(second.url));
    const { executions = [] } = await sfn2.send(new ListExecutionsCommand({ stateMachineArn: FLOW }));
    expect(executions).toHaveLength(3);
    for (const e of executions) {
      const d = await sfn2.send(new DescribeExecutionCommand({ executionArn: e.executionArn! }));
      expect(d.status, `${e.name}: ${d.error ?? ''} ${d.cause ?? ''}`).toBe('SUCCEEDED');
    }
    const items = await tableItems(second.url);
    for (const run of ['wait-1', 'wait-2', 'task-1']) {
      expect(items.filter((i) => i === `${run} effect#one`)).toHaveLength(1);
      expect(items.filter((i) => i === `${run} effect#two`)).toHaveLength(1);
      expect(items.filter((i) => i === `${run} started#two`)).toHaveLength(1);
    }
    // The waiting runs' first steps had completed before the kill: not run again.
    expect(items.filter((i) => i === 'wait-1 started#one')).toHaveLength(1);
    // The interrupted step ran again after the restart, and its effect still happened once.
    expect(items.filter((i) => i === 'task-1 started#one')).toHaveLength(2);
    expect(await second.stop()).toBe(0);
  }, 90_000);

  it('keeps a webhook delivery accepted before the kill deduplicated after it, and its event delivered', async () => {
    const data = mkdtempSync(join(tmpdir(), 'storeflow-crash-'));
    dirs.push(data);
    const args = ['--assembly', inject('appAssembly'), '--data', data, '--clock', 'virtual', '--quiet'];
    const first = await start(args);
    const secrets = JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8'));
    const body = fixture('shopify/orders-paid.json');
    const deliver = (url: string) =>
      fetch(`${url}/webhooks/shopify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': 'orders/paid',
          'x-shopify-hmac-sha256': signShopify(body, secrets.secrets.ShopifyWebhookSecret),
          'x-shopify-webhook-id': 'crash-paid-1',
          'x-shopify-shop-domain': 'demo.myshopify.com',
        },
        body,
      });
    expect((await deliver(first.url)).status).toBe(200);
    await first.kill9();

    const second = await start(args);
    await fetch(`${second.url}/_local/settle`, { method: 'POST' });
    expect((await deliver(second.url)).status).toBe(200);
    await fetch(`${second.url}/_local/settle`, { method: 'POST' });
    const res = await fetch(`${second.url}/api/orders/450789469001/timeline`, {
      headers: { authorization: `Bearer ${secrets.adminToken}` },
    });
    const { items } = (await res.json()) as { items: Array<{ kind: string; name: string }> };
    // the SLA lines share the order's timeline; the ingestion lines are what this test is about
    const ingestion = items.filter((i) => i.kind === 'webhook' || i.kind === 'event');
    expect(ingestion.map((i) => [i.kind, i.name])).toEqual([
      ['webhook', 'orders/paid'],
      ['event', 'OrderPaid'],
    ]);
    expect(await second.stop()).toBe(0);
  }, 60_000);
});
