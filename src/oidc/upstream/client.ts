import * as oidc from 'openid-client';
import type { Config } from '../../config.ts';
import type { UpstreamProvider } from './index.ts';

/** Seconds we wait for an upstream's discovery, token or userinfo endpoint before giving up. */
const UPSTREAM_TIMEOUT_S = 10;
/** How long a discovered configuration is reused: metadata rarely changes, and a sign-in should not pay a round trip for it. */
const DISCOVERY_TTL_MS = 10 * 60_000;

/** The redirect URI Schoolgate registers at every upstream: one fixed path, the transaction is found by `state`. */
export const upstreamCallbackUrl = (config: Pick<Config, 'PUBLIC_URL'>): string => `${config.PUBLIC_URL}/signin/upstream/callback`;

/**
 * Plain http is accepted for an issuer outside production only (tests and a local upstream);
 * production insists on https, like the OpenID Connect discovery specification.
 */
export function issuerProblem(config: Pick<Config, 'NODE_ENV'>, issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'must be a URL';
  }
  if (url.search || url.hash) return 'must not have a query or fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && config.NODE_ENV !== 'production') return undefined;
  return 'must be an https URL';
}

/**
 * Discovers an issuer and builds the openid-client configuration for our client there. Client
 * authentication is client_secret_basic (the specification's default) unless the upstream
 * announces only client_secret_post. Throws when discovery fails (network, bad metadata, issuer
 * mismatch).
 */
export async function discover(issuer: string, clientId: string, clientSecret: string): Promise<oidc.Configuration> {
  const insecure = new URL(issuer).protocol === 'http:';
  const options: oidc.DiscoveryRequestOptions = { timeout: UPSTREAM_TIMEOUT_S, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) };
  let config = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), options);
  const methods = config.serverMetadata().token_endpoint_auth_methods_supported;
  if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
    config = new oidc.Configuration(config.serverMetadata(), clientId, undefined, oidc.ClientSecretPost(clientSecret));
    if (insecure) oidc.allowInsecureRequests(config);
  }
  config.timeout = UPSTREAM_TIMEOUT_S;
  return config;
}

/**
 * Discovered configurations per provider, keyed by the row's id and updated_at so that an edit by
 * the operator (new issuer, client or secret) is used at once. Only metadata is cached here;
 * whether a school has a provider is read live on every request.
 */
const cache = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();

/**
 * The openid-client configuration of an upstream provider (discovered, cached for a few minutes).
 * The cache ages by real time, not ctx.clock: it only saves round trips and decides nothing.
 */
export function configurationOf(provider: UpstreamProvider, now = Date.now()): Promise<oidc.Configuration> {
  const key = `${provider.id}:${provider.updatedAt.getTime()}`;
  const hit = cache.get(key);
  if (hit && now - hit.at < DISCOVERY_TTL_MS) return hit.config;
  for (const k of cache.keys()) if (k.startsWith(`${provider.id}:`)) cache.delete(k);
  const config = discover(provider.issuer, provider.clientId, provider.clientSecret);
  cache.set(key, { at: now, config });
  // A failed discovery is not remembered: the next sign-in tries again.
  config.catch(() => cache.delete(key));
  return config;
}
