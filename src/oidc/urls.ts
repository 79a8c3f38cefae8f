import type { Config } from '../config.ts';

/** The scope a client asks for to read school data (optional: the token's audience is what counts). */
export const DATA_SCOPE = 'data';

/** Lifetime of a client-credentials access token, seconds. */
export const ACCESS_TOKEN_TTL_S = 3600;

/** The provider's issuer: `${PUBLIC_URL}/oidc`. */
export const issuerOf = (config: Pick<Config, 'PUBLIC_URL'>): string => `${config.PUBLIC_URL}/oidc`;

/** The resource indicator (and token audience) of the school-data API. */
export const dataApiResource = (config: Pick<Config, 'PUBLIC_URL'>): string => `${config.PUBLIC_URL}/ss12000`;
