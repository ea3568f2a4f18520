import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '#lib/app';

type Resource = { Type: string; Properties: Record<string, unknown> };

/**
 * The real app's application stack (synthesized without bundling) and the presale order state
 * machine's JSON. CloudFormation holds the definition as an `Fn::Join` of text, the partition and
 * the step function's ARN; here the parts are joined with `aws` and `stepArn`, and the stack is
 * also returned with that text in place (`definitionTemplate`), for `Match.serializedJson`.
 */
export function presaleStateMachine(stepArn: string) {
  const built = createApp({ context: { 'aws:cdk:bundling-stacks': [] } });
  const app = Template.fromStack(built.application);
  const json = app.toJSON() as { Resources: Record<string, Resource> };
  let definition: string | undefined;
  const resources = Object.fromEntries(
    Object.entries(json.Resources).map(([id, r]) => {
      if (r.Type !== 'AWS::StepFunctions::StateMachine') return [id, r];
      const join = (r.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      definition = join[1]
        .map((part) =>
          typeof part === 'string'
            ? part
            : (part as { Ref?: string }).Ref === 'AWS::Partition'
              ? 'aws'
              : stepArn,
        )
        .join(join[0]);
      return [id, { ...r, Properties: { ...r.Properties, DefinitionString: definition } }];
    }),
  );
  if (!definition) throw new Error('the app has no state machine');
  return { app, definitionTemplate: Template.fromJSON({ Resources: resources }), definition };
}
