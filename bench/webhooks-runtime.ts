/**
 * The runtime side of `webhooks.bench.ts` and `scheduler.bench.ts`: an app on the local runtime
 * in its own process (so the load generator does not share its event loop), answering the bench
 * over IPC with its memory (after a full GC) and CPU time. Arguments: the assembly, the data
 * directory, and optionally `virtual` for a virtual clock. Not a benchmark by itself (no
 * `.bench.ts` suffix).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { glibcMallocStats } from '../local/runtime/malloc-trim.ts';
import { startRuntime } from '../local/runtime/runtime.ts';

/** CPU time of the main thread alone (Linux: /proc), in microseconds; undefined elsewhere. */
function mainThreadCpuMicros(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux)
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

const [assemblyDir, dataDir, clock] = process.argv.slice(2);
if (!assemblyDir || !dataDir || !process.send) throw new Error('usage: fork with <assemblyDir> <dataDir>');
const send = (message: unknown) => process.send!(message);

const runtime = await startRuntime({
  assemblyDir,
  dataDir,
  port: 0,
  clock: clock === 'virtual' ? 'virtual' : 'real',
  // BENCH_TRANSPORT=http: the sandboxes reach the runtime over loopback HTTP (for comparison)
  sandboxTransport: process.env.BENCH_TRANSPORT === 'http' ? 'http' : 'in-process',
  // BENCH_MAX_SANDBOXES=n: sandboxes per function (default: the runtime's)
  ...(process.env.BENCH_MAX_SANDBOXES ? { maxSandboxes: Number(process.env.BENCH_MAX_SANDBOXES) } : {}),
  // BENCH_BACKGROUND_BUSY=n: asynchronous invocations at once while a request waits (default 1);
  // BENCH_BACKGROUND_HOLD_MS=n: how long they wait at most while requests queue (default 0: never)
  background: {
    ...(process.env.BENCH_BACKGROUND_BUSY ? { busy: Number(process.env.BENCH_BACKGROUND_BUSY) } : {}),
    ...(process.env.BENCH_BACKGROUND_HOLD_MS
      ? { maxHoldMs: Number(process.env.BENCH_BACKGROUND_HOLD_MS) }
      : {}),
    // BENCH_REQUEST_HOLD_MS=n: how long a background invocation's AWS call waits at most while
    // foreground work is in flight (default the runtime's; 0: never)
    ...(process.env.BENCH_REQUEST_HOLD_MS
      ? { requestHoldMs: Number(process.env.BENCH_REQUEST_HOLD_MS) }
      : {}),
  },
});
send({ type: 'ready', url: runtime.url });

// The bench that forked this runtime was killed (Ctrl-C, a timeout): the IPC channel closes, and the
// runtime goes with it instead of running on as an orphan.
let closing = false;
process.on('disconnect', () => {
  if (closing) return;
  // close() drains the background work, which after a load run can take minutes: a bounded wait
  // (the bench's data dir is a throwaway), then out.
  setTimeout(() => process.exit(0), 3000).unref();
  void runtime.close().finally(() => process.exit(0));
});

let smapsReadings = 0;
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
      // BENCH_SMAPS_DIR=<dir>: the process's memory map at each reading, to tell what grew
      // (scripts/smaps-summary.py compares them by kind of mapping)
      if (process.env.BENCH_SMAPS_DIR) {
        writeFileSync(
          join(process.env.BENCH_SMAPS_DIR, `smaps-${++smapsReadings}.txt`),
          readFileSync('/proc/self/smaps'),
        );
      }
      // the RSS's file-backed part: the store's table files LevelDB maps, pages the kernel can drop
      const rssFile = /^RssFile:\s+(\d+) kB/m.exec(
        process.platform === 'linux' ? readFileSync('/proc/self/status', 'utf8') : '',
      )?.[1];
      send({
        type: 'memory',
        ...(rssFile !== undefined ? { rssFile: Number(rssFile) * 1024 } : {}),
        // V8's spaces: what each holds against what it keeps committed (its slack at rest)
        spaces: Object.fromEntries(
          getHeapSpaceStatistics().map((sp) => [
            sp.space_name.replace(/_space$/, ''),
            { committed: sp.physical_space_size, used: sp.space_used_size },
          ]),
        ),
        // glibc's malloc: in use, free in its arenas (resident or not), mapped whole
        malloc: glibcMallocStats(),
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        gc: gc !== undefined,
      });
      return;
    }
    case 'reclaim':
      // the idle sandboxes go now, as their idle timeouts would take them (memory at rest)
      send({ type: 'reclaimed', sandboxes: await runtime.reclaimIdleSandboxes() });
      return;
    case 'cpu':
      send({ type: 'cpu', ...process.cpuUsage(), main: mainThreadCpuMicros() });
      return;
    case 'stats':
      send({ type: 'stats', ...runtime.stats() });
      return;
    case 'exit':
      // Out at once, the backlog left behind (the probe's throwaway data dir); CPU profiles are
      // written on the way out.
      process.exit(0);
      return;
    case 'close':
      closing = true;
      await runtime.close();
      send({ type: 'closed' });
      process.disconnect();
      return;
  }
});
