import { Rule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { PresaleOrderWorkflow } from '#workflows/presale-order';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantTable, ITEM_READ_WRITE } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';

/**
 * Presale orders with deposit inflation (SPEC §2, docs/rules/presale.md): the order workflow and
 * its step function, the run starter (`PresaleDepositPaid`), the callback that reaches a waiting
 * run (`PresaleBalancePaid`, `PresaleCancelled`) and the presale operations API.
 */
export class PresaleOrders extends Construct {
  constructor(scope: Construct, id: string, props: FeatureProps) {
    super(scope, id);
    const { config, table, bus, routes, targets } = props;
    const environment = { TABLE_NAME: table.tableName, EVENT_BUS_NAME: bus.eventBusName };

    const step = new StoreflowFunction(this, 'OrderStep', {
      entry: 'presale-order-step',
      description:
        'The steps of the presale order workflow (take a unit, record, open, pay, forfeit, cancel, compensate)',
      config,
      environment,
    }).fn;
    grantTable(table, step, ...ITEM_READ_WRITE);
    bus.grantPutEventsTo(step);
    const workflow = new PresaleOrderWorkflow(this, 'OrderWorkflow', { step, config }).stateMachine;

    const start = new StoreflowFunction(this, 'StartOrder', {
      entry: 'start-presale-order',
      description: 'PresaleDepositPaid → starts the order’s presale run, named after the order',
      config,
      environment: { STATE_MACHINE_ARN: workflow.stateMachineArn, TABLE_NAME: table.tableName },
    }).fn;
    workflow.grantStartExecution(start);
    new Rule(this, 'DepositPaidRule', {
      eventBus: bus,
      description: 'A presale deposit starts the order’s run',
      eventPattern: { source: ['storeflow.presale'], detailType: ['PresaleDepositPaid'] },
      targets: [targets.lambda(start)],
    });

    const callback = new StoreflowFunction(this, 'Callback', {
      entry: 'presale-callback',
      description: 'PresaleBalancePaid / PresaleCancelled → the waiting presale run (task token)',
      config,
      environment,
    }).fn;
    grantTable(table, callback, ...ITEM_READ_WRITE);
    bus.grantPutEventsTo(callback);
    workflow.grantTaskResponse(callback);
    new Rule(this, 'CallbackRule', {
      eventBus: bus,
      description: 'A balance payment or cancellation reaches the waiting presale run',
      eventPattern: { source: ['storeflow.presale'], detailType: ['PresaleBalancePaid', 'PresaleCancelled'] },
      targets: [targets.lambda(callback)],
    });

    const api = new StoreflowFunction(this, 'Api', {
      entry: 'presale-api',
      description: 'PUT/GET /api/presales/{presaleId} and GET /api/presale-orders/{orderId}',
      config,
      environment: { TABLE_NAME: table.tableName },
    }).fn;
    grantTable(table, api, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    routes.operator(ROUTES.putPresale, api);
    routes.operator(ROUTES.getPresale, api);
    routes.operator(ROUTES.getPresaleOrder, api);
  }
}
