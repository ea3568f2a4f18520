import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantIndexQuery, grantTable } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';

export interface MetricsProps extends FeatureProps {
  /** The store's storefront write key(s) (StatefulStack.storefrontWriteKey). */
  readonly writeKey: ISecret;
}

/**
 * Metrics (SPEC §8, issue #16, decision 31, docs/rules/metrics.md): storefront events in batches
 * under the store's write key, deduplicated by a write per minute and shard of their `at` and kept
 * in compressed segments per store day; paid orders and refunds from the bus; the funnel, GMV decomposition, channel ROI,
 * sell-through and retention read on the operations API.
 */
export class Metrics extends Construct {
  constructor(scope: Construct, id: string, props: MetricsProps) {
    super(scope, id);
    const { config, table, bus, routes, targets } = props;
    const environment = {
      TABLE_NAME: table.tableName,
      STORE_TIME_ZONE: config.storeTimeZone,
      STORE_CURRENCY: config.storeCurrency,
    };

    const storefront = new StoreflowFunction(this, 'Storefront', {
      entry: 'receive-storefront-events',
      description:
        'POST /events/storefront: a batch of storefront events under the write key, per-event outcomes',
      config,
      // A 500-event batch is a few dedupe writes (a minute and shard each) and one or two segments.
      memorySize: 512,
      // The HTTP API waits 30 s at most; a batch takes well under a second unless the host starves.
      timeout: Duration.seconds(29),
      environment: {
        ...environment,
        STOREFLOW_WRITE_KEY_ARN: props.writeKey.secretArn,
        STOREFRONT_ORIGINS: config.storefrontOrigins.join(','),
        STOREFRONT_EVENTS_PER_SECOND: String(config.storefrontEventsPerSecond),
      },
    }).fn;
    // UpdateItem: the dedupe slots and the rate window; PutItem: the event segments.
    grantTable(table, storefront, 'dynamodb:UpdateItem', 'dynamodb:PutItem');
    props.writeKey.grantRead(storefront);
    for (const route of [ROUTES.storefrontEvents, ROUTES.storefrontPreflight]) {
      routes.storefront(route, storefront);
    }

    const events = new StoreflowFunction(this, 'Events', {
      entry: 'metrics-events',
      description: 'Keeps paid orders and refunds from the bus for the metrics',
      config,
      environment,
    }).fn;
    grantTable(table, events, 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    new Rule(this, 'OrderEventsRule', {
      eventBus: bus,
      description: 'Paid orders and refunds, for the metrics',
      eventPattern: { source: ['storeflow.orders'], detailType: ['OrderPaid', 'RefundIssued'] },
      targets: [targets.lambda(events)],
    });

    const api = new StoreflowFunction(this, 'Api', {
      entry: 'metrics-api',
      description: 'The funnel, GMV decomposition, channel ROI, sell-through and retention',
      config,
      // A 93-day period reads (and decompresses) every event segment in it.
      timeout: Duration.seconds(29),
      memorySize: 1024,
      environment,
    }).fn;
    grantTable(table, api, 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:PutItem');
    grantIndexQuery(table, api);
    for (const route of [
      ROUTES.metricsFunnel,
      ROUTES.metricsGmv,
      ROUTES.metricsChannels,
      ROUTES.metricsSellThrough,
      ROUTES.metricsRetention,
      ROUTES.putChannel,
    ]) {
      routes.operator(route, api);
    }
  }
}
