/**
 * Issue #15: AWS-recorded EventBridge answers replayed locally (decision 46). The cases live in
 * test/eventbridge/recorded/*.json, transcribed from LocalStack's AWS-validated EventBridge snapshots and pattern
 * templates; each names its test. TestEventPattern goes through @aws-sdk/client-eventbridge as the recordings
 * did (same request text, so Jackson's columns in the messages count the same characters); target inputs go
 * through PutRule, PutTargets and PutEvents on a custom bus, as AWS recorded them. A case agrees on every class
 * unless it lists what it is known to miss (`differs`, with the reason), and then it must still miss it.
 * `npx tsx scripts/eb-recorded-score.ts` prints the scores by class.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from './api-harness.ts';
import {
  apiAnswer,
  loadDeliveryCases,
  loadPatternCases,
  matcherAnswer,
  replayDelivery,
  scorePattern,
} from './recorded/replay.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const patternCases = loadPatternCases();
const deliveryCases = loadDeliveryCases();

describe('AWS-recorded TestEventPattern answers (LocalStack test_events_patterns, AWS-validated)', () => {
  it('has the templates, their exceptions and the API cases', () => {
    expect(patternCases.length).toBeGreaterThan(150);
    expect(patternCases.filter((c) => c.error?.message).length).toBeGreaterThan(40);
  });
  for (const c of patternCases) {
    it(c.test, async () => {
      const s = scorePattern(c, matcherAnswer(c), await apiAnswer(api, c));
      const missed = (['matcher', 'api', 'exception', 'message'] as const).filter((k) => s[k] === false);
      expect({ missed, diffs: missed.length ? s.diffs : [] }).toEqual({
        missed: c.differs?.scores ?? [],
        diffs: c.differs ? expect.anything() : [],
      });
    });
  }
});

describe('AWS-recorded deliveries (LocalStack test_events_inputs and TestRuleWithPattern, AWS-validated)', () => {
  it('has input-path, transformer and bus-pattern cases', () => {
    expect(new Set(deliveryCases.map((c) => c.class))).toEqual(
      new Set(['input-path', 'transformer', 'bus-pattern']),
    );
  });
  for (const c of deliveryCases) {
    it(`${c.class}: ${c.test.replace(/^.*::/, '')}`, async () => {
      const s = await replayDelivery(api, c);
      expect({ agrees: s.agrees, diffs: s.diffs }).toEqual(
        c.differs ? { agrees: false, diffs: expect.anything() } : { agrees: true, diffs: [] },
      );
    });
  }
});
