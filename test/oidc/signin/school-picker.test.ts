import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { insertAccessGroup, insertGrant } from '../../../src/seed/builders.ts';
import { createSchool, createSigninApp, grantTo, pkcePair, startSignin } from './support.ts';

const harness = useHarness();

describe('school picker', () => {
  it('lists only schools that granted the app students or staff (directly or through an access group), searchable', async () => {
    const { ctx } = harness();
    const app = await createSigninApp(ctx, { apis: { students: ['identity'], staff: ['identity'], invoices: ['identity'] } });
    const direct = await createSchool(ctx, 'Ängsskolan', 'Lund');
    const staffOnly = await createSchool(ctx, 'Björkskolan', 'Malmö');
    const viaGroup = await createSchool(ctx, 'Citadellskolan', 'Ystad');
    const billingOnly = await createSchool(ctx, 'Dalaskolan', 'Lund');
    const none = await createSchool(ctx, 'Ekskolan', 'Lund');
    await grantTo(ctx, app.clientId, 'students', direct.number);
    await grantTo(ctx, app.clientId, 'staff', staffOnly.number);
    const group = await insertAccessGroup(ctx.db, { name: 'Ystad schools', institutionNumbers: [viaGroup.number] });
    await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'students', accessGroupId: group });
    await grantTo(ctx, app.clientId, 'invoices', billingOnly.number);
    // Another app's grant does not count.
    const other = await createSigninApp(ctx);
    await grantTo(ctx, other.clientId, 'students', none.number);

    const browser = harness().client();
    const uid = await startSignin(browser, { clientId: app.clientId, pkce: pkcePair() });
    const all = await browser.get(`/signin/${uid}/institutions`);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(3);
    expect(new Set(all.body.items.map((i: any) => i.number))).toEqual(new Set([direct.number, staffOnly.number, viaGroup.number]));
    expect(all.body.items[0]).toEqual({ number: expect.any(String), name: expect.any(String), town: expect.any(String) });
    expect((await browser.get(`/signin/${uid}/institutions?q=YSTAD`)).body.items.map((i: any) => i.number)).toEqual([viaGroup.number]);
    expect((await browser.get(`/signin/${uid}/institutions?q=${direct.number}`)).body.items.map((i: any) => i.number)).toEqual([direct.number]);
    expect((await browser.get(`/signin/${uid}/institutions?q=björk`)).body.items.map((i: any) => i.number)).toEqual([staffOnly.number]);
    expect((await browser.get(`/signin/${uid}/institutions?q=Ekskolan`)).body.items).toEqual([]);
    expect((await browser.get(`/signin/${uid}/institutions?q=%25`)).body.items).toEqual([]);
  });

  it('refuses a forged or unknown institution with the same answer, and accepts a granted one', async () => {
    const { ctx } = harness();
    const app = await createSigninApp(ctx);
    const granted = await createSchool(ctx);
    const notGranted = await createSchool(ctx);
    await grantTo(ctx, app.clientId, 'students', granted.number);
    const browser = harness().client();
    const uid = await startSignin(browser, { clientId: app.clientId, pkce: pkcePair() });
    const state = await browser.get(`/signin/${uid}/state`);
    expect(state.body).toMatchObject({ uid, step: 'school', institution: null, person: null, consent: null, redirectTo: null });
    for (const institution of [notGranted.number, '999999', "1' OR '1'='1"]) {
      const res = await browser.post(`/signin/${uid}/school`, { institution });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'institution_not_available', field: 'institution' });
    }
    const ok = await browser.post(`/signin/${uid}/school`, { institution: granted.number });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      step: 'login',
      institution: { number: granted.number, name: granted.name },
      loginMethods: { password: true, upstream: null },
    });
    const back = await browser.post(`/signin/${uid}/school/change`);
    expect(back.body.step).toBe('school');
  });

  it('answers only the browser that started the sign-in (interaction cookie)', async () => {
    const { ctx } = harness();
    const app = await createSigninApp(ctx);
    const uid = await startSignin(harness().client(), { clientId: app.clientId, pkce: pkcePair() });
    const stranger = harness().client();
    const res = await stranger.get(`/signin/${uid}/institutions`);
    expect(res.status).toBe(410);
    expect(res.body.code).toBe('interaction_expired');
    expect((await stranger.get(`/signin/nonsense/state`)).status).toBe(410);
  });
});
