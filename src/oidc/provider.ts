import { createHash } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { ClientAdapter, PayloadAdapter, verifyClientSecret } from './adapter.ts';
import { SIGNING_ALG, type SigningKey } from './keys.ts';
import { ACCESS_TOKEN_TTL_S, DATA_SCOPE, dataApiResource, issuerOf } from './urls.ts';

/**
 * Cookie keys for oidc-provider's interaction sessions, derived from the signing keys so that every
 * process on the database agrees without another secret to configure.
 */
function cookieKeys(keys: SigningKey[]): string[] {
  return keys.map((k) => createHash('sha256').update(`oidc-cookie:${String(k.privateJwk.d)}`).digest('base64url'));
}

/**
 * Builds oidc-provider for the current issuer and key set. The first key signs (see `loadKeys`); the
 * others are published so tokens they signed keep verifying.
 */
export function createProvider(ctx: AppContext, keys: SigningKey[]): Provider {
  const signing = keys[0];
  if (!signing) throw new Error('no signing key: ensureSigningKey() must run first');
  const resource = dataApiResource(ctx.config);
  const provider = new Provider(issuerOf(ctx.config), {
    adapter: (name: string) => (name === 'Client' ? new ClientAdapter(ctx) : new PayloadAdapter(ctx, name)),
    jwks: { keys: keys.map((k) => k.privateJwk) },
    cookies: { keys: cookieKeys(keys) },
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: SIGNING_ALG,
    },
    // Secrets are stored hashed, so methods that need the plain secret (client_secret_jwt) cannot exist.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    enabledJWA: { idTokenSigningAlgValues: [SIGNING_ALG] },
    scopes: ['openid', DATA_SCOPE],
    ttl: { ClientCredentials: ACCESS_TOKEN_TTL_S },
    findAccount: async () => undefined,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // A plain client_credentials request (no `resource`) gets a token for the data API.
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource; the data API is ${resource}`);
          return {
            scope: DATA_SCOPE,
            audience: resource,
            accessTokenTTL: ACCESS_TOKEN_TTL_S,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG, kid: signing.kid } },
          };
        },
      },
    },
    // JSON errors whatever the Accept header: our clients are programs.
    renderError: async (koa: { type: string; body: unknown }, out: Record<string, unknown>) => {
      koa.type = 'application/json; charset=utf-8';
      koa.body = out;
    },
  });
  // Secrets are stored hashed: compare the presented one against our hashes (see verifyClientSecret).
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientId: string }, actual: string) {
    return verifyClientSecret(ctx, this.clientId, actual);
  };
  // Behind a reverse proxy the public scheme and host come from X-Forwarded-* (Fastify trusts them too).
  provider.proxy = true;
  return provider;
}
