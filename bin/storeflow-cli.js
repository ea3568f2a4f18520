#!/usr/bin/env node
// The `storeflow` command. TypeScript sources run through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

// The SDK's notice about Node 20 support ending is for the operator, not for every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../local/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// Whatever a shutdown left behind (a sandbox still terminating) must not keep the process alive.
setTimeout(() => process.exit(), 2000).unref();
