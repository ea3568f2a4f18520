import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  executionArnOf,
  keyOfRun,
  type OperationsCatalog,
  runNameOfKey,
  type WorkflowEntry,
} from '#domain/operations/catalog';
import type { Execution, ExecutionStatus, HistoryEvent, WorkflowRuns } from '#domain/operations/ports';
import { definitionStates, runStates, waitingFor } from '#domain/operations/run-states';
import { LIST_PAGE, operationsRuns } from '#domain/operations/runs';
import { ValidationError } from '#domain/shared/errors';
import { runName } from '#domain/workflow/run';

const presale: WorkflowEntry = {
  name: 'PresaleOrder',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Presale',
  key: { type: 'order', prefix: 'order', seed: 'presale-run' },
  waits: { AwaitBalance: { kind: 'presale-balance', by: 'customer' } },
};
const approval: WorkflowEntry = {
  name: 'PurchaseOrderApproval',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Approval',
  key: { type: 'po' },
  waits: { AwaitApproval: { kind: 'po-approval', by: 'person' } },
};

describe('business keys and run ids', () => {
  it('a run name is its key when Step Functions accepts it, else a digest that names no key', () => {
    expect(keyOfRun(presale, '1001')).toEqual({ type: 'order', value: '1001' });
    const hashed = runName('order #1/2', { prefix: 'order', seed: 'presale-run' });
    expect(hashed).toMatch(/^order-[0-9a-f]{32}$/);
    expect(keyOfRun(presale, hashed)).toBeNull();
    expect(runNameOfKey(presale, { value: 'order #1/2' })).toBe(hashed);
    expect(runNameOfKey(presale, { type: 'order', value: '1001' })).toBe('1001');
    expect(runNameOfKey(presale, { type: 'po', value: '1001' })).toBeNull();
    expect(runNameOfKey(approval, { value: 'PO 1' })).toBeNull();
    expect(executionArnOf(presale.stateMachineArn, '1001')).toBe(
      'arn:aws:states:us-east-1:000000000000:execution:Presale:1001',
    );
  });
});

const ev = (id: number, type: string, details: Record<string, unknown> = {}, previousEventId = id - 1) => ({
  id,
  type,
  timestamp: new Date(Date.UTC(2026, 11, 1, 0, 0, id)).toISOString(),
  previousEventId,
  details,
});

const definition = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'AwaitApproval' },
    AwaitApproval: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Next: 'Fan',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
    },
    Fan: {
      Type: 'Map',
      ItemProcessor: { StartAt: 'Page', States: { Page: { Type: 'Task', Resource: 'x', End: true } } },
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', Error: 'ApprovalFailed', Cause: 'see the PO' },
  },
};

describe('a run’s states from its definition and history', () => {
  it('lists every state, nested ones with their path', () => {
    expect(definitionStates(definition).map((s) => s.path)).toEqual([
      'Prepare',
      'AwaitApproval',
      'Fan',
      'Fan/Page',
      'Done',
      'Failed',
    ]);
  });

  it('a submitted callback is waiting; a retried step that succeeded is succeeded', () => {
    const events: HistoryEvent[] = [
      ev(1, 'ExecutionStarted', { input: '{}' }, 0),
      ev(2, 'TaskStateEntered', { name: 'Prepare', input: '{"poId":"PO-1"}' }),
      ev(3, 'TaskScheduled'),
      ev(4, 'TaskFailed', { error: 'Lambda.ServiceException' }),
      ev(5, 'TaskScheduled'),
      ev(6, 'TaskSucceeded', { output: '{}' }),
      ev(7, 'TaskStateExited', { name: 'Prepare', output: '{"poId":"PO-1","ok":true}' }),
      ev(8, 'TaskStateEntered', { name: 'AwaitApproval', input: '{}' }),
      ev(9, 'TaskScheduled'),
      ev(10, 'TaskStarted'),
      ev(11, 'TaskSubmitted'),
    ];
    const states = runStates(definition, events, 'RUNNING');
    const by = Object.fromEntries(states.map((s) => [s.name, s]));
    expect(by.Prepare).toMatchObject({
      status: 'succeeded',
      input: { poId: 'PO-1' },
      output: { poId: 'PO-1', ok: true },
      entries: 1,
    });
    expect(by.AwaitApproval).toMatchObject({ status: 'waiting', exitedAt: null });
    expect(by.Fan?.status).toBe('not-run');
    expect(waitingFor(states, approval.waits, { type: 'po', value: 'PO-1' })).toEqual({
      kind: 'po-approval',
      by: 'person',
      state: 'AwaitApproval',
      since: events[7]!.timestamp,
      poId: 'PO-1',
    });
    // Scheduled but not yet submitted: running, not waiting.
    expect(runStates(definition, events.slice(0, 10), 'RUNNING')[1]?.status).toBe('running');
  });

  it('a caught failure is caught, the Fail state failed; an uncaught one fails its state', () => {
    const caught: HistoryEvent[] = [
      ev(1, 'ExecutionStarted', {}, 0),
      ev(2, 'TaskStateEntered', { name: 'AwaitApproval', input: '{}' }),
      ev(3, 'TaskScheduled'),
      ev(4, 'TaskFailed', { error: 'States.Timeout', cause: 'too late' }),
      ev(5, 'TaskStateExited', { name: 'AwaitApproval', output: '{}' }),
      ev(6, 'FailStateEntered', { name: 'Failed', input: '{}' }),
      ev(7, 'ExecutionFailed', { error: 'ApprovalFailed' }),
    ];
    const by = Object.fromEntries(runStates(definition, caught, 'FAILED').map((s) => [s.name, s]));
    expect(by.AwaitApproval).toMatchObject({ status: 'caught', error: 'States.Timeout', cause: 'too late' });
    expect(by.Failed).toMatchObject({ status: 'failed', error: 'ApprovalFailed', cause: 'see the PO' });

    const uncaught = [...caught.slice(0, 4), ev(5, 'ExecutionFailed', { error: 'States.Timeout' })];
    const after = runStates(definition, uncaught, 'FAILED');
    expect(after[1]).toMatchObject({ status: 'failed', error: 'States.Timeout' });
    // Stopped while waiting: the waiting state did not finish.
    const aborted = [...caught.slice(0, 3), ev(4, 'TaskSubmitted'), ev(5, 'ExecutionAborted', {})];
    expect(runStates(definition, aborted, 'ABORTED')[1]?.status).toBe('failed');
  });

  it('a redriven state counts its entries and shows its last', () => {
    const events: HistoryEvent[] = [
      ev(1, 'ExecutionStarted', {}, 0),
      ev(2, 'TaskStateEntered', { name: 'Prepare', input: '{}' }),
      ev(3, 'TaskFailed', { error: 'Rejected' }),
      ev(4, 'ExecutionFailed', { error: 'Rejected' }),
      ev(5, 'ExecutionRedriven', { redriveCount: 1 }),
      ev(6, 'TaskStateEntered', { name: 'Prepare', input: '{"again":1}' }, 5),
      ev(7, 'TaskSucceeded', {}),
      ev(8, 'TaskStateExited', { name: 'Prepare', output: '{"ok":1}' }),
    ];
    expect(runStates(definition, events, 'RUNNING')[0]).toMatchObject({
      status: 'succeeded',
      entries: 2,
      input: { again: 1 },
      output: { ok: 1 },
    });
  });
});

/** Step Functions' ListExecutions over fixed lists: newest first, pages by an opaque token. */
function fakeRuns(executions: Record<string, Execution[]>): WorkflowRuns & { calls: number } {
  const port = {
    calls: 0,
    async listExecutions(arn: string, o: { status?: ExecutionStatus; token: string | null; max: number }) {
      port.calls++;
      const all = (executions[arn] ?? [])
        .filter((e) => !o.status || e.status === o.status)
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      const start = o.token ? Number(o.token.slice(4)) : 0;
      const items = all.slice(start, start + o.max);
      return { items, next: start + o.max < all.length ? `tok-${start + o.max}` : null };
    },
    describeExecution: async () => null,
    definition: async () => '{}',
    history: async () => ({ events: [], next: null }),
    stop: async () => null,
    redrive: async () => null,
    mapRuns: async () => [],
  };
  return port;
}

const execution = (name: string, second: number, status: ExecutionStatus = 'RUNNING'): Execution => ({
  name,
  status,
  startedAt: new Date(Date.UTC(2026, 11, 1, 0, 0, 0) + second * 1000).toISOString(),
  stoppedAt: null,
  redriveCount: 0,
});

describe('the runs list across workflows', () => {
  it('pages merge every workflow newest first, with no duplicate and no gap, whatever the page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 50 })), { maxLength: 2 * LIST_PAGE + 20 }),
        fc.integer({ min: 1, max: 100 }),
        async (runs, limit) => {
          const lists: Record<string, Execution[]> = {
            [presale.stateMachineArn]: [],
            [approval.stateMachineArn]: [],
          };
          runs.forEach(([isPresale, second], i) => {
            const arn = isPresale ? presale.stateMachineArn : approval.stateMachineArn;
            lists[arn]!.push(execution(`r${i}`, second));
          });
          const catalog: OperationsCatalog = { workflows: [presale, approval], deadLetters: [] };
          const api = operationsRuns({ catalog, runs: fakeRuns(lists) });
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const page: { items: Array<{ id: string; startedAt: string }>; nextCursor: string | null } =
              await api.list({ limit: String(limit), ...(cursor ? { cursor } : {}) });
            expect(page.items.length).toBeLessThanOrEqual(limit);
            if (page.nextCursor) expect(page.items).toHaveLength(limit);
            seen.push(...page.items.map((r) => `${r.startedAt}|${r.id}`));
            cursor = page.nextCursor;
          } while (cursor);
          expect(seen).toHaveLength(runs.length);
          expect(new Set(seen).size).toBe(runs.length);
          const startedAt = seen.map((s) => s.split('|')[0]!);
          expect(startedAt).toEqual([...startedAt].sort().reverse());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a cursor it did not hand out, or one of other filters', async () => {
    const catalog: OperationsCatalog = { workflows: [presale, approval], deadLetters: [] };
    const lists = {
      [presale.stateMachineArn]: [execution('a', 1), execution('b', 2)],
      [approval.stateMachineArn]: [execution('c', 3)],
    };
    const api = operationsRuns({ catalog, runs: fakeRuns(lists) });
    const first = await api.list({ limit: '1' });
    expect(first.items.map((r) => r.id)).toEqual(['PurchaseOrderApproval:c']);
    await expect(api.list({ limit: '1', cursor: 'bm9wZQ' })).rejects.toThrow(ValidationError);
    const presales = await api.list({ workflow: 'PresaleOrder', limit: '1' });
    expect(presales.nextCursor).not.toBeNull();
    await expect(
      api.list({ workflow: 'PurchaseOrderApproval', cursor: presales.nextCursor ?? '' }),
    ).rejects.toMatchObject({ issues: [{ field: 'cursor' }] });
  });
});
