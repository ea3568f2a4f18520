import { SQSClient } from '@aws-sdk/client-sqs';
import { StepFunctionsRuns } from '#adapters/stepfunctions/runs';
import type { OperationsCatalog } from '#domain/operations/catalog';
import { operationsRuns } from '#domain/operations/runs';
import { requireEnv, sfnClient } from './runtime.ts';

let sqs: SQSClient | undefined;
export function sqsClient() {
  sqs ??= new SQSClient({});
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

/** Wires the operations use cases to Step Functions and SQS. */
export function operations() {
  const catalog = operationsCatalog();
  return { catalog, runs: operationsRuns({ catalog, runs: new StepFunctionsRuns(sfnClient()) }) };
}
