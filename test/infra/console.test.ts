import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '#lib/app';
import { buildConsole, CONSOLE_FILES } from '../../console/build.ts';

/**
 * The operations console (issue #14, decision 28): its build fits the budget, and the AppStack
 * hosts it privately (S3 through CloudFront's origin access control) with its config and CORS.
 */
const BUDGET_BYTES = 150 * 1024;
const noBundling = { 'aws:cdk:bundling-stacks': [] as string[] };
let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'storeflow-console-build-'));
  buildConsole(out);
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the console build', () => {
  it('is index.html, one script and one stylesheet, under 150 KB gzipped together', () => {
    const sizes = Object.fromEntries(
      CONSOLE_FILES.map((f) => [f, gzipSync(readFileSync(join(out, f)), { level: 9 }).length]),
    );
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    expect(total, JSON.stringify(sizes)).toBeLessThanOrEqual(BUDGET_BYTES);
    // the bundle really holds the UI library and the graph layout (the budget is measured on them)
    const js = readFileSync(join(out, 'app.js'), 'utf8');
    expect(js).toContain('storeflow.token');
    expect(js.length).toBeGreaterThan(40_000);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('src="./app.js"');
    expect(html).toContain('href="./app.css"');
  });
});

describe('the console on AWS', () => {
  const synth = (context: Record<string, string> = {}) =>
    Template.fromStack(createApp({ context: { ...noBundling, ...context } }).application);
  let dev: Template;
  let prod: Template;
  beforeAll(() => {
    dev = synth();
    prod = synth({ stage: 'prod', jwtIssuer: 'https://auth.example.com/', jwtAudience: 'storeflow-ops' });
  });

  it('keeps the build in a private, encrypted bucket that only the distribution reads', () => {
    dev.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.anyValue(),
    });
    const policies = Object.values(dev.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
    expect(JSON.stringify(allows[0]!.Condition)).toContain('ConsoleDistribution');
    expect(
      statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s).includes('aws:SecureTransport')),
    ).toBe(true);
    dev.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('serves it over HTTPS from index.html with security headers', () => {
    dev.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
        }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
      }),
    });
    const headers = JSON.stringify(dev.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    expect(headers).toContain("default-src 'none'; script-src 'self'");
    expect(headers).toContain("frame-ancestors 'none'");
    expect(headers).toContain('"FrameOption":"DENY"');
  });

  it('deploys the build and a config.json naming the API, and opens CORS to the console alone', () => {
    const [deployment] = Object.values(dev.findResources('Custom::CDKBucketDeployment'));
    expect(deployment!.Properties).toMatchObject({
      Prune: true,
      DistributionPaths: ['/*'],
      SourceObjectKeys: [expect.stringMatching(/\.zip$/), expect.stringMatching(/\.zip$/)],
    });
    // config.json's marker is the API's endpoint, filled in by CloudFormation
    expect(JSON.stringify(deployment!.Properties.SourceMarkers)).toMatch(/HttpApi\w+","ApiEndpoint"/);
    // where the local runtime finds the build (asset.<hash> once bundled; here bundling is skipped)
    expect(deployment!.Metadata['storeflow:console']).toEqual(expect.any(String));
    dev.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [
          {
            'Fn::Join': [
              '',
              ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^ConsoleDistribution'), 'DomainName'] }],
            ],
          },
          // the dev stage's storefront origins (issue #16), which send storefront events
          'http://localhost:3000',
          'http://127.0.0.1:3000',
        ],
        AllowHeaders: ['authorization', 'content-type', 'x-storeflow-write-key'],
        AllowMethods: Match.arrayWith(['GET', 'POST']),
        ExposeHeaders: ['retry-after'],
        MaxAge: 600,
      },
    });
    const outputs = dev.findOutputs('*');
    expect(outputs.ConsoleUrl?.Value).toEqual({
      'Fn::Join': [
        '',
        ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^ConsoleDistribution/), 'DomainName'] }],
      ],
    });
  });

  it('keeps a disposable stage deletable and a prod stage’s bucket and files retained', () => {
    const [devBucket] = Object.values(dev.findResources('AWS::S3::Bucket'));
    expect(devBucket!.DeletionPolicy).toBe('Delete');
    const [prodBucket] = Object.values(prod.findResources('AWS::S3::Bucket'));
    expect(prodBucket!.DeletionPolicy).toBe('Retain');
    const [devDeployment] = Object.values(dev.findResources('Custom::CDKBucketDeployment'));
    const [prodDeployment] = Object.values(prod.findResources('Custom::CDKBucketDeployment'));
    expect(devDeployment!.Properties.RetainOnDelete).toBe(false);
    expect(prodDeployment!.Properties.RetainOnDelete).not.toBe(false); // BucketDeployment's default: retain
  });
});
