import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { tableSchema } from '#adapters/dynamodb/schema';
import { createApp } from '#lib/app';
import { ROUTES } from '#lib/stacks/app-stack';

type Resources = Record<
  string,
  {
    Type: string;
    Properties: Record<string, unknown>;
    DeletionPolicy?: string;
    UpdateReplacePolicy?: string;
  }
>;

/**
 * Template tests skip bundling; the cdk-nag test below reads the bundles the global setup made
 * (esbuild, no Docker).
 */
const noBundling = { 'aws:cdk:bundling-stacks': [] as string[] };

function synth(context: Record<string, string> = {}) {
  const built = createApp({ context: { ...noBundling, ...context } });
  const stateful = Template.fromStack(built.stateful);
  const app = Template.fromStack(built.application);
  return { built, stateful, app };
}

let dev: ReturnType<typeof synth>;
let prod: ReturnType<typeof synth>;

beforeAll(() => {
  dev = synth();
  prod = synth({ stage: 'prod', jwtIssuer: 'https://auth.example.com/', jwtAudience: 'storeflow-ops' });
});

describe('stateful stack', () => {
  it('pins the logical ids of everything that holds data', () => {
    const resources = dev.stateful.toJSON().Resources as Resources;
    expect(resources.StoreflowTable?.Type).toBe('AWS::DynamoDB::Table');
    expect(resources.StoreflowEventBus?.Type).toBe('AWS::Events::EventBus');
    expect(resources.StoreflowEventArchive?.Type).toBe('AWS::Events::Archive');
    expect(resources.ShopifyWebhookSecret?.Type).toBe('AWS::SecretsManager::Secret');
    expect(resources.StoreflowWebhookSecret?.Type).toBe('AWS::SecretsManager::Secret');
    expect(resources.StorefrontWriteKey?.Type).toBe('AWS::SecretsManager::Secret');
    for (const id of [
      'StoreflowTable',
      'StoreflowEventBus',
      'StoreflowEventArchive',
      'ShopifyWebhookSecret',
      'StoreflowWebhookSecret',
      'StorefrontWriteKey',
    ]) {
      expect(resources[id]?.DeletionPolicy, id).toBe('Retain');
      expect(resources[id]?.UpdateReplacePolicy, id).toBe('Retain');
    }
  });

  it('builds the single table from the schema module: keys, GSI, TTL, PITR', () => {
    const gsi1 = tableSchema.indexes.gsi1;
    dev.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: tableSchema.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableSchema.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: tableSchema.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: gsi1.indexName,
          KeySchema: [
            { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
            { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      DeletionProtectionEnabled: false,
    });
    prod.stateful.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
  });

  it('archives every event on the bus, longer in prod', () => {
    dev.stateful.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': ['StoreflowEventBus', 'Arn'] },
      RetentionDays: 30,
    });
    prod.stateful.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 365 });
  });
});

/** The app's own functions: CDK's deploy-time BucketDeployment handler (the console's files) aside. */
function functions(template: Template) {
  const all = template.findResources('AWS::Lambda::Function') as Resources;
  return Object.fromEntries(
    Object.entries(all).filter(([id]) => !id.startsWith('CustomCDKBucketDeployment')),
  ) as Resources;
}

/** A function by its construct path (`Ingestion/ReceiveShopifyWebhook` → `IngestionReceiveShopifyWebhook…`). */
function functionNamed(template: Template, path: string): string {
  const prefix = path.replaceAll('/', '');
  const id = Object.keys(functions(template)).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no function ${path}`);
  return id;
}

/** Every IAM statement attached to a function's role. */
function statementsOf(template: Template, functionId: string) {
  const fn = functions(template)[functionId]!;
  const roleRef = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = template.findResources('AWS::IAM::Policy') as Resources;
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleRef))
    .flatMap(
      (p) =>
        (
          p.Properties.PolicyDocument as {
            Statement: Array<{ Action: string | string[]; Resource: unknown }>;
          }
        ).Statement,
    )
    .map((s) => ({ actions: [s.Action].flat().sort(), resource: JSON.stringify(s.Resource) }));
}

describe('app stack functions', () => {
  it('every function runs Node.js 22 or newer on arm64 with its own log group', () => {
    const all = functions(dev.app);
    expect(Object.keys(all)).toHaveLength(34);
    for (const [id, fn] of Object.entries(all)) {
      const runtime = fn.Properties.Runtime as string;
      expect(runtime, id).toMatch(/^nodejs\d+\.x$/);
      expect(Number(/\d+/.exec(runtime)?.[0]), id).toBeGreaterThanOrEqual(22);
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
      expect(fn.Properties.Handler, id).toBe('index.handler');
      expect(fn.Properties.LoggingConfig, id).toMatchObject({
        LogGroup: { Ref: expect.stringContaining('Logs') },
      });
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
    }
    dev.app.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    prod.app.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('no secret value sits in any function environment, only secret ARNs', () => {
    for (const fn of Object.values(functions(dev.app))) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const name of Object.keys(env)) expect(name).not.toMatch(/SECRET$|TOKEN$/);
    }
  });

  it('grants each function only the actions it uses, on its own resources', () => {
    const shopify = statementsOf(dev.app, functionNamed(dev.app, 'Ingestion/ReceiveShopifyWebhook'));
    const storeflow = statementsOf(dev.app, functionNamed(dev.app, 'Ingestion/ReceiveStoreflowWebhook'));
    const record = statementsOf(dev.app, functionNamed(dev.app, 'Timeline/Record'));
    const read = statementsOf(dev.app, functionNamed(dev.app, 'Timeline/Read'));
    const xray = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

    const actions = (s: ReturnType<typeof statementsOf>) => s.flatMap((x) => x.actions).sort();
    expect(actions(shopify)).toEqual(
      [
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'events:PutEvents',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        ...xray,
      ].sort(),
    );
    expect(actions(storeflow)).toEqual(actions(shopify));
    // The recorder may also park a failed async invocation in the DLQ (its OnFailure destination).
    expect(actions(record)).toEqual(
      [
        'dynamodb:BatchWriteItem',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        ...xray,
      ].sort(),
    );
    expect(record.find((x) => x.actions.includes('sqs:SendMessage'))?.resource).toContain('AsyncFailures');
    expect(actions(read)).toEqual(['dynamodb:Query', ...xray].sort());

    for (const statements of [shopify, storeflow, record, read]) {
      for (const st of statements) {
        if (st.actions.every((a) => a.startsWith('xray:'))) continue;
        expect(st.resource).not.toContain('"*"');
        const service = st.actions[0]?.split(':')[0];
        const expected = {
          dynamodb: 'StoreflowTableArn',
          events: 'StoreflowEventBusArn',
          secretsmanager: 'WebhookSecret',
          sqs: 'AsyncFailures',
        }[service!];
        expect(st.resource, st.actions.join()).toContain(expected);
        // Item actions on the table itself, never on its indexes.
        if (service === 'dynamodb') expect(st.resource).not.toContain('/index/');
      }
    }
    // Each ingest function reads only its own platform's secret.
    const secretOf = (s: ReturnType<typeof statementsOf>) =>
      s.find((x) => x.actions.includes('secretsmanager:GetSecretValue'))?.resource;
    expect(secretOf(shopify)).toContain('ShopifyWebhookSecret');
    expect(secretOf(storeflow)).toContain('StoreflowWebhookSecret');
  });
});

describe('HTTP API', () => {
  it('has the webhook routes open (signature-checked) and the operations routes behind IAM', () => {
    const routes = dev.app.findResources('AWS::ApiGatewayV2::Route') as Resources;
    const byKey = Object.fromEntries(
      Object.values(routes).map((r) => [r.Properties.RouteKey, r.Properties.AuthorizationType]),
    );
    expect(byKey).toEqual({
      [ROUTES.shopifyWebhook]: 'NONE',
      [ROUTES.storeflowWebhook]: 'NONE',
      // The write key is checked by the handler (constant time, per-key rate limit).
      [ROUTES.storefrontEvents]: 'NONE',
      [ROUTES.storefrontPreflight]: 'NONE',
      [ROUTES.orderTimeline]: 'AWS_IAM',
      [ROUTES.skuTimeline]: 'AWS_IAM',
      [ROUTES.ticketTimeline]: 'AWS_IAM',
      [ROUTES.putPresale]: 'AWS_IAM',
      [ROUTES.getPresale]: 'AWS_IAM',
      [ROUTES.getPresaleOrder]: 'AWS_IAM',
      ...Object.fromEntries(
        Object.entries(ROUTES)
          .filter(([name]) =>
            /Supplier|Sku$|Skus|RestockPolicy|PurchaseOrder|Promise|slaLedger|PricingRules|Bundle|repricing|skuPrices|Run$|Runs|DeadLetter|deadLetter|overview|^metrics|putChannel|MemberPolicy|Customer|customer|Coupon|Leaderboard|Campaign|campaign|Experiment|experiment|quote/.test(
              name,
            ),
          )
          .map(([, key]) => [key, 'AWS_IAM']),
      ),
    });
  });

  it('gives each API function one integration and one permission, whatever its routes', () => {
    const routes = Object.values(dev.app.findResources('AWS::ApiGatewayV2::Route') as Resources);
    const integrations = dev.app.findResources('AWS::ApiGatewayV2::Integration') as Resources;
    const uri = (i: { Properties: Record<string, unknown> }) => JSON.stringify(i.Properties.IntegrationUri);
    // every route reaches an integration; no two integrations call the same function
    const targets = new Set(routes.map((r) => JSON.stringify(r.Properties.Target)));
    expect(targets.size).toBe(Object.keys(integrations).length);
    const uris = Object.values(integrations).map(uri);
    expect(new Set(uris).size).toBe(uris.length);
    expect(routes.length).toBeGreaterThan(uris.length * 2);
    // API Gateway may invoke each of them from this API (any route), and only from it
    const permissions = Object.values(dev.app.findResources('AWS::Lambda::Permission') as Resources).filter(
      (p) => p.Properties.Principal === 'apigateway.amazonaws.com',
    );
    expect(permissions).toHaveLength(uris.length);
    for (const p of permissions) expect(JSON.stringify(p.Properties.SourceArn)).toMatch(/HttpApi.*\/\*\/\*"/);
    // CloudFormation refuses a stack of more than 500 resources: keep room for the features to come
    expect(Object.keys(dev.app.toJSON().Resources).length).toBeLessThan(400);
  });

  it('uses a JWT authorizer when the stage is given an issuer', () => {
    prod.app.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://auth.example.com/', Audience: ['storeflow-ops'] },
    });
    const routes = prod.app.findResources('AWS::ApiGatewayV2::Route') as Resources;
    const api = Object.values(routes).filter((r) => String(r.Properties.RouteKey).includes('/api/'));
    expect(api.map((r) => r.Properties.AuthorizationType)).toEqual(
      Array(Object.values(ROUTES).filter((r) => r.includes('/api/')).length).fill('JWT'),
    );
  });

  it('logs access and throttles on the default stage', () => {
    dev.app.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });
});

describe('async edges', () => {
  it('routes every storeflow event its producer did not record to the timeline recorder, with retries and a DLQ', () => {
    dev.app.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: [{ prefix: 'storeflow.' }],
        detail: { metadata: { timeline: [{ exists: false }] } },
      },
      Targets: [
        Match.objectLike({
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
    dev.app.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    dev.app.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    // The DLQ's alarm, each workflow's failed-run alarm (presale, restock sweep, approval, the
    // repricing run, the repricing what-if jobs, the members' nightly run, the campaign launch and
    // the A/B test runs) and the SLA timers' lost-timer alarm.
    dev.app.resourceCountIs('AWS::CloudWatch::Alarm', 10);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('synthesizes both stages with no unacknowledged finding; every bundle carries the Lambda credentials', () => {
    for (const context of [noBundling, { stage: 'prod', ...noBundling }]) {
      const { app } = createApp({ context });
      const assembly = app.synth();
      expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([
        `storeflow-${'stage' in context ? 'prod' : 'dev'}-app`,
        `storeflow-${'stage' in context ? 'prod' : 'dev'}-stateful`,
      ]);
    }
    // The bundles: the dev app the global setup synthesized as `cdk synth` does, bundling every
    // function locally (esbuild, no Docker) with the same checks live, and reused while the
    // sources are unchanged. Bundling all of them again here took 15 s idle and over two minutes
    // on the loaded CI machine, for the same files.
    const dir = inject('appAssembly');
    const bundles = readdirSync(dir)
      .filter((d) => d.startsWith('asset.') && existsSync(join(dir, d, 'index.mjs')))
      .map((d) => readFileSync(join(dir, d, 'index.mjs'), 'utf8'));
    expect(bundles.length).toBeGreaterThan(30);
    // every bundle carries the Lambda credentials module, not the SDK's whole default chain
    for (const code of bundles) {
      expect(code).toContain('No credentials: neither AWS_ACCESS_KEY_ID');
      expect(code).not.toContain('Could not load credentials from any providers');
      expect(code).not.toContain('fromSSO');
    }
  }, 120_000);

  it('holds with the account and region known, as `cdk synth` and `cdk deploy` resolve them', () => {
    // Acknowledgements name ARNs; with a known environment their pseudo parameters become values.
    vi.stubEnv('CDK_DEFAULT_ACCOUNT', '123456789012');
    vi.stubEnv('CDK_DEFAULT_REGION', 'ap-southeast-1');
    try {
      for (const context of [
        noBundling,
        { stage: 'prod', ...noBundling },
        { stage: 'staging', alarmEmail: 'ops@example.com', ...noBundling },
      ]) {
        const { app } = createApp({ context });
        expect(app.synth().stacks).toHaveLength(2);
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('would stop synthesis on a finding (the checks are live)', () => {
    const { app, application } = createApp({ context: noBundling });
    new Queue(application as Stack, 'Unencrypted', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4|Validation failed/);
  });

  it('every acknowledgement carries a reason', () => {
    const { app } = createApp({ context: noBundling });
    const acks = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(new Set(acks.map(([id]) => id.replace(/\[.*$/, '')))).toEqual(
      new Set([
        'Annotation::AwsSolutions-SMG4',
        'Annotation::AwsSolutions-IAM4',
        'Annotation::AwsSolutions-IAM5',
        'Annotation::AwsSolutions-SQS3',
        'Annotation::AwsSolutions-APIG4',
        // the console's hosting (lib/constructs/console.ts)
        'Annotation::AwsSolutions-S1',
        'Annotation::AwsSolutions-CFR1',
        'Annotation::AwsSolutions-CFR2',
        'Annotation::AwsSolutions-CFR3',
        'Annotation::AwsSolutions-CFR4',
        'Annotation::AwsSolutions-L1',
      ]),
    );
    for (const [id, reason] of acks) expect(reason.length, id).toBeGreaterThan(40);
  });
});

describe('stages', () => {
  it('refuses a stage name stacks cannot carry and half a JWT configuration', () => {
    expect(() => createApp({ context: { stage: 'QA env' } })).toThrow(
      /context "stage": "QA env" is not a stage name/,
    );
    expect(() => createApp({ context: { jwtIssuer: 'https://x' } })).toThrow(/together/);
  });
});
