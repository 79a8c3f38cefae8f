/**
 * Purposes per language (issue 14 point 4): a partner writes the purpose of each API in one or more
 * languages; every reader gets their own language where it was given, else another given one.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { approveAsOperator, appBody, signedInPartner } from './test-fixtures.ts';

const harness = useHarness();

describe('purposes per language', () => {
  it('stores the languages given, shows them back, and refuses an API without any purpose or with an unknown language', async () => {
    const { client } = await signedInPartner(harness(), 'Polyglot');
    const created = await client.post(
      '/api/v1/partner/apps',
      appBody({ apis: [{ apiCode: 'students', dataCategories: ['identity'], purposes: { nl: 'Huiswerk plannen', fr: 'Planifier les devoirs', sv: '  ' } }] }),
    );
    expect(created.status).toBe(201);
    const app = (await client.get(`/api/v1/partner/apps/${created.body.id}`)).body;
    // A blank language counts as not given.
    expect(app.apis[0].purposes).toEqual({ nl: 'Huiswerk plannen', fr: 'Planifier les devoirs' });
    // No English: the one text for readers without a language is another given one.
    expect(app.apis[0].purpose).toBe('Huiswerk plannen');

    const none = await client.post('/api/v1/partner/apps', appBody({ apis: [{ apiCode: 'students', dataCategories: ['identity'], purposes: { en: ' ' } }] }));
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ code: 'purpose_missing', field: 'body.apis.0.purposes' });
    const unknown = await client.post(
      '/api/v1/partner/apps',
      appBody({ apis: [{ apiCode: 'students', dataCategories: ['identity'], purposes: { de: 'Hausaufgaben' } }] }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toMatch(/^body\.apis\.0\.purposes/);
  });

  it('keeps a lone purpose (older clients) in the language of the partner member’s account', async () => {
    // The fixtures' partner members write Dutch.
    const { client } = await signedInPartner(harness(), 'Oldclient');
    const created = await client.post(
      '/api/v1/partner/apps',
      appBody({ apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Huiswerk tonen' }] }),
    );
    expect(created.status).toBe(201);
    expect((await client.get(`/api/v1/partner/apps/${created.body.id}`)).body.apis[0].purposes).toEqual({ nl: 'Huiswerk tonen' });
  });

  it('the public register and the invitation mail give each reader their language, else another given one', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Registerco');
    const created = await client.post(
      '/api/v1/partner/apps',
      appBody({ name: 'Meertalig', apis: [{ apiCode: 'students', dataCategories: ['identity'], purposes: { en: 'Plan homework', nl: 'Huiswerk plannen' } }] }),
    );
    await approveAsOperator(h, created.body.id);
    const entry = async (q: string) => {
      const res = await h.client().get(`/api/v1/public/register${q}`);
      expect(res.status).toBe(200);
      return res.body.data.find((e: { app: { name: string } }) => e.app.name === 'Meertalig').apis[0];
    };
    expect((await entry('?language=nl')).purpose).toBe('Huiswerk plannen');
    expect((await entry('?language=fr')).purpose).toBe('Plan homework');
    expect((await entry('')).purpose).toBe('Plan homework');
    expect((await entry('')).purposes).toEqual({ en: 'Plan homework', nl: 'Huiswerk plannen' });
    const bad = await h.client().get('/api/v1/public/register?language=xx');
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('querystring.language');

    // The invitation: a Dutch admin reads the Dutch purpose next to the API.
    const sent = await client.post(`/api/v1/partner/apps/${created.body.id}/invitations`, { emails: ['beheer@school.example'] });
    expect(sent.status).toBe(201);
    const mail = await h.ctx.db
      .selectFrom('mail_outbox')
      .select(['body_text', 'language'])
      .where('template', '=', 'invitation')
      .where('to_address', '=', 'beheer@school.example')
      .executeTakeFirstOrThrow();
    // Nobody with that address: the partner member's language (Dutch) is used.
    expect(mail.language).toBe('nl');
    expect(mail.body_text).toContain('Leerlingen: Huiswerk plannen');
  });
});
