import { Duration } from 'aws-cdk-lib';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/**
 * How every function that consumes the bus is wired: the rule's target retries for 24 h (8
 * retries) into the dead-letter queue, and Lambda's asynchronous invocation retries twice within
 * 6 h into the same queue (its OnFailure destination). No async edge without a DLQ.
 */
export class EventTargets {
  constructor(readonly deadLetters: IQueue) {}

  lambda(fn: IFunction): LambdaFunction {
    this.asyncInvoke(fn);
    return new LambdaFunction(fn, {
      deadLetterQueue: this.deadLetters,
      retryAttempts: 8,
      maxEventAge: Duration.hours(24),
    });
  }

  /** A function invoked asynchronously by a service (Scheduler): two retries, then the DLQ. */
  asyncInvoke(fn: IFunction): void {
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetters),
    });
  }
}
