import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertAdminRight, insertInstitution, insertUser } from '../../seed/builders.ts';
import { PASSWORD, requestToken } from './test-fixtures.ts';

const harness = useHarness();

async function mailTo(to: string, template: string) {
  return harness()
    .ctx.db.selectFrom('mail_outbox')
    .selectAll()
    .where('to_address', '=', to)
    .where('template', '=', template)
    .orderBy('created_at', 'desc')
    .execute();
}

describe('the partner story', () => {
  it('signs up, creates the profile, registers and submits an app, gets a secret, invites a school, sees the grant', async () => {
    const h = harness();
    const partner = h.client();

    // 1. Sign up and confirm the e-mail address through the mailed link.
    expect(
      (await partner.post('/api/v1/auth/signup', { email: 'eva@studiebuddy.example', password: PASSWORD, displayName: 'Eva', language: 'nl' })).status,
    ).toBe(202);
    const [confirmation] = await mailTo('eva@studiebuddy.example', 'email_confirmation');
    const token = /confirm-email\?token=([\w-]+)/.exec(confirmation!.body_text)![1]!;
    expect((await partner.post('/api/v1/auth/confirm-email', { token })).status).toBe(200);
    expect((await partner.login('eva@studiebuddy.example', PASSWORD)).status).toBe(200);

    // 2. The partner profile.
    const profile = await partner.put('/api/v1/partner/profile', {
      name: 'StudieBuddy',
      description: 'Study planning for secondary schools.',
      website: 'https://studiebuddy.example',
      contactEmail: 'hello@studiebuddy.example',
    });
    expect(profile.status).toBe(201);

    // 3. Register an app and submit it.
    const created = await partner.post('/api/v1/partner/apps', {
      name: 'StudieBuddy Planner',
      description: 'Shows students their week.',
      contactEmail: 'apps@studiebuddy.example',
      redirectUris: ['https://planner.studiebuddy.example/oidc/callback'],
      apis: [{ apiCode: 'students', dataCategories: ['birth_date'], purpose: 'Greet students on their birthday and plan their week.' }],
    });
    expect(created.status).toBe(201);
    const appId = created.body.id as string;
    const submitted = await partner.post(`/api/v1/partner/apps/${appId}/submit`);
    expect(submitted.body.status).toBe('submitted');

    // 4. The operator rejects it; the partner improves the purpose (back to draft) and resubmits; the operator approves.
    await insertUser(h.ctx.db, { email: 'moderator@vendor.example', password: PASSWORD, displayName: 'Moderator', kind: 'operator' });
    const operator = h.client();
    expect((await operator.login('moderator@vendor.example', PASSWORD)).status).toBe(200);
    const rejected = await operator.post(`/api/v1/operator/apps/${appId}/reject`, { reason: 'Say why you need the birth date.' });
    expect(rejected.status).toBe(200);
    const seen = await partner.get(`/api/v1/partner/apps/${appId}`);
    expect(seen.body).toMatchObject({ status: 'rejected', rejectionReason: 'Say why you need the birth date.', editable: 'all' });
    const improved = await partner.patch(`/api/v1/partner/apps/${appId}`, {
      apis: [
        { apiCode: 'students', dataCategories: ['birth_date'], purpose: 'The birth date lets the planner greet students on their birthday; nothing else.' },
      ],
    });
    expect(improved.body.status).toBe('draft');
    expect((await partner.post(`/api/v1/partner/apps/${appId}/submit`)).body.status).toBe('submitted');
    const approved = await operator.post(`/api/v1/operator/apps/${appId}/approve`, { notes: 'Accredited for Students: identity and birth date.' });
    expect(approved.status).toBe(200);
    const app = await partner.get(`/api/v1/partner/apps/${appId}`);
    expect(app.body).toMatchObject({
      status: 'approved',
      editable: 'description_and_contact',
      accreditationNotes: 'Accredited for Students: identity and birth date.',
    });
    const clientId = app.body.clientId as string;
    expect(await mailTo('apps@studiebuddy.example', 'app_rejected')).toHaveLength(1);
    expect(await mailTo('apps@studiebuddy.example', 'app_approved')).toHaveLength(1);
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    // The client exists but has no secret until the partner asks for one.
    expect((await partner.get(`/api/v1/partner/apps/${appId}/client`)).body).toMatchObject({ clientId, origin: 'app', secrets: [] });

    // 5. The partner takes its secret (shown once) and gets a token; no grants anywhere yet.
    const secret = await partner.post(`/api/v1/partner/apps/${appId}/client/secrets`);
    expect(secret.status).toBe(201);
    const first = await requestToken(h, clientId, secret.body.clientSecret);
    expect(first.status).toBe(200);
    const none = await fetch(`${h.url}/api/v1/me/grants`, { headers: { authorization: `Bearer ${first.body.access_token}` } });
    expect((await none.json()).data).toEqual([]);

    // 6. It invites a school admin, who follows the link and grants the Students API for one school.
    await insertInstitution(h.ctx.db, { number: '001057', name: 'Hof van Nassau' });
    const adminId = await insertUser(h.ctx.db, {
      email: 'beheer@hofvannassau.example',
      password: PASSWORD,
      displayName: 'Beheerder Hof',
      kind: 'school',
      userManagementAccess: true,
      language: 'nl',
    });
    await insertAdminRight(h.ctx.db, { userId: adminId, right: 'iLeerlingen', institutionNumber: '001057', schoolYear: 2026 });
    const invited = await partner.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: ['beheer@hofvannassau.example'] });
    expect(invited.status).toBe(201);
    const link = new URL(invited.body.data[0].link);
    expect(link.pathname).toBe(`/school/apps/${appId}`);
    const [mail] = await mailTo('beheer@hofvannassau.example', 'invitation');
    expect(mail!.body_text).toContain(link.toString());

    const admin = h.client();
    expect((await admin.login('beheer@hofvannassau.example', PASSWORD)).status).toBe(200);
    const invitation = link.searchParams.get('invitation')!;
    const page = await admin.get(`/api/v1/school/apps/${appId}?invitation=${invitation}`);
    expect(page.status).toBe(200);
    const grant = await admin.put(`/api/v1/school/apps/${appId}/api-access/students?invitation=${invitation}`, {
      institutionNumbers: ['001057'],
      reason: 'Pilot this school year',
    });
    expect(grant.status).toBe(200);

    // 7. The partner sees the grant, the token sees it, and the partner was told.
    const grants = await partner.get(`/api/v1/partner/apps/${appId}/grants`);
    expect(grants.body.data).toMatchObject([{ apiCode: 'students', institutionNumber: '001057', institutionName: 'Hof van Nassau' }]);
    const after = await requestToken(h, clientId, secret.body.clientSecret);
    const mine = await fetch(`${h.url}/api/v1/me/grants`, { headers: { authorization: `Bearer ${after.body.access_token}` } });
    expect((await mine.json()).data).toMatchObject([{ api: { code: 'students' }, institution: { number: '001057' } }]);
    expect(await mailTo('apps@studiebuddy.example', 'grants_changed')).toHaveLength(1);

    // 8. The app's log tells the whole story, newest first, with no secret in it.
    const log = await partner.get(`/api/v1/partner/apps/${appId}/log`);
    const partnerActions = log.body.data.filter((e: { actor: { kind: string } }) => e.actor.kind === 'partner').map((e: { action: string }) => e.action);
    expect(partnerActions).toEqual(['invitation.created', 'client.secret_created', 'app.submitted', 'app.updated', 'app.submitted', 'app.created']);
    expect(log.body.data.filter((e: { actor: { kind: string } }) => e.actor.kind === 'operator')).toHaveLength(2);
    const grantEntry = log.body.data.find((e: { institutionNumbers: string[]; actor: { kind: string } }) => e.actor.kind === 'school');
    expect(grantEntry).toMatchObject({ institutionNumbers: ['001057'], reason: 'Pilot this school year' });
    expect(JSON.stringify(log.body)).not.toContain(secret.body.clientSecret);
  });

  it('documents every partner route in the OpenAPI document', async () => {
    const res = await harness().client().get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<string, Record<string, unknown>>;
    const partnerRoutes = Object.entries(paths)
      .filter(([p]) => p.startsWith('/api/v1/partner/'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(partnerRoutes).toEqual(
      [
        'GET /api/v1/partner/profile',
        'PUT /api/v1/partner/profile',
        'GET /api/v1/partner/apps',
        'POST /api/v1/partner/apps',
        'GET /api/v1/partner/apps/{appId}',
        'PATCH /api/v1/partner/apps/{appId}',
        'POST /api/v1/partner/apps/{appId}/submit',
        'POST /api/v1/partner/apps/{appId}/archive',
        'GET /api/v1/partner/apps/{appId}/client',
        'POST /api/v1/partner/apps/{appId}/client/secrets',
        'POST /api/v1/partner/apps/{appId}/client/link',
        'GET /api/v1/partner/apps/{appId}/invitations',
        'POST /api/v1/partner/apps/{appId}/invitations',
        'GET /api/v1/partner/apps/{appId}/log',
        'GET /api/v1/partner/apps/{appId}/grants',
        'GET /api/v1/partner/apps/{appId}/events',
        'GET /api/v1/partner/developers',
        'GET /api/v1/partner/apps/{appId}/webhook',
        'PUT /api/v1/partner/apps/{appId}/webhook',
        'DELETE /api/v1/partner/apps/{appId}/webhook',
        'GET /api/v1/partner/apps/{appId}/webhook-deliveries',
        'POST /api/v1/partner/apps/{appId}/webhook-deliveries/{deliveryId}/replay',
      ].sort(),
    );
    const secret = paths['/api/v1/partner/apps/{appId}/client/secrets']!.post as { responses: Record<string, unknown> };
    expect(Object.keys(secret.responses)).toEqual(expect.arrayContaining(['201', '409']));
  });
});
