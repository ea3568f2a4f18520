import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OperationsCatalog } from '#domain/operations/catalog';
import { httpEvent, lambdaContext, parseResponse } from '../support/http-events.ts';

/**
 * The operations API handler with its AWS clients mocked: the operator gate, the path parameters as
 * API Gateway may pass them (still escaped or not), and the catalog read from the environment.
 */
const sfn = mockClient(SFNClient);
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let handler: Handler;
const TOKEN = 'operations-token-for-tests';
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Presale';

beforeAll(async () => {
  const catalog: OperationsCatalog = {
    workflows: [{ name: 'PresaleOrder', stateMachineArn: MACHINE, key: { type: 'order' } }],
    deadLetters: [],
  };
  Object.assign(process.env, {
    OPERATIONS_CATALOG: JSON.stringify(catalog),
    TABLE_NAME: 'table',
    STOREFLOW_ADMIN_TOKEN: TOKEN,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
  handler = (await import('#functions/operations-api.handler')).handler as Handler;
});

const get = (id: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
  handler(
    httpEvent({
      routeKey: 'GET /api/runs/{id}',
      rawPath: `/api/runs/${encodeURIComponent(id)}`,
      pathParameters: { id },
      headers,
    }),
    lambdaContext,
  ).then((r) => parseResponse(r as never));

describe('operations API handler', () => {
  it('takes a run id decoded or still escaped, and asks Step Functions for that execution', async () => {
    for (const id of ['PresaleOrder:1001', 'PresaleOrder%3A1001']) {
      const res = await get(id);
      expect(res.statusCode, id).toBe(404);
      expect(res.json).toMatchObject({ error: 'NotFound', message: 'no run PresaleOrder:1001' });
    }
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([
      'arn:aws:states:us-east-1:123456789012:execution:Presale:1001',
      'arn:aws:states:us-east-1:123456789012:execution:Presale:1001',
    ]);
  });

  it('refuses a caller without the operator token before calling anything', async () => {
    sfn.resetHistory();
    expect((await get('PresaleOrder:1001', {})).statusCode).toBe(401);
    expect((await get('PresaleOrder:1001', { authorization: 'Bearer nope' })).statusCode).toBe(401);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });
});
