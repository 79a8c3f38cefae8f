import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';

const harness = useHarness();

describe('API catalog', () => {
  it('lists the default catalog with the right each API needs, to anyone', async () => {
    const res = await harness().client().get('/api/v1/catalog/apis');
    expect(res.status).toBe(200);
    expect(res.body.data.map((a: { code: string }) => a.code)).toEqual([
      'students',
      'staff',
      'boarders',
      'invoices',
      'pre_enrolments',
      'timetable',
      'attendance',
      'grades',
    ]);
    expect(res.body.data[0]).toMatchObject({ grantTarget: 'institution', requiredRights: ['iBasis', 'iLeerlingen'] });
    expect(res.body.data[3]).toMatchObject({ code: 'invoices', grantTarget: 'access_group' });
    expect(res.body.data[3].names).toEqual({ en: 'Invoices', nl: 'Rekeningen', fr: 'Factures', sv: 'Fakturor' });
    expect(res.body.data[3].descriptions.nl).toContain('toegangsgroep');
  });

  it('says where each API’s data is served: Students and Staff at the SS 12000 API, whose OpenAPI document answers there', async () => {
    const { url } = harness();
    const res = await harness().client().get('/api/v1/catalog/apis');
    const where = Object.fromEntries(res.body.data.map((a: any) => [a.code, [a.servedBy, a.baseUrl, a.openapiUrl]]));
    expect(where).toEqual({
      students: ['ss12000', `${url}/ss12000/v2.0`, `${url}/ss12000/v2.0/openapi.json`],
      staff: ['ss12000', `${url}/ss12000/v2.0`, `${url}/ss12000/v2.0/openapi.json`],
      boarders: ['boarders', `${url}/boarders/v1`, `${url}/boarders/v1/openapi.json`],
      invoices: ['invoices', `${url}/invoices/v1`, `${url}/invoices/v1/openapi.json`],
      pre_enrolments: ['pre_enrolments', `${url}/pre-enrolments/v1`, `${url}/pre-enrolments/v1/openapi.json`],
      timetable: ['ss12000', `${url}/ss12000/v2.0`, `${url}/ss12000/v2.0/openapi.json`],
      attendance: ['ss12000', `${url}/ss12000/v2.0`, `${url}/ss12000/v2.0/openapi.json`],
      grades: ['ss12000', `${url}/ss12000/v2.0`, `${url}/ss12000/v2.0/openapi.json`],
    });
    // Pre-enrolments at their own data API, whose document describes its base URL's paths too.
    const pre = res.body.data.find((a: { code: string }) => a.code === 'pre_enrolments');
    const preDoc = (await (await fetch(pre.openapiUrl)).json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    expect(preDoc.openapi).toBe('3.1.0');
    expect(preDoc.servers.map((s) => s.url)).toEqual([pre.baseUrl]);
    expect(Object.keys(preDoc.paths)).toEqual(['/preEnrolments', '/preEnrolments/{id}', '/preEnrolments/lookup', '/deletedEntities']);
    expect((await fetch(`${pre.baseUrl}/preEnrolments`)).status).toBe(401);
    // Invoices likewise, at theirs.
    const inv = res.body.data.find((a: { code: string }) => a.code === 'invoices');
    const invDoc = (await (await fetch(inv.openapiUrl)).json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    expect(invDoc.openapi).toBe('3.1.0');
    expect(invDoc.servers.map((s) => s.url)).toEqual([inv.baseUrl]);
    expect(Object.keys(invDoc.paths)).toEqual(['/invoices', '/invoices/{id}', '/invoices/lookup', '/deletedEntities']);
    expect((await fetch(`${inv.baseUrl}/invoices`)).status).toBe(401);
    // A tool finds the data API from the catalog alone: the document is there, and it describes the base URL's paths.
    const students = res.body.data[0];
    const doc = await fetch(students.openapiUrl);
    expect(doc.status).toBe(200);
    const openapi = (await doc.json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    expect(openapi.openapi).toMatch(/^3\./);
    expect(openapi.servers.map((s) => s.url)).toEqual([students.baseUrl]);
    expect(Object.keys(openapi.paths)).toContain('/persons');
    // Its paths are below baseUrl: without a token the data API answers with its own challenge, not a 404.
    const persons = await fetch(`${students.baseUrl}/persons`);
    expect(persons.status).toBe(401);
  });

  it('lists the data categories with their names and descriptions in four languages', async () => {
    const res = await harness().client().get('/api/v1/catalog/data-categories');
    expect(res.status).toBe(200);
    expect(res.body.data.map((c: { code: string }) => c.code)).toEqual([
      'identity',
      'civic_number',
      'birth_date',
      'sex',
      'addresses',
      'phone_numbers',
      'private_email',
      'photo',
      'guardians',
      'invoices',
      'absences',
      'grades',
    ]);
    const guardians = res.body.data[8];
    expect(guardians.names).toEqual({ en: 'Guardians', nl: 'Ouders en voogden', fr: 'Responsables légaux', sv: 'Vårdnadshavare' });
    expect(guardians.fields.length).toBeGreaterThan(0);
    // Invoices are not served through SS 12000: the category releases no field there.
    expect(res.body.data[9].fields).toEqual([]);
    // Absences are the attendance API's sensitive category: an absence record, whole, and a lesson's absence reason.
    const absences = res.body.data[10];
    expect(absences.code).toBe('absences');
    expect(absences.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ entity: 'absences' }), expect.objectContaining({ entity: 'attendances' })]),
    );
  });

  it('answers unknown routes with a problem document', async () => {
    const res = await harness().client().get('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('route_not_found');
  });

  it('serves the OpenAPI document', async () => {
    const res = await harness().client().get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toContain('/api/v1/catalog/apis');
  });
});
