import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { signStoreflow } from '#domain/ingestion/signatures';
import type { Body } from './api-body.ts';

/**
 * Drives the presale feature of a running local runtime the way a platform and an operator do:
 * signed storeflow webhooks, the operations API with the admin token, the virtual clock's local
 * controls, and the Step Functions API for the runs. Shared by the in-process and kill -9 tests.
 */

export interface PresaleClient {
  readonly url: string;
  /** `Bearer <admin token>`, for requests the test makes by hand. */
  readonly authorization: string;
  now(): Promise<number>;
  advance(seconds: number): Promise<void>;
  settle(): Promise<void>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }>;
  webhook(id: string, type: string, data: Record<string, unknown>, occurredAt?: number): Promise<Response>;
  order(orderId: string): Promise<Body>;
  presale(presaleId: string): Promise<Body>;
  timeline(orderId: string): Promise<Array<{ at: string; kind: string; name: string; detail: Body }>>;
  runs(): Promise<Array<{ name: string; status: ExecutionStatus; executionArn: string }>>;
  run(name: string): Promise<{ status: ExecutionStatus; executionArn: string }>;
  history(executionArn: string): Promise<Array<{ type: string; name?: string }>>;
  close(): void;
}

export function presaleClient(url: string, dataDir: string): PresaleClient {
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
    adminToken: string;
    secrets: Record<string, string>;
  };
  const sfn = new SFNClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let machineArn: string | undefined;
  const machine = async () => {
    if (machineArn) return machineArn;
    const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
    machineArn = stateMachines?.find((m) => m.name?.includes('PresaleOrder'))?.stateMachineArn;
    if (!machineArn) throw new Error('no presale order state machine in the runtime');
    return machineArn;
  };
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { now: string };
  };
  const client: PresaleClient = {
    url,
    authorization: `Bearer ${secrets.adminToken}`,
    async now() {
      const res = await fetch(`${url}/_local/clock`);
      return Date.parse(((await res.json()) as { now: string }).now);
    },
    async advance(seconds) {
      await post('/_local/clock/advance', { seconds });
    },
    async settle() {
      await post('/_local/settle');
    },
    async api(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: client.authorization, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async webhook(id, type, data, occurredAt) {
      const at = occurredAt ?? (await client.now());
      const body = JSON.stringify({ id, type, occurredAt: new Date(at).toISOString(), data });
      return fetch(`${url}/webhooks/storeflow`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'storeflow-signature': signStoreflow(
            body,
            secrets.secrets.StoreflowWebhookSecret!,
            Math.floor((await client.now()) / 1000),
          ),
        },
        body,
      });
    },
    async order(orderId) {
      const res = await client.api('GET', `/api/presale-orders/${encodeURIComponent(orderId)}`);
      if (res.status !== 200) throw new Error(`order ${orderId}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async presale(presaleId) {
      const res = await client.api('GET', `/api/presales/${encodeURIComponent(presaleId)}`);
      if (res.status !== 200)
        throw new Error(`presale ${presaleId}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async timeline(orderId) {
      const items: Array<{ at: string; kind: string; name: string; detail: Body }> = [];
      let cursor: string | undefined;
      do {
        const query = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
        const res = await client.api('GET', `/api/orders/${encodeURIComponent(orderId)}/timeline${query}`);
        if (res.status !== 200) throw new Error(`timeline ${orderId}: ${res.status}`);
        items.push(...res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      return items;
    },
    async runs() {
      const out: Array<{ name: string; status: ExecutionStatus; executionArn: string }> = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: await machine(), maxResults: 1000, nextToken }),
        );
        for (const e of page.executions ?? []) {
          out.push({ name: e.name!, status: e.status!, executionArn: e.executionArn! });
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },
    async run(name) {
      const arn = `${(await machine()).replace(':stateMachine:', ':execution:')}:${name}`;
      const e = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      return { status: e.status!, executionArn: arn };
    },
    async history(executionArn) {
      const events: Array<{ type: string; name?: string }> = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
        );
        for (const e of page.events ?? []) {
          events.push({ type: e.type!, name: e.stateEnteredEventDetails?.name });
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return events;
    },
    close() {
      sfn.destroy();
    },
  };
  return client;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A presale open for deposits now: deposit window from an hour ago for `depositDays`, then the
 * default 72 h balance window. 5 000 CNY, deposit 500 worth 1 000: the balance due is 4 000 CNY.
 */
export function presaleBody(now: number, overrides: Record<string, unknown> = {}, depositDays = 1) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    sku: 'SOFA-OAK-3',
    listPrice: { amount: 500_000, currency: 'CNY' },
    deposit: { amount: 50_000, currency: 'CNY' },
    depositValue: { amount: 100_000, currency: 'CNY' },
    depositWindow: { start: iso(now - HOUR), end: iso(now + depositDays * DAY) },
    shipWithinDays: 30,
    quota: 10,
    forfeitPolicy: 'keep',
    ...overrides,
  };
}

export const DEPOSIT = { amount: 50_000, currency: 'CNY' } as const;
export const BALANCE_DUE = { amount: 400_000, currency: 'CNY' } as const;
export { DAY, HOUR };
