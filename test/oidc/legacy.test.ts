import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { createClient, createInstitution, grant, myGrants, requestToken } from './fixtures.ts';

// The harness clock starts on 2026-11-22; the deployment's cut-over is 18 December (seeds/001).
const harness = useHarness({ LEGACY_CUTOVER: '2026-12-18', TZ: 'Europe/Brussels' });

describe('legacy clients and the cut-over date', () => {
  it('get tokens and identity-only data before the cut-over, nothing from the cut-over day on', async () => {
    const { url, ctx, clock } = harness();
    const legacy = await createClient(ctx, { legacy: true });
    const app = await createClient(ctx);
    const school = await createInstitution(ctx);
    await grant(ctx, legacy.clientId, 'students', { institutionNumber: school.number });

    const issued = await requestToken(url, legacy.clientId, legacy.secret);
    expect(issued.status).toBe(200);
    const token = issued.body.access_token as string;
    const before = await myGrants(url, token);
    expect(before.status).toBe(200);
    expect(before.body.appId).toBeNull();
    expect(before.body.data).toEqual([expect.objectContaining({ api: { code: 'students', name: 'Students' }, dataCategories: ['identity'] })]);

    // 17 December, 23:59 in Brussels: still the day before.
    clock.set('2026-12-17T22:59:00Z');
    expect((await requestToken(url, legacy.clientId, legacy.secret)).status).toBe(200);
    expect((await myGrants(url, token)).status).toBe(200);

    // 18 December, 00:01 in Brussels.
    clock.set('2026-12-17T23:01:00Z');
    const refused = await requestToken(url, legacy.clientId, legacy.secret, 'post');
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({
      error: 'invalid_client',
      error_description: `legacy client ${legacy.clientId} was never linked to an app; legacy keys stopped working on 2026-12-18`,
    });
    const read = await myGrants(url, token);
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('client_not_allowed');
    expect(read.body.detail).toContain('legacy keys stopped working on 2026-12-18');

    // A wrong secret is still just a wrong secret (the cut-over is not revealed without the secret).
    expect((await requestToken(url, legacy.clientId, 'guess')).body.error_description).toContain('wrong client secret');

    // Clients of apps are not affected, nor is a legacy client once linked to an app.
    expect((await requestToken(url, app.clientId, app.secret)).status).toBe(200);
    await ctx.db.updateTable('clients').set({ app_id: app.appId }).where('id', '=', app.clientId).execute();
    const linked = await createClient(ctx);
    await ctx.db.updateTable('clients').set({ app_id: null }).where('id', '=', linked.clientId).execute();
    await ctx.db.updateTable('clients').set({ app_id: linked.appId, linked_at: clock.now() }).where('id', '=', legacy.clientId).execute();
    expect((await requestToken(url, legacy.clientId, legacy.secret)).status).toBe(200);
    expect((await myGrants(url, token)).status).toBe(200);
  });

  it('keeps a legacy key working while the app it was linked to awaits review, and stops it when the app is rejected', async () => {
    const { url, ctx, clock } = harness();
    clock.set('2026-11-22T10:00:00Z');
    const legacy = await createClient(ctx, { legacy: true });
    const draft = await createClient(ctx, { status: 'submitted' });
    await ctx.db.deleteFrom('clients').where('id', '=', draft.clientId).execute();
    await ctx.db.updateTable('clients').set({ app_id: draft.appId, linked_at: clock.now() }).where('id', '=', legacy.clientId).execute();

    const issued = await requestToken(url, legacy.clientId, legacy.secret);
    expect(issued.status).toBe(200);
    const read = await myGrants(url, issued.body.access_token as string);
    expect(read.status).toBe(200);

    await ctx.db.updateTable('apps').set({ status: 'rejected' }).where('id', '=', draft.appId!).execute();
    const refused = await requestToken(url, legacy.clientId, legacy.secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error_description).toContain('is rejected');
    expect((await myGrants(url, issued.body.access_token as string)).status).toBe(403);
  });
});
