import { describe, expect, it } from 'vitest';
import { DEFAULT_PILOT } from '#domain/campaigns/campaign';
import { evaluatePilot } from '#domain/campaigns/evaluation';
import { nextAfter } from '#domain/campaigns/run';

const window = { from: '2026-11-01T00:00:00.000Z', to: '2026-11-03T00:00:00.000Z' };
const counts = (pilot: [number, number], control: [number, number]) => [
  { variant: 'pilot', users: pilot[0], clicks: pilot[0], conversions: pilot[1] },
  { variant: 'control', users: control[0], clicks: control[0], conversions: control[1] },
];
const evaluate = (c: ReturnType<typeof counts>, terms = DEFAULT_PILOT) =>
  evaluatePilot(terms, c, window, window.to);

describe('pilot evaluation (SPEC §5)', () => {
  it('+30% on enough users, significant: roll out, the numbers in the receipt', () => {
    const e = evaluate(counts([2000, 260], [2000, 200]));
    expect(e).toMatchObject({
      decision: 'rollout',
      liftBps: 3000,
      pilot: { users: 2000, conversions: 260 },
      control: { users: 2000, conversions: 200 },
      sampleRatioOk: true,
      requiredLiftBps: 2000,
      engine: 'campaigns/1',
    });
    expect(e.z).toBeCloseTo(2.9737, 4);
    expect(e.reason).toContain('+30.00% ≥ +20.00% required');
  });

  it('+5%: rolled back, the reason says by how much it missed', () => {
    const e = evaluate(counts([2000, 210], [2000, 200]));
    expect(e.decision).toBe('rollback');
    expect(e.inconclusive).toBe(false);
    expect(e.reason).toContain('lift +5.00% below the required +20.00%');
    expect(e.reason).toContain('10.50% (210/2000)');
  });

  it('enough lift but not significant: rolled back', () => {
    const e = evaluate(counts([1000, 13], [1000, 10]), { ...DEFAULT_PILOT, minSamplePerGroup: 100 });
    expect(e.decision).toBe('rollback');
    expect(e.reason).toContain('not significant');
  });

  it('below the minimum sample: rolled back as inconclusive, whatever the lift', () => {
    const e = evaluate(counts([300, 90], [300, 30]));
    expect(e).toMatchObject({ decision: 'rollback', inconclusive: true });
    expect(e.reason).toMatch(
      /^inconclusive: pilot 300 and control 300 users, below the minimum sample of 1000/,
    );
  });

  it('a sample-ratio mismatch is held for a person, never rolled out', () => {
    const e = evaluate(counts([3000, 900], [2000, 200]));
    expect(e).toMatchObject({ decision: 'hold', sampleRatioOk: false });
    expect(e.reason).toContain('sample-ratio mismatch');
    expect(nextAfter('hold', 'auto')).toBe('await');
  });

  it('auto decides at once; approval always waits for a person', () => {
    expect(nextAfter('rollout', 'auto')).toBe('rollout');
    expect(nextAfter('rollback', 'auto')).toBe('rollback');
    expect(nextAfter('rollout', 'approval')).toBe('await');
    expect(nextAfter('rollback', 'approval')).toBe('await');
  });

  it('no counts at all: inconclusive', () => {
    expect(evaluate([])).toMatchObject({ decision: 'rollback', inconclusive: true });
  });
});
