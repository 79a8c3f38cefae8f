import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { STAFF_ROLES } from './roles.ts';
import { compositeId, outputId as id1 } from './rules.ts';
import type { GuardianLink, OutPerson, OutRole, SelectionView } from './select.ts';

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

/**
 * The values of one line {@link csvLine} made (without its CRLF), by `header`: each field as
 * {@link field} wrote it, so writing the row again gives the same bytes (a value's line breaks were
 * spaces already).
 */
export function parseCsvLine(header: readonly string[], line: string): Row {
  const row: Row = {};
  let at = 0;
  for (let j = 0; j < header.length; j++) {
    let v: string;
    if (line[at] === '"') {
      v = '';
      at++;
      for (;;) {
        const q = line.indexOf('"', at);
        if (q < 0) throw new Error('readout: unterminated quoted CSV field');
        v += line.slice(at, q);
        if (line[q + 1] === '"') {
          v += '"';
          at = q + 2;
        } else {
          at = q + 1;
          break;
        }
      }
    } else {
      const comma = line.indexOf(',', at);
      const end = comma < 0 ? line.length : comma;
      v = line.slice(at, end);
      at = end;
    }
    row[header[j]!] = v;
    at++; // the comma
  }
  return row;
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

/** One CSV line (with CRLF) of `r` in `header` order; `extra` overrides some columns. */
export function csvLine(header: readonly string[], r: Row, extra?: Row): string {
  let line = '';
  for (let j = 0; j < header.length; j++) {
    const h = header[j]!;
    line += (j ? ',' : '') + field(extra && h in extra ? extra[h] : r[h]);
  }
  return line + '\r\n';
}

/**
 * A CSV file written as rows arrive, in ~1 MB writes: no file, and no file's rows, is ever held
 * whole in memory. Without a header it is a fragment, later appended to another file.
 */
export class CsvFile {
  private readonly fd: number;
  /** Lines are encoded into this buffer at once, so they die young (no strings pile up per file). */
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  /** Data rows written (the header not counted). */
  rows = 0;
  constructor(
    readonly path: string,
    readonly header: readonly string[],
    writeHeader = true,
  ) {
    this.fd = openSync(path, 'w');
    if (writeHeader) this.put(header.map(field).join(',') + '\r\n');
  }
  row(r: Row, extra?: Row): void {
    this.put(csvLine(this.header, r, extra));
    this.rows++;
  }
  /** A line {@link csvLine} made (with its CRLF). */
  line(s: string): void {
    this.put(s);
    this.rows++;
  }
  /** Lines already made (CSV with CRLF, `rows` of them) as UTF-8 bytes. */
  bytes(b: Uint8Array, rows: number): void {
    if (this.pos + b.length > this.buf.length) {
      this.flush();
      if (b.length > this.buf.length) {
        writeSync(this.fd, b);
        this.rows += rows;
        return;
      }
    }
    this.buf.set(b, this.pos);
    this.pos += b.length;
    this.rows += rows;
  }
  private put(s: string): void {
    if (this.pos + s.length * 3 > this.buf.length) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        writeSync(this.fd, s);
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos);
  }
  /** Appends another file's bytes (a fragment written earlier), in 1 MB reads. */
  append(path: string): void {
    this.flush();
    const from = openSync(path, 'r');
    try {
      for (let n; (n = readSync(from, this.buf, 0, this.buf.length, null)) > 0;) writeSync(this.fd, this.buf, 0, n);
    } finally {
      closeSync(from);
    }
  }
  private flush(): void {
    if (this.pos) writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A table whose rows are produced as it is written (each call of `rows` walks the selection again). */
export interface LazyTable {
  header: readonly string[];
  rows(): Iterable<Row>;
}

/** Writes a {@link LazyTable} into a new CSV file; returns how many rows. */
export function writeLazyTable(path: string, t: LazyTable): number {
  const f = new CsvFile(path, t.header);
  try {
    for (const r of t.rows()) f.row(r);
  } finally {
    f.close();
  }
  return f.rows;
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
    'metadata.civicNo',
    'metadata.streetAddress',
    'metadata.postalCode',
    'metadata.locality',
    'metadata.country',
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
} as const;
export type OneRosterFile = keyof typeof ONEROSTER_HEADERS;
export const ONEROSTER_FILES = Object.keys(ONEROSTER_HEADERS) as OneRosterFile[];

/** Every file OneRoster 1.2 defines, for the manifest; those we do not write are "absent". */
const ONEROSTER_ALL_FILES = [
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

/** Both formats' staff role from the one mapping (roles.ts); a role without a mapped title is a teacher's, as before. */
const sdsStaffRole = (r: OutRole) => STAFF_ROLES[r.staffRole ?? 'teacher'].sds;
const oneRosterStaffRole = (r: OutRole) => STAFF_ROLES[r.staffRole ?? 'teacher'].oneroster;

const guardianRole = (relationType?: string) => (relationType === 'Vårdnadshavare' || !relationType ? 'guardian' : 'relative');

export type SdsFile = keyof typeof SDS_HEADERS;

/**
 * The SDS v2.1 file set: the same eight files every run, so SDS never reads a missing file as
 * "all gone". Rows are built as each file is written ({@link sdsTables} has them in arrays).
 */
export function sdsLazyTables(sel: SelectionView): Record<SdsFile, LazyTable> {
  const s = sel.session;
  const table = (f: SdsFile, rows: () => Iterable<Row>): LazyTable => ({ header: SDS_HEADERS[f], rows });
  return {
    'orgs.csv': table('orgs.csv', () => sel.schools.map((o) => ({ sourcedId: id1(o.id), name: o.name, type: 'school', parentSourcedId: '' }))),
    'users.csv': table('users.csv', function* () {
      for (const p of sel.people) yield sdsUserRow(p);
    }),
    'roles.csv': table('roles.csv', function* () {
      for (const p of sel.people) yield* sdsRoleRows(p, s.id);
    }),
    'academicSessions.csv': table('academicSessions.csv', () => [
      { sourcedId: s.id, title: s.title, type: 'schoolYear', schoolYear: s.schoolYear, startDate: s.startDate, endDate: s.endDate },
    ]),
    'courses.csv': table('courses.csv', () => {
      // One course per courseId: a later team's values win, the first one's position stays (Map.set).
      const courses = new Map<string, Row>();
      for (const t of sel.teams) {
        courses.set(t.courseId, {
          sourcedId: t.courseId,
          orgSourcedId: id1(t.schoolId),
          title: t.courseTitle,
          code: t.courseCode ?? t.subjectCode ?? '',
          schoolYearSourcedId: s.id,
          subject: t.subjectCode ?? '',
          grade: '',
        });
      }
      return courses.values();
    }),
    'classes.csv': table('classes.csv', function* () {
      for (const t of sel.teams) yield { sourcedId: t.id, orgSourcedId: id1(t.schoolId), title: t.title, sessionSourcedIds: s.id, courseSourcedId: t.courseId };
    }),
    'enrollments.csv': table('enrollments.csv', function* () {
      for (const m of sel.memberships) yield { classSourcedId: m.teamId, userSourcedId: id1(m.personId), role: m.role };
    }),
    'relationships.csv': table('relationships.csv', function* () {
      for (const p of sel.people) yield* sdsRelationshipRows(p);
    }),
  };
}

/** A person's SDS users.csv row. */
function sdsUserRow(p: OutPerson): Row {
  return {
    sourcedId: id1(p.id),
    username: p.username,
    givenName: p.givenName,
    familyName: p.familyName,
    password: '',
    activeDirectoryMatchId: '',
    email: p.email ?? '',
    phone: p.phone ?? '',
    sms: '',
  };
}
/** A person's SDS roles.csv rows, the first role primary. */
function* sdsRoleRows(p: OutPerson, session: string): Generator<Row> {
  for (let i = 0; i < p.roles.length; i++) {
    const r = p.roles[i]!;
    yield {
      userSourcedId: id1(p.id),
      orgSourcedId: id1(r.schoolId),
      role: r.role === 'student' ? 'student' : sdsStaffRole(r),
      sessionSourcedId: session,
      grade: r.grade ?? '',
      isPrimary: i === 0 ? 'TRUE' : 'FALSE',
      roleStartDate: r.start ?? '',
      roleEndDate: r.end ?? '',
    };
  }
}
/** A guardian's SDS relationships.csv rows. */
function* sdsRelationshipRows(p: OutPerson): Generator<Row> {
  for (const g of p.guardianOf) yield { userSourcedId: id1(g.studentId), relationshipUserSourcedId: id1(p.id), relationshipRole: guardianRole(g.relationType) };
}

/** The SDS files made of people, written in one walk of them (each walk of a store parses every person again). */
export const SDS_PEOPLE_FILES = ['users.csv', 'roles.csv', 'relationships.csv'] as const;

/** The SDS people files as rows arrive, one person at a time (a walk of the people shared with OneRoster's files). */
export class SdsPeopleFiles {
  private readonly files: Record<(typeof SDS_PEOPLE_FILES)[number], CsvFile>;
  constructor(
    dir: string,
    private readonly session: string,
  ) {
    this.files = Object.fromEntries(SDS_PEOPLE_FILES.map((f) => [f, new CsvFile(join(dir, f), SDS_HEADERS[f])])) as typeof this.files;
  }
  add(p: OutPerson): void {
    this.files['users.csv'].row(sdsUserRow(p));
    for (const r of sdsRoleRows(p, this.session)) this.files['roles.csv'].row(r);
    for (const r of sdsRelationshipRows(p)) this.files['relationships.csv'].row(r);
  }
  /** A person's lines as {@link sdsPersonLines} made them, as UTF-8 bytes. */
  bytes(users: Uint8Array, roles: Uint8Array, rolesRows: number, relationships: Uint8Array, relationshipsRows: number): void {
    this.files['users.csv'].bytes(users, 1);
    this.files['roles.csv'].bytes(roles, rolesRows);
    this.files['relationships.csv'].bytes(relationships, relationshipsRows);
  }
  /** Lines of one of the files (CSV with CRLF, `rows` of them) as UTF-8 bytes: a previous run's, carried over. */
  section(f: (typeof SDS_PEOPLE_FILES)[number], b: Uint8Array, rows: number): void {
    this.files[f].bytes(b, rows);
  }
  /** Closes the files; the rows written per file. */
  close(): Record<(typeof SDS_PEOPLE_FILES)[number], number> {
    for (const f of SDS_PEOPLE_FILES) this.files[f].close();
    return Object.fromEntries(SDS_PEOPLE_FILES.map((f) => [f, this.files[f].rows])) as Record<(typeof SDS_PEOPLE_FILES)[number], number>;
  }
}

/** A person's lines of SDS's people files (CSV with CRLF), what {@link SdsPeopleFiles.add} writes. */
export function sdsPersonLines(p: OutPerson, session: string): { users: string; roles: string[]; relationships: string[] } {
  return {
    users: csvLine(SDS_HEADERS['users.csv'], sdsUserRow(p)),
    roles: [...sdsRoleRows(p, session)].map((r) => csvLine(SDS_HEADERS['roles.csv'], r)),
    relationships: [...sdsRelationshipRows(p)].map((r) => csvLine(SDS_HEADERS['relationships.csv'], r)),
  };
}

/**
 * Writes the SDS v2.1 file set into `dir` (it exists): the people's three files in one walk of the
 * people, the others as {@link sdsLazyTables} has them. The same bytes as writing each lazy table.
 * Without `people` the people's files are left to the caller (a run writes them in the OneRoster
 * pass's walk of the people, with {@link SdsPeopleFiles}) and are not in the result. Returns the
 * rows per file written, in the set's order.
 */
export function writeSdsFiles(dir: string, sel: SelectionView, people = true): Partial<Record<SdsFile, number>> {
  const rows: Partial<Record<SdsFile, number>> = {};
  let peopleRows: Record<(typeof SDS_PEOPLE_FILES)[number], number> | undefined;
  if (people) {
    const files = new SdsPeopleFiles(dir, sel.session.id);
    try {
      for (const p of sel.people) files.add(p);
    } finally {
      peopleRows = files.close();
    }
  }
  // In the set's own order (the report lists the files so).
  for (const [f, table] of Object.entries(sdsLazyTables(sel)) as [SdsFile, LazyTable][]) {
    if (!(SDS_PEOPLE_FILES as readonly string[]).includes(f)) rows[f] = writeLazyTable(join(dir, f), table);
    else if (peopleRows) rows[f] = peopleRows[f as (typeof SDS_PEOPLE_FILES)[number]];
  }
  return rows;
}

/** The SDS v2.1 file set with every row built (tests, small worlds; a run writes {@link sdsLazyTables}). */
export function sdsTables(sel: SelectionView): Record<SdsFile, CsvTable> {
  const lazy = sdsLazyTables(sel);
  return Object.fromEntries(Object.entries(lazy).map(([f, t]) => [f, { header: t.header, rows: [...t.rows()] }])) as Record<SdsFile, CsvTable>;
}

/** OneRoster rows per file, keyed by sourcedId, without status/dateLastModified (added per mode). */
export type OneRosterRows = Record<OneRosterFile, Map<string, Row>>;

function userRow(p: OutPerson): Row {
  const agents = [...p.guardianOf.map((g) => id1(g.studentId))];
  return {
    sourcedId: id1(p.id),
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
    primaryOrgSourcedId: p.roles[0] ? id1(p.roles[0].schoolId) : '',
    pronouns: '',
    'metadata.civicNo': p.civicNo ?? '',
    'metadata.streetAddress': p.address?.streetAddress ?? '',
    'metadata.postalCode': p.address?.postalCode ?? '',
    'metadata.locality': p.address?.locality ?? '',
    'metadata.country': p.address?.country ?? '',
  };
}

/**
 * OneRoster rows per file as `[sourcedId, row]` pairs, built as they are walked, in the order and
 * with the outcome of filling one Map per file (a repeated sourcedId keeps its first position and
 * its last values). A run writes, digests and stores each row as it comes and keeps none of them.
 */
export function oneRosterStreams(sel: SelectionView): Record<OneRosterFile, () => Iterable<[string, Row]>> {
  const s = sel.session;
  return {
    'academicSessions.csv': () => [
      [
        s.id,
        { sourcedId: s.id, title: s.title, type: 'schoolYear', startDate: s.startDate, endDate: s.endDate, parentSourcedId: '', schoolYear: s.schoolYear },
      ],
    ],
    'orgs.csv': () =>
      lastWins(
        sel.schools.map((o): [string, Row] => [
          id1(o.id),
          { sourcedId: id1(o.id), name: o.name, type: 'school', identifier: o.schoolUnitCode ?? o.organisationCode ?? '', parentSourcedId: '' },
        ]),
      ),
    'courses.csv': () =>
      lastWins(
        mapped(sel.teams, (t): [string, Row] => [
          t.courseId,
          {
            sourcedId: t.courseId,
            schoolYearSourcedId: s.id,
            title: t.courseTitle,
            courseCode: t.courseCode ?? t.subjectCode ?? '',
            grades: '',
            orgSourcedId: id1(t.schoolId),
            subjects: '',
            subjectCodes: t.subjectCode ?? '',
          },
        ]),
      ),
    // Team ids are distinct (a group's id, or it and a syllabus id joined by `.`, which no output id holds): streamed as they come.
    'classes.csv': () =>
      mapped(sel.teams, (t): [string, Row] => [
        t.id,
        {
          sourcedId: t.id,
          title: t.title,
          grades: '',
          courseSourcedId: t.courseId,
          classCode: id1(t.groupId),
          classType: t.groupType === 'Undervisning' ? 'scheduled' : 'homeroom',
          location: '',
          schoolSourcedId: id1(t.schoolId),
          termSourcedIds: s.id,
          subjects: '',
          subjectCodes: t.subjectCode ?? '',
          periods: '',
        },
      ]),
    'users.csv': function* () {
      const agents = new AgentsOf(sel);
      for (const p of distinctPeople(sel)) yield oneRosterUserRow(p, agents.of(p.id));
    },
    'roles.csv': function* () {
      const schoolOf = wardSchoolsOf(sel);
      for (const p of distinctPeople(sel)) yield* oneRosterRoleRows(p, schoolOf);
    },
    'enrollments.csv': function* () {
      let schoolOf = sel.teamSchoolOf;
      if (!schoolOf) {
        const byTeam = new Map<string, string>();
        for (const t of sel.teams) byTeam.set(t.id, t.schoolId);
        schoolOf = (id) => byTeam.get(id);
      }
      // (team, person) pairs are distinct by construction in `select`.
      for (const m of sel.memberships) {
        // A team id is already an output id; the person's part has no `.`, so the pair stays unique.
        const id = `${m.teamId}.${id1(m.personId)}`;
        const school = schoolOf(m.teamId);
        yield [
          id,
          {
            sourcedId: id,
            classSourcedId: m.teamId,
            schoolSourcedId: school ? id1(school) : '',
            userSourcedId: id1(m.personId),
            role: m.role,
            primary: 'false',
            beginDate: '',
            endDate: '',
          },
        ];
      }
    },
  };
}

/**
 * A student's guardians as agents, for people asked in id order: the links come in student-id order
 * too, so one merging walk of them, no index of either.
 */
export class AgentsOf {
  private readonly links: Iterator<GuardianLink>;
  private link: IteratorResult<GuardianLink>;
  constructor(sel: SelectionView) {
    this.links = guardianLinksOf(sel)[Symbol.iterator]();
    this.link = this.links.next();
  }
  /** The guardians' output ids of `personId` (ids asked in ascending order). */
  of(personId: string): string[] {
    while (!this.link.done && this.link.value.studentId < personId) this.link = this.links.next();
    const guardians: string[] = [];
    for (; !this.link.done && this.link.value.studentId === personId; this.link = this.links.next()) guardians.push(id1(this.link.value.guardianId));
    return guardians;
  }
}

/** A person's OneRoster users.csv row: a student's agents are their guardians (after any of their own); a guardian's are their students. */
export function oneRosterUserRow(p: OutPerson, guardians: string[]): [string, Row] {
  const row = userRow(p);
  if (guardians.length) row.agentSourcedIds = row.agentSourcedIds ? `${row.agentSourcedIds},${guardians.join(',')}` : guardians.join(',');
  return [row.sourcedId!, row];
}

/** For a guardian, the school of each of their students' first role (keyed by student id). */
export type WardSchools = (p: OutPerson) => (studentId: string) => string | undefined;

/**
 * The schools of guardians' students for people asked in id order: from the selection's
 * {@link SelectionView.wardSchools} in one merging walk, else by looking each student up.
 */
export function wardSchoolsOf(sel: SelectionView): WardSchools {
  if (sel.wardSchools) {
    const it = sel.wardSchools[Symbol.iterator]();
    let next = it.next();
    return (p) => {
      if (!p.guardianOf.length) return () => undefined;
      while (!next.done && next.value.guardianId < p.id) next = it.next();
      const schools = new Map<string, string>();
      for (; !next.done && next.value.guardianId === p.id; next = it.next()) schools.set(next.value.studentId, next.value.schoolId);
      return (id) => schools.get(id);
    };
  }
  let schoolOf = sel.firstSchoolOf;
  if (!schoolOf) {
    const schoolOfPerson = new Map<string, string>();
    for (const p of sel.people) if (p.roles[0]) schoolOfPerson.set(p.id, p.roles[0].schoolId);
    schoolOf = (id) => schoolOfPerson.get(id);
  }
  const f = schoolOf;
  return () => f;
}

/** A person's OneRoster roles.csv rows: their own roles, then a guardian's at their students' schools. */
export function oneRosterRoleRows(p: OutPerson, wardSchools: WardSchools): Iterable<[string, Row]> {
  // Role ids start with the person's id: one person's roles never collide with another's.
  const own = new Map<string, Row>();
  for (const r of p.roles) {
    const role = r.role === 'student' ? 'student' : oneRosterStaffRole(r);
    const id = compositeId(p.id, r.schoolId, role);
    own.set(id, {
      sourcedId: id,
      userSourcedId: id1(p.id),
      roleType: r === p.roles[0] ? 'primary' : 'secondary',
      role,
      beginDate: r.start ?? '',
      endDate: r.end ?? '',
      orgSourcedId: id1(r.schoolId),
      userProfileSourcedId: '',
    });
  }
  if (p.guardianOf.length) {
    const schoolOf = wardSchools(p);
    for (const g of p.guardianOf) {
      const org = schoolOf(g.studentId);
      if (!org) continue;
      const role = guardianRole(g.relationType);
      const id = compositeId(p.id, org, role);
      if (!own.has(id))
        own.set(id, {
          sourcedId: id,
          userSourcedId: id1(p.id),
          roleType: p.roles.length ? 'secondary' : 'primary',
          role,
          beginDate: '',
          endDate: '',
          orgSourcedId: id1(org),
          userProfileSourcedId: '',
        });
    }
  }
  return own;
}

/** `select` builds people in a Map: each id comes once. Checked, since the writers rely on it. */
export function* distinctPeople(sel: SelectionView): Generator<OutPerson> {
  let last: string | undefined;
  for (const p of sel.people) {
    if (p.id === last) throw new Error(`readout: person ${p.id} twice in the selection`);
    last = p.id;
    yield p;
  }
}
/** Small files (schools, courses) through a Map: first position, last values per sourcedId. */
function lastWins(rows: Iterable<[string, Row]>): Iterable<[string, Row]> {
  return new Map(rows).entries();
}
function* mapped<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of items) yield f(t);
}
/** Guardian links in (student id, guardian id) order: the selection's, or derived from its people (already in id order). */
function guardianLinksOf(sel: SelectionView): Iterable<GuardianLink> {
  if (sel.guardianLinks) return sel.guardianLinks;
  const links: GuardianLink[] = [];
  for (const p of sel.people) for (const g of p.guardianOf) links.push({ studentId: g.studentId, guardianId: p.id });
  // Stable: one student's guardians stay in the people's (id) order.
  return links.sort((a, b) => (a.studentId < b.studentId ? -1 : a.studentId > b.studentId ? 1 : 0));
}

/** OneRoster rows per file in Maps (tests, small worlds; a run walks {@link oneRosterStreams}). */
export function oneRosterRows(sel: SelectionView): OneRosterRows {
  const streams = oneRosterStreams(sel);
  return Object.fromEntries(ONEROSTER_FILES.map((f) => [f, new Map(streams[f]())])) as OneRosterRows;
}

/**
 * The OneRoster manifest: every file the standard defines, ours in `mode`, the rest "absent". With
 * `written`, only those of ours are in `mode` (a delta set leaves out files without a change).
 */
export function manifest(mode: 'bulk' | 'delta', written?: ReadonlySet<string>): CsvTable {
  const modes: Record<string, string> = Object.fromEntries(ONEROSTER_FILES.filter((f) => !written || written.has(f)).map((f) => [f, mode]));
  const rows: Row[] = [
    { propertyName: 'manifest.version', value: '1.0' },
    { propertyName: 'oneroster.version', value: '1.2' },
  ];
  for (const f of ONEROSTER_ALL_FILES) rows.push({ propertyName: `file.${f}`, value: modes[`${f}.csv`] ?? 'absent' });
  rows.push({ propertyName: 'source.systemName', value: 'Schoolgate readout' }, { propertyName: 'source.systemCode', value: 'schoolgate-readout' });
  return { header: ['propertyName', 'value'], rows };
}
