/**
 * The local EventBridge behind a bare HTTP server speaking its awsJson1_1 wire format, for conformance tests that
 * go through @aws-sdk/client-eventbridge as an application would: what the SDK sends, the status, `__type` and
 * message it reads back. Deliveries and dead-letter messages are captured; time is a VirtualClock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { VirtualClock } from '../../local/engine/clock.ts';
import { createEventBridge, type LocalEventBridge, type RuleSpec } from '../../local/eventbridge/bus.ts';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';

export interface Delivered {
  readonly arn: string;
  readonly payload: string;
}
export interface DeadLettered {
  readonly queue: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
}

export interface ApiHarness {
  readonly client: EventBridgeClient;
  readonly bus: LocalEventBridge;
  readonly clock: VirtualClock;
  readonly delivered: Delivered[];
  readonly dead: DeadLettered[];
  close(): Promise<void>;
}

/** Starts a bus (with the custom bus `shop` and `rules` from an assembly) served over HTTP on 127.0.0.1. */
export async function startApi(options: { rules?: RuleSpec[]; now?: number } = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'eventbridge-api-'));
  const clock = new VirtualClock(options.now ?? Date.parse('2026-01-02T03:04:05.000Z'));
  const delivered: Delivered[] = [];
  const dead: DeadLettered[] = [];
  const bus = await createEventBridge({
    dir,
    clock,
    region: REGION,
    account: ACCOUNT,
    buses: [{ name: 'shop', arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/shop` }],
    rules: options.rules ?? [],
    archives: [],
    schedules: [],
    deliver: async (arn, payload) => {
      delivered.push({ arn, payload });
    },
    sendToDeadLetter: async (queue, body, attributes) => {
      dead.push({ queue, body, attributes });
    },
    fsync: false,
  });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const text = Buffer.concat(chunks).toString('utf8');
      void bus.handle(target, text ? JSON.parse(text) : {}).then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(answer.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new EventBridgeClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return {
    client,
    bus,
    clock,
    delivered,
    dead,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a command answered: its output, or the error's name (`__type`) and message. */
export async function outcome<T>(
  p: Promise<T>,
): Promise<{ ok: true; output: T } | { ok: false; name: string; message: string }> {
  try {
    return { ok: true, output: await p };
  } catch (e) {
    const err = e as { name?: string; message?: string };
    return { ok: false, name: err.name ?? 'Error', message: err.message ?? '' };
  }
}
