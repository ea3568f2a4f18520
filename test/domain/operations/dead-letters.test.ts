import { describe, expect, it } from 'vitest';
import type { OperationsCatalog } from '#domain/operations/catalog';
import { classifyDeadLetter, operationsDeadLetters } from '#domain/operations/dead-letters';
import { operationsOverview } from '#domain/operations/overview';
import type { DeadLetterQueues, QueueMessage, WorkflowRuns } from '#domain/operations/ports';
import { operationsRuns } from '#domain/operations/runs';
import { ManualClock } from '#domain/shared/clock';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:app-TimelineRecord';

describe('where a dead letter was going', () => {
  it('reads an EventBridge rule’s and a schedule’s attributes', () => {
    expect(
      classifyDeadLetter({
        body: '{"detail":{}}',
        attributes: {
          RULE_ARN: 'arn:aws:events:us-east-1:000000000000:rule/bus/app-AllEvents',
          TARGET_ARN: FN,
          ERROR_CODE: 'SDK_CLIENT_ERROR',
          ERROR_MESSAGE: 'throttled',
        },
      }),
    ).toEqual({
      target: { kind: 'function', name: 'app-TimelineRecord', via: 'rule', source: 'app-AllEvents' },
      payload: '{"detail":{}}',
      error: { code: 'SDK_CLIENT_ERROR', message: 'throttled' },
    });
    expect(
      classifyDeadLetter({
        body: '{}',
        attributes: {
          SCHEDULE_ARN: 'arn:aws:scheduler:us-east-1:0:schedule/default/tick',
          TARGET_ARN: `${FN}:$LATEST`,
        },
      }).target,
    ).toEqual({ kind: 'function', name: 'app-TimelineRecord', via: 'schedule', source: 'tick' });
  });

  it('reads a Lambda OnFailure invocation record; anything else names no target', () => {
    const record = {
      version: '1.0',
      requestContext: {
        functionArn: `${FN}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { id: 'e-1' },
      responsePayload: { errorType: 'ValidationError', errorMessage: 'detail.metadata: required' },
    };
    expect(classifyDeadLetter({ body: JSON.stringify(record), attributes: {} })).toEqual({
      target: { kind: 'function', name: 'app-TimelineRecord', via: 'async-invoke' },
      payload: '{"id":"e-1"}',
      error: { code: 'RetriesExhausted', message: 'ValidationError: detail.metadata: required' },
    });
    expect(classifyDeadLetter({ body: 'not json', attributes: {} }).target).toBeNull();
    expect(classifyDeadLetter({ body: '{"hello":1}', attributes: {} }).target).toBeNull();
  });
});

/** A queue in memory with SQS's visibility: received messages are hidden until released. */
function memoryQueues(bodies: string[]) {
  let n = 0;
  const messages = bodies.map((body) => ({ id: `m${++n}`, body, hidden: false, receives: 0 }));
  const invoked: Array<{ fn: string; payload: string }> = [];
  const port: DeadLetterQueues = {
    depth: async () => ({
      visible: messages.filter((m) => !m.hidden).length,
      inFlight: messages.filter((m) => m.hidden).length,
    }),
    receive: async (_url, max) =>
      messages
        .filter((m) => !m.hidden)
        .slice(0, max)
        .map((m): QueueMessage => {
          m.hidden = true;
          m.receives++;
          return {
            id: m.id,
            receipt: `r-${m.id}`,
            body: m.body,
            sentAt: '2026-12-01T00:00:00.000Z',
            receiveCount: m.receives,
            attributes: {},
          };
        }),
    release: async (_url, released) => {
      for (const r of released) for (const m of messages) if (m.id === r.id) m.hidden = false;
    },
    delete: async (_url, d) => {
      messages.splice(
        messages.findIndex((m) => m.id === d.id),
        1,
      );
    },
    startMove: async () => ({ taskHandle: 'task-1' }),
    invokeAsync: async (fn, payload) => {
      invoked.push({ fn, payload });
      return null;
    },
  };
  return { port, messages, invoked };
}

const record = (fn: string, payload: unknown) =>
  JSON.stringify({
    requestContext: { functionArn: `arn:aws:lambda:r:0:function:${fn}` },
    requestPayload: payload,
  });

const catalog: OperationsCatalog = {
  workflows: [],
  deadLetters: [
    {
      name: 'dlq',
      url: 'https://sqs/0/dlq',
      arn: 'arn:aws:sqs:r:0:dlq',
      redrive: 'replay',
      feeds: [{ kind: 'function', name: 'record', label: 'Timeline/Record' }],
    },
    { name: 'moved', url: 'https://sqs/0/moved', arn: 'arn:aws:sqs:r:0:moved', redrive: 'move', feeds: [] },
  ],
};

describe('dead-letter queues', () => {
  it('a peek leaves every message in the queue; the list shows the oldest seen', async () => {
    const q = memoryQueues([record('record', { a: 1 }), record('record', { a: 2 })]);
    const api = operationsDeadLetters({
      catalog,
      queues: q.port,
      clock: new ManualClock('2026-12-01T00:10:00Z'),
    });
    const peek = await api.messages('dlq', { limit: '5' });
    expect(peek.items.map((m) => m.body)).toEqual([
      { requestContext: expect.any(Object), requestPayload: { a: 1 } },
      { requestContext: expect.any(Object), requestPayload: { a: 2 } },
    ]);
    expect(q.messages.every((m) => !m.hidden)).toBe(true);
    const listed = await api.list();
    expect(listed.queues[0]).toMatchObject({ name: 'dlq', depth: 2, inFlight: 0, oldestAgeSeconds: 600 });
    expect(listed.queues[0]?.feeds).toEqual([{ kind: 'function', name: 'Timeline/Record' }]);
  });

  it('redrive replays what goes to a feed (deleted), and keeps what does not (shown again)', async () => {
    const q = memoryQueues([record('record', { a: 1 }), record('other', { b: 1 }), 'garbage']);
    const api = operationsDeadLetters({ catalog, queues: q.port, clock: new ManualClock() });
    const result = await api.redrive('dlq');
    expect(result).toMatchObject({ replayed: 1, remaining: 2 });
    expect(result.skipped?.map((s) => s.reason)).toEqual([
      'its function other does not feed dlq',
      'it names no function it was meant for',
    ]);
    expect(q.invoked).toEqual([{ fn: 'record', payload: '{"a":1}' }]);
    expect(q.messages.map((m) => m.body)).toEqual([record('other', { b: 1 }), 'garbage']);
    expect(q.messages.every((m) => !m.hidden)).toBe(true);
    await expect(api.replay('dlq', 'm2')).rejects.toMatchObject({ code: 'Conflict' });
    await expect(api.replay('dlq', 'm404')).rejects.toMatchObject({ code: 'NotFound' });
    // (The fake's depth is the one queue's.)
    expect(await api.redrive('moved')).toEqual({ moved: 2, taskHandle: 'task-1' });
    await expect(api.messages('nope', {})).rejects.toMatchObject({ code: 'NotFound' });
  });
});

describe('the overview', () => {
  it('lists the runs that wait for a person, with what they wait for', async () => {
    const approval = {
      name: 'PurchaseOrderApproval',
      stateMachineArn: 'arn:aws:states:r:0:stateMachine:Approval',
      key: { type: 'po' as const },
      waits: { AwaitApproval: { kind: 'po-approval', by: 'person' as const } },
    };
    const definition = {
      StartAt: 'AwaitApproval',
      States: {
        AwaitApproval: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          End: true,
        },
      },
    };
    const at = '2026-12-01T00:00:00.000Z';
    const port: WorkflowRuns = {
      listExecutions: async (_arn, o) => ({
        items:
          o.status === 'RUNNING'
            ? [{ name: 'PO-1', status: 'RUNNING', startedAt: at, stoppedAt: null, redriveCount: 0 }]
            : [],
        next: null,
      }),
      describeExecution: async () => ({
        name: 'PO-1',
        status: 'RUNNING',
        startedAt: at,
        stoppedAt: null,
        redriveCount: 0,
        input: '{}',
        output: null,
        error: null,
        cause: null,
        redriveStatus: 'NOT_REDRIVABLE',
        redriveStatusReason: 'Execution is RUNNING and cannot be redriven.',
      }),
      definition: async () => JSON.stringify(definition),
      history: async () => ({
        events: [
          { id: 1, type: 'ExecutionStarted', timestamp: at, previousEventId: 0, details: {} },
          {
            id: 2,
            type: 'TaskStateEntered',
            timestamp: at,
            previousEventId: 1,
            details: { name: 'AwaitApproval' },
          },
          { id: 3, type: 'TaskSubmitted', timestamp: at, previousEventId: 2, details: {} },
        ],
        next: null,
      }),
      stop: async () => null,
      redrive: async () => null,
      mapRuns: async () => [],
    };
    const cat: OperationsCatalog = { workflows: [approval], deadLetters: [] };
    const overview = operationsOverview({
      catalog: cat,
      runs: operationsRuns({ catalog: cat, runs: port }),
      deadLetters: { list: async () => ({ queues: [] }) },
      slaBreaches: async () => [{ promiseId: 'p-1' }],
      clock: new ManualClock('2026-12-01T01:00:00Z'),
    });
    const o = await overview.overview();
    expect(o.runs).toEqual({
      PurchaseOrderApproval: {
        RUNNING: 1,
        SUCCEEDED: 0,
        FAILED: 0,
        TIMED_OUT: 0,
        ABORTED: 0,
        PENDING_REDRIVE: 0,
      },
    });
    expect(o.waiting).toEqual([
      {
        run: expect.objectContaining({ id: 'PurchaseOrderApproval:PO-1' }),
        waitingFor: { kind: 'po-approval', by: 'person', state: 'AwaitApproval', since: at, poId: 'PO-1' },
      },
    ]);
    expect(o.slaBreaches).toEqual([{ promiseId: 'p-1' }]);
  });
});
