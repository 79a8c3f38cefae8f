import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../../../config.ts';
import type { Queryable } from '../../../context.ts';
import type { AppClientType, AppStatus, ClientOrigin } from '../../../db/schema.ts';
import { sha256 } from '../../../lib/ids.ts';
import { localDate } from '../../../lib/school-year.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` can be a client id (a UUID); anything else is an unknown client, never a query. */
export const isClientId = (value: string): boolean => UUID.test(value);

/** The live state of a client as the token endpoint and the bearer check need it. */
export interface ClientState {
  id: string;
  name: string;
  appId: string | null;
  appName: string | null;
  appStatus: AppStatus | null;
  partnerId: string | null;
  /**
   * 'legacy' for keys issued before the consent system (see `actsAsUnlinkedLegacy`); 'ingestion'
   * for the SIS side's loaders, which get tokens but may only call the ingestion API.
   */
  origin: ClientOrigin;
  /** The app's client type (sign-in): a public client has no secret and no client credentials. */
  clientType?: AppClientType | null;
  /** The app's registered redirect URIs (exact match at the authorization endpoint). */
  redirectUris?: string[];
}

export interface ClientSecretRow {
  id: string;
  secretHash: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/**
 * The client, its app's status and all its secrets in one round trip (the token endpoint's hot path).
 * Undefined when there is no such client.
 */
export async function loadClientWithSecrets(db: Queryable, clientId: string): Promise<{ client: ClientState; secrets: ClientSecretRow[] } | undefined> {
  if (!isClientId(clientId)) return undefined;
  const rows = await db
    .selectFrom('clients as c')
    .leftJoin('apps as a', 'a.id', 'c.app_id')
    .leftJoin('client_secrets as s', 's.client_id', 'c.id')
    .select([
      'c.id',
      'c.name',
      'c.app_id',
      'c.origin',
      'a.name as app_name',
      'a.status as app_status',
      'a.partner_id',
      'a.client_type',
      'a.redirect_uris',
      's.id as secret_id',
      's.secret_hash',
      's.expires_at',
      's.last_used_at',
    ])
    .where('c.id', '=', clientId)
    .execute();
  const first = rows[0];
  if (!first) return undefined;
  return {
    client: {
      id: first.id,
      name: first.name,
      appId: first.app_id,
      appName: first.app_name,
      appStatus: first.app_status,
      partnerId: first.partner_id,
      origin: first.origin,
      clientType: first.client_type,
      redirectUris: first.redirect_uris ?? [],
    },
    secrets: rows
      .filter((r) => r.secret_id && r.secret_hash)
      .map((r) => ({ id: r.secret_id!, secretHash: r.secret_hash!, expiresAt: r.expires_at, lastUsedAt: r.last_used_at })),
  };
}

/**
 * Finds the stored secret matching `presented`, comparing its SHA-256 with every stored hash in
 * constant time (no early exit, no database lookup by hash).
 */
export function matchSecret(secrets: ClientSecretRow[], presented: string): ClientSecretRow | undefined {
  const presentedHash = Buffer.from(sha256(presented), 'hex');
  let found: ClientSecretRow | undefined;
  for (const s of secrets) {
    const stored = Buffer.from(s.secretHash, 'hex');
    const equal = stored.length === presentedHash.length && timingSafeEqual(stored, presentedHash);
    if (equal) found = s;
  }
  return found;
}

/**
 * Whether the legacy cut-over has happened: from LEGACY_CUTOVER (00:00 in the deployment's time
 * zone) on, legacy clients that were never linked to an app get no tokens and no data.
 */
export function legacyCutoverPassed(config: Config, now: Date): boolean {
  return Boolean(config.LEGACY_CUTOVER && localDate(now, config.TZ) >= config.LEGACY_CUTOVER);
}

/**
 * A legacy key linked by its partner to an app that is still being registered or reviewed keeps
 * working as the legacy key it was (until the cut-over): linking must not cut off a running
 * integration before the operator has decided. Once the app is approved it is the app's client;
 * a rejected, suspended or archived app stops it.
 */
export function actsAsUnlinkedLegacy(client: Pick<ClientState, 'origin' | 'appId' | 'appStatus'>): boolean {
  return client.origin === 'legacy' && client.appId !== null && (client.appStatus === 'draft' || client.appStatus === 'submitted');
}

/**
 * Why this client may not obtain or use tokens right now, or null when it may. One rule for the
 * token endpoint and for every bearer request.
 */
export function clientRefusal(config: Config, now: Date, client: ClientState): string | null {
  // Not a legacy key: the cut-over does not apply. What it may call is decided by the route.
  if (client.origin === 'ingestion') return null;
  if (client.appId === null || actsAsUnlinkedLegacy(client)) {
    if (legacyCutoverPassed(config, now)) {
      return `legacy client ${client.id} was never linked to an app; legacy keys stopped working on ${config.LEGACY_CUTOVER}`;
    }
    return null;
  }
  if (client.appStatus !== 'approved') {
    return `the app "${client.appName}" of client ${client.id} is ${client.appStatus}; only approved apps get tokens`;
  }
  return null;
}
