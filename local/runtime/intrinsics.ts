/**
 * Resolves the CloudFormation intrinsics that `cdk synth` emits (Ref, Fn::GetAtt, Fn::Join,
 * Fn::Sub, Fn::Select, Fn::Split, Fn::ImportValue, Fn::If on known conditions, pseudo parameters)
 * into the local names and ARNs of the resources the local runtime runs. Anything it cannot
 * resolve is an error naming the reference, never a silent placeholder.
 */
export interface ResolveContext {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  /** Ref of a logical id in this stack. */
  ref(logicalId: string): string | undefined;
  /** Fn::GetAtt of a logical id in this stack. */
  getAtt(logicalId: string, attribute: string): string | undefined;
  /** An export of any stack in the assembly. */
  importValue(exportName: string): string | undefined;
}

export class UnresolvableError extends Error {}

const PSEUDO: Record<string, (ctx: ResolveContext) => string> = {
  'AWS::Region': (c) => c.region,
  'AWS::AccountId': (c) => c.account,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': (c) => c.stackName,
  'AWS::StackId': (c) => `arn:aws:cloudformation:${c.region}:${c.account}:stack/${c.stackName}/local`,
  'AWS::NoValue': () => '',
};

function ref(ctx: ResolveContext, name: string, where: string): string {
  const pseudo = PSEUDO[name];
  if (pseudo) return pseudo(ctx);
  const value = ctx.ref(name);
  if (value === undefined)
    throw new UnresolvableError(`${where}: cannot resolve Ref ${name} in ${ctx.stackName}`);
  return value;
}

function getAtt(ctx: ResolveContext, target: unknown, where: string): string {
  const [id, attribute] = Array.isArray(target) ? target : String(target).split(/\.(.*)/);
  const value = ctx.getAtt(String(id), String(attribute));
  if (value === undefined) {
    throw new UnresolvableError(`${where}: cannot resolve Fn::GetAtt ${id}.${attribute} in ${ctx.stackName}`);
  }
  return value;
}

function sub(ctx: ResolveContext, template: string, vars: Record<string, unknown>, where: string): string {
  return template.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
    if (name in vars) return String(resolve(ctx, vars[name], where));
    if (name.includes('.')) return getAtt(ctx, name, where);
    return ref(ctx, name, where);
  });
}

/** Resolves every intrinsic inside `value`, returning plain JSON. */
export function resolve(ctx: ResolveContext, value: unknown, where = 'template'): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolve(ctx, v, `${where}[${i}]`));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0]!;
    switch (key) {
      case 'Ref':
        return ref(ctx, String(arg), where);
      case 'Fn::GetAtt':
        return getAtt(ctx, arg, where);
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (resolve(ctx, parts, where) as unknown[]).map(String).join(sep);
      }
      case 'Fn::Sub': {
        const [template, vars] = Array.isArray(arg)
          ? (arg as [string, Record<string, unknown>])
          : [String(arg), {}];
        return sub(ctx, template, vars, where);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolve(ctx, list, where) as unknown[];
        return items[Number(resolve(ctx, index, where))];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return String(resolve(ctx, source, where)).split(sep);
      }
      case 'Fn::ImportValue': {
        const name = String(resolve(ctx, arg, where));
        const exported = ctx.importValue(name);
        if (exported === undefined) throw new UnresolvableError(`${where}: no stack exports ${name}`);
        return exported;
      }
      case 'Fn::If':
      case 'Fn::Equals':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Fn::Not':
      case 'Fn::FindInMap':
      case 'Fn::GetAZs':
      case 'Fn::Base64':
      case 'Fn::Cidr':
        throw new UnresolvableError(`${where}: ${key} is not supported by the local runtime`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(ctx, v, `${where}.${k}`)]));
}
