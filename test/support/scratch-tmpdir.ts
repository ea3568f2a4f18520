import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A global setup of both test configs: the run's temporary files go under one directory of their
 * own, removed when the run ends.
 *
 * Every CDK `App` a test builds without an `outdir` synthesizes into a new `cdk.out*` directory
 * under the system's temporary directory, and aws-cdk-lib never removes it: ~90 of them a run, of
 * ~23 MB each (2 GB a `npm test`). The worker processes and the runtimes the tests start are
 * forked after this runs and inherit `TMPDIR`, which `os.tmpdir()` reads.
 */
export default function setup() {
  const scratch = mkdtempSync(join(tmpdir(), 'storeflow-test-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(scratch, { recursive: true, force: true });
  };
}
