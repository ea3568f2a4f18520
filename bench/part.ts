/**
 * One part of `npm run bench`, in a process of its own: `bench/run.ts` starts one per
 * `*.bench.ts` file. What a part leaves in its process (a runtime it started in process, with its
 * heap, its native memory and its sandboxes' threads) cannot then slow a later part, whose load
 * generator would share that process: inside one process, the webhooks bench, which runs last,
 * measured its loopback baseline at half its own run's rate.
 *
 * Its outcome is its exit code (`PART_EXIT`). Not a benchmark by itself (no `.bench.ts` suffix).
 */
import { pathToFileURL } from 'node:url';
import { PART_EXIT } from './part-exit.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: part.ts <bench file>');

/**
 * An error's stack, with what tells a network failure's origin: its `code`, the AWS SDK's
 * `$metadata` (attempts made, retry delay: an SDK call that gave up after its retries) and its
 * causes (`fetch` puts the socket's error there).
 */
function describeFailure(error: unknown, depth = 0): string {
  const e = error as {
    stack?: string;
    code?: string;
    $metadata?: { attempts?: number; totalRetryDelay?: number; httpStatusCode?: number };
    cause?: unknown;
  } | null;
  const lines = [e?.stack ?? String(error)];
  if (e?.code) lines.push(`  code: ${e.code}`);
  if (e?.$metadata) {
    const m = e.$metadata;
    lines.push(
      `  AWS SDK: ${m.attempts ?? '?'} attempt(s), ${m.totalRetryDelay ?? 0} ms of retry delay, HTTP ${m.httpStatusCode ?? 'none'}`,
    );
  }
  if (e?.cause !== undefined && depth < 5) lines.push(`  caused by: ${describeFailure(e.cause, depth + 1)}`);
  return lines.join('\n');
}

let code: number = PART_EXIT.failed;
try {
  const mod = (await import(pathToFileURL(file).href)) as { run?: () => Promise<{ ok: boolean }> };
  if (typeof mod.run !== 'function') {
    code = PART_EXIT.selfRunning; // it ran as it was imported
  } else {
    code = (await mod.run()).ok ? PART_EXIT.ok : PART_EXIT.missed;
  }
} catch (error) {
  console.error(`${file} failed: ${describeFailure(error)}`);
}

// Whatever the part may have left open, its process ends here.
type Handle = {
  hasRef?(): boolean;
  exitCode?: number | null;
  signalCode?: string | null;
  spawnargs?: string[];
};
const handles = (process as unknown as { _getActiveHandles(): Handle[] })._getActiveHandles();
const left = handles
  .filter((h) => h !== process.stdout && h !== process.stderr && h !== process.stdin)
  .filter((h) => h.hasRef?.() !== false) // unref'd ones (esbuild's service process) never held a run
  .filter((h) => h.exitCode == null && h.signalCode == null) // a child that has exited holds nothing
  .map((h) => `${h.constructor?.name ?? 'handle'}${h.spawnargs ? ` (${h.spawnargs.join(' ')})` : ''}`);
if (left.length > 0) console.error(`(handles still open at the end of ${file}: ${left.join(', ')})`);
process.exit(code);
