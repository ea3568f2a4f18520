import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantIndexQuery, grantTable, ITEM_READ_WRITE } from './grants.ts';
import { nagArn } from './nag.ts';
import { StoreflowFunction } from './storeflow-function.ts';

/** The events promises start and end on (domain/sla/policy.ts PROMISE_EVENTS). */
const PROMISE_EVENTS = {
  'storeflow.orders': ['OrderPaid'],
  'storeflow.fulfilment': ['ShipmentDispatched', 'OrderDelivered'],
  'storeflow.presale': ['PresaleFulfilmentPromised'],
  'storeflow.aftersales': ['TicketOpened', 'TicketResponded', 'TicketResolved', 'InstallationCompleted'],
};

/**
 * SLA-breach compensation (SPEC §4, docs/rules/sla.md, decision 22): promises are records in the
 * table, each open one with an EventBridge Scheduler one-time schedule at its deadline (plus a
 * grace period) in the feature's own schedule group. The events function registers and keeps
 * promises and sets and cancels their timers; the deadline function, which the timers invoke,
 * breaches them and issues the compensation once. A schedule costs nothing while it waits, so a
 * million open promises cost what their create and delete calls cost (docs/sla-scale.md).
 */
export class Sla extends Construct {
  constructor(scope: Construct, id: string, props: FeatureProps) {
    super(scope, id);
    const { config, table, bus, routes, targets } = props;
    const environment = {
      TABLE_NAME: table.tableName,
      EVENT_BUS_NAME: bus.eventBusName,
      STORE_TIME_ZONE: config.storeTimeZone,
    };
    const readWrite = [...ITEM_READ_WRITE, 'dynamodb:Query'];

    // --- the timers -------------------------------------------------------------------------------
    const timers = new ScheduleGroup(this, 'Timers', {
      removalPolicy: config.disposableRemovalPolicy,
    });
    const deadline = new StoreflowFunction(this, 'Deadline', {
      entry: 'sla-deadline',
      description: 'A promise’s timer fired: breach it unless kept, and issue its compensation once',
      config,
      timeout: Duration.seconds(30),
      environment: { ...environment, SLA_TIMER_GROUP: timers.scheduleGroupName },
    }).fn;
    grantTable(table, deadline, ...readWrite);
    bus.grantPutEventsTo(deadline);
    timers.grantDeleteSchedules(deadline);
    // Scheduler invokes the function asynchronously: Lambda's own retries end in the DLQ too.
    targets.asyncInvoke(deadline);

    const timerRole = new Role(this, 'TimerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          // Confused-deputy guard: only this account's schedules in this group may assume it.
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'scheduler',
              resource: 'schedule',
              resourceName: `${timers.scheduleGroupName}/*`,
            }),
          },
        },
      }),
      description: 'EventBridge Scheduler invokes the SLA deadline function; failures go to the DLQ',
    });
    timerRole.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['lambda:InvokeFunction'],
        resources: [deadline.functionArn],
      }),
    );
    targets.deadLetters.grantSendMessages(timerRole);

    // --- promises from the bus --------------------------------------------------------------------
    const events = new StoreflowFunction(this, 'Events', {
      entry: 'sla-events',
      description: 'Registers, keeps and marks late the promises of each order and ticket event',
      config,
      timeout: Duration.seconds(30),
      environment: {
        ...environment,
        SLA_TIMER_GROUP: timers.scheduleGroupName,
        SLA_TIMER_TARGET_ARN: deadline.functionArn,
        SLA_TIMER_ROLE_ARN: timerRole.roleArn,
        SLA_TIMER_DLQ_ARN: targets.deadLetters.queueArn,
      },
    }).fn;
    grantTable(table, events, ...readWrite, 'dynamodb:BatchGetItem');
    bus.grantPutEventsTo(events);
    timers.grantWriteSchedules(events);
    timers.grantDeleteSchedules(events);
    timerRole.grantPassRole(events.grantPrincipal);
    new Rule(this, 'PromiseEventsRule', {
      eventBus: bus,
      description: 'The events promises start and end on',
      eventPattern: {
        source: Object.keys(PROMISE_EVENTS),
        detailType: Object.values(PROMISE_EVENTS).flat(),
      },
      targets: [targets.lambda(events)],
    });

    for (const fn of [deadline, events]) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArn(this, 'scheduler', `schedule/${timers.scheduleGroupName}/*`, 'pseudo')}]`,
        reason:
          'The SLA timers are made at run time, one per open promise: schedules of this feature’s own schedule group only, as ScheduleGroup.grant* grants them.',
      });
    }

    // A timer Scheduler could not deliver, even to the DLQ, is a promise never judged.
    new Alarm(this, 'TimersLostAlarm', {
      alarmDescription:
        'An SLA deadline timer was dropped or could not reach the dead-letter queue: a promise was not judged',
      metric: new MathExpression({
        expression: 'dropped + failedToDlq',
        usingMetrics: {
          dropped: timers.metricDropped({ period: Duration.minutes(5) }),
          failedToDlq: timers.metricFailedToBeSentToDLQ(undefined, { period: Duration.minutes(5) }),
        },
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // --- the operations API -----------------------------------------------------------------------
    const api = new StoreflowFunction(this, 'Api', {
      entry: 'sla-api',
      description: 'The promise catalogue, an order’s or ticket’s promises, and the SLA ledger',
      config,
      environment,
    }).fn;
    grantTable(table, api, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query');
    grantIndexQuery(table, api);
    for (const route of [
      ROUTES.putPromisePolicy,
      ROUTES.listPromisePolicies,
      ROUTES.orderPromises,
      ROUTES.ticketPromises,
      ROUTES.slaLedger,
    ]) {
      routes.operator(route, api);
    }
  }
}
