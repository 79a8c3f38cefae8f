import { randomToken } from '../lib/ids.ts';
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { clientRefusal, isClientId, loadClientWithSecrets, matchSecret } from '../modules/access/tokens/clients.ts';
import { sectorUriOf } from './accounts.ts';
import { SIGNIN_SCOPES } from '../modules/access/tokens/urls.ts';

/**
 * oidc-provider's storage on `oidc_payloads` (sessions, grants, codes, refresh tokens …). Access
 * tokens are JWTs and are not stored; this matters for the authorization-code flows to come.
 */
export class PayloadAdapter implements Adapter {
  constructor(
    private readonly ctx: Pick<AppContext, 'db' | 'clock'>,
    private readonly type: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const expiresAt = expiresIn ? new Date(this.ctx.clock.now().getTime() + expiresIn * 1000) : null;
    const row = {
      id,
      type: this.type,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      expires_at: expiresAt,
    };
    await this.ctx.db
      .insertInto('oidc_payloads')
      .values(row)
      .onConflict((oc) => oc.columns(['type', 'id']).doUpdateSet({ ...row, consumed_at: null }))
      .execute();
  }

  private async findBy(column: 'id' | 'user_code' | 'uid', value: string): Promise<AdapterPayload | undefined> {
    const row = await this.ctx.db
      .selectFrom('oidc_payloads')
      .select(['payload', 'expires_at', 'consumed_at'])
      .where('type', '=', this.type)
      .where(column, '=', value)
      .executeTakeFirst();
    if (!row || (row.expires_at && row.expires_at <= this.ctx.clock.now())) return undefined;
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as AdapterPayload;
    return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload;
  }

  find(id: string) {
    return this.findBy('id', id);
  }
  findByUserCode(userCode: string) {
    return this.findBy('user_code', userCode);
  }
  findByUid(uid: string) {
    return this.findBy('uid', uid);
  }

  async consume(id: string): Promise<void> {
    await this.ctx.db.updateTable('oidc_payloads').set({ consumed_at: this.ctx.clock.now() }).where('type', '=', this.type).where('id', '=', id).execute();
  }

  async destroy(id: string): Promise<void> {
    await this.ctx.db.deleteFrom('oidc_payloads').where('type', '=', this.type).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // oidc-provider revokes a grant when its code or a refresh token is replayed (RFC 6749 §4.1.2,
    // §10.4): what is stored goes, and the signed access tokens already issued under the consent are
    // refused from now on. Real time, not ctx.clock: it is compared with the tokens' iat, which
    // oidc-provider stamps from real time.
    await this.ctx.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
      await trx.updateTable('end_user_consents').set({ tokens_revoked_before: new Date() }).where('oidc_grant_id', '=', grantId).execute();
    });
  }
}

/**
 * Deletes expired oidc-provider artefacts (interactions, sessions, codes, refresh tokens, Grants …):
 * `find` already ignores them, this only keeps the table small. Called by the expiry sweep; safe from
 * several processes at once. Returns how many rows went.
 */
export async function sweepExpiredPayloads(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<number> {
  const result = await ctx.db.deleteFrom('oidc_payloads').where('expires_at', '<=', ctx.clock.now()).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** last_used_at is written at most this often per secret, so the token hot path stays one read. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** An `invalid_client` refusal (HTTP 401) with our own error_description. */
export function invalidClient(description: string): Error {
  const error = new errors.InvalidClientAuth(description);
  error.error_description = description;
  return error;
}

type LoadedClient = NonNullable<Awaited<ReturnType<typeof loadClientWithSecrets>>>;

/**
 * What the Client adapter read for the current request, so that the secret check right after it
 * needs no second query. Keyed by the request's Koa context: it dies with the request.
 */
const loadedThisRequest = new WeakMap<object, LoadedClient>();

/**
 * Client metadata carries no secret: ours are stored as SHA-256 hashes and compared by
 * `verifyClientSecret`. oidc-provider still wants a value for secret-based auth methods; this one
 * is random per process and never compared.
 */
const PLACEHOLDER_SECRET = randomToken();

/**
 * The 'Client' model: clients come from our tables, looked up afresh on every request (client,
 * app status and secrets in one query). oidc-provider caches built clients keyed by a hash of the
 * metadata returned here, which holds nothing that changes with status or secrets, and the live
 * checks happen in `verifyClientSecret` on every request — so a suspended app or an expired secret
 * is refused on the next request.
 */
export class ClientAdapter implements Adapter {
  constructor(private readonly ctx: Pick<AppContext, 'db' | 'clock' | 'config'>) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    const found = await loadClientWithSecrets(this.ctx.db, id);
    const koa = Provider.ctx;
    if (!found) {
      // At the token endpoint say why, rather than oidc-provider's generic "client authentication failed".
      if (koa?.oidc?.route === 'token') {
        throw invalidClient(isClientId(id) ? `unknown client ${id}` : 'unknown client: a client_id is a UUID');
      }
      return undefined;
    }
    if (koa) loadedThisRequest.set(koa, found);
    const { client } = found;
    const isPublic = client.clientType === 'public' && client.appId !== null;
    // Public clients have no secret to prove at the token endpoint, and nobody proves anything at the
    // authorization endpoint: there the live state (app approved, legacy cut-over) is checked here.
    if (isPublic || (koa?.oidc?.route !== undefined && koa.oidc.route !== 'token')) {
      const refusal = clientRefusal(this.ctx.config, this.ctx.clock.now(), client);
      // Nobody has proven anything here (the authorization endpoint, a public client): the answer must
      // not tell whoever knows a client id the app's name or its state in the review; a client that
      // authenticates at the token endpoint is told the reason (verifyClientSecret).
      if (refusal) throw invalidClient('this client cannot be used right now');
    }
    const redirectUris = client.appId && client.origin !== 'ingestion' ? (client.redirectUris ?? []) : [];
    const signIn = redirectUris.length > 0 && client.partnerId !== null;
    const grantTypes = [...(isPublic ? [] : ['client_credentials']), ...(signIn ? ['authorization_code', 'refresh_token'] : [])];
    return {
      client_id: client.id,
      client_name: client.name,
      ...(isPublic ? {} : { client_secret: PLACEHOLDER_SECRET, client_secret_expires_at: 0 }),
      grant_types: grantTypes,
      response_types: signIn ? ['code'] : [],
      redirect_uris: signIn ? redirectUris : [],
      token_endpoint_auth_method: isPublic ? 'none' : 'client_secret_basic',
      scope: signIn ? SIGNIN_SCOPES.join(' ') : 'data',
      // Sign-in: `sub` is pairwise per partner. The sector is the partner (see sectorUriOf), never fetched.
      ...(signIn ? { subject_type: 'pairwise', sector_identifier_uri: sectorUriOf(client.partnerId!) } : {}),
    };
  }

  // Clients are managed through our own API, never through oidc-provider.
  async upsert(): Promise<void> {
    throw new Error('clients are managed by Schoolgate, not by oidc-provider');
  }
  async findByUserCode() {
    return undefined;
  }
  async findByUid() {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/**
 * Verifies a presented client secret (client_secret_basic or client_secret_post) against the
 * client's live SHA-256 hashes in constant time, then the live state: secret not expired (rotation
 * overlap), app approved, legacy cut-over. Records last use. Installed as the provider's
 * `Client.prototype.compareClientSecret`, the extension point oidc-provider's maintainer
 * recommends for hashed secrets (it also rules out client_secret_jwt, which we do not offer).
 * Refusals throw `invalid_client` with a description saying why.
 */
export async function verifyClientSecret(ctx: Pick<AppContext, 'db' | 'clock' | 'config'>, clientId: string, presented: string): Promise<true> {
  const koa = Provider.ctx;
  let loaded = koa ? loadedThisRequest.get(koa) : undefined;
  if (!loaded || loaded.client.id !== clientId) loaded = await loadClientWithSecrets(ctx.db, clientId);
  if (!loaded) throw invalidClient(`unknown client ${clientId}`);
  const { client, secrets } = loaded;
  const now = ctx.clock.now();
  const match = matchSecret(secrets, presented);
  if (!match) throw invalidClient(`wrong client secret for client ${client.id}`);
  if (match.expiresAt && match.expiresAt <= now) {
    throw invalidClient(`this client secret of client ${client.id} expired on ${match.expiresAt.toISOString()}; use the newer secret`);
  }
  // Only now, with the secret proven, say what else is wrong.
  const refusal = clientRefusal(ctx.config, now, client);
  if (refusal) throw invalidClient(refusal);
  if (!match.lastUsedAt || now.getTime() - match.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await ctx.db.updateTable('client_secrets').set({ last_used_at: now }).where('id', '=', match.id).execute();
  }
  return true;
}
