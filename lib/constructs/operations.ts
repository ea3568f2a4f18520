import { ArnFormat, type CfnElement, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { OperationsCatalog } from '#domain/operations/catalog';
import { ROUTES } from './api-routes.ts';
import type { FeatureProps } from './feature.ts';
import { grantIndexQuery } from './grants.ts';
import { nagArn } from './nag.ts';
import { OperationsCatalogBuilder } from './operations-catalog.ts';
import { StoreflowFunction } from './storeflow-function.ts';

/**
 * The operations API over Step Functions and SQS (issue #14, decision 29): the runs of every
 * workflow and the dead-letter queues, read from the stack's operations catalog (workflows add
 * themselves through the workflow kit, dead-letter feeds through EventTargets), so a workflow added
 * later appears without a change here. Added last in the app stack; the catalog is sealed then.
 *
 * Least privilege: listing and describing on the catalog's state machines, reading, stopping and
 * redriving their executions (Distributed Map children included) and map runs; on the dead-letter
 * queues receive/delete/move, and invoking only the functions that feed them (replay).
 */
export class Operations extends Construct {
  constructor(scope: Construct, id: string, props: FeatureProps) {
    super(scope, id);
    const { config, routes } = props;
    const stack = Stack.of(this);
    const catalog = OperationsCatalogBuilder.of(this).seal(this.node.path);

    const spec: OperationsCatalog = {
      workflows: catalog.workflows.map((w) => ({
        name: w.name,
        stateMachineArn: w.stateMachine.stateMachineArn,
        key: w.key,
        ...(w.waits ? { waits: w.waits } : {}),
        ...(w.distributedMap ? { distributedMap: true } : {}),
      })),
      deadLetters: catalog.deadLetters.map((d) => ({
        name: d.queue.queueName,
        url: d.queue.queueUrl,
        arn: d.queue.queueArn,
        redrive: d.queues.length > 0 && d.functions.length === 0 ? 'move' : 'replay',
        feeds: [
          ...d.functions.map((fn) => ({
            kind: 'function' as const,
            name: fn.functionName,
            label: fn.node.scope?.node.path.split('/').slice(1).join('/') ?? fn.node.path,
          })),
          ...d.queues.map((q) => ({
            kind: 'queue' as const,
            name: q.queueUrl,
            label: q.node.path.split('/').slice(1).join('/'),
          })),
        ],
      })),
    };

    const api = new StoreflowFunction(this, 'Api', {
      entry: 'operations-api',
      description: 'Operations API: runs of every workflow (stop, redrive), dead letters (redrive, replay)',
      config,
      // API Gateway answers within 30 s; a dead-letter redrive replays at most a batch per call.
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: { OPERATIONS_CATALOG: stack.toJsonString(spec), TABLE_NAME: props.table.tableName },
    }).fn;
    // The overview's latest SLA breaches: the ledger is a query on the table's gsi1.
    grantIndexQuery(props.table, api);

    const executions = (machineName: string, suffix: string) =>
      stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${machineName}${suffix}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    for (const w of catalog.workflows) {
      const machine = w.stateMachine;
      machine.grant(api, 'states:ListExecutions');
      // The name is the ARN's last segment (a token until deployment).
      const name = Fn.select(6, Fn.split(':', machine.stateMachineArn));
      const runs = [executions(name, ':*')];
      if (w.distributedMap) runs.push(executions(name, '/*:*'));
      api.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: [
            'states:DescribeExecution',
            'states:DescribeStateMachineForExecution',
            'states:GetExecutionHistory',
            'states:StopExecution',
            'states:RedriveExecution',
            ...(w.distributedMap ? ['states:ListMapRuns'] : []),
          ],
          resources: runs,
        }),
      );
      if (w.distributedMap) {
        api.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['states:DescribeMapRun'],
            resources: [
              stack.formatArn({
                service: 'states',
                resource: 'mapRun',
                resourceName: `${name}/*:*`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            ],
          }),
        );
      }
    }
    for (const d of catalog.deadLetters) {
      d.queue.grant(
        api,
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:StartMessageMoveTask',
        'sqs:ListMessageMoveTasks',
      );
      for (const source of d.queues) source.grantSendMessages(api);
    }
    // A replay invokes a feed function itself (unqualified: $LATEST), never a version or alias.
    const feeds = catalog.deadLetters.flatMap((d) => d.functions);
    if (feeds.length > 0) {
      api.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['lambda:InvokeFunction'],
          resources: feeds.map((fn) => fn.functionArn),
        }),
      );
    }

    // The execution and map run ARNs above as cdk-nag names them, acknowledged one by one.
    for (const w of catalog.workflows) {
      const logicalId = stack.getLogicalId(w.stateMachine.node.defaultChild as CfnElement);
      const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId}"}]}]}`;
      const wildcards = [`execution:${name}:*`];
      if (w.distributedMap) wildcards.push(`execution:${name}/*:*`, `mapRun:${name}/*:*`);
      for (const resource of wildcards) {
        Validations.of(api).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagArn(this, 'states', resource)}]`,
          reason: `The runs of the ${w.name} workflow only (executions, Distributed Map children and map runs of its state machine): their names are made at run time.`,
        });
      }
    }

    for (const route of [
      ROUTES.listRuns,
      ROUTES.getRun,
      ROUTES.stopRun,
      ROUTES.redriveRun,
      ROUTES.listDeadLetters,
      ROUTES.deadLetterMessages,
      ROUTES.redriveDeadLetters,
      ROUTES.replayDeadLetter,
      ROUTES.overview,
    ]) {
      routes.operator(route, api);
    }
  }
}
