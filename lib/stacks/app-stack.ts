import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { PresaleOrderWorkflow } from '#workflows/presale-order';
import type { StageConfig } from '../config.ts';
import { StoreflowFunction } from '../constructs/storeflow-function.ts';

export interface AppStackProps extends StackProps {
  readonly config: StageConfig;
  readonly table: ITable;
  readonly bus: IEventBus;
  readonly shopifySecret: ISecret;
  readonly storeflowSecret: ISecret;
}

/** The routes of the HTTP API, in one place (tests and docs read them from here). */
export const ROUTES = {
  shopifyWebhook: 'POST /webhooks/shopify',
  storeflowWebhook: 'POST /webhooks/storeflow',
  orderTimeline: 'GET /api/orders/{orderId}/timeline',
  skuTimeline: 'GET /api/skus/{sku}/timeline',
  putPresale: 'PUT /api/presales/{presaleId}',
  getPresale: 'GET /api/presales/{presaleId}',
  getPresaleOrder: 'GET /api/presale-orders/{orderId}',
} as const;

/**
 * The application: functions, HTTP API and event rules over the stateful stack's table, bus and
 * secrets (received as interfaces; references flow one way). Every permission is a grant of the
 * narrowest actions the function uses; every async edge has a dead-letter queue.
 */
export class AppStack extends Stack {
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    const { config, table, bus } = props;

    const failures = new Queue(this, 'AsyncFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the event-rule targets and async Lambda invocations.',
    });
    new Alarm(this, 'AsyncFailuresAlarm', {
      alarmDescription: 'A storeflow event or async invocation failed every retry and waits in the DLQ',
      metric: failures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const ingestEnv = {
      TABLE_NAME: table.tableName,
      EVENT_BUS_NAME: bus.eventBusName,
      STORE_CURRENCY: config.storeCurrency,
    };
    const shopify = new StoreflowFunction(this, 'ReceiveShopifyWebhook', {
      entry: 'receive-shopify-webhook',
      description: 'POST /webhooks/shopify: verify, dedupe, normalize and publish Shopify webhooks',
      config,
      environment: { ...ingestEnv, SHOPIFY_WEBHOOK_SECRET_ARN: props.shopifySecret.secretArn },
    }).fn;
    const storeflow = new StoreflowFunction(this, 'ReceiveStoreflowWebhook', {
      entry: 'receive-storeflow-webhook',
      description: 'POST /webhooks/storeflow: verify, dedupe, normalize and publish storeflow events',
      config,
      environment: { ...ingestEnv, STOREFLOW_WEBHOOK_SECRET_ARN: props.storeflowSecret.secretArn },
    }).fn;
    for (const fn of [shopify, storeflow]) {
      // BatchWriteItem: the inventory items a product names, and the timeline line of a delivery
      // that publishes no event.
      grantTable(
        table,
        fn,
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:BatchWriteItem',
      );
      bus.grantPutEventsTo(fn);
    }
    props.shopifySecret.grantRead(shopify);
    props.storeflowSecret.grantRead(storeflow);

    const recordTimeline = new StoreflowFunction(this, 'RecordTimeline', {
      entry: 'record-timeline',
      description: 'Records every storeflow event on the timelines of the business keys it concerns',
      config,
      // An order of 2,000 SKUs writes ~4,000 lines (160 batches): bounded, but not in 10 s.
      timeout: Duration.seconds(60),
      environment: { TABLE_NAME: table.tableName },
    }).fn;
    grantTable(table, recordTimeline, 'dynamodb:BatchWriteItem');
    recordTimeline.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(failures),
    });
    new Rule(this, 'RecordTimelineRule', {
      eventBus: bus,
      description: 'Every storeflow event goes on the timeline',
      eventPattern: { source: [{ prefix: 'storeflow.' }] as unknown as string[] },
      targets: [
        new LambdaFunction(recordTimeline, {
          deadLetterQueue: failures,
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    const getTimeline = new StoreflowFunction(this, 'GetTimeline', {
      entry: 'get-timeline',
      description: 'GET /api/orders/{orderId}/timeline and /api/skus/{sku}/timeline',
      config,
      environment: { TABLE_NAME: table.tableName },
    }).fn;
    grantTable(table, getTimeline, 'dynamodb:Query');

    // --- presale orders (SPEC §2) ------------------------------------------------------------------
    const presaleEnv = { TABLE_NAME: table.tableName, EVENT_BUS_NAME: bus.eventBusName };
    const presaleStep = new StoreflowFunction(this, 'PresaleOrderStep', {
      entry: 'presale-order-step',
      description:
        'The steps of the presale order workflow (take a unit, record, open, pay, forfeit, cancel, compensate)',
      config,
      environment: presaleEnv,
    }).fn;
    grantTable(
      table,
      presaleStep,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchWriteItem',
    );
    bus.grantPutEventsTo(presaleStep);
    const presaleWorkflow = new PresaleOrderWorkflow(this, 'PresaleOrderWorkflow', {
      step: presaleStep,
      config,
    }).stateMachine;
    new Alarm(this, 'PresaleOrderFailedAlarm', {
      alarmDescription: 'A presale order run failed for good and was compensated; see the order timeline',
      metric: presaleWorkflow.metricFailed({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const startPresaleOrder = new StoreflowFunction(this, 'StartPresaleOrder', {
      entry: 'start-presale-order',
      description: 'PresaleDepositPaid → starts the order’s presale run, named after the order',
      config,
      environment: { STATE_MACHINE_ARN: presaleWorkflow.stateMachineArn, TABLE_NAME: table.tableName },
    }).fn;
    presaleWorkflow.grantStartExecution(startPresaleOrder);

    const presaleCallback = new StoreflowFunction(this, 'PresaleCallback', {
      entry: 'presale-callback',
      description: 'PresaleBalancePaid / PresaleCancelled → the waiting presale run (task token)',
      config,
      environment: presaleEnv,
    }).fn;
    grantTable(
      table,
      presaleCallback,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchWriteItem',
    );
    bus.grantPutEventsTo(presaleCallback);
    presaleWorkflow.grantTaskResponse(presaleCallback);

    const eventTarget = (fn: typeof presaleStep) => {
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        onFailure: new SqsDestination(failures),
      });
      return new LambdaFunction(fn, {
        deadLetterQueue: failures,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      });
    };
    new Rule(this, 'PresaleDepositPaidRule', {
      eventBus: bus,
      description: 'A presale deposit starts the order’s run',
      eventPattern: { source: ['storeflow.presale'], detailType: ['PresaleDepositPaid'] },
      targets: [eventTarget(startPresaleOrder)],
    });
    new Rule(this, 'PresaleCallbackRule', {
      eventBus: bus,
      description: 'A balance payment or cancellation reaches the waiting presale run',
      eventPattern: { source: ['storeflow.presale'], detailType: ['PresaleBalancePaid', 'PresaleCancelled'] },
      targets: [eventTarget(presaleCallback)],
    });

    const presaleApi = new StoreflowFunction(this, 'PresaleApi', {
      entry: 'presale-api',
      description: 'PUT/GET /api/presales/{presaleId} and GET /api/presale-orders/{orderId}',
      config,
      environment: { TABLE_NAME: table.tableName },
    }).fn;
    grantTable(table, presaleApi, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.disposableRemovalPolicy,
    });
    this.api = new HttpApi(this, 'HttpApi', {
      description: `storeflow ${config.stage}: platform webhooks and the operations API`,
      createDefaultStage: false,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });

    const operator: IHttpRouteAuthorizer =
      config.operatorAuth.kind === 'jwt'
        ? new HttpJwtAuthorizer('OperatorJwt', config.operatorAuth.issuer, {
            jwtAudience: config.operatorAuth.audience,
          })
        : new HttpIamAuthorizer();

    const route = (routeKey: string, handler: typeof shopify, authorizer?: IHttpRouteAuthorizer) => {
      const [method, path] = routeKey.split(' ') as [keyof typeof HttpMethod, string];
      const integrationId = `${handler.node.scope?.node.id ?? handler.node.id}Integration`;
      return this.api.addRoutes({
        path,
        methods: [HttpMethod[method]],
        integration: new HttpLambdaIntegration(integrationId, handler),
        authorizer,
      });
    };
    const webhookRoutes = [
      ...route(ROUTES.shopifyWebhook, shopify),
      ...route(ROUTES.storeflowWebhook, storeflow),
    ];
    route(ROUTES.orderTimeline, getTimeline, operator);
    route(ROUTES.skuTimeline, getTimeline, operator);
    route(ROUTES.putPresale, presaleApi, operator);
    route(ROUTES.getPresale, presaleApi, operator);
    route(ROUTES.getPresaleOrder, presaleApi, operator);
    for (const webhookRoute of webhookRoutes) {
      Validations.of(webhookRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Platform webhooks cannot carry AWS credentials or a JWT; the handler authenticates each request by its HMAC-SHA256 signature (constant-time) before anything is stored.',
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
  }
}

/**
 * Grants item actions on the table itself and nothing else. `ITable.grant` also grants every
 * index (`<table>/index/*`), which these functions never touch.
 */
function grantTable(table: ITable, grantee: IGrantable, ...actions: string[]): Grant {
  return Grant.addToPrincipal({ grantee, actions, resourceArns: [table.tableArn] });
}
