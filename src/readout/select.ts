import { createHash } from 'node:crypto';
import type { Activity, Address, Duty, Group, Organisation, Person, Responsible, Snapshot, Syllabus } from './model.ts';
import { DEFAULT_ROLE_MAPPING, staffRoleOf, type RoleMapping, type StaffRole } from './roles.ts';
import {
  activityCurrent,
  dateWindow,
  groupRules,
  guardianRules,
  membershipRule,
  schoolRules,
  staffRules,
  studentRules,
  teamId,
  compositeId,
  type RuleContext,
  type Verdict,
} from './rules.ts';
import { memoryScratch, type Scratch } from './scratch.ts';
import type { Warnings } from './warnings.ts';

/**
 * Applies every rule to a snapshot and returns what the writers need (kept schools, people, teams,
 * memberships) plus, per record, the verdicts for the report and for `readout explain`.
 */
export interface OutSchool {
  id: string;
  name: string;
  schoolUnitCode?: string;
  organisationCode?: string;
  municipalityCode?: string;
  schoolTypes: string[];
}

export interface OutRole {
  role: 'student' | 'staff';
  schoolId: string;
  /** Students: the school year ("årskurs") as a two-digit grade. */
  grade?: string;
  /** Staff: the duty role as job title. */
  jobTitle?: string;
  /** Staff: the role the title maps to, for SDS and OneRoster alike. */
  staffRole?: StaffRole;
  start?: string;
  end?: string;
}

export interface OutPerson {
  id: string;
  givenName: string;
  familyName: string;
  middleName?: string;
  username: string;
  /** Where the username came from; decides who keeps a shared one (see {@link uniqueUsernames}). */
  usernameFrom: 'eppn' | 'email' | 'id';
  email?: string;
  phone?: string;
  kinds: ('student' | 'staff' | 'guardian')[];
  roles: OutRole[];
  guardianOf: { studentId: string; relationType?: string }[];
  /** Only when the customer opted in to civic numbers. */
  civicNo?: string;
  /** Only when the customer opted in to addresses. */
  address?: Address;
}

export interface OutTeam {
  id: string;
  groupId: string;
  syllabusId?: string;
  schoolId: string;
  title: string;
  groupType: string;
  courseId: string;
  courseTitle: string;
  courseCode?: string;
  subjectCode?: string;
}

export interface OutMembership {
  teamId: string;
  personId: string;
  role: 'student' | 'teacher';
}

export interface AcademicSession {
  id: string;
  title: string;
  startDate: string;
  endDate: string;
  schoolYear: string;
}

export interface Selection {
  session: AcademicSession;
  schools: OutSchool[];
  people: OutPerson[];
  teams: OutTeam[];
  memberships: OutMembership[];
}

export type Category = 'schools' | 'students' | 'staff' | 'guardians' | 'groups' | 'memberships';

export interface Tally {
  kept: number;
  excluded: Record<string, number>;
}

export interface Decision {
  id: string;
  kind: 'organisation' | 'person' | 'group';
  name: string;
  verdicts: { as: string; verdict: Verdict }[];
  teams?: string[];
}

export interface SelectOptions extends RuleContext {
  exportAddress: boolean;
  exportCivicNo: boolean;
  /** Keep every verdict for `explain` (a run only needs the counts: less memory on big worlds). */
  keepDecisions?: boolean;
  /** With {@link keepDecisions}: keep only this record's verdicts (`explain` of one id on a big source). */
  decisionsFor?: string;
  /** A duty on an organisation above school units counts for the kept units below it (default on). */
  dutiesOnParentOrganisations?: boolean;
  /** Staff title → role (default: the built-in table, unknown titles → staff). */
  roles?: RoleMapping;
  /** Where mapping decisions worth an operator's look are reported. */
  namedWarnings?: Warnings;
}

export interface SelectResult {
  selection: Selection;
  counts: Record<Category, Tally>;
  decisions: Map<string, Decision>;
  warnings: string[];
}

/** The Swedish school year containing `today` (1 July – 30 June), as one academic session. */
export function academicSession(today: string): AcademicSession {
  const y = Number(today.slice(0, 4));
  const start = today.slice(5) >= '07-01' ? y : y - 1;
  return {
    id: `SY${start}`,
    title: `${start}/${String((start + 1) % 100).padStart(2, '0')}`,
    startDate: `${start}-07-01`,
    endDate: `${start + 1}-06-30`,
    schoolYear: String(start + 1),
  };
}

function tally(): Tally {
  return { kept: 0, excluded: {} };
}
function count(t: Tally, v: Verdict): void {
  if (v.kept) t.kept++;
  else t.excluded[v.excludedBy!] = (t.excluded[v.excludedBy!] ?? 0) + 1;
}

/** A school year as a two-digit grade (`KG` for the preschool class). */
export const grade = (y?: number) => (y === undefined ? undefined : y === 0 ? 'KG' : String(y).padStart(2, '0'));

/** The first e-mail of the preferred types, else the first not private (or any, when private is preferred). */
export function pickEmail(p: Person, prefer: string[]): string | undefined {
  for (const t of prefer) {
    const e = p.emails.find((x) => x.type === t);
    if (e) return e.value;
  }
  return p.emails.find((x) => x.type !== 'Privat')?.value ?? (prefer.includes('Privat') ? p.emails[0]?.value : undefined);
}

/**
 * `list` with `x` added, as a new array of exactly that length while short. An array grown by
 * push reserves room for 16 more elements; with three such arrays per person (kinds, roles,
 * guardians) that was ~50 MB of empty slots on a 60,000-student world.
 */
export function appended<T>(list: T[] | undefined, x: T): T[] {
  if (!list || !list.length) return [x];
  if (list.length >= 8) {
    list.push(x);
    return list;
  }
  return [...list, x];
}

/**
 * What the writers read: the kept schools (few, in the heap) and the kept people, teams and
 * memberships as walks in id order (in the run's store on a run; see scratch.ts), with what a
 * writer would otherwise index itself. A {@link Selection}'s arrays are such walks too.
 */
export interface SelectionView {
  session: AcademicSession;
  schools: OutSchool[];
  people: Iterable<OutPerson>;
  teams: Iterable<OutTeam>;
  memberships: Iterable<OutMembership>;
  /** Guardian links in (student id, guardian id) order, ties as added: what a student's agents are. Without it the writers derive it from `people`. */
  guardianLinks?: Iterable<GuardianLink>;
  /** The school of a kept person's first role. Without it the writers index `people`. */
  firstSchoolOf?: (personId: string) => string | undefined;
  /**
   * Per guardian link, the school of the student's first role, in (guardian id, student id) order:
   * what a guardian's OneRoster roles are at, in one walk beside the people's. Without it the writers
   * look each student up ({@link firstSchoolOf}).
   */
  wardSchools?: Iterable<{ guardianId: string; studentId: string; schoolId: string }>;
  /** The kept people with the rows the last run published for them, where those still hold (kept-selection.ts). */
  peopleRows?: KeptPeopleRows;
  /** The school of a team. Without it the writers index `teams`. */
  teamSchoolOf?: (teamId: string) => string | undefined;
}

/**
 * The kept people in output order, each with their published rows as the last run built them (an
 * opaque blob, see run.ts) or, where those no longer hold, the person to build them from; the rows
 * built are kept for the next run. A delta run so builds the rows of the persons the change touched only.
 */
export interface KeptPeopleRows {
  /** Whether every person is built again (a full evaluation): then a student's guardians and a guardian's students' schools are best merged in. */
  all: boolean;
  walk(): Iterable<{ sk: Uint8Array; person?: OutPerson; rows?: Uint8Array }>;
  /**
   * A delta run's persons whose rows {@link walk} builds again (their kept rows were dropped), by sort
   * key in the walk's order; every other kept person's rows are as the last run published them.
   * Undefined when every person is built again.
   */
  stale?: readonly Buffer[];
  /** The kept person of sort key `sk`, or undefined when no one of that key is kept. */
  person(sk: Uint8Array): OutPerson | undefined;
  /** A student's guardians (source ids) in the people's order. */
  guardiansOf(studentId: string): string[];
  /** A guardian's students' first schools, by student id. */
  wardSchoolsOf(guardianId: string): Map<string, string>;
  /** Keeps the rows built for the person of sort key `sk` (during the walk). */
  keep(sk: Uint8Array, rows: Uint8Array): void;
  /** After the walk: the rows kept replace the dropped ones. */
  done(): void;
}

export interface GuardianLink {
  studentId: string;
  guardianId: string;
}

/** How many of each a selection holds. */
export interface SelectionSizes {
  schools: number;
  people: number;
  teams: number;
  memberships: number;
}

export interface StreamSelectResult {
  selection: SelectionView;
  sizes: SelectionSizes;
  counts: Record<Category, Tally>;
  decisions: Map<string, Decision>;
  warnings: string[];
}

/** Applies every rule with everything held in the heap; the selection as arrays (tests, `explain`, small worlds). */
export function select(snap: Snapshot, o: SelectOptions): SelectResult {
  const r = selectInto(snap, o, memoryScratch());
  const sel = r.selection;
  return {
    counts: r.counts,
    decisions: r.decisions,
    warnings: r.warnings,
    selection: { session: sel.session, schools: sel.schools, people: [...sel.people], teams: [...sel.teams], memberships: [...sel.memberships] },
  };
}

/** Id and username pairs as the people {@link uniqueUsernames} reads of them in the store (nothing else is read there). */
function* idAndUsername(pairs: Iterable<[string, string]>): Generator<OutPerson> {
  for (const [id, username] of pairs) yield { id, username } as OutPerson;
}

/** An iterable that walks anew each time (a store's walk is a generator: one pass each). */
function walk<T>(f: () => Iterable<T>): Iterable<T> {
  return { [Symbol.iterator]: () => f()[Symbol.iterator]() };
}

/**
 * Applies every rule to a snapshot, walking each entity once in the source's order and keeping what
 * it builds in `scratch`: in the heap, or in the run's store (then the heap holds one record at a time).
 */
export function selectInto(snap: Snapshot, o: SelectOptions, scratch: Scratch): StreamSelectResult {
  const counts: Record<Category, Tally> = {
    schools: tally(),
    students: tally(),
    staff: tally(),
    guardians: tally(),
    groups: tally(),
    memberships: tally(),
  };
  const decisions = new Map<string, Decision>();
  const warnings: string[] = [];
  const keepAll = o.keepDecisions !== false;
  const keep = keepAll && o.decisionsFor === undefined;
  const keeps = (id: string) => keep || (keepAll && id === o.decisionsFor);
  const decide = (id: string, kind: Decision['kind'], name: string, as: string, verdict: Verdict) => {
    if (!keeps(id)) return;
    let d = decisions.get(id);
    if (!d) decisions.set(id, (d = { id, kind, name, verdicts: [] }));
    d.verdicts.push({ as, verdict });
  };

  // Schools (a few hundred to a few thousand: in the heap)
  const schools: OutSchool[] = [];
  const keptSchools = new Set<string>();
  for (const org of snap.organisations.values()) {
    const v = schoolRules(org, o);
    decide(org.id, 'organisation', org.displayName, 'school', v);
    if (org.organisationType !== 'Skolenhet' && !v.kept) continue; // other organisation levels are not schools: not counted
    count(counts.schools, v);
    if (!v.kept) continue;
    keptSchools.add(org.id);
    schools.push(outSchool(org));
  }

  // Organisations above school units (a Skola, a Rektorsområde): which kept units lie below each.
  const children = new Map<string, string[]>();
  for (const org of snap.organisations.values()) if (org.parentId) children.set(org.parentId, appended(children.get(org.parentId), org.id));
  const { unitsBelow, roleMapping, dutyOptions } = dutyCounting(o, children, keptSchools);

  // Names, dates, school ids and titles repeat across thousands of people; each parsed record
  // brings its own copy of them. One shared copy each keeps a selection in the heap small (in the
  // store, strings are written out and dropped: nothing to share).
  const interned = new Map<string, string>();
  const intern = <S extends string | undefined>(v: S): S => {
    if (v === undefined || scratch.onDisk) return v;
    const hit = interned.get(v);
    if (hit !== undefined) return hit as S;
    interned.set(v, v);
    return v;
  };
  const people = scratch.kv<OutPerson>('people');
  /** Kept people: 1 for a student, 0 for anyone else (what a membership needs, without reading the person). */
  const keptRole = scratch.kv<number>('kept_role');
  const firstSchool = scratch.onDisk ? scratch.kv<string>('first_school') : undefined;
  /** In the store: each kept person's username as it stands, so that making them unique need not read every person. */
  const usernames = scratch.onDisk ? scratch.kv<[string, string]>('usernames_by_person') : undefined;
  const person = (p: Person): OutPerson => people.get(p.id) ?? outPerson(p, o, intern);
  /** Stores a person after a change; without an eppn, the username is the e-mail, else the id (as it stands now). */
  const save = (out: OutPerson) => {
    if (out.usernameFrom !== 'eppn') {
      out.usernameFrom = out.email ? 'email' : 'id';
      out.username = out.email ?? out.id;
    }
    people.set(out.id, out);
    keptRole.set(out.id, out.kinds.includes('student') ? 1 : 0);
    if (firstSchool && out.roles[0]) firstSchool.set(out.id, out.roles[0].schoolId);
    usernames?.set(out.id, [out.id, out.username]);
  };

  // Students (via enrolments)
  const keptStudents = scratch.kv<number>('kept_students');
  const guardianRelations = scratch.multi<{ studentId: string; relation: Responsible }>('guardian_relations');
  for (const p of snap.persons.values()) {
    if (!p.enrolments.length) continue;
    const v = studentRules(p, keptSchools, o);
    decide(p.id, 'person', `${p.givenName} ${p.familyName}`, 'student', v);
    count(counts.students, v);
    for (const r of p.responsibles) guardianRelations.add(r.personId, { studentId: p.id, relation: r });
    if (!v.kept) continue;
    keptStudents.set(p.id, 1);
    const out = person(p);
    out.kinds = appended(out.kinds, 'student');
    out.email = pickEmail(p, ['Skola elev']);
    const seen = new Set<string>();
    for (const e of v.enrolments) {
      if (seen.has(e.schoolUnitId!)) continue;
      seen.add(e.schoolUnitId!);
      out.roles = appended(out.roles, {
        role: 'student',
        schoolId: intern(e.schoolUnitId!),
        grade: intern(grade(e.schoolYear)),
        start: intern(e.startDate),
        end: intern(e.endDate),
      });
    }
    save(out);
  }

  // Staff (via duties)
  const dutiesByPerson = scratch.multi<Duty>('duties_by_person');
  for (const d of snap.duties.values()) {
    if (!d.personId) {
      warnings.push(`duty ${d.id} has no person`);
      continue;
    }
    dutiesByPerson.add(d.personId, d);
  }
  const keptDuties = scratch.kv<string>('kept_duties'); // dutyId → personId
  for (const [personId, duties] of dutiesByPerson.groups()) {
    const p = snap.persons.get(personId);
    if (!p) {
      warnings.push(`person ${personId} of duty ${duties[0]!.id} is missing from /persons`);
      continue;
    }
    const v = staffRules(p, duties, keptSchools, o, dutyOptions);
    decide(p.id, 'person', `${p.givenName} ${p.familyName}`, 'staff', v);
    count(counts.staff, v);
    const warn: WarningSink | undefined = o.namedWarnings && ((...w) => o.namedWarnings!.add(...w));
    if (!dutyOptions.unitsBelow && warn) warnDutiesNotCountedBelow(duties, keptSchools, unitsBelow, warn);
    if (!v.kept) continue;
    const out = person(p);
    addStaffRoles(out, p, duties, v.duties, roleMapping, warn, intern, (d) => keptDuties.set(d.id, personId));
    save(out);
  }

  // Guardians (via the students' responsibles)
  const guardianLinks = scratch.list<GuardianLink>('guardian_links');
  for (const [guardianId, relations] of guardianRelations.groups()) {
    const p = snap.persons.get(guardianId);
    if (!p) {
      warnings.push(`guardian ${guardianId} of student ${relations[0]!.studentId} is missing from /persons`);
      continue;
    }
    const v = guardianRules(p, relations, keptStudents, o);
    decide(p.id, 'person', `${p.givenName} ${p.familyName}`, 'guardian', v);
    count(counts.guardians, v);
    if (!v.kept) continue;
    const out = person(p);
    out.kinds = appended(out.kinds, 'guardian');
    out.email ??= pickEmail(p, ['Privat', 'Arbete övrigt']);
    out.phone = p.phones.find((x) => x.mobile)?.value ?? p.phones[0]?.value;
    for (const r of relations) {
      if (!v.studentIds.includes(r.studentId)) continue;
      out.guardianOf = appended(out.guardianOf, { studentId: r.studentId, relationType: intern(r.relation.relationType) });
      guardianLinks.add({ studentId: r.studentId, guardianId: p.id }, r.studentId, p.id);
    }
    save(out);
  }
  // A suffixed name is stored as it is (not recomputed by `save`).
  // In the store only id and username are read of each person (in the order people were first kept, as people.values()).
  // uniqueUsernames reads only id and username of a person when the store is on disk.
  const named = usernames ? walk(() => idAndUsername(usernames.values())) : people.values();
  uniqueUsernames(named, o.namedWarnings, { scratch, get: (id) => people.get(id)!, save: (p) => people.set(p.id, p) });

  // Groups, classes and teams
  const activitiesByGroup = scratch.multi<Activity>('activities_by_group');
  for (const a of snap.activities.values()) {
    if (!activityCurrent(a, o)) continue;
    for (const g of a.groupIds) activitiesByGroup.add(g, a);
  }
  const teams = scratch.list<OutTeam>('teams');
  const teamSchool = scratch.onDisk ? scratch.kv<string>('team_school') : undefined;
  const memberships = scratch.list<OutMembership>('memberships');
  for (const g of snap.groups.values()) {
    const acts = activitiesByGroup.get(g.id) ?? [];
    const syllabusIds = [...new Set(acts.map((a) => a.syllabusId).filter((s): s is string => !!s))].sort();
    const v = groupRules(g, syllabusIds, keptSchools, o);
    const d: Decision = { id: g.id, kind: 'group', name: g.displayName, verdicts: [{ as: g.groupType === 'Klass' ? 'class' : 'group', verdict: v }] };
    if (keeps(g.id)) decisions.set(g.id, d);
    count(counts.groups, v);
    if (!v.kept) continue;
    // Teaching groups yield one team per syllabus; classes, mentor groups etc. are one team each.
    const pairs: (string | undefined)[] = g.groupType === 'Undervisning' ? syllabusIds : [undefined];
    d.teams = [];
    for (const sid of pairs) {
      const syl = sid ? snap.syllabuses.get(sid) : undefined;
      if (sid && !syl) warnings.push(`syllabus ${sid} of group ${g.id} is missing from /syllabuses`);
      const team = outTeam(g, sid, syl, acts);
      teams.add(team, team.id);
      teamSchool?.set(team.id, team.schoolId);
      d.teams.push(team.id);
      const members = new Set<string>();
      for (const m of g.memberships) {
        const mc = membershipRule(m, o);
        const role = mc.ok ? keptRole.get(m.personId) : undefined;
        const mv: Verdict = !mc.ok
          ? { kept: false, checks: [mc], excludedBy: mc.rule }
          : role === undefined
            ? {
                kept: false,
                checks: [mc, { rule: 'membership.person_not_kept', ok: false, detail: `person ${m.personId} is not kept` }],
                excludedBy: 'membership.person_not_kept',
              }
            : { kept: true, checks: [mc] };
        count(counts.memberships, mv);
        if (!mv.kept || members.has(m.personId)) continue;
        members.add(m.personId);
        memberships.add({ teamId: team.id, personId: m.personId, role: role === 1 ? 'student' : 'teacher' }, team.id, m.personId);
      }
      for (const a of acts) {
        if (sid && a.syllabusId !== sid) continue;
        for (const t of a.teachers) {
          const pid = keptDuties.get(t.dutyId);
          if (!pid || members.has(pid)) continue;
          if ((t.startDate || t.endDate) && !dateWindow('teacher', t.startDate ?? '0000-01-01', t.endDate, o).ok) continue;
          members.add(pid);
          memberships.add({ teamId: team.id, personId: pid, role: 'teacher' }, team.id, pid);
        }
      }
    }
  }

  schools.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    selection: {
      session: academicSession(o.today),
      schools,
      people: walk(() => people.sorted()),
      teams: walk(() => teams.sorted()),
      memberships: walk(() => memberships.sorted()),
      ...(scratch.onDisk
        ? {
            guardianLinks: walk(() => guardianLinks.sorted()),
            firstSchoolOf: (id: string) => firstSchool!.get(id),
            teamSchoolOf: (id: string) => teamSchool!.get(id),
          }
        : {}),
    },
    sizes: { schools: schools.length, people: people.size, teams: teams.size, memberships: memberships.size },
    counts,
    decisions,
    warnings,
  };
}

const KIND_RANK = { staff: 0, student: 1, guardian: 2 } as const;
const FROM_RANK = { eppn: 0, email: 1, id: 2 } as const;

/** Who keeps a shared username: lower first (by source, then kind; ties by id). */
export const usernameRank = (p: Pick<OutPerson, 'usernameFrom' | 'kinds'>) =>
  [FROM_RANK[p.usernameFrom], Math.min(...p.kinds.map((k) => KIND_RANK[k]), 3)] as const;

/** The order of {@link usernameRank}, then id. */
export function byUsernameRank(a: Pick<OutPerson, 'id' | 'usernameFrom' | 'kinds'>, b: Pick<OutPerson, 'id' | 'usernameFrom' | 'kinds'>): number {
  const [fa, ka] = usernameRank(a);
  const [fb, kb] = usernameRank(b);
  return fa - fb || ka - kb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A shared username made a person's own: a suffix from a hash of their id, longer until `taken` (lower case) says it is free. */
export function suffixedUsername(id: string, base: string, taken: (lowerCase: string) => boolean): string {
  for (let len = 8; ; len += 4) {
    const h = createHash('sha256').update(id).digest('hex').slice(0, len);
    const at = base.lastIndexOf('@');
    const candidate = at > 0 ? `${base.slice(0, at)}+${h}${base.slice(at)}` : `${base}-${h}`;
    if (!taken(candidate.toLowerCase())) return candidate;
  }
}

/**
 * Makes usernames unique (compared without case), as SDS and OneRoster require. Of the people who
 * share one, the first by (source: eduPersonPrincipalName, e-mail, id; then kind: staff, student,
 * guardian; then id) keeps it; each other gets a suffix from a hash of their own id — `anna+k3f9a2c1@x.se`
 * for an e-mail, `name-k3f9a2c1` otherwise — so the result depends only on who shares the name and
 * is the same on every run. With `store`, the names are indexed in its scratch and the people who
 * share one are read from and saved back to it (a run); else `people` are changed in place.
 */
export function uniqueUsernames(
  people: Iterable<OutPerson>,
  warnings?: Warnings,
  store?: { scratch: Scratch; get(id: string): OutPerson; save(p: OutPerson): void },
): void {
  const onDisk = store?.scratch.onDisk === true;
  const byName = (onDisk ? store!.scratch : memoryScratch()).multi<string | OutPerson>('usernames');
  for (const p of people) byName.add(p.username.toLowerCase(), onDisk ? p.id : p);
  // Only the shared names are worked on: a handful, held here while names are added to the index.
  const shared: OutPerson[][] = [];
  for (const [, refs] of byName.shared()) shared.push(refs.map((r) => (typeof r === 'string' ? store!.get(r) : r)));
  for (const list of shared) {
    list.sort(byUsernameRank);
    for (const p of list.slice(1)) {
      p.username = suffixedUsername(p.id, p.username, (lc) => !!byName.get(lc));
      byName.add(p.username.toLowerCase(), onDisk ? p.id : p);
      store?.save(p);
      warnings?.add('output.username_shared', 'people shared a username; all but the first (by source, kind, id) got a suffix', [], p.id);
    }
  }
}

/** A kept school as the writers take it. */
export function outSchool(org: Organisation): OutSchool {
  return {
    id: org.id,
    name: org.displayName,
    schoolUnitCode: org.schoolUnitCode,
    organisationCode: org.organisationCode,
    municipalityCode: org.municipalityCode,
    schoolTypes: org.schoolTypes,
  };
}

/**
 * How duties are counted: `unitsBelow` (the kept school units below an organisation; `children`:
 * each organisation's child ids), the role mapping, and the staff rules' options built from them —
 * duties on an organisation above school units count for the kept units below it unless
 * `mapping.dutiesOnParentOrganisations` is off, and titles the role mapping excludes do not count.
 */
export function dutyCounting(o: SelectOptions, children: Map<string, string[]>, keptSchools: Set<string>) {
  const below = new Map<string, string[]>();
  const unitsBelow = (orgId: string): string[] => {
    let hit = below.get(orgId);
    if (hit) return hit;
    below.set(orgId, []); // a cycle in the source's parents ends here
    hit = [];
    for (const c of children.get(orgId) ?? []) {
      if (keptSchools.has(c)) hit.push(c);
      else hit.push(...unitsBelow(c));
    }
    hit = [...new Set(hit)].sort();
    below.set(orgId, hit);
    return hit;
  };
  const roleMapping = o.roles ?? DEFAULT_ROLE_MAPPING;
  const dutyOptions = {
    unitsBelow: o.dutiesOnParentOrganisations === false ? undefined : unitsBelow,
    excludedTitle: (t: string | undefined) => staffRoleOf(t, roleMapping).role === 'exclude',
  };
  return { unitsBelow, roleMapping, dutyOptions };
}

/**
 * A kept person before the rules add kinds, roles and e-mail. Every field set here, in one order: all
 * people share one object shape (no later additions). `intern` shares repeated strings (names).
 */
export function outPerson(p: Person, o: SelectOptions, intern: <S extends string | undefined>(v: S) => S = (v) => v): OutPerson {
  return {
    id: p.id,
    givenName: intern(p.givenName),
    familyName: intern(p.familyName),
    middleName: intern(p.middleName),
    username: p.eppn ?? '',
    usernameFrom: p.eppn ? 'eppn' : 'id',
    email: undefined,
    phone: undefined,
    kinds: [],
    roles: [],
    guardianOf: [],
    civicNo: o.exportCivicNo && p.civicNo ? p.civicNo : undefined,
    address: o.exportAddress ? (p.addresses.find((a) => a.type === 'Folkbokföring') ?? p.addresses[0]) : undefined,
  };
}

/**
 * The team a kept group yields for syllabus `sid` (a teaching group: one per syllabus; any other
 * group: one, `sid` undefined), named from the syllabus, else from the group's current activity
 * (`acts`) for it.
 */
export function outTeam(g: Group, sid: string | undefined, syl: Syllabus | undefined, acts: Activity[]): OutTeam {
  const act = acts.find((a) => a.syllabusId === sid);
  const subject = syl?.courseName ?? syl?.subjectName ?? act?.courseName ?? act?.displayName;
  return {
    id: teamId(g.id, sid),
    groupId: g.id,
    syllabusId: sid,
    schoolId: g.organisationId!,
    title: sid ? `${g.displayName} ${subject ?? sid}` : g.displayName,
    groupType: g.groupType,
    courseId: compositeId(sid ?? g.groupType, g.organisationId!),
    courseTitle: sid ? (subject ?? sid) : g.groupType,
    courseCode: syl?.courseCode ?? act?.courseCode,
    subjectCode: syl?.subjectCode,
  };
}

/** Where an evaluation says what it found: a run's `Warnings`, or a unit's own list (kept-selection.ts). */
export type WarningSink = (code: string, message: string, affects: string[], example: string) => void;

/**
 * With `mapping.dutiesOnParentOrganisations` off: a warning per duty on an organisation above kept
 * school units (`unitsBelow`), which the staff rules did not count.
 */
export function warnDutiesNotCountedBelow(duties: Duty[], keptSchools: ReadonlySet<string>, unitsBelow: (orgId: string) => string[], warn: WarningSink): void {
  for (const d of duties) {
    if (d.dutyAt && !keptSchools.has(d.dutyAt) && unitsBelow(d.dutyAt).length) {
      warn(
        'mapping.duties_on_parent_organisations_off',
        'duties on an organisation above kept school units were not counted (mapping.dutiesOnParentOrganisations is off)',
        ['staff.duty.school_not_kept'],
        d.id,
      );
    }
  }
}

/**
 * A kept staff member's part of `out`: the kind, the work e-mail when there is no other, and a staff
 * role per school unit of the duties the rules kept (`kept`, as the rules counted them; `duties`, as
 * the source sent them), the title through the role mapping. Warns of each duty counted for the units
 * below its organisation and of each title the mapping does not know; `onKeptDuty` is told each kept
 * duty.
 */
export function addStaffRoles(
  out: OutPerson,
  p: Person,
  duties: Duty[],
  kept: Duty[],
  roleMapping: RoleMapping,
  warn: WarningSink | undefined,
  intern: <S extends string | undefined>(v: S) => S = (v) => v,
  onKeptDuty?: (d: Duty) => void,
): void {
  out.kinds = appended(out.kinds, 'staff');
  out.email ??= pickEmail(p, ['Skola personal', 'Arbete övrigt']);
  const seen = new Set<string>();
  for (const d of kept) {
    onKeptDuty?.(d);
    if (d.dutyAt !== duties.find((x) => x.id === d.id)?.dutyAt) {
      warn?.(
        'mapping.duty_counted_for_school_units',
        'duties on an organisation above school units counted for the kept units below it (mapping.dutiesOnParentOrganisations)',
        [],
        d.id,
      );
    }
    if (seen.has(d.dutyAt!)) continue;
    seen.add(d.dutyAt!);
    const mapped = staffRoleOf(d.dutyRole, roleMapping);
    if (!mapped.known) {
      warn?.(
        'mapping.unknown_staff_title',
        `staff title "${d.dutyRole ?? '(none)'}" is not in the staff-role table: mapped to ${mapped.role} (mapping.unknownStaffRole)`,
        [],
        p.id,
      );
    }
    out.roles = appended(out.roles, {
      role: 'staff',
      schoolId: intern(d.dutyAt!),
      jobTitle: intern(d.dutyRole),
      staffRole: mapped.role === 'exclude' ? 'staff' : mapped.role,
      start: intern(d.startDate),
      end: intern(d.endDate),
    });
  }
}
