import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../config.ts';
import { CatalogError, loadCatalogFile, parseCatalog, parseCatalogText } from './file.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const EXAMPLES = { magister: resolve(ROOT, 'docs/catalog/magister.yaml'), ist: resolve(ROOT, 'docs/catalog/ist.yaml') };
const DEFAULT_FILE = testConfig().CATALOG_FILE;

/** The default catalog as plain data, a fresh copy per call (mutated by the cases). */
const informat = () => parseYaml(readFileSync(DEFAULT_FILE, 'utf8')) as { categories: any[]; apis: any[] };

/** The problem lines of a refused catalog (the test fails when the catalog is accepted). */
function problemsOf(content: unknown): string[] {
  try {
    parseCatalog(content, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogError);
    expect((e as Error).message).toContain('test.yaml');
    return (e as CatalogError).problems;
  }
  throw new Error('the catalog was accepted');
}

describe('the catalog file', () => {
  it('ships Informat’s catalog as the default, and the docs’ Magister-like and IST-like examples validate', () => {
    expect(DEFAULT_FILE).toBe(resolve(ROOT, 'catalog/informat.yaml'));
    const d = loadCatalogFile(DEFAULT_FILE);
    expect(d.apis.map((a) => [a.code, a.grantTarget, a.requiredRights, a.servedBy])).toEqual([
      ['students', 'institution', ['iBasis', 'iLeerlingen'], 'ss12000'],
      ['staff', 'institution', ['iPersoneel'], 'ss12000'],
      ['boarders', 'institution', ['iInternen'], 'boarders'],
      ['invoices', 'access_group', ['invoicing_admin'], 'invoices'],
      ['pre_enrolments', 'institution', ['iBasis', 'iLeerlingen'], 'pre_enrolments'],
      ['timetable', 'institution', ['iBasis', 'iLessenrooster'], 'ss12000'],
      ['attendance', 'institution', ['iBasis', 'iAfwezigheden'], 'ss12000'],
      ['grades', 'institution', ['iPuntenboek'], 'ss12000'],
    ]);
    expect(d.apis[3]!.names).toEqual({ en: 'Invoices', nl: 'Rekeningen', fr: 'Factures', sv: 'Fakturor' });
    const magister = loadCatalogFile(EXAMPLES.magister);
    expect(magister.apis.map((a) => a.code)).toEqual(['students', 'staff', 'grades', 'attendance', 'contributions', 'timetable']);
    expect(magister.apis.find((a) => a.code === 'contributions')!.grantTarget).toBe('access_group');
    const ist = loadCatalogFile(EXAMPLES.ist);
    expect(ist.apis.map((a) => a.code)).toEqual(['students', 'staff', 'attendance', 'grades', 'school_meals', 'timetable']);
    expect(ist.categories.find((c) => c.code === 'civic_number')!.names.sv).toBe('Personnummer');
  });

  it('reads JSON by a .json name, and says what is wrong with text that does not parse', () => {
    const json = parseCatalogText(JSON.stringify(informat()), 'catalog.json');
    expect(json.apis).toHaveLength(8);
    expect(() => parseCatalogText('apis: [', 'c.yaml')).toThrow(/c\.yaml[\s\S]*\(file\): not valid YAML/);
    expect(() => parseCatalogText('{"apis": ', 'c.json')).toThrow(/\(file\): not valid JSON/);
    // A key given twice would silently keep one of them.
    expect(() => parseCatalogText('categories: []\ncategories: []\napis: []', 'c.yaml')).toThrow(/not valid YAML/);
    expect(() => loadCatalogFile('/nonexistent/catalog.yaml')).toThrow(/\/nonexistent\/catalog\.yaml[\s\S]*cannot be read: ENOENT/);
  });

  it('names the path and what is wrong for an unknown grant target, a missing language, a duplicate code and an undeclared category', () => {
    const c = informat();
    c.apis[3].grantTarget = 'school_board';
    delete c.apis[1].names.fr;
    c.categories[2].descriptions.de = 'Geburtsdatum';
    expect(problemsOf(c)).toEqual([
      'categories[2].descriptions: unknown language (the languages are en, nl, fr, sv)',
      'apis[1].names.fr: missing: give the name in en, nl, fr, sv',
      'apis[3].grantTarget: must be institution or access_group',
    ]);

    const d = informat();
    d.apis[3].code = 'students';
    d.categories.push({ ...d.categories[0] });
    d.apis[2].dataCategories.push('dormitory');
    expect(problemsOf(d)).toEqual([
      'categories[12].code: "identity" is declared twice (also categories[0])',
      'apis[3].code: "students" is declared twice (also apis[0])',
      'apis[2].dataCategories[5]: "dormitory" is not declared under categories (declare it with names and descriptions, or remove it)',
      'apis[2].dataCategories[5]: "dormitory" is not a category the boarders release declaration (src/modules/boarders/release.ts) releases; an API served by boarders offers only: identity, addresses, phone_numbers, private_email, guardians',
      // The renamed API is still served by the invoices API, which serves the invoices API only.
      'apis[3].servedBy: the invoices API serves the API "invoices" only (it reads their grants); set servedBy: null for "students"',
    ]);
  });

  it('refuses what the SS 12000 API cannot serve: another API code, a category its release policy does not have, a missing release category', () => {
    const c = informat();
    c.apis[2].servedBy = 'ss12000';
    c.apis[1].dataCategories.push('invoices');
    c.apis[0].dataCategories = c.apis[0].dataCategories.filter((x: string) => x !== 'identity');
    c.categories = c.categories.filter((x: { code: string }) => x.code !== 'photo');
    c.apis.forEach((a: { dataCategories: string[] }) => (a.dataCategories = a.dataCategories.filter((x) => x !== 'photo')));
    const problems = problemsOf(c);
    expect(problems).toContain('apis[0].dataCategories: must include "identity" (an app\'s request for the API always includes it)');
    expect(problems).toContain(
      'apis[1].dataCategories[7]: "invoices" is not a category the SS 12000 release policy (src/modules/ss12000/release.ts) releases; an API served by SS 12000 offers only: identity, civic_number, birth_date, sex, addresses, phone_numbers, private_email, photo, guardians, absences, grades',
    );
    expect(problems).toContain(
      'apis[2].servedBy: the SS 12000 API serves the APIs "students", "staff", "timetable", "attendance" and "grades" only (it reads their grants); set servedBy: null for "boarders"',
    );
    expect(problems).toContain(
      'categories: "photo" is missing; the SS 12000 release policy (src/modules/ss12000/release.ts) releases it, so declare it with names and descriptions in en, nl, fr, sv',
    );
    expect(problems).toHaveLength(4);

    const unknownServer = informat();
    unknownServer.apis[3].servedBy = 'invoices_v1';
    expect(problemsOf(unknownServer)).toEqual(['apis[3].servedBy: must be null (no data served yet) or one of: ss12000, pre_enrolments, boarders, invoices']);
  });

  it('refuses what the pre-enrolments API cannot serve: another API code, a grant per access group, a category its declaration lacks', () => {
    const c = informat();
    c.apis[3].servedBy = 'pre_enrolments';
    c.apis[4].dataCategories.push('photo');
    expect(problemsOf(c)).toEqual([
      'apis[3].servedBy: the pre-enrolments API serves the API "pre_enrolments" only (it reads their grants); set servedBy: null for "invoices"',
      'apis[3].grantTarget: the pre-enrolments API reads grants per institution; set grantTarget: institution',
      'apis[3].dataCategories[2]: "invoices" is not a category the pre-enrolments release declaration (src/modules/pre-enrolments/release.ts) releases; an API served by pre-enrolments offers only: identity, birth_date, addresses, guardians',
      'apis[4].dataCategories[4]: "photo" is not a category the pre-enrolments release declaration (src/modules/pre-enrolments/release.ts) releases; an API served by pre-enrolments offers only: identity, birth_date, addresses, guardians',
    ]);
  });

  it('reports every bad entry of a file at once, each on its own line starting with its path', () => {
    // Each breakage of one entry, with the line that must name it.
    type Break = (c: { categories: any[]; apis: any[] }, i: number) => string;
    const apiBreaks: Break[] = [
      (c, i) => ((c.apis[i].grantTarget = 'everyone'), `apis[${i}].grantTarget: must be institution or access_group`),
      (c, i) => (delete c.apis[i].descriptions.sv, `apis[${i}].descriptions.sv: missing: give the description in en, nl, fr, sv`),
      (c, i) => ((c.apis[i].names.nl = '  '), `apis[${i}].names.nl: must not be empty: give the name in this language`),
      (c, i) => (
        (c.apis[i].requiredRights = []),
        `apis[${i}].requiredRights: must name at least one admin right (any one of them lets a school admin grant the API)`
      ),
      (c, i) => ((c.apis[i].code = 'Not A Code'), `apis[${i}].code: must be a code: lowercase letters, digits and _, starting with a letter (max 63)`),
      (c, i) => ((c.apis[i].owner = 'x'), `apis[${i}]: Unrecognized key: "owner"`),
    ];
    const categoryBreaks: Break[] = [
      (c, i) => (delete c.categories[i].names.en, `categories[${i}].names.en: missing: give the name in en, nl, fr, sv`),
      (c, i) => ((c.categories[i].descriptions = 'text'), `categories[${i}].descriptions: must be a map of en, nl, fr, sv to the description`),
    ];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.nat(4), fc.nat(apiBreaks.length - 1)), { selector: ([i]) => i, maxLength: 5 }),
        fc.uniqueArray(fc.tuple(fc.nat(9), fc.nat(categoryBreaks.length - 1)), { selector: ([i]) => i, maxLength: 4 }),
        (apiCases, categoryCases) => {
          fc.pre(apiCases.length + categoryCases.length > 0);
          const c = informat();
          const expected = [...categoryCases.map(([i, b]) => categoryBreaks[b]!(c, i)), ...apiCases.map(([i, b]) => apiBreaks[b]!(c, i))];
          const problems = problemsOf(c);
          expect(new Set(problems)).toEqual(new Set(expected));
        },
      ),
      { numRuns: 60 },
    );
  });
});
