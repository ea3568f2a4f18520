import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalResource } from '../../local/runtime/assembly.ts';
import { loadSecrets } from '../../local/runtime/secrets.ts';

const secret = (logicalId: string, name: string): LocalResource => ({
  stackName: 'storeflow-dev-app',
  logicalId,
  type: 'AWS::SecretsManager::Secret',
  name,
  arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-AbCdEf`,
  ref: name,
  attributes: {},
  properties: {},
  metadata: {},
});
const TEMPLATE = [
  secret('ShopifyWebhookSecret92080596', 'storeflow/dev/shopify-webhook'),
  secret('StoreflowWebhookSecretA1B2C3D4', 'storeflow/dev/storeflow-webhook'),
];

describe('the storefront write key', () => {
  it('is generated with the other secrets and overridden by STOREFLOW_WRITE_KEY', () => {
    const template = [...TEMPLATE, secret('StorefrontWriteKey', 'storeflow/dev/write-key')];
    const generated = loadSecrets(dir, template, {});
    expect(generated.values.StorefrontWriteKey).toMatch(/^[0-9a-f]{64}$/);
    const overridden = loadSecrets(dir, template, { STOREFLOW_WRITE_KEY: 'wk_new wk_old' });
    expect(overridden.find('storeflow/dev/write-key')?.value).toBe('wk_new wk_old');
    expect(overridden.fromEnvironment).toEqual(['STOREFLOW_WRITE_KEY']);
    expect(saved().secrets.StorefrontWriteKey).toBe(generated.values.StorefrontWriteKey);
  });
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'storeflow-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = () => join(dir, 'secrets.json');
const saved = () =>
  JSON.parse(readFileSync(file(), 'utf8')) as { adminToken: string; secrets: Record<string, string> };

describe('local secrets', () => {
  it('are generated once into secrets.json (0600) and served by ARN or name', () => {
    const first = loadSecrets(dir, TEMPLATE);
    expect(first.fromEnvironment).toEqual([]);
    expect(saved()).toEqual({ adminToken: first.adminToken, secrets: first.values });
    expect(first.values.ShopifyWebhookSecret).toMatch(/^[0-9a-f]{64}$/);
    if (process.platform !== 'win32') expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(first.find('storeflow/dev/shopify-webhook')?.value).toBe(first.values.ShopifyWebhookSecret);
    expect(first.find(TEMPLATE[1]!.arn)?.value).toBe(first.values.StoreflowWebhookSecret);
    expect(loadSecrets(dir, TEMPLATE).values).toEqual(first.values);
  });

  it('take SHOPIFY_WEBHOOK_SECRET, STOREFLOW_WEBHOOK_SECRET and STOREFLOW_ADMIN_TOKEN from the environment', () => {
    const environment = {
      SHOPIFY_WEBHOOK_SECRET: 'shpss_from_env',
      STOREFLOW_WEBHOOK_SECRET: 'storeflow-from-env',
      STOREFLOW_ADMIN_TOKEN: 'token-from-env',
    };
    const secrets = loadSecrets(dir, TEMPLATE, environment);
    expect(secrets.adminToken).toBe('token-from-env');
    expect(secrets.values).toEqual({
      ShopifyWebhookSecret: 'shpss_from_env',
      StoreflowWebhookSecret: 'storeflow-from-env',
    });
    expect(secrets.find('storeflow/dev/shopify-webhook')?.value).toBe('shpss_from_env');
    expect(secrets.fromEnvironment).toEqual([
      'STOREFLOW_ADMIN_TOKEN',
      'SHOPIFY_WEBHOOK_SECRET',
      'STOREFLOW_WEBHOOK_SECRET',
    ]);
    // the file keeps generated values of its own: the environment's are never written
    const text = readFileSync(file(), 'utf8');
    for (const value of Object.values(environment)) expect(text).not.toContain(value);
    expect(saved().secrets.ShopifyWebhookSecret).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leave the file as it is when the environment overrides some values', () => {
    const mine = `${JSON.stringify(
      {
        adminToken: 'file-token',
        secrets: { ShopifyWebhookSecret: 'file-shopify', StoreflowWebhookSecret: 'file-sf' },
      },
      null,
      2,
    )}\n`;
    writeFileSync(file(), mine, { mode: 0o600 });
    const secrets = loadSecrets(dir, TEMPLATE, {
      SHOPIFY_WEBHOOK_SECRET: 'env-shopify',
      STOREFLOW_ADMIN_TOKEN: '',
    });
    expect(secrets.values).toEqual({
      ShopifyWebhookSecret: 'env-shopify',
      StoreflowWebhookSecret: 'file-sf',
    });
    expect(secrets.adminToken).toBe('file-token'); // an empty variable counts as unset
    expect(secrets.fromEnvironment).toEqual(['SHOPIFY_WEBHOOK_SECRET']);
    expect(readFileSync(file(), 'utf8')).toBe(mine);
  });

  it('ignore a variable for a secret the template does not have', () => {
    const secrets = loadSecrets(dir, [], { SHOPIFY_WEBHOOK_SECRET: 'unused' });
    expect(secrets.values).toEqual({});
    expect(secrets.fromEnvironment).toEqual([]);
  });
});
