import { randomToken } from '../lib/ids.ts';
import Provider, { errors, type Adapter, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { clientRefusal, isClientId, loadClientWithSecrets, matchSecret } from './clients.ts';

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
    await this.ctx.db
      .updateTable('oidc_payloads')
      .set({ consumed_at: this.ctx.clock.now() })
      .where('type', '=', this.type)
      .where('id', '=', id)
      .execute();
  }

  async destroy(id: string): Promise<void> {
    await this.ctx.db.deleteFrom('oidc_payloads').where('type', '=', this.type).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.ctx.db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
  }
}

/** last_used_at is written at most this often per secret, so the token hot path stays one read. */
const LAST_USED_RESOLUTION_MS = 60_000;

function decodeBasicPart(part: string): string {
  return decodeURIComponent(part.replace(/\+/g, '%20'));
}

/** The client secret the current request presents (client_secret_post or client_secret_basic). */
function presentedSecret(koa: KoaContextWithOIDC | undefined): string | undefined {
  if (!koa) return undefined;
  const posted = koa.oidc?.params?.client_secret;
  if (typeof posted === 'string' && posted) return posted;
  const header = koa.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const [scheme, value] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return undefined;
  const basic = Buffer.from(value, 'base64').toString('utf8');
  const i = basic.indexOf(':');
  if (i === -1) return undefined;
  try {
    return decodeBasicPart(basic.slice(i + 1)) || undefined;
  } catch {
    return undefined;
  }
}

/** An `invalid_client` refusal (HTTP 401) with our own error_description. */
export function invalidClient(description: string): Error {
  const error = new errors.InvalidClientAuth(description);
  error.error_description = description;
  return error;
}

/**
 * The 'Client' model: clients come from our tables, looked up afresh on every request.
 *
 * We store only SHA-256 hashes of secrets, so oidc-provider cannot compare secrets itself. When a
 * request presents a secret (read from the current request through `Provider.ctx`, oidc-provider's
 * documented AsyncLocalStorage accessor), we verify it here against the client's live hashes, check
 * the app's live status and the legacy cut-over, and only then hand oidc-provider metadata whose
 * `client_secret` is that very secret — for this request only; its own comparison then succeeds.
 * Any other request sees a random placeholder secret that nothing can match. oidc-provider caches
 * built clients keyed by a hash of the metadata, so nothing read here outlives a change: a
 * suspended app or expired secret is refused on the next request.
 */
export class ClientAdapter implements Adapter {
  private static readonly placeholder = randomToken();

  constructor(private readonly ctx: Pick<AppContext, 'db' | 'clock' | 'config'>) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    const koa = Provider.ctx;
    const secret = presentedSecret(koa);
    const found = await loadClientWithSecrets(this.ctx.db, id);
    if (!found) {
      if (secret === undefined) return undefined;
      throw invalidClient(isClientId(id) ? `unknown client ${id}` : 'unknown client: a client_id is a UUID');
    }
    const { client, secrets } = found;
    let clientSecret = ClientAdapter.placeholder;
    if (secret !== undefined) {
      const now = this.ctx.clock.now();
      const match = matchSecret(secrets, secret);
      if (!match) throw invalidClient(`wrong client secret for client ${client.id}`);
      if (match.expiresAt && match.expiresAt <= now) {
        throw invalidClient(
          `this client secret of client ${client.id} expired on ${match.expiresAt.toISOString()}; use the newer secret`,
        );
      }
      const refusal = clientRefusal(this.ctx.config, now, client);
      if (refusal) throw invalidClient(refusal);
      if (!match.lastUsedAt || now.getTime() - match.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
        await this.ctx.db.updateTable('client_secrets').set({ last_used_at: now }).where('id', '=', match.id).execute();
      }
      clientSecret = secret;
    }
    return {
      client_id: client.id,
      client_name: client.name,
      client_secret: clientSecret,
      client_secret_expires_at: 0,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'data',
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
