import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRuntime } from '../../local/runtime/runtime.ts';

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-reopen-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('closing the runtime', () => {
  it('releases the embedded store: a second runtime opens the same data directory right after', async () => {
    const start = () =>
      startRuntime({ assemblyDir: inject('fixtureAssembly'), dataDir, port: 0, clock: 'virtual' });
    const client = (url: string) =>
      new DynamoDBClient({
        endpoint: url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
    const first = await start();
    const a = client(first.url);
    const { TableNames = [] } = await a.send(new ListTablesCommand({}));
    const TableName = TableNames[0]!;
    expect(TableName).toBeDefined();
    const key = { pk: { S: 'reopen' }, sk: { S: 'reopen' } };
    await a.send(new PutItemCommand({ TableName, Item: { ...key, note: { S: 'kept' } } }));
    a.destroy();
    await first.close();

    const second = await start();
    const b = client(second.url);
    try {
      const got = await b.send(new GetItemCommand({ TableName, Key: key }));
      expect(got.Item?.note).toEqual({ S: 'kept' });
    } finally {
      b.destroy();
      await second.close();
    }
  });
});
