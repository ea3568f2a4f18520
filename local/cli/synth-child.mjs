// Synthesizes a CDK app in its own process, so the CLI decides where its output goes (`--quiet`
// hides the bundling lines esbuild and the CDK write straight to the inherited descriptors).
// Arguments: <module> <export> <outdir> <context JSON>; the export is called as (outdir, context).
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const [modulePath, exportName, outdir, context] = process.argv.slice(2);
const mod = await import(pathToFileURL(modulePath).href);
await mod[exportName](outdir, JSON.parse(context));
