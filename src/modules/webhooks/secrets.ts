import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import type { Queryable } from '../../context.ts';

/**
 * Webhook signing secrets at rest. Every delivery is signed with its subscription's or app's secret
 * (HMAC), so the server must be able to use it and cannot keep a digest as it does for client
 * secrets; instead the secret is sealed with AES-256-GCM under a deployment key that never enters the
 * database. A copy of the database (a backup, a replica, a leaked dump) then holds no usable secret.
 *
 * The key: `SECRETS_KEY`, a comma-separated list of base64 keys of 32 bytes (`openssl rand -base64 32`);
 * the first seals, every one opens. Without it, a key file `DATA_DIR/secrets.key` is made on first use
 * (mode 0600): fine for one machine, but a deployment on `DATABASE_URL` whose DATA_DIR is not kept
 * should set SECRETS_KEY (the start warns). Tests without SECRETS_KEY use a random key per process.
 *
 * Rotation: put the new key first and keep the old one after it (`SECRETS_KEY=new,old`), restart every
 * process; each start re-seals every stored secret under the first key (`sealStoredSecrets`); then drop
 * the old key. The same start seals any secret still stored in the clear (rows written before
 * migration 0078).
 *
 * A sealed value reads `sg1.<key id>.<iv>.<ciphertext>.<tag>` (base64url; the key id is the first 8 hex
 * digits of the key's SHA-256), bound by GCM's additional data to the row it belongs to
 * (`ss12000_subscriptions:<id>`, `app_webhooks:<app id>`): a sealed secret copied to another row does
 * not open there.
 */

/** What every sealed value starts with. */
export const SEALED_PREFIX = 'sg1.';

interface Key {
  id: string;
  key: Buffer;
}

/** A key id: the first 8 hex digits of the key's SHA-256 (names the key without revealing it). */
const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/** Parses SECRETS_KEY's value: base64 (or base64url) keys of 32 bytes, comma-separated; throws naming the bad one. */
export function parseSecretsKeys(value: string): Buffer[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s, i) => {
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) throw new Error(`key ${i + 1} is not base64`);
      const key = Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
      if (key.length !== 32) throw new Error(`key ${i + 1} is ${key.length} bytes, not 32 (openssl rand -base64 32)`);
      return key;
    });
}

/** Seals and opens webhook signing secrets under the deployment's keys (the first one seals). */
export class SecretBox {
  readonly #keys: Key[];

  constructor(keys: Buffer[]) {
    if (!keys.length) throw new Error('a secret box needs at least one key');
    this.#keys = keys.map((key) => ({ id: keyId(key), key }));
  }

  /** The id of the key that seals. */
  get currentKeyId(): string {
    return this.#keys[0]!.id;
  }

  /** Seals `plain` for the row named by `aad` (e.g. `ss12000_subscriptions:<id>`). */
  seal(plain: string, aad: string): string {
    const { id, key } = this.#keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${id}.${iv.toString('base64url')}.${ct.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
  }

  /** Opens a value `seal` made for the same `aad`; throws when no key of the deployment opens it. */
  open(sealed: string, aad: string): string {
    const parts = sealed.startsWith(SEALED_PREFIX) ? sealed.slice(SEALED_PREFIX.length).split('.') : [];
    if (parts.length !== 4) throw new Error('not a sealed secret');
    const [id, iv, ct, tag] = parts as [string, string, string, string];
    const key = this.#keys.find((k) => k.id === id);
    if (!key) throw new Error(`sealed under key ${id}, which SECRETS_KEY does not hold`);
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Whether `value` is sealed under the key that seals now (else it is re-sealed at start). */
  isCurrent(value: string): boolean {
    return value.startsWith(`${SEALED_PREFIX}${this.currentKeyId}.`);
  }
}

/** The additional data binding a subscription's sealed secret to its row. */
export const subscriptionAad = (id: string) => `ss12000_subscriptions:${id}`;
/** The additional data binding an app's sealed webhook secret to its row. */
export const appWebhookAad = (appId: string) => `app_webhooks:${appId}`;

// One random key per test process (no SECRETS_KEY, no file written by tests).
let testKey: Buffer | undefined;
const boxes = new WeakMap<Config, SecretBox>();

/** The key file used without SECRETS_KEY: read, or made (0600) on first use. */
function keyFile(dataDir: string): Buffer {
  const file = join(dataDir, 'secrets.key');
  try {
    return parseSecretsKeys(readFileSync(file, 'utf8'))[0]!;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    // 'wx': two processes starting at once never overwrite each other's key; the loser reads the winner's.
    writeFileSync(file, `${key.toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return parseSecretsKeys(readFileSync(file, 'utf8'))[0]!;
    throw error;
  }
}

/** The deployment's secret box (one per configuration). */
export function secretBoxFor(config: Config): SecretBox {
  let box = boxes.get(config);
  if (!box) {
    const keys = config.SECRETS_KEY
      ? parseSecretsKeys(config.SECRETS_KEY)
      : config.NODE_ENV === 'test'
        ? [(testKey ??= randomBytes(32))]
        : [keyFile(config.DATA_DIR)];
    box = new SecretBox(keys);
    boxes.set(config, box);
  }
  return box;
}

/**
 * Run at every start (`createContext`): seals every webhook signing secret still stored in the clear
 * (rows from before migration 0078) and re-seals every one sealed under another key than the first of
 * SECRETS_KEY (a rotation). Each row is updated only if it still holds what was read, so processes
 * starting together do no harm. A secret that no key opens is left alone and reported: its deliveries
 * fail until the key is given back or the secret is replaced.
 */
export async function sealStoredSecrets(db: Queryable, config: Config, log: FastifyBaseLogger): Promise<{ sealed: number; unreadable: number }> {
  const subscriptions = await db.selectFrom('ss12000_subscriptions').select(['id', 'secret']).execute();
  const endpoints = await db.selectFrom('app_webhooks').select(['app_id', 'secret']).execute();
  // Nothing stored: no key is needed yet (a key file is made only by a deployment that uses webhooks).
  if (!subscriptions.length && !endpoints.length) return { sealed: 0, unreadable: 0 };
  if (config.NODE_ENV === 'production' && config.DATABASE_URL && !config.SECRETS_KEY) {
    log.warn('SECRETS_KEY is not set: webhook signing secrets are sealed with the key file in DATA_DIR; keep that file, or set SECRETS_KEY');
  }
  const box = secretBoxFor(config);
  let sealed = 0;
  let unreadable = 0;
  const reseal = (value: string, aad: string): string | undefined => {
    if (box.isCurrent(value)) return undefined;
    if (!value.startsWith(SEALED_PREFIX)) return box.seal(value, aad);
    try {
      return box.seal(box.open(value, aad), aad);
    } catch {
      unreadable++;
      return undefined;
    }
  };
  for (const s of subscriptions) {
    const next = reseal(s.secret, subscriptionAad(s.id));
    if (!next) continue;
    const r = await db.updateTable('ss12000_subscriptions').set({ secret: next }).where('id', '=', s.id).where('secret', '=', s.secret).executeTakeFirst();
    sealed += Number(r.numUpdatedRows);
  }
  for (const w of endpoints) {
    const next = reseal(w.secret, appWebhookAad(w.app_id));
    if (!next) continue;
    const r = await db.updateTable('app_webhooks').set({ secret: next }).where('app_id', '=', w.app_id).where('secret', '=', w.secret).executeTakeFirst();
    sealed += Number(r.numUpdatedRows);
  }
  if (sealed) log.info({ sealed }, 'webhook signing secrets sealed under key %s', box.currentKeyId);
  if (unreadable) log.error({ unreadable }, 'webhook signing secrets that no key of SECRETS_KEY opens: their deliveries fail until the key is restored');
  return { sealed, unreadable };
}
