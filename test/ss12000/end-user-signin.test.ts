import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { createPerson, exchangeCode, pkcePair, signIn, world } from '../oidc/signin/support.ts';

/**
 * The real sign-in flow end to end with the data API: the access token oidc-provider issues for a
 * student's sign-in reads that student and nothing else, and stops at once when the consent is
 * withdrawn. (The per-endpoint enumeration is in end-user.test.ts with tokens signed by the test.)
 */
const harness = useHarness();

describe('SS 12000 API with the access token of a real sign-in', () => {
  it('reads the signed-in student only, and is refused once the consent is withdrawn', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    // A classmate the app could read with client credentials.
    const classmate = await createPerson(ctx, { given: 'Nils', family: 'Berg', relations: [{ kind: 'enrolment', unitId: school.unitId }], login: null });
    const pkce = pkcePair();
    const { callback } = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce, state: 's', nonce: 'n' },
      { login: student.login, institution: school.number },
    );
    const tokens = await exchangeCode(url, app, callback, pkce.verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const get = async (path: string) => {
      const res = await fetch(`${url}/ss12000/v2.0${path}`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    const persons = await get('/persons');
    expect(persons.status, JSON.stringify(persons.body)).toBe(200);
    expect(persons.body.data.map((p: { id: string }) => p.id)).toEqual([student.id]);
    expect((await get(`/persons/${student.id}`)).body.givenName).toBe('Elsa');
    expect((await get(`/persons/${classmate.id}`)).status).toBe(404);
    expect((await get('/organisations')).body.data.map((o: { id: string }) => o.id)).toEqual([school.unitId]);

    await ctx.db.updateTable('end_user_consents').set({ withdrawn_at: ctx.clock.now() }).where('person_id', '=', student.id).execute();
    const refused = await get('/persons');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
  });
});
