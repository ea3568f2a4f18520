import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Errors,
  IntegrationPattern,
  JitterType,
  JsonPath,
  TaskInput,
  type Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/**
 * The run's context every step receives (`RunContext` in domain/workflow/run.ts): the execution's
 * name (its business key), the state, and the instants a step dates its timeline lines by.
 */
export const RUN_CONTEXT = {
  name: JsonPath.stringAt('$$.Execution.Name'),
  state: JsonPath.stringAt('$$.State.Name'),
  enteredAt: JsonPath.stringAt('$$.State.EnteredTime'),
  startedAt: JsonPath.stringAt('$$.Execution.StartTime'),
};

/**
 * Retries of a transient failure (MaxAttempts counts retries after the first attempt): 2 s
 * doubling to at most 5 min, full jitter. Ten retries span up to about half an hour, long enough
 * to ride out throttling when many runs wake at the same instant.
 */
export const FORWARD_ATTEMPTS = 10;
/** Compensation keeps money and stock right: its retries span up to about 1.5 h. */
export const COMPENSATE_ATTEMPTS = 20;

export interface WorkflowStepsOptions {
  /** Errors a retry cannot fix (the workflow's cancellation and rejection): caught at once. */
  readonly finalErrors: readonly string[];
}

/**
 * The task states of a workflow whose steps are one Lambda function: every step is that function
 * with `{ step, ..., run }` (ids, not documents), idempotent, retried with backoff and full jitter
 * on `States.TaskFailed` — which never matches a wait's `States.Timeout` — and never on the
 * workflow's final errors. `S` is the workflow's list of task state names (its domain module
 * exports it), so a definition cannot name a state its steps do not know.
 */
export function workflowSteps<S extends string>(
  scope: Construct,
  fn: IFunction,
  options: WorkflowStepsOptions,
) {
  const retrying = <T extends LambdaInvoke>(task: T, maxAttempts = FORWARD_ATTEMPTS): T => {
    task.addRetry({ errors: [...options.finalErrors], maxAttempts: 0 });
    task.addRetry({
      errors: [Errors.TASKS_FAILED],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts,
      maxDelay: Duration.minutes(5),
      jitterStrategy: JitterType.FULL,
    });
    return task;
  };

  return {
    /** A step: invoke the function with `payload` and the run's context, keep its result at `resultPath`. */
    step(
      stateId: S,
      payload: Record<string, unknown>,
      resultPath: string,
      maxAttempts: number = FORWARD_ATTEMPTS,
    ): LambdaInvoke {
      return retrying(
        new LambdaInvoke(scope, stateId, {
          lambdaFunction: fn,
          payload: TaskInput.fromObject({ ...payload, run: RUN_CONTEXT }),
          payloadResponseOnly: true,
          retryOnServiceExceptions: false,
          resultPath,
        }),
        maxAttempts,
      );
    },

    /**
     * A wait for a callback (`.waitForTaskToken`): the step stores `taskToken` where the answer
     * will find it (an approval, a payment); the run goes on with the answer at `resultPath`, or
     * `States.Timeout` after `timeout`.
     */
    waitForCallback(
      stateId: S,
      payload: Record<string, unknown>,
      options: { readonly timeout: Timeout; readonly resultPath: string },
    ): LambdaInvoke {
      return retrying(
        new LambdaInvoke(scope, stateId, {
          lambdaFunction: fn,
          integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
          payload: TaskInput.fromObject({ ...payload, taskToken: JsonPath.taskToken, run: RUN_CONTEXT }),
          taskTimeout: options.timeout,
          retryOnServiceExceptions: false,
          resultPath: options.resultPath,
        }),
      );
    },

    /** Catch every error into `$.error` (for compensation). */
    onFailure: { errors: [Errors.ALL], resultPath: '$.error' },
  };
}
export type WorkflowSteps<S extends string> = ReturnType<typeof workflowSteps<S>>;
