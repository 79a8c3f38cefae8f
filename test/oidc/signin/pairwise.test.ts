import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { claimsOf, createSchool, createSigninApp, exchangeCode, grantTo, pkcePair, signIn, world } from './support.ts';

const harness = useHarness();

async function subFor(app: { clientId: string; secret?: string }, login: string, institution: string) {
  const { url } = harness();
  const pkce = pkcePair();
  const { callback } = await signIn(harness().client(), { clientId: app.clientId, pkce }, { login, institution });
  const tokens = await exchangeCode(url, app, callback, pkce.verifier);
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  const id = claimsOf(tokens.body.id_token);
  expect(claimsOf(tokens.body.access_token).sub).toBe(id.sub);
  return id.sub as string;
}

describe('pairwise subject per partner', () => {
  it('gives two apps of one partner the same sub, another partner a different one, never the person id', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    // A second app of the same partner, with a redirect URI on another host (no sector document is fetched).
    const sibling = await createSigninApp(ctx, {
      partnerId: app.partnerId,
      redirectUris: ['https://other-host.example/cb', 'https://homework.example/callback'],
    });
    const stranger = await createSigninApp(ctx);
    for (const a of [sibling, stranger]) await grantTo(ctx, a.clientId, 'students', school.number);

    const s1 = await subFor(app, student.login, school.number);
    const s2 = await subFor(sibling, student.login, school.number);
    const s3 = await subFor(stranger, student.login, school.number);
    expect(s2).toBe(s1);
    expect(s3).not.toBe(s1);
    for (const s of [s1, s3]) expect(s).not.toContain(student.id);

    // HMAC-SHA256(salt, partnerId:personId) with the instance salt, created once in instance_secrets.
    const salt = await ctx.db.selectFrom('instance_secrets').select('value').where('name', '=', 'pairwise_salt').executeTakeFirstOrThrow();
    expect(s1).toBe(createHmac('sha256', salt.value).update(`${app.partnerId}:${student.id}`).digest('base64url'));
    // The same person at another school of the same app: still one sub (it is about the person).
    const second = await createSchool(ctx);
    await grantTo(ctx, app.clientId, 'students', second.number);
    await ctx.db
      .insertInto('ss12000_person_relations')
      .values({
        person_id: student.id,
        kind: 'enrolment',
        organisation_id: second.unitId,
        start_date: '2020-01-01',
        end_date: null,
        source_type: 'persons',
        source_id: student.id,
      })
      .execute();
    expect(await subFor(app, student.login, second.number)).toBe(s1);
  });
});
