/**
 * What a stage may be called (`-c stage=staging`, `storeflow dev --stage staging`). The name goes
 * into stack names (`storeflow-<stage>-app`), tags and the names CloudFormation derives from them,
 * some of which (S3 buckets) allow only lower case: a letter, then lower-case letters, digits and
 * single hyphens, at most 24 characters. No CDK import here: the CLI checks it before synthesis.
 */
export const STAGE_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,23}$/;

/** Why a stage name is not one, or undefined when it is. */
export function stageNameProblem(name: string): string | undefined {
  if (STAGE_NAME.test(name)) return undefined;
  return `"${name}" is not a stage name: a letter, then lower-case letters, digits and single hyphens, at most 24 characters (e.g. dev, staging, prod, eu-prod)`;
}
