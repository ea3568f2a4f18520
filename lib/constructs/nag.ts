import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * An ARN as cdk-nag writes it in a finding's `Resource::` id: the stack's partition, region and
 * account as `<AWS::Partition>`, `<AWS::Region>`, `<AWS::AccountId>` while they are tokens, as
 * their values once the environment is known (`cdk synth` resolves the region from the CLI's
 * profile; `cdk deploy` the account too). An acknowledgement built from this matches either way.
 * `partition: 'pseudo'` for ARNs a construct builds with `Aws.PARTITION` itself (it stays a token
 * whatever the region), `'stack'` for those built with `Stack.formatArn`.
 */
export function nagArn(
  scope: IConstruct,
  service: string,
  resource: string,
  partition: 'stack' | 'pseudo' = 'stack',
): string {
  const stack = Stack.of(scope);
  const literal = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  const part = partition === 'pseudo' ? '<AWS::Partition>' : literal(stack.partition, 'AWS::Partition');
  return `arn:${part}:${service}:${literal(stack.region, 'AWS::Region')}:${literal(stack.account, 'AWS::AccountId')}:${resource}`;
}
