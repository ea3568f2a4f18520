import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signStoreflow } from '#domain/ingestion/signatures';
import { loadAssembly } from '../../local/runtime/assembly.ts';
import { DataDirLockedError, LOCK_FILE } from '../../local/runtime/data-dir.ts';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';
import { constructId } from '../../local/runtime/secrets.ts';

/**
 * The real app on the runtime, attacked the way a web page or another local process would:
 * foreign Host headers (DNS rebinding) and cross-site browser requests. Also: secrets from the
 * environment, one runtime per data directory, what the logs keep out.
 */
let runtime: Runtime;
let root: string;
let dataDir: string;
let port: number;
let fileSecrets: { adminToken: string; secrets: Record<string, string> };
const lines: string[] = [];
const ENV_SECRET = 'storeflow-secret-from-the-environment';
const SHOPIFY_SECRET_ID = 'ShopifyWebhookSecret';
/** construct id → the secret's name, from the template */
let secretNames: Record<string, string>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'storeflow-security-'));
  dataDir = join(root, 'data'); // made by the runtime
  runtime = await startRuntime({
    assemblyDir: inject('appAssembly'),
    dataDir,
    port: 0,
    clock: 'virtual',
    environment: { STOREFLOW_WEBHOOK_SECRET: ENV_SECRET, UNRELATED: 'x' },
    log: (line) => lines.push(line),
  });
  port = runtime.port;
  secretNames = Object.fromEntries(
    loadAssembly(inject('appAssembly'))
      .byType('AWS::SecretsManager::Secret')
      .map((s) => [constructId(s.logicalId), s.name]),
  );
  fileSecrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
});

afterAll(async () => {
  await runtime?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with exactly these headers (fetch cannot set Host). */
function send(method: string, path: string, headers: Record<string, string>, body = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const aws = (target: string, body: unknown, headers: Record<string, string> = {}) =>
  send(
    'POST',
    '/',
    { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1', ...headers },
    JSON.stringify(body),
  );

const getSecret = (headers: Record<string, string> = {}, id = SHOPIFY_SECRET_ID) =>
  aws('secretsmanager.GetSecretValue', { SecretId: secretNames[id] }, headers);

const FOREIGN = () => `evil.example:${port}`;
const clockNow = async () => JSON.parse((await send('GET', '/_local/clock', {})).text).now as string;

describe('a foreign Host (DNS rebinding) is refused on every route', () => {
  it('GetSecretValue: 403 AccessDeniedException naming the Host, and no secret', async () => {
    const ok = await getSecret();
    expect(ok.status).toBe(200);
    const reply = await getSecret({ host: FOREIGN() });
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toBe('application/x-amz-json-1.1');
    const body = JSON.parse(reply.text);
    expect(body.__type).toBe('AccessDeniedException');
    expect(body.message).toContain(`"${FOREIGN()}"`);
    expect(reply.text).not.toContain(fileSecrets.secrets[SHOPIFY_SECRET_ID]!);
  });

  it('the clock controls: 403, and the clock does not move', async () => {
    const before = await clockNow();
    const reply = await send('POST', '/_local/clock/advance', { host: FOREIGN() }, '{"seconds":3600}');
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text)).toEqual({ message: expect.stringContaining(`"${FOREIGN()}"`) });
    expect(await clockNow()).toBe(before);
  });

  it('the operations API, even with the admin token: 403 {message}', async () => {
    const path = '/api/orders/o-1/timeline';
    const auth = { authorization: `Bearer ${fileSecrets.adminToken}` };
    expect((await send('GET', path, auth)).status).toBe(200);
    const reply = await send('GET', path, { ...auth, host: FOREIGN() });
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.text).message).toMatch(/^Host "evil\.example:\d+" is not this runtime/);
  });

  it('DynamoDB Scan: 403 in DynamoDB’s protocol, and no items', async () => {
    const target = 'DynamoDB_20120810.Scan';
    const table = runtime.summary.tables[0]!.replace(/ \(.*\)$/, '');
    const reply = await aws(
      target,
      { TableName: table },
      { host: FOREIGN(), 'content-type': 'application/x-amz-json-1.0' },
    );
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(reply.text)).toEqual({ __type: 'AccessDeniedException', message: expect.any(String) });
  });

  it('a signed webhook for a foreign Host is refused and nothing is recorded', async () => {
    const body = JSON.stringify({
      id: 'evt-rebinding-1',
      type: 'presale.cancelled',
      occurredAt: new Date(runtime.clock.now()).toISOString(),
      data: { orderId: 'po-rebinding-1', reason: 'customer request' },
    });
    const signature = signStoreflow(body, ENV_SECRET, Math.floor(runtime.clock.now() / 1000));
    const headers = { 'content-type': 'application/json', 'storeflow-signature': signature };
    expect((await send('POST', '/webhooks/storeflow', { ...headers, host: FOREIGN() }, body)).status).toBe(
      403,
    );
    await runtime.settle();
    const timeline = await send('GET', '/api/orders/po-rebinding-1/timeline', {
      authorization: `Bearer ${fileSecrets.adminToken}`,
    });
    expect(JSON.parse(timeline.text).items).toEqual([]);
  });

  it('accepts the loopback names with the port, as the SDK, the CLI and curl send them', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await send('GET', '/health', { host })).status).toBe(200);
    }
    expect((await send('GET', '/health', { host: '127.0.0.1' })).status).toBe(403);
  });

  it('logs each refusal, without the query', async () => {
    await send('GET', '/api/orders/o-1/timeline?token=leaked-in-a-query', { host: FOREIGN() });
    expect(lines).toContain(`refused GET /api/orders/o-1/timeline?token=…: foreign Host "${FOREIGN()}"`);
    expect(lines.join('\n')).not.toContain('leaked-in-a-query');
  });
});

describe('cross-site browser requests to the controls and the AWS endpoints are refused', () => {
  it('POST /_local/settle from another origin: 403', async () => {
    const reply = await send('POST', '/_local/settle', {
      origin: 'http://evil.example',
      'content-type': 'text/plain',
    });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text).message).toMatch(/Origin "http:\/\/evil\.example" is not this runtime/);
    expect((await send('POST', '/_local/settle', {})).status).toBe(200);
  });

  it('GetSecretValue from another origin: 403, and the secret does not leave', async () => {
    const browsers: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: `http://localhost:${port + 1}` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of browsers) {
      const reply = await getSecret(headers);
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.text).__type).toBe('AccessDeniedException');
      expect(reply.text).not.toContain(fileSecrets.secrets[SHOPIFY_SECRET_ID]!);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('a CORS preflight for X-Amz-Target: 403, no CORS grant', async () => {
    const reply = await send('OPTIONS', '/', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-amz-target',
    });
    expect(reply.status).toBe(403);
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('PutEvents from another site: 403, nothing delivered', async () => {
    const reply = await aws(
      'AWSEvents.PutEvents',
      {
        Entries: [{ EventBusName: runtime.summary.buses[0], Source: 'evil', DetailType: 'X', Detail: '{}' }],
      },
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(reply.status).toBe(403);
  });

  it('leaves the app’s own routes to other origins (they are an HTTP API; the token guards them)', async () => {
    const reply = await send('GET', '/api/orders/o-1/timeline', {
      origin: 'http://evil.example',
      authorization: `Bearer ${fileSecrets.adminToken}`,
    });
    expect(reply.status).toBe(200);
  });
});

describe('SDK clients keep working', () => {
  const sdk = () => ({
    endpoint: runtime.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

  it('reads a secret and scans the table', async () => {
    const sm = new SecretsManagerClient(sdk());
    const secret = await sm.send(new GetSecretValueCommand({ SecretId: secretNames[SHOPIFY_SECRET_ID] }));
    expect(secret.SecretString).toBe(fileSecrets.secrets[SHOPIFY_SECRET_ID]);
    const ddb = new DynamoDBClient(sdk());
    const table = runtime.summary.tables[0]!.replace(/ \(.*\)$/, '');
    expect((await ddb.send(new ScanCommand({ TableName: table, Limit: 1 }))).$metadata.httpStatusCode).toBe(
      200,
    );
    sm.destroy();
    ddb.destroy();
  });
});

describe('secrets from the environment', () => {
  it('are served instead of the file’s, named in the summary, and never written to secrets.json', async () => {
    expect(runtime.summary.secretsFromEnvironment).toEqual(['STOREFLOW_WEBHOOK_SECRET']);
    const served = await getSecret({}, 'StoreflowWebhookSecret');
    expect(served.status).toBe(200);
    expect(JSON.parse(served.text).SecretString).toBe(ENV_SECRET);
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).not.toContain(ENV_SECRET);
    expect(fileSecrets.secrets.StoreflowWebhookSecret).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sign the webhooks: the environment’s secret is accepted, the file’s is not', async () => {
    const deliver = (id: string, secret: string) => {
      const body = JSON.stringify({
        id,
        type: 'presale.cancelled',
        occurredAt: new Date(runtime.clock.now()).toISOString(),
        data: { orderId: `po-${id}`, reason: 'customer request' },
      });
      return send(
        'POST',
        '/webhooks/storeflow',
        {
          'content-type': 'application/json',
          'storeflow-signature': signStoreflow(body, secret, Math.floor(runtime.clock.now() / 1000)),
        },
        body,
      );
    };
    expect((await deliver('env-1', ENV_SECRET)).status).toBe(200);
    expect((await deliver('file-1', fileSecrets.secrets.StoreflowWebhookSecret!)).status).toBe(401);
    await runtime.settle();
  });
});

describe('the request log', () => {
  it('shows the path and the query’s names, never its values', async () => {
    const reply = await send(
      'GET',
      '/api/orders/o-1/timeline?cursor=secret-cursor&access_token=secret-token',
      {
        authorization: `Bearer ${fileSecrets.adminToken}`,
      },
    );
    expect(reply.status).toBeLessThan(500);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^GET \/api\/orders\/o-1\/timeline\?cursor=…&access_token=… → GET \/api\/orders\/\{orderId\}\/timeline \d+ \d+ms$/,
        ),
      ]),
    );
    expect(lines.join('\n')).not.toMatch(/secret-cursor|secret-token/);
  });
});

describe('the data directory', () => {
  it.skipIf(process.platform === 'win32')('is created 0700', () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });

  it('is locked: a second runtime on it stops at once, naming the directory and the running one', async () => {
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
      port,
      url: runtime.url,
    });
    const secretsBefore = readFileSync(join(dataDir, 'secrets.json'), 'utf8');
    const second = startRuntime({ assemblyDir: inject('appAssembly'), dataDir, port: 0, clock: 'virtual' });
    await expect(second).rejects.toThrow(DataDirLockedError);
    await expect(second).rejects.toThrow(
      new RegExp(
        `^the data directory ${dataDir} is in use by another storeflow runtime \\(pid ${process.pid}, serving ${runtime.url},`,
      ),
    );
    // the first one is untouched
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toBe(secretsBefore);
    expect((await send('GET', '/health', {})).status).toBe(200);
  });
});

describe('on close', () => {
  it('writes functions.log as one JSON record per line, each naming its function, and releases the lock', async () => {
    await runtime.close();
    const functions = new Set(runtime.summary.functions.map((f) => f.name));
    const records = readFileSync(join(dataDir, 'logs', 'functions.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { function: string; stream: string; message?: string });
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(functions.has(record.function)).toBe(true);
      expect(['stdout', 'stderr']).toContain(record.stream);
    }
    expect(records.some((r) => r.message === 'event recorded on timeline')).toBe(true);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
