import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Engine, TaskHandler } from '../../local/engine/index.ts';
import {
  createEngine,
  createTaskRouter,
  MemoryStore,
  startSfnServer,
  VirtualClock,
} from '../../local/engine/index.ts';

export interface SdkHarness {
  engine: Engine;
  clock: VirtualClock;
  client: SFNClient;
  url: string;
  close(): Promise<void>;
  /** create + start + advance virtual time until the execution closes; all through the SDK */
  run(def: object, input?: unknown, opts?: { type?: 'STANDARD' | 'EXPRESS'; name?: string }): Promise<SdkRun>;
  settle(arn: string): Promise<SdkRun>;
}

export interface SdkRun {
  arn: string;
  status: string;
  output: unknown;
  error?: string;
  cause?: string;
  events: { type?: string; [k: string]: unknown }[];
}

let n = 0;

/** messages sent through the fake SQS integration (callback-pattern tests read tokens from here) */
export const sent: { action: string; params: Record<string, unknown> }[] = [];

export const sdkHarness = async (
  opts: { lambdas?: Record<string, (payload: unknown) => unknown>; handler?: TaskHandler } = {},
): Promise<SdkHarness> => {
  const clock = new VirtualClock();
  const engine = await createEngine({
    store: new MemoryStore(),
    clock,
    taskHandler:
      opts.handler ??
      createTaskRouter({
        invokeLambda: async (name, payload) => {
          const short = name.split(':').pop()!;
          const fn = opts.lambdas?.[short];
          if (!fn) throw new Error(`no fake lambda ${name}`);
          return fn(payload);
        },
        sqs: async (action, params) => {
          sent.push({ action, params });
          return { MessageId: `m-${sent.length}` };
        },
      }),
  });
  const server = await startSfnServer({ engine, port: 0 });
  const client = new SFNClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    disableHostPrefix: true,
    maxAttempts: 1,
  });
  const settle = async (arn: string): Promise<SdkRun> => {
    for (let i = 0; i < 10_000; i++) {
      await clock.advance(0);
      const d = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
      if (d.status !== 'RUNNING') break;
      if (!(await clock.runNext())) break;
    }
    const d = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
    const h = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }));
    return {
      arn,
      status: d.status!,
      output: d.output === undefined ? undefined : JSON.parse(d.output),
      ...(d.error !== undefined ? { error: d.error } : {}),
      ...(d.cause !== undefined ? { cause: d.cause } : {}),
      events: (h.events ?? []) as unknown as SdkRun['events'],
    };
  };
  const run = async (
    def: object,
    input: unknown = {},
    o: { type?: 'STANDARD' | 'EXPRESS'; name?: string } = {},
  ) => {
    const sm = await client.send(
      new CreateStateMachineCommand({
        name: `conf-${++n}`,
        definition: JSON.stringify(def),
        roleArn: 'arn:aws:iam::123456789012:role/test',
        type: o.type ?? 'STANDARD',
      }),
    );
    const ex = await client.send(
      new StartExecutionCommand({
        stateMachineArn: sm.stateMachineArn,
        input: JSON.stringify(input),
        name: o.name,
      }),
    );
    return settle(ex.executionArn!);
  };
  return {
    engine,
    clock,
    client,
    url: server.url,
    run,
    settle,
    close: async () => {
      client.destroy();
      await server.close();
      await engine.close();
    },
  };
};
