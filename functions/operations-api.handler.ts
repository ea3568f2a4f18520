import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parseJsonPreservingBigIntegers } from '#domain/ingestion/json';
import { ValidationError } from '#domain/shared/errors';
import { json, rawBody } from './_shared/http.ts';
import { operations } from './_shared/operations.ts';
import { operationsApi } from './_shared/operations-api.ts';

/**
 * The operations API over Step Functions and SQS (issue #14, behind the operator authorizer; the
 * contract: README "Operations API", decision 29): the runs of every workflow with stop and redrive,
 * the dead-letter queues with redrive and replay, and the overview.
 */
const ops = operations();

const body = (event: APIGatewayProxyEventV2): unknown => {
  const text = rawBody(event).toString('utf8');
  return text.trim() === '' ? {} : parseJsonPreservingBigIntegers(text);
};

/**
 * A path parameter as given: decoded once more when it still holds an escape (`PresaleOrder%3A1001`),
 * whichever way the gateway passed it. Unambiguous: run names and queue names cannot contain `%`.
 */
const param = (value: string | undefined): string => {
  if (!value?.includes('%')) return value ?? '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

export const handler = operationsApi(async (event) => {
  const raw = event.pathParameters ?? {};
  const p = { id: param(raw.id), name: param(raw.name) };
  const query = event.queryStringParameters;
  switch (event.routeKey) {
    case 'GET /api/runs':
      return json(200, await ops.runs.list(query));
    case 'GET /api/runs/{id}':
      return json(200, await ops.runs.get(p.id, query));
    case 'POST /api/runs/{id}/stop':
      return json(200, await ops.runs.stop(p.id, body(event)));
    case 'POST /api/runs/{id}/redrive':
      return json(200, await ops.runs.redrive(p.id));
    case 'GET /api/overview':
      return json(200, await ops.overview.overview());
    case 'GET /api/dead-letters':
      return json(200, await ops.deadLetters.list());
    case 'GET /api/dead-letters/{name}/messages':
      return json(200, await ops.deadLetters.messages(p.name, query));
    case 'POST /api/dead-letters/{name}/redrive':
      return json(202, await ops.deadLetters.redrive(p.name));
    case 'POST /api/dead-letters/{name}/messages/{id}/replay':
      return json(202, await ops.deadLetters.replay(p.name, p.id));
    default:
      throw ValidationError.field('path', `${event.routeKey} is not an operations route`);
  }
});
