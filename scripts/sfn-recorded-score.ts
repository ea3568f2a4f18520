/**
 * Scores the engine on the AWS-recorded cases (test/engine/recorded, decision 45): (a) same status,
 * output, error and cause; (b) same history event types; (c) (a) without the cause's wording.
 * Usage: npx tsx scripts/sfn-recorded-score.ts [--diffs]
 */
import {
  closeServices,
  formatSummary,
  loadCases,
  replay,
  score,
  summarise,
} from '../test/engine/recorded/replay.ts';

const rows = [];
for (const c of loadCases()) {
  const s = score(c, await replay(c));
  rows.push({ c, s });
  if (process.argv.includes('--diffs') && s.diffs.length)
    console.log(`✗ ${c.class} ${c.source}\n    ${s.diffs.join('\n    ')}`);
}
await closeServices();
console.log(formatSummary(summarise(rows)));
