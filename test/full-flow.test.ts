/**
 * The whole consent flow of DOMAIN.md §3 through the HTTP API alone, as the issue tells it:
 * sign-up → confirm → profile → app → submit → approve → secret once → invite → admin grants →
 * token → live grants → removal with confirmation → refused at once → suspension → no tokens.
 */
import { describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from './support/harness.ts';
import { currentSchoolYear } from '../src/lib/school-year.ts';
import { insertAdminRight, insertInstitution, insertUser } from '../src/seed/builders.ts';

const harness = useHarness();

async function latestMail(to: string, template: string) {
  return harness()
    .ctx.db.selectFrom('mail_outbox')
    .selectAll()
    .where('to_address', '=', to)
    .where('template', '=', template)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
}

async function token(clientId: string, secret: string) {
  const res = await fetch(`${harness().url}/oidc/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function myGrants(accessToken: string) {
  const res = await fetch(`${harness().url}/api/v1/me/grants`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: (await res.json()) as any };
}

describe('the whole consent flow over HTTP', () => {
  it('takes an app from sign-up to live, revocable school grants', async () => {
    const { ctx, clock } = harness();
    const year = currentSchoolYear(clock.now(), { start: '09-01', timeZone: 'Europe/Brussels' });
    for (const [number, name] of [
      ['001057', 'Hof van Nassau'],
      ['001073', 'Klim Op'],
      ['001099', 'De Linde'],
    ] as const) {
      await insertInstitution(ctx.db, { number, name });
    }
    await insertUser(ctx.db, { email: 'operator@vendor.example', password: 'operator password', displayName: 'Olivia', kind: 'operator' });
    const adminId = await insertUser(ctx.db, {
      email: 'lies@school.example',
      password: 'admin password',
      displayName: 'Lies',
      kind: 'school',
      userManagementAccess: true,
      language: 'nl',
    });
    for (const n of ['001057', '001073']) await insertAdminRight(ctx.db, { userId: adminId, right: 'iLeerlingen', institutionNumber: n, schoolYear: year });

    // 1. A partner signs up, confirms through the mailed link, fills in the profile.
    const partner: TestClient = harness().client();
    expect((await partner.post('/api/v1/auth/signup', { email: 'sven@planner.example', password: 'partner password', displayName: 'Sven' })).status).toBe(202);
    const confirmation = await latestMail('sven@planner.example', 'email_confirmation');
    const confirmToken = /confirm-email\?token=([\w-]+)/.exec(confirmation.body_text)![1]!;
    expect((await partner.post('/api/v1/auth/confirm-email', { token: confirmToken })).status).toBe(200);
    expect((await partner.login('sven@planner.example', 'partner password')).status).toBe(200);
    const profile = await partner.put('/api/v1/partner/profile', {
      name: 'StudyPlanner',
      description: 'Homework planning',
      website: 'https://planner.example',
      contactEmail: 'contact@planner.example',
      public: true,
    });
    expect(profile.status).toBe(201);

    // 2. Registers an app with APIs, categories and purposes, and submits it.
    const created = await partner.post('/api/v1/partner/apps', {
      name: 'Planner Pro',
      description: 'Plans homework',
      contactEmail: 'apps@planner.example',
      redirectUris: [],
      apis: [{ apiCode: 'students', dataCategories: ['identity', 'guardians'], purpose: 'Plan homework with students' }],
    });
    expect(created.status).toBe(201);
    const appId: string = created.body.id;
    expect((await partner.post(`/api/v1/partner/apps/${appId}/submit`)).body.status).toBe('submitted');

    // 3. The operator sees it in the queue and approves it with accreditation notes.
    const operator = harness().client();
    await operator.login('operator@vendor.example', 'operator password');
    const queue = await operator.get('/api/v1/operator/apps?status=submitted');
    expect(queue.body.data.map((a: { id: string }) => a.id)).toContain(appId);
    const approved = await operator.post(`/api/v1/operator/apps/${appId}/approve`, { notes: 'DPA signed 2026-11-20' });
    expect(approved.status).toBe(200);
    expect(await latestMail('apps@planner.example', 'app_approved')).toBeTruthy();

    // The partner gets the secret once; reading the client later never shows it.
    const secretRes = await partner.post(`/api/v1/partner/apps/${appId}/client/secrets`);
    expect(secretRes.status).toBe(201);
    const { clientId, clientSecret } = secretRes.body as { clientId: string; clientSecret: string };
    expect(clientSecret.length).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify((await partner.get(`/api/v1/partner/apps/${appId}/client`)).body)).not.toContain(clientSecret);

    // Privacy by default: the approved app holds no grants yet.
    const first = await token(clientId, clientSecret);
    expect(first.status).toBe(200);
    expect((await myGrants(first.body.access_token!)).body.data).toEqual([]);

    // 4. The partner invites a school admin; the link is in the mail and in the app's log.
    const invited = await partner.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: ['lies@school.example'] });
    expect(invited.status).toBe(201);
    const invitationMail = await latestMail('lies@school.example', 'invitation');
    expect(invitationMail.subject).toContain('Planner Pro');
    const link = /https?:\/\/\S+invitation=[\w-]+/.exec(invitationMail.body_text)![0]!;
    const log = await partner.get(`/api/v1/partner/apps/${appId}/log`);
    expect(JSON.stringify(log.body)).toContain(link);

    // 5. The admin follows the link after signing in and grants two schools for Students.
    const admin = harness().client();
    await admin.login('lies@school.example', 'admin password');
    const invitationToken = new URL(link).searchParams.get('invitation')!;
    const page = await admin.get(`/api/v1/school/apps/${appId}?invitation=${invitationToken}`);
    expect(page.status).toBe(200);
    const access = await admin.get(`/api/v1/school/apps/${appId}/api-access?invitation=${invitationToken}`);
    const students = access.body.data.find((a: { apiCode: string }) => a.apiCode === 'students');
    expect(students.editable).toBe(true);
    expect(students.available.map((i: { institutionNumber: string }) => i.institutionNumber).sort()).toEqual(['001057', '001073']);
    expect(students.granted).toEqual([]);
    const grant = await admin.put(`/api/v1/school/apps/${appId}/api-access/students?invitation=${invitationToken}`, {
      institutionNumbers: ['001057', '001073'],
      reason: 'Homework pilot',
    });
    expect(grant.status).toBe(200);
    expect(grant.body.added).toHaveLength(2);

    // 6. The same token now sees both grants, live.
    const granted = await myGrants(first.body.access_token!);
    expect(granted.body.data.map((g: any) => g.institution.number).sort()).toEqual(['001057', '001073']);

    // 7. The partner was mailed; the audit log has actor, reason and before/after.
    const changed = await latestMail('apps@planner.example', 'grants_changed');
    expect(changed.body_text).toContain('001057');
    const audit = await partner.get(`/api/v1/partner/apps/${appId}/log`);
    const entry = audit.body.data.find((e: { action: string }) => e.action === 'grants.replaced');
    expect(entry).toMatchObject({ reason: 'Homework pilot' });
    expect(entry.actor.label).toContain('lies@school.example');

    // The app now shows in the admin's Apps list (no invitation needed any more).
    expect((await admin.get('/api/v1/school/apps')).body.data.map((a: { id: string }) => a.id)).toContain(appId);

    // Removing needs an explicit confirmation; then the next request no longer sees it.
    const unconfirmed = await admin.put(`/api/v1/school/apps/${appId}/api-access/students`, { institutionNumbers: ['001057'] });
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.body.code).toBe('removal_not_confirmed');
    const removed = await admin.put(`/api/v1/school/apps/${appId}/api-access/students`, {
      institutionNumbers: ['001057'],
      confirmRemoval: true,
      reason: 'Pilot ended at Klim Op',
    });
    expect(removed.status).toBe(200);
    expect((await myGrants(first.body.access_token!)).body.data.map((g: any) => g.institution.number)).toEqual(['001057']);

    // An institution outside the admin's rights is refused, naming it.
    const outside = await admin.put(`/api/v1/school/apps/${appId}/api-access/students`, { institutionNumbers: ['001057', '001099'] });
    expect(outside.status).toBe(403);
    expect(outside.body.code).toBe('institution_outside_rights');

    // 8. Suspension: the existing token is refused on the next request and no new token is issued.
    expect((await operator.post(`/api/v1/operator/apps/${appId}/suspend`, { reason: 'Security review' })).status).toBe(200);
    expect((await myGrants(first.body.access_token!)).status).toBe(403);
    const refused = await token(clientId, clientSecret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');

    // Re-approval restores access with the grants that were there.
    expect((await operator.post(`/api/v1/operator/apps/${appId}/reapprove`, { notes: 'Cleared' })).status).toBe(200);
    const again = await token(clientId, clientSecret);
    expect((await myGrants(again.body.access_token!)).body.data).toHaveLength(1);
  });
});
