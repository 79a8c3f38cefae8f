import { describe, expect, it } from 'vitest';
import { renderTemplate, translations, MAIL_TEMPLATE_NAMES } from '../../src/mail/templates.ts';
import { escapeHtml, extractLinks } from '../../src/mail/render.ts';
import type { MailTemplates, OutgoingMail } from '../../src/mail/service.ts';
import type { Language } from '../../src/db/schema.ts';

const LANGUAGES: Language[] = ['en', 'nl', 'fr', 'sv'];
const HOSTILE = 'Evil <script>alert("x")</script> & Co';

/** Parameters for every template, with a hostile string wherever a person can type. */
const params: { [T in keyof MailTemplates]: MailTemplates[T] } = {
  email_confirmation: { displayName: HOSTILE, confirmUrl: 'https://sg.example/confirm-email?token=t0k3n' },
  signup_existing_account: { displayName: HOSTILE, signInUrl: 'https://sg.example/login' },
  app_approved: {
    appName: HOSTILE,
    partnerName: 'Leerwijs',
    clientId: '8d0c4b8e-0000-4000-8000-000000000001',
    appUrl: 'https://sg.example/apps/1',
    notes: 'Checked DPA',
  },
  app_rejected: { appName: HOSTILE, partnerName: 'Leerwijs', reason: 'Purpose too vague' },
  app_suspended: { appName: HOSTILE, partnerName: 'Leerwijs', reason: 'Security incident' },
  app_reapproved: { appName: HOSTILE, partnerName: 'Leerwijs', notes: null },
  app_archived: { appName: HOSTILE, partnerName: 'Leerwijs', reason: null },
  invitation: {
    appName: HOSTILE,
    partnerName: 'Leerwijs',
    link: 'https://sg.example/school/apps/1?i=abc',
    expiresAt: new Date('2026-12-22T10:00:00Z'),
    apis: ['Students'],
  },
  grants_changed: {
    appName: HOSTILE,
    apiName: 'Students',
    added: [{ apiCode: 'students', apiName: 'Students', target: '123456 - Sint-Jan', accessLevel: 'read' }],
    removed: [],
    levelChanged: [],
    changedBy: 'An <admin@school.example>',
    reason: null,
    at: new Date('2026-07-01T08:30:00Z'),
  },
  app_switched_off: {
    appName: HOSTILE,
    grants: [{ apiCode: 'students', apiName: 'Students', target: '001057 - Sint-Jan' }],
    changedBy: 'An <admin@school.example>',
    reason: HOSTILE,
    at: new Date('2026-07-01T08:30:00Z'),
  },
  app_switched_on: {
    appName: HOSTILE,
    grants: [{ apiCode: 'students', apiName: 'Students', target: '001057 - Sint-Jan' }],
    changedBy: 'An <admin@school.example>',
    reason: null,
    at: new Date('2026-07-01T08:30:00Z'),
  },
  secret_rotated: { appName: HOSTILE, previousSecretExpiresAt: new Date('2026-11-29T10:00:00Z') },
  consent_withdrawn: {
    appName: HOSTILE,
    partnerName: 'Leerwijs',
    institution: '001057 Norra skolan',
    role: 'student',
    at: new Date('2026-11-22T10:00:00Z'),
    eventsUrl: 'https://sg.example/api/v1/partner/apps/1/events',
  },
};

const render = <T extends keyof MailTemplates>(template: T, language: Language, p: MailTemplates[T] = params[template], tz = 'Europe/Brussels') =>
  renderTemplate({ to: 'x@example.org', language, template, params: p } as OutgoingMail, tz);

describe('mail templates', () => {
  it('has every template in every language', () => {
    for (const language of LANGUAGES) expect(Object.keys(translations[language].templates).sort()).toEqual([...MAIL_TEMPLATE_NAMES].sort());
  });

  for (const template of MAIL_TEMPLATE_NAMES) {
    it(`renders ${template} in four real languages, with parameters escaped in HTML`, () => {
      const subjects = new Set<string>();
      for (const language of LANGUAGES) {
        const mail = render(template, language);
        subjects.add(mail.subject);
        expect(mail.subject.startsWith('Schoolgate ')).toBe(true);
        for (const part of [mail.subject, mail.text, mail.html]) expect(part).not.toMatch(/undefined|\[object |NaN|Invalid Date/);
        // The text is plain: a name is shown as typed; in HTML it is inert text.
        expect(mail.text).toContain(HOSTILE);
        expect(mail.html).not.toContain('<script>');
        expect(mail.html).toContain(escapeHtml('<script>alert("x")</script>'));
        expect(mail.html).toContain(`lang="${translations[language].frame.locale}"`);
      }
      // Translated, not four copies of the English.
      expect(subjects.size).toBe(4);
    });
  }

  it('names the application in the invitation subject as the SIS mail did', () => {
    const p = { ...params.invitation, appName: 'Rekenrups' };
    expect(render('invitation', 'en', p).subject).toBe('Schoolgate — Data access for application Rekenrups');
    expect(render('invitation', 'nl', p).subject).toBe('Schoolgate – Datatoegang voor applicatie Rekenrups');
    expect(render('invitation', 'fr', p).subject).toBe("Schoolgate – Accès aux données pour l'application Rekenrups");
    expect(render('invitation', 'sv', p).subject).toBe('Schoolgate – Dataåtkomst för applikationen Rekenrups');
  });

  it("names the catalog's APIs in the recipient's language, and an API the vendor added by its catalog name", () => {
    const p = { ...params.invitation, apis: ['Students', 'Lockers'], apiCodes: ['students', 'lockers'] };
    expect(render('invitation', 'nl', p).text).toMatch(/- Leerlingen\n- Lockers/);
    expect(render('invitation', 'fr', p).text).toMatch(/- Élèves\n- Lockers/);
    expect(render('invitation', 'sv', p).text).toMatch(/- Elever\n- Lockers/);
    // A mail queued before the codes were sent keeps the names it has.
    expect(render('invitation', 'nl', { ...p, apiCodes: undefined }).text).toMatch(/- Students\n- Lockers/);
  });

  it('writes dates in the recipient language and the deployment time zone', () => {
    const at = new Date('2026-07-01T08:30:00Z');
    const p = { ...params.grants_changed, at };
    expect(render('grants_changed', 'en', p).text).toContain('When: 1 July 2026 at 10:30 CEST');
    expect(render('grants_changed', 'nl', p).text).toContain('Wanneer: 1 juli 2026 om 10:30 CEST');
    expect(render('grants_changed', 'sv', p).text).toContain('När: 1 juli 2026 kl. 10:30 CEST');
    expect(render('grants_changed', 'fr', p).text).toContain('Quand : 1 juillet 2026 à 10:30');
    // Another deployment, another zone.
    expect(render('grants_changed', 'en', p, 'Europe/Stockholm').text).toContain('10:30');
    expect(render('grants_changed', 'en', p, 'America/New_York').text).toContain('1 July 2026 at 04:30');
  });

  it('lists who changed which grants, when and why', () => {
    const line = (target: string, accessLevel: 'read' | 'read_write' = 'read') => ({ apiCode: 'students', apiName: 'Students', target, accessLevel });
    const mail = render('grants_changed', 'en', {
      ...params.grants_changed,
      added: [line('123456 - Sint-Jan'), line('222222 - De Linde')],
      removed: [line('333333 - Atheneum')],
      reason: 'New contract',
    });
    expect(mail.text).toContain('Access granted for:\n- Students at 123456 - Sint-Jan: read only\n- Students at 222222 - De Linde: read only');
    expect(mail.text).toContain('Access removed for:\n- Students at 333333 - Atheneum');
    expect(mail.text).toContain('Changed by: An <admin@school.example>');
    expect(mail.text).toContain('Reason: New contract');
    expect(mail.text).toContain('takes effect immediately');
    expect(mail.html).toContain('<li>Students at 222222 - De Linde: read only</li>');
    expect(mail.text).not.toContain('Access level changed');
    // Nothing removed: no removal list and no warning.
    const onlyAdded = render('grants_changed', 'en');
    expect(onlyAdded.text).not.toContain('Access removed for');
    expect(onlyAdded.text).toContain('Reason: (none given)');
  });

  it('names the level of each grant, and a change of level as a change, in each language', () => {
    const attendance = { apiCode: 'attendance', apiName: 'Attendance', target: '001057 - Sint-Jan' };
    const p: MailTemplates['grants_changed'] = {
      ...params.grants_changed,
      apiName: 'Attendance',
      added: [{ ...attendance, target: '222222 - De Linde', accessLevel: 'read_write' }],
      levelChanged: [{ ...attendance, accessLevel: 'read', from: 'read_write' }],
    };
    const expected: Record<Language, string[]> = {
      en: [
        '- Attendance at 222222 - De Linde: read and write',
        'Access level changed for:\n- Attendance at 001057 - Sint-Jan: from read and write to read only',
        'the next write is refused',
      ],
      nl: [
        '- Attendance bij 222222 - De Linde: lezen en schrijven',
        'Toegangsniveau gewijzigd voor:\n- Attendance bij 001057 - Sint-Jan: van lezen en schrijven naar alleen lezen',
        'schrijfaanvraag wordt geweigerd',
      ],
      fr: [
        '- Attendance à 222222 - De Linde : lecture et écriture',
        "Niveau d'accès modifié pour :\n- Attendance à 001057 - Sint-Jan : de lecture et écriture à lecture seule",
        "l'écriture suivante est refusée",
      ],
      sv: [
        '- Attendance vid 222222 - De Linde: läsa och skriva',
        'Åtkomstnivå ändrad för:\n- Attendance vid 001057 - Sint-Jan: från läsa och skriva till endast läsa',
        'nästa skrivning nekas',
      ],
    };
    for (const language of LANGUAGES) for (const phrase of expected[language]) expect(render('grants_changed', language, p).text).toContain(phrase);
    // Raised, not lowered: no warning about writes.
    const raised = render('grants_changed', 'en', { ...p, levelChanged: [{ ...attendance, accessLevel: 'read_write', from: 'read' }] });
    expect(raised.text).toContain('- Attendance at 001057 - Sint-Jan: from read only to read and write');
    expect(raised.text).not.toContain('the next write is refused');
  });

  it('puts the confirmation link in the confirmation mail, as text and as a link', () => {
    for (const language of LANGUAGES) {
      const mail = render('email_confirmation', language);
      expect(extractLinks(mail.text)).toEqual(['https://sg.example/confirm-email?token=t0k3n']);
      expect(mail.html).toContain('href="https://sg.example/confirm-email?token=t0k3n"');
    }
  });

  it('mentions the old secret only when it is still valid', () => {
    expect(render('secret_rotated', 'en').text).toContain('The previous secret stays valid until 29 November 2026 at 11:00 CET');
    expect(render('secret_rotated', 'en', { ...params.secret_rotated, previousSecretExpiresAt: null }).text).toContain('The previous secret no longer works.');
  });

  it('keeps the subject on one header line and links to http(s) only', () => {
    const mail = render('app_rejected', 'en', { ...params.app_rejected, appName: 'Bad\r\nBcc: victim@example.org' });
    expect(mail.subject).toBe('Schoolgate — Your app Bad Bcc: victim@example.org was not approved');
    const js = render('email_confirmation', 'en', { displayName: 'X', confirmUrl: 'javascript:alert(1)' });
    expect(js.html).not.toContain('href="javascript:');
  });
});
