import { Rule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { CampaignLaunchWorkflow } from '#workflows/campaign-launch';
import { ExperimentRunWorkflow } from '#workflows/experiment-run';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantIndexQuery, grantTable, ITEM_READ_WRITE } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';

/**
 * Campaign launches (SPEC §5, docs/rules/campaigns.md, decision 34): the launch run of a campaign
 * and the run of an A/B test (one step function for both), and the campaigns API with the checkout
 * quote. The runs start from the API's PUT, named by the campaign or the experiment.
 */
export class Campaigns extends Construct {
  constructor(scope: Construct, id: string, props: FeatureProps) {
    super(scope, id);
    const { config, table, bus, routes, targets } = props;
    const environment = {
      TABLE_NAME: table.tableName,
      EVENT_BUS_NAME: bus.eventBusName,
      // The metrics' facts are partitioned by the store's days.
      STORE_TIME_ZONE: config.storeTimeZone,
    };
    // Single items, a partition's items (live campaigns, storefront counts), batch reads (a cart's
    // SKUs and bundles).
    const readWrite = [...ITEM_READ_WRITE, 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem'];

    const step = new StoreflowFunction(this, 'Step', {
      entry: 'campaign-step',
      description: 'The steps of a campaign’s launch run and of an A/B test’s run',
      config,
      environment,
    }).fn;
    grantTable(table, step, ...readWrite);
    // A campaign on categories locks the catalog SKUs of those categories (the catalog's index).
    grantIndexQuery(table, step);
    bus.grantPutEventsTo(step);
    const launch = new CampaignLaunchWorkflow(this, 'LaunchWorkflow', { step, config }).stateMachine;
    const experiment = new ExperimentRunWorkflow(this, 'ExperimentWorkflow', { step, config }).stateMachine;

    // Cancelled and refunded orders give their budget reservations back (once per cause).
    const events = new StoreflowFunction(this, 'Events', {
      entry: 'campaigns-events',
      description: 'Gives a cancelled or refunded order’s campaign budget reservations back, once',
      config,
      environment,
    }).fn;
    grantTable(table, events, 'dynamodb:Query', 'dynamodb:UpdateItem');
    new Rule(this, 'BudgetReleaseRule', {
      eventBus: bus,
      description: 'Cancelled and refunded orders, for the campaigns’ budgets',
      eventPattern: { source: ['storeflow.orders'], detailType: ['OrderCancelled', 'RefundIssued'] },
      targets: [targets.lambda(events)],
    });

    const api = new StoreflowFunction(this, 'Api', {
      entry: 'campaigns-api',
      description: 'Campaigns (approve, abort, assignment), A/B tests and the checkout quote',
      config,
      environment: {
        ...environment,
        LAUNCH_STATE_MACHINE_ARN: launch.stateMachineArn,
        EXPERIMENT_STATE_MACHINE_ARN: experiment.stateMachineArn,
      },
    }).fn;
    grantTable(table, api, ...readWrite);
    bus.grantPutEventsTo(api);
    launch.grantStartExecution(api);
    experiment.grantStartExecution(api);
    launch.grantTaskResponse(api);
    for (const route of [
      ROUTES.putCampaign,
      ROUTES.getCampaign,
      ROUTES.approveCampaign,
      ROUTES.abortCampaign,
      ROUTES.campaignAssignment,
      ROUTES.putExperiment,
      ROUTES.getExperiment,
      ROUTES.quote,
    ]) {
      routes.operator(route, api);
    }
  }
}
