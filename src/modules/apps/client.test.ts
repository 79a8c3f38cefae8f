import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertClient, insertGrant, insertInstitution } from '../../seed/builders.ts';
import { sha256 } from '../../lib/ids.ts';
import { PASSWORD, approveAsOperator, appBody, requestToken, setStatus, signedInPartner } from './test-fixtures.ts';

const harness = useHarness({ SECRET_OVERLAP_DAYS: '7' });
const DAY = 86_400_000;

async function approvedApp(name: string) {
  const h = harness();
  const p = await signedInPartner(h, name);
  const id = (await p.client.post('/api/v1/partner/apps', appBody({ contactEmail: `contact@${name.toLowerCase()}.example` }))).body.id as string;
  const clientId = await approveAsOperator(h, id);
  return { ...p, appId: id, clientId };
}

describe('client secrets', () => {
  it('shows a new secret once, stores only its hash, and GET never shows it', async () => {
    const h = harness();
    const { client, appId, clientId, partnerId } = await approvedApp('Once');
    const before = await client.get(`/api/v1/partner/apps/${appId}/client`);
    expect(before.body).toMatchObject({ clientId, origin: 'app', secrets: [] });

    const res = await client.post(`/api/v1/partner/apps/${appId}/client/secrets`);
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const secret = res.body.clientSecret as string;
    expect(secret).toMatch(/^[\w-]{43}$/); // 32 random bytes, base64url
    expect(res.body).toMatchObject({ clientId, hint: secret.slice(-4), previousSecret: null });
    expect(res.body.note).toMatch(/never show it again/);

    const rows = await h.ctx.db.selectFrom('client_secrets').selectAll().where('client_id', '=', clientId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.secret_hash).toBe(sha256(secret));
    expect(JSON.stringify(rows)).not.toContain(secret);

    const after = await client.get(`/api/v1/partner/apps/${appId}/client`);
    expect(after.body.secrets).toEqual([
      { id: res.body.secretId, hint: secret.slice(-4), createdAt: h.clock.now().toISOString(), lastUsedAt: null, expiresAt: null },
    ]);
    expect(JSON.stringify(after.body)).not.toContain(secret);

    // The audit trail and the mail never carry the secret.
    const log = await client.get(`/api/v1/partner/apps/${appId}/log`);
    expect(log.body.data[0]).toMatchObject({ action: 'client.secret_created', clientId });
    expect(JSON.stringify(log.body)).not.toContain(secret);
    const audit = await h.ctx.db.selectFrom('audit_log').selectAll().where('app_id', '=', appId).execute();
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(audit.every((a) => a.partner_id === partnerId)).toBe(true);
    // The first secret is no rotation: no mail (the approval mail announced the client).
    const mail = await h.ctx.db.selectFrom('mail_outbox').selectAll().where('to_address', '=', 'contact@once.example').execute();
    expect(mail).toHaveLength(0);

    // And the secret works at the token endpoint.
    const token = await requestToken(h, clientId, secret);
    expect(token.status).toBe(200);
    expect(token.body.token_type).toBe('Bearer');
  });

  it('keeps the old secret valid during the overlap, then it stops; never more than two live', async () => {
    const h = harness();
    const { client, appId, clientId, email } = await approvedApp('Rotate');
    const first = (await client.post(`/api/v1/partner/apps/${appId}/client/secrets`)).body;
    expect((await requestToken(h, clientId, first.clientSecret)).status).toBe(200);

    h.clock.advanceDays(30);
    await client.login(email, PASSWORD); // the session of 30 days ago has expired
    const rotatedAt = h.clock.now();
    const second = await client.post(`/api/v1/partner/apps/${appId}/client/secrets`);
    expect(second.status).toBe(201);
    const overlapEnd = new Date(rotatedAt.getTime() + 7 * DAY).toISOString();
    expect(second.body.previousSecret).toEqual({ id: first.secretId, hint: first.hint, expiresAt: overlapEnd });

    const both = await client.get(`/api/v1/partner/apps/${appId}/client`);
    expect(both.body.secrets.map((s: { id: string; expiresAt: string | null }) => [s.id, s.expiresAt])).toEqual([
      [second.body.secretId, null],
      [first.secretId, overlapEnd],
    ]);
    expect(both.body.secrets[1].lastUsedAt).not.toBeNull();

    const mails = await h.ctx.db
      .selectFrom('mail_outbox')
      .selectAll()
      .where('template', '=', 'secret_rotated')
      .where('to_address', '=', 'contact@rotate.example')
      .orderBy('created_at')
      .execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.language).toBe('nl'); // the contact is no known user: the rotating member's language
    expect(JSON.stringify(mails)).not.toContain(second.body.clientSecret);
    expect(JSON.stringify(mails)).not.toContain(first.clientSecret);
    const log = (await client.get(`/api/v1/partner/apps/${appId}/log?limit=1`)).body.data[0];
    expect(log).toMatchObject({ action: 'client.secret_rotated', after: { previousSecret: { id: first.secretId, expiresAt: overlapEnd } } });

    // Within the overlap both secrets get tokens.
    h.clock.advanceDays(6);
    expect((await requestToken(h, clientId, first.clientSecret)).status).toBe(200);
    expect((await requestToken(h, clientId, second.body.clientSecret)).status).toBe(200);

    // After it, only the new one.
    h.clock.advanceDays(1);
    await client.login(email, PASSWORD);
    const old = await requestToken(h, clientId, first.clientSecret);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect((await requestToken(h, clientId, second.body.clientSecret)).status).toBe(200);
    const one = await client.get(`/api/v1/partner/apps/${appId}/client`);
    expect(one.body.secrets.map((s: { id: string }) => s.id)).toEqual([second.body.secretId]);

    // Two rotations in a row: the oldest live secret ends at once, so at most two are live.
    const third = (await client.post(`/api/v1/partner/apps/${appId}/client/secrets`)).body;
    const fourth = (await client.post(`/api/v1/partner/apps/${appId}/client/secrets`)).body;
    const live = await client.get(`/api/v1/partner/apps/${appId}/client`);
    expect(live.body.secrets.map((s: { id: string }) => s.id).sort()).toEqual([third.secretId, fourth.secretId].sort());
    expect(fourth.previousSecret.id).toBe(third.secretId);
    const rejected = await requestToken(h, clientId, second.body.clientSecret);
    expect(rejected.status).toBe(401);
    expect((await requestToken(h, clientId, third.clientSecret)).status).toBe(200);
    expect((await requestToken(h, clientId, fourth.clientSecret)).status).toBe(200);
  });

  it('serializes concurrent rotations: every one answers, and exactly two secrets stay live', async () => {
    const h = harness();
    const { client, appId, clientId } = await approvedApp('Parallel');
    const results = await Promise.all(Array.from({ length: 5 }, () => client.post(`/api/v1/partner/apps/${appId}/client/secrets`)));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const live = (await client.get(`/api/v1/partner/apps/${appId}/client`)).body.secrets;
    expect(live).toHaveLength(2);
    expect(live.filter((s: { expiresAt: string | null }) => s.expiresAt === null)).toHaveLength(1);
    const audit = await h.ctx.db.selectFrom('audit_log').select('action').where('client_id', '=', clientId).execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['client.secret_created', ...Array(4).fill('client.secret_rotated')]);
  });

  it('with SECRET_OVERLAP_DAYS=0 a rotation ends the previous secret at once', async () => {
    const h = harness();
    const { client, appId, clientId } = await approvedApp('NoOverlap');
    const first = (await client.post(`/api/v1/partner/apps/${appId}/client/secrets`)).body;
    h.ctx.config.SECRET_OVERLAP_DAYS = 0;
    try {
      const second = (await client.post(`/api/v1/partner/apps/${appId}/client/secrets`)).body;
      expect(second.previousSecret).toEqual({ id: first.secretId, hint: first.hint, expiresAt: h.clock.now().toISOString() });
      expect((await client.get(`/api/v1/partner/apps/${appId}/client`)).body.secrets.map((s: { id: string }) => s.id)).toEqual([second.secretId]);
      expect((await requestToken(h, clientId, first.clientSecret)).status).toBe(401);
      expect((await requestToken(h, clientId, second.clientSecret)).status).toBe(200);
      const [mail] = await h.ctx.db.selectFrom('mail_outbox').selectAll().where('to_address', '=', 'contact@nooverlap.example').execute();
      expect(mail!.template).toBe('secret_rotated');
    } finally {
      h.ctx.config.SECRET_OVERLAP_DAYS = 7;
    }
  });

  it('refuses secrets for apps that are not approved or have no client', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Early');
    const draft = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;
    const res = await client.post(`/api/v1/partner/apps/${draft}/client/secrets`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'app_not_approved', appStatus: 'draft' });
    const noClient = await client.get(`/api/v1/partner/apps/${draft}/client`);
    expect(noClient.status).toBe(404);
    expect(noClient.body.code).toBe('client_not_found');

    const { client: c2, appId } = await approvedApp('Suspended');
    await setStatus(h, appId, 'suspended');
    expect((await c2.post(`/api/v1/partner/apps/${appId}/client/secrets`)).body.code).toBe('app_not_approved');

    // Approved without a client (e.g. an operator import in progress): explicit conflict, not a 500.
    const { client: c3 } = await signedInPartner(h, 'Clientless');
    const id3 = (await c3.post('/api/v1/partner/apps', appBody())).body.id as string;
    await setStatus(h, id3, 'approved');
    expect((await c3.post(`/api/v1/partner/apps/${id3}/client/secrets`)).body.code).toBe('app_has_no_client');
  });
});

describe('linking a legacy client', () => {
  it('links a client without app by proving its secret; its grants become the app grants', async () => {
    const h = harness();
    await insertInstitution(h.ctx.db, { number: '001073', name: 'Klim Op' });
    await insertInstitution(h.ctx.db, { number: '001081', name: 'De Regenboog' });
    const legacy = await insertClient(h.ctx.db, { appId: null, name: 'informat_customer_testschooldb', origin: 'legacy' });
    await insertGrant(h.ctx.db, { clientId: legacy.clientId, apiCode: 'students', institutionNumber: '001073' });
    await insertGrant(h.ctx.db, { clientId: legacy.clientId, apiCode: 'staff', institutionNumber: '001081' });

    const { client, partnerId } = await signedInPartner(h, 'Legacy');
    const appId = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;

    const wrong = await client.post(`/api/v1/partner/apps/${appId}/client/link`, { clientId: legacy.clientId, clientSecret: 'guess' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('client_secret_invalid');
    for (const clientId of [crypto.randomUUID(), 'informat_customer_x', legacy.clientId.toUpperCase().replace(/-/g, '')]) {
      const unknown = await client.post(`/api/v1/partner/apps/${appId}/client/link`, { clientId, clientSecret: legacy.secret });
      expect({ status: unknown.status, code: unknown.body.code, detail: unknown.body.detail }).toEqual({
        status: 403,
        code: 'client_secret_invalid',
        detail: wrong.body.detail,
      });
    }

    const linked = await client.post(`/api/v1/partner/apps/${appId}/client/link`, { clientId: legacy.clientId, clientSecret: legacy.secret });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ clientId: legacy.clientId, origin: 'legacy', linkedAt: h.clock.now().toISOString() });
    expect(linked.body.secrets).toHaveLength(1);
    expect((await client.get(`/api/v1/partner/apps/${appId}`)).body.clientId).toBe(legacy.clientId);
    const grants = await client.get(`/api/v1/partner/apps/${appId}/grants`);
    expect(grants.body.data.map((g: { apiCode: string; institutionNumber: string }) => `${g.apiCode}:${g.institutionNumber}`)).toEqual([
      'students:001073',
      'staff:001081',
    ]);
    const [entry] = (await client.get(`/api/v1/partner/apps/${appId}/log?limit=1`)).body.data;
    expect(entry).toMatchObject({ action: 'client.linked', clientId: legacy.clientId, institutionNumbers: ['001073', '001081'] });
    expect(JSON.stringify(entry)).not.toContain(legacy.secret);
    const row = await h.ctx.db.selectFrom('audit_log').select('partner_id').where('action', '=', 'client.linked').executeTakeFirstOrThrow();
    expect(row.partner_id).toBe(partnerId);

    // The app has a client now; the client has an app.
    const other = await insertClient(h.ctx.db, { appId: null, name: 'second legacy', origin: 'legacy' });
    const twice = await client.post(`/api/v1/partner/apps/${appId}/client/link`, { clientId: other.clientId, clientSecret: other.secret });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('app_has_client');
    const appB = (await client.post('/api/v1/partner/apps', appBody({ name: 'Second app' }))).body.id as string;
    const taken = await client.post(`/api/v1/partner/apps/${appB}/client/link`, { clientId: legacy.clientId, clientSecret: legacy.secret });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('client_already_linked');
  });

  it('links a legacy client to only one of two apps asking at once', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Racer');
    const legacy = await insertClient(h.ctx.db, { appId: null, name: 'raced key', origin: 'legacy' });
    const a = (await client.post('/api/v1/partner/apps', appBody({ name: 'A' }))).body.id as string;
    const b = (await client.post('/api/v1/partner/apps', appBody({ name: 'B' }))).body.id as string;
    const results = await Promise.all(
      [a, b].map((id) => client.post(`/api/v1/partner/apps/${id}/client/link`, { clientId: legacy.clientId, clientSecret: legacy.secret })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.code).toBe('client_already_linked');
    expect(
      await h.ctx.db.selectFrom('audit_log').select('id').where('action', '=', 'client.linked').where('client_id', '=', legacy.clientId).execute(),
    ).toHaveLength(1);
  });

  it('refuses an expired secret, an archived app, and a client of another app', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Linker');
    const appId = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;
    const legacy = await insertClient(h.ctx.db, { appId: null, name: 'old key', origin: 'legacy' });
    await h.ctx.db.updateTable('client_secrets').set({ expires_at: h.clock.now() }).where('client_id', '=', legacy.clientId).execute();
    const expired = await client.post(`/api/v1/partner/apps/${appId}/client/link`, { clientId: legacy.clientId, clientSecret: legacy.secret });
    expect(expired.body.code).toBe('client_secret_invalid');

    const other = await approvedApp('Owner');
    const created = (await other.client.post(`/api/v1/partner/apps/${other.appId}/client/secrets`)).body;
    const steal = await client.post(`/api/v1/partner/apps/${appId}/client/link`, { clientId: other.clientId, clientSecret: created.clientSecret });
    expect(steal.status).toBe(409);
    expect(steal.body.code).toBe('client_already_linked');
    expect((await other.client.get(`/api/v1/partner/apps/${other.appId}`)).body.clientId).toBe(other.clientId);

    const fresh = await insertClient(h.ctx.db, { appId: null, name: 'fresh', origin: 'legacy' });
    await client.post(`/api/v1/partner/apps/${appId}/archive`);
    const archived = await client.post(`/api/v1/partner/apps/${appId}/client/link`, { clientId: fresh.clientId, clientSecret: fresh.secret });
    expect(archived.body.code).toBe('app_archived');
    const bad = await client.post(`/api/v1/partner/apps/${appId}/client/link`, { clientId: fresh.clientId });
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'body.clientSecret' });
    const still = await h.ctx.db.selectFrom('clients').select('app_id').where('id', '=', fresh.clientId).executeTakeFirstOrThrow();
    expect(still.app_id).toBeNull();
  });
});
