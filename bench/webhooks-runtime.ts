/**
 * The runtime side of `webhooks.bench.ts`: the real app on the local runtime in its own process
 * (so the load generator does not share its event loop), answering the bench over IPC with its
 * memory (after a full GC) and CPU time. Not a benchmark by itself (no `.bench.ts` suffix).
 */
import { startRuntime } from '../local/runtime/runtime.ts';

const [assemblyDir, dataDir] = process.argv.slice(2);
if (!assemblyDir || !dataDir || !process.send) throw new Error('usage: fork with <assemblyDir> <dataDir>');
const send = (message: unknown) => process.send!(message);

const runtime = await startRuntime({ assemblyDir, dataDir, port: 0, clock: 'real' });
send({ type: 'ready', url: runtime.url });

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', async (message: { type: string }) => {
  switch (message.type) {
    case 'settle':
      await runtime.settle();
      send({ type: 'settled' });
      return;
    case 'memory': {
      for (let i = 0; i < 3; i++) gc?.();
      const m = process.memoryUsage();
      send({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external, gc: gc !== undefined });
      return;
    }
    case 'cpu':
      send({ type: 'cpu', ...process.cpuUsage() });
      return;
    case 'close':
      await runtime.close();
      send({ type: 'closed' });
      process.disconnect();
      return;
  }
});
