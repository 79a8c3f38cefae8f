import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../support/harness.ts';
import { sha256 } from '../../src/lib/ids.ts';
import { insertUser } from '../../src/seed/builders.ts';
import { requestToken } from '../oidc/fixtures.ts';

const harness = useHarness();
const PASSWORD = 'correct horse battery';
const DAY_MS = 86_400_000;
let operator: TestClient;

const batch = (token: string) =>
  harness()
    .client()
    .post('/api/v1/ingestion/batch', { upsert: {} }, { authorization: `Bearer ${token}` });

beforeAll(async () => {
  await insertUser(harness().ctx.db, { email: 'operator@sis.example', password: PASSWORD, displayName: 'Olle Operatör', kind: 'operator' });
});

// A fresh sign-in per test: the rotation test moves the clock past the session's lifetime.
beforeEach(async () => {
  operator = harness().client();
  expect((await operator.login('operator@sis.example', PASSWORD)).status).toBe(200);
});

async function createLoader(name: string) {
  const res = await operator.post('/api/v1/operator/ingestion-clients', { name });
  expect(res.status).toBe(201);
  return res.body as { clientId: string; secret: string };
}

describe('ingestion client rotation and revocation', () => {
  it('rotating shows the new secret once; the old one works until the overlap ends, then only the new one', async () => {
    const { url, ctx, clock } = harness();
    const loader = await createLoader('Rotating loader');
    const rotated = await operator.post(`/api/v1/operator/ingestion-clients/${loader.clientId}/secrets`);
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ clientId: loader.clientId, hint: rotated.body.secret.slice(-4), previousSecret: { hint: loader.secret.slice(-4) } });
    expect(new Date(rotated.body.previousSecret.expiresAt).getTime() - clock.now().getTime()).toBe(ctx.config.SECRET_OVERLAP_DAYS * DAY_MS);

    const hashes = await ctx.db.selectFrom('client_secrets').select('secret_hash').where('client_id', '=', loader.clientId).execute();
    expect(hashes.map((h) => h.secret_hash).sort()).toEqual([sha256(loader.secret), sha256(rotated.body.secret)].sort());
    const list = await operator.get('/api/v1/operator/ingestion-clients');
    expect(JSON.stringify(list.body)).not.toContain(rotated.body.secret);

    expect((await requestToken(url, loader.clientId, loader.secret, 'basic')).status).toBe(200);
    expect((await requestToken(url, loader.clientId, rotated.body.secret, 'post')).status).toBe(200);
    clock.advance(ctx.config.SECRET_OVERLAP_DAYS * DAY_MS + 1000);
    const old = await requestToken(url, loader.clientId, loader.secret, 'basic');
    expect(old.status).toBe(401);
    expect(old.body.error_description).toMatch(/expired/);
    expect((await requestToken(url, loader.clientId, rotated.body.secret, 'basic')).status).toBe(200);

    const audit = await ctx.db
      .selectFrom('audit_log')
      .select(['action', 'after'])
      .where('client_id', '=', loader.clientId)
      .where('action', '=', 'ingestion_client.secret_rotated')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0])).not.toContain(rotated.body.secret);
  });

  it('a second rotation ends the oldest secret at once: never more than two live secrets', async () => {
    const { url } = harness();
    const loader = await createLoader('Twice rotated');
    const second = (await operator.post(`/api/v1/operator/ingestion-clients/${loader.clientId}/secrets`)).body;
    const third = (await operator.post(`/api/v1/operator/ingestion-clients/${loader.clientId}/secrets`)).body;
    expect(third.previousSecret.hint).toBe(second.secret.slice(-4));
    expect((await requestToken(url, loader.clientId, loader.secret, 'basic')).status).toBe(401);
    expect((await requestToken(url, loader.clientId, second.secret, 'basic')).status).toBe(200);
    expect((await requestToken(url, loader.clientId, third.secret, 'basic')).status).toBe(200);
  });

  it('revoking stops the token already issued on its next request and every secret; the audit keeps the reason', async () => {
    const { url, ctx } = harness();
    const loader = await createLoader('Retired loader');
    const token = (await requestToken(url, loader.clientId, loader.secret, 'basic')).body.access_token as string;
    expect((await batch(token)).status).toBe(200);

    const revoked = await operator.request(
      'DELETE',
      `/api/v1/operator/ingestion-clients/${loader.clientId}?reason=${encodeURIComponent('Replaced by the new SIS export')}`,
    );
    expect(revoked.status).toBe(204);
    expect((await batch(token)).status).toBe(401);
    expect((await requestToken(url, loader.clientId, loader.secret, 'basic')).status).toBe(401);
    const list = await operator.get('/api/v1/operator/ingestion-clients');
    expect(list.body.data.map((c: { id: string }) => c.id)).not.toContain(loader.clientId);
    const audit = await ctx.db
      .selectFrom('audit_log')
      .select(['reason', 'before'])
      .where('client_id', '=', loader.clientId)
      .where('action', '=', 'ingestion_client.revoked')
      .execute();
    expect(audit).toEqual([{ reason: 'Replaced by the new SIS export', before: { name: 'Retired loader', origin: 'ingestion' } }]);
  });

  it('only ingestion clients can be rotated or revoked here: an unknown id and an app or legacy client are 404', async () => {
    const { ctx } = harness();
    const legacy = await ctx.db
      .insertInto('clients')
      .values({ id: '3f7c2a10-1111-4a2b-9c3d-000000000001', app_id: null, name: 'Legacy', origin: 'legacy', linked_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const id of [legacy.id, '3f7c2a10-1111-4a2b-9c3d-0000000000ff']) {
      const rotate = await operator.post(`/api/v1/operator/ingestion-clients/${id}/secrets`);
      expect(rotate.status).toBe(404);
      expect(rotate.body.code).toBe('ingestion_client_not_found');
      expect((await operator.request('DELETE', `/api/v1/operator/ingestion-clients/${id}`)).status).toBe(404);
    }
    expect(await ctx.db.selectFrom('clients').select('id').where('id', '=', legacy.id).executeTakeFirst()).toBeDefined();
    const bad = await operator.post('/api/v1/operator/ingestion-clients/not-a-uuid/secrets');
    expect(bad.status).toBe(400);
  });
});
