import { CONFIDENTIALITY_MARKING, PROTECTED_IDENTITY } from '../access/literals.ts';

/**
 * THE release declaration of the invoices data API (Informat: Rekeningen), in the pattern of the
 * SS 12000 release policy (src/modules/ss12000/release.ts) and the pre-enrolments declaration: for
 * every field the API can serve, the data categories that release it and the security markings
 * under which it is withheld. It is an allowlist: a member no declaration names is never served,
 * whatever was stored (ingestion also drops members the input schema does not know and reports
 * them). Derived from it, and written nowhere else: what a record looks like to a reader
 * (`releaseRecord`), the categories the API offers (checked against the catalog file,
 * src/modules/catalog/file.ts), what the access log says a record carried, the purpose register's
 * field lists and the OpenAPI notes. Every filter and lookup reads only fields released to everyone
 * who reaches the record (`reads`); none reads a withheld-able field.
 *
 * Categories (the catalog's codes): `identity` — that the invoice exists, its number, access group,
 * institution, school year, and who it is for and to (names only); `invoices` — what the invoice
 * says: payment status, dates, amounts, VAT, lines and reminders; `addresses` — the debtor's invoice
 * address (postal, and the e-mail address invoices go to), a category of its own.
 *
 * Protected identity (DOMAIN §4). A debtor marked `Skyddad folkbokföring` or `Sekretessmarkering`
 * never has the invoice address released; nor has the debtor of a marked pupil (a guardian's address
 * leads to the child). The pupil's own marking only withholds; it is never served.
 */

/** Where the API is served, below the public URL (the catalog's `baseUrl` and `openapiUrl`). */
export const INVOICES_PREFIX = '/invoices/v1';
export const INVOICES_OPENAPI = `${INVOICES_PREFIX}/openapi.json`;

/** The catalog's value of `servedBy` for APIs served here, and the API codes this API reads the grants of. */
export const INVOICES_DATA_API = 'invoices';
export const INVOICES_API_CODES = ['invoices'] as const;

/** The entity type, as the access log and the deletions feed name it. */
export const INVOICE_ENTITY = 'invoices';

/** The data categories this API can release (the catalog's codes); `identity` is what every reader gets. */
export const invoiceCategories = ['identity', 'invoices', 'addresses'] as const;
export type InvoiceCategory = (typeof invoiceCategories)[number];

const MARKED = [PROTECTED_IDENTITY, CONFIDENTIALITY_MARKING] as const;

/** What releases one member, and what it holds when it is an object or a list of objects. */
export interface MemberRelease {
  /** Every one of these must be approved (empty: released with the record, `identity`). */
  categories: readonly InvoiceCategory[];
  /** Markings of the debtor or of the pupil under which it is withheld. */
  withheldUnder?: readonly string[];
  /** An object member: its own members' declarations. */
  members?: Record<string, MemberRelease>;
  /** A list of objects: each element's members' declarations. */
  elements?: Record<string, MemberRelease>;
  /** Query parameters and lookup keys that read the member. */
  reads?: readonly string[];
}

const always: MemberRelease = { categories: [] };
const alwaysRead = (...reads: string[]): MemberRelease => ({ categories: [], reads });
const invoiceData: MemberRelease = { categories: ['invoices'] };

/** The declaration. Change it here and nowhere else; `release.test.ts` keeps the schemas in step. */
export const invoiceRelease: Record<string, MemberRelease> = {
  id: alwaysRead('lookup.ids'),
  invoiceNumber: always,
  accessGroup: alwaysRead('accessGroup'),
  institution: alwaysRead('institution'),
  schoolYear: alwaysRead('schoolYear'),
  student: {
    categories: [],
    members: { personId: always, givenName: always, familyName: always },
  },
  debtor: {
    categories: [],
    members: {
      id: alwaysRead('debtor'),
      kind: always,
      personId: always,
      givenName: always,
      familyName: always,
      securityMarking: always,
      invoiceAddress: { categories: ['addresses'], withheldUnder: MARKED },
    },
  },
  status: invoiceData,
  issueDate: invoiceData,
  dueDate: invoiceData,
  paidDate: invoiceData,
  currency: invoiceData,
  totalNet: invoiceData,
  totalVat: invoiceData,
  totalGross: invoiceData,
  amountPaid: invoiceData,
  lines: {
    categories: ['invoices'],
    elements: { description: always, quantity: always, unitPrice: always, vatRate: always, net: always, vat: always },
  },
  reminders: {
    categories: ['invoices'],
    elements: { sentDate: always, level: always, channel: always },
  },
  meta: alwaysRead('meta.modified.after', 'meta.modified.before'),
};

/** Every member path the declaration names, with the categories it needs (for the register and the docs). */
export function declaredPaths(): { path: string; categories: readonly InvoiceCategory[]; withheldUnder: readonly string[] }[] {
  const out: { path: string; categories: readonly InvoiceCategory[]; withheldUnder: readonly string[] }[] = [];
  const walk = (members: Record<string, MemberRelease>, prefix: string, inherited: readonly InvoiceCategory[]) => {
    for (const [key, m] of Object.entries(members)) {
      const path = `${prefix}${key}`;
      const categories = [...new Set([...inherited, ...m.categories])];
      out.push({ path, categories, withheldUnder: m.withheldUnder ?? [] });
      if (m.members) walk(m.members, `${path}.`, categories);
      if (m.elements) walk(m.elements, `${path}[].`, categories);
    }
  };
  walk(invoiceRelease, '', []);
  return out;
}

/** The fields a data category releases in this API (for the catalog's category list and the purpose register). */
export function invoiceFieldsOf(category: string): { entity: string; field: string; withheldUnder: string[] }[] {
  return declaredPaths()
    .filter((p) => (category === 'identity' ? p.categories.length === 0 : (p.categories as readonly string[]).includes(category)))
    .map((p) => ({ entity: INVOICE_ENTITY, field: p.path, withheldUnder: [...p.withheldUnder] }));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const markingOf = (v: unknown) => (isObject(v) && typeof v.securityMarking === 'string' ? v.securityMarking : undefined);

/**
 * One stored invoice as a reader with `approved` categories sees it: only declared members, each
 * only when its categories are approved and neither the debtor's nor the pupil's marking withholds it.
 */
export function releaseRecord(body: Json, approved: ReadonlySet<string>): Json {
  const markings = [markingOf(body.debtor), markingOf(body.student)];
  const pick = (value: Json, members: Record<string, MemberRelease>): Json => {
    const out: Json = {};
    for (const [key, m] of Object.entries(members)) {
      const v = value[key];
      if (v === undefined || v === null) continue;
      if (!m.categories.every((c) => approved.has(c))) continue;
      if (m.withheldUnder?.some((w) => markings.includes(w))) continue;
      if (m.members) {
        if (isObject(v)) out[key] = pick(v, m.members);
      } else if (m.elements) {
        if (Array.isArray(v)) {
          const elements = m.elements;
          out[key] = v.filter(isObject).map((e) => pick(e, elements));
        }
      } else out[key] = v;
    }
    return out;
  };
  return pick(body, invoiceRelease);
}

/** The categories a released invoice can carry for a reader with `approved` categories (the access log's). */
export function carriedCategories(approved: ReadonlySet<string>): string[] {
  return ['identity', ...invoiceCategories.filter((c) => c !== 'identity' && approved.has(c))];
}
