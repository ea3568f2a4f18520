/**
 * The engine's public face: the Step Functions API (api.ts) over the core (core.ts), plus the
 * controls a runtime and tests use (idle, compact, close, diagnostics).
 */
import * as api from './api.ts';
import type { Clock } from './clock.ts';
import type { EngineOptions } from './core.ts';
import { Core } from './core.ts';
import { recover } from './durability.ts';
import type { MockConfig } from './mocks.ts';
import type { Frame, Store } from './model.ts';
import type { TaskHandler } from './tasks.ts';
import type { TestStateRequest } from './test-state.ts';
import { testState } from './test-state.ts';
import type { ExecutionStatus } from './types.ts';
import { clone } from './types.ts';

export type { EngineOptions } from './core.ts';
export type { TaskContext, TaskHandler } from './tasks.ts';

type Req<F extends (c: api.EngineCore, req: never) => unknown> = Parameters<F>[1];

export class Engine {
  /** @internal */
  readonly core: Core;

  constructor(opts: EngineOptions = {}) {
    this.core = new Core(opts);
  }

  get clock(): Clock {
    return this.core.clock;
  }
  get store(): Store {
    return this.core.store;
  }
  get region(): string {
    return this.core.region;
  }
  get accountId(): string {
    return this.core.accountId;
  }
  /** counts committed transitions (state exits), for benchmarks */
  get transitions(): number {
    return this.core.transitions;
  }
  /** consecutive failed compactions */
  get compactFailures(): number {
    return this.core.compactor.failures;
  }

  setTaskHandler(h: TaskHandler): void {
    this.core.handler = h;
  }

  /** Load (or drop) the mock configuration that `<stateMachineArn>#<test case>` executions use. */
  setMockConfig(config: MockConfig | undefined): void {
    this.core.mocks = config;
  }

  /** Load state from the store and resume every open execution. */
  recover(): Promise<void> {
    return recover(this.core);
  }

  /**
   * Resolves when no step is queued and no task handler is running (everything blocked or done), the
   * journal is flushed and no snapshot is being written.
   */
  idle(): Promise<void> {
    return this.core.idle();
  }

  /**
   * Write a snapshot now, whatever `compactEvery` says (after a compaction already in progress), e.g.
   * before a planned shutdown. Rejects if it fails.
   */
  compact(): Promise<void> {
    return this.core.compactor.compact();
  }

  /** Stop timers and close the store (executions stay as they are on disk). */
  close(): Promise<void> {
    return this.core.close();
  }

  /** Resolves once the execution is closed (SUCCEEDED/FAILED/TIMED_OUT/ABORTED). */
  waitForExecution(arn: string): Promise<void> {
    return this.core.waitForClose(this.core.getExec(arn));
  }

  /** Test/diagnostic view of the open frames of an execution. */
  framesOf(arn: string): Frame[] {
    return [...this.core.getExec(arn).frames.values()].map((f) => clone(f));
  }

  /** Number of executions per status (diagnostics). */
  stats(): Partial<Record<ExecutionStatus, number>> {
    const out: Partial<Record<ExecutionStatus, number>> = {};
    for (const x of this.core.execs.values()) out[x.meta.status] = (out[x.meta.status] ?? 0) + 1;
    return out;
  }

  // ------------------------------------------------------------------ the Step Functions API

  createStateMachine(req: Req<typeof api.createStateMachine>) {
    return api.createStateMachine(this.core, req);
  }
  updateStateMachine(req: Req<typeof api.updateStateMachine>) {
    return api.updateStateMachine(this.core, req);
  }
  validateStateMachineDefinition(req: Req<typeof api.validateStateMachineDefinition>) {
    return api.validateStateMachineDefinition(this.core, req);
  }
  describeMapRun(req: Req<typeof api.describeMapRun>) {
    return api.describeMapRun(this.core, req);
  }
  listMapRuns(req: Req<typeof api.listMapRuns>) {
    return api.listMapRuns(this.core, req);
  }
  describeStateMachine(req: Req<typeof api.describeStateMachine>) {
    return api.describeStateMachine(this.core, req);
  }
  listStateMachines(req: Req<typeof api.listStateMachines> = {}) {
    return api.listStateMachines(this.core, req);
  }
  deleteStateMachine(req: Req<typeof api.deleteStateMachine>) {
    return api.deleteStateMachine(this.core, req);
  }
  startExecution(req: Req<typeof api.startExecution>) {
    return api.startExecution(this.core, req);
  }
  /** Express-style: run to completion and return the result (not journaled). */
  startSyncExecution(req: Req<typeof api.startSyncExecution>) {
    return api.startSyncExecution(this.core, req);
  }
  describeExecution(req: Req<typeof api.describeExecution>) {
    return api.describeExecution(this.core, req);
  }
  listExecutions(req: Req<typeof api.listExecutions>) {
    return api.listExecutions(this.core, req);
  }
  getExecutionHistory(req: Req<typeof api.getExecutionHistory>) {
    return api.getExecutionHistory(this.core, req);
  }
  stopExecution(req: Req<typeof api.stopExecution>) {
    return api.stopExecution(this.core, req);
  }
  redriveExecution(req: Req<typeof api.redriveExecution>) {
    return api.redriveExecution(this.core, req);
  }
  describeStateMachineForExecution(req: Req<typeof api.describeStateMachineForExecution>) {
    return api.describeStateMachineForExecution(this.core, req);
  }
  sendTaskSuccess(req: Req<typeof api.sendTaskSuccess>) {
    return api.sendTaskSuccess(this.core, req);
  }
  sendTaskFailure(req: Req<typeof api.sendTaskFailure>) {
    return api.sendTaskFailure(this.core, req);
  }
  sendTaskHeartbeat(req: Req<typeof api.sendTaskHeartbeat>) {
    return api.sendTaskHeartbeat(this.core, req);
  }
  /** TestState: run one state with an input (optionally mocked), as the AWS API action does. */
  testState(req: TestStateRequest) {
    return testState(this.core, req);
  }
}

/** Create an engine and recover whatever its store holds. */
export const createEngine = async (opts: EngineOptions = {}): Promise<Engine> => {
  const e = new Engine(opts);
  await e.recover();
  return e;
};
