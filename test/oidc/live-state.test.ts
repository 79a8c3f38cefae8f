import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { addSecret, createAccessGroup, createClient, createInstitution, grant, myGrants, requestToken } from './fixtures.ts';

const harness = useHarness();

async function tokenFor(clientId: string, secret: string) {
  const res = await requestToken(harness().url, clientId, secret);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token as string;
}

describe('GET /api/v1/me/grants', () => {
  it('lists the grants the client holds, with API, institution and access group names and its data categories', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx, { requests: { students: ['identity', 'birth_date'], invoices: ['identity', 'invoices'] } });
    const school = await createInstitution(ctx, 'Sint-Lodewijkscollege');
    const group = await createAccessGroup(ctx, 'Facturatie Brugge');
    await grant(ctx, c.clientId, 'students', { institutionNumber: school.number });
    await grant(ctx, c.clientId, 'invoices', { accessGroupId: group.id });
    const other = await createClient(ctx);
    await grant(ctx, other.clientId, 'staff', { institutionNumber: school.number });

    const res = await myGrants(url, await tokenFor(c.clientId, c.secret));
    expect(res.status).toBe(200);
    expect(res.body.clientId).toBe(c.clientId);
    expect(res.body.appId).toBe(c.appId);
    expect(res.body.data).toEqual([
      expect.objectContaining({
        api: { code: 'students', name: 'Students' },
        institution: { number: school.number, name: 'Sint-Lodewijkscollege', sandbox: false },
        accessGroup: null,
        dataCategories: ['identity', 'birth_date'],
      }),
      expect.objectContaining({
        api: { code: 'invoices', name: 'Invoices' },
        institution: null,
        accessGroup: { id: group.id, name: 'Facturatie Brugge' },
        dataCategories: ['identity', 'invoices'],
      }),
    ]);
  });

  it('drops a deleted grant on the very next request, with the same token', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx);
    const a = await createInstitution(ctx);
    const b = await createInstitution(ctx);
    const grantA = await grant(ctx, c.clientId, 'students', { institutionNumber: a.number });
    await grant(ctx, c.clientId, 'students', { institutionNumber: b.number });
    const token = await tokenFor(c.clientId, c.secret);
    expect((await myGrants(url, token)).body.data.map((g: any) => g.institution.number).sort()).toEqual([a.number, b.number].sort());

    await ctx.db.deleteFrom('grants').where('id', '=', grantA).execute();
    expect((await myGrants(url, token)).body.data.map((g: any) => g.institution.number)).toEqual([b.number]);

    // A new grant shows at once too.
    await grant(ctx, c.clientId, 'students', { institutionNumber: a.number });
    expect((await myGrants(url, token)).body.data).toHaveLength(2);
  });

  it('refuses a token of an app suspended after it was issued, and gives no new token, until re-approved', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx);
    const token = await tokenFor(c.clientId, c.secret);
    expect((await myGrants(url, token)).status).toBe(200);

    await ctx.db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', c.appId!).execute();
    const refused = await myGrants(url, token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('client_not_allowed');
    expect(refused.body.detail).toContain('is suspended');
    const noToken = await requestToken(url, c.clientId, c.secret);
    expect(noToken.status).toBe(401);
    expect(noToken.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringContaining('is suspended') });

    await ctx.db.updateTable('apps').set({ status: 'approved' }).where('id', '=', c.appId!).execute();
    expect((await myGrants(url, token)).status).toBe(200);
    expect((await requestToken(url, c.clientId, c.secret)).status).toBe(200);
  });

  it('refuses the token of a deleted client as invalid_token', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx);
    const token = await tokenFor(c.clientId, c.secret);
    await ctx.db.deleteFrom('clients').where('id', '=', c.clientId).execute();
    const res = await myGrants(url, token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });
});

describe('secret rotation overlap', () => {
  it('accepts both live secrets until the old one expires, then only the new one; records last use', async () => {
    const { url, ctx, clock } = harness();
    const c = await createClient(ctx);
    const lastUsed = async (id: string) =>
      (await ctx.db.selectFrom('client_secrets').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at;
    expect(await lastUsed(c.secretId)).toBeNull();
    await tokenFor(c.clientId, c.secret);
    expect(await lastUsed(c.secretId)).toEqual(clock.now());

    // Rotation: a new secret, the old one valid for seven more days.
    const fresh = await addSecret(ctx, c.clientId);
    const overlapEnd = new Date(clock.now().getTime() + 7 * 86_400_000);
    await ctx.db.updateTable('client_secrets').set({ expires_at: overlapEnd }).where('id', '=', c.secretId).execute();
    expect(await lastUsed(fresh.secretId)).toBeNull();
    await tokenFor(c.clientId, fresh.secret);
    expect(await lastUsed(fresh.secretId)).toEqual(clock.now());

    clock.advanceDays(6);
    await tokenFor(c.clientId, c.secret);
    expect(await lastUsed(c.secretId)).toEqual(clock.now());

    clock.advanceDays(1);
    const old = await requestToken(url, c.clientId, c.secret, 'post');
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringContaining(`expired on ${overlapEnd.toISOString()}`) });
    await tokenFor(c.clientId, fresh.secret);
    expect(await lastUsed(fresh.secretId)).toEqual(clock.now());
  });
});
