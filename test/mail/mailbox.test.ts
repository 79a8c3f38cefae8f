import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestClient } from '../support/harness.ts';
import { stopHarness } from '../jobs/support.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { newId } from '../../src/lib/ids.ts';
import type { AppContext } from '../../src/context.ts';
import type { UserKind } from '../../src/db/schema.ts';
import type { OutgoingMail } from '../../src/mail/service.ts';

const PASSWORD = 'correct horse battery staple';

async function createUser(ctx: AppContext, email: string, kind: UserKind, extra: { user_management_access?: boolean } = {}) {
  await ctx.db
    .insertInto('users')
    .values({
      id: newId(),
      email,
      password_hash: await hashPassword(PASSWORD),
      display_name: email.split('@')[0]!,
      kind,
      email_verified_at: new Date('2026-01-01T00:00:00Z'),
      ...extra,
    })
    .execute();
}

async function signedIn(h: Harness, email: string): Promise<TestClient> {
  const client = h.client();
  const res = await client.login(email, PASSWORD);
  expect(res.status).toBe(200);
  return client;
}

const enqueue = (h: Harness, mail: OutgoingMail) => h.ctx.db.transaction().execute((trx) => h.ctx.mail.enqueue(trx, mail));

describe('dev mailbox (no SMTP_URL: mail is kept)', () => {
  let h: Harness;
  let operator: TestClient;

  beforeAll(async () => {
    h = await startHarness();
    await createUser(h.ctx, 'operator@schoolgate.example', 'operator');
    await createUser(h.ctx, 'member@partner.example', 'partner');
    await createUser(h.ctx, 'admin@school.example', 'school', { user_management_access: true });
    operator = await signedIn(h, 'operator@schoolgate.example');
  }, 60_000);
  afterAll(() => stopHarness(h));

  it('shows kept mails to the operator, newest first, with their links, and filters them', async () => {
    const invitationId = await enqueue(h, {
      to: 'Admin@School.example',
      language: 'nl',
      template: 'invitation',
      params: {
        appName: 'Rekenrups',
        partnerName: 'Leerwijs',
        link: 'https://schoolgate.example/school/apps/1?invitation=abc',
        expiresAt: new Date('2026-12-22T10:00:00Z'),
        apis: ['Leerlingen'],
      },
    });
    const grantsId = await enqueue(h, {
      to: 'member@partner.example',
      language: 'fr',
      template: 'grants_changed',
      params: {
        appName: 'Rekenrups',
        apiName: 'Students',
        added: [{ apiCode: 'students', apiName: 'Students', target: '123456 - Sint-Jan Brugge', accessLevel: 'read' }],
        removed: [{ apiCode: 'students', apiName: 'Students', target: '654321 - Atheneum Gent', accessLevel: 'read' }],
        levelChanged: [],
        changedBy: 'An Admin <admin@school.example>',
        reason: 'Fin du contrat',
        at: new Date('2026-11-22T10:00:00Z'),
      },
    });

    const all = await operator.get('/api/v1/dev/mailbox');
    expect(all.status).toBe(200);
    const ids = all.body.data.map((m: { id: string }) => m.id);
    expect(ids.indexOf(grantsId)).toBeLessThan(ids.indexOf(invitationId));
    expect(ids.indexOf(invitationId)).toBeGreaterThanOrEqual(0);

    const grants = all.body.data.find((m: { id: string }) => m.id === grantsId);
    expect(grants).toMatchObject({
      to: 'member@partner.example',
      language: 'fr',
      template: 'grants_changed',
      status: 'kept',
      attempts: 0,
      lastError: null,
      sentAt: null,
      subject: 'Schoolgate – Accès aux données de Rekenrups modifié (Students)',
    });
    // Who, when, why, and what was added and removed.
    expect(grants.text).toContain('Accès accordé pour :\n- Élèves à 123456 - Sint-Jan Brugge : lecture seule');
    expect(grants.text).toContain('Accès retiré pour :\n- Élèves à 654321 - Atheneum Gent');
    expect(grants.text).toContain('Modifié par : An Admin <admin@school.example>');
    expect(grants.text).toContain('Quand : 22 novembre 2026 à 11:00');
    expect(grants.text).toContain('Motif : Fin du contrat');
    expect(grants.html).toContain('An Admin &lt;admin@school.example&gt;');

    const byAddress = await operator.get('/api/v1/dev/mailbox?to=admin@school.EXAMPLE');
    expect(byAddress.body.data.map((m: { id: string }) => m.id)).toEqual([invitationId]);
    expect(byAddress.body.data[0].links).toEqual(['https://schoolgate.example/school/apps/1?invitation=abc']);
    expect(byAddress.body.data[0].subject).toBe('Schoolgate – Datatoegang voor applicatie Rekenrups');

    const byTemplate = await operator.get('/api/v1/dev/mailbox?template=grants_changed');
    expect(byTemplate.body.data.map((m: { id: string }) => m.id)).toEqual([grantsId]);

    const one = await operator.get('/api/v1/dev/mailbox?limit=1');
    expect(one.body.data.map((m: { id: string }) => m.id)).toEqual([grantsId]);
  });

  it('lets a new partner confirm the address by following the link in the mail', async () => {
    const anonymous = h.client();
    const signup = await anonymous.post('/api/v1/auth/signup', {
      email: 'new.member@partner.example',
      password: 'a long enough passphrase 42',
      displayName: 'Nora Nieuw',
      language: 'sv',
    });
    expect(signup.status).toBe(202);

    const res = await operator.get('/api/v1/dev/mailbox?to=new.member@partner.example&template=email_confirmation');
    expect(res.body.data).toHaveLength(1);
    const [mail] = res.body.data;
    expect(mail.subject).toBe('Schoolgate – Bekräfta din e-postadress');
    expect(mail.text).toContain('Hej Nora Nieuw!');
    expect(mail.links).toHaveLength(1);
    const link = new URL(mail.links[0]);
    expect(link.origin + link.pathname).toBe(`${h.url}/confirm-email`);
    expect(mail.html).toContain(`href="${mail.links[0]}"`);

    const confirmed = await anonymous.post('/api/v1/auth/confirm-email', { token: link.searchParams.get('token') });
    expect(confirmed.status).toBe(200);
  });

  it('refuses everyone but the operator', async () => {
    const anonymous = await h.client().get('/api/v1/dev/mailbox');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');

    const partner = await (await signedIn(h, 'member@partner.example')).get('/api/v1/dev/mailbox');
    expect(partner.status).toBe(403);
    expect(partner.body.code).toBe('operator_only');

    const school = await (await signedIn(h, 'admin@school.example')).get('/api/v1/dev/mailbox');
    expect(school.status).toBe(403);
    expect(school.body.code).toBe('operator_only');
  });

  it('names the bad filter', async () => {
    const template = await operator.get('/api/v1/dev/mailbox?template=nope');
    expect(template.status).toBe(400);
    expect(template.body.field).toBe('querystring.template');

    const limit = await operator.get('/api/v1/dev/mailbox?limit=0');
    expect(limit.status).toBe(400);
    expect(limit.body.field).toBe('querystring.limit');
  });
});

describe('dev mailbox in production', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ NODE_ENV: 'production' });
    await createUser(h.ctx, 'operator@schoolgate.example', 'operator');
  }, 60_000);
  afterAll(() => stopHarness(h));

  it('is refused even to the operator', async () => {
    const operator = await signedIn(h, 'operator@schoolgate.example');
    const res = await operator.get('/api/v1/dev/mailbox');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('not_in_production');
  });
});
