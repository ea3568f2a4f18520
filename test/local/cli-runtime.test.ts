import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { presaleBody } from '#test/support/presale-client';
import type { Io } from '../../local/cli/args.ts';
import { FIXTURES } from '../../local/cli/fixtures.ts';
import { main } from '../../local/cli/main.ts';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * The CLI against the real app on one local runtime (virtual clock): every fixture `storeflow
 * trigger` sends is accepted and its events reach the timeline; duplicates have no second effect;
 * `status` reads the runtime's workflows and queues; `reset` will not touch its directory.
 */
let runtime: Runtime;
let dataDir: string;
let adminToken: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-cli-runtime-'));
  runtime = await startRuntime({ assemblyDir: inject('appAssembly'), dataDir, port: 0, clock: 'virtual' });
  adminToken = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).adminToken;
});

afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

/** `trigger … --json`, parsed. */
async function trigger(args: string[], env: Record<string, string> = {}) {
  const run = await cli(['trigger', ...args, '--data', dataDir, '--json'], env);
  return { ...run, result: JSON.parse(run.out || '{}') };
}

const settle = () => fetch(`${runtime.url}/_local/settle`, { method: 'POST' });

async function timeline(key: { kind: string; id: string }): Promise<Array<{ kind: string; name: string }>> {
  const res = await fetch(
    `${runtime.url}/api/${key.kind}s/${encodeURIComponent(key.id)}/timeline?limit=1000`,
    {
      headers: { authorization: `Bearer ${adminToken}` },
    },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Array<{ kind: string; name: string }> }).items;
}

describe('storeflow trigger', () => {
  // products/update first: it teaches the inventory item's SKU that inventory_levels/update needs.
  const names = Object.keys(FIXTURES).sort(
    (a, b) => Number(b === 'products/update') - Number(a === 'products/update'),
  );

  it('every fixture gets 200 and its events on its timeline', async () => {
    const sent = [];
    for (const name of names) {
      const { code, result, err } = await trigger([name]);
      expect({ name, code, err, status: result.status, outcome: result.outcome }).toEqual({
        name,
        code: 0,
        err: '',
        status: 200,
        outcome: 'accepted',
      });
      expect(result.eventIds, name).toHaveLength(FIXTURES[name]!.events.length);
      expect(result.timeline, name).toBeDefined();
      sent.push({ name, key: result.timeline });
    }
    await settle();
    for (const { name, key } of sent) {
      const items = await timeline(key);
      expect(items, `${name} on ${key.kind} ${key.id}`).toContainEqual(
        expect.objectContaining({ kind: 'webhook', name }),
      );
      for (const event of FIXTURES[name]!.events) {
        expect(
          items.some((i) => i.name === event),
          `${event} on the ${key.kind} timeline ${key.id}`,
        ).toBe(true);
      }
    }
  });

  it('prints the status, the event ids and where to look', async () => {
    const run = await cli(['trigger', 'orders/create', '--data', dataDir]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      new RegExp(
        '^orders/create → 200 accepted\\n' +
          '  delivery  [0-9a-f-]{36}\\n' +
          '  events    [0-9a-f-]{36} \\(OrderPlaced\\)\\n' +
          `  timeline  GET ${runtime.url.replaceAll('.', '\\.')}/api/orders/\\d{13}/timeline\\n$`,
      ),
    );
  });

  it('--set changes the body: the order id and a line’s quantity', async () => {
    const { result } = await trigger([
      'orders/paid',
      '--set',
      'id=4507894690011',
      '--set',
      'line_items.0.quantity=3',
    ]);
    expect(result).toMatchObject({ status: 200, timeline: { kind: 'order', id: '4507894690011' } });
    await settle();
    const items = await timeline({ kind: 'order', id: '4507894690011' });
    expect(items.filter((i) => i.name === 'OrderPaid')).toHaveLength(1);
  });

  it('a body the schema refuses: the 400 and the field, exit code 1, nothing stored', async () => {
    const { code, result } = await trigger([
      'orders/paid',
      '--set',
      'id=4507894690012',
      '--set',
      'total_price=-1',
    ]);
    expect(code).toBe(1);
    expect(result).toMatchObject({
      status: 400,
      eventIds: [],
      error: expect.stringContaining('total_price'),
    });
    await settle();
    expect(await timeline({ kind: 'order', id: '4507894690012' })).toEqual([]);
  });

  it('a secret the runtime does not use: 401, and a hint about the environment', async () => {
    const run = await cli(['trigger', 'orders/paid', '--data', dataDir], {
      SHOPIFY_WEBHOOK_SECRET: 'not-the-one',
    });
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^orders\/paid → 401\n/);
    expect(run.err).toMatch(
      /^storeflow: 401: the runtime did not accept the signature\. If it was started with SHOPIFY_WEBHOOK_SECRET set/,
    );
  });

  it('--duplicate-rate: one effect per unique delivery (Shopify retries and replays)', async () => {
    const { code, result } = await trigger(['orders/paid', '--count', '20', '--duplicate-rate', '0.3']);
    expect(code).toBe(0);
    expect(result).toMatchObject({
      sent: 20,
      unique: 14,
      duplicates: 6,
      statuses: { 200: 20 },
      outcomes: { accepted: 14, duplicate: 6 },
    });
    expect(result.acksPerSecond).toBeGreaterThan(0);
    const deliveries = result.deliveries as Array<{
      duplicate: boolean;
      outcome: string;
      eventIds: string[];
      timeline: { kind: string; id: string };
    }>;
    // Every duplicate was answered as one, with its original's events: nothing new published.
    for (const d of deliveries) expect(d.outcome).toBe(d.duplicate ? 'duplicate' : 'accepted');
    expect(new Set(deliveries.flatMap((d) => d.eventIds)).size).toBe(14);
    const orders = new Set(deliveries.map((d) => d.timeline.id));
    expect(orders.size).toBe(14);
    await settle();
    for (const id of orders) {
      const items = await timeline({ kind: 'order', id });
      expect(
        items.filter((i) => i.name === 'OrderPaid'),
        id,
      ).toHaveLength(1);
    }
  });

  it('--duplicate-rate with storeflow deliveries (signed again): one effect per unique envelope', async () => {
    const { result } = await trigger([
      'ticket.opened',
      '--count',
      '8',
      '--duplicate-rate',
      '0.5',
      '--concurrency',
      '3',
    ]);
    expect(result).toMatchObject({
      sent: 8,
      unique: 4,
      duplicates: 4,
      outcomes: { accepted: 4, duplicate: 4 },
    });
    await settle();
    const tickets = new Set(
      (result.deliveries as Array<{ timeline: { id: string } }>).map((d) => d.timeline.id),
    );
    expect(tickets.size).toBe(4);
    for (const id of tickets) {
      expect((await timeline({ kind: 'ticket', id })).filter((i) => i.name === 'TicketOpened')).toHaveLength(
        1,
      );
    }
  });

  it('the human summary of a load run', async () => {
    const run = await cli([
      'trigger',
      'orders/create',
      '--data',
      dataDir,
      '--count',
      '10',
      '--duplicate-rate',
      '0.2',
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      /^sent 10 deliveries of orders\/create to http:\/\/127\.0\.0\.1:\d+ in \d+\.\d s\n {2}unique {6}8\n {2}duplicates {2}2\n {2}statuses {4}200 ×10\n {2}outcomes {4}accepted ×8, duplicate ×2\n {2}acks\/s {6}\d+\.\d\n$/,
    );
  });
});

describe('storeflow status', () => {
  it('names the runtime, its workflows and its queues, dead letters marked', async () => {
    const { code, out } = await cli(['status', '--data', dataDir, '--json']);
    expect(code).toBe(0);
    const status = JSON.parse(out);
    expect(status).toMatchObject({ running: true, dataDir, pid: process.pid, url: runtime.url });
    expect(status.clock).toMatch(/^virtual \(\d{4}-/);
    expect(status.workflows.map((w: { name: string }) => w.name).sort()).toEqual([
      expect.stringMatching(/CampaignsExperimentWorkflow/),
      expect.stringMatching(/CampaignsLaunchWorkflow/),
      expect.stringMatching(/MembersNightlyWorkflow/),
      expect.stringMatching(/PresaleOrderWorkflow/),
      expect.stringMatching(/RepricingRunWorkflow/),
      expect.stringMatching(/RepricingWhatIfWorkflow/),
      expect.stringMatching(/RestockApprovalWorkflow/),
      expect.stringMatching(/RestockSweepWorkflow/),
    ]);
    // the presale deposit sent above waits for its balance in a running presale run (or was rejected)
    for (const w of status.workflows) expect(w).toMatchObject({ running: expect.any(Number), failed: 0 });
    expect(status.queues).toEqual([
      { name: expect.stringMatching(/AsyncFailures/), deadLetter: true, visible: 0, inFlight: 0 },
    ]);
    const text = await cli(['status', '--data', dataDir]);
    expect(text.out).toMatch(
      new RegExp(`^runtime {4}running on ${dataDir}: pid ${process.pid}, ${runtime.url}, since `),
    );
    expect(text.out).toMatch(/\n {2}storeflow-dev-app-AsyncFailures\w+ \(dead letters\) +0 +0\n$/);
  });

  it('counts the runs waiting per workflow', async () => {
    const { now } = (await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string };
    const created = await fetch(`${runtime.url}/api/presales/CLI-SOFA`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(presaleBody(Date.parse(now))),
    });
    expect(created.status).toBe(201);
    const before = JSON.parse((await cli(['status', '--data', dataDir, '--json'])).out);
    const presale = (s: { workflows: Array<{ name: string; running: number }> }) =>
      s.workflows.find((w) => /Presale/.test(w.name))!.running;
    const deposit = await trigger(['presale.deposit_paid', '--set', 'data.presaleId=CLI-SOFA']);
    expect(deposit.result.status).toBe(200);
    await settle();
    const after = JSON.parse((await cli(['status', '--data', dataDir, '--json'])).out);
    expect(presale(after)).toBe(presale(before) + 1);
  });
});

describe('storeflow reset', () => {
  it('refuses while the runtime holds the data directory', async () => {
    const run = await cli(['reset', '--data', dataDir, '--yes']);
    expect(run).toEqual({
      code: 1,
      out: '',
      err: `storeflow: a storeflow runtime is using ${dataDir} (pid ${process.pid}, serving ${runtime.url}): stop it first (Ctrl-C), then reset\n`,
    });
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(true);
    expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
  });
});

describe('a virtual clock moved ahead', () => {
  it('trigger signs and stamps with the runtime’s clock, so storeflow’s replay window still holds', async () => {
    const moved = await fetch(`${runtime.url}/_local/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 3 * 3600 }),
    });
    expect(moved.status).toBe(200);
    const { result } = await trigger(['delivery.completed']);
    expect(result).toMatchObject({ status: 200, outcome: 'accepted' });
  });
});
