import { createHash } from 'node:crypto';
import Provider, { errors, interactionPolicy } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { accountClaims, pairwiseSub, parseAccountId, partnerOfSector } from './accounts.ts';
import { ClientAdapter, PayloadAdapter, verifyClientSecret } from './adapter.ts';
import { SIGNING_ALG, type SigningKey } from '../modules/access/tokens/keys.ts';
import { renderOidcError } from './error-page.ts';
import { ACCESS_TOKEN_TTL_S, DATA_SCOPE, SIGNIN_SCOPES, asksForData, dataApiResource, interactionPath, issuerOf } from '../modules/access/tokens/urls.ts';

/** Lifetimes of the sign-in artefacts, seconds. */
const TTL = {
  AuthorizationCode: 60,
  IdToken: 3600,
  Interaction: 3600,
  Session: 14 * 24 * 3600,
  // Rotated on every use; a refresh token unused for 30 days expires.
  RefreshToken: 30 * 24 * 3600,
  // The Grant lives as long as the consent may: withdrawal deletes it, not its expiry.
  Grant: 365 * 24 * 3600,
};

/**
 * The interaction policy: oidc-provider's, plus a login check that asks every authorization request
 * to sign in again (choose the school, prove who they are) unless this interaction just did. A
 * session left by another app must not carry a school choice or a role into this one; the consent
 * is what is reused, not the login.
 */
function policy() {
  const base = interactionPolicy.base();
  const login = base.get('login')!;
  login.checks.push(
    new interactionPolicy.Check('signin_per_authorization', 'every authorization request signs the person in at a school', (koa) =>
      koa.oidc?.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
    ),
  );
  return base;
}

/**
 * The Grant to reuse for a sign-in: the one this interaction just stored (consent step or a live
 * consent that covers the request), else the one of the live consent row for this person, client and
 * school. A withdrawn consent has no live row, so nothing is reused.
 */
async function loadExistingGrant(ctx: AppContext, koa: any): Promise<unknown> {
  const provider = koa.oidc.provider;
  const fromResult = koa.oidc.result?.consent?.grantId as string | undefined;
  if (fromResult) return provider.Grant.find(fromResult);
  const parsed = koa.oidc.session?.accountId ? parseAccountId(koa.oidc.session.accountId) : undefined;
  if (!parsed) return undefined;
  const row = await ctx.db
    .selectFrom('end_user_consents')
    .select('oidc_grant_id')
    .where('person_id', '=', parsed.personId)
    .where('client_id', '=', koa.oidc.client.clientId)
    .where('institution_number', '=', parsed.institutionNumber)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  return row?.oidc_grant_id ? provider.Grant.find(row.oidc_grant_id) : undefined;
}

/**
 * Cookie keys for oidc-provider's interaction sessions, derived from the signing keys so that every
 * process on the database agrees without another secret to configure.
 */
function cookieKeys(keys: SigningKey[]): string[] {
  return keys.map((k) =>
    createHash('sha256')
      .update(`oidc-cookie:${String(k.privateJwk.d)}`)
      .digest('base64url'),
  );
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
    // 'none' is for public sign-in clients only (PKCE is their proof); the adapter never gives it to a
    // confidential client, and a public one gets no client_credentials grant.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: { idTokenSigningAlgValues: [SIGNING_ALG] },
    scopes: [...SIGNIN_SCOPES],
    // `school` and `roles` come with every sign-in (openid); names and e-mail only when consented.
    claims: {
      openid: ['sub', 'school', 'roles'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email'],
    },
    // The ID token carries the consented claims whatever the access token is for: a sign-in with the
    // data API gets a JWT for it, which userinfo cannot accept, so its claims must be in the ID token.
    conformIdTokenClaims: false,
    ttl: { ClientCredentials: ACCESS_TOKEN_TTL_S, AccessToken: ACCESS_TOKEN_TTL_S, ...TTL },
    pkce: { required: () => true },
    interactions: { url: (_koa: unknown, interaction: { uid: string }) => interactionPath(interaction.uid), policy: policy() },
    loadExistingGrant: (koa: unknown) => loadExistingGrant(ctx, koa),
    findAccount: async (koa: any, id: string) => {
      const claims = await accountClaims(ctx, id, koa?.oidc?.client?.clientId);
      return claims ? { accountId: id, claims: async () => claims } : undefined;
    },
    // The sector of a sign-in client is its partner (see sectorUriOf): one sub per partner and person.
    pairwiseIdentifier: async (_koa: unknown, accountId: string, client: { sectorIdentifier?: string; clientId: string }) => {
      const partnerId = partnerOfSector(client.sectorIdentifier);
      const parsed = parseAccountId(accountId);
      if (!partnerId || !parsed) throw new Error(`no pairwise sector for client ${client.clientId}`);
      return pairwiseSub(ctx.db, partnerId, parsed.personId);
    },
    sectorIdentifierUriValidate: () => false,
    subjectTypes: ['public', 'pairwise'],
    // Refresh tokens for every sign-in of a client allowed them (no `offline_access` + prompt=consent
    // dance: consent is asked once and reused); rotated on every use, and they outlive the browser session.
    issueRefreshToken: async (_koa: unknown, client: { grantTypeAllowed(t: string): boolean }, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('openid'),
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    // The access token of a sign-in names the consent; the data API resolves it live on every request.
    extraTokenClaims: async (_koa: unknown, token: { kind: string; grantId?: string; accountId?: string }) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const row = token.grantId
        ? await ctx.db
            .selectFrom('end_user_consents')
            .select('id')
            .where('oidc_grant_id', '=', token.grantId)
            .where('withdrawn_at', 'is', null)
            .executeTakeFirst()
        : undefined;
      if (!row) throw new errors.InvalidGrant('the consent behind this grant was withdrawn');
      return { consent: row.id };
    },
    features: {
      devInteractions: { enabled: false },
      // RFC 8707: a sign-in that asks for the data API (scope `data` or resource=<data API>) gets a JWT
      // for it; one that does not gets an opaque token (stored in oidc_payloads with its grant id, so
      // withdrawal deletes it) that only userinfo accepts. Claims follow the consented scopes either way.
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // `oneOf`: the resources of a code or refresh token (oidc-provider's default). At the
        // authorization endpoint the data API is the resource when the app asks for `data`; without
        // it, no resource, so the access token is the opaque userinfo one. At the token endpoint
        // (client_credentials: nothing else asks here without `oneOf`) a plain request gets the data API.
        defaultResource: (koa: any, _client: unknown, oneOf?: string | string[]) => {
          if (oneOf) return oneOf;
          if (koa?.oidc?.route === 'token') return resource;
          return asksForData(koa?.oidc?.params ?? {}, resource) ? resource : undefined;
        },
        // A code or refresh token of a sign-in with the data API gives the data API's JWT without the
        // app repeating `resource` at the token endpoint (it may: the same value is accepted; another
        // one, or the data API for a sign-in without it, is invalid_target).
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
    // A browser at the authorization endpoint gets a page (never a redirect to an unverified URI).
    renderError: async (koa: Parameters<typeof renderOidcError>[0], out: Record<string, unknown>) => {
      renderOidcError(koa, out);
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

/**
 * The current provider of each running server (the interaction routes and completeLogin need it).
 * Kept here, below both `registerOidc` and the routes it mounts, so neither imports the other.
 */
const providers = new WeakMap<AppContext, () => Promise<Provider>>();

/** Records how `registerOidc` builds this server's provider (lazily, rebuilt on key rotation). */
export function setProviderOf(ctx: AppContext, get: () => Promise<Provider>): void {
  providers.set(ctx, get);
}

/** The provider this server's /oidc runs (built lazily, rebuilt on key rotation). */
export async function providerOf(ctx: AppContext): Promise<Provider> {
  const get = providers.get(ctx);
  if (!get) throw new Error('registerOidc() has not run for this context');
  return get();
}
