import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, pilotGroup, subjectOf, variantOf } from '#domain/campaigns/assignment';

const ids = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);

describe('stable assignment (a documented hash a storefront can compute)', () => {
  it('is the documented function: uint32_be(sha256(id + ":" + subject)[0..4]) mod 10000', () => {
    const digest = createHash('sha256').update('C-1:user-42').digest();
    expect(bucketOf('C-1', 'user-42')).toBe(digest.readUInt32BE(0) % 10_000);
  });

  it('gives the same user the same answer, and pilot and control are disjoint', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (campaign, user) => {
        const b = bucketOf(campaign, user);
        expect(bucketOf(campaign, user)).toBe(b);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(BUCKETS);
        const g = pilotGroup({ hashPercent: 5 }, 5, b);
        expect(g === 'pilot').toBe(b < 500);
        expect(g === 'control').toBe(b >= 500 && b < 1000);
      }),
    );
  });

  it('splits 100,000 ids within ±1% of the promised shares', () => {
    for (const [pilot, control] of [
      [5, 5],
      [10, 20],
      [50, 50],
    ] as const) {
      const counts = { pilot: 0, control: 0, none: 0 };
      for (const id of ids)
        counts[pilotGroup({ hashPercent: pilot }, control, bucketOf('CAMPAIGN-2026', id))]++;
      expect(Math.abs(counts.pilot / ids.length - pilot / 100)).toBeLessThanOrEqual(0.01);
      expect(Math.abs(counts.control / ids.length - control / 100)).toBeLessThanOrEqual(0.01);
      expect(counts.pilot + counts.control + counts.none).toBe(ids.length);
    }
    const variants = [
      { id: 'a', weight: 50 },
      { id: 'b', weight: 30 },
      { id: 'c', weight: 20 },
    ];
    const seen: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (const id of ids) seen[variantOf(variants, bucketOf('X-1', id)).id]!++;
    expect(Math.abs(seen.a! / ids.length - 0.5)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(seen.b! / ids.length - 0.3)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(seen.c! / ids.length - 0.2)).toBeLessThanOrEqual(0.01);
  });

  it('a channel segment: the channel is the pilot, the hash picks the control among the rest', () => {
    expect(pilotGroup({ channel: 'douyin' }, 5, 9999, 'douyin')).toBe('pilot');
    expect(pilotGroup({ channel: 'douyin' }, 5, 100, 'web')).toBe('control');
    expect(pilotGroup({ channel: 'douyin' }, 5, 600, null)).toBe('none');
  });

  it('an anonymous visitor who signs in keeps one subject: the anonymous id first linked', () => {
    expect(subjectOf('U-1', 'anon-7')).toBe('anon-7');
    expect(subjectOf('U-1', null)).toBe('U-1');
  });
});
