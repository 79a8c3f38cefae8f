/**
 * Webhook signing secrets at rest, through the real server, database, delivery workers and a real
 * receiver: the secrets the API hands out appear nowhere in the database (every table of every schema
 * is searched for them), the database refuses a secret in the clear, deliveries still verify with the
 * receiver's own Standard Webhooks code, a secret stored in the clear before migration 0078 is sealed
 * at start, and a key rotation (SECRETS_KEY=new,old, then new alone) keeps every delivery verifying.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testConfig } from '../../config.ts';
import { useHarness, type TestClient } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { startReceiver, verifyStandardWebhook, type Receiver } from '../../../test/support/webhook-receiver.ts';
import { generateWorld, type World } from '../../generator/index.ts';
import { insertApp, insertClient, insertPartner, insertUser } from '../../seed/builders.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { queuePartnerEvent } from './delivery.ts';
import { sealStoredSecrets, SecretBox } from './secrets.ts';

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const harness = useHarness({ SECRETS_KEY: OLD_KEY });
const NUMBERS = ['495001'];
const loader = { id: null, label: 'test', kind: 'system' as const };
const PASSWORD = 'sealed secrets partner';
const quiet = pino({ level: 'silent' });
let world: World;
let receiver: Receiver;
let reader: Ss12000Client;
let partner: TestClient;
let appId = '';

const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });

beforeAll(async () => {
  const { ctx, url } = harness();
  receiver = await startReceiver();
  world = generateWorld({ seed: 95, schools: 1, students: 8, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, loader);
  const app = await createApp(ctx, { students: ['identity'] });
  await grantAll(ctx, app.clientId, 'students', NUMBERS);
  reader = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
  const pia = await insertUser(ctx.db, { email: 'pia@sealed.example', password: PASSWORD, displayName: 'Pia', kind: 'partner' });
  const partnerId = await insertPartner(ctx.db, { name: 'Sealed AB', contactEmail: 'pia@sealed.example', memberUserIds: [pia] });
  appId = await insertApp(ctx.db, {
    partnerId,
    name: 'Sealed',
    status: 'approved',
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Planning' }],
  });
  await insertClient(ctx.db, { appId, name: 'Sealed' });
  partner = harness().client();
  expect((await partner.login('pia@sealed.example', PASSWORD)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await receiver?.close();
});

/** Every row of every table, in every schema but PostgreSQL's own, that holds `needle` in its text form. */
async function rowsHolding(needle: string): Promise<string[]> {
  const { ctx } = harness();
  const tables = await sql<{ schema: string; name: string }>`
    SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(ctx.db);
  const found: string[] = [];
  for (const t of tables.rows) {
    const hit = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(`${t.schema}.${t.name}`)} AS r WHERE strpos(r::text, ${needle}) > 0`.execute(
      ctx.db,
    );
    if (Number(hit.rows[0]!.n) > 0) found.push(`${t.schema}.${t.name}`);
  }
  return found;
}

/** The parts of a `whsec_` secret that would let a holder sign: the whole, its base64 key, and the key as hex. */
const forms = (secret: string) => [secret, secret.slice('whsec_'.length), Buffer.from(secret.slice('whsec_'.length), 'base64').toString('hex')];

let subscriptionSecret = '';
let endpointSecret = '';
let renames = 0;

/** A change the subscription hears of, and an app event; both must arrive and verify with the secrets handed out. */
async function deliveriesVerify() {
  const { ctx } = harness();
  const notices = receiver.on('/notices').length;
  const events = receiver.on('/events').length;
  const person = world.persons.find((p) => (p.enrolments ?? []).length > 0)!;
  await ingestBatch(ctx, { upsert: { persons: [{ ...person, givenName: `Renamed ${++renames}` }] } as never }, loader);
  // An app event, queued as a change of the app would queue it.
  await ctx.db.transaction().execute(async (trx) => {
    await queuePartnerEvent(trx, ctx, { appId, type: 'app.status_changed', data: { appId, from: 'approved', to: 'approved', n: renames } });
  });
  const notice = await eventually(() => {
    const got = receiver.on('/notices');
    expect(got).toHaveLength(notices + 1);
    return got.at(-1)!;
  });
  const event = await eventually(() => {
    const got = receiver.on('/events');
    expect(got).toHaveLength(events + 1);
    return got.at(-1)!;
  });
  expect(verifyStandardWebhook(subscriptionSecret, notice.headers, notice.body)).toBe(true);
  expect(verifyStandardWebhook(endpointSecret, event.headers, event.body)).toBe(true);
}

describe('webhook signing secrets at rest', () => {
  it('are nowhere in the database, and deliveries still verify with them', async () => {
    const created = await reader.request('POST', '/subscriptions', { name: 'Sealed', resourceTypes: ['Person'], target: `${receiver.url}/notices` });
    expect(created.status).toBe(201);
    subscriptionSecret = created.body.secret;
    const set = await partner.put(`/api/v1/partner/apps/${appId}/webhook`, { target: `${receiver.url}/events` });
    expect(set.status).toBe(200);
    endpointSecret = set.body.webhook.secret;
    expect(subscriptionSecret).toMatch(/^whsec_/);
    expect(endpointSecret).toMatch(/^whsec_/);

    await deliveriesVerify();
    for (const secret of [subscriptionSecret, endpointSecret]) for (const form of forms(secret)) expect(await rowsHolding(form), form).toEqual([]);
    // The search finds what is there: the sealed values themselves.
    const stored = await harness().ctx.db.selectFrom('ss12000_subscriptions').select('secret').executeTakeFirstOrThrow();
    expect(stored.secret).toMatch(/^sg1\./);
    expect(await rowsHolding(stored.secret)).toEqual([expect.stringMatching(/\.ss12000_subscriptions$/)]);
  });

  it('the database refuses a secret in the clear', async () => {
    const { ctx } = harness();
    await expect(ctx.db.updateTable('app_webhooks').set({ secret: endpointSecret }).where('app_id', '=', appId).execute()).rejects.toThrow(
      /app_webhooks_secret_sealed/,
    );
    await expect(ctx.db.updateTable('ss12000_subscriptions').set({ secret: subscriptionSecret }).execute()).rejects.toThrow(
      /ss12000_subscriptions_secret_sealed/,
    );
  });

  it('a secret stored in the clear before migration 0078 is sealed at start, and still verifies', async () => {
    const { ctx } = harness();
    // The rows as they were before 0078 (the check is NOT VALID: old rows are not checked, new ones are).
    await sql`ALTER TABLE app_webhooks DROP CONSTRAINT app_webhooks_secret_sealed`.execute(ctx.db);
    await ctx.db.updateTable('app_webhooks').set({ secret: endpointSecret }).where('app_id', '=', appId).execute();
    await sql`ALTER TABLE app_webhooks ADD CONSTRAINT app_webhooks_secret_sealed CHECK (secret LIKE 'sg1.%') NOT VALID`.execute(ctx.db);
    expect(await rowsHolding(endpointSecret)).toEqual([expect.stringMatching(/\.app_webhooks$/)]);

    expect(await sealStoredSecrets(ctx.db, ctx.config, quiet)).toEqual({ sealed: 1, unreadable: 0 });
    for (const form of forms(endpointSecret)) expect(await rowsHolding(form)).toEqual([]);
    expect(await sealStoredSecrets(ctx.db, ctx.config, quiet)).toEqual({ sealed: 0, unreadable: 0 });
    await deliveriesVerify();
  });

  it('a key rotation (SECRETS_KEY=new,old, then new alone) re-seals every secret and deliveries keep verifying', async () => {
    const { ctx } = harness();
    const sealedUnder = async () => {
      const rows = [
        ...(await ctx.db.selectFrom('ss12000_subscriptions').select('secret').execute()),
        ...(await ctx.db.selectFrom('app_webhooks').select('secret').execute()),
      ];
      return new Set(rows.map((r) => r.secret.split('.')[1]));
    };
    const oldId = new SecretBox([Buffer.from(OLD_KEY, 'base64')]).currentKeyId;
    const newId = new SecretBox([Buffer.from(NEW_KEY, 'base64')]).currentKeyId;
    expect(await sealedUnder()).toEqual(new Set([oldId]));

    // Only the new key: nothing opens (and nothing is lost: the rows stay as they are).
    expect(await sealStoredSecrets(ctx.db, testConfig({ SECRETS_KEY: NEW_KEY }), quiet)).toEqual({ sealed: 0, unreadable: 2 });
    expect(await sealedUnder()).toEqual(new Set([oldId]));

    const both = testConfig({ SECRETS_KEY: `${NEW_KEY},${OLD_KEY}` });
    expect(await sealStoredSecrets(ctx.db, both, quiet)).toEqual({ sealed: 2, unreadable: 0 });
    expect(await sealedUnder()).toEqual(new Set([newId]));
    const original = ctx.config;
    try {
      // The running server under the new key alone (the old one dropped after every process restarted).
      ctx.config = { ...original, SECRETS_KEY: NEW_KEY };
      await deliveriesVerify();
    } finally {
      ctx.config = original;
    }
  });

  it('a secret no key opens: the attempt fails with the reason in its log, and nothing is sent', async () => {
    const { ctx } = harness();
    const events = receiver.on('/events').length;
    const original = ctx.config;
    try {
      ctx.config = { ...original, SECRETS_KEY: randomBytes(32).toString('base64') };
      const id = await ctx.db.transaction().execute((trx) => queuePartnerEvent(trx, ctx, { appId, type: 'app.status_changed', data: { appId, lost: true } }));
      const attempt = await eventually(async () => {
        const a = await ctx.db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', '=', id!).executeTakeFirst();
        expect(a).toBeDefined();
        return a!;
      });
      expect(attempt.error).toMatch(/signing secret cannot be opened/);
      expect(attempt.status_code).toBeNull();
      expect(receiver.on('/events')).toHaveLength(events);
    } finally {
      ctx.config = original;
    }
  });

  it('a sealed secret does not open on another row', () => {
    const box = new SecretBox([Buffer.from(OLD_KEY, 'base64')]);
    const sealed = box.seal('whsec_abc', 'app_webhooks:one');
    expect(box.open(sealed, 'app_webhooks:one')).toBe('whsec_abc');
    expect(() => box.open(sealed, 'app_webhooks:two')).toThrow();
  });
});
