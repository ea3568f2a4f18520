import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/**
 * A webhook signing secret: the environment variable (the local runtime, a config file loaded
 * into the environment) when it is set, otherwise the Secrets Manager secret named by
 * `<ENV>_ARN` (on AWS), cached for five minutes by Powertools Parameters. Never logged.
 */
export function webhookSecret(envName: string): () => Promise<string> {
  return async () => {
    const local = process.env[envName];
    if (local) return local;
    const arn = process.env[`${envName}_ARN`];
    if (!arn) throw new Error(`neither ${envName} nor ${envName}_ARN is configured`);
    const value = await getSecret<string>(arn, { maxAge: 300 });
    if (typeof value !== 'string' || value.length === 0) throw new Error(`secret ${envName}_ARN is empty`);
    return value;
  };
}
