import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { dataCategories as releasedCategories } from '../ss12000/release.ts';
import { ATTENDANCE_API, GRADES_API, TIMETABLE_API } from '../ss12000/scope.ts';
import { PRE_ENROLMENTS_API_CODES, preEnrolmentCategories } from '../pre-enrolments/release.ts';
import { BOARDERS_API_CODES, boarderCategories } from '../boarders/release.ts';
import { INVOICES_API_CODES, invoiceCategories } from '../invoices/release.ts';

/**
 * The API catalog file (YAML or JSON): the deployment's catalog of data APIs, its data categories and
 * where each API's data is served. Informat's catalog (`catalog/informat.yaml`) is the default; the
 * format and a Magister-like and an IST-like example are in docs/catalog.md. It is validated here
 * and synchronised into the database at start (`sync.ts`); a bad file stops the start with one line
 * per bad entry (`path: what is wrong`).
 */

/** The languages every name and description is given in (the web app's languages). */
export const CATALOG_LANGUAGES = ['en', 'nl', 'fr', 'sv'] as const;
export type CatalogLanguage = (typeof CATALOG_LANGUAGES)[number];

/**
 * The data APIs this build serves, by the value of an API's `servedBy`: the API codes whose grants
 * each reads, the grant target it reads them as, and the data categories its release policy can
 * release. The SS 12000 API serves the records of the students, staff, timetable, attendance and grades APIs (`scope.ts`);
 * the pre-enrolments API (src/modules/pre-enrolments/) those of the pre_enrolments API, per
 * institution; the boarders API (src/modules/boarders/) those of the boarders API, per institution;
 * the invoices API (src/modules/invoices/) those of the invoices API, per access group.
 */
export const DATA_APIS = {
  ss12000: {
    name: 'SS 12000',
    apiCodes: ['students', 'staff', TIMETABLE_API, ATTENDANCE_API, GRADES_API],
    grantTarget: null,
    categories: releasedCategories,
    policy: 'the SS 12000 release policy (src/modules/ss12000/release.ts)',
  },
  pre_enrolments: {
    name: 'pre-enrolments',
    apiCodes: PRE_ENROLMENTS_API_CODES,
    grantTarget: 'institution',
    categories: preEnrolmentCategories,
    policy: 'the pre-enrolments release declaration (src/modules/pre-enrolments/release.ts)',
  },
  boarders: {
    name: 'boarders',
    apiCodes: BOARDERS_API_CODES,
    grantTarget: 'institution',
    categories: boarderCategories,
    policy: 'the boarders release declaration (src/modules/boarders/release.ts)',
  },
  invoices: {
    name: 'invoices',
    apiCodes: INVOICES_API_CODES,
    grantTarget: 'access_group',
    categories: invoiceCategories,
    policy: 'the invoices release declaration (src/modules/invoices/release.ts)',
  },
} as const;
export type DataApi = keyof typeof DATA_APIS;

/** `"a"`, `"a" and "b"`, `"a", "b" and "c"`. */
const listOf = (items: readonly string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}` : (items[0] ?? ''));

/** The category an app's request always includes (`normalizeApiRequests`): every API offers it. */
const IDENTITY = 'identity';

const CODE = /^[a-z][a-z0-9_]{0,62}$/;
const code = z
  .string({ error: 'must be a code: lowercase letters, digits and _, starting with a letter (max 63)' })
  .regex(CODE, 'must be a code: lowercase letters, digits and _, starting with a letter (max 63)');

const texts = (what: string, max: number) =>
  z.strictObject(
    Object.fromEntries(
      CATALOG_LANGUAGES.map((l) => [
        l,
        z
          .string({ error: (i) => (i.input === undefined ? `missing: give the ${what} in ${CATALOG_LANGUAGES.join(', ')}` : 'must be a text') })
          .trim()
          .min(1, `must not be empty: give the ${what} in this language`)
          .max(max, `may be at most ${max} characters`),
      ]),
    ) as Record<CatalogLanguage, z.ZodString>,
    {
      error: (i) =>
        i.code === 'unrecognized_keys'
          ? `unknown language (the languages are ${CATALOG_LANGUAGES.join(', ')})`
          : `must be a map of ${CATALOG_LANGUAGES.join(', ')} to the ${what}`,
    },
  );

const categorySchema = z.strictObject({
  code,
  names: texts('name', 100),
  descriptions: texts('description', 1000),
});

const apiSchema = z.strictObject({
  code,
  names: texts('name', 100),
  descriptions: texts('description', 1000),
  grantTarget: z.enum(['institution', 'access_group'], { error: 'must be institution or access_group' }),
  requiredRights: z
    .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,62}$/, 'must be an admin right, e.g. iLeerlingen'), { error: 'must be a list of admin rights' })
    .min(1, 'must name at least one admin right (any one of them lets a school admin grant the API)'),
  dataCategories: z.array(code, { error: 'must be a list of data category codes' }).min(1, `must list the data categories, at least ${IDENTITY}`),
  servedBy: z
    .enum(Object.keys(DATA_APIS) as [DataApi, ...DataApi[]], { error: `must be null (no data served yet) or one of: ${Object.keys(DATA_APIS).join(', ')}` })
    .nullable()
    .default(null),
});

const fileSchema = z.strictObject({
  categories: z.array(categorySchema, { error: 'must be a list of data categories' }).min(1, 'must declare the data categories'),
  apis: z.array(apiSchema, { error: 'must be a list of APIs' }).min(1, 'must list at least one API'),
});

/** A validated catalog file, in the file's order. */
export type CatalogFile = z.infer<typeof fileSchema>;
export type CatalogApi = CatalogFile['apis'][number];
export type CatalogCategory = CatalogFile['categories'][number];

/** A catalog file that cannot be used; its message has one line per problem (`path: what is wrong`). */
export class CatalogError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
    intro = 'Invalid API catalog',
  ) {
    super(`${intro} (${source}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

const pathOf = (path: readonly PropertyKey[]) =>
  path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '') || '(file)';

/** What the schema cannot say: unique codes, declared categories, and what each data API can serve. */
function crossCheck(c: CatalogFile): string[] {
  const problems: string[] = [];
  const duplicates = (list: { code: string }[], where: string) => {
    const first = new Map<string, number>();
    list.forEach((x, i) => {
      const at = first.get(x.code);
      if (at === undefined) first.set(x.code, i);
      else problems.push(`${where}[${i}].code: "${x.code}" is declared twice (also ${where}[${at}])`);
    });
  };
  duplicates(c.categories, 'categories');
  duplicates(c.apis, 'apis');
  const declared = new Set(c.categories.map((x) => x.code));
  if (!declared.has(IDENTITY)) problems.push(`categories: must declare "${IDENTITY}", which every API offers and every app request includes`);
  c.apis.forEach((api, i) => {
    const seen = new Set<string>();
    api.dataCategories.forEach((cat, j) => {
      if (!declared.has(cat))
        problems.push(`apis[${i}].dataCategories[${j}]: "${cat}" is not declared under categories (declare it with names and descriptions, or remove it)`);
      if (seen.has(cat)) problems.push(`apis[${i}].dataCategories[${j}]: "${cat}" is listed twice`);
      seen.add(cat);
    });
    if (!seen.has(IDENTITY)) problems.push(`apis[${i}].dataCategories: must include "${IDENTITY}" (an app's request for the API always includes it)`);
    if (api.servedBy !== null) {
      const data = DATA_APIS[api.servedBy];
      const served: readonly string[] = data.apiCodes;
      if (!served.includes(api.code)) {
        problems.push(
          `apis[${i}].servedBy: the ${data.name} API serves the API${served.length === 1 ? '' : 's'} ${listOf(served.map((s) => `"${s}"`))} only (it reads their grants); set servedBy: null for "${api.code}"`,
        );
      }
      if (data.grantTarget !== null && api.grantTarget !== data.grantTarget) {
        problems.push(
          `apis[${i}].grantTarget: the ${data.name} API reads grants per ${data.grantTarget.replace('_', ' ')}; set grantTarget: ${data.grantTarget}`,
        );
      }
      const released: readonly string[] = data.categories;
      api.dataCategories.forEach((cat, j) => {
        if (!released.includes(cat)) {
          problems.push(
            `apis[${i}].dataCategories[${j}]: "${cat}" is not a category ${data.policy} releases; an API served by ${data.name} offers only: ${released.join(', ')}`,
          );
        }
      });
    }
  });
  // The consent screen, the purpose register and the catalog describe every category a data API
  // releases: when it serves an API, each of them needs its names and descriptions here.
  for (const dataApi of new Set(c.apis.flatMap((a) => (a.servedBy === null ? [] : [a.servedBy])))) {
    const data = DATA_APIS[dataApi];
    for (const cat of data.categories) {
      if (!declared.has(cat)) {
        problems.push(
          `categories: "${cat}" is missing; ${data.policy} releases it, so declare it with names and descriptions in ${CATALOG_LANGUAGES.join(', ')}`,
        );
      }
    }
  }
  return problems;
}

/** Validates parsed catalog content; throws a `CatalogError` naming every bad entry. */
export function parseCatalog(content: unknown, source: string): CatalogFile {
  const parsed = fileSchema.safeParse(content);
  if (!parsed.success)
    throw new CatalogError(
      source,
      parsed.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`),
    );
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) throw new CatalogError(source, problems);
  return parsed.data;
}

/** Parses catalog text: JSON for a `.json` file, YAML otherwise. */
export function parseCatalogText(text: string, source: string): CatalogFile {
  let content: unknown;
  try {
    content = extname(source).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (e) {
    throw new CatalogError(source, [
      `(file): not valid ${extname(source).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    ]);
  }
  return parseCatalog(content, source);
}

/** Reads and validates the catalog file at `path`. */
export function loadCatalogFile(path: string): CatalogFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CatalogError(path, [`(file): cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  return parseCatalogText(text, path);
}
