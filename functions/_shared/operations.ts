import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { reuseSigners } from '#adapters/aws/signer';
import { DynamoPromiseStore } from '#adapters/dynamodb/sla-store';
import { SqsDeadLetterQueues } from '#adapters/sqs/dead-letters';
import { StepFunctionsRuns } from '#adapters/stepfunctions/runs';
import type { OperationsCatalog } from '#domain/operations/catalog';
import { operationsDeadLetters } from '#domain/operations/dead-letters';
import { operationsOverview } from '#domain/operations/overview';
import { operationsRuns } from '#domain/operations/runs';
import { CACHED_MIDDLEWARE, clock, db, requireEnv, sfnClient } from './runtime.ts';

let sqs: SQSClient | undefined;
/**
 * SQS by the client's own endpoint, not each QueueUrl's host: on AWS both are the regional
 * endpoint; locally AWS_ENDPOINT_URL is the runtime, whose queue URLs name a placeholder host.
 */
export function sqsClient() {
  sqs ??= reuseSigners(new SQSClient({ useQueueUrlAsEndpoint: false, ...CACHED_MIDDLEWARE }));
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
  lambda ??= reuseSigners(new LambdaClient({ ...CACHED_MIDDLEWARE }));
  return lambda;
}

/** Wires the operations use cases to Step Functions, SQS and Lambda. */
export function operations() {
  const catalog = operationsCatalog();
  const runs = operationsRuns({ catalog, runs: new StepFunctionsRuns(sfnClient()) });
  const deadLetters = operationsDeadLetters({
    catalog,
    queues: new SqsDeadLetterQueues(sqsClient(), lambdaClient()),
    clock,
  });
  const ledger = new DynamoPromiseStore(db(), requireEnv(process.env.TABLE_NAME, 'TABLE_NAME'));
  const overview = operationsOverview({
    catalog,
    runs,
    deadLetters,
    clock,
    // The SLA ledger's breaches of the last 7 days (by deadline), the latest 10.
    slaBreaches: async () => {
      const to = clock.now();
      const from = new Date(to.getTime() - 7 * 86_400_000);
      const page = await ledger.listBreaches({ from: from.toISOString(), to: to.toISOString() }, null, 200);
      return page.items
        .slice(-10)
        .reverse()
        .map((p) => ({
          promiseId: p.promiseId,
          kind: p.kind,
          orderId: p.orderId,
          ticketId: p.ticketId,
          deadline: p.deadline,
          breachedAt: p.breachedAt,
          lateSeconds: p.lateSeconds,
          compensation: p.compensation,
        }));
    },
  });
  return { catalog, runs, deadLetters, overview };
}
