import { type CfnElement, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { MembersNightlyWorkflow } from '#workflows/members-nightly';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantIndexQuery, grantTable, ITEM_READ_WRITE } from './grants.ts';
import { StoreflowFunction } from './storeflow-function.ts';
import { workflowClock } from './workflow-clock.ts';

/**
 * Members and referrals (SPEC §7, docs/rules/members.md, decision 35): the member and coupon
 * ledger fed by the bus (registrations, paid orders, refunds, SLA coupons), the nightly
 * re-evaluation (an EventBridge Scheduler clock in the store's time zone → a Standard run per
 * night, a Distributed Map over the member buckets), the 1 January grant of the annual free order
 * (a Scheduler cron at 00:05 store time), and the members operations API.
 */
export class Members extends Construct {
  constructor(scope: Construct, id: string, props: FeatureProps) {
    super(scope, id);
    const { config, table, bus, routes, targets } = props;
    const environment = { TABLE_NAME: table.tableName, EVENT_BUS_NAME: bus.eventBusName };
    const readWrite = [...ITEM_READ_WRITE, 'dynamodb:Query'];

    // --- the ledger, from the bus -----------------------------------------------------------------
    const events = new StoreflowFunction(this, 'Events', {
      entry: 'members-events',
      description:
        'Member ledger: registrations, paid orders (tiers, referrals, discount codes), refunds, SLA coupons',
      config,
      timeout: Duration.seconds(60),
      environment,
    }).fn;
    grantTable(table, events, ...readWrite);
    grantIndexQuery(table, events);
    bus.grantPutEventsTo(events);
    new Rule(this, 'LedgerEventsRule', {
      eventBus: bus,
      description:
        'Registrations, paid orders, refunds and SLA compensation feed the member and coupon ledger',
      eventPattern: {
        source: ['storeflow.members', 'storeflow.orders', 'storeflow.sla'],
        detailType: ['CustomerRegistered', 'OrderPaid', 'RefundIssued', 'CompensationIssued'],
      },
      targets: [targets.lambda(events)],
    });

    // --- the nightly re-evaluation ----------------------------------------------------------------
    const step = new StoreflowFunction(this, 'NightlyStep', {
      entry: 'members-step',
      description: 'The steps of the nightly member re-evaluation: a page of a member bucket',
      config,
      timeout: Duration.minutes(2),
      memorySize: 512,
      environment,
    }).fn;
    grantTable(table, step, ...readWrite);
    grantIndexQuery(table, step);
    bus.grantPutEventsTo(step);
    const nightly = new MembersNightlyWorkflow(this, 'NightlyWorkflow', { step, config }).stateMachine;
    workflowClock(this, {
      name: 'Nightly',
      entry: 'members-tick',
      description:
        'Every 15 minutes: starts tonight’s member re-evaluation once the store’s clock passes nightlyAt',
      scheduleDescription: `Members nightly clock: every 15 minutes in ${config.storeTimeZone}; the policy's nightlyAt decides`,
      roleDescription: 'EventBridge Scheduler invokes the members nightly clock',
      what: 'the members nightly clock function',
      stateMachine: nightly,
      config,
      table,
      targets,
    });

    // --- the annual free order --------------------------------------------------------------------
    const annual = new StoreflowFunction(this, 'Annual', {
      entry: 'members-annual',
      description: '00:05 on 1 January: last year’s top inviters each get one annual free-order coupon, once',
      config,
      timeout: Duration.seconds(60),
      environment,
    }).fn;
    grantTable(table, annual, ...readWrite);
    bus.grantPutEventsTo(annual);
    targets.asyncInvoke(annual);
    const annualRole = new Role(this, 'AnnualScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'EventBridge Scheduler invokes the annual free-order grant',
    });
    new Schedule(this, 'AnnualSchedule', {
      description: `Annual free orders: 00:05 on 1 January in ${config.storeTimeZone}`,
      schedule: ScheduleExpression.cron({
        minute: '5',
        hour: '0',
        day: '1',
        month: '1',
        timeZone: TimeZone.of(config.storeTimeZone),
      }),
      target: new LambdaInvoke(annual, {
        role: annualRole,
        deadLetterQueue: targets.deadLetters,
        retryAttempts: 10,
        maxEventAge: Duration.hours(6),
      }),
    });
    Validations.of(annualRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(annual.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the annual grant function and its versions/aliases (`<arn>:*`), as the CDK grants it; no other function.',
    });

    // --- the operations API -----------------------------------------------------------------------
    const api = new StoreflowFunction(this, 'Api', {
      entry: 'members-api',
      description:
        'The member policy, customers (tier, receipts, coupons, referral code), coupon redemption, leaderboards',
      config,
      environment,
    }).fn;
    grantTable(table, api, ...readWrite);
    grantIndexQuery(table, api);
    bus.grantPutEventsTo(api);
    for (const route of [
      ROUTES.putMemberPolicy,
      ROUTES.getMemberPolicy,
      ROUTES.getCustomer,
      ROUTES.customerCoupons,
      ROUTES.customerReferralCode,
      ROUTES.redeemCoupon,
      ROUTES.referralLeaderboard,
    ]) {
      routes.operator(route, api);
    }
  }
}
