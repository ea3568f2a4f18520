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
    // the TestState and mock-configuration tests synthesize the app once in beforeAll (the presale
    // workflow's real definition): tens of seconds on a loaded machine, over vitest's 10 s default
    hookTimeout: 120_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
