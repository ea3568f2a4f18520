import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The Lambda runtime every storeflow function runs on (Node.js 22 or newer, per the platform rules). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

export interface StoreflowFunctionProps {
  /** File under functions/ without `.handler.ts`, e.g. `receive-shopify-webhook`. */
  readonly entry: string;
  readonly description: string;
  readonly config: StageConfig;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 256 MB */
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
}

/**
 * A storeflow Lambda: ESM bundle built locally by esbuild (never Docker) with the AWS SDK bundled
 * in, arm64, the current Node.js runtime, its own log group with the stage's retention, JSON logs
 * through Powertools, and X-Ray tracing. Permissions are added by the caller through grants.
 */
export class StoreflowFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: StoreflowFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.config.logRetention,
      removalPolicy: props.config.disposableRemovalPolicy,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${root}functions/${props.entry}.handler.ts`,
      handler: 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup,
      tracing: Tracing.ACTIVE,
      projectRoot: root,
      depsLockFilePath: `${root}package-lock.json`,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'storeflow',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        STOREFLOW_STAGE: props.config.stage,
        ...props.environment,
      },
      bundling: bundlingOptions,
    });
    const validations = Validations.of(this.fn);
    validations.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWSLambdaBasicExecutionRole only allows writing this function’s CloudWatch logs; it is the AWS-maintained minimum for Lambda logging.',
    });
    validations.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
    });
  }
}

/** Shared by CDK and the bundle benchmark, so what is measured is what deploys. */
export const bundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  platform: 'node',
  minify: true,
  keepNames: false,
  sourceMap: false,
  mainFields: ['module', 'main'] as string[],
  externalModules: [] as string[],
  // the credentials a Lambda function has (environment, container endpoint) in place of the SDK's
  // whole default chain: ~120 KiB less in every bundle (functions/_shared/lambda-credentials.ts)
  esbuildArgs: {
    '--alias:@aws-sdk/credential-provider-node': `${root}functions/_shared/lambda-credentials.ts`,
  },
  banner:
    "import { createRequire as __storeflowCreateRequire } from 'node:module'; const require = __storeflowCreateRequire(import.meta.url);",
  forceDockerBundling: false,
} as const;
