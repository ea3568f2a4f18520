import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { RepricingRunWorkflow } from '#workflows/repricing-run';
import { RepricingWhatIfWorkflow } from '#workflows/repricing-what-if';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantIndexQuery, grantTable, ITEM_READ_WRITE } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';
import { workflowClock } from './workflow-clock.ts';

/**
 * Scheduled repricing (SPEC §6, docs/rules/repricing.md, decision 24): the hourly run (an
 * EventBridge Scheduler clock in the store's time zone → a Standard run per store hour, a
 * Distributed Map over the priced SKUs' buckets), competitor prices and sales from the bus, bundles
 * recomputed on every price change, and the pricing operations API (rules, bundles, dry run,
 * what-if, price history). A SKU's pricing fields are set through the restock API's SKU route.
 */
export class Repricing extends Construct {
  constructor(scope: Construct, id: string, props: FeatureProps) {
    super(scope, id);
    const { config, table, bus, routes, targets } = props;
    const environment = { TABLE_NAME: table.tableName, EVENT_BUS_NAME: bus.eventBusName };
    // Single items, a SKU's ranges (history, price changes, bundles) and batch reads of a page's
    // catalog entries and competitor prices.
    const readWrite = [...ITEM_READ_WRITE, 'dynamodb:Query', 'dynamodb:BatchGetItem'];

    // --- the hourly run ---------------------------------------------------------------------------
    const runStep = new StoreflowFunction(this, 'RunStep', {
      entry: 'repricing-step',
      description: 'The steps of the hourly repricing run: snapshot the rules, reprice a page of a bucket',
      config,
      // A page is 100 SKUs, a few table calls each.
      timeout: Duration.minutes(2),
      memorySize: 512,
      environment: { ...environment, REPRICING_WRITES: config.repricingWrites },
    }).fn;
    grantTable(table, runStep, ...readWrite);
    grantIndexQuery(table, runStep);
    bus.grantPutEventsTo(runStep);
    const run = new RepricingRunWorkflow(this, 'RunWorkflow', { step: runStep, config }).stateMachine;
    workflowClock(this, {
      name: 'Run',
      entry: 'repricing-tick',
      description: 'Every 15 minutes: starts the run of the store hour it falls in (one per hour)',
      scheduleDescription: `Repricing clock: every 15 minutes in ${config.storeTimeZone}; each store hour's first tick starts its run`,
      roleDescription: 'EventBridge Scheduler invokes the repricing clock',
      what: 'the repricing clock function',
      stateMachine: run,
      config,
      table,
      targets,
    });

    // --- competitor prices, sales and price changes from the bus --------------------------------
    const events = new StoreflowFunction(this, 'Events', {
      entry: 'pricing-events',
      description: 'Competitor prices (latest and history), units sold, bundles recomputed on PriceChanged',
      config,
      timeout: Duration.seconds(60),
      environment,
    }).fn;
    grantTable(table, events, ...readWrite);
    new Rule(this, 'PricingEventsRule', {
      eventBus: bus,
      description: 'Competitor prices, paid orders and price changes of SKUs in bundles feed repricing',
      // A price change concerns this function only when its SKU is in a bundle (read in the same
      // write as the price), so most changes of an hourly run invoke nothing here. CDK passes
      // `$or` through as written (EventPattern has no field for it).
      eventPattern: {
        source: ['storeflow.pricing', 'storeflow.orders'],
        ...({
          $or: [
            { 'detail-type': ['CompetitorPriceObserved', 'OrderPaid'] },
            { 'detail-type': ['PriceChanged'], detail: { data: { inBundles: [true] } } },
          ],
        } as object),
      },
      targets: [targets.lambda(events)],
    });

    // --- the operations API -----------------------------------------------------------------------
    // --- what-if jobs (a what-if too large to answer within the API's 30 s) ----------------------
    const whatIfStep = new StoreflowFunction(this, 'WhatIfStep', {
      entry: 'repricing-what-if',
      description: 'A what-if job’s steps: a chunk of its SKUs replayed, that part of the result kept',
      config,
      // A chunk is ~16,800 SKU-runs: a few seconds of a whole vCPU.
      timeout: Duration.minutes(2),
      memorySize: 1769,
      environment,
    }).fn;
    grantTable(table, whatIfStep, ...ITEM_READ_WRITE, 'dynamodb:Query');
    const whatIf = new RepricingWhatIfWorkflow(this, 'WhatIfWorkflow', { step: whatIfStep, config })
      .stateMachine;

    const api = new StoreflowFunction(this, 'Api', {
      entry: 'pricing-api',
      description: 'Pricing rules, bundles, the repricing dry run and what-if, a SKU’s price history',
      config,
      // A what-if replays up to 168 000 SKU-runs at once, CPU-bound: a whole vCPU (1,769 MB), and
      // API Gateway answers within 30 s; larger ones (or when asked) are jobs.
      timeout: Duration.seconds(29),
      memorySize: 1769,
      environment: { ...environment, STATE_MACHINE_ARN: whatIf.stateMachineArn },
    }).fn;
    grantTable(table, api, ...readWrite);
    grantIndexQuery(table, api);
    whatIf.grantStartExecution(api);
    for (const route of [
      ROUTES.putPricingRules,
      ROUTES.getPricingRules,
      ROUTES.putBundle,
      ROUTES.getBundle,
      ROUTES.repricingDryRun,
      ROUTES.repricingWhatIf,
      ROUTES.repricingWhatIfJob,
      ROUTES.skuPrices,
    ]) {
      routes.operator(route, api);
    }
  }
}
