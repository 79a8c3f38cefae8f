import { createHash } from 'node:crypto';
import type { Activity, Address, Duty, Person, Responsible, Snapshot } from './model.ts';
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

const grade = (y?: number) => (y === undefined ? undefined : y === 0 ? 'KG' : String(y).padStart(2, '0'));

function pickEmail(p: Person, prefer: string[]): string | undefined {
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
function appended<T>(list: T[] | undefined, x: T): T[] {
  if (!list || !list.length) return [x];
  if (list.length >= 8) {
    list.push(x);
    return list;
  }
  return [...list, x];
}

export function select(snap: Snapshot, o: SelectOptions): SelectResult {
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
  const keep = o.keepDecisions !== false;
  const decide = (id: string, kind: Decision['kind'], name: string, as: string, verdict: Verdict) => {
    if (!keep) return;
    let d = decisions.get(id);
    if (!d) decisions.set(id, (d = { id, kind, name, verdicts: [] }));
    d.verdicts.push({ as, verdict });
  };

  // Schools
  const schools: OutSchool[] = [];
  const keptSchools = new Set<string>();
  for (const org of snap.organisations.values()) {
    const v = schoolRules(org, o);
    decide(org.id, 'organisation', org.displayName, 'school', v);
    if (org.organisationType !== 'Skolenhet' && !v.kept) continue; // other organisation levels are not schools: not counted
    count(counts.schools, v);
    if (!v.kept) continue;
    keptSchools.add(org.id);
    schools.push({
      id: org.id,
      name: org.displayName,
      schoolUnitCode: org.schoolUnitCode,
      organisationCode: org.organisationCode,
      municipalityCode: org.municipalityCode,
      schoolTypes: org.schoolTypes,
    });
  }

  // Organisations above school units (a Skola, a Rektorsområde): which kept units lie below each.
  const children = new Map<string, string[]>();
  for (const org of snap.organisations.values()) if (org.parentId) children.set(org.parentId, appended(children.get(org.parentId), org.id));
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

  // Names, dates, school ids and titles repeat across thousands of people; each parsed record
  // brings its own copy of them. One shared copy each keeps the selection small on a big world.
  const interned = new Map<string, string>();
  const intern = <S extends string | undefined>(v: S): S => {
    if (v === undefined) return v;
    const hit = interned.get(v);
    if (hit !== undefined) return hit as S;
    interned.set(v, v);
    return v;
  };
  const people = new Map<string, OutPerson>();
  const person = (p: Person): OutPerson => {
    let out = people.get(p.id);
    if (!out) {
      // Every field set here, in one order: all people share one object shape (no later additions).
      out = {
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
      people.set(p.id, out);
    }
    return out;
  };

  // Students (via enrolments)
  const keptStudents = new Set<string>();
  const guardianRelations = new Map<string, { studentId: string; relation: Responsible }[]>();
  for (const p of snap.persons.values()) {
    if (!p.enrolments.length) continue;
    const v = studentRules(p, keptSchools, o);
    decide(p.id, 'person', `${p.givenName} ${p.familyName}`, 'student', v);
    count(counts.students, v);
    for (const r of p.responsibles) {
      const list = guardianRelations.get(r.personId);
      guardianRelations.set(r.personId, appended(list, { studentId: p.id, relation: r }));
    }
    if (!v.kept) continue;
    keptStudents.add(p.id);
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
  }

  // Staff (via duties)
  const dutiesByPerson = new Map<string, Duty[]>();
  for (const d of snap.duties.values()) {
    if (!d.personId) {
      warnings.push(`duty ${d.id} has no person`);
      continue;
    }
    const list = dutiesByPerson.get(d.personId);
    dutiesByPerson.set(d.personId, appended(list, d));
  }
  const keptDuties = new Map<string, string>(); // dutyId → personId
  for (const [personId, duties] of dutiesByPerson) {
    const p = snap.persons.get(personId);
    if (!p) {
      warnings.push(`person ${personId} of duty ${duties[0]!.id} is missing from /persons`);
      continue;
    }
    const v = staffRules(p, duties, keptSchools, o, dutyOptions);
    decide(p.id, 'person', `${p.givenName} ${p.familyName}`, 'staff', v);
    count(counts.staff, v);
    if (!dutyOptions.unitsBelow && o.namedWarnings) {
      for (const d of duties) {
        if (d.dutyAt && !keptSchools.has(d.dutyAt) && unitsBelow(d.dutyAt).length) {
          o.namedWarnings.add(
            'mapping.duties_on_parent_organisations_off',
            'duties on an organisation above kept school units were not counted (mapping.dutiesOnParentOrganisations is off)',
            ['staff.duty.school_not_kept'],
            d.id,
          );
        }
      }
    }
    if (!v.kept) continue;
    const out = person(p);
    out.kinds = appended(out.kinds, 'staff');
    out.email ??= pickEmail(p, ['Skola personal', 'Arbete övrigt']);
    const seen = new Set<string>();
    for (const d of v.duties) {
      keptDuties.set(d.id, personId);
      if (d.dutyAt !== duties.find((x) => x.id === d.id)?.dutyAt) {
        o.namedWarnings?.add(
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
        o.namedWarnings?.add(
          'mapping.unknown_staff_title',
          `staff title "${d.dutyRole ?? '(none)'}" is not in the staff-role table: mapped to ${mapped.role} (mapping.unknownStaffRole)`,
          [],
          personId,
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

  // Guardians (via the students' responsibles)
  for (const [guardianId, relations] of guardianRelations) {
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
    for (const r of relations)
      if (v.studentIds.includes(r.studentId))
        out.guardianOf = appended(out.guardianOf, { studentId: r.studentId, relationType: intern(r.relation.relationType) });
  }
  for (const out of people.values()) {
    if (out.username) continue;
    out.usernameFrom = out.email ? 'email' : 'id';
    out.username = out.email ?? out.id;
  }
  uniqueUsernames(people.values(), o.namedWarnings);

  // Groups, classes and teams
  const activitiesByGroup = new Map<string, Activity[]>();
  for (const a of snap.activities.values()) {
    if (!activityCurrent(a, o)) continue;
    for (const g of a.groupIds) {
      const list = activitiesByGroup.get(g);
      activitiesByGroup.set(g, appended(list, a));
    }
  }
  const teams: OutTeam[] = [];
  const memberships: OutMembership[] = [];
  for (const g of snap.groups.values()) {
    const acts = activitiesByGroup.get(g.id) ?? [];
    const syllabusIds = [...new Set(acts.map((a) => a.syllabusId).filter((s): s is string => !!s))].sort();
    const v = groupRules(g, syllabusIds, keptSchools, o);
    const d: Decision = { id: g.id, kind: 'group', name: g.displayName, verdicts: [{ as: g.groupType === 'Klass' ? 'class' : 'group', verdict: v }] };
    if (keep) decisions.set(g.id, d);
    count(counts.groups, v);
    if (!v.kept) continue;
    // Teaching groups yield one team per syllabus; classes, mentor groups etc. are one team each.
    const pairs: (string | undefined)[] = g.groupType === 'Undervisning' ? syllabusIds : [undefined];
    d.teams = [];
    for (const sid of pairs) {
      const syl = sid ? snap.syllabuses.get(sid) : undefined;
      if (sid && !syl) warnings.push(`syllabus ${sid} of group ${g.id} is missing from /syllabuses`);
      const act = acts.find((a) => a.syllabusId === sid);
      const subject = syl?.courseName ?? syl?.subjectName ?? act?.courseName ?? act?.displayName;
      const team: OutTeam = {
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
      teams.push(team);
      d.teams.push(team.id);
      const members = new Set<string>();
      for (const m of g.memberships) {
        const mc = membershipRule(m, o);
        const kept = people.get(m.personId);
        const mv: Verdict = !mc.ok
          ? { kept: false, checks: [mc], excludedBy: mc.rule }
          : !kept
            ? {
                kept: false,
                checks: [mc, { rule: 'membership.person_not_kept', ok: false, detail: `person ${m.personId} is not kept` }],
                excludedBy: 'membership.person_not_kept',
              }
            : { kept: true, checks: [mc] };
        count(counts.memberships, mv);
        if (!mv.kept || members.has(m.personId)) continue;
        members.add(m.personId);
        memberships.push({ teamId: team.id, personId: kept!.id, role: kept!.kinds.includes('student') ? 'student' : 'teacher' });
      }
      for (const a of acts) {
        if (sid && a.syllabusId !== sid) continue;
        for (const t of a.teachers) {
          const pid = keptDuties.get(t.dutyId);
          if (!pid || members.has(pid)) continue;
          if ((t.startDate || t.endDate) && !dateWindow('teacher', t.startDate ?? '0000-01-01', t.endDate, o).ok) continue;
          members.add(pid);
          memberships.push({ teamId: team.id, personId: pid, role: 'teacher' });
        }
      }
    }
  }

  const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    selection: {
      session: academicSession(o.today),
      schools: schools.sort(byId),
      people: [...people.values()].sort(byId),
      teams: teams.sort(byId),
      memberships: memberships.sort((a, b) => (a.teamId === b.teamId ? (a.personId < b.personId ? -1 : 1) : a.teamId < b.teamId ? -1 : 1)),
    },
    counts,
    decisions,
    warnings,
  };
}

const KIND_RANK = { staff: 0, student: 1, guardian: 2 } as const;
const FROM_RANK = { eppn: 0, email: 1, id: 2 } as const;

/**
 * Makes usernames unique (compared without case), as SDS and OneRoster require. Of the people who
 * share one, the first by (source: eduPersonPrincipalName, e-mail, id; then kind: staff, student,
 * guardian; then id) keeps it; each other gets a suffix from a hash of their own id — `anna+k3f9a2c1@x.se`
 * for an e-mail, `name-k3f9a2c1` otherwise — so the result depends only on who shares the name and
 * is the same on every run.
 */
export function uniqueUsernames(people: Iterable<OutPerson>, warnings?: Warnings): void {
  const byName = new Map<string, OutPerson[]>();
  for (const p of people) {
    const k = p.username.toLowerCase();
    const list = byName.get(k);
    if (list) list.push(p);
    else byName.set(k, [p]);
  }
  const rank = (p: OutPerson) => [FROM_RANK[p.usernameFrom], Math.min(...p.kinds.map((k) => KIND_RANK[k]), 3)] as const;
  for (const [, list] of byName) {
    if (list.length < 2) continue;
    list.sort((a, b) => {
      const [fa, ka] = rank(a);
      const [fb, kb] = rank(b);
      return fa - fb || ka - kb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    for (const p of list.slice(1)) {
      const base = p.username;
      for (let len = 8; ; len += 4) {
        const h = createHash('sha256').update(p.id).digest('hex').slice(0, len);
        const at = base.lastIndexOf('@');
        const candidate = at > 0 ? `${base.slice(0, at)}+${h}${base.slice(at)}` : `${base}-${h}`;
        if (!byName.has(candidate.toLowerCase())) {
          p.username = candidate;
          byName.set(candidate.toLowerCase(), [p]);
          break;
        }
      }
      warnings?.add('output.username_shared', 'people shared a username; all but the first (by source, kind, id) got a suffix', [], p.id);
    }
  }
}
