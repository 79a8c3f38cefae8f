import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';
import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../../context.ts';
import type { Clock } from '../../../lib/clock.ts';
import { recordAudit, systemActor } from '../../audit/record.ts';

/** The JWS algorithm of every token Schoolgate signs. */
export const SIGNING_ALG = 'ES256';

/**
 * How long a retired key keeps verifying: well beyond the longest access-token lifetime, so that a
 * token signed just before a rotation stays valid until it expires.
 */
export const RETIRED_KEY_GRACE_MS = 24 * 3_600_000;

/** How long a process trusts its in-memory copy of the key set before re-reading the table. */
export const KEY_REFRESH_MS = 60_000;

// Arbitrary but fixed: serialises key creation between processes starting at the same moment.
const KEY_LOCK = 727362;

/** A signing key as loaded from `signing_keys`. */
export interface SigningKey {
  kid: string;
  privateJwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
}

async function newKey(): Promise<{ kid: string; jwk: JWK }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, jwk: { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' } };
}

async function insertKey(trx: Queryable, now: Date): Promise<string> {
  const { kid, jwk } = await newKey();
  await trx
    .insertInto('signing_keys')
    .values({ kid, private_jwk: JSON.stringify(jwk), created_at: now })
    .execute();
  return kid;
}

/**
 * Makes sure there is a key that signs: generates one on first start. Safe when several processes
 * start at once (an advisory lock makes the check-and-insert atomic across processes).
 */
export async function ensureSigningKey(db: Queryable, clock: Clock): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${KEY_LOCK})`.execute(trx);
    const active = await trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).executeTakeFirst();
    if (active) return;
    const now = clock.now();
    const kid = await insertKey(trx, now);
    await recordAudit(trx, now, systemActor, {
      action: 'signing_key.created',
      subjectType: 'signing_key',
      subjectId: kid,
      after: { kid },
    });
  });
}

/**
 * Rotation: a new key starts signing and every older key is retired now. Retired keys stay in the
 * published JWKS (and keep verifying) for `RETIRED_KEY_GRACE_MS`; running servers pick up the new
 * key within `KEY_REFRESH_MS`, signing with the retired one meanwhile, which is still valid.
 */
export async function rotateSigningKeys(db: Queryable, clock: Clock): Promise<{ kid: string; retired: string[] }> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${KEY_LOCK})`.execute(trx);
    const now = clock.now();
    const retired = await trx.updateTable('signing_keys').set({ retired_at: now }).where('retired_at', 'is', null).returning('kid').execute();
    const kid = await insertKey(trx, now);
    await recordAudit(trx, now, systemActor, {
      action: 'signing_key.rotated',
      subjectType: 'signing_key',
      subjectId: kid,
      before: { active: retired.map((r) => r.kid) },
      after: { active: [kid], retired: retired.map((r) => r.kid), verifiesUntil: new Date(now.getTime() + RETIRED_KEY_GRACE_MS) },
    });
    return { kid, retired: retired.map((r) => r.kid) };
  });
}

/**
 * Keys that sign or still verify, the signing key first (newest non-retired key), then the retired
 * keys still in their grace period.
 */
export async function loadKeys(db: Queryable, clock: Clock): Promise<SigningKey[]> {
  const cutoff = new Date(clock.now().getTime() - RETIRED_KEY_GRACE_MS);
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', cutoff)]))
    .orderBy(sql`retired_at IS NULL`, 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .execute();
  return rows.map((r) => ({
    kid: r.kid,
    privateJwk: (typeof r.private_jwk === 'string' ? JSON.parse(r.private_jwk) : r.private_jwk) as JWK,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
  }));
}

/** Strips the private part of a JWK. */
export function publicJwk(jwk: JWK): JWK {
  const { d: _d, ...pub } = jwk;
  return pub;
}

/**
 * A process's view of the key set: re-read at most every `KEY_REFRESH_MS`, or sooner when a token
 * names a key id we do not know (another process rotated).
 */
export class KeyRing {
  private keys: SigningKey[] = [];
  private loadedAt = 0;
  private forcedAt = 0;
  private loading: Promise<SigningKey[]> | undefined;
  private jwks: JWTVerifyGetKey | undefined;
  /** Bumped whenever the set of keys changes; the provider is rebuilt when it moves. */
  version = 0;

  constructor(private readonly ctx: Pick<AppContext, 'db' | 'clock'>) {}

  /** The current keys, refreshed from the database when stale (monotonic process time, not ctx.clock). */
  async current(force = false): Promise<SigningKey[]> {
    const now = performance.now();
    if (!force && this.loadedAt && now - this.loadedAt < KEY_REFRESH_MS) return this.keys;
    // Forced reloads (unknown kid) are rate-limited so that garbage tokens cannot hammer the table.
    if (force) {
      if (this.forcedAt && now - this.forcedAt < 2_000) return this.keys;
      this.forcedAt = now;
    }
    this.loading ??= loadKeys(this.ctx.db, this.ctx.clock)
      .then((keys) => {
        const before = this.keys.map((k) => `${k.kid}:${k.retiredAt?.getTime() ?? ''}`).join();
        const after = keys.map((k) => `${k.kid}:${k.retiredAt?.getTime() ?? ''}`).join();
        if (before !== after) {
          this.version++;
          this.jwks = createLocalJWKSet({ keys: keys.map((k) => publicJwk(k.privateJwk)) });
        }
        this.keys = keys;
        this.loadedAt = performance.now();
        return keys;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** Forgets the cached copy: the next call re-reads the table (what the refresh interval does). */
  invalidate(): void {
    this.loadedAt = 0;
  }

  /** A jose key resolver over the public keys; reloads once when the token's kid is unknown. */
  async verifier(kid: string | undefined): Promise<JWTVerifyGetKey> {
    const keys = await this.current();
    if (kid && !keys.some((k) => k.kid === kid)) await this.current(true);
    return this.jwks ?? createLocalJWKSet({ keys: [] });
  }
}

const rings = new WeakMap<object, KeyRing>();

/** The key ring of this process for `ctx` (one per context). */
export function keyRing(ctx: Pick<AppContext, 'db' | 'clock'>): KeyRing {
  let ring = rings.get(ctx);
  if (!ring) rings.set(ctx, (ring = new KeyRing(ctx)));
  return ring;
}
