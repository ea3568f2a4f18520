import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signShopify, signStoreflow } from '#domain/ingestion/signatures';
import { fixture } from '#test/support/fixtures';
import { KEEP_ALIVE_MS, type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * The real app (the assembly `cdk synth` produces, bundles included) on the local runtime,
 * driven only through HTTP and the AWS SDK, as a newcomer or a platform would.
 */
let runtime: Runtime;
let dataDir: string;
let secrets: { adminToken: string; secrets: Record<string, string> };
const lines: string[] = [];

const aws = () => ({
  endpoint: runtime.url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-runtime-'));
  runtime = await startRuntime({
    assemblyDir: inject('appAssembly'),
    dataDir,
    port: 0,
    clock: 'virtual',
    log: (line) => lines.push(line),
  });
  secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
});

afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const ORDER_ID = '450789469001';

const deliverOrderPaid = (webhookId: string, secret = secrets.secrets.ShopifyWebhookSecret!) => {
  const body = fixture('shopify/orders-paid.json');
  return fetch(`${runtime.url}/webhooks/shopify`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/paid',
      'x-shopify-hmac-sha256': signShopify(body, secret),
      'x-shopify-webhook-id': webhookId,
      'x-shopify-shop-domain': 'demo.myshopify.com',
    },
    body,
  });
};

const settle = () => fetch(`${runtime.url}/_local/settle`, { method: 'POST' });

const timeline = async (orderId: string) => {
  const res = await fetch(`${runtime.url}/api/orders/${orderId}/timeline`, {
    headers: { authorization: `Bearer ${secrets.adminToken}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Array<{ kind: string; name: string }> }).items;
};

describe('the local runtime running the app', () => {
  it('reports its resources on /health once ready', async () => {
    const res = await fetch(`${runtime.url}/health`);
    expect(res.status).toBe(200);
    const health = (await res.json()) as Record<string, unknown>;
    expect(health.status).toBe('ok');
    expect(health.routes).toEqual(
      expect.arrayContaining([
        'POST /webhooks/shopify',
        'POST /webhooks/storeflow',
        'GET /api/orders/{orderId}/timeline',
      ]),
    );
    // CDK's deploy-time BucketDeployment handler (the console's files) is not run locally
    expect((health.functions as Array<{ name: string }>).length).toBe(34);
    expect(health.tables).toEqual(['storeflow-dev-stateful-StoreflowTable (created)']);
    expect((health.rules as string[]).sort()).toEqual([
      expect.stringMatching(/CampaignsBudgetReleaseRule/),
      expect.stringMatching(/MembersLedgerEventsRule/),
      expect.stringMatching(/MetricsOrderEventsRule/),
      expect.stringMatching(/PresaleCallbackRule/),
      expect.stringMatching(/PresaleDepositPaidRule/),
      expect.stringMatching(/RepricingPricingEventsRule/),
      expect.stringMatching(/RestockApprovalRequestedRule/),
      expect.stringMatching(/RestockSalesAndStockRule/),
      expect.stringMatching(/SlaPromiseEventsRule/),
      expect.stringMatching(/TimelineRecordRule/),
    ]);
    expect((health.schedules as string[]).sort()).toEqual([
      expect.stringMatching(/MembersAnnualSchedule.*cron\(5 0 1 1 \? \*\)/),
      expect.stringMatching(/MembersNightlySchedule.*cron\(0\/15 \* \* \* \? \*\)/),
      expect.stringMatching(/RepricingRunSchedule.*cron\(0\/15 \* \* \* \? \*\)/),
      expect.stringMatching(/RestockSweepSchedule.*cron\(0\/15 \* \* \* \? \*\)/),
    ]);
  });

  it('turns a signed orders/paid delivery into OrderPaid on the timeline, once, however often it comes', async () => {
    const first = await deliverOrderPaid('runtime-paid-1');
    expect(first.status).toBe(200);
    await settle();
    const items = await timeline(ORDER_ID);
    // the SLA lines share the order's timeline (its dispatch promise, covered by sla.test.ts)
    expect(
      items.filter((i) => i.kind === 'webhook' || i.kind === 'event').map((i) => [i.kind, i.name]),
    ).toEqual([
      ['webhook', 'orders/paid'],
      ['event', 'OrderPaid'],
    ]);
    expect(items.some((i) => i.kind === 'promise' && i.name === 'PromiseRegistered')).toBe(true);

    const again = await deliverOrderPaid('runtime-paid-1');
    expect(again.status).toBe(200);
    await settle();
    expect((await timeline(ORDER_ID)).filter((i) => i.name === 'OrderPaid')).toHaveLength(1);
    expect(lines.some((l) => /POST \/webhooks\/shopify → POST \/webhooks\/shopify 200/.test(l))).toBe(true);
  });

  it('refuses a forged signature with 401 and records nothing', async () => {
    const res = await deliverOrderPaid('runtime-forged-1', 'not-the-secret');
    expect(res.status).toBe(401);
  });

  it('refuses the operations API without the admin token', async () => {
    const res = await fetch(`${runtime.url}/api/orders/${ORDER_ID}/timeline`);
    expect(res.status).toBe(401);
    const wrong = await fetch(`${runtime.url}/api/orders/${ORDER_ID}/timeline`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
  });

  it('accepts storeflow webhooks signed with the generated secret', async () => {
    const body = JSON.stringify({
      id: 'evt-runtime-1',
      type: 'presale.cancelled',
      occurredAt: new Date(runtime.clock.now()).toISOString(),
      data: { orderId: 'po-runtime-1', reason: 'customer request' },
    });
    const res = await fetch(`${runtime.url}/webhooks/storeflow`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'storeflow-signature': signStoreflow(
          body,
          secrets.secrets.StoreflowWebhookSecret!,
          Math.floor(runtime.clock.now() / 1000),
        ),
      },
      body,
    });
    expect(res.status).toBe(200);
    await settle();
    expect((await timeline('po-runtime-1')).map((i) => i.kind)).toEqual(['webhook', 'event']);
  });

  it('serves the AWS APIs the SDK calls, on the same port', async () => {
    const tables = await new DynamoDBClient(aws()).send(new ListTablesCommand({}));
    expect(tables.TableNames).toEqual(['storeflow-dev-stateful-StoreflowTable']);
    const machines = await new SFNClient(aws()).send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((m) => m.name).sort()).toEqual([
      expect.stringMatching(/CampaignsExperimentWorkflow/),
      expect.stringMatching(/CampaignsLaunchWorkflow/),
      expect.stringMatching(/MembersNightlyWorkflow/),
      expect.stringMatching(/PresaleOrderWorkflow/),
      expect.stringMatching(/RepricingRunWorkflow/),
      expect.stringMatching(/RepricingWhatIfWorkflow/),
      expect.stringMatching(/RestockApprovalWorkflow/),
      expect.stringMatching(/RestockSweepWorkflow/),
    ]);
    const health = (await (await fetch(`${runtime.url}/health`)).json()) as { buses: string[] };
    expect(health.buses).toHaveLength(1);
    const put = await new EventBridgeClient(aws()).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: health.buses[0],
            Source: 'storeflow.test',
            DetailType: 'Probe',
            Detail: JSON.stringify({ orderId: 'probe-1' }),
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
  });

  it('keeps an idle connection 65 s, and says so in its Keep-Alive header', async () => {
    // The SDK's agents reuse idle sockets whatever their age: a 5 s server timeout made a client idle
    // for ~5 s between calls send on a socket being closed (ECONNRESET).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ headers: http.IncomingHttpHeaders; socket: unknown }>((resolve, reject) => {
        http
          .get(`${runtime.url}/health`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve({ headers: res.headers, socket: res.socket }));
          })
          .on('error', reject);
      });
    const first = await get();
    expect(first.headers.connection).toBe('keep-alive');
    expect(first.headers['keep-alive']).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
    expect(KEEP_ALIVE_MS).toBeGreaterThanOrEqual(60_000);
    expect((await get()).socket).toBe(first.socket); // the same connection, reused
    agent.destroy();
  });

  it('answers 404 as API Gateway does for a path with no route', async () => {
    const res = await fetch(`${runtime.url}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
  });

  it('shows and advances the virtual clock, and persists it', async () => {
    const before = (await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string };
    const res = await fetch(`${runtime.url}/_local/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 3600 }),
    });
    expect(res.status).toBe(200);
    const after = (await res.json()) as { now: string };
    expect(Date.parse(after.now) - Date.parse(before.now)).toBe(3_600_000);
    expect(JSON.parse(readFileSync(join(dataDir, 'clock.json'), 'utf8'))).toEqual({ now: after.now });
    const bad = await fetch(`${runtime.url}/_local/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: -1 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: 'seconds: must be a non-negative number' });
  });

  it('uses an external DynamoDB endpoint with --dynamodb-endpoint (here: this runtime, as a stand-in)', async () => {
    const otherData = mkdtempSync(join(tmpdir(), 'storeflow-runtime-ext-'));
    const other = await startRuntime({
      assemblyDir: inject('appAssembly'),
      dataDir: otherData,
      port: 0,
      clock: 'virtual',
      dynamodbEndpoint: runtime.url,
    });
    try {
      expect(other.summary.dynamodb).toBe(`external at ${runtime.url}`);
      expect(other.summary.tables).toEqual(['storeflow-dev-stateful-StoreflowTable (existing)']);
      const ddb = new DynamoDBClient({ ...aws(), endpoint: other.url });
      expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual([
        'storeflow-dev-stateful-StoreflowTable',
      ]);
      // the second runtime reads the first one's data: the timeline written above
      const secrets2 = JSON.parse(readFileSync(join(otherData, 'secrets.json'), 'utf8'));
      const res = await fetch(`${other.url}/api/orders/${ORDER_ID}/timeline`, {
        headers: { authorization: `Bearer ${secrets2.adminToken}` },
      });
      const body = (await res.json()) as { items: Array<{ name: string }> };
      expect(body.items.map((i) => i.name)).toContain('OrderPaid');
    } finally {
      await other.close();
      rmSync(otherData, { recursive: true, force: true });
    }
  });
});
