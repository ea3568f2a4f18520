/**
 * `npm run bench`: every benchmark in bench/, each printing its numbers beside a baseline
 * measured in the same run. Not part of `npm test`. `npm run bench -- bundles` runs one.
 *
 * Each part runs in a process of its own (`bench/part.ts`), one after the other, so that none
 * inherits what an earlier one left in memory or running. Every part runs even if an earlier one
 * failed or missed a target; the run ends with a summary and exits non-zero if any did. A part's
 * process ends when the part does, naming the handles it left open, so they can be fixed.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PART_EXIT } from './part-exit.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

type Outcome = 'ok' | 'ran (self-running)' | 'missed a target' | 'failed';
const outcomes: Record<number, Outcome> = {
  [PART_EXIT.ok]: 'ok',
  [PART_EXIT.selfRunning]: 'ran (self-running)',
  [PART_EXIT.missed]: 'missed a target',
};

/** Runs one part in a new process with this one's Node options (tsx's loader); its outcome. */
function runPart(file: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, `${dir}part.ts`, `${dir}${file}`], {
      stdio: 'inherit',
    });
    child.on('error', (error) => {
      console.error(`${file} could not start: ${error.message}`);
      resolve('failed');
    });
    child.on('exit', (code, signal) => {
      if (signal) console.error(`${file} ended by ${signal}`);
      resolve(code !== null ? (outcomes[code] ?? 'failed') : 'failed');
    });
  });
}

const results: Array<{ file: string; outcome: Outcome }> = [];
for (const file of files) {
  console.log(`\n## ${file}`);
  results.push({ file, outcome: await runPart(file) });
}

console.log('\n## summary');
const good = (outcome: string) => outcome === 'ok' || outcome === 'ran (self-running)';
for (const r of results) console.log(`${good(r.outcome) ? 'ok    ' : 'NOT OK'}  ${r.file}: ${r.outcome}`);
process.exit(results.some((r) => !good(r.outcome)) ? 1 : 0);
