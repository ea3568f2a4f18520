import {
  AssetHashType,
  type CfnElement,
  CfnOutput,
  type CfnResource,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type { CfnApi, HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildConsole, CONSOLE_SOURCE } from '../../console/build.ts';
import type { StageConfig } from '../config.ts';

/**
 * Template metadata naming the built console's asset directory in the cloud assembly: the local
 * runtime serves that directory at `/console` (local/runtime/console.ts), so both run the same build.
 */
export const CONSOLE_ASSET_METADATA = 'storeflow:console';

export interface ConsoleProps {
  readonly config: StageConfig;
  /** The HTTP API whose operations routes the console calls (CORS is opened to the console only). */
  readonly api: HttpApi;
}

/** The browser's rules for the console's pages: its own scripts only, the API for data. */
function contentSecurityPolicy(apiOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${apiOrigin}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The operations console on AWS: the static app (console/, built by esbuild during synthesis) in a
 * private S3 bucket, served by CloudFront through origin access control, with a `config.json`
 * naming the API URL and how operators sign in (a JWT when the stage has an issuer). The HTTP API
 * answers CORS preflights for the distribution's origin alone. Deployed with the app: a new build
 * replaces the files and invalidates the distribution.
 */
export class Console extends Construct {
  readonly distribution: Distribution;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const { config, api } = props;

    const bucket = new Bucket(this, 'Assets', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: config.disposableRemovalPolicy,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the console build, public-by-design static files rewritten on each deploy; requests are logged by CloudFront, not S3 (reads come only through the distribution).',
    });

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: `storeflow ${config.stage} console: security headers`,
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy(
            `https://*.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`,
          ),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `storeflow ${config.stage} operations console`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Operators sign in from wherever they work; the pages are static and every call for data goes to the operations API behind its authorizer, so there is no content to restrict by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves a static build only (GET/HEAD, no origin logic); the data is behind the HTTP API authorizer and its throttling, where a WAF would belong.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Access logs of a static bundle would record page loads only; every operation an operator makes is logged by the HTTP API access log with the caller.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate allows TLSv1 on the viewer side; teams with their own domain set a certificate and TLSv1.2_2021 (minimumProtocolVersion is set for that case).',
      },
    );
    this.url = `https://${this.distribution.distributionDomainName}`;

    // The HTTP API answers the browser's CORS preflights for the console's origin and the
    // storefront origins (which send storefront events with the write key; issue #16). With CORS
    // configured, API Gateway answers preflights itself and ignores a backend's CORS headers.
    (api.node.defaultChild as CfnApi).addPropertyOverride('CorsConfiguration', {
      AllowOrigins: [this.url, ...config.storefrontOrigins],
      AllowHeaders: ['authorization', 'content-type', 'x-storeflow-write-key'],
      AllowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'],
      ExposeHeaders: ['retry-after'],
      MaxAge: 600,
    });

    // The build: esbuild during synthesis (no Docker; the image is never pulled while the local
    // bundling succeeds), hashed on its output.
    const build = new Asset(this, 'Build', {
      path: CONSOLE_SOURCE,
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: {
          tryBundle(outputDir: string) {
            buildConsole(outputDir);
            return true;
          },
        },
      },
    });
    const deployment = new BucketDeployment(this, 'Deploy', {
      destinationBucket: bucket,
      sources: [
        Source.bucket(build.bucket, build.s3ObjectKey),
        Source.jsonData('config.json', {
          apiUrl: api.apiEndpoint,
          auth: config.operatorAuth.kind,
          stage: config.stage,
        }),
      ],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      // A disposable stage's bucket is emptied on delete, so the stack deletes cleanly.
      retainOnDelete: config.disposableRemovalPolicy === RemovalPolicy.RETAIN,
      memoryLimit: 256,
    });
    const custom = deployment.node.tryFindChild('CustomResource')?.node.defaultChild as
      | CfnResource
      | undefined;
    (custom ?? (deployment.node.findAll().find((c) => c.node.id === 'Default') as CfnResource)).addMetadata(
      CONSOLE_ASSET_METADATA,
      build.assetPath,
    );
    this.#acknowledgeDeploymentHandler(deployment, bucket);

    new CfnOutput(this, 'Url', {
      value: this.url,
      description: 'The operations console (sign in with a JWT from the operator issuer)',
    }).overrideLogicalId('ConsoleUrl');
  }

  /**
   * CDK's BucketDeployment runs one handler per stack (a singleton at the stack's root, shared by
   * every deployment): its findings are acknowledged there, each with its reason.
   */
  #acknowledgeDeploymentHandler(deployment: BucketDeployment, bucket: Bucket): void {
    const stack = Stack.of(this);
    const literal = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const assets = `arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${literal(stack.account, 'AWS::AccountId')}-${literal(stack.region, 'AWS::Region')}/*`;
    const own = `<${stack.getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>/*`;
    const s3 =
      'the build asset is read from the CDK assets bucket and copied into the console bucket, whose old files are deleted (prune)';
    Validations.of(deployment.handlerRole).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's BucketDeployment handler uses AWSLambdaBasicExecutionRole for its own CloudWatch logs only; it runs only while CloudFormation deploys the console.",
      },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `CDK's BucketDeployment grant (${action}) on two buckets only: ${s3}.`,
      })),
      {
        id: `AwsSolutions-IAM5[Resource::${assets}]`,
        reason: `CDK's BucketDeployment reads the build asset's object in the CDK assets bucket: ${s3}.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::${own}]`,
        reason: `CDK's BucketDeployment writes and prunes the console bucket's objects: ${s3}.`,
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudfront:CreateInvalidation/GetInvalidation, which BucketDeployment calls after copying, do not support resource-level permissions in its policy.',
      },
    );
    // With the invalidation policy on the execution role (cdk.json's feature flag), it sits here.
    Validations.of(deployment).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudfront:CreateInvalidation/GetInvalidation, which BucketDeployment calls after copying, do not support resource-level permissions in its policy.',
    });
    const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          "CDK's BucketDeployment handler (Python, with the AWS CLI layer) is pinned by aws-cdk-lib and runs only during deployment; it is upgraded with aws-cdk-lib.",
      });
    }
  }
}
