import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  UnsupportedOperation,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsDeadLetterQueues } from '#adapters/sqs/dead-letters';
import { StepFunctionsRuns } from '#adapters/stepfunctions/runs';

const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
beforeEach(() => {
  sfn.reset();
  sqs.reset();
  lambda.reset();
});
const meta = { $metadata: {} };
const EXEC = 'arn:aws:states:us-east-1:0:execution:Sweep:sweep-1';

describe('Step Functions runs adapter', () => {
  it('lists executions with the filter and token, in the domain’s shape', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXEC,
          stateMachineArn: 'sm',
          name: 'sweep-1',
          status: 'FAILED',
          startDate: new Date('2026-12-01T00:00:00Z'),
          stopDate: new Date('2026-12-01T00:01:00Z'),
          redriveCount: 2,
        },
      ],
      nextToken: 'next',
    });
    const page = await new StepFunctionsRuns(new SFNClient({})).listExecutions('sm', {
      status: 'FAILED',
      token: 'tok',
      max: 100,
    });
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: 'sm',
      maxResults: 100,
      statusFilter: 'FAILED',
      nextToken: 'tok',
    });
    expect(page).toEqual({
      items: [
        {
          name: 'sweep-1',
          status: 'FAILED',
          startedAt: '2026-12-01T00:00:00.000Z',
          stoppedAt: '2026-12-01T00:01:00.000Z',
          redriveCount: 2,
        },
      ],
      next: 'next',
    });
  });

  it('an unknown execution is null; refusals to stop or redrive carry Step Functions’ reason', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', ...meta }));
    sfn
      .on(RedriveExecutionCommand)
      .rejects(new ExecutionNotRedrivable({ message: 'period exceeded', ...meta }));
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    const runs = new StepFunctionsRuns(new SFNClient({}));
    expect(await runs.describeExecution(EXEC)).toBeNull();
    expect(await runs.redrive(EXEC)).toEqual({ refused: 'period exceeded' });
    expect(await runs.stop(EXEC, 'why')).toBeNull();
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: EXEC,
      error: 'StoppedByOperator',
      cause: 'why',
    });
  });

  it('history events carry their one details object; map runs their item counts', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 2,
          previousEventId: 1,
          type: 'TaskStateEntered',
          timestamp: new Date('2026-12-01T00:00:00Z'),
          stateEnteredEventDetails: { name: 'Rank', input: '{}' },
        },
      ],
    });
    sfn.on(ListMapRunsCommand).resolves({
      mapRuns: [{ executionArn: EXEC, mapRunArn: 'mr', stateMachineArn: 'sm/Check', startDate: new Date(0) }],
    });
    sfn.on(DescribeMapRunCommand).resolves({
      mapRunArn: 'mr',
      executionArn: EXEC,
      status: 'RUNNING',
      startDate: new Date(0),
      maxConcurrency: 8,
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      itemCounts: {
        pending: 10,
        running: 8,
        succeeded: 40,
        failed: 2,
        timedOut: 0,
        aborted: 4,
        total: 64,
        resultsWritten: 0,
      },
      executionCounts: {
        pending: 10,
        running: 8,
        succeeded: 40,
        failed: 2,
        timedOut: 0,
        aborted: 4,
        total: 64,
        resultsWritten: 0,
      },
    });
    const runs = new StepFunctionsRuns(new SFNClient({}));
    expect((await runs.history(EXEC, { token: null, max: 1000 })).events).toEqual([
      {
        id: 2,
        previousEventId: 1,
        type: 'TaskStateEntered',
        timestamp: '2026-12-01T00:00:00.000Z',
        details: { name: 'Rank', input: '{}' },
      },
    ]);
    expect(await runs.mapRuns(EXEC)).toEqual([
      {
        mapRunArn: 'mr',
        status: 'RUNNING',
        startedAt: '1970-01-01T00:00:00.000Z',
        stoppedAt: null,
        total: 64,
        pending: 10,
        running: 8,
        succeeded: 40,
        failed: 2,
        timedOut: 0,
        aborted: 4,
      },
    ]);
  });
});

describe('SQS dead-letter adapter', () => {
  const queues = () => new SqsDeadLetterQueues(new SQSClient({}), new LambdaClient({}));

  it('receives with the attributes a dead letter carries, and releases in batches of ten', async () => {
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [
        {
          MessageId: 'm1',
          ReceiptHandle: 'r1',
          Body: '{}',
          Attributes: { SentTimestamp: '1764547200000', ApproximateReceiveCount: '3' },
          MessageAttributes: { TARGET_ARN: { DataType: 'String', StringValue: 'arn:fn' } },
        },
      ],
    });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const received = await queues().receive('url', 10, 60);
    expect(received).toEqual([
      {
        id: 'm1',
        receipt: 'r1',
        body: '{}',
        sentAt: '2025-12-01T00:00:00.000Z',
        receiveCount: 3,
        attributes: { TARGET_ARN: 'arn:fn' },
      },
    ]);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({
      VisibilityTimeout: 60,
      MessageAttributeNames: ['All'],
    });
    await queues().release('url', Array(12).fill(received[0]));
    const batches = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input.Entries);
    expect(batches.map((b) => b?.length)).toEqual([10, 2]);
    expect(batches[0]?.[0]).toEqual({ Id: '0', ReceiptHandle: 'r1', VisibilityTimeout: 0 });
  });

  it('moves back to the sources with StartMessageMoveTask; a running task is a refusal', async () => {
    sqs
      .on(StartMessageMoveTaskCommand)
      .resolvesOnce({ TaskHandle: 'h1' })
      .rejects(new UnsupportedOperation({ message: 'a task is already running', ...meta }));
    expect(await queues().startMove('arn:dlq')).toEqual({ taskHandle: 'h1' });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({ SourceArn: 'arn:dlq' });
    expect(await queues().startMove('arn:dlq')).toEqual({ refused: 'a task is already running' });
  });

  it('replays with an asynchronous Invoke; throttling is a refusal', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 202 })
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', ...meta }));
    expect(await queues().invokeAsync('fn', '{"a":1}')).toBeNull();
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.InvocationType).toBe('Event');
    expect(new TextDecoder().decode(input?.Payload as Uint8Array)).toBe('{"a":1}');
    expect(await queues().invokeAsync('fn', '{}')).toEqual({ refused: 'Rate exceeded' });
  });
});
