import { appTemplate } from './workflow-harness.ts';

/**
 * The IAM statements of the app stack's function whose logical id starts with `prefix` (X-Ray's
 * left out), as sorted actions and the JSON of their resource: for least-privilege assertions.
 */
export function statementsOf(prefix: string) {
  const template = appTemplate();
  const roles = template.findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: { Role: { 'Fn::GetAtt': [string] } } }
  >;
  const fn = Object.keys(roles).find((id) => id.startsWith(prefix));
  if (!fn) throw new Error(`no function ${prefix}`);
  const role = roles[fn]!.Properties.Role['Fn::GetAtt'][0];
  const policies = template.findResources('AWS::IAM::Policy') as Record<
    string,
    {
      Properties: {
        Roles: Array<{ Ref: string }>;
        PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
      };
    }
  >;
  return Object.values(policies)
    .filter((p) => p.Properties.Roles.some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .map((s) => ({ actions: [s.Action].flat().sort(), resource: JSON.stringify(s.Resource) }))
    .filter((s) => !s.actions.every((a) => a.startsWith('xray:')));
}
