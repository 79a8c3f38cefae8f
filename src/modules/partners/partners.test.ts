import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertUser } from '../../seed/builders.ts';
import { PASSWORD, signedInPartner } from '../apps/test-fixtures.ts';

const harness = useHarness();

const profile = {
  name: 'Huiswerk BV',
  description: 'Homework planning for secondary schools.',
  website: 'https://huiswerk.example',
  contactEmail: 'Info@Huiswerk.example',
  public: true,
};

async function newMember(email: string, opts: { verified?: boolean } = {}) {
  const h = harness();
  await insertUser(h.ctx.db, { email, password: PASSWORD, displayName: email.split('@')[0]!, kind: 'partner', emailVerified: opts.verified ?? true });
  const c = h.client();
  expect((await c.login(email, PASSWORD)).status).toBe(200);
  return c;
}

describe('partner profile', () => {
  it('is created by a member without one, who becomes its member; a second save updates it', async () => {
    const c = await newMember('ann@huiswerk.example');
    const missing = await c.get('/api/v1/partner/profile');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('partner_profile_not_found');
    // Apps need the profile first.
    expect((await c.get('/api/v1/partner/apps')).body.code).toBe('partner_profile_missing');

    const created = await c.put('/api/v1/partner/profile', profile);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Huiswerk BV',
      website: 'https://huiswerk.example',
      contactEmail: 'info@huiswerk.example',
      public: true,
      members: [{ email: 'ann@huiswerk.example' }],
    });
    const session = await c.get('/api/v1/auth/session');
    expect(session.body.user.partnerId).toBe(created.body.id);

    const updated = await c.put('/api/v1/partner/profile', { ...profile, name: 'Huiswerk NV', website: null, public: false });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, name: 'Huiswerk NV', website: null, public: false });
    expect((await c.get('/api/v1/partner/profile')).body.name).toBe('Huiswerk NV');
    expect(await harness().ctx.db.selectFrom('partners').select('id').where('name', 'like', 'Huiswerk%').execute()).toHaveLength(1);

    const audit = await harness()
      .ctx.db.selectFrom('audit_log')
      .select(['action', 'partner_id', 'before', 'after'])
      .where('subject_id', '=', created.body.id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['partner.created', 'partner.updated']);
    expect(audit[1]).toMatchObject({ partner_id: created.body.id, before: { name: 'Huiswerk BV' }, after: { name: 'Huiswerk NV', public: false } });
  });

  it('creates one partner when the same member saves twice at once', async () => {
    const c = await newMember('dirk@race.example');
    const results = await Promise.all([
      c.put('/api/v1/partner/profile', { ...profile, name: 'Race One' }),
      c.put('/api/v1/partner/profile', { ...profile, name: 'Race Two' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(results[0]!.body.id).toBe(results[1]!.body.id);
    expect(await harness().ctx.db.selectFrom('partners').select('id').where('name', 'like', 'Race%').execute()).toHaveLength(1);
  });

  it('refuses bad input naming the field, and keeps nothing half-written', async () => {
    const c = await newMember('bea@bad.example');
    const badSite = await c.put('/api/v1/partner/profile', { ...profile, website: 'javascript:alert(1)' });
    expect(badSite.status).toBe(400);
    expect(badSite.body.field).toBe('body.website');
    const badMail = await c.put('/api/v1/partner/profile', { ...profile, contactEmail: 'nope' });
    expect(badMail.body).toMatchObject({ code: 'validation_failed', field: 'body.contactEmail' });
    const noName = await c.put('/api/v1/partner/profile', { ...profile, name: '   ' });
    expect(noName.body.field).toBe('body.name');
    expect((await c.get('/api/v1/partner/profile')).status).toBe(404);
  });

  it('is only for confirmed partner members', async () => {
    const h = harness();
    expect((await h.client().put('/api/v1/partner/profile', profile)).status).toBe(401);
    const unconfirmed = await newMember('cas@unconfirmed.example', { verified: false });
    const res = await unconfirmed.put('/api/v1/partner/profile', profile);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('email_not_confirmed');
    await insertUser(h.ctx.db, { email: 'op@vendor.example', password: PASSWORD, displayName: 'Op', kind: 'operator' });
    const op = h.client();
    await op.login('op@vendor.example', PASSWORD);
    expect((await op.put('/api/v1/partner/profile', profile)).body.code).toBe('partner_only');
  });

  it("shows each member only their own partner's profile", async () => {
    const a = await signedInPartner(harness(), 'Alpha');
    const b = await signedInPartner(harness(), 'Beta');
    expect((await a.client.get('/api/v1/partner/profile')).body).toMatchObject({ id: a.partnerId, name: 'Alpha' });
    const saved = await b.client.put('/api/v1/partner/profile', { ...profile, name: 'Beta 2' });
    expect(saved.body.id).toBe(b.partnerId);
    expect((await a.client.get('/api/v1/partner/profile')).body.name).toBe('Alpha');
  });
});
