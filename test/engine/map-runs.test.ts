/**
 * What the operations API reads besides executions, as the AWS API reference describes it:
 * ListMapRuns / DescribeMapRun (a Distributed Map's item counts while it runs and after),
 * DescribeStateMachineForExecution, and DescribeExecution's redriveStatusReason with the 14-day
 * redrivable period. Through @aws-sdk/client-sfn against the engine's HTTP API.
 */
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineForExecutionCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  ResourceNotFound,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SdkHarness, sdkHarness } from './sdk.ts';

let h: SdkHarness;
const failing = new Set<number>();
beforeAll(async () => {
  h = await sdkHarness({
    lambdas: {
      Item: (p) => {
        if (failing.has(p as number)) throw Object.assign(new Error(`item ${p}`), { name: 'ItemFailed' });
        return p;
      },
    },
  });
});
afterAll(() => h?.close());

const map = (tolerated: number) => ({
  StartAt: 'Fan',
  States: {
    Fan: {
      Type: 'Map',
      ItemsPath: '$.xs',
      MaxConcurrency: 2,
      ToleratedFailureCount: tolerated,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Work',
        States: {
          Work: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Item', End: true },
        },
      },
      ResultPath: null,
      End: true,
    },
  },
});

describe('map runs', () => {
  it('lists an execution’s map runs and counts their items once they ended', async () => {
    failing.clear();
    failing.add(3);
    const run = await h.run(map(1), { xs: [1, 2, 3, 4, 5] });
    expect(run.status).toBe('SUCCEEDED');
    const { mapRuns = [] } = await h.client.send(new ListMapRunsCommand({ executionArn: run.arn }));
    expect(mapRuns).toHaveLength(1);
    expect(mapRuns[0]).toMatchObject({ executionArn: run.arn, stopDate: expect.any(Date) });
    expect(mapRuns[0]?.mapRunArn).toMatch(/^arn:aws:states:us-east-1:\d+:mapRun:conf-\d+\/[^:]+:[0-9a-f-]+$/);
    const d = await h.client.send(new DescribeMapRunCommand({ mapRunArn: mapRuns[0]!.mapRunArn }));
    expect(d).toMatchObject({
      executionArn: run.arn,
      status: 'SUCCEEDED',
      maxConcurrency: 2,
      toleratedFailureCount: 1,
      itemCounts: { total: 5, succeeded: 4, failed: 1, running: 0, pending: 0, aborted: 0 },
    });
  });

  it('a map run beyond its tolerated failures fails; describing an unknown one is ResourceNotFound', async () => {
    failing.clear();
    failing.add(1);
    const run = await h.run(map(0), { xs: [1, 2] });
    expect(run.status).toBe('FAILED');
    const { mapRuns = [] } = await h.client.send(new ListMapRunsCommand({ executionArn: run.arn }));
    const d = await h.client.send(new DescribeMapRunCommand({ mapRunArn: mapRuns[0]!.mapRunArn }));
    expect(d.status).toBe('FAILED');
    expect(d.itemCounts?.failed).toBe(1);
    expect(d.itemCounts?.total).toBe(2);
    await expect(
      h.client.send(
        new DescribeMapRunCommand({
          mapRunArn: mapRuns[0]!.mapRunArn!.replace(/:[0-9a-f-]+$/, ':00000000-0000-0000-0000-000000000000'),
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFound);
  });

  it('the definition an execution ran survives an update of its state machine', async () => {
    failing.clear();
    const run = await h.run(map(0), { xs: [] });
    const before = await h.client.send(
      new DescribeStateMachineForExecutionCommand({ executionArn: run.arn }),
    );
    const stateMachineArn = before.stateMachineArn!;
    await h.client.send(
      new UpdateStateMachineCommand({
        stateMachineArn,
        definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
      }),
    );
    const after = await h.client.send(new DescribeStateMachineForExecutionCommand({ executionArn: run.arn }));
    expect(JSON.parse(after.definition!).StartAt).toBe('Fan');
  });
});

describe('redrive status', () => {
  it('names why an execution cannot be redriven; a failed one can, for 14 days', async () => {
    failing.clear();
    const ok = await h.run(map(0), { xs: [1] });
    const succeeded = await h.client.send(new DescribeExecutionCommand({ executionArn: ok.arn }));
    expect(succeeded).toMatchObject({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven.',
    });

    failing.add(9);
    const bad = await h.run(map(0), { xs: [9] });
    const failed = await h.client.send(new DescribeExecutionCommand({ executionArn: bad.arn }));
    expect(failed.redriveStatus).toBe('REDRIVABLE');
    expect(failed.redriveStatusReason).toBeUndefined();
    await h.clock.advance(14 * 86_400 + 1);
    const late = await h.client.send(new DescribeExecutionCommand({ executionArn: bad.arn }));
    expect(late).toMatchObject({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution redrivable period exceeded.',
    });
    await expect(h.client.send(new RedriveExecutionCommand({ executionArn: bad.arn }))).rejects.toMatchObject(
      {
        name: 'ExecutionNotRedrivable',
        message: expect.stringContaining('Execution redrivable period exceeded.'),
      },
    );
  });
});
