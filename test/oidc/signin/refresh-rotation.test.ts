import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { claimsOf, exchangeCode, pkcePair, signIn, tokenRequest, world } from './support.ts';

const harness = useHarness();

describe('refresh tokens', () => {
  it('rotate on every use: the new one works, the old one is refused, and the access token keeps its consent', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const pkce = pkcePair();
    const { callback } = await signIn(harness().client(), { clientId: app.clientId, pkce }, { login: student.login, institution: school.number });
    const tokens = await exchangeCode(url, app, callback, pkce.verifier);
    expect(tokens.status).toBe(200);
    const r1 = tokens.body.refresh_token as string;

    const second = await tokenRequest(url, app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: r1 });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    const r2 = second.body.refresh_token as string;
    expect(r2).toBeTruthy();
    expect(r2).not.toBe(r1);
    expect(claimsOf(second.body.access_token).consent).toBe(claimsOf(tokens.body.access_token).consent);
    expect(claimsOf(second.body.access_token).aud).toBe(`${url}/ss12000`);

    const reused = await tokenRequest(url, app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: r1 });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
  });

  it('stops when the consent row is withdrawn and its grant revoked', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const pkce = pkcePair();
    const { callback } = await signIn(harness().client(), { clientId: app.clientId, pkce }, { login: student.login, institution: school.number });
    const tokens = await exchangeCode(url, app, callback, pkce.verifier);
    const consent = await ctx.db.selectFrom('end_user_consents').selectAll().where('person_id', '=', student.id).executeTakeFirstOrThrow();
    // What withdrawal (helper "portal") does: mark it and delete the payloads of its grant.
    await ctx.db.updateTable('end_user_consents').set({ withdrawn_at: new Date() }).where('id', '=', consent.id).execute();
    await ctx.db.deleteFrom('oidc_payloads').where('grant_id', '=', consent.oidc_grant_id!).execute();
    await ctx.db.deleteFrom('oidc_payloads').where('type', '=', 'Grant').where('id', '=', consent.oidc_grant_id!).execute();
    const refresh = await tokenRequest(url, app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('keeps every artefact in oidc_payloads (several processes share one database)', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const pkce = pkcePair();
    const { callback } = await signIn(harness().client(), { clientId: app.clientId, pkce }, { login: student.login, institution: school.number });
    const tokens = await exchangeCode(url, app, callback, pkce.verifier);
    const consent = await ctx.db.selectFrom('end_user_consents').select('oidc_grant_id').where('person_id', '=', student.id).executeTakeFirstOrThrow();
    const rows = await ctx.db
      .selectFrom('oidc_payloads')
      .select(['type', 'id'])
      .where((eb) => eb.or([eb('grant_id', '=', consent.oidc_grant_id), eb('id', '=', consent.oidc_grant_id!)]))
      .execute();
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(['Grant', 'AuthorizationCode', 'RefreshToken']));
    expect(rows.find((r) => r.type === 'RefreshToken')!.id).toBe(tokens.body.refresh_token);
  });
});
