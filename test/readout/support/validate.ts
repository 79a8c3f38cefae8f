import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

/**
 * What School Data Sync v2.1 and a OneRoster 1.2 CSV consumer check of a file set, written here from
 * the formats' rules and NOT from the readout's writers (nothing is imported from src/readout):
 * files and column order, required columns and values, enumerations, id characters, uniqueness,
 * every reference resolving, and for a OneRoster delta: status and dateLastModified on every row,
 * no header-only file, and the delta applied to the previous bulk set giving the new bulk set.
 * Each function returns the problems found, one line each; an accepted set gives [].
 */
type Rows = Record<string, string>[];
interface Table {
  header: string[];
  rows: Rows;
}

function read(path: string): Table {
  const text = readFileSync(path, 'utf8');
  const records = parse(text, { bom: true, relax_column_count: false }) as string[][];
  const [header = [], ...body] = records;
  return { header, rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

// ---------------------------------------------------------------- SDS v2.1
// Column sets of the SDS v2.1 CSV format (learn.microsoft.com/schooldatasync/sds-v2.1-csv-file-format; the samples' headers).
const SDS_FILES: Record<string, { columns: string[]; required: string[] }> = {
  'orgs.csv': { columns: ['sourcedId', 'name', 'type', 'parentSourcedId'], required: ['sourcedId', 'name', 'type'] },
  'users.csv': {
    columns: ['sourcedId', 'username', 'givenName', 'familyName', 'password', 'activeDirectoryMatchId', 'email', 'phone', 'sms'],
    required: ['sourcedId', 'username'],
  },
  'roles.csv': {
    columns: ['userSourcedId', 'orgSourcedId', 'role', 'sessionSourcedId', 'grade', 'isPrimary', 'roleStartDate', 'roleEndDate'],
    required: ['userSourcedId', 'orgSourcedId', 'role'],
  },
  'academicSessions.csv': {
    columns: ['sourcedId', 'title', 'type', 'schoolYear', 'startDate', 'endDate'],
    required: ['sourcedId', 'title', 'type', 'schoolYear', 'startDate', 'endDate'],
  },
  'courses.csv': {
    columns: ['sourcedId', 'orgSourcedId', 'title', 'code', 'schoolYearSourcedId', 'subject', 'grade'],
    required: ['sourcedId', 'orgSourcedId', 'title'],
  },
  'classes.csv': { columns: ['sourcedId', 'orgSourcedId', 'title', 'sessionSourcedIds', 'courseSourcedId'], required: ['sourcedId', 'orgSourcedId', 'title'] },
  'enrollments.csv': { columns: ['classSourcedId', 'userSourcedId', 'role'], required: ['classSourcedId', 'userSourcedId', 'role'] },
  'relationships.csv': {
    columns: ['userSourcedId', 'relationshipUserSourcedId', 'relationshipRole'],
    required: ['userSourcedId', 'relationshipUserSourcedId', 'relationshipRole'],
  },
  'demographics.csv': {
    columns: ['userSourcedId', 'sex', 'birthDate', 'birthCity', 'birthState', 'birthCountry', 'ethnicityCodes', 'raceCodes'],
    required: ['userSourcedId'],
  },
  'userFlags.csv': { columns: ['userSourcedId', 'flag'], required: ['userSourcedId', 'flag'] },
};
const SDS_REQUIRED_FILES = ['orgs.csv', 'users.csv', 'roles.csv'];
// SDS default list of values (learn.microsoft.com/schooldatasync/default-list-of-values).
const SDS_ORG_TYPES = new Set(
  'school,ministryOfEducation,localAuthority,department,university,region,district,college,division,local,campus,province,state,adultEducation,researchCenter,national,municipality,program,departmentOfEducation,academicTrust'.split(
    ',',
  ),
);
const SDS_ROLES = new Set(
  'principal,chair,professor,researcher,adjunct,affiliate,occupationalTherapist,physicalTherapist,speechTherapist,visionTherapist,paraprofessional,specialServices,advisor,proctor,nurse,officeStaff,lecturer,itAdmin,administrator,teacher,faculty,staff,teacherAssistant,assistant,instructor,substitute,coach,alumni,student,other'.split(
    ',',
  ),
);
const SDS_RELATIONSHIP_ROLES = new Set(
  'parent,guardian,relative,aunt,uncle,brother,sister,grandparent,stepParent,fosterParent,emergencyContact,other'.split(','),
);
const SESSION_TYPES = new Set(['schoolYear', 'semester', 'term', 'gradingPeriod']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function uniqueBy(rows: Rows, key: (r: Rows[number]) => string, what: string, out: string[]): Set<string> {
  const seen = new Set<string>();
  for (const r of rows) {
    const k = key(r);
    if (seen.has(k)) out.push(`${what}: "${k}" occurs more than once`);
    seen.add(k);
  }
  return seen;
}

function refs(rows: Rows, column: string, target: Set<string>, what: string, out: string[], list = false): void {
  for (const r of rows) {
    const v = r[column] ?? '';
    if (!v) continue;
    for (const x of list ? v.split(',') : [v]) if (!target.has(x)) out.push(`${what}.${column} "${x}" resolves to nothing`);
  }
}

/** Problems SDS v2.1 would have with the file set in `dir`. */
export function validateSds(dir: string): string[] {
  const out: string[] = [];
  const files = readdirSync(dir).filter((f) => !f.startsWith('.'));
  for (const f of files) if (!SDS_FILES[f]) out.push(`sds: unexpected file ${f}`);
  for (const f of SDS_REQUIRED_FILES) if (!files.includes(f)) out.push(`sds: required file ${f} is missing`);
  const t: Record<string, Table> = {};
  for (const f of files.filter((x) => SDS_FILES[x])) {
    const spec = SDS_FILES[f]!;
    const raw = readFileSync(join(dir, f), 'utf8');
    if (/[^\r]\n|\r(?!\n)/.test(raw)) out.push(`sds ${f}: lines must end CRLF and values hold no line breaks`);
    const table = (t[f] = read(join(dir, f)));
    if (new Set(table.header).size !== table.header.length) out.push(`sds ${f}: a column occurs twice`);
    for (const h of table.header) if (!spec.columns.includes(h)) out.push(`sds ${f}: unknown column ${h}`);
    for (const c of spec.required) if (!table.header.includes(c)) out.push(`sds ${f}: required column ${c} is missing`);
    table.rows.forEach((r, i) => {
      for (const c of spec.required) if (!r[c]) out.push(`sds ${f} row ${i + 2}: ${c} is empty`);
    });
  }
  const rows = (f: string) => t[f]?.rows ?? [];
  for (const r of rows('orgs.csv')) if (!SDS_ORG_TYPES.has(r.type!)) out.push(`sds orgs.csv: type "${r.type}" is not an SDS org type`);
  for (const r of rows('roles.csv')) {
    if (!SDS_ROLES.has(r.role!)) out.push(`sds roles.csv: role "${r.role}" is not an SDS role`);
    if (r.isPrimary && !/^(true|false)$/i.test(r.isPrimary)) out.push(`sds roles.csv: isPrimary "${r.isPrimary}" is not TRUE/FALSE`);
    for (const c of ['roleStartDate', 'roleEndDate']) if (r[c] && !DATE.test(r[c])) out.push(`sds roles.csv: ${c} "${r[c]}" is not YYYY-MM-DD`);
  }
  for (const r of rows('enrollments.csv')) if (!SDS_ROLES.has(r.role!)) out.push(`sds enrollments.csv: role "${r.role}" is not an SDS role`);
  for (const r of rows('relationships.csv'))
    if (!SDS_RELATIONSHIP_ROLES.has(r.relationshipRole!)) out.push(`sds relationships.csv: relationshipRole "${r.relationshipRole}" is not an SDS value`);
  for (const r of rows('academicSessions.csv')) {
    if (!SESSION_TYPES.has(r.type!)) out.push(`sds academicSessions.csv: type "${r.type}"`);
    for (const c of ['startDate', 'endDate']) if (!DATE.test(r[c] ?? '')) out.push(`sds academicSessions.csv: ${c} "${r[c]}" is not YYYY-MM-DD`);
  }
  const orgs = uniqueBy(rows('orgs.csv'), (r) => r.sourcedId!, 'sds orgs.csv sourcedId', out);
  const users = uniqueBy(rows('users.csv'), (r) => r.sourcedId!, 'sds users.csv sourcedId', out);
  uniqueBy(rows('users.csv'), (r) => r.username!.toLowerCase(), 'sds users.csv username', out);
  const sessions = uniqueBy(rows('academicSessions.csv'), (r) => r.sourcedId!, 'sds academicSessions.csv sourcedId', out);
  const courses = uniqueBy(rows('courses.csv'), (r) => r.sourcedId!, 'sds courses.csv sourcedId', out);
  const classes = uniqueBy(rows('classes.csv'), (r) => r.sourcedId!, 'sds classes.csv sourcedId', out);
  uniqueBy(rows('enrollments.csv'), (r) => `${r.classSourcedId}/${r.userSourcedId}`, 'sds enrollments.csv (class, user)', out);
  uniqueBy(rows('roles.csv'), (r) => `${r.userSourcedId}/${r.orgSourcedId}/${r.role}`, 'sds roles.csv (user, org, role)', out);
  uniqueBy(rows('relationships.csv'), (r) => `${r.userSourcedId}/${r.relationshipUserSourcedId}`, 'sds relationships.csv (user, related user)', out);
  uniqueBy(
    rows('roles.csv').filter((r) => /^true$/i.test(r.isPrimary ?? '')),
    (r) => r.userSourcedId!,
    'sds roles.csv primary role of user',
    out,
  );
  refs(rows('orgs.csv'), 'parentSourcedId', orgs, 'sds orgs.csv', out);
  refs(rows('roles.csv'), 'userSourcedId', users, 'sds roles.csv', out);
  refs(rows('roles.csv'), 'orgSourcedId', orgs, 'sds roles.csv', out);
  refs(rows('roles.csv'), 'sessionSourcedId', sessions, 'sds roles.csv', out);
  refs(rows('courses.csv'), 'orgSourcedId', orgs, 'sds courses.csv', out);
  refs(rows('courses.csv'), 'schoolYearSourcedId', sessions, 'sds courses.csv', out);
  refs(rows('classes.csv'), 'orgSourcedId', orgs, 'sds classes.csv', out);
  refs(rows('classes.csv'), 'courseSourcedId', courses, 'sds classes.csv', out);
  refs(rows('classes.csv'), 'sessionSourcedIds', sessions, 'sds classes.csv', out, true);
  refs(rows('enrollments.csv'), 'classSourcedId', classes, 'sds enrollments.csv', out);
  refs(rows('enrollments.csv'), 'userSourcedId', users, 'sds enrollments.csv', out);
  refs(rows('relationships.csv'), 'userSourcedId', users, 'sds relationships.csv', out);
  refs(rows('relationships.csv'), 'relationshipUserSourcedId', users, 'sds relationships.csv', out);
  // Every user has a role at some org, or is someone's guardian/relative (as in the samples), or SDS has nowhere to put them.
  const placed = new Set([...rows('roles.csv').map((r) => r.userSourcedId!), ...rows('relationships.csv').map((r) => r.relationshipUserSourcedId!)]);
  for (const u of users) if (!placed.has(u)) out.push(`sds users.csv: user ${u} has neither a role nor a relationship`);
  return out;
}

// ---------------------------------------------------------------- OneRoster 1.2 CSV
// The 1.2 CSV binding's columns, in order (extension columns may follow, named metadata.*).
const OR_COLUMNS: Record<string, string[]> = {
  'academicSessions.csv': ['sourcedId', 'status', 'dateLastModified', 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  'orgs.csv': ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  'courses.csv': [
    'sourcedId',
    'status',
    'dateLastModified',
    'schoolYearSourcedId',
    'title',
    'courseCode',
    'grades',
    'orgSourcedId',
    'subjects',
    'subjectCodes',
  ],
  'classes.csv': [
    'sourcedId',
    'status',
    'dateLastModified',
    'title',
    'grades',
    'courseSourcedId',
    'classCode',
    'classType',
    'location',
    'schoolSourcedId',
    'termSourcedIds',
    'subjects',
    'subjectCodes',
    'periods',
  ],
  'users.csv': [
    'sourcedId',
    'status',
    'dateLastModified',
    'enabledUser',
    'username',
    'userIds',
    'givenName',
    'familyName',
    'middleName',
    'identifier',
    'email',
    'sms',
    'phone',
    'agentSourcedIds',
    'grades',
    'password',
    'userMasterIdentifier',
    'resourceSourcedIds',
    'preferredGivenName',
    'preferredMiddleName',
    'preferredFamilyName',
    'primaryOrgSourcedId',
    'pronouns',
  ],
  'roles.csv': ['sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'],
  'enrollments.csv': [
    'sourcedId',
    'status',
    'dateLastModified',
    'classSourcedId',
    'schoolSourcedId',
    'userSourcedId',
    'role',
    'primary',
    'beginDate',
    'endDate',
  ],
};
const OR_REQUIRED: Record<string, string[]> = {
  'academicSessions.csv': ['title', 'type', 'startDate', 'endDate', 'schoolYear'],
  'orgs.csv': ['name', 'type'],
  'courses.csv': ['title', 'orgSourcedId'],
  'classes.csv': ['title', 'courseSourcedId', 'classType', 'schoolSourcedId', 'termSourcedIds'],
  'users.csv': ['enabledUser', 'username', 'givenName', 'familyName'],
  'roles.csv': ['userSourcedId', 'roleType', 'role', 'orgSourcedId'],
  'enrollments.csv': ['classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role'],
};
const OR_MANIFEST_FILES = [
  'academicSessions',
  'categories',
  'classes',
  'classResources',
  'courses',
  'courseResources',
  'demographics',
  'enrollments',
  'lineItemLearningObjectiveIds',
  'lineItems',
  'lineItemScoreScales',
  'orgs',
  'resources',
  'resultLearningObjectiveIds',
  'results',
  'resultScoreScales',
  'roles',
  'scoreScales',
  'userProfiles',
  'userResources',
  'users',
];
const OR_ENUMS: Record<string, Record<string, Set<string>>> = {
  'academicSessions.csv': { type: SESSION_TYPES },
  'orgs.csv': { type: new Set(['department', 'school', 'district', 'local', 'state', 'national']) },
  'classes.csv': { classType: new Set(['homeroom', 'scheduled']) },
  'users.csv': { enabledUser: new Set(['true', 'false']) },
  'roles.csv': {
    roleType: new Set(['primary', 'secondary']),
    role: new Set([
      'administrator',
      'aide',
      'counselor',
      'districtAdministrator',
      'guardian',
      'parent',
      'principal',
      'proctor',
      'relative',
      'siteAdministrator',
      'student',
      'systemAdministrator',
      'teacher',
    ]),
  },
  'enrollments.csv': { role: new Set(['administrator', 'proctor', 'student', 'teacher']), primary: new Set(['true', 'false', '']) },
};
/** Characters every OneRoster consumer takes in a sourcedId (no separators of CSV lists or paths). */
const OR_ID = /^[A-Za-z0-9._-]+$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

type OrSet = Record<string, Table>;

function readOneRoster(dir: string, out: string[], mode: 'bulk' | 'delta'): OrSet {
  const set: OrSet = {};
  const files = readdirSync(dir).filter((f) => !f.startsWith('.'));
  if (!files.includes('manifest.csv')) {
    out.push(`${mode}: manifest.csv is missing`);
    return set;
  }
  const m = read(join(dir, 'manifest.csv'));
  if (m.header.join(',') !== 'propertyName,value') out.push(`${mode} manifest.csv: header must be propertyName,value`);
  const props = new Map(m.rows.map((r) => [r.propertyName!, r.value!]));
  if (props.get('manifest.version') !== '1.0') out.push(`${mode} manifest: manifest.version must be 1.0`);
  if (props.get('oneroster.version') !== '1.2') out.push(`${mode} manifest: oneroster.version must be 1.2`);
  for (const f of OR_MANIFEST_FILES) {
    const v = props.get(`file.${f}`);
    if (!['absent', 'bulk', 'delta'].includes(v ?? '')) out.push(`${mode} manifest: file.${f} is "${v}"`);
    const present = files.includes(`${f}.csv`);
    if (v === 'absent' && present) out.push(`${mode}: ${f}.csv is present but the manifest says absent`);
    if (v && v !== 'absent' && !present) out.push(`${mode}: ${f}.csv is missing but the manifest says ${v}`);
    if (v && v !== 'absent' && v !== mode) out.push(`${mode}: file.${f} is ${v} in a ${mode} set`);
  }
  for (const f of files) {
    if (f === 'manifest.csv') continue;
    const cols = OR_COLUMNS[f];
    if (!cols) {
      out.push(`${mode}: unexpected file ${f}`);
      continue;
    }
    const t = (set[f] = read(join(dir, f)));
    if (t.header.slice(0, cols.length).join(',') !== cols.join(',')) out.push(`${mode} ${f}: columns are not the 1.2 binding's, in order`);
    for (const h of t.header.slice(cols.length)) if (!h.startsWith('metadata.')) out.push(`${mode} ${f}: extension column ${h} is not metadata.*`);
    if (mode === 'delta' && t.rows.length === 0) out.push(`delta ${f}: a header with no rows (leave the file out and mark it absent)`);
    t.rows.forEach((r, i) => {
      const at = `${mode} ${f} row ${i + 2}`;
      if (!OR_ID.test(r.sourcedId ?? '')) out.push(`${at}: sourcedId "${r.sourcedId}" has characters outside [A-Za-z0-9._-]`);
      if (mode === 'bulk') {
        if (r.status && r.status !== 'active') out.push(`${at}: status "${r.status}" in a bulk file`);
        if (r.dateLastModified && !ISO_DATETIME.test(r.dateLastModified)) out.push(`${at}: dateLastModified "${r.dateLastModified}"`);
      } else {
        if (!['active', 'tobedeleted'].includes(r.status ?? '')) out.push(`${at}: status "${r.status}" (a delta row needs active or tobedeleted)`);
        if (!ISO_DATETIME.test(r.dateLastModified ?? '')) out.push(`${at}: dateLastModified "${r.dateLastModified}" (a delta row needs one)`);
      }
      if (r.status === 'tobedeleted') return;
      for (const c of OR_REQUIRED[f] ?? []) if (!r[c]) out.push(`${at}: ${c} is empty`);
      for (const [c, allowed] of Object.entries(OR_ENUMS[f] ?? {}))
        if (r[c] !== undefined && !allowed.has(r[c])) out.push(`${at}: ${c} "${r[c]}" is not allowed`);
      for (const c of ['startDate', 'endDate', 'beginDate']) if (r[c] && !DATE.test(r[c])) out.push(`${at}: ${c} "${r[c]}" is not YYYY-MM-DD`);
    });
    uniqueBy(t.rows, (r) => r.sourcedId!, `${mode} ${f} sourcedId`, out);
  }
  return set;
}

const ids = (set: OrSet, f: string) => new Set((set[f]?.rows ?? []).filter((r) => r.status !== 'tobedeleted').map((r) => r.sourcedId!));

function orReferences(set: OrSet, out: string[], label: string): void {
  const rows = (f: string) => (set[f]?.rows ?? []).filter((r) => r.status !== 'tobedeleted');
  const users = ids(set, 'users.csv');
  const orgs = ids(set, 'orgs.csv');
  const sessions = ids(set, 'academicSessions.csv');
  const courses = ids(set, 'courses.csv');
  const classes = ids(set, 'classes.csv');
  refs(rows('orgs.csv'), 'parentSourcedId', orgs, `${label} orgs.csv`, out);
  refs(rows('courses.csv'), 'orgSourcedId', orgs, `${label} courses.csv`, out);
  refs(rows('courses.csv'), 'schoolYearSourcedId', sessions, `${label} courses.csv`, out);
  refs(rows('classes.csv'), 'courseSourcedId', courses, `${label} classes.csv`, out);
  refs(rows('classes.csv'), 'schoolSourcedId', orgs, `${label} classes.csv`, out);
  refs(rows('classes.csv'), 'termSourcedIds', sessions, `${label} classes.csv`, out, true);
  refs(rows('users.csv'), 'primaryOrgSourcedId', orgs, `${label} users.csv`, out);
  refs(rows('users.csv'), 'agentSourcedIds', users, `${label} users.csv`, out, true);
  refs(rows('roles.csv'), 'userSourcedId', users, `${label} roles.csv`, out);
  refs(rows('roles.csv'), 'orgSourcedId', orgs, `${label} roles.csv`, out);
  refs(rows('enrollments.csv'), 'classSourcedId', classes, `${label} enrollments.csv`, out);
  refs(rows('enrollments.csv'), 'schoolSourcedId', orgs, `${label} enrollments.csv`, out);
  refs(rows('enrollments.csv'), 'userSourcedId', users, `${label} enrollments.csv`, out);
  uniqueBy(rows('users.csv'), (r) => r.username!.toLowerCase(), `${label} users.csv username`, out);
  uniqueBy(
    rows('roles.csv').filter((r) => r.roleType === 'primary'),
    (r) => `${r.userSourcedId}/${r.orgSourcedId}`,
    `${label} roles.csv primary role of user at org`,
    out,
  );
}

/** A row without the columns that only say when and whether (compared across bulk and delta). */
const content = (r: Rows[number]) => JSON.stringify(Object.entries(r).filter(([k]) => k !== 'status' && k !== 'dateLastModified'));

/**
 * Problems a OneRoster 1.2 CSV consumer would have with the bulk set in `bulkDir` and, with
 * `deltaDir`, the delta set: given the previous bulk set, applying the delta to it must give this
 * bulk set exactly (nothing missing, nothing extra, nothing stale).
 */
export function validateOneRoster(bulkDir: string, deltaDir?: string, previousBulkDir?: string): string[] {
  const out: string[] = [];
  const bulk = readOneRoster(bulkDir, out, 'bulk');
  orReferences(bulk, out, 'bulk');
  if (!deltaDir) return out;
  const delta = existsSync(deltaDir) ? readOneRoster(deltaDir, out, 'delta') : {};
  if (!previousBulkDir) return out;
  const prevOut: string[] = [];
  const previous = readOneRoster(previousBulkDir, prevOut, 'bulk');
  for (const f of Object.keys(OR_COLUMNS)) {
    const applied = new Map((previous[f]?.rows ?? []).map((r) => [r.sourcedId!, content(r)]));
    for (const r of delta[f]?.rows ?? []) {
      if (r.status === 'tobedeleted') {
        if (!applied.delete(r.sourcedId!)) out.push(`delta ${f}: tobedeleted ${r.sourcedId} was not in the previous set`);
      } else applied.set(r.sourcedId!, content(r));
    }
    const now = new Map((bulk[f]?.rows ?? []).map((r) => [r.sourcedId!, content(r)]));
    for (const [id, c] of now) if (applied.get(id) !== c) out.push(`delta ${f}: ${id} ${applied.has(id) ? 'is stale' : 'is missing'} after applying the delta`);
    for (const id of applied.keys()) if (!now.has(id)) out.push(`delta ${f}: ${id} remains after applying the delta but is gone from the bulk set`);
  }
  return out;
}

/**
 * The SDS role and the OneRoster role of each (user, org) for staff: the same mapping must decide
 * both, so each pair must be one of the pairs the README documents.
 */
export function staffRolePairs(sdsDir: string, orDir: string): string[] {
  const sds = read(join(sdsDir, 'roles.csv')).rows.filter((r) => r.role !== 'student');
  const or = read(join(orDir, 'roles.csv')).rows;
  const orBy = new Map(or.map((r) => [`${r.userSourcedId}/${r.orgSourcedId}`, r.role!]));
  return sds.map((r) => `${r.role}→${orBy.get(`${r.userSourcedId}/${r.orgSourcedId}`) ?? 'none'}`);
}
