/**
 * One SigV4 signer per client and auth scheme, instead of one per request.
 *
 * An AWS SDK v3 client without a `signer` in its configuration gets a default one
 * (`resolveAwsSdkSigV4Config` in @aws-sdk/core) that builds a new `SignatureV4` on every request,
 * copying the client's whole resolved configuration (~100 properties) into it first: ~4% of the
 * ingestion handler's CPU, on every DynamoDB and EventBridge call (decision 63). A signer holds
 * nothing that changes between requests: it asks its credentials provider (the client's, memoized
 * and refreshed by the SDK) for credentials at each signature, the date, region and service come
 * with each call, and the SDK caches the derived signing key by credentials and day whichever
 * signer asks. So the first signer made for an auth scheme (its name, signing name and region) is
 * kept and handed out again.
 */
type AuthScheme = { readonly name?: string; readonly signingName?: string; readonly signingRegion?: string };
type SignerProvider = (authScheme?: AuthScheme) => Promise<unknown>;

/** Makes `client` reuse its signers (see above); returns the client. */
export function reuseSigners<T extends { readonly config: object }>(client: T): T {
  const config = client.config as { signer?: SignerProvider };
  const make = config.signer;
  if (typeof make !== 'function') return client;
  const signers = new Map<string, Promise<unknown>>();
  config.signer = (authScheme) => {
    const key = `${authScheme?.name ?? ''}\n${authScheme?.signingName ?? ''}\n${authScheme?.signingRegion ?? ''}`;
    let signer = signers.get(key);
    if (!signer) {
      signer = make(authScheme);
      signers.set(key, signer);
      // A construction that failed (a region provider that threw) is tried again next time.
      signer.catch(() => signers.delete(key));
    }
    return signer;
  };
  return client;
}
