import { App, type AppProps, Aspects, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AsyncEdgeGuard } from './aspects/async-edge-guard.ts';
import { stageConfig } from './config.ts';
import { AppStack } from './stacks/app-stack.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';

/**
 * Builds the storeflow CDK app for one stage. bin/storeflow.ts calls it for `cdk synth/deploy`;
 * the infra tests call it directly.
 */
export function createApp(props: AppProps = {}) {
  const app = new App(props);
  const config = stageConfig((key) => app.node.tryGetContext(key));
  const prefix = `storeflow-${config.stage}`;
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

  const stateful = new StatefulStack(app, `${prefix}-stateful`, {
    config,
    env,
    description: 'storeflow: table, event bus and archive, webhook secrets (retained)',
    terminationProtection: config.protectData,
  });
  const application = new AppStack(app, `${prefix}-app`, {
    config,
    env,
    description: 'storeflow: functions, workflows, HTTP API and event rules',
    table: stateful.table,
    bus: stateful.bus,
    shopifySecret: stateful.shopifySecret,
    storeflowSecret: stateful.storeflowSecret,
    storefrontWriteKey: stateful.storefrontWriteKey,
  });
  application.addStackDependency(stateful);

  Tags.of(app).add('app', 'storeflow');
  Tags.of(app).add('stage', config.stage);
  Aspects.of(app).add(new AsyncEdgeGuard());
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, config, stateful, application };
}
