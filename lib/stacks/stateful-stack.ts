import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { tableSchema } from '#adapters/dynamodb/schema';
import type { StageConfig } from '../config.ts';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * What must outlive any deployment: the single table, the storeflow bus with its archive, and the
 * webhook signing secrets. Retained on delete; the table is deletion-protected in prod. Logical
 * ids are pinned (tests assert them): renaming a construct must never replace the data.
 */
export class StatefulStack extends Stack {
  readonly table: ITable;
  readonly bus: IEventBus;
  readonly shopifySecret: ISecret;
  readonly storeflowSecret: ISecret;
  readonly storefrontWriteKey: ISecret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    const table = new Table(this, 'Table', {
      partitionKey: { name: tableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableSchema.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: config.protectData,
      timeToLiveAttribute: tableSchema.ttlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const gsi1 = tableSchema.indexes.gsi1;
    table.addGlobalSecondaryIndex({
      indexName: gsi1.indexName,
      partitionKey: { name: gsi1.partitionKey, type: AttributeType.STRING },
      sortKey: { name: gsi1.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    pin(table, 'StoreflowTable');
    this.table = table;

    const bus = new EventBus(this, 'EventBus', {});
    bus.applyRemovalPolicy(RemovalPolicy.RETAIN);
    pin(bus, 'StoreflowEventBus');
    const archive = bus.archive('Archive', {
      description: 'Every storeflow event, for replay',
      eventPattern: { account: [Stack.of(this).account] },
      retention: config.archiveRetention,
    });
    archive.applyRemovalPolicy(RemovalPolicy.RETAIN);
    pin(archive, 'StoreflowEventArchive');
    this.bus = bus;

    this.shopifySecret = this.webhookSecret(
      'ShopifyWebhookSecret',
      'Shopify app secret that signs X-Shopify-Hmac-Sha256',
      'SHOPIFY_APP_SECRET',
    );
    this.storeflowSecret = this.webhookSecret(
      'StoreflowWebhookSecret',
      'Secret that signs Storeflow-Signature webhooks',
      'STOREFLOW_SECRET',
    );

    this.storefrontWriteKey = this.writeKey();

    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
  }

  /**
   * The storefront write key (issue #16): generated here, shipped in the storefront's JavaScript,
   * rotated by the operator (the value may hold the new and the old key, space-separated, while a
   * new storefront build rolls out; handlers pick a change up within five minutes).
   */
  private writeKey(): ISecret {
    const secret = new Secret(this, 'StorefrontWriteKey', {
      description:
        'Storefront write key(s) for POST /events/storefront (X-Storeflow-Write-Key); several keys space-separated during a rotation',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pin(secret, 'StorefrontWriteKey');
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The write key is built into storefront JavaScript; rotating it needs a storefront release, so the operator rotates it (old and new key side by side), not a Secrets Manager rotation Lambda.',
    });
    new CfnOutput(this, 'StorefrontWriteKeyArn', {
      value: secret.secretArn,
      description: 'Storefront write key (ARN): aws secretsmanager get-secret-value --secret-id <arn>',
    });
    return secret;
  }

  /**
   * A webhook signing secret, with its ARN and the exact command that sets its value as stack
   * outputs (`cdk deploy` prints them; the value comes from the named shell variable, never the
   * template).
   */
  private webhookSecret(id: string, description: string, variable: string): ISecret {
    const secret = new Secret(this, id, {
      description: `${description}. Replace the generated value with the platform's secret.`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pin(secret, id);
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Webhook signing secrets are issued by the platform (Shopify app secret, partner secret); they are rotated there and pasted in, so Secrets Manager cannot rotate them itself.',
    });
    new CfnOutput(this, `${id}Arn`, { value: secret.secretArn, description: `${description} (ARN)` });
    new CfnOutput(this, `Set${id}`, {
      value: `aws secretsmanager put-secret-value --region ${this.region} --secret-id ${secret.secretArn} --secret-string "$${variable}"`,
      description: `Sets the ${id} from $${variable} (run once after the first deploy, and after each rotation)`,
    });
    return secret;
  }
}

/** Pins a resource's CloudFormation logical id: stateful logical ids are API. */
function pin(construct: Construct, logicalId: string): void {
  const cfn = construct.node.defaultChild as { overrideLogicalId(id: string): void } | undefined;
  if (!cfn) throw new Error(`${construct.node.path} has no CloudFormation resource to pin`);
  cfn.overrideLogicalId(logicalId);
}
