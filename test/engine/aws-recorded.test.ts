/**
 * Issue #15: AWS-recorded executions replayed through the engine (decision 45). The cases live in
 * test/engine/recorded/*.json, transcribed from LocalStack's Step Functions snapshots that were
 * validated against AWS; each names its source. A case agrees on every score unless it lists the
 * scores it is known to miss (`differs`, with the reason) — and then it must still miss them, so the
 * list stays true. `npx tsx scripts/sfn-recorded-score.ts` prints the scores by class.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeServices, loadCases, replay, score } from './recorded/replay.ts';

const cases = loadCases();

describe('AWS-recorded executions', () => {
  afterAll(closeServices);
  it('has cases from every class', () => {
    expect(cases.length).toBeGreaterThan(50);
  });
  for (const c of cases) {
    it(`${c.class}: ${c.source}`, async () => {
      const s = score(c, await replay(c));
      const missed = (['a', 'b', 'c'] as const).filter((k) => !s[k]);
      expect({ missed, diffs: missed.length ? s.diffs : [] }).toEqual({
        missed: c.differs?.scores ?? [],
        diffs: c.differs ? expect.anything() : [],
      });
    });
  }
});
