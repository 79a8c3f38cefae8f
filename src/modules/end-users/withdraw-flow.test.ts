import { describe, expect, it, vi } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { claimsOf, exchangeCode, pkcePair, signIn, tokenRequest, world } from '../../../test/oidc/signin/support.ts';
import { startReceiver, verifyStandardWebhook } from '../../../test/support/webhook-receiver.ts';
import { newSigningSecret } from '../webhooks/signing.ts';
import { appWebhookAad, secretBoxFor } from '../webhooks/secrets.ts';

/*
 * Withdrawal through the real sign-in: the person signs in to an app (school, password, consent),
 * the app gets tokens, and the same browser — which got the sg_person cookie at the login step —
 * opens "My connected apps" and withdraws. The app's next refresh fails, its access token is
 * refused by the SS 12000 API, and the partner event names the person by the sub the app knows.
 */
const harness = useHarness();

describe('withdrawal after a real sign-in', () => {
  it('revokes the refresh token and the access token at once; the event carries the ID token sub; the next sign-in asks again', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const browser = harness().client();
    const pkce = pkcePair();
    const first = await signIn(browser, { clientId: app.clientId, pkce }, { login: student.login, institution: school.number });
    expect(first.consentAsked).toBe(true);
    const tokens = await exchangeCode(url, app, first.callback, pkce.verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const sub = claimsOf(tokens.body.id_token).sub as string;

    // The app works: a refresh rotates the token, the access token reads the person.
    const refreshed = await tokenRequest(url, app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    const read = (token: string) => fetch(`${url}/ss12000/v2.0/persons`, { headers: { authorization: `Bearer ${token}` } });
    expect((await read(refreshed.body.access_token)).status).toBe(200);

    // The sign-in left an end-user session in the browser: "My connected apps" lists the consent.
    const session = await browser.get('/api/v1/my/session');
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    expect(session.body.person.displayName).toBe(student.displayName);
    browser.csrfToken = session.body.csrfToken;
    // The access log row is written after the response: wait for the app's read to show.
    const item = await vi.waitFor(
      async () => {
        const apps = await browser.get('/api/v1/my/apps');
        expect(apps.body.items).toHaveLength(1);
        expect(apps.body.items[0].reads.total).toBe(1);
        return apps.body.items[0];
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(item).toMatchObject({ app: { id: app.appId }, institution: { number: school.number }, role: 'student' });
    expect(item.reads.recent[0]).toMatchObject({ endpoint: expect.stringContaining('/persons') });

    // The partner configured a webhook endpoint for the app (as PUT /partner/apps/:appId/webhook stores it).
    const receiver = await startReceiver();
    const secret = newSigningSecret();
    await ctx.db
      .insertInto('app_webhooks')
      .values({
        app_id: app.appId,
        target: `${receiver.url}/events`,
        // Sealed as the service stores it (the database refuses a secret in the clear, migration 0078).
        secret: secretBoxFor(ctx.config).seal(secret, appWebhookAad(app.appId)),
        created_at: ctx.clock.now(),
        updated_at: ctx.clock.now(),
      })
      .execute();

    expect((await browser.post(`/api/v1/my/apps/${item.consentId}/withdraw`)).status).toBe(204);

    // The same event as a signed webhook: the person only by the sub the app knows.
    const [hook] = await vi.waitFor(
      () => {
        expect(receiver.on('/events')).toHaveLength(1);
        return receiver.on('/events');
      },
      { timeout: 20_000, interval: 50 },
    );
    await receiver.close();
    expect(verifyStandardWebhook(secret, hook!.headers, hook!.body)).toBe(true);
    const body = JSON.parse(hook!.body);
    expect(body).toMatchObject({ type: 'consent.withdrawn', data: { sub, institution: school.number, appId: app.appId } });
    expect(Object.keys(body.data).sort()).toEqual(['appId', 'at', 'institution', 'sub']);
    expect(hook!.body).not.toContain(student.displayName);

    const again = await tokenRequest(url, app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    expect((await read(refreshed.body.access_token)).status).toBe(401);

    const event = await ctx.db.selectFrom('partner_events').selectAll().where('app_id', '=', app.appId).executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({ sub, institution: school.number, appId: app.appId });

    // A withdrawn consent is history: signing in again asks for consent anew.
    const pkce2 = pkcePair();
    const second = await signIn(browser, { clientId: app.clientId, pkce: pkce2 }, { login: student.login, institution: school.number });
    expect(second.consentAsked).toBe(true);
    const tokens2 = await exchangeCode(url, app, second.callback, pkce2.verifier);
    expect(tokens2.status).toBe(200);
    expect(claimsOf(tokens2.body.id_token).sub).toBe(sub);
    expect((await read(tokens2.body.access_token)).status).toBe(200);
  });
});
