import type { Config } from '../../../config.ts';

/** The scope a client asks for to read school data (optional: the token's audience is what counts). */
export const DATA_SCOPE = 'data';

/** Lifetime of a client-credentials access token, seconds. */
export const ACCESS_TOKEN_TTL_S = 3600;

/** The provider's issuer: `${PUBLIC_URL}/oidc`. */
export const issuerOf = (config: Pick<Config, 'PUBLIC_URL'>): string => `${config.PUBLIC_URL}/oidc`;

/** The resource indicator (and token audience) of the school-data API. */
export const dataApiResource = (config: Pick<Config, 'PUBLIC_URL'>): string => `${config.PUBLIC_URL}/ss12000`;

/** Scopes of the sign-in flow (authorization code): OpenID Connect's, refresh tokens, and the data scope. */
export const SIGNIN_SCOPES = ['openid', 'profile', 'email', 'offline_access', DATA_SCOPE] as const;

/** Where oidc-provider sends the browser for an interaction: the web app's sign-in page. */
export const interactionPath = (uid: string): string => `/signin/${uid}`;

/**
 * Whether an authorization request asks for the data API: the `data` scope, or `resource` naming the
 * data API (RFC 8707). Such a sign-in gets the data API's JWT and its consent lists the data
 * categories; any other gets an opaque access token for userinfo and reads no school data.
 */
export function asksForData(params: { scope?: unknown; resource?: unknown }, dataResource: string): boolean {
  const scopes = typeof params.scope === 'string' ? params.scope.split(' ') : [];
  const resources = Array.isArray(params.resource) ? params.resource : params.resource === undefined ? [] : [params.resource];
  return scopes.includes(DATA_SCOPE) || resources.includes(dataResource);
}
