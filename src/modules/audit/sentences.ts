import type { Queryable } from '../../context.ts';
import type { Language } from '../../db/schema.ts';
import { translations } from '../../mail/templates.ts';
import { AUDIT_EVENTS, FIELD_LABELS, FRAME, isDeclaredAction, UNDECLARED, VALUE_LABELS, type SentenceParts } from './events.ts';
import { redactForScope, withoutSecrets, type AuditRow, type ReaderScope } from './presenters.ts';

/** The names an audit page mentions, looked up once per page. */
export interface AuditNames {
  apps: Map<string, string>;
  partners: Map<string, string>;
  clients: Map<string, string>;
  institutions: Map<string, string>;
  accessGroups: Map<string, string>;
  /** Users whose row carries no readable label (e-mail confirmation writes the id). */
  users: Map<string, string>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuids = (xs: Iterable<unknown>) => [...new Set([...xs].filter((x): x is string => typeof x === 'string' && UUID.test(x)))];

/** Institution numbers and access group ids named anywhere in a before/after document. */
function targetsIn(doc: unknown, into: { institutions: Set<string>; groups: Set<string> }): void {
  if (!doc || typeof doc !== 'object') return;
  if (Array.isArray(doc)) return doc.forEach((d) => targetsIn(d, into));
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'institutionNumbers' && Array.isArray(v)) v.forEach((x) => into.institutions.add(String(x)));
    else if (k === 'accessGroupIds' && Array.isArray(v)) v.forEach((x) => into.groups.add(String(x)));
    else if (k === 'institutionNumber' && typeof v === 'string') into.institutions.add(v);
    else if (k === 'accessGroupId' && typeof v === 'string') into.groups.add(v);
    else targetsIn(v, into);
  }
}

/** Looks up, in a handful of statements, every name the given rows mention. */
export async function loadAuditNames(db: Queryable, rows: AuditRow[]): Promise<AuditNames> {
  const targets = { institutions: new Set<string>(), groups: new Set<string>() };
  for (const r of rows) {
    r.institution_numbers.forEach((n) => targets.institutions.add(n));
    r.access_group_ids.forEach((g) => targets.groups.add(g));
    targetsIn(r.before, targets);
    targetsIn(r.after, targets);
  }
  const appIds = uuids(rows.map((r) => r.app_id));
  const partnerIds = uuids(rows.map((r) => r.partner_id));
  const clientIds = uuids(rows.map((r) => r.client_id));
  const institutionNumbers = [...targets.institutions];
  const groupIds = uuids(targets.groups);
  const userIds = uuids(rows.filter((r) => r.actor_user_id && r.actor_label === r.actor_user_id).map((r) => r.actor_user_id));
  const [apps, partners, clients, institutions, groups, users] = await Promise.all([
    appIds.length ? db.selectFrom('apps').select(['id', 'name']).where('id', 'in', appIds).execute() : [],
    partnerIds.length ? db.selectFrom('partners').select(['id', 'name']).where('id', 'in', partnerIds).execute() : [],
    clientIds.length ? db.selectFrom('clients').select(['id', 'name']).where('id', 'in', clientIds).execute() : [],
    institutionNumbers.length ? db.selectFrom('institutions').select(['number', 'name']).where('number', 'in', institutionNumbers).execute() : [],
    groupIds.length ? db.selectFrom('access_groups').select(['id', 'name']).where('id', 'in', groupIds).execute() : [],
    userIds.length ? db.selectFrom('users').select(['id', 'display_name', 'email']).where('id', 'in', userIds).execute() : [],
  ]);
  return {
    apps: new Map(apps.map((a) => [a.id, a.name])),
    partners: new Map(partners.map((p) => [p.id, p.name])),
    clients: new Map(clients.map((c) => [c.id, c.name])),
    institutions: new Map(institutions.map((i) => [i.number, i.name])),
    accessGroups: new Map(groups.map((g) => [g.id, g.name])),
    users: new Map(users.map((u) => [u.id, `${u.display_name} <${u.email}>`])),
  };
}

/** One changed field of an entry's before/after, with its label in the reader's language. */
export interface FieldChange {
  field: string;
  label: string;
  /** The value before, as text; null when the field did not exist before (created). */
  before: string | null;
  /** The value after, as text; null when the field is gone (deleted). */
  after: string | null;
}

/** What the reader's language makes of one entry: the sentence, the field changes and the names. */
export interface AuditWords {
  /** The action's short name in the reader's language (the code itself for an undeclared old action). */
  actionLabel: string;
  sentence: string;
  changes: FieldChange[];
  appName: string | null;
  partnerName: string | null;
  institutions: { number: string; name: string | null }[];
}

const MAX_PLACES = 5;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

const institutionLabel = (names: AuditNames, n: string) => (names.institutions.has(n) ? `${names.institutions.get(n)} (${n})` : n);
const groupLabel = (names: AuditNames, g: string) => names.accessGroups.get(g) ?? g;
const apiLabel = (lang: Language, code: string) => translations[lang].frame.apiNames[code] ?? code;
const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The value of one field as a reader reads it: names for ids, words for codes, no JSON. */
function formatValue(key: string, v: unknown, lang: Language, names: AuditNames): string {
  const frame = FRAME[lang];
  if (v === null || v === undefined) return frame.none;
  if (typeof v === 'boolean') return v ? frame.yes : frame.no;
  if (typeof v === 'number') return String(v);
  if (v instanceof Date) return formatValue(key, v.toISOString(), lang, names);
  if (typeof v === 'string') {
    if (key === 'status' || key === 'origin' || key === 'clientType' || key === 'mode') return VALUE_LABELS[lang][v] ?? v;
    if (key === 'apiCode') return apiLabel(lang, v);
    if (key === 'institutionNumber') return institutionLabel(names, v);
    if (key === 'accessGroupId') return groupLabel(names, v);
    if (key === 'appId') return names.apps.get(v) ?? v;
    if (ISO.test(v)) return `${v.slice(0, 10)} ${v.slice(11, 16)} UTC`;
    return v;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return frame.none;
    if (key === 'institutionNumbers') return v.map((n) => institutionLabel(names, String(n))).join(', ');
    if (key === 'accessGroupIds') return v.map((g) => groupLabel(names, String(g))).join(', ');
    if (key === 'grants') {
      return v
        .map((g) => {
          const o = asObject(g);
          const where =
            typeof o.institutionNumber === 'string' ? institutionLabel(names, o.institutionNumber) : groupLabel(names, String(o.accessGroupId ?? ''));
          return frame.labelled(apiLabel(lang, String(o.apiCode ?? '')), where);
        })
        .join('; ');
    }
    if (key === 'apis') {
      return v
        .map((a) => {
          const o = asObject(a);
          const cats = Array.isArray(o.dataCategories) ? ` (${o.dataCategories.join(', ')})` : '';
          return `${apiLabel(lang, String(o.apiCode ?? ''))}${cats}${typeof o.purpose === 'string' && o.purpose ? `: ${o.purpose}` : ''}`;
        })
        .join('; ');
    }
    return v.map((x) => formatValue(key, x, lang, names)).join(', ');
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return frame.none;
  return entries.map(([k, x]) => frame.labelled(FIELD_LABELS[lang][k] ?? k, formatValue(k, x, lang, names))).join(', ');
}

// Bookkeeping members that repeat what the diff itself shows.
const SKIPPED_FIELDS = new Set(['changedFields']);

/** The fields that differ between before and after, labelled; a creation lists every field, a removal too. */
export function fieldChanges(before: unknown, after: unknown, lang: Language, names: AuditNames): FieldChange[] {
  const b = asObject(before);
  const a = asObject(after);
  const hadBefore = before !== null && before !== undefined;
  const hasAfter = after !== null && after !== undefined;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !SKIPPED_FIELDS.has(k));
  const changes: FieldChange[] = [];
  for (const key of keys) {
    const inB = Object.hasOwn(b, key);
    const inA = Object.hasOwn(a, key);
    if (inB && inA && JSON.stringify(b[key]) === JSON.stringify(a[key])) continue;
    changes.push({
      field: key,
      label: FIELD_LABELS[lang][key] ?? key,
      before: inB ? formatValue(key, b[key], lang, names) : hadBefore && inA ? FRAME[lang].none : null,
      after: inA ? formatValue(key, a[key], lang, names) : hasAfter && inB ? FRAME[lang].none : null,
    });
  }
  return changes;
}

/** The actor as a sentence names them: the name without the e-mail; an end user by their pairwise sub. */
function actorName(row: AuditRow, lang: Language, names: AuditNames): string {
  if (row.actor_kind === 'person') {
    const sub = row.actor_label.replace(/^End user /, '');
    return FRAME[lang].endUser(sub);
  }
  const label = row.actor_user_id && row.actor_label === row.actor_user_id ? (names.users.get(row.actor_user_id) ?? row.actor_label) : row.actor_label;
  return label.replace(/\s*<[^<>]*>$/, '') || label;
}

/**
 * An entry in words for a reader with `scope` (null: sees everything): one sentence naming who did
 * what to which app or client at which institutions (only those the reader may see) and why, and
 * the changed fields. The action's declaration (`events.ts`) words the middle of the sentence.
 */
export function describeAuditEntry(row: AuditRow, scope: ReaderScope | null, names: AuditNames, lang: Language): AuditWords {
  const before = redactForScope(withoutSecrets(row.before ?? null), scope);
  const after = redactForScope(withoutSecrets(row.after ?? null), scope);
  const institutionNumbers = scope ? row.institution_numbers.filter((n) => scope.institutions.has(n)) : row.institution_numbers;
  const groupIds = scope ? row.access_group_ids.filter((g) => scope.accessGroups.has(g)) : row.access_group_ids;
  const placeLabels = [...institutionNumbers.map((n) => institutionLabel(names, n)), ...groupIds.map((g) => groupLabel(names, g))];
  const places =
    placeLabels.length > MAX_PLACES
      ? `${placeLabels.slice(0, MAX_PLACES).join(', ')} ${FRAME[lang].andMore(placeLabels.length - MAX_PLACES)}`
      : placeLabels.join(', ');
  const b = asObject(before);
  const a = asObject(after);
  const appName = row.app_id ? (names.apps.get(row.app_id) ?? (typeof a.appName === 'string' ? a.appName : row.app_id)) : null;
  const partnerName = row.partner_id ? (names.partners.get(row.partner_id) ?? (typeof a.name === 'string' ? a.name : row.partner_id)) : null;
  const apiCode = typeof a.apiCode === 'string' ? a.apiCode : typeof b.apiCode === 'string' ? b.apiCode : null;
  const parts: SentenceParts = {
    actor: actorName(row, lang, names),
    app: appName ?? '',
    client: row.client_id
      ? (names.clients.get(row.client_id) ?? (typeof a.name === 'string' ? a.name : typeof b.name === 'string' ? b.name : row.client_id))
      : '',
    partner: partnerName ?? '',
    places,
    api: apiCode ? apiLabel(lang, apiCode) : '',
    before: b,
    after: a,
  };
  let sentence = isDeclaredAction(row.action) ? AUDIT_EVENTS[row.action].say[lang](parts) : UNDECLARED[lang](parts, row.action);
  // Every sentence names the institutions it concerns, also where the action's words do not.
  if (places && !sentence.includes(places)) sentence += ` ${FRAME[lang].places(places)}`;
  if (row.reason) sentence += ` ${FRAME[lang].reason(row.reason)}`;
  return {
    actionLabel: isDeclaredAction(row.action) ? AUDIT_EVENTS[row.action].label[lang] : row.action,
    sentence,
    changes: fieldChanges(before, after, lang, names),
    appName,
    partnerName,
    institutions: institutionNumbers.map((n) => ({ number: n, name: names.institutions.get(n) ?? null })),
  };
}

const LANGUAGES: readonly Language[] = ['en', 'nl', 'fr', 'sv'];
const isLanguage = (s: string): s is Language => (LANGUAGES as readonly string[]).includes(s);

/**
 * The reader's language: `lang` when the request names one (a download link cannot set headers),
 * else the best of Accept-Language that Schoolgate speaks, else the user's own language, else English.
 */
export function readerLanguage(explicit: Language | undefined, acceptLanguage: string | undefined, userLanguage: string | undefined): Language {
  if (explicit) return explicit;
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part, i) => {
        const [tag = '', ...params] = part.trim().split(';');
        const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
        const weight = q ? Number(q.slice(2)) : 1;
        return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', weight: Number.isFinite(weight) ? weight : 0, i };
      })
      .filter((x) => x.weight > 0)
      .sort((x, y) => y.weight - x.weight || x.i - y.i);
    const found = ranked.find((x) => isLanguage(x.lang));
    if (found) return found.lang as Language;
  }
  if (userLanguage && isLanguage(userLanguage)) return userLanguage;
  return 'en';
}
