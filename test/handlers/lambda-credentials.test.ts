import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/_shared/lambda-credentials.ts';

/**
 * The credentials every function's bundle carries in place of the SDK's default chain (esbuild's
 * alias in lib/constructs/storeflow-function.ts): the environment Lambda sets, then a container
 * credentials endpoint, then a clear failure — never SSO, ini files or the instance metadata service.
 */
const NAMES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
] as const;
const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
const clear = () => {
  for (const n of NAMES) delete process.env[n];
};

let server: Server;
let served = 0;
let seenAuthorization: string | undefined;
const expiration = new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  server = createServer((req, res) => {
    served++;
    seenAuthorization = req.headers.authorization;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        AccessKeyId: 'AKIDCONTAINER',
        SecretAccessKey: 'container-secret',
        Token: 'container-token',
        Expiration: expiration,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  clear();
  for (const n of NAMES) if (saved[n] !== undefined) process.env[n] = saved[n];
  served = 0;
});

describe('the functions’ credentials', () => {
  it('are the ones Lambda puts in the environment, session token included', async () => {
    clear();
    process.env.AWS_ACCESS_KEY_ID = 'AKIDENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    process.env.AWS_SESSION_TOKEN = 'env-token';
    const credentials = await defaultProvider()();
    expect(credentials).toMatchObject({
      accessKeyId: 'AKIDENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'env-token',
    });
    expect(served).toBe(0);
  });

  it('fall back to a container credentials endpoint, with its authorization token', async () => {
    clear();
    const { port } = server.address() as AddressInfo;
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${port}/creds`;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'container-auth';
    const provider = defaultProvider();
    const credentials = await provider();
    expect(credentials).toMatchObject({ accessKeyId: 'AKIDCONTAINER', sessionToken: 'container-token' });
    expect(credentials.expiration?.toISOString()).toBe(expiration);
    expect(seenAuthorization).toBe('container-auth');
    // memoized until 5 minutes before they expire
    await provider();
    expect(served).toBe(1);
  });

  it('fail with what was looked for when there are none (no SSO, ini file or metadata service)', async () => {
    clear();
    process.env.AWS_PROFILE = 'someone';
    await expect(defaultProvider()()).rejects.toThrow(
      /No credentials: neither AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY nor a container credentials URI/,
    );
  });

  it('sign a real client’s requests when given to it', async () => {
    clear();
    process.env.AWS_ACCESS_KEY_ID = 'AKIDENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    let authorization: string | undefined;
    const api = createServer((req, res) => {
      authorization = req.headers.authorization;
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      res.end(JSON.stringify({ TableNames: [] }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
        credentials: defaultProvider(),
      });
      await client.send(new ListTablesCommand({}));
      expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDENV\//);
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
