import { errors as oidcErrors } from 'oidc-provider';

/**
 * An OpenAPI 3.1 description of the OAuth 2.0 / OpenID Connect endpoints under /oidc, built from the
 * provider's own discovery metadata (`/oidc/.well-known/openid-configuration`): the endpoints it
 * publishes, and per parameter the values it says it supports (grant types, scopes, response types,
 * PKCE methods, client authentication). So the description follows the provider's configuration
 * instead of repeating it. The error codes per endpoint are oidc-provider's own error classes,
 * instantiated here for their `error` and HTTP status.
 */

/** The discovery members this description reads (RFC 8414 / OpenID Connect Discovery names). */
export interface DiscoveryMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  jwks_uri?: string;
  end_session_endpoint?: string;
  grant_types_supported?: string[];
  response_types_supported?: string[];
  scopes_supported?: string[];
  claims_supported?: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  prompt_values_supported?: string[];
  response_modes_supported?: string[];
  [member: string]: unknown;
}

type ErrorClass = keyof typeof oidcErrors;

/** The oidc-provider errors each endpoint can answer with (classes, so a renamed one fails the type check). */
const ENDPOINT_ERRORS: Record<'token' | 'authorization' | 'userinfo', ErrorClass[]> = {
  // A failed client authentication is InvalidClientAuth: `invalid_client` with 401.
  token: ['InvalidRequest', 'InvalidClientAuth', 'InvalidGrant', 'UnauthorizedClient', 'UnsupportedGrantType', 'InvalidScope', 'InvalidTarget'],
  authorization: [
    'InvalidRequest',
    'UnauthorizedClient',
    'AccessDenied',
    'UnsupportedResponseType',
    'InvalidScope',
    'InvalidTarget',
    'LoginRequired',
    'ConsentRequired',
    'InteractionRequired',
  ],
  userinfo: ['InvalidToken', 'InsufficientScope', 'InvalidRequest'],
};

/** One error as oidc-provider answers it: its `error` code and HTTP status. */
export interface OidcErrorCode {
  code: string;
  status: number;
}

/** The `error` codes and statuses an endpoint answers with, read from oidc-provider's error classes. */
export function oidcErrorCodes(endpoint: keyof typeof ENDPOINT_ERRORS): OidcErrorCode[] {
  return ENDPOINT_ERRORS[endpoint].map((name) => {
    const Klass = oidcErrors[name] as unknown as new (description?: string) => { error: string; statusCode: number };
    const e = new Klass('x');
    return { code: e.error, status: e.statusCode };
  });
}

const str = (description: string, values?: string[]) => ({ type: 'string', description, ...(values?.length ? { enum: values } : {}) });
const param = (name: string, where: 'query' | 'header', required: boolean, description: string, values?: string[]) => ({
  name,
  in: where,
  required,
  description,
  schema: str(description, values),
});

/** Error responses grouped by status, each naming its codes, in the OAuth error body shape. */
function errorResponses(endpoint: keyof typeof ENDPOINT_ERRORS) {
  const byStatus = new Map<number, string[]>();
  for (const e of oidcErrorCodes(endpoint)) byStatus.set(e.status, [...new Set([...(byStatus.get(e.status) ?? []), e.code])]);
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      String(status),
      {
        description: `OAuth error: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
        'x-error-codes': codes,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } },
      },
    ]),
  );
}

const pathOf = (url: string | undefined) => (url ? new URL(url).pathname : undefined);

/** The OpenAPI document of the OAuth/OIDC endpoints that `metadata` publishes. */
export function oidcOpenApi(metadata: DiscoveryMetadata, dataApiResource: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const issuerPath = new URL(metadata.issuer).pathname.replace(/\/$/, '');
  paths[`${issuerPath}/.well-known/openid-configuration`] = {
    get: {
      operationId: 'discovery',
      summary: 'OpenID Connect discovery: the endpoints, keys, scopes and methods of this provider',
      responses: { 200: { description: 'The provider metadata', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  const token = pathOf(metadata.token_endpoint);
  if (token) {
    paths[token] = {
      post: {
        operationId: 'token',
        summary: 'Get an access token: client credentials (the data API), or exchange a sign-in code or refresh token',
        description: `Client authentication: ${(metadata.token_endpoint_auth_methods_supported ?? []).join(', ')} (HTTP Basic with client_id:client_secret is the usual one). A client-credentials token is a JWT for the data API (${dataApiResource}).`,
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['grant_type'],
                properties: {
                  grant_type: str('The grant', metadata.grant_types_supported),
                  client_id: str('The client id (client_secret_post, or a public sign-in client)'),
                  client_secret: str('The client secret (client_secret_post only)'),
                  resource: str(`The API the token is for; the data API is ${dataApiResource} (the default for client credentials)`),
                  scope: str('Space-separated scopes', metadata.scopes_supported),
                  code: str('authorization_code: the code from the redirect'),
                  redirect_uri: str('authorization_code: the redirect URI of the authorization request'),
                  code_verifier: str('authorization_code: the PKCE verifier'),
                  refresh_token: str('refresh_token: the refresh token'),
                },
              },
            },
          },
        },
        responses: {
          200: {
            description: 'The token',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    access_token: { type: 'string' },
                    token_type: { type: 'string', enum: ['Bearer'] },
                    expires_in: { type: 'integer' },
                    scope: { type: 'string' },
                    id_token: { type: 'string' },
                    refresh_token: { type: 'string' },
                  },
                },
              },
            },
          },
          ...errorResponses('token'),
        },
      },
    };
  }
  const auth = pathOf(metadata.authorization_endpoint);
  if (auth) {
    paths[auth] = {
      get: {
        operationId: 'authorization',
        summary: '"Log in with Schoolgate": the end user signs in, picks their school and consents; redirects back with a code',
        parameters: [
          param('client_id', 'query', true, 'The client id'),
          param('response_type', 'query', true, 'The response type', metadata.response_types_supported),
          param('redirect_uri', 'query', true, 'One of the redirect URIs registered for the app'),
          param('scope', 'query', true, 'Space-separated scopes; openid is required, data asks for the data API', metadata.scopes_supported),
          param('state', 'query', false, 'Opaque value returned unchanged (CSRF protection)'),
          param('nonce', 'query', false, 'Echoed in the ID token'),
          param('code_challenge', 'query', true, 'PKCE challenge (required)'),
          param('code_challenge_method', 'query', true, 'PKCE method', metadata.code_challenge_methods_supported),
          param('prompt', 'query', false, 'Ask again', metadata.prompt_values_supported),
          param('resource', 'query', false, `The data API (${dataApiResource}) to get a data API token with the sign-in`),
        ],
        responses: {
          303: { description: 'To the sign-in and consent pages, then to redirect_uri with code and state (or error)' },
          ...errorResponses('authorization'),
        },
      },
    };
  }
  const userinfo = pathOf(metadata.userinfo_endpoint);
  if (userinfo) {
    paths[userinfo] = {
      get: {
        operationId: 'userinfo',
        summary: "The signed-in end user's consented claims",
        parameters: [param('Authorization', 'header', true, 'Bearer <access token of a sign-in without the data API>')],
        responses: {
          200: {
            description: 'Claims',
            content: {
              'application/json': { schema: { type: 'object', properties: Object.fromEntries((metadata.claims_supported ?? []).map((c) => [c, {}])) } },
            },
          },
          ...errorResponses('userinfo'),
        },
      },
    };
  }
  const jwks = pathOf(metadata.jwks_uri);
  if (jwks) {
    paths[jwks] = {
      get: {
        operationId: 'jwks',
        summary: 'The public keys that verify ID tokens and data API access tokens',
        responses: { 200: { description: 'JSON Web Key Set', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    };
  }
  const endSession = pathOf(metadata.end_session_endpoint);
  if (endSession) {
    paths[endSession] = {
      get: {
        operationId: 'endSession',
        summary: 'Sign the end user out of Schoolgate',
        parameters: [
          param('id_token_hint', 'query', false, 'An ID token of the session'),
          param('post_logout_redirect_uri', 'query', false, 'Where to go afterwards'),
        ],
        responses: { 200: { description: 'A confirmation page' } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Schoolgate OAuth 2.0 / OpenID Connect',
      version: '1',
      description:
        'Tokens for the data API (client credentials) and "Log in with Schoolgate" (authorization code with PKCE), generated from this provider\'s discovery metadata.',
    },
    servers: [{ url: new URL(metadata.issuer).origin }],
    components: {
      schemas: {
        OAuthError: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, error_description: { type: 'string' } },
        },
      },
    },
    paths,
  };
}
