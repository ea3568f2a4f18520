import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, pilotGroup } from '#domain/campaigns/assignment';
import { hashAssignment } from '#domain/metrics/traffic';

/**
 * The traffic generator (issue #16) puts users in a pilot or a control group with its own default
 * assignment; the campaign's evaluation (issue #17) counts them with the documented one. They must
 * be the same function, or generated pilots would be judged on the wrong users.
 */
describe('the traffic generator’s default assignment is the campaigns’ documented one', () => {
  it('agrees on every user, for any split', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        (campaignId, user, pilotBps, controlBps) => {
          const generated = hashAssignment(campaignId, pilotBps, controlBps)(user) ?? 'none';
          const documented = pilotGroup(
            { hashPercent: pilotBps / 100 },
            controlBps / 100,
            bucketOf(campaignId, user),
          );
          expect(generated).toBe(documented);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
