#!/usr/bin/env node
/** Composition root of the CDK app: `cdk synth`, `cdk deploy -c stage=prod`. */
import { createApp } from '../lib/app.ts';
import { ConfigError } from '../lib/config.ts';

try {
  createApp().app.synth();
} catch (error) {
  // A mistake in the context is the operator's to fix: its message, not a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`storeflow: ${error.message}\n`);
  process.exitCode = 1;
}
