import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { signShopify } from '#domain/ingestion/signatures';
import { fixture } from '#test/support/fixtures';
import { type RuntimeProcess, runtimeProcesses } from '#test/support/runtime-process';

/**
 * Issue #10: kill -9 under a bounded load of signed deliveries, then a restart on the same data
 * directory, at three different moments of the load. The platform retries what was not
 * acknowledged (as Shopify does); in the end every delivery is on its order's and its SKUs'
 * timelines exactly once — the acknowledged ones included, whose timeline lines are written after
 * the acknowledgement by the recorder.
 */
const processes = runtimeProcesses('storeflow-ingest-crash-');

const ORDERS = 60;
const CONCURRENCY = 8;
/** Acknowledgements after which each run is killed: at the first, mid-load, and late. */
const KILL_AFTER = [1, 12, 25];
const SHARED_SKUS = 4;

const base = JSON.parse(fixture('shopify/orders-paid.json'));
function delivery(i: number) {
  const body = JSON.stringify({
    ...base,
    id: 880_000 + i,
    updated_at: '2026-11-20T10:16:31+08:00',
    line_items: [
      { ...base.line_items[0], sku: `CRASH-U-${i}` },
      { ...base.line_items[1], sku: `CRASH-S-${i % SHARED_SKUS}` },
    ],
  });
  return { i, orderId: String(880_000 + i), id: `crash-load-${i}`, body };
}
type Delivery = ReturnType<typeof delivery>;

describe('ingestion under kill -9', () => {
  it('every delivery reaches each of its timelines exactly once across three kills under load', async () => {
    const data = processes.dataDir();
    const args = ['--assembly', inject('appAssembly'), '--data', data, '--clock', 'virtual', '--quiet'];
    const all = Array.from({ length: ORDERS }, (_, i) => delivery(i));
    const acknowledged = new Set<number>();
    let secret = '';
    let adminToken = '';

    const send = (url: string, d: Delivery) =>
      fetch(`${url}/webhooks/shopify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': 'orders/paid',
          'x-shopify-hmac-sha256': signShopify(d.body, secret),
          'x-shopify-webhook-id': d.id,
          'x-shopify-shop-domain': 'demo.myshopify.com',
        },
        body: d.body,
      });

    /**
     * CONCURRENCY senders work through the unacknowledged deliveries; `stopAfter` acknowledgements
     * in, the runtime is killed while the others are in flight. A 409 (a delivery claimed by a
     * request the kill interrupted, its lease still running) moves the virtual clock past the
     * lease, as time would, and the delivery is retried.
     */
    async function load(runtime: RuntimeProcess, stopAfter: number | null): Promise<void> {
      const queue = all.filter((d) => !acknowledged.has(d.i));
      let acks = 0;
      let killed: Promise<void> | undefined;
      const worker = async () => {
        while (queue.length > 0 && !killed) {
          const d = queue.shift()!;
          let status = 0;
          try {
            status = (await send(runtime.url, d)).status;
          } catch {
            return; // the runtime is gone: the delivery stays unacknowledged
          }
          if (status === 200) {
            acknowledged.add(d.i);
            acks++;
            if (stopAfter !== null && acks >= stopAfter && !killed) killed = runtime.kill9();
          } else if (status === 409) {
            await fetch(`${runtime.url}/_local/clock/advance`, {
              method: 'POST',
              body: JSON.stringify({ seconds: 31 }),
            }).catch(() => undefined);
            queue.push(d);
          } else if (!killed) {
            throw new Error(`delivery ${d.id}: unexpected ${status}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await killed;
    }

    for (const stopAfter of KILL_AFTER) {
      const runtime = await processes.spawn(args);
      if (!secret) {
        const secrets = JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8'));
        secret = secrets.secrets.ShopifyWebhookSecret;
        adminToken = secrets.adminToken;
      }
      await load(runtime, stopAfter);
      expect(runtime.child.exitCode ?? runtime.child.signalCode).toBe('SIGKILL');
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER.reduce((a, b) => a + b, 0));
    expect(acknowledged.size).toBeLessThan(ORDERS);

    // The platform retries the rest against a runtime that is left running.
    const last = await processes.spawn(args);
    await load(last, null);
    expect(acknowledged.size).toBe(ORDERS);
    await fetch(`${last.url}/_local/settle`, { method: 'POST' });

    const timeline = async (path: string) => {
      const res = await fetch(`${last.url}/api/${path}/timeline?limit=1000`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(res.status).toBe(200);
      // the SLA's and the members' lines (a tier change) share the order's timeline; the ingestion
      // lines (the delivery and the event it published) are what this test is about
      return ((await res.json()) as { items: Array<{ kind: string; name: string }> }).items
        .filter((i) => i.kind === 'webhook' || (i.kind === 'event' && i.name === 'OrderPaid'))
        .map((i) => `${i.kind} ${i.name}`);
    };
    for (const d of all) {
      expect(await timeline(`orders/${d.orderId}`), d.orderId).toEqual([
        'webhook orders/paid',
        'event OrderPaid',
      ]);
      expect(await timeline(`skus/CRASH-U-${d.i}`), `CRASH-U-${d.i}`).toEqual([
        'webhook orders/paid',
        'event OrderPaid',
      ]);
    }
    for (let s = 0; s < SHARED_SKUS; s++) {
      const lines = await timeline(`skus/CRASH-S-${s}`);
      const orders = all.filter((d) => d.i % SHARED_SKUS === s).length;
      expect(lines.filter((l) => l === 'webhook orders/paid')).toHaveLength(orders);
      expect(lines.filter((l) => l === 'event OrderPaid')).toHaveLength(orders);
    }
    expect(await last.stop()).toBe(0);
  }, 180_000);
});
