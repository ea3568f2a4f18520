import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantTable } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';

export interface WebhookIngestionProps extends FeatureProps {
  readonly shopifySecret: ISecret;
  readonly storeflowSecret: ISecret;
}

/**
 * The way in (SPEC §1, docs/rules/ingestion.md): `POST /webhooks/shopify` and
 * `POST /webhooks/storeflow` verify, check, deduplicate by business fact and publish canonical
 * events on the bus. Each function reads only its own platform's signing secret.
 */
export class WebhookIngestion extends Construct {
  constructor(scope: Construct, id: string, props: WebhookIngestionProps) {
    super(scope, id);
    const { config, table, bus, routes } = props;
    const environment = {
      TABLE_NAME: table.tableName,
      EVENT_BUS_NAME: bus.eventBusName,
      STORE_CURRENCY: config.storeCurrency,
    };
    const shopify = new StoreflowFunction(this, 'ReceiveShopifyWebhook', {
      entry: 'receive-shopify-webhook',
      description: 'POST /webhooks/shopify: verify, dedupe, normalize and publish Shopify webhooks',
      config,
      environment: { ...environment, SHOPIFY_WEBHOOK_SECRET_ARN: props.shopifySecret.secretArn },
    }).fn;
    const storeflow = new StoreflowFunction(this, 'ReceiveStoreflowWebhook', {
      entry: 'receive-storeflow-webhook',
      description: 'POST /webhooks/storeflow: verify, dedupe, normalize and publish storeflow events',
      config,
      environment: { ...environment, STOREFLOW_WEBHOOK_SECRET_ARN: props.storeflowSecret.secretArn },
    }).fn;
    for (const fn of [shopify, storeflow]) {
      // BatchWriteItem: the inventory items a product names, and the timeline line of a delivery
      // that publishes no event.
      grantTable(
        table,
        fn,
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:BatchWriteItem',
      );
      bus.grantPutEventsTo(fn);
    }
    props.shopifySecret.grantRead(shopify);
    props.storeflowSecret.grantRead(storeflow);
    routes.webhook(ROUTES.shopifyWebhook, shopify);
    routes.webhook(ROUTES.storeflowWebhook, storeflow);
  }
}
