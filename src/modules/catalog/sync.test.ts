import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, startHarness } from '../../../test/support/harness.ts';
import { testConfig } from '../../config.ts';
import { startServer } from '../../server.ts';
import type { Database } from '../../db/index.ts';
import { insertAccessGroup, insertApp, insertClient, insertGrant, insertInstitution, insertPartner } from '../../seed/builders.ts';
import { CatalogError, loadCatalogFile, parseCatalog, type CatalogFile } from './file.ts';
import { syncCatalog } from './sync.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const DEFAULT_FILE = testConfig().CATALOG_FILE;
const MAGISTER = resolve(ROOT, 'docs/catalog/magister.yaml');
const AT = new Date('2026-11-22T10:00:00Z');

const informat = () => parseYaml(readFileSync(DEFAULT_FILE, 'utf8')) as { categories: any[]; apis: any[] };
const catalogOf = (content: unknown): CatalogFile => parseCatalog(content, 'test.yaml');

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
}, 180_000);
afterAll(async () => {
  await database?.close();
});

const db = () => database.db;
/** Audit rows written after the first test brought the migrated catalog up to the file (see there). */
let auditAfter = '0';
const catalogAudit = () =>
  db()
    .selectFrom('audit_log')
    .select(['action', 'subject_id', 'before', 'after', 'reason', 'actor_kind'])
    .where('action', 'like', 'catalog.%')
    .where('id', '>', auditAfter)
    .orderBy('id')
    .execute();
const apisInDb = () => db().selectFrom('apis').selectAll().orderBy('sort_order').execute();

/** The refusal's problem lines; the test fails when the catalog is accepted. */
async function refusal(catalog: CatalogFile): Promise<string[]> {
  try {
    await syncCatalog(db(), catalog, { source: 'test.yaml', at: AT });
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogError);
    return (e as CatalogError).problems;
  }
  throw new Error('the change was accepted');
}

describe('synchronising the catalog file into the database', () => {
  it('finds nothing to change with the default file on a freshly migrated database but the APIs added to the file since', async () => {
    // The migrations wrote Informat's catalog as it stood at migration 0066; an API the file gained
    // later (the timetable, attendance and grades of issue 17, with their categories absences and
    // grades) comes in at the first start, like any change of the file.
    expect(await syncCatalog(db(), loadCatalogFile(DEFAULT_FILE), { source: DEFAULT_FILE, at: AT })).toEqual([
      { action: 'catalog.category_added', code: 'absences' },
      { action: 'catalog.category_added', code: 'grades' },
      { action: 'catalog.api_added', code: 'timetable' },
      { action: 'catalog.api_added', code: 'attendance' },
      { action: 'catalog.api_added', code: 'grades' },
    ]);
    expect((await catalogAudit()).map((a) => [a.action, a.subject_id])).toEqual([
      ['catalog.category_added', 'absences'],
      ['catalog.category_added', 'grades'],
      ['catalog.api_added', 'timetable'],
      ['catalog.api_added', 'attendance'],
      ['catalog.api_added', 'grades'],
    ]);
    auditAfter = (
      await db()
        .selectFrom('audit_log')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow()
    ).id as string;
    expect(await syncCatalog(db(), loadCatalogFile(DEFAULT_FILE), { source: DEFAULT_FILE, at: AT })).toEqual([]);
    expect(await catalogAudit()).toEqual([]);
    const students = (await apisInDb())[0]!;
    expect(students).toMatchObject({ code: 'students', name: 'Students', served_by: 'ss12000', names: { nl: 'Leerlingen', sv: 'Elever' } });
  });

  describe('with grants, app requests and consents in use', () => {
    let appName: string;
    beforeAll(async () => {
      await insertInstitution(db(), { number: '001057', name: 'Hof van Nassau' });
      const group = await insertAccessGroup(db(), { name: 'Rekeningen Noord', institutionNumbers: ['001057'] });
      const partnerId = await insertPartner(db(), { name: 'Acme', contactEmail: 'acme@example.org' });
      appName = 'Boarding planner';
      const appId = await insertApp(db(), {
        partnerId,
        name: appName,
        status: 'approved',
        apis: [
          { apiCode: 'boarders', dataCategories: ['identity', 'photo'], purpose: 'Rooms' },
          { apiCode: 'invoices', dataCategories: ['identity', 'invoices'], purpose: 'Reminders' },
          { apiCode: 'students', dataCategories: ['identity', 'guardians'], purpose: 'Contacts' },
        ],
      });
      const { clientId } = await insertClient(db(), { appId, name: appName });
      await insertGrant(db(), { clientId, apiCode: 'boarders', institutionNumber: '001057' });
      await insertGrant(db(), { clientId, apiCode: 'invoices', accessGroupId: group });
    });

    it('refuses to remove an API that grants and requests use, to change a granted API’s target, or to drop a requested category, and changes nothing', async () => {
      const before = await apisInDb();
      const c = informat();
      c.apis.splice(2, 1); // boarders
      const invoices = c.apis.find((a: { code: string }) => a.code === 'invoices');
      invoices.grantTarget = 'institution';
      invoices.requiredRights = ['iBasis'];
      // Served by the invoices API, the file check itself would refuse the target (it reads grants per
      // access group); unserved, the change reaches the sync, whose refusal this is about.
      invoices.servedBy = null;
      const students = c.apis[0];
      students.dataCategories = students.dataCategories.filter((x: string) => x !== 'guardians');
      students.names.en = 'Pupils';
      expect(await refusal(catalogOf(c))).toEqual([
        `apis[0].dataCategories: "guardians" would no longer be offered under "students", but 1 app request ("${appName}") includes it. Keep it in the list, or first have those apps drop it from their request (and the consents be withdrawn), then start again`,
        'apis: "boarders" is no longer in the file, but 1 grant and 1 app request use it. Put it back in the file, or first revoke those grants and remove the API from those apps’ requests, then start again',
        'apis[2].grantTarget: "invoices" would change from access_group to institution, but 1 grant points at an access group. Keep access_group, or first revoke those grants, then start again',
      ]);
      // One transaction: not even the harmless rename went through, and no audit row says it did.
      expect(await apisInDb()).toEqual(before);
      expect(await catalogAudit()).toEqual([]);
    });

    it('stops the start of a server whose catalog file would orphan them, saying what to do', async () => {
      // The Magister-like catalog has no boarders or invoices, which this database's grants use.
      const start = startServer(testConfig({ CATALOG_FILE: MAGISTER, PORT: '0' }), { database });
      await expect(start).rejects.toBeInstanceOf(CatalogError);
      await expect(start).rejects.toThrow(
        `The API catalog file would orphan what is in use; nothing was changed (${MAGISTER}):\n  apis: "boarders" is no longer in the file, but 1 grant and 1 app request use it.`,
      );
      expect((await apisInDb()).map((a) => a.code)).toEqual([
        'students',
        'staff',
        'boarders',
        'invoices',
        'pre_enrolments',
        'timetable',
        'attendance',
        'grades',
      ]);
    }, 180_000);

    it('applies what orphans nothing, with an audit row per change saying before and after', async () => {
      const c = informat();
      c.apis[0].names.en = 'Pupils';
      // Photo is not requested under students: it may go.
      c.apis[0].dataCategories = c.apis[0].dataCategories.filter((x: string) => x !== 'photo');
      // No grant of pre-enrolments: removed.
      c.apis.splice(4, 1);
      c.categories.push({
        code: 'rooms',
        names: { en: 'Rooms', nl: 'Kamers', fr: 'Chambres', sv: 'Rum' },
        descriptions: { en: 'Boarding rooms.', nl: 'Kamers van het internaat.', fr: 'Chambres de l’internat.', sv: 'Rum på elevhemmet.' },
      });
      // Invoices, no longer served here (servedBy null): any declared category may then be offered.
      c.apis[3].servedBy = null;
      c.apis[3].dataCategories.push('rooms');
      const changes = await syncCatalog(db(), catalogOf(c), { source: 'test.yaml', at: AT });
      expect(changes).toEqual([
        { action: 'catalog.category_added', code: 'rooms' },
        { action: 'catalog.api_changed', code: 'students' },
        { action: 'catalog.api_changed', code: 'invoices' },
        // Their places in the display order moved up.
        { action: 'catalog.api_changed', code: 'timetable' },
        { action: 'catalog.api_changed', code: 'attendance' },
        { action: 'catalog.api_changed', code: 'grades' },
        { action: 'catalog.api_removed', code: 'pre_enrolments' },
      ]);
      const audit = await catalogAudit();
      expect(audit.map((a) => [a.action, a.subject_id, a.actor_kind, a.reason])).toEqual(
        changes.map((ch) => [ch.action, ch.code, 'system', 'API catalog file test.yaml']),
      );
      const studentsRow = audit[1]!;
      expect((studentsRow.before as any).names.en).toBe('Students');
      expect((studentsRow.after as any).names.en).toBe('Pupils');
      expect((studentsRow.before as any).dataCategories).toContain('photo');
      expect((studentsRow.after as any).dataCategories).not.toContain('photo');
      expect(audit.find((a) => a.action === 'catalog.api_removed')!.after).toBeNull();
      const rows = await apisInDb();
      expect(rows.map((a) => a.code)).toEqual(['students', 'staff', 'boarders', 'invoices', 'timetable', 'attendance', 'grades']);
      expect(rows[0]).toMatchObject({ name: 'Pupils', names: { en: 'Pupils', nl: 'Leerlingen' } });
      // Synchronising the same file again changes nothing.
      expect(await syncCatalog(db(), catalogOf(c), { source: 'test.yaml', at: AT })).toEqual([]);
      // Back to the default: everything undone, each with its audit row.
      expect((await syncCatalog(db(), loadCatalogFile(DEFAULT_FILE), { source: DEFAULT_FILE, at: AT })).map((ch) => ch.action).sort()).toEqual(
        [
          'catalog.api_added',
          'catalog.api_changed',
          'catalog.api_changed',
          'catalog.api_changed',
          'catalog.api_changed',
          'catalog.api_changed',
          'catalog.category_removed',
        ].sort(),
      );
    });
  });
});

describe('the server with a catalog file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-catalog-'));

  it('refuses to start on a bad file, naming the entry', async () => {
    const bad = informat();
    bad.apis[1].grantTarget = 'school';
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, stringify(bad));
    // The file is checked before the database is opened: nothing is started, nothing to clean up.
    await expect(startServer(testConfig({ CATALOG_FILE: file, PORT: '0', DATA_DIR: join(dir, 'never-created') }))).rejects.toThrow(
      `Invalid API catalog (${file}):\n  apis[1].grantTarget: must be institution or access_group`,
    );
    expect(existsSync(join(dir, 'never-created'))).toBe(false);
  });

  it('starts with the Magister-like example: its APIs in the catalog, each change in the audit log', async () => {
    const h = await startHarness({ CATALOG_FILE: MAGISTER });
    try {
      const res = await h.client().get('/api/v1/catalog/apis');
      expect(res.status).toBe(200);
      expect(res.body.data.map((a: { code: string }) => a.code)).toEqual(['students', 'staff', 'grades', 'attendance', 'contributions', 'timetable']);
      expect(res.body.data[0].names.nl).toBe('Leerlingen');
      expect(res.body.data[4]).toMatchObject({ grantTarget: 'access_group', requiredRights: ['FinancieelBeheer'], baseUrl: null, openapiUrl: null });
      const cats = await h.client().get('/api/v1/catalog/data-categories');
      expect(cats.body.data.find((c: { code: string }) => c.code === 'civic_number').names.nl).toBe('Burgerservicenummer (BSN)');
      // Grades are served by SS 12000 there now: the category lists the grade's fields the release policy gives it.
      const gradesCategory = cats.body.data.find((c: { code: string }) => c.code === 'grades');
      expect(gradesCategory.names.en).toBe('Grades');
      expect(gradesCategory.fields).toContainEqual({ entity: 'grades', field: 'gradeValue', withheldUnder: [] });
      const removed = await h.ctx.db.selectFrom('audit_log').select('subject_id').where('action', '=', 'catalog.api_removed').orderBy('subject_id').execute();
      expect(removed.map((r) => r.subject_id)).toEqual(['boarders', 'invoices', 'pre_enrolments']);
    } finally {
      await h.stop();
    }
  }, 180_000);
});
