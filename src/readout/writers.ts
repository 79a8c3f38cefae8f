import { hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { OutPerson, Selection } from './select.ts';

/**
 * The two output formats, built from a {@link Selection}: Microsoft School Data Sync v2.1 CSV and
 * OneRoster 1.2 CSV (bulk, and delta against the previous run). One class per team in both.
 */
export type Row = Record<string, string>;
export interface CsvTable {
  header: readonly string[];
  rows: Row[];
  /** Values that override every row's (delta files: status and dateLastModified), so rows are not copied. */
  extra?: Row;
  /** More rows with their own overrides (delta files: the removed rows, `tobedeleted`). */
  tail?: { rows: Row[]; extra: Row };
}

const NEEDS_QUOTES = /[",\r\n]/;
/** One RFC 4180 field; SDS accepts no line breaks inside values, so they become spaces. */
function field(v: string | undefined): string {
  if (!v) return '';
  if (!NEEDS_QUOTES.test(v)) return v;
  const s = v.replace(/[\r\n]+/g, ' ');
  return s.includes('"') || s.includes(',') ? `"${s.replace(/"/g, '""')}"` : s;
}

function* csvChunks(t: CsvTable): Generator<string> {
  yield t.header.map(field).join(',') + '\r\n';
  const parts: { rows: Row[]; extra?: Row }[] = [{ rows: t.rows, extra: t.extra }, ...(t.tail ? [t.tail] : [])];
  for (const { rows, extra } of parts) {
    let chunk = '';
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      let line = '';
      for (let j = 0; j < t.header.length; j++) {
        const h = t.header[j]!;
        line += (j ? ',' : '') + field(extra && h in extra ? extra[h] : r[h]);
      }
      chunk += line + '\r\n';
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
}

/** RFC 4180 CSV, UTF-8, CRLF. */
export function toCsv(t: CsvTable): string {
  return [...csvChunks(t)].join('');
}

/** Writes a table in 1 MB chunks, so that a big enrollments file never exists as one string. */
export function writeCsvFile(path: string, t: CsvTable): void {
  const fd = openSync(path, 'w');
  try {
    for (const chunk of csvChunks(t)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

export const SDS_HEADERS = {
  'orgs.csv': ['sourcedId', 'name', 'type', 'parentSourcedId'],
  'users.csv': ['sourcedId', 'username', 'givenName', 'familyName', 'password', 'activeDirectoryMatchId', 'email', 'phone', 'sms'],
  'roles.csv': ['userSourcedId', 'orgSourcedId', 'role', 'sessionSourcedId', 'grade', 'isPrimary', 'roleStartDate', 'roleEndDate'],
  'academicSessions.csv': ['sourcedId', 'title', 'type', 'schoolYear', 'startDate', 'endDate'],
  'courses.csv': ['sourcedId', 'orgSourcedId', 'title', 'code', 'schoolYearSourcedId', 'subject', 'grade'],
  'classes.csv': ['sourcedId', 'orgSourcedId', 'title', 'sessionSourcedIds', 'courseSourcedId'],
  'enrollments.csv': ['classSourcedId', 'userSourcedId', 'role'],
  'relationships.csv': ['userSourcedId', 'relationshipUserSourcedId', 'relationshipRole'],
} as const;

/** OneRoster 1.2 CSV columns; users carry the opt-in fields as `metadata.*` extension columns. */
export const ONEROSTER_HEADERS = {
  'academicSessions.csv': ['sourcedId', 'status', 'dateLastModified', 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  'orgs.csv': ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  'courses.csv': ['sourcedId', 'status', 'dateLastModified', 'schoolYearSourcedId', 'title', 'courseCode', 'grades', 'orgSourcedId', 'subjects', 'subjectCodes'],
  'classes.csv': ['sourcedId', 'status', 'dateLastModified', 'title', 'grades', 'courseSourcedId', 'classCode', 'classType', 'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods'],
  'users.csv': [
    'sourcedId', 'status', 'dateLastModified', 'enabledUser', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier',
    'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password', 'userMasterIdentifier', 'resourceSourcedIds', 'preferredGivenName',
    'preferredMiddleName', 'preferredFamilyName', 'primaryOrgSourcedId', 'pronouns',
    'metadata.civicNo', 'metadata.streetAddress', 'metadata.postalCode', 'metadata.locality', 'metadata.country',
  ],
  'roles.csv': ['sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'],
  'enrollments.csv': ['sourcedId', 'status', 'dateLastModified', 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role', 'primary', 'beginDate', 'endDate'],
} as const;
export type OneRosterFile = keyof typeof ONEROSTER_HEADERS;
export const ONEROSTER_FILES = Object.keys(ONEROSTER_HEADERS) as OneRosterFile[];

/** Every file OneRoster 1.2 defines, for the manifest; those we do not write are "absent". */
const ONEROSTER_ALL_FILES = [
  'academicSessions', 'categories', 'classes', 'classResources', 'courses', 'courseResources', 'demographics', 'enrollments',
  'lineItemLearningObjectiveIds', 'lineItems', 'lineItemScoreScales', 'orgs', 'resources', 'resultLearningObjectiveIds', 'results',
  'resultScoreScales', 'roles', 'scoreScales', 'userProfiles', 'userResources', 'users',
];

const TEACHING = new Set(['Lärare', 'Förskollärare', 'Förstelärare', 'Speciallärare/specialpedagog', 'Fritidspedagog', 'Övrig pedagogisk personal']);

function sdsStaffRole(title?: string): string {
  if (!title || TEACHING.has(title)) return 'teacher';
  if (title === 'Rektor' || title === 'Förskolechef') return 'principal';
  if (title === 'Lärarassistent') return 'teacherAssistant';
  if (title === 'Barnskötare') return 'assistant';
  if (title === 'Skolsköterska') return 'nurse';
  if (title === 'Skoladministratör') return 'administrator';
  if (title === 'Kurator' || title === 'Skolpsykolog' || title === 'Studie- och yrkesvägledare') return 'advisor';
  return 'staff';
}

function oneRosterStaffRole(title?: string): string {
  if (!title || TEACHING.has(title)) return 'teacher';
  if (title === 'Rektor' || title === 'Förskolechef' || title === 'Övrig arbetsledning') return 'principal';
  if (title === 'Lärarassistent' || title === 'Barnskötare') return 'aide';
  if (title === 'Kurator' || title === 'Skolpsykolog' || title === 'Studie- och yrkesvägledare') return 'counselor';
  if (title === 'Skoladministratör') return 'siteAdministrator';
  return 'teacher';
}

const guardianRole = (relationType?: string) => (relationType === 'Vårdnadshavare' || !relationType ? 'guardian' : 'relative');

/** The SDS v2.1 file set: the same eight files every run, so SDS never reads a missing file as "all gone". */
export function sdsTables(sel: Selection): Record<keyof typeof SDS_HEADERS, CsvTable> {
  const s = sel.session;
  const courses = new Map<string, Row>();
  for (const t of sel.teams) {
    courses.set(t.courseId, { sourcedId: t.courseId, orgSourcedId: t.schoolId, title: t.courseTitle, code: t.courseCode ?? t.subjectCode ?? '', schoolYearSourcedId: s.id, subject: t.subjectCode ?? '', grade: '' });
  }
  const roles: Row[] = [];
  const relationships: Row[] = [];
  for (const p of sel.people) {
    p.roles.forEach((r, i) =>
      roles.push({
        userSourcedId: p.id,
        orgSourcedId: r.schoolId,
        role: r.role === 'student' ? 'student' : sdsStaffRole(r.jobTitle),
        sessionSourcedId: s.id,
        grade: r.grade ?? '',
        isPrimary: i === 0 ? 'TRUE' : 'FALSE',
        roleStartDate: r.start ?? '',
        roleEndDate: r.end ?? '',
      }),
    );
    for (const g of p.guardianOf) relationships.push({ userSourcedId: g.studentId, relationshipUserSourcedId: p.id, relationshipRole: guardianRole(g.relationType) });
  }
  return {
    'orgs.csv': { header: SDS_HEADERS['orgs.csv'], rows: sel.schools.map((o) => ({ sourcedId: o.id, name: o.name, type: 'school', parentSourcedId: '' })) },
    'users.csv': {
      header: SDS_HEADERS['users.csv'],
      rows: sel.people.map((p) => ({ sourcedId: p.id, username: p.username, givenName: p.givenName, familyName: p.familyName, password: '', activeDirectoryMatchId: '', email: p.email ?? '', phone: p.phone ?? '', sms: '' })),
    },
    'roles.csv': { header: SDS_HEADERS['roles.csv'], rows: roles },
    'academicSessions.csv': { header: SDS_HEADERS['academicSessions.csv'], rows: [{ sourcedId: s.id, title: s.title, type: 'schoolYear', schoolYear: s.schoolYear, startDate: s.startDate, endDate: s.endDate }] },
    'courses.csv': { header: SDS_HEADERS['courses.csv'], rows: [...courses.values()] },
    'classes.csv': {
      header: SDS_HEADERS['classes.csv'],
      rows: sel.teams.map((t) => ({ sourcedId: t.id, orgSourcedId: t.schoolId, title: t.title, sessionSourcedIds: s.id, courseSourcedId: t.courseId })),
    },
    'enrollments.csv': { header: SDS_HEADERS['enrollments.csv'], rows: sel.memberships.map((m) => ({ classSourcedId: m.teamId, userSourcedId: m.personId, role: m.role })) },
    'relationships.csv': { header: SDS_HEADERS['relationships.csv'], rows: relationships },
  };
}

/** OneRoster rows per file, keyed by sourcedId, without status/dateLastModified (added per mode). */
export type OneRosterRows = Record<OneRosterFile, Map<string, Row>>;

function userRow(p: OutPerson): Row {
  const agents = [...p.guardianOf.map((g) => g.studentId)];
  return {
    sourcedId: p.id,
    enabledUser: 'true',
    username: p.username,
    userIds: '',
    givenName: p.givenName,
    familyName: p.familyName,
    middleName: p.middleName ?? '',
    identifier: '',
    email: p.email ?? '',
    sms: '',
    phone: p.phone ?? '',
    agentSourcedIds: agents.join(','),
    grades: [...new Set(p.roles.map((r) => r.grade).filter(Boolean))].join(','),
    password: '',
    userMasterIdentifier: '',
    resourceSourcedIds: '',
    preferredGivenName: '',
    preferredMiddleName: '',
    preferredFamilyName: '',
    primaryOrgSourcedId: p.roles[0]?.schoolId ?? '',
    pronouns: '',
    'metadata.civicNo': p.civicNo ?? '',
    'metadata.streetAddress': p.address?.streetAddress ?? '',
    'metadata.postalCode': p.address?.postalCode ?? '',
    'metadata.locality': p.address?.locality ?? '',
    'metadata.country': p.address?.country ?? '',
  };
}

export function oneRosterRows(sel: Selection): OneRosterRows {
  const s = sel.session;
  const out = Object.fromEntries(ONEROSTER_FILES.map((f) => [f, new Map<string, Row>()])) as OneRosterRows;
  out['academicSessions.csv'].set(s.id, { sourcedId: s.id, title: s.title, type: 'schoolYear', startDate: s.startDate, endDate: s.endDate, parentSourcedId: '', schoolYear: s.schoolYear });
  for (const o of sel.schools) out['orgs.csv'].set(o.id, { sourcedId: o.id, name: o.name, type: 'school', identifier: o.schoolUnitCode ?? o.organisationCode ?? '', parentSourcedId: '' });
  const schoolOf = new Map<string, string>();
  for (const t of sel.teams) {
    schoolOf.set(t.id, t.schoolId);
    out['courses.csv'].set(t.courseId, { sourcedId: t.courseId, schoolYearSourcedId: s.id, title: t.courseTitle, courseCode: t.courseCode ?? t.subjectCode ?? '', grades: '', orgSourcedId: t.schoolId, subjects: '', subjectCodes: t.subjectCode ?? '' });
    out['classes.csv'].set(t.id, {
      sourcedId: t.id,
      title: t.title,
      grades: '',
      courseSourcedId: t.courseId,
      classCode: t.groupId,
      classType: t.groupType === 'Undervisning' ? 'scheduled' : 'homeroom',
      location: '',
      schoolSourcedId: t.schoolId,
      termSourcedIds: s.id,
      subjects: '',
      subjectCodes: t.subjectCode ?? '',
      periods: '',
    });
  }
  const schoolOfPerson = new Map<string, string>();
  for (const p of sel.people) if (p.roles[0]) schoolOfPerson.set(p.id, p.roles[0].schoolId);
  for (const p of sel.people) {
    const row = userRow(p);
    out['users.csv'].set(p.id, row);
    for (const r of p.roles) {
      const role = r.role === 'student' ? 'student' : oneRosterStaffRole(r.jobTitle);
      const id = `${p.id}|${r.schoolId}|${role}`;
      out['roles.csv'].set(id, { sourcedId: id, userSourcedId: p.id, roleType: r === p.roles[0] ? 'primary' : 'secondary', role, beginDate: r.start ?? '', endDate: r.end ?? '', orgSourcedId: r.schoolId, userProfileSourcedId: '' });
    }
    for (const g of p.guardianOf) {
      const org = schoolOfPerson.get(g.studentId);
      if (!org) continue;
      const role = guardianRole(g.relationType);
      const id = `${p.id}|${org}|${role}`;
      if (!out['roles.csv'].has(id)) {
        out['roles.csv'].set(id, { sourcedId: id, userSourcedId: p.id, roleType: p.roles.length ? 'secondary' : 'primary', role, beginDate: '', endDate: '', orgSourcedId: org, userProfileSourcedId: '' });
      }
    }
  }
  // A student's agents are their guardians; a guardian's agents are their students.
  for (const p of sel.people) {
    for (const g of p.guardianOf) {
      const student = out['users.csv'].get(g.studentId);
      if (student) student.agentSourcedIds = student.agentSourcedIds ? `${student.agentSourcedIds},${p.id}` : p.id;
    }
  }
  for (const m of sel.memberships) {
    const id = `${m.teamId}|${m.personId}`;
    out['enrollments.csv'].set(id, { sourcedId: id, classSourcedId: m.teamId, schoolSourcedId: schoolOf.get(m.teamId) ?? '', userSourcedId: m.personId, role: m.role, primary: 'false', beginDate: '', endDate: '' });
  }
  return out;
}

/** Bulk files: every row; status and dateLastModified are left empty as bulk mode allows. */
export function oneRosterBulk(rows: OneRosterRows): Record<string, CsvTable> {
  const files: Record<string, CsvTable> = { 'manifest.csv': manifest(Object.fromEntries(ONEROSTER_FILES.map((f) => [f, 'bulk']))) };
  for (const f of ONEROSTER_FILES) files[f] = { header: ONEROSTER_HEADERS[f], rows: [...rows[f].values()] };
  return files;
}

export interface RowDelta {
  added: Row[];
  updated: Row[];
  removed: Row[];
}
export type OneRosterDelta = Record<OneRosterFile, RowDelta>;

/**
 * The previous run's published rows, compact: per file, a digest of each row's JSON text by
 * sourcedId (compared with this run's), and the classes' titles (a changed title is a rename).
 */
export interface PublishedRows {
  digests: Record<OneRosterFile, Map<string, string>>;
  classTitles: Map<string, string>;
}

/** A row's identity for the delta: 128 bits of its JSON text, 22 characters to keep per row. */
export const rowDigest = (json: string): string => hash('md5', json, 'base64url');

/** Delta files: changed rows `active`, removed rows `tobedeleted`, all stamped with the run time. */
export function oneRosterDeltaFiles(delta: OneRosterDelta, stamp: string): Record<string, CsvTable> {
  const files: Record<string, CsvTable> = { 'manifest.csv': manifest(Object.fromEntries(ONEROSTER_FILES.map((f) => [f, 'delta']))) };
  for (const f of ONEROSTER_FILES) {
    const d = delta[f];
    files[f] = {
      header: ONEROSTER_HEADERS[f],
      rows: d.added.length && d.updated.length ? d.added.concat(d.updated) : d.added.length ? d.added : d.updated,
      extra: { status: 'active', dateLastModified: stamp },
      tail: { rows: d.removed, extra: { status: 'tobedeleted', dateLastModified: stamp } },
    };
  }
  return files;
}

function manifest(modes: Record<string, 'bulk' | 'delta'>): CsvTable {
  const rows: Row[] = [
    { propertyName: 'manifest.version', value: '1.0' },
    { propertyName: 'oneroster.version', value: '1.2' },
  ];
  for (const f of ONEROSTER_ALL_FILES) rows.push({ propertyName: `file.${f}`, value: modes[`${f}.csv`] ?? 'absent' });
  rows.push({ propertyName: 'source.systemName', value: 'Schoolgate readout' }, { propertyName: 'source.systemCode', value: 'schoolgate-readout' });
  return { header: ['propertyName', 'value'], rows };
}
