import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { AlarmNotifications } from '../constructs/alarm-notifications.ts';
import { ApiRoutes } from '../constructs/api-routes.ts';
import { Campaigns } from '../constructs/campaigns.ts';
import { Console } from '../constructs/console.ts';
import { EventTargets } from '../constructs/event-targets.ts';
import type { FeatureProps } from '../constructs/feature.ts';
import { Members } from '../constructs/members.ts';
import { Metrics } from '../constructs/metrics.ts';
import { Operations } from '../constructs/operations.ts';
import { PresaleOrders } from '../constructs/presale-orders.ts';
import { Repricing } from '../constructs/repricing.ts';
import { Restock } from '../constructs/restock.ts';
import { Sla } from '../constructs/sla.ts';
import { Timeline } from '../constructs/timeline.ts';
import { WebhookIngestion } from '../constructs/webhook-ingestion.ts';

export interface AppStackProps extends StackProps {
  readonly config: StageConfig;
  readonly table: ITable;
  readonly bus: IEventBus;
  readonly shopifySecret: ISecret;
  readonly storeflowSecret: ISecret;
  readonly storefrontWriteKey: ISecret;
}

export { ROUTES } from '../constructs/api-routes.ts';

/**
 * The application, as a list of features over the stateful stack's table, bus and secrets
 * (received as interfaces; references flow one way). What the features share is made here: the
 * dead-letter queue every async edge ends in (and its alarm), and the one HTTP API with its
 * operator authorizer. Every permission is a grant of the narrowest actions a function uses.
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

    const feature: FeatureProps = {
      config,
      table,
      bus,
      routes: new ApiRoutes(this.api, operator),
      targets: new EventTargets(failures),
    };
    new WebhookIngestion(this, 'Ingestion', {
      ...feature,
      shopifySecret: props.shopifySecret,
      storeflowSecret: props.storeflowSecret,
    });
    new Timeline(this, 'Timeline', feature);
    new PresaleOrders(this, 'Presale', feature);
    new Restock(this, 'Restock', feature);
    new Sla(this, 'Sla', feature);
    new Repricing(this, 'Repricing', feature);
    new Metrics(this, 'Metrics', { ...feature, writeKey: props.storefrontWriteKey });
    new Campaigns(this, 'Campaigns', feature);
    new Members(this, 'Members', feature);
    new Console(this, 'Console', { config, api: this.api });
    // Last: the runs and dead letters of every feature above (it seals the operations catalog).
    new Operations(this, 'Operations', feature);

    // Every alarm above and in the features notifies one topic (and the email from context).
    new AlarmNotifications(this, 'Alarms', {
      stage: config.stage,
      removalPolicy: config.disposableRemovalPolicy,
      ...(config.alarmEmail ? { email: config.alarmEmail } : {}),
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.apiEndpoint,
      description: 'Base URL of the webhooks (/webhooks/*) and the operations API (/api/*)',
    });
  }
}
