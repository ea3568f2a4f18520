import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '#lib/synth';
import { LOCAL_ACCOUNT, loadAssembly, UnsupportedResourceError } from '../../local/runtime/assembly.ts';

let outdir: string;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'storeflow-assembly-'));
  synthesize(outdir, { 'aws:cdk:bundling-stacks': [] });
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('loading the synthesized app', () => {
  it('resolves cross-stack imports, Refs and GetAtts to local names and ARNs', () => {
    const assembly = loadAssembly(outdir);
    const [table] = assembly.byType('AWS::DynamoDB::Table');
    const [bus] = assembly.byType('AWS::Events::EventBus');
    expect(table?.name).toBe('storeflow-dev-stateful-StoreflowTable');
    const shopify = assembly
      .byType('AWS::Lambda::Function')
      .find((f) => f.logicalId.startsWith('IngestionReceiveShopifyWebhook'));
    const env = (shopify!.properties.Environment as { Variables: Record<string, string> }).Variables;
    expect(env.TABLE_NAME).toBe(table?.name);
    expect(env.EVENT_BUS_NAME).toBe(bus?.name);
    expect(env.SHOPIFY_WEBHOOK_SECRET_ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:/);

    const rule = assembly
      .byType('AWS::Events::Rule')
      .find((r) => r.logicalId.startsWith('TimelineRecordRule'));
    const target = (rule!.properties.Targets as Array<{ Arn: string; DeadLetterConfig: { Arn: string } }>)[0];
    expect(target?.Arn).toBe(
      `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${assembly.byType('AWS::Lambda::Function').find((f) => f.logicalId.startsWith('TimelineRecord'))?.name}`,
    );
    expect(assembly.byArn(target!.DeadLetterConfig.Arn)?.type).toBe('AWS::SQS::Queue');

    const routes = assembly.byType('AWS::ApiGatewayV2::Route').map((r) => r.properties.RouteKey);
    expect(routes).toContain('POST /webhooks/shopify');
  });

  it('refuses a resource type it cannot run, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeflow-bad-assembly-'));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'manifest.json'),
        JSON.stringify({
          version: '55.0.0',
          artifacts: { s: { type: 'aws:cloudformation:stack', properties: { templateFile: 's.json' } } },
        }),
      );
      writeFileSync(
        join(dir, 's.json'),
        JSON.stringify({ Resources: { Db: { Type: 'AWS::RDS::DBInstance', Properties: {} } } }),
      );
      expect(() => loadAssembly(dir)).toThrow(UnsupportedResourceError);
      expect(() => loadAssembly(dir)).toThrow(
        's/Db: resource type AWS::RDS::DBInstance is not supported by the local runtime',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
