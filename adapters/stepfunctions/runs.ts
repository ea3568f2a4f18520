import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  type SFNClient,
  type HistoryEvent as SfnHistoryEvent,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type {
  Execution,
  ExecutionDetail,
  ExecutionStatus,
  HistoryEvent,
  MapRunProgress,
  Refusal,
  WorkflowRuns,
} from '#domain/operations/ports';

const errorName = (error: unknown) => (error as { name?: string } | null)?.name ?? '';
const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

/** Step Functions' refusals of a stop or a redrive the operator can act on (answered 409). */
const REFUSALS = new Set(['ExecutionNotRedrivable', 'ExecutionLimitExceeded', 'ValidationException']);

/** A history event with its one `…EventDetails` object as `details`. */
export function historyEvent(e: SfnHistoryEvent): HistoryEvent {
  let details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object') details = v as Record<string, unknown>;
  }
  return {
    id: Number(e.id ?? 0),
    type: String(e.type ?? ''),
    timestamp: iso(e.timestamp) ?? '',
    previousEventId: e.previousEventId === undefined ? null : Number(e.previousEventId),
    details,
  };
}

/** The operations API's runs over Step Functions (ListExecutions, DescribeExecution, …). */
export class StepFunctionsRuns implements WorkflowRuns {
  constructor(private readonly client: SFNClient) {}

  async listExecutions(
    stateMachineArn: string,
    options: { status?: ExecutionStatus; token: string | null; max: number },
  ): Promise<{ items: Execution[]; next: string | null }> {
    const out = await this.client.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: options.max,
        ...(options.status ? { statusFilter: options.status } : {}),
        ...(options.token ? { nextToken: options.token } : {}),
      }),
    );
    return {
      items: (out.executions ?? []).map((e) => ({
        name: e.name ?? '',
        status: e.status as ExecutionStatus,
        startedAt: iso(e.startDate) ?? '',
        stoppedAt: iso(e.stopDate),
        redriveCount: e.redriveCount ?? 0,
      })),
      next: out.nextToken ?? null,
    };
  }

  async describeExecution(executionArn: string): Promise<ExecutionDetail | null> {
    try {
      const e = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        name: e.name ?? '',
        status: e.status as ExecutionStatus,
        startedAt: iso(e.startDate) ?? '',
        stoppedAt: iso(e.stopDate),
        redriveCount: e.redriveCount ?? 0,
        input: e.input ?? null,
        output: e.output ?? null,
        error: e.error ?? null,
        cause: e.cause ?? null,
        redriveStatus: (e.redriveStatus as ExecutionDetail['redriveStatus']) ?? null,
        redriveStatusReason: e.redriveStatusReason ?? null,
      };
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') return null;
      throw error;
    }
  }

  async definition(executionArn: string): Promise<string> {
    const sm = await this.client.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    return sm.definition ?? '{}';
  }

  async history(
    executionArn: string,
    options: { token: string | null; max: number; reverse?: boolean },
  ): Promise<{ events: HistoryEvent[]; next: string | null }> {
    const out = await this.client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: options.max,
        ...(options.reverse ? { reverseOrder: true } : {}),
        ...(options.token ? { nextToken: options.token } : {}),
      }),
    );
    return { events: (out.events ?? []).map(historyEvent), next: out.nextToken ?? null };
  }

  async stop(executionArn: string, cause: string | undefined): Promise<Refusal | null> {
    return this.#refusable(() =>
      this.client.send(
        new StopExecutionCommand({
          executionArn,
          error: 'StoppedByOperator',
          ...(cause ? { cause } : {}),
        }),
      ),
    );
  }

  async redrive(executionArn: string): Promise<Refusal | null> {
    return this.#refusable(() => this.client.send(new RedriveExecutionCommand({ executionArn })));
  }

  async mapRuns(executionArn: string): Promise<MapRunProgress[]> {
    const listed = await this.client.send(new ListMapRunsCommand({ executionArn, maxResults: 100 }));
    return Promise.all(
      (listed.mapRuns ?? []).map(async (m) => {
        const d = await this.client.send(new DescribeMapRunCommand({ mapRunArn: m.mapRunArn }));
        const c = d.itemCounts;
        return {
          mapRunArn: m.mapRunArn ?? '',
          status: d.status ?? 'RUNNING',
          startedAt: iso(d.startDate) ?? '',
          stoppedAt: iso(d.stopDate),
          total: Number(c?.total ?? 0),
          pending: Number(c?.pending ?? 0),
          running: Number(c?.running ?? 0),
          succeeded: Number(c?.succeeded ?? 0),
          failed: Number(c?.failed ?? 0),
          timedOut: Number(c?.timedOut ?? 0),
          aborted: Number(c?.aborted ?? 0),
        };
      }),
    );
  }

  async #refusable(call: () => Promise<unknown>): Promise<Refusal | null> {
    try {
      await call();
      return null;
    } catch (error) {
      if (REFUSALS.has(errorName(error))) return { refused: (error as Error).message };
      throw error;
    }
  }
}
