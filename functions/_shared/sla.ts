import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { reuseSigners } from '#adapters/aws/signer';
import { DynamoCustomerPerks } from '#adapters/dynamodb/member-perks';
import { DynamoPromiseStore } from '#adapters/dynamodb/sla-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/publisher';
import { SchedulerDeadlineTimers } from '#adapters/scheduler/deadline-timers';
import { slaPromises } from '#domain/sla/promises';
import { CACHED_MIDDLEWARE, clock, db, eventBridgeClient, loadConfig, requireEnv } from './runtime.ts';

let scheduler: SchedulerClient | undefined;

/** Wires the SLA use cases to the single table, the bus, Scheduler timers and the clock. */
export function sla() {
  const config = loadConfig();
  const env = process.env;
  scheduler ??= reuseSigners(new SchedulerClient({ ...CACHED_MIDDLEWARE }));
  // The member tier scales a customer's compensation (issue #18): read through the perks port.
  const perks = new DynamoCustomerPerks(db(), config.TABLE_NAME, clock);
  return slaPromises({
    store: new DynamoPromiseStore(db(), config.TABLE_NAME),
    publisher: new EventBridgePublisher(
      eventBridgeClient(),
      requireEnv(config.EVENT_BUS_NAME, 'EVENT_BUS_NAME'),
    ),
    // The API function has no timers: it only reads promises and writes policies.
    timers: new SchedulerDeadlineTimers(scheduler, {
      groupName: env.SLA_TIMER_GROUP,
      // The deadline function only cancels timers; the events function sets them.
      target: env.SLA_TIMER_TARGET_ARN
        ? {
            arn: env.SLA_TIMER_TARGET_ARN,
            roleArn: requireEnv(env.SLA_TIMER_ROLE_ARN, 'SLA_TIMER_ROLE_ARN'),
          }
        : undefined,
      deadLetterArn: env.SLA_TIMER_DLQ_ARN,
    }),
    timeline: new DynamoTimelineRepository(db(), config.TABLE_NAME),
    clock,
    timeZone: requireEnv(env.STORE_TIME_ZONE, 'STORE_TIME_ZONE'),
    multiplierBps: async (customerId) =>
      customerId ? (await perks.perksOf(customerId)).slaMultiplierBps : 10_000,
  });
}
