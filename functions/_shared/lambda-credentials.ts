/**
 * What each function's bundle carries in place of `@aws-sdk/credential-provider-node` (esbuild's
 * alias in lib/constructs/storeflow-function.ts): the credentials a Lambda function has, and
 * nothing else.
 *
 * The SDK's default chain also knows SSO, shared ini files, credential processes, web identity
 * token files and the EC2 instance metadata service; it reaches them through dynamic imports that a
 * single-file bundle inlines, so every function carried ~90 KiB (STS, SSO and SSO-OIDC clients)
 * that Lambda never runs. Lambda hands a function its role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and the local runtime does the
 * same for its sandboxes; a container credentials endpoint
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI) is kept as the one fallback. Anything else
 * fails at the first call, naming what was looked for. The exports keep the module's interface,
 * which the clients' runtime configuration imports.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { CredentialsProviderError, chain, memoize } from '@smithy/core/config';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

type Init = Parameters<typeof fromEnv>[0] & Parameters<typeof fromHttp>[0];

export const credentialsWillNeedRefresh = (credentials?: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined;

/** Refreshed 5 minutes before they expire, as the SDK's default chain does. */
export const credentialsTreatedAsExpired = (credentials?: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;

export function defaultProvider(init: Init = {}): AwsCredentialIdentityProvider {
  const container: AwsCredentialIdentityProvider = async () => {
    const env = process.env;
    if (!env.AWS_CONTAINER_CREDENTIALS_FULL_URI && !env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) {
      throw new CredentialsProviderError(
        'No credentials: neither AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY nor a container credentials URI is set (a Lambda function receives its role credentials in the environment)',
        { logger: init.logger, tryNextLink: false },
      );
    }
    return fromHttp(init)();
  };
  return memoize(chain(fromEnv(init), container), credentialsTreatedAsExpired, credentialsWillNeedRefresh);
}
