import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { LRUCache } from 'lru-cache';
import type { AppContext } from '../../../context.ts';
import type { ClientOrigin } from '../../../db/schema.ts';
import { ApiError } from '../../../http/errors.ts';
import { actsAsUnlinkedLegacy, clientRefusal, isClientId, type ClientState } from './clients.ts';
import { keyRing, SIGNING_ALG } from './keys.ts';
import { dataApiResource, issuerOf } from './urls.ts';

/** One grant the client holds right now. */
export interface ClientGrant {
  apiCode: string;
  institutionNumber: string | null;
  accessGroupId: string | null;
}

/** The end user's consent behind a sign-in access token (end_user_consents), resolved live. */
export interface EndUserConsent {
  consentId: string;
  personId: string;
  /** The school the person chose; the token reads only under this school's grant. */
  institutionNumber: string;
  role: 'student' | 'guardian' | 'staff';
  /** The API that covers the role (students for students and guardians, staff for staff). */
  apiCode: string;
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
  /**
   * Set for the access token of an end user's sign-in: the live consent it names. `grants` then
   * holds only the grants of the consent's API and `dataCategories` only that API's categories,
   * narrowed to what the person consented to (consent ∩ the app's approval).
   */
  endUser?: EndUserConsent;
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
  const challenge = tokenPresent ? `Bearer realm="${REALM}", error="invalid_token", error_description="${quote(message)}"` : `Bearer realm="${REALM}"`;
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
 * The access token of an end user's sign-in (authorization code flow) carries the claim `consent`
 * (end_user_consents.id). Its consent is read in the same query and checked live: it exists, belongs
 * to this client and is not withdrawn (else 401 invalid_token), the person still holds the consented
 * role at that school (else 403 `role_ended`) and the client still holds a grant of the consent's API
 * for that institution, directly or through an access group (else 403 `institution_not_granted`).
 * A token with a subject other than its client but no `consent` claim is refused: it would otherwise
 * read with the whole client's reach.
 *
 * Token expiry is checked against real time, not ctx.clock: oidc-provider stamps iat/exp from
 * Date.now() and offers no clock hook, so the verifier must use the same clock as the issuer.
 *
 * @throws BearerError 401 `invalid_token` (missing, malformed, badly signed, expired, wrong audience,
 *   client gone, consent withdrawn or unknown) or 403 `client_not_allowed` (app not approved, legacy
 *   client after the cut-over, an ingestion client: it may load data but never read it),
 *   `institution_not_granted` or `role_ended` (end-user token, see above).
 */
export async function authenticateClient(ctx: AppContext, request: FastifyRequest): Promise<ClientPrincipal> {
  return readerOnly(await authenticateAnyClient(ctx, request));
}

/**
 * The principal of a client that may read; an ingestion client is refused (it may load data but
 * never read it).
 *
 * @throws BearerError 403 `client_not_allowed`.
 */
export function readerOnly({ principal, origin }: { principal: ClientPrincipal; origin: ClientOrigin }): ClientPrincipal {
  if (origin === 'ingestion') {
    throw new BearerError(
      403,
      'client_not_allowed',
      `client ${principal.clientId} is an ingestion client: it may load data but not read it`,
      `Bearer realm="${REALM}"`,
    );
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
    throw new BearerError(
      403,
      'client_not_allowed',
      `client ${principal.clientId} is not an ingestion client; only ingestion clients may load data`,
      `Bearer realm="${REALM}"`,
    );
  }
  return { clientId: principal.clientId, name };
}

/** What a verified access token names: its client and, for an end user's sign-in, the consent. */
export interface TokenClaims {
  clientId: string;
  consentId?: string;
  /** When the token was issued (its `iat`, ms), for the consent's `tokens_revoked_before`. */
  issuedAtMs?: number;
}

/**
 * Verifies the bearer access token of a request (signature against our keys, issuer, audience =
 * the data API, type, expiry) and returns the client and consent it names. Reads nothing live.
 *
 * @throws BearerError 401 `invalid_token`.
 */
export async function verifyAccessToken(ctx: AppContext, request: FastifyRequest): Promise<TokenClaims> {
  const header = request.headers.authorization;
  if (!header) throw invalidToken('Send an OAuth 2.0 access token: Authorization: Bearer <token>.', false);
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
  if (!match) throw invalidToken('The Authorization header must be "Bearer <access token>".');
  const token = match[1]!;
  let cache = verifiedTokens.get(ctx);
  if (!cache) verifiedTokens.set(ctx, (cache = new LRUCache({ max: VERIFIED_MAX })));
  const ring = keyRing(ctx);
  // Refreshes the key set on its usual schedule; a changed set (rotation, a key past its grace) re-verifies.
  await ring.current();
  const hit = cache.get(token);
  if (hit && hit.keys === ring.version && Date.now() < hit.expMs) return hit.claims;
  const { claims, expMs } = await verifyToken(ctx, token);
  cache.set(token, { claims, expMs, keys: ring.version });
  return claims;
}

/**
 * Tokens whose signature and claims were verified, until their expiry. What a signed token says
 * cannot change, so this caches no authorization: the client, grants and consent it names are still
 * read live on every request. An entry holds only while the key set it was verified against is
 * unchanged (the key ring's version), so a key that stops verifying stops its cached tokens too.
 * Bounded: past VERIFIED_MAX tokens the least recently used one goes (emptying it all at once made
 * every busy client's next request pay a signature check together).
 */
const verifiedTokens = new WeakMap<AppContext, LRUCache<string, { claims: TokenClaims; expMs: number; keys: number }>>();
const VERIFIED_MAX = 10_000;

async function verifyToken(ctx: AppContext, token: string): Promise<{ claims: TokenClaims; expMs: number }> {
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
  const consent = payload.consent;
  if (consent !== undefined) {
    if (typeof consent !== 'string' || !isClientId(consent)) throw invalidToken('The access token names no valid consent.');
    const issuedAtMs = typeof payload.iat === 'number' ? payload.iat * 1000 : 0;
    return { claims: { clientId, consentId: consent.toLowerCase(), issuedAtMs }, expMs: payload.exp! * 1000 };
  }
  // oidc-provider sets sub = client_id on client-credentials tokens; any other subject is a person.
  if (payload.sub !== undefined && payload.sub !== clientId) throw invalidToken('The access token of a sign-in must name its consent.');
  return { claims: { clientId }, expMs: payload.exp! * 1000 };
}

/** The live consent columns a bearer check reads (see `endUserFrom`). */
export interface ConsentRow {
  id: string;
  person_id: string;
  institution_number: string;
  role: 'student' | 'guardian' | 'staff';
  api_code: string;
  data_categories: string[];
  withdrawn: boolean;
  /** Tokens issued before this moment are refused (a replayed code or refresh token revoked their grant). */
  tokens_revoked_before: string | null;
  /** The client holds a grant of api_code for institution_number, directly or through an access group. */
  granted: boolean;
  /** The person still has a relation of the consented role with that school unit. */
  has_role: boolean;
}

/**
 * SQL: the consent `consentId` of the client `clientRef` as one JSON object (NULL when unknown), with
 * the live checks `granted` and `has_role` (the SQL function `end_user_consent_state`, migration 0043).
 * For a query that reads the client anyway, so the end-user check costs no extra round trip.
 */
export function consentJsonSql(consentId: string, clientRef: ReturnType<typeof sql>) {
  // One implementation of the live checks, shared with the SS 12000 API's `ss12000_authorize`.
  return sql<ConsentRow | null>`end_user_consent_state(${consentId}::uuid, ${clientRef})`;
}

/**
 * Applies the live consent checks to a principal: refuses a missing, foreign or withdrawn consent
 * (401), a removed school grant or an ended role (403); narrows grants and data categories to the
 * consent (its API, its institution; consented categories ∩ approved categories).
 */
export function applyConsent(principal: ClientPrincipal, consent: ConsentRow | null, issuedAtMs = 0): ClientPrincipal {
  if (!consent || consent.withdrawn) throw invalidToken('The consent behind this access token was withdrawn or no longer exists.');
  if (consent.tokens_revoked_before && issuedAtMs < Date.parse(consent.tokens_revoked_before)) {
    throw invalidToken('This access token was revoked: the authorization behind it was used twice.');
  }
  if (!consent.granted) {
    throw new BearerError(
      403,
      'institution_not_granted',
      `the school ${consent.institution_number} no longer grants this app the ${consent.api_code} API`,
      `Bearer realm="${REALM}"`,
    );
  }
  if (!consent.has_role) {
    throw new BearerError(
      403,
      'role_ended',
      `this person no longer has the role ${consent.role} at school ${consent.institution_number}`,
      `Bearer realm="${REALM}"`,
    );
  }
  const approved = new Set(principal.dataCategories[consent.api_code] ?? []);
  return {
    ...principal,
    grants: principal.grants.filter((g) => g.apiCode === consent.api_code),
    dataCategories: { [consent.api_code]: consent.data_categories.filter((c) => approved.has(c)) },
    endUser: {
      consentId: consent.id,
      personId: consent.person_id,
      institutionNumber: consent.institution_number,
      role: consent.role,
      apiCode: consent.api_code,
    },
  };
}

async function authenticateAnyClient(ctx: AppContext, request: FastifyRequest): Promise<{ principal: ClientPrincipal; origin: ClientOrigin; name: string }> {
  const { clientId, consentId, issuedAtMs } = await verifyAccessToken(ctx, request);
  return principalById(ctx, clientId, consentId, issuedAtMs);
}

/**
 * The principal of a client that may read, read live by its id, without a request: what the client's
 * own access token (no end user) would carry right now. For work done for a client outside its
 * requests (the notices of its subscriptions).
 *
 * @throws BearerError as `authenticateClient` does (client gone, app not approved, an ingestion client).
 */
export async function readerById(ctx: AppContext, clientId: string): Promise<ClientPrincipal> {
  return readerOnly(await principalById(ctx, clientId, undefined));
}

async function principalById(
  ctx: AppContext,
  clientId: string,
  consentId: string | undefined,
  issuedAtMs?: number,
): Promise<{ principal: ClientPrincipal; origin: ClientOrigin; name: string }> {
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
      jsonArrayFrom(eb.selectFrom('app_api_requests as r').select(['r.api_code', 'r.data_categories']).whereRef('r.app_id', '=', 'c.app_id')).as('requests'),
      (consentId ? consentJsonSql(consentId, sql`c.id`) : sql<ConsentRow | null>`NULL::json`).as('consent'),
    ])
    .where('c.id', '=', clientId)
    .executeTakeFirst();
  return principalFromRow(ctx, row ?? undefined, consentId, issuedAtMs);
}

/** The client columns a bearer check reads (one row of clients ⟕ apps, with grants and approval). */
export interface ClientRow {
  id: string;
  name: string;
  app_id: string | null;
  origin: ClientOrigin;
  app_name: string | null;
  app_status: ClientState['appStatus'];
  partner_id: string | null;
  grants: { api_code: string; institution_number: string | null; access_group_id: string | null }[];
  requests: { api_code: string; data_categories: string[] }[];
  consent: unknown;
}

/**
 * The principal of a client row read live for this request: refuses a client that is gone (401) or
 * not allowed (403), works out the data categories, and applies the consent of an end-user token.
 * Shared by `authenticateClient` and the SS 12000 API, which reads the same row in its one statement.
 */
/**
 * The grants of a client row in the principal's shape, with their API codes. The SS 12000 guard
 * hands the same row array for every request of a scope version (src/modules/ss12000/access.ts), so
 * it is shaped once per version, not once per request: a client with 1,000 grants would otherwise
 * pay for all of them on every read (issue 16). Shared: never mutated (`applyConsent` filters into
 * a new array).
 */
function grantsOf(rows: ClientRow['grants']): { grants: ClientPrincipal['grants']; apiCodes: string[] } {
  let shaped = shapedGrants.get(rows);
  if (!shaped) {
    const grants = rows.map((g) => ({ apiCode: g.api_code, institutionNumber: g.institution_number, accessGroupId: g.access_group_id }));
    shaped = { grants, apiCodes: [...new Set(grants.map((g) => g.apiCode))] };
    shapedGrants.set(rows, shaped);
  }
  return shaped;
}
const shapedGrants = new WeakMap<ClientRow['grants'], { grants: ClientPrincipal['grants']; apiCodes: string[] }>();

export function principalFromRow(
  ctx: AppContext,
  row: ClientRow | undefined,
  consentId: string | undefined,
  issuedAtMs?: number,
): { principal: ClientPrincipal; origin: ClientOrigin; name: string } {
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

  const { grants, apiCodes } = grantsOf(row.grants);
  const dataCategories: Record<string, string[]> = {};
  // A legacy key has no approved purpose (also while its app awaits review): identity only.
  if (row.app_id === null || actsAsUnlinkedLegacy({ origin: row.origin, appId: row.app_id, appStatus: row.app_status })) {
    for (const api of apiCodes) dataCategories[api] = ['identity'];
  } else {
    for (const r of row.requests) dataCategories[r.api_code] = [...r.data_categories];
  }
  let principal: ClientPrincipal = { clientId: row.id, appId: row.app_id, partnerId: row.partner_id, grants, dataCategories };
  if (consentId) principal = applyConsent(principal, row.consent as ConsentRow | null, issuedAtMs);
  return { principal, origin: row.origin, name: row.name };
}
