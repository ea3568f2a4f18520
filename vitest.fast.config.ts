import { defineConfig } from 'vitest/config';

/**
 * The fast tier (`npm run test:fast`): the domain, adapters against in-process dynalite, handlers,
 * the engine, the bus and the queues, the console's data shaping — everything that needs no synthesized app and no runtime
 * process. Seconds, not minutes; `npm test` runs everything.
 */
export default defineConfig({
  test: {
    include: [
      'test/domain/**/*.test.ts',
      'test/adapters/**/*.test.ts',
      'test/handlers/**/*.test.ts',
      'test/eventbridge/**/*.test.ts',
      'test/sqs/**/*.test.ts',
      'test/engine/*.test.ts',
      'test/console/**/*.test.ts',
    ],
    exclude: ['test/engine/crash.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // A bound on a hang, not a speed check: the engine's TestState and mock tests synthesize the
    // presale definition with aws-cdk-lib in their setup, which a loaded machine slows past
    // vitest's 10 s default (their tests were then reported skipped).
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/scratch-tmpdir.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
