/**
 * `npm run bench`: every benchmark in bench/, each printing its numbers beside a baseline
 * measured in the same run. Not part of `npm test`. `npm run bench -- bundles` runs one.
 *
 * Every part runs even if an earlier one failed or missed a target; the run ends with a summary
 * and exits non-zero if any did. Parts close what they open; should one leave a handle behind,
 * the run still exits (it names the handles left, so they can be fixed).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

const results: Array<{ file: string; outcome: 'ok' | 'ran (self-running)' | 'missed a target' | 'failed' }> =
  [];
for (const file of files) {
  console.log(`\n## ${file}`);
  try {
    const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as {
      run?: () => Promise<{ ok: boolean }>;
    };
    if (typeof mod.run !== 'function') {
      results.push({ file, outcome: 'ran (self-running)' }); // it ran as it was imported
      continue;
    }
    const { ok } = await mod.run();
    results.push({ file, outcome: ok ? 'ok' : 'missed a target' });
  } catch (error) {
    console.error(`${file} failed: ${(error as Error).stack ?? String(error)}`);
    results.push({ file, outcome: 'failed' });
  }
}

console.log('\n## summary');
const good = (outcome: string) => outcome === 'ok' || outcome === 'ran (self-running)';
for (const r of results) console.log(`${good(r.outcome) ? 'ok    ' : 'NOT OK'}  ${r.file}: ${r.outcome}`);
const failed = results.some((r) => !good(r.outcome));

// Whatever a part may have left open, the run ends here.
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
if (left.length > 0) console.error(`(handles still open at the end: ${left.join(', ')})`);
process.exit(failed ? 1 : 0);
