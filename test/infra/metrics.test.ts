import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError, stageConfig } from '#lib/config';
import { statementsOf } from '#test/support/iam';
import { appTemplate } from '#test/support/workflow-harness';

/** Metrics' infrastructure as CloudFormation sees it (issue #16, decision 31). */
const actionsOf = (prefix: string) => statementsOf(prefix).flatMap((s) => s.actions);

describe('metrics (template)', () => {
  it('gives the storefront endpoint the write key, its origins and rate, and only UpdateItem and PutItem', () => {
    const template = appTemplate();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('POST /events/storefront'),
      Environment: {
        Variables: Match.objectLike({
          STOREFLOW_WRITE_KEY_ARN: Match.anyValue(),
          STOREFRONT_ORIGINS: 'http://localhost:3000,http://127.0.0.1:3000',
          STOREFRONT_EVENTS_PER_SECOND: '20000',
          STORE_TIME_ZONE: 'Asia/Shanghai',
        }),
      },
    });
    expect(actionsOf('MetricsStorefront').sort()).toEqual(
      [
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ].sort(),
    );
    const secret = statementsOf('MetricsStorefront').find((s) =>
      s.actions.includes('secretsmanager:GetSecretValue'),
    );
    expect(secret?.resource).toContain('StorefrontWriteKey');
    for (const s of statementsOf('MetricsStorefront')) {
      if (s.actions[0]?.startsWith('dynamodb')) expect(s.resource).not.toContain('/index/');
    }
  });

  it('reads paid orders and refunds from the bus into the metrics, with the DLQ behind', () => {
    const template = appTemplate();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['storeflow.orders'], 'detail-type': ['OrderPaid', 'RefundIssued'] },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
    expect(
      actionsOf('MetricsEvents')
        .filter((a) => a.startsWith('dynamodb'))
        .sort(),
    ).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(
      actionsOf('MetricsApi')
        .filter((a) => a.startsWith('dynamodb'))
        .sort(),
    ).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Query']);
  });

  it('takes storefront origins and the per-key rate from context, refusing bad values by name', () => {
    const ctx = (values: Record<string, unknown>) => (key: string) => values[key];
    expect(stageConfig(ctx({})).storefrontOrigins).toEqual([
      'http://localhost:3000',
      'http://127.0.0.1:3000',
    ]);
    expect(stageConfig(ctx({ stage: 'prod' })).storefrontOrigins).toEqual([]);
    expect(
      stageConfig(ctx({ storefrontOrigins: 'https://shop.example.com, https://m.example.com' }))
        .storefrontOrigins,
    ).toEqual(['https://shop.example.com', 'https://m.example.com']);
    expect(() => stageConfig(ctx({ storefrontOrigins: 'https://shop.example.com/path' }))).toThrow(
      /storefrontOrigins/,
    );
    expect(() => stageConfig(ctx({ storefrontEventsPerSecond: '10' }))).toThrow(ConfigError);
    expect(stageConfig(ctx({ storefrontEventsPerSecond: '5000' })).storefrontEventsPerSecond).toBe(5000);
  });

  it('keeps the write key as a retained Secrets Manager secret with its ARN as an output', () => {
    const template = appTemplate('stateful').toJSON() as {
      Resources: Record<string, { Type: string; DeletionPolicy?: string }>;
      Outputs: Record<string, unknown>;
    };
    expect(template.Resources.StorefrontWriteKey).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      DeletionPolicy: 'Retain',
    });
    expect(Object.keys(template.Outputs)).toContain('StorefrontWriteKeyArn');
  });
});
