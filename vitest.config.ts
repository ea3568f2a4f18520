import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'local/**/*.test.ts'],
    environment: 'node',
    // A bound on a hang, not a speed check: runtime tests drive a child runtime that a loaded
    // machine slows several-fold (30 s was hit at load 20+ on 2 cores).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one worker on a 2-core machine, where
    // the runtime tests spend much of their time waiting on their runtime (a child process, the
    // virtual clock, LevelDB) and two files at a time halve the suite (~300 s → ~160 s here).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/support/scratch-tmpdir.ts', 'test/support/global-setup.ts'],
    reporters: ['default'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
