import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantTable } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';

/**
 * The timeline (SPEC §9, docs/rules/timeline.md): every storeflow event, with the webhook delivery
 * it came from, recorded on the timeline of every business key it concerns; read by order and SKU.
 */
export class Timeline extends Construct {
  constructor(scope: Construct, id: string, props: FeatureProps) {
    super(scope, id);
    const { config, table, bus, routes, targets } = props;
    const record = new StoreflowFunction(this, 'Record', {
      entry: 'record-timeline',
      description: 'Records every storeflow event on the timelines of the business keys it concerns',
      config,
      // An order of 2,000 SKUs writes ~4,000 lines (160 batches): bounded, but not in 10 s.
      timeout: Duration.seconds(60),
      environment: { TABLE_NAME: table.tableName },
    }).fn;
    grantTable(table, record, 'dynamodb:BatchWriteItem');
    new Rule(this, 'RecordRule', {
      eventBus: bus,
      description: 'Every storeflow event goes on the timeline, but those whose producer recorded it',
      eventPattern: {
        source: [{ prefix: 'storeflow.' }] as unknown as string[],
        // A producer that writes thousands of events at once writes their lines itself (decision 33).
        detail: { metadata: { timeline: [{ exists: false }] } },
      },
      targets: [targets.lambda(record)],
    });

    const read = new StoreflowFunction(this, 'Read', {
      entry: 'get-timeline',
      description: 'The timeline of an order, a SKU or an after-sales ticket',
      config,
      environment: { TABLE_NAME: table.tableName },
    }).fn;
    grantTable(table, read, 'dynamodb:Query');
    routes.operator(ROUTES.orderTimeline, read);
    routes.operator(ROUTES.skuTimeline, read);
    routes.operator(ROUTES.ticketTimeline, read);
  }
}
