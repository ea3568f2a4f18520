import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { stageNameProblem } from './stage-name.ts';

/** Any stage name (`dev`, `staging`, `prod`, `eu-prod`; see stage-name.ts). */
export type StageName = string;

/** The two sets of stage settings: every stage takes one (prod's for `prod`, dev's otherwise). */
export type StageDefaults = 'dev' | 'prod';

/**
 * A mistake in the CDK context (`-c stage=…`): bin/storeflow.ts prints its message alone, with no
 * stack trace, and exits 1.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** How the operations API (`/api/*`) authenticates callers on AWS. */
export type OperatorAuth =
  | { readonly kind: 'iam' }
  | { readonly kind: 'jwt'; readonly issuer: string; readonly audience: string[] };

/** Everything that differs between stages, decided once in the composition root. */
export interface StageConfig {
  readonly stage: StageName;
  /** Whose settings the stage has (`-c stageDefaults=prod` gives a staging stage prod's). */
  readonly defaults: StageDefaults;
  /** Retained stateful resources; deletion protection on the table. */
  readonly protectData: boolean;
  readonly logRetention: RetentionDays;
  /** Log groups and other disposable resources. */
  readonly disposableRemovalPolicy: RemovalPolicy;
  readonly archiveRetention: Duration;
  readonly operatorAuth: OperatorAuth;
  readonly storeCurrency: string;
  /** The store's IANA time zone: where its schedules tick (default Asia/Shanghai). */
  readonly storeTimeZone: string;
  /** Steady-state and burst request limits on the HTTP API. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Where alarms also send an email (`-c alarmEmail=ops@example.com`); the SNS topic exists either way. */
  readonly alarmEmail?: string;
  /**
   * Browser origins allowed to send storefront events (CORS on `POST /events/storefront`):
   * `-c storefrontOrigins=https://shop.example.com,https://m.example.com`; dev allows
   * http://localhost:3000 and http://127.0.0.1:3000 by default, prod none.
   */
  readonly storefrontOrigins: readonly string[];
  /** Storefront events per second one write key may send (`-c storefrontEventsPerSecond=20000`). */
  readonly storefrontEventsPerSecond: number;
  /**
   * How a repricing page's conditional writes go (`-c repricingWrites=single`): `transaction`
   * (default: one TransactWriteItems a page, twice the write units) or `single` (one UpdateItem a
   * SKU, the standard units, ~100 calls a page); decision 50, docs/repricing-scale.md.
   */
  readonly repricingWrites: 'transaction' | 'single';
}

type Settings = Omit<
  StageConfig,
  | 'stage'
  | 'defaults'
  | 'operatorAuth'
  | 'storeCurrency'
  | 'storeTimeZone'
  | 'alarmEmail'
  | 'storefrontOrigins'
  | 'storefrontEventsPerSecond'
  | 'repricingWrites'
>;

const DEFAULT_STOREFRONT_ORIGINS: Record<StageDefaults, readonly string[]> = {
  dev: ['http://localhost:3000', 'http://127.0.0.1:3000'],
  prod: [],
};
/** An origin as browsers send it: scheme, host, optional port; no path. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

const settings: Record<StageDefaults, Settings> = {
  dev: {
    protectData: false,
    logRetention: RetentionDays.TWO_WEEKS,
    disposableRemovalPolicy: RemovalPolicy.DESTROY,
    archiveRetention: Duration.days(30),
    throttle: { rateLimit: 50, burstLimit: 100 },
  },
  prod: {
    protectData: true,
    logRetention: RetentionDays.THREE_MONTHS,
    disposableRemovalPolicy: RemovalPolicy.RETAIN,
    archiveRetention: Duration.days(365),
    throttle: { rateLimit: 500, burstLimit: 1000 },
  },
};

/** A readable email address: something@domain.tld, no spaces or commas (one address). */
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

const text = (context: (key: string) => unknown, key: string): string | undefined => {
  const value = context(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new ConfigError(`context "${key}" must be a string, got ${JSON.stringify(value)}`);
  return value;
};

/**
 * Reads the stage from context (`-c stage=staging`, default dev: any stage name, with prod's
 * settings for `prod` and dev's otherwise unless `-c stageDefaults=prod|dev` says), the optional
 * operator JWT settings (`-c jwtIssuer=https://... -c jwtAudience=storeflow-ops`; without them the
 * operations API uses IAM authorization) and the optional `-c alarmEmail=`. A bad value is a
 * {@link ConfigError} naming the context key.
 */
export function stageConfig(context: (key: string) => unknown): StageConfig {
  const stage = text(context, 'stage') ?? 'dev';
  const problem = stageNameProblem(stage);
  if (problem) throw new ConfigError(`context "stage": ${problem}`);
  const defaults = text(context, 'stageDefaults') ?? (stage === 'prod' ? 'prod' : 'dev');
  if (defaults !== 'dev' && defaults !== 'prod')
    throw new ConfigError(`context "stageDefaults" must be dev or prod, got "${defaults}"`);
  const issuer = text(context, 'jwtIssuer');
  const audience = text(context, 'jwtAudience');
  if (Boolean(issuer) !== Boolean(audience)) {
    throw new ConfigError('context "jwtIssuer" and "jwtAudience" must be given together');
  }
  const currency = text(context, 'storeCurrency') ?? 'CNY';
  if (!/^[A-Z]{3}$/.test(currency))
    throw new ConfigError(`context "storeCurrency" must be an ISO-4217 code, got "${currency}"`);
  const timeZone = text(context, 'storeTimeZone') ?? 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new ConfigError(
      `context "storeTimeZone" must be an IANA time zone such as Asia/Shanghai, got "${timeZone}"`,
    );
  }
  const originsText = text(context, 'storefrontOrigins');
  const storefrontOrigins =
    originsText === undefined
      ? DEFAULT_STOREFRONT_ORIGINS[defaults]
      : originsText
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean);
  for (const origin of storefrontOrigins) {
    if (!ORIGIN.test(origin)) {
      throw new ConfigError(
        `context "storefrontOrigins" must list origins such as https://shop.example.com, got "${origin}"`,
      );
    }
  }
  const rateText = text(context, 'storefrontEventsPerSecond') ?? '20000';
  const storefrontEventsPerSecond = Number(rateText);
  if (!Number.isInteger(storefrontEventsPerSecond) || storefrontEventsPerSecond < 500) {
    throw new ConfigError(
      `context "storefrontEventsPerSecond" must be an integer of at least 500 (one full batch), got "${rateText}"`,
    );
  }
  const repricingWrites = text(context, 'repricingWrites') ?? 'transaction';
  if (repricingWrites !== 'transaction' && repricingWrites !== 'single') {
    throw new ConfigError(
      `context "repricingWrites" must be transaction or single, got "${repricingWrites}"`,
    );
  }
  const alarmEmail = text(context, 'alarmEmail');
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) {
    throw new ConfigError(`context "alarmEmail" must be one email address, got "${alarmEmail}"`);
  }
  return {
    ...settings[defaults],
    stage,
    defaults,
    storeCurrency: currency,
    storeTimeZone: timeZone,
    storefrontOrigins,
    storefrontEventsPerSecond,
    repricingWrites,
    ...(alarmEmail ? { alarmEmail } : {}),
    operatorAuth:
      issuer && audience
        ? { kind: 'jwt', issuer, audience: audience.split(',').map((a) => a.trim()) }
        : { kind: 'iam' },
  };
}
