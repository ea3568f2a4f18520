import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetterQueues } from '#adapters/sqs/dead-letters';
import { StepFunctionsRuns } from '#adapters/stepfunctions/runs';
import type { OperationsCatalog } from '#domain/operations/catalog';
import { operationsDeadLetters } from '#domain/operations/dead-letters';
import { operationsRuns } from '#domain/operations/runs';
import { clock, requireEnv, sfnClient } from './runtime.ts';

let sqs: SQSClient | undefined;
/**
 * SQS by the client's own endpoint, not each QueueUrl's host: on AWS both are the regional
 * endpoint; locally AWS_ENDPOINT_URL is the runtime, whose queue URLs name a placeholder host.
 */
export function sqsClient() {
  sqs ??= new SQSClient({ useQueueUrlAsEndpoint: false });
  return sqs;
}

/** The stack's operations catalog (lib/constructs/operations.ts), read once per cold start. */
export function operationsCatalog(env: NodeJS.ProcessEnv = process.env): OperationsCatalog {
  const text = requireEnv(env.OPERATIONS_CATALOG, 'OPERATIONS_CATALOG');
  const catalog = JSON.parse(text) as OperationsCatalog;
  if (!Array.isArray(catalog.workflows) || !Array.isArray(catalog.deadLetters)) {
    throw new Error('invalid function configuration: OPERATIONS_CATALOG has no workflows or deadLetters');
  }
  return catalog;
}

let lambda: LambdaClient | undefined;
export function lambdaClient() {
  lambda ??= new LambdaClient({});
  return lambda;
}

/** Wires the operations use cases to Step Functions, SQS and Lambda. */
export function operations() {
  const catalog = operationsCatalog();
  return {
    catalog,
    runs: operationsRuns({ catalog, runs: new StepFunctionsRuns(sfnClient()) }),
    deadLetters: operationsDeadLetters({
      catalog,
      queues: new SqsDeadLetterQueues(sqsClient(), lambdaClient()),
      clock,
    }),
  };
}
