import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export type StageName = 'dev' | 'prod';

/** How the operations API (`/api/*`) authenticates callers on AWS. */
export type OperatorAuth =
  | { readonly kind: 'iam' }
  | { readonly kind: 'jwt'; readonly issuer: string; readonly audience: string[] };

/** Everything that differs between stages, decided once in the composition root. */
export interface StageConfig {
  readonly stage: StageName;
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
}

const stages: Record<StageName, Omit<StageConfig, 'operatorAuth' | 'storeCurrency' | 'storeTimeZone'>> = {
  dev: {
    stage: 'dev',
    protectData: false,
    logRetention: RetentionDays.TWO_WEEKS,
    disposableRemovalPolicy: RemovalPolicy.DESTROY,
    archiveRetention: Duration.days(30),
    throttle: { rateLimit: 50, burstLimit: 100 },
  },
  prod: {
    stage: 'prod',
    protectData: true,
    logRetention: RetentionDays.THREE_MONTHS,
    disposableRemovalPolicy: RemovalPolicy.RETAIN,
    archiveRetention: Duration.days(365),
    throttle: { rateLimit: 500, burstLimit: 1000 },
  },
};

/**
 * Reads the stage from context (`-c stage=prod`, default dev) and the optional operator JWT
 * settings (`-c jwtIssuer=https://... -c jwtAudience=storeflow-ops`); without them the operations
 * API uses IAM authorization.
 */
export function stageConfig(context: (key: string) => unknown): StageConfig {
  const stage = (context('stage') ?? 'dev') as string;
  if (stage !== 'dev' && stage !== 'prod')
    throw new Error(`context "stage" must be dev or prod, got "${stage}"`);
  const issuer = context('jwtIssuer') as string | undefined;
  const audience = context('jwtAudience') as string | undefined;
  if (Boolean(issuer) !== Boolean(audience)) {
    throw new Error('context "jwtIssuer" and "jwtAudience" must be given together');
  }
  const currency = (context('storeCurrency') ?? 'CNY') as string;
  if (!/^[A-Z]{3}$/.test(currency))
    throw new Error(`context "storeCurrency" must be an ISO-4217 code, got "${currency}"`);
  const timeZone = (context('storeTimeZone') ?? 'Asia/Shanghai') as string;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new Error(
      `context "storeTimeZone" must be an IANA time zone such as Asia/Shanghai, got "${timeZone}"`,
    );
  }
  return {
    ...stages[stage],
    storeCurrency: currency,
    storeTimeZone: timeZone,
    operatorAuth:
      issuer && audience
        ? { kind: 'jwt', issuer, audience: audience.split(',').map((a) => a.trim()) }
        : { kind: 'iam' },
  };
}
