import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '#lib/app';
import { ConfigError, stageConfig } from '#lib/config';
import { PROJECT_ROOT } from '../../local/runtime/build.ts';

/**
 * What a team needs on day one of deploying (README "Deploy"): any stage name, the secrets' ARNs
 * and the commands that set them as outputs, and every alarm notifying one topic.
 */
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const noBundling = { 'aws:cdk:bundling-stacks': [] as string[] };
const synth = (context: Record<string, string> = {}) => {
  const built = createApp({ context: { ...noBundling, ...context } });
  return {
    built,
    stateful: Template.fromStack(built.stateful),
    app: Template.fromStack(built.application),
  };
};

let staging: ReturnType<typeof synth>;
let dev: ReturnType<typeof synth>;
beforeAll(() => {
  staging = synth({ stage: 'staging', alarmEmail: 'ops@example.com' });
  dev = synth();
});

describe('stage names', () => {
  it('any stage name makes its own pair of stacks, with dev’s settings unless it is prod', () => {
    expect(staging.built.stateful.stackName).toBe('storeflow-staging-stateful');
    expect(staging.built.application.stackName).toBe('storeflow-staging-app');
    expect(staging.built.config).toMatchObject({ stage: 'staging', defaults: 'dev', protectData: false });
    staging.stateful.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    staging.app.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STOREFLOW_STAGE: 'staging' }) },
    });
  });

  it('-c stageDefaults=prod gives another stage prod’s protection and retention', () => {
    const config = stageConfig((key) => ({ stage: 'eu-prod', stageDefaults: 'prod' })[key]);
    expect(config).toMatchObject({ stage: 'eu-prod', defaults: 'prod', protectData: true });
    expect(stageConfig((key) => ({ stage: 'prod' })[key]).defaults).toBe('prod');
    expect(() => stageConfig((key) => ({ stageDefaults: 'qa' })[key])).toThrow(
      new ConfigError('context "stageDefaults" must be dev or prod, got "qa"'),
    );
  });

  it('refuses names that stack and bucket names cannot carry, naming the rule', () => {
    for (const name of ['Staging', 'qa env', '1st', 'qa-', 'a--b', 'x'.repeat(25)]) {
      expect(() => stageConfig((key) => ({ stage: name })[key]), name).toThrow(ConfigError);
    }
    expect(() => stageConfig((key) => ({ stage: 'Staging' })[key])).toThrow(
      /^context "stage": "Staging" is not a stage name: a letter, then lower-case letters, digits and single hyphens, at most 24 characters/,
    );
    expect(() => stageConfig((key) => ({ alarmEmail: 'ops at example' })[key])).toThrow(
      new ConfigError('context "alarmEmail" must be one email address, got "ops at example"'),
    );
  });

  it('`cdk synth -c stage=Staging` prints the reason on one line and exits 1, no stack trace', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'storeflow-synth-'));
    try {
      // How the CDK CLI runs the app (cdk.json "app") and hands it `-c` values.
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/storeflow.ts'], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ stage: 'Staging' }), CDK_OUTDIR: outdir },
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(
        'storeflow: context "stage": "Staging" is not a stage name: a letter, then lower-case letters, digits and single hyphens, at most 24 characters (e.g. dev, staging, prod, eu-prod)\n',
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the webhook secrets after the first deploy', () => {
  it('outputs each secret’s ARN and the exact command that sets it from a shell variable', () => {
    const outputs = staging.stateful.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ShopifyWebhookSecretArn?.Value).toEqual({ Ref: 'ShopifyWebhookSecret' });
    expect(outputs.StoreflowWebhookSecretArn?.Value).toEqual({ Ref: 'StoreflowWebhookSecret' });
    for (const [id, variable] of [
      ['ShopifyWebhookSecret', 'SHOPIFY_APP_SECRET'],
      ['StoreflowWebhookSecret', 'STOREFLOW_SECRET'],
    ] as const) {
      expect(outputs[`Set${id}`]?.Value).toEqual({
        'Fn::Join': [
          '',
          [
            'aws secretsmanager put-secret-value --region ',
            { Ref: 'AWS::Region' },
            ' --secret-id ',
            { Ref: id },
            ` --secret-string "$${variable}"`,
          ],
        ],
      });
    }
  });
});

describe('alarm notifications', () => {
  const topicId = (t: Template) => Object.keys(t.findResources('AWS::SNS::Topic'))[0]!;

  it('every alarm notifies the one topic on ALARM and on OK', () => {
    for (const t of [staging.app, dev.app]) {
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm') as Resources);
      expect(alarms.length).toBeGreaterThanOrEqual(5);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions, String(alarm.Properties.AlarmDescription)).toEqual([
          { Ref: topicId(t) },
        ]);
        expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId(t) }]);
      }
    }
  });

  it('an alarm a feature adds later is wired too (the aspect runs at synthesis)', async () => {
    const { Alarm, Metric } = await import('aws-cdk-lib/aws-cloudwatch');
    const built = createApp({ context: noBundling });
    new Alarm(built.application, 'LateAlarm', {
      metric: new Metric({ namespace: 'Test', metricName: 'Late' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    const t = Template.fromStack(built.application);
    const late = Object.entries(t.findResources('AWS::CloudWatch::Alarm') as Resources).find(([id]) =>
      id.startsWith('LateAlarm'),
    )![1];
    expect(late.Properties.AlarmActions).toEqual([{ Ref: topicId(t) }]);
  });

  it('the topic is encrypted with a rotating key CloudWatch may use for this stack’s alarms only', () => {
    const t = staging.app;
    const keys = t.findResources('AWS::KMS::Key') as Resources;
    expect(Object.keys(keys)).toHaveLength(1);
    const [keyId, key] = Object.entries(keys)[0]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const onlyOurAlarms = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudwatch:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':alarm:storeflow-staging-app-*',
            ],
          ],
        },
      },
    };
    const statements = (key.Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: onlyOurAlarms,
      }),
    );
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: onlyOurAlarms,
          }),
        ]),
      },
    });
    expect(staging.app.toJSON().Outputs.AlarmTopicArn.Value).toEqual({ Ref: topicId(t) });
  });

  it('subscribes the email from context, and nobody without it', () => {
    staging.app.resourceCountIs('AWS::SNS::Subscription', 1);
    staging.app.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId(staging.app) },
    });
    dev.app.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});
