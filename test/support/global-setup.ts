import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT, prepareAssembly } from '../../local/runtime/build.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The real app, synthesized with bundling (stage dev). */
    appAssembly: string;
    /** test/fixtures/app: a workflow with a wait, for the runtime's own tests. */
    fixtureAssembly: string;
    /**
     * The real app synthesized as the template tests build it (`createApp` without bundling or
     * cdk.json's context): `appTemplate()` (test/support/workflow-harness.ts) reads it.
     */
    appTemplateAssembly: string;
  }
}

/**
 * Synthesizes the cloud assemblies the runtime tests run, once per `vitest run` and only when
 * their sources changed (the fingerprint of `prepareAssembly`), before any test file starts.
 */
export default async function setup(project: TestProject) {
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache', 'storeflow-test');
  const appAssembly = join(cache, 'app.out');
  const fixtureAssembly = join(cache, 'fixture.out');
  const appTemplateAssembly = join(cache, 'app-template.out');
  await prepareAssembly(appAssembly, { stage: 'dev' }, async (outdir, context) => {
    const { synthesize } = await import('../../lib/synth.ts');
    synthesize(outdir, context);
  });
  await prepareAssembly(
    fixtureAssembly,
    { fixture: true },
    async (outdir) => {
      const { synthesizeFixtureApp } = await import('../fixtures/app/fixture-app.ts');
      synthesizeFixtureApp(outdir);
    },
    ['test/fixtures/app'],
  );
  // Eleven test files read the application stack's template; synthesized here once instead of
  // once in each (~4 s apiece).
  await prepareAssembly(appTemplateAssembly, { templateTests: true }, async (outdir) => {
    const { createApp } = await import('../../lib/app.ts');
    createApp({ outdir, context: { 'aws:cdk:bundling-stacks': [] } }).app.synth();
  });
  project.provide('appAssembly', appAssembly);
  project.provide('appTemplateAssembly', appTemplateAssembly);
  project.provide('fixtureAssembly', fixtureAssembly);
}
