/**
 * `npm run bench`: every benchmark in bench/, each printing its numbers beside a baseline
 * measured in the same run. Not part of `npm test`. `npm run bench -- bundles` runs one.
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

let failed = false;
for (const file of files) {
  console.log(`\n## ${file}`);
  const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as { run?: () => Promise<{ ok: boolean }> };
  if (typeof mod.run !== 'function') continue; // self-running benchmark
  const { ok } = await mod.run();
  if (!ok) {
    console.error(`${file}: a target was missed`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
