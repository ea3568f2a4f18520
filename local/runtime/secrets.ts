import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalResource } from './assembly.ts';

/**
 * Local secret values, kept in `<data>/secrets.json` (mode 0600) and generated on first start:
 * the operations API's admin token and one value per Secrets Manager secret of the template, keyed
 * by the secret's construct id (e.g. `ShopifyWebhookSecret`). Edit the file to use your own values.
 * The runtime serves them through the Secrets Manager API so handlers read them exactly as on AWS.
 *
 * The environment overrides the file (see {@link SECRET_ENVIRONMENT}): a store that runs storeflow
 * locally keeps its real Shopify app secret in its environment, not in a file. An overridden value
 * is served but never written to `secrets.json`, which keeps its own value.
 */
export interface LocalSecrets {
  readonly file: string;
  readonly adminToken: string;
  /** construct id → value */
  readonly values: Record<string, string>;
  /** the environment variables whose values are used instead of the file's, e.g. `SHOPIFY_WEBHOOK_SECRET` */
  readonly fromEnvironment: string[];
  /** A secret by ARN or name, as GetSecretValue's SecretId accepts. */
  find(secretId: string): { readonly arn: string; readonly name: string; readonly value: string } | undefined;
}

/** `ShopifyWebhookSecret92080596` → `ShopifyWebhookSecret` (the construct id without CDK's hash). */
export const constructId = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

/** The environment variable that overrides each local secret (construct id, or `adminToken`). */
export const SECRET_ENVIRONMENT: Readonly<Record<string, string>> = {
  adminToken: 'STOREFLOW_ADMIN_TOKEN',
  ShopifyWebhookSecret: 'SHOPIFY_WEBHOOK_SECRET',
  StoreflowWebhookSecret: 'STOREFLOW_WEBHOOK_SECRET',
  StorefrontWriteKey: 'STOREFLOW_WRITE_KEY',
};

/**
 * Reads (or creates) `<dataDir>/secrets.json` and applies the overrides found in `environment`
 * (the CLI passes `process.env`; an empty variable counts as unset).
 */
export function loadSecrets(
  dataDir: string,
  secrets: LocalResource[],
  environment: Readonly<Record<string, string | undefined>> = {},
): LocalSecrets {
  const file = join(dataDir, 'secrets.json');
  let saved: { adminToken?: unknown; secrets?: Record<string, unknown> } = {};
  let raw = '';
  try {
    raw = readFileSync(file, 'utf8');
    saved = JSON.parse(raw);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `${file}: not valid JSON (${(error as Error).message}); fix it or delete it to regenerate`,
      );
    }
  }
  const generate = () => randomBytes(32).toString('hex');
  const adminToken = typeof saved.adminToken === 'string' && saved.adminToken ? saved.adminToken : generate();
  const values: Record<string, string> = {};
  for (const secret of secrets) {
    const id = constructId(secret.logicalId);
    const existing = saved.secrets?.[id];
    values[id] = typeof existing === 'string' && existing ? existing : generate();
  }
  const text = `${JSON.stringify({ adminToken, secrets: values }, null, 2)}\n`;
  if (text !== raw) {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  }
  const fromEnvironment: string[] = [];
  const override = (key: string, fileValue: string): string => {
    const variable = SECRET_ENVIRONMENT[key];
    const value = variable === undefined ? undefined : environment[variable];
    if (variable === undefined || value === undefined || value === '') return fileValue;
    fromEnvironment.push(variable);
    return value;
  };
  const served = {
    adminToken: override('adminToken', adminToken),
    values: Object.fromEntries(Object.entries(values).map(([id, value]) => [id, override(id, value)])),
  };
  const byId = new Map<string, { arn: string; name: string; value: string }>();
  for (const secret of secrets) {
    const entry = {
      arn: secret.arn,
      name: secret.name,
      value: served.values[constructId(secret.logicalId)]!,
    };
    byId.set(secret.arn, entry);
    byId.set(secret.name, entry);
  }
  return {
    file,
    adminToken: served.adminToken,
    values: served.values,
    fromEnvironment,
    find: (secretId) => byId.get(secretId),
  };
}
