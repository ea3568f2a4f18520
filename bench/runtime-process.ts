/**
 * A bench's runtime in a child process (webhooks-runtime.ts), driven over IPC: ready with its URL,
 * settle, memory after a full GC, CPU time, close. Not a benchmark by itself.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type Message = { type: string; [k: string]: unknown };

/** The runtime in a child process, driven over IPC (`clock`: real unless `virtual`). */
export async function startRuntimeProcess(
  assemblyDir: string,
  dataDir: string,
  clock: 'real' | 'virtual' = 'real',
) {
  const child = fork(
    fileURLToPath(new URL('./webhooks-runtime.ts', import.meta.url)),
    [assemblyDir, dataDir, clock],
    {
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of every thread of the runtime (main and sandboxes);
      // BENCH_NODE_FLAGS: more node flags for the runtime's process (A/Bs of V8 settings)
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        ...(process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
      ],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  const waiting = new Map<string, (m: Message) => void>();
  let exited: (m: Message) => void = () => {};
  const exit = new Promise<Message>((r) => {
    exited = r;
  });
  child.on('message', (m: Message) => {
    const w = waiting.get(m.type);
    waiting.delete(m.type);
    w?.(m);
  });
  child.once('exit', (code) => exited({ type: 'exit', code }));
  const ask = (type: string, answer: string): Promise<Message> =>
    Promise.race([
      new Promise<Message>((resolve) => {
        waiting.set(answer, resolve);
        if (type) child.send({ type });
      }),
      exit.then((m) => {
        throw new Error(`the runtime process exited (${String(m.code)})`);
      }),
    ]);
  const ready = await ask('', 'ready');
  return {
    url: new URL(String(ready.url)),
    settle: () => ask('settle', 'settled'),
    memory: () =>
      ask('memory', 'memory') as Promise<
        Message & {
          rss: number;
          heapUsed: number;
          heapTotal: number;
          external: number;
          /** of `external`: ArrayBuffers' and Buffers' memory (malloc'd) */
          arrayBuffers?: number;
          /** Linux: the RSS's file-backed part (the store's table files, which LevelDB maps) */
          rssFile?: number;
          /** V8's heap spaces (old, new, code, large_object, …): bytes committed and in use */
          spaces?: Record<string, { committed: number; used: number }>;
          malloc?: { inUse: number; free: number; mapped: number };
        }
      >,
    /** Reclaims the idle sandboxes now, as their idle timeouts would; how many went. */
    reclaim: () => ask('reclaim', 'reclaimed') as Promise<Message & { sandboxes: number }>,
    cpu: () => ask('cpu', 'cpu') as Promise<Message & { user: number; system: number; main?: number }>,
    stats: () =>
      ask('stats', 'stats') as Promise<
        Message & {
          calls: Record<string, number>;
          invocations: Record<string, number>;
          cpu: Record<string, number>;
          schedules: number;
        }
      >,
    async close() {
      if (child.exitCode !== null) return;
      const bye = new Promise<void>((r) => child.once('close', () => r()));
      child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await bye;
      if (child.connected) child.disconnect();
      clearTimeout(timer);
    },
    kill: () => child.kill('SIGKILL'),
    /** Ends the runtime process at once without draining its backlog (CPU profiles are written). */
    async exit() {
      if (child.exitCode !== null) return;
      const bye = new Promise<void>((r) => child.once('close', () => r()));
      child.send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await bye;
      clearTimeout(timer);
    },
  };
}
