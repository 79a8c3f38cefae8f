import { createHash } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { entityTable, type SourceDb } from './kept-store.ts';
import { personCodec, type Activity, type Duty, type EntityName, type Group, type Person, type Responsible, type Snapshot } from './model.ts';
import type { RoleMapping } from './roles.ts';
import {
  activityCurrent,
  addDays,
  dateWindow,
  groupRules,
  guardianRules,
  membershipRule,
  schoolRules,
  staffRules,
  studentRules,
  type Verdict,
} from './rules.ts';
import { sortKey } from './scratch.ts';
import {
  academicSession,
  addStaffRoles,
  appended,
  dutyCounting,
  outPerson,
  outSchool,
  outTeam,
  byUsernameRank,
  grade,
  pickEmail,
  suffixedUsername,
  type Category,
  type GuardianLink,
  type KeptPeopleRows,
  type OutMembership,
  type OutPerson,
  type OutSchool,
  type OutTeam,
  type SelectOptions,
  type StreamSelectResult,
  type Tally,
  warnDutiesNotCountedBelow,
  type WarningSink,
} from './select.ts';

/**
 * The selection kept between runs, per unit, in the kept store (kept-store.ts) beside the source's
 * records: per person (student, staff, guardian in one) its verdicts' tallies, its kept person and
 * guardian links, and the date its verdicts next turn; per group its teams, memberships and tallies,
 * and that date too; and the reverse indexes that say who depends on a changed record (a student's
 * guardians, a person's duties, a group's members, an activity's groups, teachers and syllabus).
 *
 * A full evaluation fills it from every record. A delta run re-evaluates only the units the change
 * touches — the changed and deleted records' own units, their dependants (a student's guardians when
 * the student's verdict turns, a group's when a member's kept role or a teacher's kept duty changes,
 * the groups of a changed activity or syllabus), and the units whose next change date has come — and
 * everything when the kept schools, the organisation tree or the rules' configuration changed. The
 * writers then walk the kept tables in output order (each is keyed by its sort key), so the files are
 * those a full evaluation makes: `test/readout/delta-equals-full.test.ts` holds it to that.
 *
 * What it computes is what `selectInto` (select.ts) computes, unit by unit; `select` stays the
 * reference (tests, `readout explain`).
 */

// 5: the tables below (4: people's rows with their JSON; 3: no sel_rows; 2: sel_links without the student's school). A store with
// another version (or none) is evaluated in full. Bump it too when the people's rows are built
// differently (run.ts, writers.ts): sel_rows holds them as the last version built them.
const SELECTION_FORMAT = 'kept-selection/5';

/** What changed in the source since the last run: ids per entity, changed or deleted. */
export type SourceChanges = Record<EntityName, Iterable<string>>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ix_duty (duty_id TEXT PRIMARY KEY, person_id TEXT);
CREATE INDEX IF NOT EXISTS ix_duty_person ON ix_duty (person_id);
CREATE TABLE IF NOT EXISTS ix_resp (student_id TEXT NOT NULL, ord INTEGER NOT NULL, student_seq INTEGER NOT NULL, guardian_id TEXT NOT NULL, rel TEXT NOT NULL,
  PRIMARY KEY (student_id, ord));
CREATE INDEX IF NOT EXISTS ix_resp_guardian ON ix_resp (guardian_id, student_seq, ord);
CREATE TABLE IF NOT EXISTS ix_member (group_id TEXT NOT NULL, person_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_member_group ON ix_member (group_id);
CREATE INDEX IF NOT EXISTS ix_member_person ON ix_member (person_id);
CREATE TABLE IF NOT EXISTS ix_act (activity_id TEXT NOT NULL, ord INTEGER NOT NULL, group_id TEXT NOT NULL, PRIMARY KEY (activity_id, ord));
CREATE INDEX IF NOT EXISTS ix_act_group ON ix_act (group_id);
CREATE TABLE IF NOT EXISTS ix_teacher (activity_id TEXT NOT NULL, duty_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_teacher_activity ON ix_teacher (activity_id);
CREATE INDEX IF NOT EXISTS ix_teacher_duty ON ix_teacher (duty_id);
CREATE TABLE IF NOT EXISTS ix_syllabus (activity_id TEXT PRIMARY KEY, syllabus_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_syllabus_syllabus ON ix_syllabus (syllabus_id);
CREATE TABLE IF NOT EXISTS u_student (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS u_person (id TEXT PRIMARY KEY, next_change TEXT, t_student TEXT, t_staff TEXT, t_guardian TEXT);
CREATE TABLE IF NOT EXISTS u_counts (cat TEXT NOT NULL, rule TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (cat, rule)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS u_missing (id TEXT PRIMARY KEY, staff INTEGER NOT NULL, guardian INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS u_person_next ON u_person (next_change);
CREATE TABLE IF NOT EXISTS u_group (id TEXT PRIMARY KEY, next_change TEXT);
CREATE INDEX IF NOT EXISTS u_group_next ON u_group (next_change);
CREATE TABLE IF NOT EXISTS u_tally (unit TEXT NOT NULL, cat TEXT NOT NULL, rule TEXT NOT NULL, n INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS u_tally_unit ON u_tally (unit);
CREATE TABLE IF NOT EXISTS u_warn (unit TEXT NOT NULL, ord INTEGER NOT NULL, w TEXT NOT NULL, PRIMARY KEY (unit, ord));
CREATE TABLE IF NOT EXISTS sel_people (sk BLOB PRIMARY KEY, id TEXT NOT NULL, role INTEGER NOT NULL, base TEXT NOT NULL, lbase TEXT NOT NULL,
  username TEXT NOT NULL, lusername TEXT NOT NULL, first_school TEXT, fk_phase INTEGER NOT NULL, fk_seq INTEGER NOT NULL, fk_ord INTEGER NOT NULL, v TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sel_people_id ON sel_people (id, role, first_school);
CREATE INDEX IF NOT EXISTS sel_people_lbase ON sel_people (lbase);
CREATE INDEX IF NOT EXISTS sel_people_lusername ON sel_people (lusername);
CREATE INDEX IF NOT EXISTS sel_people_suffixed ON sel_people (lbase) WHERE username <> base;
CREATE TABLE IF NOT EXISTS sel_kept_duty (duty_id TEXT PRIMARY KEY, person_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sel_kept_duty_person ON sel_kept_duty (person_id);
CREATE TABLE IF NOT EXISTS sel_links (student_sk BLOB NOT NULL, guardian_sk BLOB NOT NULL, student_id TEXT NOT NULL, guardian_id TEXT NOT NULL, school TEXT);
CREATE INDEX IF NOT EXISTS sel_links_order ON sel_links (student_sk, guardian_sk, student_id, guardian_id);
CREATE INDEX IF NOT EXISTS sel_links_guardian ON sel_links (guardian_id);
CREATE INDEX IF NOT EXISTS sel_links_ward ON sel_links (guardian_sk, guardian_id, student_id, school);
CREATE TABLE IF NOT EXISTS sel_rows (sk BLOB PRIMARY KEY, b BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sel_rows_next (sk BLOB PRIMARY KEY, b BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sel_teams (sk BLOB PRIMARY KEY, id TEXT NOT NULL, group_id TEXT NOT NULL, school TEXT NOT NULL, v TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sel_teams_id ON sel_teams (id, school);
CREATE INDEX IF NOT EXISTS sel_teams_group ON sel_teams (group_id);
CREATE TABLE IF NOT EXISTS sel_members (team_sk BLOB NOT NULL, person_sk BLOB NOT NULL, group_id TEXT NOT NULL, team_id TEXT NOT NULL, person_id TEXT NOT NULL,
  role TEXT NOT NULL, PRIMARY KEY (team_sk, person_sk)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sel_members_group ON sel_members (group_id);
`;
/** The schema's statements that make indexes, by the table they index: a full evaluation makes them once a table is filled (a sort, not a b-tree insert per row). */
const INDEXES = SCHEMA.split(';')
  .map((x) => x.trim())
  .filter((x) => /^CREATE (UNIQUE )?INDEX/.test(x));
const indexesOn = (prefix: string) => INDEXES.filter((x) => new RegExp(`\\bON ${prefix}`).test(x)).join(';\n');
const TABLES = [
  'ix_duty',
  'ix_resp',
  'ix_member',
  'ix_act',
  'ix_teacher',
  'ix_syllabus',
  'u_student',
  'u_person',
  'u_counts',
  'u_missing',
  'u_group',
  'u_tally',
  'u_warn',
  'sel_people',
  'sel_kept_duty',
  'sel_links',
  'sel_rows',
  'sel_rows_next',
  'sel_teams',
  'sel_members',
];

/** A warning a unit gave: a plain one (the report's list) or a named one (its arguments to Warnings.add). */
type UnitWarning = { plain: string } | { named: [code: string, message: string, affects: string[], example: string] };

/** Dates that make a verdict turn: with tolerance t, a start counts from start − t, an end from end + t. */
class NextChange {
  best: string | null = null;
  constructor(
    private readonly today: string,
    private readonly tolerance: number,
  ) {}
  add(d: string | undefined): void {
    if (!d) return;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) {
      // Not a date the calendar can move: compared as text it may still turn any day; looked at again tomorrow.
      this.take(addDays(this.today, 1));
      return;
    }
    this.take(addDays(d, -this.tolerance));
    this.take(addDays(d, this.tolerance));
  }
  private take(c: string): void {
    if (c > this.today && (this.best === null || c < this.best)) this.best = c;
  }
}

/** The selection's configuration and school tree: when it differs from the last run's, everything is evaluated again. */
function fingerprint(o: SelectOptions, keptSchools: string[], parents: [string, string][]): string {
  // The school year: the people's kept rows name it (SDS roles), so a new one builds them all again.
  const session = academicSession(o.today).id;
  const rules = {
    toleranceDays: o.toleranceDays,
    municipalityCode: o.municipalityCode ?? null,
    schoolTypes: o.schoolTypes ?? null,
    exportAddress: o.exportAddress,
    exportCivicNo: o.exportCivicNo,
    dutiesOnParentOrganisations: o.dutiesOnParentOrganisations ?? null,
    roles: o.roles ?? null,
  };
  return createHash('sha256')
    .update(JSON.stringify([SELECTION_FORMAT, rules, keptSchools, parents, session]))
    .digest('hex');
}

/** Rows of a statement as arrays. */
function arrays<R extends unknown[]>(st: StatementSync, ...params: (string | number | Buffer | null)[]): R[] {
  st.setReturnArrays(true);
  return st.all(...params) as unknown as R[];
}

export interface KeptSelectionResult extends StreamSelectResult {
  /** Whether every unit was evaluated (first run, full read, another configuration or school tree), and how many units were. */
  evaluated: { full: boolean; reason?: string; persons: number; groups: number };
}

/**
 * Applies the rules to `snap` (the kept store's own tables) and keeps the outcome in the store.
 * With `changes` (a delta read into the store) only the units they touch are evaluated; without,
 * everything is.
 */
export function evaluateKept(store: SourceDb, snap: Snapshot, o: SelectOptions, changes?: SourceChanges): KeptSelectionResult {
  const db = store.db;
  store.begin();
  // The maps insert what was set in batches: asking their size puts every record in its table, where the queries below read them.
  for (const e of ['organisations', 'persons', 'duties', 'groups', 'activities', 'syllabuses'] as const) void snap[e].size;
  const today = o.today;
  const t = o.toleranceDays;

  // Schools: a few hundred, evaluated every run; they decide whether the rest can be evaluated in part.
  const schools: OutSchool[] = [];
  const keptSchools = new Set<string>();
  const schoolTally: Tally = { kept: 0, excluded: {} };
  const children = new Map<string, string[]>();
  const parents: [string, string][] = [];
  for (const org of snap.organisations.values()) {
    if (org.parentId) {
      children.set(org.parentId, appended(children.get(org.parentId), org.id));
      parents.push([org.id, org.parentId]);
    }
    const v = schoolRules(org, o);
    if (org.organisationType !== 'Skolenhet' && !v.kept) continue;
    count(schoolTally, v);
    if (!v.kept) continue;
    keptSchools.add(org.id);
    schools.push(outSchool(org));
  }
  schools.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  parents.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const { unitsBelow, roleMapping, dutyOptions } = dutyCounting(o, children, keptSchools);

  const print = fingerprint(o, [...keptSchools].sort(), parents);
  const lastToday = store.meta('selection_today');
  let reason: string | undefined;
  if (!changes) reason = 'the source was read in full';
  else if (store.meta('selection') !== print) reason = 'first evaluation, or the kept schools, the organisation tree or the rules changed';
  else if (lastToday !== undefined && today < lastToday) reason = 'the date went back';
  const full = reason !== undefined;
  if (full) {
    for (const tbl of TABLES) db.exec(`DROP TABLE IF EXISTS ${tbl}`);
    db.exec(
      SCHEMA.split(';')
        .filter((x) => !/^\s*CREATE (UNIQUE )?INDEX/.test(x))
        .join(';'),
    );
  } else {
    db.exec(SCHEMA);
    // Rows built by a run that did not finish: never kept.
    db.exec('DELETE FROM sel_rows_next');
  }

  const T = {
    persons: entityTable('persons'),
    duties: entityTable('duties'),
    groups: entityTable('groups'),
    activities: entityTable('activities'),
  };
  const q = prepare(db, T);

  /** A delta run's persons to evaluate again (a full evaluation walks them all instead: no set of every id). */
  const dirtyPersons = new Set<string>();
  let everyone = 0;
  const dirtyGroups = new Set<string>();

  // 1. The reverse indexes: what depended on a record before its change, and what does after.
  const indexPerson = (p: Person, seq: number) => {
    if (!p.enrolments.length) return;
    p.responsibles.forEach((r, i) => q.respAdd.run(p.id, i, seq, r.personId, JSON.stringify(r)));
  };
  const indexDuty = (d: Duty) => q.dutyAdd.run(d.id, d.personId ?? null);
  const indexGroup = (g: Group) => {
    for (const m of g.memberships) q.memberAdd.run(g.id, m.personId);
  };
  const indexActivity = (a: Activity) => {
    a.groupIds.forEach((g, i) => q.actAdd.run(a.id, i, g));
    for (const x of a.teachers) q.teacherAdd.run(a.id, x.dutyId);
    if (a.syllabusId) q.syllabusAdd.run(a.id, a.syllabusId);
  };
  const studentKept = (p: Person) => p.enrolments.length > 0 && studentRules(p, keptSchools, o).kept;
  const isStudent = (id: string) => q.studentFlag.get(id) !== undefined;
  if (full) {
    // Students' verdicts first: a guardian's depends on them. Persons are walked in the table's order.
    for (const [p, seq] of everyPerson(db, T.persons)) {
      indexPerson(p, seq);
      if (studentKept(p)) q.studentAdd.run(p.id);
      everyone++;
    }
    for (const d of snap.duties.values()) indexDuty(d);
    for (const g of snap.groups.values()) {
      indexGroup(g);
      dirtyGroups.add(g.id);
    }
    for (const a of snap.activities.values()) indexActivity(a);
    db.exec(indexesOn('ix_'));
  } else {
    for (const id of changes!.persons) {
      dirtyPersons.add(id);
      for (const [g] of arrays<[string]>(q.respGuardians, id)) dirtyPersons.add(g);
      q.respDel.run(id);
      const r = q.seqOf.get(id) as { seq: number; json: string } | undefined;
      if (r) {
        const p = personCodec.decode(JSON.parse(r.json));
        indexPerson(p, Number(r.seq));
        for (const x of p.enrolments.length ? p.responsibles : []) dirtyPersons.add(x.personId);
      }
    }
    for (const id of changes!.duties) {
      for (const [pid] of arrays<[string | null]>(q.dutyPerson, id)) if (pid) dirtyPersons.add(pid);
      q.dutyDel.run(id);
      const d = snap.duties.get(id);
      if (d) {
        indexDuty(d);
        if (d.personId) dirtyPersons.add(d.personId);
      }
    }
    for (const id of changes!.groups) {
      dirtyGroups.add(id);
      q.memberDel.run(id);
      const g = snap.groups.get(id);
      if (g) indexGroup(g);
    }
    for (const id of changes!.activities) {
      for (const [g] of arrays<[string]>(q.actGroups, id)) dirtyGroups.add(g);
      q.actDel.run(id);
      q.teacherDel.run(id);
      q.syllabusDel.run(id);
      const a = snap.activities.get(id);
      if (a) {
        indexActivity(a);
        for (const g of a.groupIds) dirtyGroups.add(g);
      }
    }
    for (const id of changes!.syllabuses) for (const [g] of arrays<[string]>(q.syllabusGroups, id)) dirtyGroups.add(g);
    // Units whose verdicts turn with the date, their records unchanged.
    for (const [id] of arrays<[string]>(q.personsDue, today)) dirtyPersons.add(id);
    for (const [id] of arrays<[string]>(q.groupsDue, today)) dirtyGroups.add(id);
    // 2. Students' verdicts first; a student kept or dropped makes their guardians' verdicts turn.
    for (const id of [...dirtyPersons]) {
      const p = snap.persons.get(id);
      const now = p !== undefined && studentKept(p);
      if (now === isStudent(id)) continue;
      if (now) q.studentAdd.run(id);
      else q.studentDel.run(id);
      for (const [g] of arrays<[string]>(q.respGuardians, id)) dirtyPersons.add(g);
    }
  }

  // 3. Persons: student, staff and guardian in one, as selectInto builds them phase by phase.
  /** The change in the counts of verdicts (a full evaluation: the counts), per category and rule ('' = kept). */
  const counted = new Map<string, number>();
  const tallyBy = (cat: string, rule: string | null | undefined, n: number) => {
    if (rule === null || rule === undefined) return;
    const k = `${cat}\t${rule}`;
    counted.set(k, (counted.get(k) ?? 0) + n);
  };
  const names = new Set<string>();
  /**
   * A delta run's persons whose published rows must be built again (their kept rows are dropped):
   * those evaluated, the students whose guardians' links changed (their agents), the guardians of an
   * evaluated student (the student's first school is where the guardian's role is), and those whose
   * username was made unique again.
   */
  const rowsStale = new Set<string>();
  const keptStudents = { has: isStudent };
  // A full evaluation asks for the duties only of the (few) persons who have some.
  const withDuties = full
    ? new Set(arrays<[string]>(db.prepare('SELECT DISTINCT person_id FROM ix_duty WHERE person_id IS NOT NULL')).map((r) => r[0]))
    : undefined;
  const toEvaluate: Iterable<[Person | undefined, number, string]> = full ? everyPerson(db, T.persons) : dirtyOnes(dirtyPersons, q);
  for (const [p, seq, id] of toEvaluate) {
    let old: { role: number; lbase: string } | undefined;
    let oldDuties = new Set<string>();
    if (!full) {
      old = q.personOld.get(id) as { role: number; lbase: string } | undefined;
      oldDuties = new Set(arrays<[string]>(q.keptDutiesOf, id).map((r) => r[0]));
      if (old) names.add(old.lbase);
      const was = q.personTallies.get(id) as { t_student: string | null; t_staff: string | null; t_guardian: string | null } | undefined;
      if (was) {
        tallyBy('students', was.t_student, -1);
        tallyBy('staff', was.t_staff, -1);
        tallyBy('guardians', was.t_guardian, -1);
      }
      q.personDel.run(id);
      q.peopleDel.run(id);
      q.keptDutyDel.run(id);
      for (const [st] of arrays<[string]>(q.linkedStudents, id)) rowsStale.add(st);
      q.linksDel.run(id);
      q.warnDel.run(`p:${id}`);
    }
    const unit = p ? evaluatePerson(p, seq, q, keptSchools, keptStudents, o, dutyOptions, unitsBelow, roleMapping, today, t, withDuties) : undefined;
    if (unit) {
      const { students, staff, guardians } = unit.tallies;
      if (students !== undefined || staff !== undefined || guardians !== undefined || unit.nextChange)
        q.personAdd.run(id, unit.nextChange, students ?? null, staff ?? null, guardians ?? null);
      tallyBy('students', students, 1);
      tallyBy('staff', staff, 1);
      tallyBy('guardians', guardians, 1);
      unit.warnings.forEach((w, i) => q.warnAdd.run(`p:${id}`, i, JSON.stringify(w)));
    }
    const out = unit?.out;
    if (out) {
      const role = out.kinds.includes('student') ? 1 : 0;
      const lbase = out.username.toLowerCase();
      if (!full) names.add(lbase); // a full evaluation makes every shared name unique: no set of every name
      q.peopleAdd.run(sortKey(id), id, role, out.username, lbase, out.username, lbase, out.roles[0]?.schoolId ?? null, ...unit!.firstKept, JSON.stringify(out));
      for (const d of unit!.keptDuties) q.keptDutyAdd.run(d, id);
      for (const l of unit!.links) {
        q.linkAdd.run(sortKey(l.studentId), sortKey(l.guardianId), l.studentId, l.guardianId);
        if (!full) rowsStale.add(l.studentId);
      }
    }
    if (full) continue;
    // Dependants: the groups the person is a member of when their kept role changed, and those they teach when their kept duties did.
    if ((old?.role ?? -1) !== (out ? (out.kinds.includes('student') ? 1 : 0) : -1)) for (const [g] of arrays<[string]>(q.memberGroups, id)) dirtyGroups.add(g);
    const nowDuties = new Set(unit?.keptDuties ?? []);
    for (const d of new Set([...oldDuties, ...nowDuties])) {
      if (oldDuties.has(d) && nowDuties.has(d)) continue;
      for (const [g] of arrays<[string]>(q.teacherGroups, d)) dirtyGroups.add(g);
    }
  }
  if (full) db.exec(indexesOn('sel_people'));
  // A duty changed to another person, both keeping it: the pair changed, not the set of either's duties.
  if (!full) for (const id of changes!.duties) for (const [g] of arrays<[string]>(q.teacherGroups, id)) dirtyGroups.add(g);

  // Persons referred to (by a duty, as a guardian) but absent from the source: warned about every run, kept track of as they come and go.
  if (full) {
    db.exec(`INSERT INTO u_missing (id, staff, guardian)
      SELECT id, max(staff), max(guardian) FROM (
        SELECT person_id AS id, 1 AS staff, 0 AS guardian FROM ix_duty WHERE person_id IS NOT NULL
        UNION ALL SELECT guardian_id, 0, 1 FROM ix_resp
      ) x WHERE NOT EXISTS (SELECT 1 FROM ${T.persons} p WHERE p.id = x.id) GROUP BY id`);
  } else {
    for (const id of dirtyPersons) {
      q.missingDel.run(id);
      if (snap.persons.has(id)) continue;
      const staff = q.dutyOf.get(id) !== undefined;
      const guardian = q.guardianOf.get(id) !== undefined;
      if (staff || guardian) q.missingAdd.run(id, staff ? 1 : 0, guardian ? 1 : 0);
    }
  }

  // Each link with its student's first school, what the guardian's OneRoster roles are at: set again
  // where the student (their school) or the guardian (their links) was evaluated.
  if (full) db.exec('UPDATE sel_links SET school = (SELECT p.first_school FROM sel_people p WHERE p.id = sel_links.student_id)');
  else
    for (const id of dirtyPersons) {
      q.wardSchoolOfStudent.run(id, sortKey(id));
      q.wardSchoolOfGuardian.run(id);
    }

  // 4. Usernames unique (compared without case) among the names the evaluated persons had or have.
  uniqueNames(db, q, full ? undefined : names, (id) => rowsStale.add(id));
  if (!full) {
    for (const id of dirtyPersons) {
      rowsStale.add(id);
      for (const [g] of arrays<[string]>(q.linkedGuardians, sortKey(id))) rowsStale.add(g);
    }
    for (const id of rowsStale) q.rowsDel.run(sortKey(id));
  }

  // 5. Groups: teams and memberships.
  for (const id of dirtyGroups) {
    if (!full) {
      for (const [cat, rule, n] of arrays<[string, string, number]>(q.groupTallies, `g:${id}`)) tallyBy(cat, rule, -Number(n));
      q.teamsDel.run(id);
      q.membersDel.run(id);
      q.tallyDel.run(`g:${id}`);
      q.warnDel.run(`g:${id}`);
      q.groupDel.run(id);
    }
    const g = snap.groups.get(id);
    if (!g) continue;
    const unit = evaluateGroup(g, q, snap, keptSchools, o, today, t);
    if (unit.nextChange) q.groupAdd.run(id, unit.nextChange);
    for (const [cat, rule, n] of unit.tallies) {
      q.tallyAdd.run(`g:${id}`, cat, rule, n);
      tallyBy(cat, rule, n);
    }
    unit.warnings.forEach((w, i) => q.warnAdd.run(`g:${id}`, i, JSON.stringify(w)));
    for (const team of unit.teams) q.teamAdd.run(sortKey(team.id), team.id, id, team.schoolId, JSON.stringify(team));
    for (const m of unit.memberships) q.memberRowAdd.run(sortKey(m.teamId), sortKey(m.personId), id, m.teamId, m.personId, m.role);
  }
  for (const [k, n] of counted) {
    if (!n) continue;
    const [cat, rule] = k.split('\t') as [string, string];
    q.countAdd.run(cat, rule, n);
  }
  db.exec('DELETE FROM u_counts WHERE n = 0');
  if (full) db.exec(INDEXES.join(';\n'));
  store.setMeta('selection', print);
  store.setMeta('selection_today', today);

  // 6. Counts, warnings and the walks the writers make.
  const counts: Record<Category, Tally> = {
    schools: schoolTally,
    students: { kept: 0, excluded: {} },
    staff: { kept: 0, excluded: {} },
    guardians: { kept: 0, excluded: {} },
    groups: { kept: 0, excluded: {} },
    memberships: { kept: 0, excluded: {} },
  };
  for (const [cat, rule, n] of arrays<[Category, string, number]>(db.prepare('SELECT cat, rule, n FROM u_counts ORDER BY cat, rule'))) {
    if (rule) counts[cat].excluded[rule] = Number(n);
    else counts[cat].kept = Number(n);
  }
  const warnings = unitWarnings(db, T, o);
  const size = (tbl: string) => Number((db.prepare(`SELECT count(*) AS n FROM ${tbl}`).get() as { n: number }).n);
  const walk = <V>(sqlText: string, row: (r: unknown[]) => V): Iterable<V> => ({
    *[Symbol.iterator]() {
      const st = db.prepare(sqlText);
      st.setReturnArrays(true);
      for (const r of st.iterate() as Iterable<unknown[]>) yield row(r);
    },
  });
  const firstSchool = db.prepare('SELECT first_school FROM sel_people WHERE id = ?');
  let teamSchools: Map<string, string> | undefined;
  return {
    selection: {
      session: academicSession(today),
      schools,
      people: walk('SELECT v FROM sel_people ORDER BY sk', (r) => JSON.parse(r[0] as string) as OutPerson),
      teams: walk('SELECT v FROM sel_teams ORDER BY sk', (r) => JSON.parse(r[0] as string) as OutTeam),
      memberships: walk('SELECT team_id, person_id, role FROM sel_members ORDER BY team_sk, person_sk', (r): OutMembership => ({
        teamId: r[0] as string,
        personId: r[1] as string,
        role: r[2] as OutMembership['role'],
      })),
      guardianLinks: walk('SELECT student_id, guardian_id FROM sel_links ORDER BY student_sk, guardian_sk', (r): GuardianLink => ({
        studentId: r[0] as string,
        guardianId: r[1] as string,
      })),
      firstSchoolOf: (id) => (firstSchool.get(id) as { first_school: string | null } | undefined)?.first_school ?? undefined,
      // In guardian order (the people's), from an index holding the schools: a statement per link (or a
      // join sorted each run) cost a delta run 0.3–0.4 s at 60,000 students.
      wardSchools: walk('SELECT guardian_id, student_id, school FROM sel_links WHERE school IS NOT NULL ORDER BY guardian_sk', (r) => ({
        guardianId: r[0] as string,
        studentId: r[1] as string,
        schoolId: r[2] as string,
      })),
      peopleRows: keptPeopleRows(db, full, rowsStale),
      teamSchoolOf: (id) => {
        // The teams' schools in the heap (a few per group), read once: a statement per membership cost more.
        teamSchools ??= new Map(arrays<[string, string]>(db.prepare('SELECT id, school FROM sel_teams')));
        return teamSchools.get(id);
      },
    },
    sizes: { schools: schools.length, people: size('sel_people'), teams: size('sel_teams'), memberships: size('sel_members') },
    counts,
    decisions: new Map(),
    warnings,
    evaluated: { full, reason, persons: full ? everyone : dirtyPersons.size, groups: dirtyGroups.size },
  };
}

/**
 * The kept people with their kept rows (sel_rows). A full evaluation dropped them all: every person is
 * built and their rows go straight into sel_rows. A delta run walks sel_rows alone (the kept people's
 * records are not read: half the bytes) and merges in the `stale` persons, whose rows it dropped — the
 * only kept people without rows, since a person leaves sel_people only when evaluated, so stale, too;
 * the rows it builds wait in sel_rows_next until the walk is done.
 */
function keptPeopleRows(db: DatabaseSync, all: boolean, stale: ReadonlySet<string>): KeptPeopleRows {
  const guardians = db.prepare('SELECT guardian_id FROM sel_links WHERE student_sk = ? ORDER BY guardian_sk');
  const wards = db.prepare('SELECT student_id, school FROM sel_links WHERE guardian_id = ? AND school IS NOT NULL');
  const keep = db.prepare(`INSERT OR REPLACE INTO ${all ? 'sel_rows' : 'sel_rows_next'} (sk, b) VALUES (?, ?)`);
  // The stale in the same order as SQLite's (it compares BLOBs as bytes); those no longer kept have no record.
  const staleKeys = all ? undefined : [...stale].map(sortKey).sort(Buffer.compare);
  const record = db.prepare('SELECT v FROM sel_people WHERE sk = ?');
  record.setReturnArrays(true);
  const person = (sk: Uint8Array) => {
    const v = (record.get(sk) as unknown as [string] | undefined)?.[0];
    return v === undefined ? undefined : (JSON.parse(v) as OutPerson);
  };
  return {
    all,
    stale: staleKeys,
    person,
    *walk() {
      if (all) {
        const st = db.prepare('SELECT sk, v FROM sel_people ORDER BY sk');
        st.setReturnArrays(true);
        for (const [sk, v] of st.iterate() as Iterable<[Uint8Array, string]>) yield { sk, person: JSON.parse(v) as OutPerson };
        return;
      }
      const keys = staleKeys!;
      let i = 0;
      function* staleUpTo(sk: Uint8Array | undefined) {
        for (; i < keys.length && (!sk || Buffer.compare(keys[i]!, sk) < 0); i++) {
          const p = person(keys[i]!);
          if (p) yield { sk: keys[i]!, person: p };
        }
      }
      const st = db.prepare('SELECT sk, b FROM sel_rows ORDER BY sk');
      st.setReturnArrays(true);
      for (const [sk, b] of st.iterate() as Iterable<[Uint8Array, Uint8Array]>) {
        yield* staleUpTo(sk);
        yield { sk, rows: b };
      }
      yield* staleUpTo(undefined);
    },
    guardiansOf: (studentId) => arrays<[string]>(guardians, sortKey(studentId)).map((r) => r[0]),
    wardSchoolsOf: (guardianId) => new Map(arrays<[string, string]>(wards, guardianId)),
    keep: (sk, rows) => void keep.run(sk, rows),
    done: () => {
      if (all) return;
      db.exec('INSERT OR REPLACE INTO sel_rows (sk, b) SELECT sk, b FROM sel_rows_next; DELETE FROM sel_rows_next');
    },
  };
}

/** Every person in the source's order, with their place in it (a walk of the table, not a lookup each). */
function* everyPerson(db: DatabaseSync, table: string): Generator<[Person, number, string]> {
  const st = db.prepare(`SELECT json, seq FROM ${table} ORDER BY seq`);
  st.setReturnArrays(true);
  for (const [json, seq] of st.iterate() as Iterable<[string, number]>) {
    const p = personCodec.decode(JSON.parse(json));
    yield [p, Number(seq), p.id];
  }
}

/** The persons a delta run evaluates again: each with their place in the source's order, or undefined when deleted. */
function* dirtyOnes(ids: Set<string>, q: Queries): Generator<[Person | undefined, number, string]> {
  for (const id of ids) {
    const r = q.seqOf.get(id) as { seq: number; json: string } | undefined;
    yield [r ? personCodec.decode(JSON.parse(r.json)) : undefined, r ? Number(r.seq) : 0, id];
  }
}

function count(t: Tally, v: Verdict): void {
  if (v.kept) t.kept++;
  else t.excluded[v.excludedBy!] = (t.excluded[v.excludedBy!] ?? 0) + 1;
}

type Queries = ReturnType<typeof prepare>;
function prepare(db: DatabaseSync, T: { persons: string; duties: string; groups: string; activities: string }) {
  const p = (s: string) => db.prepare(s);
  return {
    respAdd: p('INSERT INTO ix_resp (student_id, ord, student_seq, guardian_id, rel) VALUES (?, ?, ?, ?, ?)'),
    respDel: p('DELETE FROM ix_resp WHERE student_id = ?'),
    respGuardians: p('SELECT guardian_id FROM ix_resp WHERE student_id = ?'),
    // A guardian's relations in the order selectInto meets them: by student as the source lists them, then as the student lists them.
    relationsOf: p('SELECT student_id, rel, student_seq, ord FROM ix_resp WHERE guardian_id = ? ORDER BY student_seq, ord'),
    guardianOf: p('SELECT 1 FROM ix_resp WHERE guardian_id = ? LIMIT 1'),
    dutyAdd: p('INSERT INTO ix_duty (duty_id, person_id) VALUES (?, ?)'),
    dutyDel: p('DELETE FROM ix_duty WHERE duty_id = ?'),
    dutyPerson: p('SELECT person_id FROM ix_duty WHERE duty_id = ?'),
    dutyOf: p('SELECT 1 FROM ix_duty WHERE person_id = ? LIMIT 1'),
    dutiesOf: p(`SELECT d.json, d.seq FROM ix_duty x JOIN ${T.duties} d ON d.id = x.duty_id WHERE x.person_id = ? ORDER BY d.seq`),
    memberAdd: p('INSERT INTO ix_member (group_id, person_id) VALUES (?, ?)'),
    memberDel: p('DELETE FROM ix_member WHERE group_id = ?'),
    memberGroups: p('SELECT DISTINCT group_id FROM ix_member WHERE person_id = ?'),
    actAdd: p('INSERT INTO ix_act (activity_id, ord, group_id) VALUES (?, ?, ?)'),
    actDel: p('DELETE FROM ix_act WHERE activity_id = ?'),
    actGroups: p('SELECT group_id FROM ix_act WHERE activity_id = ?'),
    activitiesOf: p(`SELECT a.json FROM ix_act x JOIN ${T.activities} a ON a.id = x.activity_id WHERE x.group_id = ? ORDER BY a.seq, x.ord`),
    teacherAdd: p('INSERT INTO ix_teacher (activity_id, duty_id) VALUES (?, ?)'),
    teacherDel: p('DELETE FROM ix_teacher WHERE activity_id = ?'),
    teacherGroups: p('SELECT DISTINCT x.group_id FROM ix_teacher t JOIN ix_act x ON x.activity_id = t.activity_id WHERE t.duty_id = ?'),
    syllabusAdd: p('INSERT OR REPLACE INTO ix_syllabus (activity_id, syllabus_id) VALUES (?, ?)'),
    syllabusDel: p('DELETE FROM ix_syllabus WHERE activity_id = ?'),
    syllabusGroups: p('SELECT DISTINCT x.group_id FROM ix_syllabus s JOIN ix_act x ON x.activity_id = s.activity_id WHERE s.syllabus_id = ?'),
    personsDue: p('SELECT id FROM u_person WHERE next_change <= ?'),
    groupsDue: p('SELECT id FROM u_group WHERE next_change <= ?'),
    studentFlag: p('SELECT 1 FROM u_student WHERE id = ?'),
    studentAdd: p('INSERT INTO u_student (id) VALUES (?)'),
    studentDel: p('DELETE FROM u_student WHERE id = ?'),
    personTallies: p('SELECT t_student, t_staff, t_guardian FROM u_person WHERE id = ?'),
    personDel: p('DELETE FROM u_person WHERE id = ?'),
    personAdd: p('INSERT INTO u_person (id, next_change, t_student, t_staff, t_guardian) VALUES (?, ?, ?, ?, ?)'),
    countAdd: p('INSERT INTO u_counts (cat, rule, n) VALUES (?, ?, ?) ON CONFLICT (cat, rule) DO UPDATE SET n = n + excluded.n'),
    missingDel: p('DELETE FROM u_missing WHERE id = ?'),
    missingAdd: p('INSERT INTO u_missing (id, staff, guardian) VALUES (?, ?, ?)'),
    groupDel: p('DELETE FROM u_group WHERE id = ?'),
    groupAdd: p('INSERT INTO u_group (id, next_change) VALUES (?, ?)'),
    tallyDel: p('DELETE FROM u_tally WHERE unit = ?'),
    groupTallies: p('SELECT cat, rule, n FROM u_tally WHERE unit = ?'),
    tallyAdd: p('INSERT INTO u_tally (unit, cat, rule, n) VALUES (?, ?, ?, ?)'),
    warnDel: p('DELETE FROM u_warn WHERE unit = ?'),
    warnAdd: p('INSERT INTO u_warn (unit, ord, w) VALUES (?, ?, ?)'),
    personOld: p('SELECT role, lbase FROM sel_people WHERE id = ?'),
    seqOf: p(`SELECT seq, json FROM ${T.persons} WHERE id = ?`),
    peopleDel: p('DELETE FROM sel_people WHERE id = ?'),
    peopleAdd: p(
      'INSERT INTO sel_people (sk, id, role, base, lbase, username, lusername, first_school, fk_phase, fk_seq, fk_ord, v) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    keptRole: p('SELECT role FROM sel_people WHERE id = ?'),
    keptDutiesOf: p('SELECT duty_id FROM sel_kept_duty WHERE person_id = ?'),
    keptDutyDel: p('DELETE FROM sel_kept_duty WHERE person_id = ?'),
    keptDutyAdd: p('INSERT OR REPLACE INTO sel_kept_duty (duty_id, person_id) VALUES (?, ?)'),
    keptDuty: p('SELECT person_id FROM sel_kept_duty WHERE duty_id = ?'),
    linksDel: p('DELETE FROM sel_links WHERE guardian_id = ?'),
    linkAdd: p('INSERT INTO sel_links (student_sk, guardian_sk, student_id, guardian_id) VALUES (?, ?, ?, ?)'),
    linkedStudents: p('SELECT student_id FROM sel_links WHERE guardian_id = ?'),
    linkedGuardians: p('SELECT guardian_id FROM sel_links WHERE student_sk = ?'),
    rowsDel: p('DELETE FROM sel_rows WHERE sk = ?'),
    wardSchoolOfStudent: p('UPDATE sel_links SET school = (SELECT p.first_school FROM sel_people p WHERE p.id = ?) WHERE student_sk = ?'),
    wardSchoolOfGuardian: p('UPDATE sel_links SET school = (SELECT p.first_school FROM sel_people p WHERE p.id = sel_links.student_id) WHERE guardian_id = ?'),
    teamsDel: p('DELETE FROM sel_teams WHERE group_id = ?'),
    teamAdd: p('INSERT INTO sel_teams (sk, id, group_id, school, v) VALUES (?, ?, ?, ?, ?)'),
    membersDel: p('DELETE FROM sel_members WHERE group_id = ?'),
    memberRowAdd: p('INSERT INTO sel_members (team_sk, person_sk, group_id, team_id, person_id, role) VALUES (?, ?, ?, ?, ?, ?)'),
    byName: p('SELECT id, base, username, v FROM sel_people WHERE lbase = ?'),
    // Whether a name is someone else's, as given or as made unique.
    nameTaken: p('SELECT 1 FROM sel_people WHERE (lbase = ? OR lusername = ?) AND id <> ? LIMIT 1'),
    setUsername: p('UPDATE sel_people SET username = ?, lusername = ?, v = ? WHERE id = ?'),
  };
}

interface PersonUnit {
  out?: OutPerson;
  /** Per verdict the person has, the rule that excluded them, or '' when kept. */
  tallies: Partial<Record<'students' | 'staff' | 'guardians', string>>;
  warnings: UnitWarning[];
  nextChange: string | null;
  keptDuties: string[];
  links: GuardianLink[];
  /** Where selectInto first keeps the person: phase (student, staff, guardian), then the source's order in it. */
  firstKept: [number, number, number];
}

/** One person's verdicts as student, staff and guardian, and the person they keep (see selectInto). */
function evaluatePerson(
  p: Person,
  seq: number,
  q: Queries,
  keptSchools: ReadonlySet<string>,
  keptStudents: { has(id: string): boolean },
  o: SelectOptions,
  dutyOptions: { unitsBelow?: (orgId: string) => string[]; excludedTitle: (t: string | undefined) => boolean },
  unitsBelow: (orgId: string) => string[],
  roleMapping: RoleMapping,
  today: string,
  tolerance: number,
  withDuties?: ReadonlySet<string>,
): PersonUnit {
  const u: PersonUnit = { tallies: {}, warnings: [], nextChange: null, keptDuties: [], links: [], firstKept: [3, 0, 0] };
  const next = new NextChange(today, tolerance);
  const tally = (cat: 'students' | 'staff' | 'guardians', v: Verdict) => (u.tallies[cat] = v.kept ? '' : v.excludedBy!);
  let out: OutPerson | undefined;
  const person = (): OutPerson => out ?? outPerson(p, o);

  // Student
  if (p.enrolments.length) {
    for (const e of p.enrolments) {
      next.add(e.startDate);
      next.add(e.endDate);
    }
    const v = studentRules(p, keptSchools, o);
    tally('students', v);
    if (v.kept) {
      out = person();
      u.firstKept = [0, seq, 0];
      out.kinds = appended(out.kinds, 'student');
      out.email = pickEmail(p, ['Skola elev']);
      const seen = new Set<string>();
      for (const e of v.enrolments) {
        if (seen.has(e.schoolUnitId!)) continue;
        seen.add(e.schoolUnitId!);
        out.roles = appended(out.roles, { role: 'student', schoolId: e.schoolUnitId!, grade: grade(e.schoolYear), start: e.startDate, end: e.endDate });
      }
    }
  }

  // Staff
  const dutyRows = !withDuties || withDuties.has(p.id) ? arrays<[string, number]>(q.dutiesOf, p.id) : [];
  if (dutyRows.length) {
    const duties = dutyRows.map((r) => JSON.parse(r[0]) as Duty);
    for (const d of duties) {
      next.add(d.startDate);
      next.add(d.endDate);
    }
    const v = staffRules(p, duties, keptSchools, o, dutyOptions);
    tally('staff', v);
    // A unit's warnings are kept with it, in the kept store.
    const warn: WarningSink = (...named) => u.warnings.push({ named });
    if (!dutyOptions.unitsBelow && o.namedWarnings) warnDutiesNotCountedBelow(duties, keptSchools, unitsBelow, warn);
    if (v.kept) {
      if (!out) u.firstKept = [1, Number(dutyRows[0]![1]), 0];
      out = person();
      addStaffRoles(out, p, duties, v.duties, roleMapping, warn, undefined, (d) => {
        if (!u.keptDuties.includes(d.id)) u.keptDuties.push(d.id);
      });
    }
  }

  // Guardian
  const relRows = arrays<[string, string, number, number]>(q.relationsOf, p.id);
  if (relRows.length) {
    const relations = relRows.map((r) => ({ studentId: r[0], relation: JSON.parse(r[1]) as Responsible }));
    for (const r of relations) {
      next.add(r.relation.startDate);
      next.add(r.relation.endDate);
    }
    const v = guardianRules(p, relations, keptStudents, o);
    tally('guardians', v);
    if (v.kept) {
      if (!out) u.firstKept = [2, Number(relRows[0]![2]), Number(relRows[0]![3])];
      out = person();
      out.kinds = appended(out.kinds, 'guardian');
      out.email ??= pickEmail(p, ['Privat', 'Arbete övrigt']);
      out.phone = p.phones.find((x) => x.mobile)?.value ?? p.phones[0]?.value;
      for (const r of relations) {
        if (!v.studentIds.includes(r.studentId)) continue;
        out.guardianOf = appended(out.guardianOf, { studentId: r.studentId, relationType: r.relation.relationType });
        u.links.push({ studentId: r.studentId, guardianId: p.id });
      }
    }
  }
  if (out && out.usernameFrom !== 'eppn') {
    out.usernameFrom = out.email ? 'email' : 'id';
    out.username = out.email ?? out.id;
  }
  u.out = out;
  u.nextChange = next.best;
  return u;
}

interface GroupUnit {
  teams: OutTeam[];
  memberships: OutMembership[];
  tallies: [Category, string, number][];
  warnings: UnitWarning[];
  nextChange: string | null;
}

/** One group's verdict, its teams and their memberships (see selectInto). */
function evaluateGroup(g: Group, q: Queries, snap: Snapshot, keptSchools: ReadonlySet<string>, o: SelectOptions, today: string, tolerance: number): GroupUnit {
  const u: GroupUnit = { teams: [], memberships: [], tallies: [], warnings: [], nextChange: null };
  const next = new NextChange(today, tolerance);
  next.add(g.startDate);
  next.add(g.endDate);
  for (const m of g.memberships) {
    next.add(m.startDate);
    next.add(m.endDate);
  }
  const acts: Activity[] = [];
  for (const [json] of arrays<[string]>(q.activitiesOf, g.id)) {
    const a = JSON.parse(json) as Activity;
    next.add(a.startDate);
    next.add(a.endDate);
    for (const x of a.teachers) {
      next.add(x.startDate);
      next.add(x.endDate);
    }
    if (activityCurrent(a, o)) acts.push(a);
  }
  u.nextChange = next.best;
  const syllabusIds = [...new Set(acts.map((a) => a.syllabusId).filter((s): s is string => !!s))].sort();
  const v = groupRules(g, syllabusIds, keptSchools, o);
  u.tallies.push(['groups', v.kept ? '' : v.excludedBy!, 1]);
  if (!v.kept) return u;
  const memberTally = new Map<string, number>();
  const pairs: (string | undefined)[] = g.groupType === 'Undervisning' ? syllabusIds : [undefined];
  for (const sid of pairs) {
    const syl = sid ? snap.syllabuses.get(sid) : undefined;
    if (sid && !syl) u.warnings.push({ plain: `syllabus ${sid} of group ${g.id} is missing from /syllabuses` });
    const team = outTeam(g, sid, syl, acts);
    u.teams.push(team);
    const members = new Set<string>();
    for (const m of g.memberships) {
      const mc = membershipRule(m, o);
      const role = mc.ok ? (q.keptRole.get(m.personId) as { role: number } | undefined)?.role : undefined;
      const rule = !mc.ok ? mc.rule : role === undefined ? 'membership.person_not_kept' : '';
      memberTally.set(rule, (memberTally.get(rule) ?? 0) + 1);
      if (rule || members.has(m.personId)) continue;
      members.add(m.personId);
      u.memberships.push({ teamId: team.id, personId: m.personId, role: role === 1 ? 'student' : 'teacher' });
    }
    for (const a of acts) {
      if (sid && a.syllabusId !== sid) continue;
      for (const x of a.teachers) {
        const pid = (q.keptDuty.get(x.dutyId) as { person_id: string } | undefined)?.person_id;
        if (!pid || members.has(pid)) continue;
        if ((x.startDate || x.endDate) && !dateWindow('teacher', x.startDate ?? '0000-01-01', x.endDate, o).ok) continue;
        members.add(pid);
        u.memberships.push({ teamId: team.id, personId: pid, role: 'teacher' });
      }
    }
  }
  for (const [rule, n] of memberTally) u.tallies.push(['memberships', rule, n]);
  return u;
}

/**
 * Makes the usernames of `names` (lower case; all when undefined) unique as uniqueUsernames
 * (select.ts) does: of those who share one, the first by source, kind and id keeps it, each other
 * gets the suffix of their own id. A person whose name is no longer shared gets it back unsuffixed.
 * A delta run works through the names in another order than a full one; that matters only when a
 * suffixed name itself meets another's name (then its suffix grows, as in uniqueUsernames), and the
 * two orders could give that person different suffixes.
 */
function uniqueNames(db: DatabaseSync, q: Queries, names: Set<string> | undefined, renamed: (id: string) => void): void {
  const list = names ? [...names] : arrays<[string]>(db.prepare('SELECT lbase FROM sel_people GROUP BY lbase HAVING count(*) > 1')).map((r) => r[0]);
  for (const name of list) {
    const rows = arrays<[string, string, string, string]>(q.byName, name);
    const people = rows.map(([id, base, username, v]) => ({ id, base, username, p: JSON.parse(v) as OutPerson }));
    people.sort((a, b) => byUsernameRank(a.p, b.p));
    people.forEach((x, i) => {
      const want = i === 0 ? x.base : suffixedUsername(x.id, x.base, (lc) => q.nameTaken.get(lc, lc, x.id) !== undefined);
      if (want === x.username) return;
      x.p.username = want;
      q.setUsername.run(want, want.toLowerCase(), JSON.stringify(x.p), x.id);
      renamed(x.id);
    });
  }
}

/** The run's plain warnings in selectInto's order, and its named ones given to `o.namedWarnings` in that order too. */
function unitWarnings(db: DatabaseSync, T: { persons: string; duties: string; groups: string }, o: SelectOptions): string[] {
  const out: string[] = [];
  for (const [id] of arrays<[string]>(
    db.prepare(`SELECT x.duty_id FROM ix_duty x JOIN ${T.duties} d ON d.id = x.duty_id WHERE x.person_id IS NULL ORDER BY d.seq`),
  ))
    out.push(`duty ${id} has no person`);
  // The absent persons (a few) each with the first duty or relation that names them, in the order selectInto meets those.
  const firstDuty = db.prepare(`SELECT y.duty_id, e.seq FROM ix_duty y JOIN ${T.duties} e ON e.id = y.duty_id WHERE y.person_id = ? ORDER BY e.seq LIMIT 1`);
  const firstRelation = db.prepare('SELECT student_id, student_seq, ord FROM ix_resp WHERE guardian_id = ? ORDER BY student_seq, ord LIMIT 1');
  const staff: { text: string; at: number }[] = [];
  const guardians: { text: string; at: number; ord: number }[] = [];
  for (const [id, isStaff, isGuardian] of arrays<[string, number, number]>(db.prepare('SELECT id, staff, guardian FROM u_missing'))) {
    if (isStaff) {
      const d = firstDuty.get(id) as { duty_id: string; seq: number };
      staff.push({ text: `person ${id} of duty ${d.duty_id} is missing from /persons`, at: Number(d.seq) });
    }
    if (isGuardian) {
      const r = firstRelation.get(id) as { student_id: string; student_seq: number; ord: number };
      guardians.push({ text: `guardian ${id} of student ${r.student_id} is missing from /persons`, at: Number(r.student_seq), ord: Number(r.ord) });
    }
  }
  staff.sort((a, b) => a.at - b.at);
  guardians.sort((a, b) => a.at - b.at || a.ord - b.ord);
  out.push(...staff.map((x) => x.text), ...guardians.map((x) => x.text));
  // Named warnings of staff, in the order selectInto meets the staff (by their first duty), then the groups' plain ones in the source's order.
  const w = o.namedWarnings;
  if (w) {
    for (const [json] of arrays<[string]>(
      db.prepare(
        `SELECT w.w FROM u_warn w JOIN (SELECT 'p:' || x.person_id AS unit, min(d.seq) AS f FROM ix_duty x JOIN ${T.duties} d ON d.id = x.duty_id GROUP BY x.person_id) s
         ON s.unit = w.unit ORDER BY s.f, w.ord`,
      ),
    )) {
      const u = JSON.parse(json) as UnitWarning;
      if ('named' in u) w.add(...u.named);
    }
  }
  for (const [json] of arrays<[string]>(
    db.prepare(`SELECT w.w FROM u_warn w JOIN ${T.groups} g ON 'g:' || g.id = w.unit WHERE w.unit >= 'g:' AND w.unit < 'g;' ORDER BY g.seq, w.ord`),
  )) {
    const u = JSON.parse(json) as UnitWarning;
    if ('plain' in u) out.push(u.plain);
  }
  if (w) {
    // Shared names in the order selectInto first keeps someone of each, the suffixed in the order they were ranked.
    const first = db.prepare('SELECT min(fk_phase * 1099511627776 + fk_seq * 65536 + fk_ord) AS f FROM sel_people WHERE lbase = ?');
    const rows = arrays<[string, string]>(db.prepare('SELECT v, lbase FROM sel_people WHERE username <> base')).map(([v, lbase]) => ({
      p: JSON.parse(v) as OutPerson,
      lbase,
      f: Number((first.get(lbase) as { f: number }).f),
    }));
    rows.sort((a, b) => a.f - b.f || (a.lbase < b.lbase ? -1 : a.lbase > b.lbase ? 1 : 0) || byUsernameRank(a.p, b.p));
    for (const r of rows) w.add('output.username_shared', 'people shared a username; all but the first (by source, kind, id) got a suffix', [], r.p.id);
  }
  return out;
}
