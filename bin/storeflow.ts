#!/usr/bin/env node
/** Composition root of the CDK app: `cdk synth`, `cdk deploy -c stage=prod`. */
import { createApp } from '../lib/app.ts';

createApp().app.synth();
