import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { PurchaseOrderApprovalWorkflow } from '#workflows/purchase-order-approval';
import { RestockSweepWorkflow } from '#workflows/restock-sweep';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantIndexQuery, grantTable, ITEM_READ_WRITE } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';
import { workflowClock } from './workflow-clock.ts';

/**
 * Restock triggers (SPEC §3, docs/rules/restock.md): the sales ledger and stock follower on the
 * bus, the nightly sweep (an EventBridge Scheduler clock in the store's time zone → a Standard run
 * per night, Distributed Maps over the catalog), one purchase order per SKU and supplier, the
 * approval run of those above the threshold, and the restock operations API.
 */
export class Restock extends Construct {
  constructor(scope: Construct, id: string, props: FeatureProps) {
    super(scope, id);
    const { config, table, bus, routes, targets } = props;
    const environment = { TABLE_NAME: table.tableName, EVENT_BUS_NAME: bus.eventBusName };
    const readWrite = [...ITEM_READ_WRITE, 'dynamodb:Query'];

    // --- the approval run -------------------------------------------------------------------------
    const approvalStep = new StoreflowFunction(this, 'ApprovalStep', {
      entry: 'purchase-order-approval-step',
      description: 'The steps of a purchase order’s approval run (prepare, park, expire, settle)',
      config,
      environment,
    }).fn;
    grantTable(table, approvalStep, ...readWrite);
    bus.grantPutEventsTo(approvalStep);
    const approval = new PurchaseOrderApprovalWorkflow(this, 'ApprovalWorkflow', {
      step: approvalStep,
      config,
    }).stateMachine;
    const startApproval = new StoreflowFunction(this, 'StartApproval', {
      entry: 'start-purchase-order-approval',
      description: 'PurchaseOrderApprovalRequested → the purchase order’s approval run, named after it',
      config,
      environment: { STATE_MACHINE_ARN: approval.stateMachineArn, TABLE_NAME: table.tableName },
    }).fn;
    approval.grantStartExecution(startApproval);
    new Rule(this, 'ApprovalRequestedRule', {
      eventBus: bus,
      description: 'A purchase order above the approval threshold starts its approval run',
      eventPattern: { source: ['storeflow.restock'], detailType: ['PurchaseOrderApprovalRequested'] },
      targets: [targets.lambda(startApproval)],
    });

    // --- the nightly sweep ------------------------------------------------------------------------
    const sweepStep = new StoreflowFunction(this, 'SweepStep', {
      entry: 'restock-step',
      description:
        'The steps of the nightly restock sweep: measure, rank and check a page of a catalog bucket',
      config,
      // A page is 100 SKUs, a few table calls each.
      timeout: Duration.minutes(2),
      memorySize: 512,
      environment,
    }).fn;
    grantTable(table, sweepStep, ...readWrite);
    grantIndexQuery(table, sweepStep);
    bus.grantPutEventsTo(sweepStep);
    const sweep = new RestockSweepWorkflow(this, 'SweepWorkflow', { step: sweepStep, config }).stateMachine;
    workflowClock(this, {
      name: 'Sweep',
      entry: 'restock-tick',
      description: 'Every 15 minutes: starts tonight’s restock sweep once the store’s clock passes sweepAt',
      scheduleDescription: `Restock sweep clock: every 15 minutes in ${config.storeTimeZone}; the policy's sweepAt decides`,
      roleDescription: 'EventBridge Scheduler invokes the restock sweep clock',
      what: 'the sweep clock function',
      stateMachine: sweep,
      config,
      table,
      targets,
    });

    // --- sales and stock from the bus -------------------------------------------------------------
    const events = new StoreflowFunction(this, 'Events', {
      entry: 'restock-events',
      description: 'Sales ledger (OrderPaid, RefundIssued, OrderCancelled) and stock (StockLevelChanged)',
      config,
      timeout: Duration.seconds(60),
      environment,
    }).fn;
    grantTable(table, events, ...readWrite);
    bus.grantPutEventsTo(events);
    new Rule(this, 'SalesAndStockRule', {
      eventBus: bus,
      description: 'Sales and stock levels feed the restock ledger and checks',
      eventPattern: {
        source: ['storeflow.orders', 'storeflow.inventory'],
        detailType: ['OrderPaid', 'RefundIssued', 'OrderCancelled', 'StockLevelChanged'],
      },
      targets: [targets.lambda(events)],
    });

    // --- the operations API -----------------------------------------------------------------------
    const api = new StoreflowFunction(this, 'Api', {
      entry: 'restock-api',
      description: 'Suppliers, SKUs, the restock policy and purchase orders (approve, reject, receive)',
      config,
      environment,
    }).fn;
    grantTable(table, api, ...readWrite);
    grantIndexQuery(table, api);
    bus.grantPutEventsTo(api);
    approval.grantTaskResponse(api);
    for (const route of [
      ROUTES.putSupplier,
      ROUTES.getSupplier,
      ROUTES.listSuppliers,
      ROUTES.putSku,
      ROUTES.getSku,
      ROUTES.listSkus,
      ROUTES.checkSku,
      ROUTES.putRestockPolicy,
      ROUTES.getRestockPolicy,
      ROUTES.listPurchaseOrders,
      ROUTES.getPurchaseOrder,
      ROUTES.approvePurchaseOrder,
      ROUTES.rejectPurchaseOrder,
      ROUTES.receivePurchaseOrder,
    ]) {
      routes.operator(route, api);
    }
  }
}
