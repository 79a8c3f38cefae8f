import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { AppContext } from '../context.ts';
import type { ClientOrigin } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { actsAsUnlinkedLegacy, clientRefusal, isClientId } from './clients.ts';
import { keyRing, SIGNING_ALG } from './keys.ts';
import { dataApiResource, issuerOf } from './urls.ts';

/** One grant the client holds right now. */
export interface ClientGrant {
  apiCode: string;
  institutionNumber: string | null;
  accessGroupId: string | null;
}

/** The OAuth client behind a bearer token, with its live grants. */
export interface ClientPrincipal {
  clientId: string;
  /** NULL for a legacy client that was never linked to an app. */
  appId: string | null;
  partnerId: string | null;
  grants: ClientGrant[];
  /**
   * Per API code, the data categories the client may receive. For an approved app: what its
   * approval (app_api_requests) allows. A legacy client has no approved purpose, so it gets only
   * `identity`, for every API it holds a grant on.
   */
  dataCategories: Record<string, string[]>;
}

/** A refused bearer request; carries the `WWW-Authenticate` challenge (RFC 6750). */
export class BearerError extends ApiError {
  constructor(
    status: 401 | 403,
    code: string,
    message: string,
    readonly challenge: string,
  ) {
    super(status, code, message);
  }
}

const REALM = 'schoolgate';
const quote = (s: string) => s.replace(/["\\]/g, "'");

function invalidToken(message: string, tokenPresent = true): BearerError {
  const challenge = tokenPresent
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${quote(message)}"`
    : `Bearer realm="${REALM}"`;
  return new BearerError(401, 'invalid_token', message, challenge);
}

/**
 * Sets the `WWW-Authenticate` header of bearer refusals. Call it in every plugin whose routes use
 * `authenticateClient` (an onError hook, the documented way to add headers to an error reply).
 */
export function installBearerChallenge(app: FastifyInstance): void {
  app.addHook('onError', async (_request, reply, error) => {
    if (error instanceof BearerError) reply.header('www-authenticate', error.challenge);
  });
}

/**
 * Authenticates the OAuth client of a request from its bearer access token: verifies the JWT
 * against our signing keys (issuer, audience = the data API, expiry), then reads the client's LIVE
 * state in one query — the client exists, its app is approved (or it is a legacy client before the
 * cut-over), its grants and data categories. Nothing is cached, so a removed grant or a suspended
 * app is refused on the very next request, in every process.
 *
 * Token expiry is checked against real time, not ctx.clock: oidc-provider stamps iat/exp from
 * Date.now() and offers no clock hook, so the verifier must use the same clock as the issuer.
 *
 * @throws BearerError 401 `invalid_token` (missing, malformed, badly signed, expired, wrong audience,
 *   client gone) or 403 `client_not_allowed` (app not approved, legacy client after the cut-over,
 *   an ingestion client: it may load data but never read it).
 */
export async function authenticateClient(ctx: AppContext, request: FastifyRequest): Promise<ClientPrincipal> {
  const { principal, origin } = await authenticateAnyClient(ctx, request);
  if (origin === 'ingestion') {
    throw new BearerError(403, 'client_not_allowed', `client ${principal.clientId} is an ingestion client: it may load data but not read it`, `Bearer realm="${REALM}"`);
  }
  return principal;
}

/** An ingestion client behind a bearer token (see `authenticateIngestionClient`). */
export interface IngestionPrincipal {
  clientId: string;
  name: string;
}

/**
 * Authenticates an ingestion client from its bearer access token (same checks as
 * `authenticateClient`). Any other client is refused: reading consent does not allow loading.
 *
 * @throws BearerError 401 `invalid_token` as `authenticateClient`, or 403 `client_not_allowed`
 *   when the token belongs to a client that is not an ingestion client.
 */
export async function authenticateIngestionClient(ctx: AppContext, request: FastifyRequest): Promise<IngestionPrincipal> {
  const { principal, origin, name } = await authenticateAnyClient(ctx, request);
  if (origin !== 'ingestion') {
    throw new BearerError(403, 'client_not_allowed', `client ${principal.clientId} is not an ingestion client; only ingestion clients may load data`, `Bearer realm="${REALM}"`);
  }
  return { clientId: principal.clientId, name };
}

async function authenticateAnyClient(
  ctx: AppContext,
  request: FastifyRequest,
): Promise<{ principal: ClientPrincipal; origin: ClientOrigin; name: string }> {
  const header = request.headers.authorization;
  if (!header) throw invalidToken('Send an OAuth 2.0 access token: Authorization: Bearer <token>.', false);
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
  if (!match) throw invalidToken('The Authorization header must be "Bearer <access token>".');
  const token = match[1]!;

  let payload: JWTPayload;
  try {
    const ring = keyRing(ctx);
    ({ payload } = await jwtVerify(token, async (protectedHeader, jws) => (await ring.verifier(protectedHeader.kid))(protectedHeader, jws), {
      issuer: issuerOf(ctx.config),
      audience: dataApiResource(ctx.config),
      algorithms: [SIGNING_ALG],
      typ: 'at+jwt',
      requiredClaims: ['exp', 'client_id'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw invalidToken('The access token has expired; get a new one.');
    if (err instanceof joseErrors.JOSEError) throw invalidToken('The access token is not valid for this API.');
    throw err;
  }
  const clientId = payload.client_id;
  if (typeof clientId !== 'string' || !isClientId(clientId)) throw invalidToken('The access token names no client.');

  const row = await ctx.db
    .selectFrom('clients as c')
    .leftJoin('apps as a', 'a.id', 'c.app_id')
    .select(['c.id', 'c.name', 'c.app_id', 'c.origin', 'a.name as app_name', 'a.status as app_status', 'a.partner_id'])
    .select((eb) => [
      jsonArrayFrom(
        eb
          .selectFrom('grants as g')
          .select(['g.api_code', 'g.institution_number', 'g.access_group_id'])
          .whereRef('g.client_id', '=', 'c.id')
          .orderBy('g.api_code')
          .orderBy('g.institution_number')
          .orderBy('g.access_group_id'),
      ).as('grants'),
      jsonArrayFrom(
        eb.selectFrom('app_api_requests as r').select(['r.api_code', 'r.data_categories']).whereRef('r.app_id', '=', 'c.app_id'),
      ).as('requests'),
    ])
    .where('c.id', '=', clientId)
    .executeTakeFirst();
  if (!row) throw invalidToken('The client of this access token no longer exists.');

  const refusal = clientRefusal(ctx.config, ctx.clock.now(), {
    id: row.id,
    name: row.name,
    appId: row.app_id,
    appName: row.app_name,
    appStatus: row.app_status,
    partnerId: row.partner_id,
    origin: row.origin,
  });
  if (refusal) throw new BearerError(403, 'client_not_allowed', refusal, `Bearer realm="${REALM}"`);

  const grants = row.grants.map((g) => ({
    apiCode: g.api_code,
    institutionNumber: g.institution_number,
    accessGroupId: g.access_group_id,
  }));
  const dataCategories: Record<string, string[]> = {};
  // A legacy key has no approved purpose (also while its app awaits review): identity only.
  if (row.app_id === null || actsAsUnlinkedLegacy({ origin: row.origin, appId: row.app_id, appStatus: row.app_status })) {
    for (const g of grants) dataCategories[g.apiCode] = ['identity'];
  } else {
    for (const r of row.requests) dataCategories[r.api_code] = [...r.data_categories];
  }
  return { principal: { clientId: row.id, appId: row.app_id, partnerId: row.partner_id, grants, dataCategories }, origin: row.origin, name: row.name };
}
