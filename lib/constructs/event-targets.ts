import { Duration } from 'aws-cdk-lib';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { OperationsCatalogBuilder } from './operations-catalog.ts';

/**
 * How every function that consumes the bus is wired: the rule's target retries for 24 h (8
 * retries) into the dead-letter queue, and Lambda's asynchronous invocation retries twice within
 * 6 h into the same queue (its OnFailure destination). No async edge without a DLQ. Each function
 * wired here is recorded in the operations catalog as a feed of the queue (what a replay goes back to).
 */
export class EventTargets {
  constructor(readonly deadLetters: IQueue) {
    OperationsCatalogBuilder.of(deadLetters).addDeadLetterQueue(deadLetters);
  }

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
    this.feeds(fn);
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetters),
    });
  }

  /** A function whose failed deliveries (a rule's, a schedule's) end in the dead-letter queue. */
  feeds(fn: IFunction): void {
    OperationsCatalogBuilder.of(fn).addFeed(this.deadLetters, { function: fn });
  }
}
