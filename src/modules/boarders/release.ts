import { PROTECTED_IDENTITY, PROTECTING_MARKINGS } from '../access/literals.ts';

/**
 * THE release declaration of the boarders data API (Informat: Internen), in the pattern of the
 * SS 12000 release policy (src/modules/ss12000/release.ts): for every field the API can serve, the
 * data categories that release it and the security markings under which it is withheld. It is an
 * allowlist: a member no declaration names is never served, whatever was stored (ingestion also drops
 * members the input schema does not know and reports them). Derived from it, and written nowhere
 * else: what a record looks like to a reader (`releaseRecord`), the categories the API offers
 * (checked against the catalog file, src/modules/catalog/file.ts), what the access log says a record
 * carried, the purpose register's fields and the OpenAPI notes. Every filter and lookup of the API
 * reads only fields released to everyone who reaches the record (`reads`).
 *
 * Protected identity (DOMAIN §4). The boarder is a person of the SS 12000 store, and their marking is
 * that person's `securityMarking` as it is now (read with the record, never copied): a boarder
 * marked `Skyddad folkbokföring` or `Sekretessmarkering` never has the room or the boarding
 * house's address released (they say where the person lives), and their guardians' contact data
 * (e-mail, phone, address) never either: it leads to the boarder. A guardian's own marking withholds
 * that guardian's contact data. A boarder whose person is no longer in the SS 12000 store counts as
 * protected: without the marking, nothing that a marking would withhold is released.
 */

/** Where the API is served, below the public URL (the catalog's `baseUrl` and `openapiUrl`). */
export const BOARDERS_PREFIX = '/boarders/v1';
export const BOARDERS_OPENAPI = `${BOARDERS_PREFIX}/openapi.json`;

/** The catalog's value of `servedBy` for APIs served here, and the API codes this API reads the grants of. */
export const BOARDERS_DATA_API = 'boarders';
export const BOARDERS_API_CODES = ['boarders'] as const;

/** The entity type, as the access log and the deletions feed name it. */
export const BOARDER_ENTITY = 'boarders';

/** The data categories this API can release (the catalog's codes); `identity` is what every reader gets. */
export const boarderCategories = ['identity', 'addresses', 'phone_numbers', 'private_email', 'guardians'] as const;
export type BoarderCategory = (typeof boarderCategories)[number];

/** The marking a boarder counts under when their SS 12000 person is not there (fail closed). */
export const UNKNOWN_PERSON_MARKING = PROTECTED_IDENTITY;

/** What releases one member, and what it holds when it is an object or a list of objects. */
export interface MemberRelease {
  /** Every one of these must be approved (empty: released with the record, `identity`). */
  categories: readonly BoarderCategory[];
  /** Markings of the boarder (and, inside `guardians`, of that guardian) under which it is withheld. */
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
const contact = (category: BoarderCategory): MemberRelease => ({ categories: [category], withheldUnder: PROTECTING_MARKINGS });

/** The declaration. Change it here and nowhere else; `release.test.ts` keeps the schemas in step. */
export const boarderRelease: Record<string, MemberRelease> = {
  id: alwaysRead('lookup.ids'),
  institution: alwaysRead('institution'),
  person: {
    categories: [],
    members: {
      id: alwaysRead('person'),
      // Read from the SS 12000 store at every read (the person's name as it is now).
      givenName: always,
      familyName: always,
    },
  },
  boardingHouse: {
    categories: [],
    members: {
      name: always,
      address: contact('addresses'),
    },
  },
  room: { categories: [], withheldUnder: PROTECTING_MARKINGS },
  group: always,
  startDate: alwaysRead('startDate.onOrBefore'),
  endDate: alwaysRead('endDate.onOrAfter'),
  arrangement: { categories: [], members: { nights: always, weekends: always } },
  guardians: {
    categories: ['guardians'],
    elements: {
      givenName: always,
      familyName: always,
      relation: always,
      email: contact('private_email'),
      phone: contact('phone_numbers'),
      address: contact('addresses'),
    },
  },
  meta: alwaysRead('meta.modified.after', 'meta.modified.before'),
};

/** Every member path the declaration names, with the categories it needs (for the register and the docs). */
export function declaredPaths(): { path: string; categories: readonly BoarderCategory[]; withheldUnder: readonly string[] }[] {
  const out: { path: string; categories: readonly BoarderCategory[]; withheldUnder: readonly string[] }[] = [];
  const walk = (members: Record<string, MemberRelease>, prefix: string, inherited: readonly BoarderCategory[]) => {
    for (const [key, m] of Object.entries(members)) {
      const path = `${prefix}${key}`;
      const categories = [...new Set([...inherited, ...m.categories])];
      out.push({ path, categories, withheldUnder: m.withheldUnder ?? [] });
      if (m.members) walk(m.members, `${path}.`, categories);
      if (m.elements) walk(m.elements, `${path}[].`, categories);
    }
  };
  walk(boarderRelease, '', []);
  return out;
}

/** The fields a data category releases in this API, with the markings that withhold them (for the catalog's category list). */
export function boarderFieldsOf(category: string): { entity: string; field: string; withheldUnder: string[] }[] {
  return declaredPaths()
    .filter((p) => (category === 'identity' ? p.categories.length === 0 : (p.categories as readonly string[]).includes(category)))
    .map((p) => ({ entity: BOARDER_ENTITY, field: p.path, withheldUnder: [...p.withheldUnder] }));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The SS 12000 person a stay refers to, as it is now; null when the store no longer has them. */
export interface BoarderPerson {
  givenName: string;
  familyName: string;
  securityMarking: string | null;
}

/**
 * One stored stay as a reader with `approved` categories sees it: only declared members, each only
 * when its categories are approved and no marking withholds it. The boarder's name and marking come
 * from `person` (the SS 12000 store, now); inside a guardian, that guardian's marking counts as well.
 */
export function releaseRecord(body: Json, person: BoarderPerson | null, approved: ReadonlySet<string>): Json {
  const marking = person ? (person.securityMarking ?? 'Ingen') : UNKNOWN_PERSON_MARKING;
  const stored = isObject(body.person) ? body.person : {};
  const value: Json = { ...body, person: { id: stored.id, ...(person ? { givenName: person.givenName, familyName: person.familyName } : {}) } };
  const pick = (v: Json, members: Record<string, MemberRelease>, markings: (string | undefined)[]): Json => {
    const out: Json = {};
    for (const [key, m] of Object.entries(members)) {
      const member = v[key];
      if (member === undefined || member === null) continue;
      if (!m.categories.every((c) => approved.has(c))) continue;
      if (m.withheldUnder?.some((w) => markings.includes(w))) continue;
      if (m.members) {
        if (isObject(member)) out[key] = pick(member, m.members, markings);
      } else if (m.elements) {
        if (Array.isArray(member)) {
          const elements = m.elements;
          out[key] = member
            .filter(isObject)
            .map((e) => pick(e, elements, [...markings, typeof e.securityMarking === 'string' ? e.securityMarking : undefined]));
        }
      } else out[key] = member;
    }
    return out;
  };
  return pick(value, boarderRelease, [marking]);
}

/**
 * The categories a released record can carry for a reader with `approved` categories (the access
 * log's): those of a declared member whose categories are all approved — the guardians' e-mail is
 * carried only with both private_email and guardians.
 */
export function carriedCategories(approved: ReadonlySet<string>): string[] {
  const paths = declaredPaths();
  return [
    'identity',
    ...boarderCategories.filter((c) => c !== 'identity' && paths.some((p) => p.categories.includes(c) && p.categories.every((x) => approved.has(x)))),
  ];
}
