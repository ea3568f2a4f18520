import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { DeadlineTimers } from '#domain/sla/store';

export interface SchedulerTimersOptions {
  /**
   * The schedule group the timers live in (its schedules are all this port's). Absent for a
   * function that never touches timers.
   */
  readonly groupName?: string | undefined;
  /**
   * The function a timer invokes and the role Scheduler assumes to invoke it. Absent for a
   * function that only cancels timers (the one the timers invoke: it cannot name itself).
   */
  readonly target?: { readonly arn: string; readonly roleArn: string } | undefined;
  /** Where a timer whose invocation keeps failing goes. */
  readonly deadLetterArn?: string | undefined;
}

const errorName = (error: unknown) => (error as { name?: string } | null)?.name ?? '';

/**
 * Deadline timers as EventBridge Scheduler one-time schedules: `at(<UTC>)`, deleted by Scheduler
 * after they run (ActionAfterCompletion DELETE), retried with a dead-letter queue. A schedule costs
 * nothing until it runs, so a promise kept in time (its timer cancelled) costs one create and one
 * delete call (docs/sla-scale.md).
 */
export class SchedulerDeadlineTimers implements DeadlineTimers {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: SchedulerTimersOptions,
  ) {}

  async set(
    name: string,
    at: string,
    payload: { promiseId: string; timer: 'deadline' | 'final-tier' },
  ): Promise<void> {
    const target = this.options.target;
    if (!target || !this.options.groupName)
      throw new Error(`timer ${name}: this function cannot set timers (no SLA_TIMER_TARGET_ARN/GROUP)`);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.options.groupName,
          // Scheduler's at() takes seconds, no fraction; round up so it never fires early.
          ScheduleExpression: `at(${new Date(Math.ceil(Date.parse(at) / 1000) * 1000).toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: target.arn,
            RoleArn: target.roleArn,
            Input: JSON.stringify(payload),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
            ...(this.options.deadLetterArn ? { DeadLetterConfig: { Arn: this.options.deadLetterArn } } : {}),
          },
        }),
      );
    } catch (error) {
      // The same timer set again (a retried step): it is already there.
      if (errorName(error) !== 'ConflictException') throw error;
    }
  }

  async cancel(name: string): Promise<void> {
    if (!this.options.groupName)
      throw new Error(`timer ${name}: this function cannot cancel timers (no SLA_TIMER_GROUP)`);
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
  }
}
