#!/usr/bin/env node
// The `storeflow` command. TypeScript sources run through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../local/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
