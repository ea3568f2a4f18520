/**
 * Scores the local EventBridge on the AWS-recorded cases (test/eventbridge/recorded, decision 46): the pattern
 * matcher, the TestEventPattern API (result, exception, exact message) and what targets receive.
 * Usage: npx tsx scripts/eb-recorded-score.ts [--diffs]
 */
import { startApi } from '../test/eventbridge/api-harness.ts';
import { formatScores, scoreAll } from '../test/eventbridge/recorded/replay.ts';

const api = await startApi();
try {
  const { scores, diffs } = await scoreAll(api);
  if (process.argv.includes('--diffs'))
    for (const d of diffs) console.log(`✗ ${d.source}\n    ${d.diffs.join('\n    ')}`);
  console.log(formatScores(scores));
} finally {
  await api.close();
}
