import type { Engine, TaskHandler } from '../../local/engine/index.ts';
import { createEngine, createTaskRouter, MemoryStore, VirtualClock } from '../../local/engine/index.ts';
import type { Store } from '../../local/engine/model.ts';

export interface Harness {
  engine: Engine;
  clock: VirtualClock;
  /** create a machine (unique name), start, run to completion (advancing virtual time), return the result */
  run(def: object, input?: unknown, opts?: { maxSeconds?: number }): Promise<RunResult>;
  start(def: object, input?: unknown, name?: string): Promise<string>;
  machine(def: object, name?: string): Promise<string>;
  result(arn: string): Promise<RunResult>;
}

export interface RunResult {
  arn: string;
  status: string;
  output: unknown;
  error?: string;
  cause?: string;
  events: { type: string; [k: string]: unknown }[];
}

let seq = 0;

export const harness = async (
  opts: {
    handler?: TaskHandler;
    lambdas?: Record<string, (payload: unknown) => unknown>;
    store?: Store;
    clock?: VirtualClock;
  } = {},
): Promise<Harness> => {
  const clock = opts.clock ?? new VirtualClock();
  const handler =
    opts.handler ??
    createTaskRouter({
      invokeLambda: async (name, payload) => {
        const short = name.split(':').pop()!;
        const fn = opts.lambdas?.[short] ?? opts.lambdas?.[name];
        if (!fn) throw new Error(`no fake lambda ${name}`);
        return fn(payload);
      },
    });
  const engine = await createEngine({ store: opts.store ?? new MemoryStore(), clock, taskHandler: handler });
  const machine = async (def: object, name?: string) => {
    const r = await engine.createStateMachine({
      name: name ?? `sm-${++seq}`,
      definition: JSON.stringify(def),
    });
    return r.stateMachineArn;
  };
  const result = async (arn: string): Promise<RunResult> => {
    const d = await engine.describeExecution({ executionArn: arn });
    const h = await engine.getExecutionHistory({ executionArn: arn, maxResults: 1000 });
    return {
      arn,
      status: d.status,
      output: d.output === undefined ? undefined : JSON.parse(d.output),
      ...(d.error !== undefined ? { error: d.error } : {}),
      ...(d.cause !== undefined ? { cause: d.cause } : {}),
      events: h.events as RunResult['events'],
    };
  };
  const start = async (def: object, input: unknown = {}, name?: string) => {
    const sm = await machine(def);
    const r = await engine.startExecution({
      stateMachineArn: sm,
      input: JSON.stringify(input),
      ...(name ? { name } : {}),
    });
    return r.executionArn;
  };
  const run = async (def: object, input: unknown = {}, o: { maxSeconds?: number } = {}) => {
    const arn = await start(def, input);
    const limit = clock.now() + (o.maxSeconds ?? 86_400 * 30) * 1000;
    await clock.advance(0);
    for (;;) {
      const d = await engine.describeExecution({ executionArn: arn });
      if (d.status !== 'RUNNING') break;
      const next = clock.nextDue();
      if (next === undefined || next > limit) break;
      await clock.advanceTo(next);
    }
    return result(arn);
  };
  return { engine, clock, run, start, machine, result };
};
