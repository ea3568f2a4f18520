import { ArnFormat, Aspects, CfnOutput, type IAspect, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

export interface AlarmNotificationsProps {
  readonly stage: string;
  /** Subscribed by email when given (`-c alarmEmail=`); the recipient confirms once. */
  readonly email?: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Where the app's alarms go: one SNS topic (encrypted with its own KMS key, TLS only), with an
 * optional email subscription. Every CloudWatch alarm of the stack notifies it on ALARM and on OK,
 * the ones features add later included (an aspect attaches them at synthesis, so no feature can
 * forget to). CloudWatch may publish to it, and use the key, only for this stack's alarms.
 */
export class AlarmNotifications extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const cloudwatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    // CloudWatch acts for this account's alarms of this stack only (the confused-deputy guard).
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${stack.stackName}-*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };

    // A customer managed key: CloudWatch cannot publish to a topic encrypted with the AWS managed
    // key (aws/sns), whose policy cannot grant it kms:GenerateDataKey*.
    const key = new Key(this, 'Key', {
      description: `Encrypts the storeflow ${props.stage} alarm notifications`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishEncrypted',
        principals: [cloudwatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      displayName: `storeflow ${props.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudwatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));

    Aspects.of(stack).add(new NotifyOnAlarm(this.topic));
    new CfnOutput(stack, 'AlarmTopicArn', {
      value: this.topic.topicArn,
      description: 'Every storeflow alarm notifies this SNS topic (subscribe more endpoints to it)',
    });
  }
}

/** Adds the topic as the ALARM and OK action of every alarm it visits, once. */
class NotifyOnAlarm implements IAspect {
  readonly #done = new WeakSet<Alarm>();
  constructor(private readonly topic: Topic) {}

  visit(node: IConstruct): void {
    if (!(node instanceof Alarm) || this.#done.has(node)) return;
    this.#done.add(node);
    const action = new SnsAction(this.topic);
    node.addAlarmAction(action);
    node.addOkAction(action);
  }
}
