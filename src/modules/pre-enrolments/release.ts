import { CONFIDENTIALITY_MARKING, PROTECTED_IDENTITY } from '../access/literals.ts';

/**
 * THE release declaration of the pre-enrolments data API (Voorinschrijvingen), in the pattern of the
 * SS 12000 release policy (src/modules/ss12000/release.ts): for every field the API can serve, the
 * data categories that release it and the security markings under which it is withheld. It is an
 * allowlist: a member no declaration names is never served, whatever was stored (ingestion also drops
 * members the input schema does not know and reports them). Derived from it, and written nowhere
 * else: what a record looks like to a reader (`present.ts`), the categories the API offers (checked
 * against the catalog file, src/modules/catalog/file.ts), what the access log says a record carried,
 * and the OpenAPI notes. Every filter and lookup of the API reads only fields released to everyone
 * who reaches the record (`reads`); none reads a withheld-able field.
 *
 * Protected identity (DOMAIN §4). A child marked `Skyddad folkbokföring` or `Sekretessmarkering`
 * never has an address released, and neither have their guardians any contact data (address,
 * e-mail, phone: they lead to the child); a guardian's own marking withholds their contact data too.
 */

/** Where the API is served, below the public URL (the catalog's `baseUrl` and `openapiUrl`). */
export const PRE_ENROLMENTS_PREFIX = '/pre-enrolments/v1';
export const PRE_ENROLMENTS_OPENAPI = `${PRE_ENROLMENTS_PREFIX}/openapi.json`;

/** The catalog's value of `servedBy` for APIs served here, and the API codes this API reads the grants of. */
export const PRE_ENROLMENTS_DATA_API = 'pre_enrolments';
export const PRE_ENROLMENTS_API_CODES = ['pre_enrolments'] as const;

/** The entity type, as the access log and the deletions feed name it. */
export const PRE_ENROLMENT_ENTITY = 'preEnrolments';

/** The data categories this API can release (the catalog's codes); `identity` is what every reader gets. */
export const preEnrolmentCategories = ['identity', 'birth_date', 'addresses', 'guardians'] as const;
export type PreEnrolmentCategory = (typeof preEnrolmentCategories)[number];

const MARKED = [PROTECTED_IDENTITY, CONFIDENTIALITY_MARKING] as const;

/** What releases one member, and what it holds when it is an object or a list of objects. */
export interface MemberRelease {
  /** Every one of these must be approved (empty: released with the record, `identity`). */
  categories: readonly PreEnrolmentCategory[];
  /** Markings of the child (and, inside `guardians`, of that guardian) under which it is withheld. */
  withheldUnder?: readonly string[];
  /** An object member: its own members' declarations. */
  members?: Record<string, MemberRelease>;
  /** A list of objects: each element's members' declarations (an element's own `securityMarking` counts too). */
  elements?: Record<string, MemberRelease>;
  /** Query parameters and lookup keys that read the member. */
  reads?: readonly string[];
}

const always: MemberRelease = { categories: [] };
const alwaysRead = (...reads: string[]): MemberRelease => ({ categories: [], reads });

/** The declaration. Change it here and nowhere else; `release.test.ts` keeps the schemas in step. */
export const preEnrolmentRelease: Record<string, MemberRelease> = {
  id: alwaysRead('lookup.ids'),
  institution: alwaysRead('institution'),
  schoolYear: alwaysRead('schoolYear'),
  grade: always,
  programme: always,
  status: alwaysRead('status'),
  submittedDate: always,
  decisionDate: always,
  withdrawnDate: always,
  desiredStartDate: always,
  child: {
    categories: [],
    members: {
      givenName: always,
      familyName: always,
      securityMarking: always,
      birthDate: { categories: ['birth_date'] },
      address: { categories: ['addresses'], withheldUnder: MARKED },
    },
  },
  guardians: {
    categories: ['guardians'],
    elements: {
      givenName: always,
      familyName: always,
      relation: always,
      email: { categories: [], withheldUnder: MARKED },
      phone: { categories: [], withheldUnder: MARKED },
      address: { categories: ['addresses'], withheldUnder: MARKED },
    },
  },
  meta: alwaysRead('meta.modified.after', 'meta.modified.before'),
};

/** Every member path the declaration names, with the categories it needs (for the register and the docs). */
export function declaredPaths(): { path: string; categories: readonly PreEnrolmentCategory[]; withheldUnder: readonly string[] }[] {
  const out: { path: string; categories: readonly PreEnrolmentCategory[]; withheldUnder: readonly string[] }[] = [];
  const walk = (members: Record<string, MemberRelease>, prefix: string, inherited: readonly PreEnrolmentCategory[]) => {
    for (const [key, m] of Object.entries(members)) {
      const path = `${prefix}${key}`;
      const categories = [...new Set([...inherited, ...m.categories])];
      out.push({ path, categories, withheldUnder: m.withheldUnder ?? [] });
      if (m.members) walk(m.members, `${path}.`, categories);
      if (m.elements) walk(m.elements, `${path}[].`, categories);
    }
  };
  walk(preEnrolmentRelease, '', []);
  return out;
}

/** The fields a data category releases in this API, with the categories they need besides (for the catalog's category list). */
export function preEnrolmentFieldsOf(category: string): { entity: string; field: string; withheldUnder: string[] }[] {
  return declaredPaths()
    .filter((p) => (category === 'identity' ? p.categories.length === 0 : (p.categories as readonly string[]).includes(category)))
    .map((p) => ({ entity: PRE_ENROLMENT_ENTITY, field: p.path, withheldUnder: [...p.withheldUnder] }));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One stored record as a reader with `approved` categories sees it: only declared members, each
 * only when its categories are approved and no marking withholds it. The child's marking counts
 * throughout; inside a guardian, that guardian's marking counts as well.
 */
export function releaseRecord(body: Json, approved: ReadonlySet<string>): Json {
  const child = isObject(body.child) ? body.child : {};
  const childMarking = typeof child.securityMarking === 'string' ? child.securityMarking : undefined;
  const pick = (value: Json, members: Record<string, MemberRelease>, markings: (string | undefined)[]): Json => {
    const out: Json = {};
    for (const [key, m] of Object.entries(members)) {
      const v = value[key];
      if (v === undefined || v === null) continue;
      if (!m.categories.every((c) => approved.has(c))) continue;
      if (m.withheldUnder?.some((w) => markings.includes(w))) continue;
      if (m.members) {
        if (isObject(v)) out[key] = pick(v, m.members, markings);
      } else if (m.elements) {
        if (Array.isArray(v)) {
          const elements = m.elements;
          out[key] = v.filter(isObject).map((e) => pick(e, elements, [...markings, typeof e.securityMarking === 'string' ? e.securityMarking : undefined]));
        }
      } else out[key] = v;
    }
    return out;
  };
  return pick(body, preEnrolmentRelease, [childMarking]);
}

/** The categories a released record can carry for a reader with `approved` categories (the access log's). */
export function carriedCategories(approved: ReadonlySet<string>): string[] {
  return ['identity', ...preEnrolmentCategories.filter((c) => c !== 'identity' && approved.has(c))];
}
