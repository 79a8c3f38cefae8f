import { createHash } from 'node:crypto';
import { CONFIDENTIALITY_MARKING, DATA_CATEGORIES, PROTECTED_IDENTITY, PROTECTING_MARKINGS } from '../access/literals.ts';
import type { EntityType, securityMarkings } from './schemas.ts';

/**
 * THE release policy of the SS 12000 data API: for every entity and every field it can serve, what
 * releases it (always, a data category, or a consent rule on the scope), what protected identity does
 * to it, and which filters, sort keys and lookups read it. It is an allowlist: a field that no
 * declaration names is never served, whatever ingestion stored.
 *
 * Derived from it, and written nowhere else:
 *  - the stored release parts of every row (`releaseParts`, computed when a row is stored and again
 *    for every row when this declaration changes — see `release-store.ts`);
 *  - the SQL that presents a page (`present.ts` joins the parts a reader may see);
 *  - the gating of every filter, sort key and lookup on a withheld field (`read.ts` via `readsOf`);
 *  - the data API's OpenAPI notes and the category descriptions of the purpose register and the
 *    consent screen (`paramGate`, `sortGate`, `fieldsOfCategory`).
 *
 * Protected identity (DOMAIN §4). `Skyddad folkbokföring`: nothing that identifies or reaches the
 * person outside the school — civic number, addresses, phone numbers, every e-mail address,
 * `eduPersonPrincipalNames` (in practice the school e-mail), `externalIdentifiers` and the photo.
 * `Sekretessmarkering` (the population register marks the person's data as possibly secret; the
 * school cannot do the secrecy review for a partner): what the population register holds — civic
 * number, addresses, phone numbers and private e-mail — is withheld; identifiers the school itself
 * issued (school e-mail, EPPN, external identifiers) still flow, as sign-in needs them. A filter,
 * lookup or sort on a withheld field neither finds nor orders such a person.
 */

/** Data categories an app may be approved for (the catalog's codes; `identity` is what always flows). */
export const dataCategories = DATA_CATEGORIES;
export type DataCategory = (typeof dataCategories)[number];

export type SecurityMarking = (typeof securityMarkings)[number];
const SHIELDED: readonly SecurityMarking[] = [PROTECTED_IDENTITY];
const MARKED: readonly SecurityMarking[] = [PROTECTED_IDENTITY, CONFIDENTIALITY_MARKING];
/** Markings under which some field is withheld (SQL and tests use this list, never a literal). */
export const protectingMarkings: readonly SecurityMarking[] = PROTECTING_MARKINGS;

/**
 * Consent rules that release part of a field depending on the scope, each implemented once in
 * `present.ts` (`ruleSql`): the name says what the reader gets.
 */
export type ScopeRule =
  /** persons.enrolments: a student's own, only those at units granted under the students API. */
  | 'enrolmentsAtStudentUnits'
  /** persons.responsibles: a student's guardians, with the guardians category. */
  | 'guardiansOfStudents'
  /** groups.groupMemberships: only for groups at units granted under the students API (an end user: their own). */
  | 'membershipsAtStudentUnits'
  /**
   * activities.teachers, calendarEvents.teacherExceptions: only for records at units granted under
   * the staff API (never to an end user).
   */
  | 'teachersAtStaffUnits'
  /** calendarEvents.studentExceptions: only for lessons at units granted under the students API. */
  | 'studentExceptionsAtStudentUnits'
  /** placements.owners: with the guardians category. */
  | 'ownersWithGuardians'
  /** attendances.absenceReason: with the attendance API's `absences` category (never to an end user). */
  | 'absenceReasonWithAbsences';

/** What releases a field. */
export type Release = { by: 'always' } | { by: 'category'; category: DataCategory } | { by: 'rule'; rule: ScopeRule; category?: DataCategory };

/** A field's declaration. */
export interface FieldRelease {
  release: Release;
  /** Markings under which the field is never released (persons only). */
  withheldUnder?: readonly SecurityMarking[];
  /**
   * Elements of a list field that need more than the field: `emails` of type `Privat` need the
   * private_email category and are withheld under every marking.
   */
  privateElements?: { match: { key: string; value: string }; category: DataCategory; withheldUnder: readonly SecurityMarking[] };
  /** An empty list is left out rather than released as `[]` (enrolments: what is left after the scope's filter). */
  omitEmpty?: boolean;
  /** Query parameters, sort keys and lookup keys of this entity's endpoint that read the field. */
  reads?: { params?: readonly string[]; sortkeys?: readonly string[]; lookups?: readonly string[] };
}

/** An entity's declaration: its fields, and the parameters that read no field of its own. */
export interface EntityRelease {
  fields: Record<string, FieldRelease>;
  /**
   * Parameters, sort keys and lookups that read only what the scope already decides (ids, units,
   * dates, codes of released fields), each named here so that a new one cannot go undeclared.
   */
  scoped?: { params?: readonly string[]; sortkeys?: readonly string[]; lookups?: readonly string[] };
  /**
   * A record about one pupil (attendance, issue 17): released only under the catalog API `api`, at a
   * unit granted under it where the pupil is a student under the students API too, never to an end
   * user, and never at all — not the record, not that it exists — while the pupil's marking is one of
   * `withheldUnder` (what a lesson attended or an absence reveals about a protected pupil is where
   * they are and when: the very thing protected identity keeps from others). `category`: the whole
   * record needs that data category approved under the API. Applied by `visibleSql` (`scope.ts`).
   */
  pupilRecord?: { api: 'attendance'; studentColumn: string; withheldUnder: readonly SecurityMarking[]; category?: DataCategory };
}

const always: FieldRelease = { release: { by: 'always' } };
const alwaysRead = (reads: FieldRelease['reads']): FieldRelease => ({ release: { by: 'always' }, reads });
const category = (c: DataCategory, withheldUnder: readonly SecurityMarking[] = [], reads?: FieldRelease['reads']): FieldRelease => ({
  release: { by: 'category', category: c },
  withheldUnder,
  ...(reads ? { reads } : {}),
});
const rule = (r: ScopeRule, reads?: FieldRelease['reads'], c?: DataCategory): FieldRelease => ({
  release: { by: 'rule', rule: r, ...(c ? { category: c } : {}) },
  ...(reads ? { reads } : {}),
});
const dated = {
  startDate: alwaysRead({ params: ['startDate.onOrBefore', 'startDate.onOrAfter'], sortkeys: ['StartDateAsc', 'StartDateDesc'] }),
  endDate: alwaysRead({ params: ['endDate.onOrBefore', 'endDate.onOrAfter'], sortkeys: ['EndDateAsc', 'EndDateDesc'] }),
};

/** The declaration. Change it here and nowhere else; `test/ss12000/release-policy.test.ts` keeps the rest in step. */
export const releasePolicy: Record<EntityType, EntityRelease> = {
  organisations: {
    fields: {
      id: always,
      displayName: alwaysRead({ sortkeys: ['DisplayNameAsc'] }),
      organisationCode: alwaysRead({ params: ['organisationCode'], lookups: ['organisationCodes'] }),
      organisationType: alwaysRead({ params: ['type'] }),
      organisationNumber: always,
      parentOrganisation: alwaysRead({ params: ['parent'] }),
      schoolUnitCode: alwaysRead({ params: ['schoolUnitCode'], lookups: ['schoolUnitCodes'] }),
      schoolTypes: alwaysRead({ params: ['schoolTypes'] }),
      address: always,
      municipalityCode: alwaysRead({ params: ['municipalityCode'] }),
      url: always,
      email: always,
      phoneNumber: always,
      contactInfo: always,
      ...dated,
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  persons: {
    fields: {
      id: always,
      givenName: alwaysRead({ params: ['nameContains'], sortkeys: ['GivenNameAsc', 'GivenNameDesc', 'DisplayNameAsc'] }),
      middleName: alwaysRead({ params: ['nameContains'] }),
      familyName: alwaysRead({ params: ['nameContains'], sortkeys: ['FamilyNameAsc', 'FamilyNameDesc', 'DisplayNameAsc'] }),
      eduPersonPrincipalNames: { release: { by: 'always' }, withheldUnder: SHIELDED, reads: { params: ['eduPersonPrincipalName'] } },
      externalIdentifiers: { release: { by: 'always' }, withheldUnder: SHIELDED, reads: { params: ['identifier.value', 'identifier.context'] } },
      civicNo: category('civic_number', MARKED, { params: ['civicNo'], sortkeys: ['CivicNoAsc', 'CivicNoDesc'], lookups: ['civicNos'] }),
      birthDate: category('birth_date'),
      sex: category('sex'),
      securityMarking: always,
      personStatus: always,
      emails: {
        release: { by: 'always' },
        withheldUnder: SHIELDED,
        privateElements: { match: { key: 'type', value: 'Privat' }, category: 'private_email', withheldUnder: MARKED },
      },
      phoneNumbers: category('phone_numbers', MARKED),
      addresses: category('addresses', MARKED),
      photo: category('photo', SHIELDED),
      enrolments: { ...rule('enrolmentsAtStudentUnits'), omitEmpty: true },
      responsibles: rule('guardiansOfStudents', undefined, 'guardians'),
    },
    // The relationship.* filters read the person's relations to units, limited to the scope's units.
    scoped: {
      params: [
        'relationship.entity.type',
        'relationship.organisation',
        'relationship.startDate.onOrBefore',
        'relationship.startDate.onOrAfter',
        'relationship.endDate.onOrBefore',
        'relationship.endDate.onOrAfter',
      ],
      sortkeys: ['ModifiedDesc'],
    },
  },
  placements: {
    fields: {
      id: always,
      placedAt: alwaysRead({ params: ['organisation'] }),
      group: alwaysRead({ params: ['group'] }),
      child: alwaysRead({ params: ['child'], lookups: ['personIds'] }),
      owners: rule('ownersWithGuardians', { params: ['owner'], lookups: ['personIds'] }, 'guardians'),
      schoolType: always,
      ...dated,
      reason: always,
      maxWeeklyScheduleHours: always,
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  duties: {
    fields: {
      id: always,
      person: alwaysRead({ params: ['person'] }),
      assignmentRole: always,
      dutyAt: alwaysRead({ params: ['organisation'] }),
      dutyRole: alwaysRead({ params: ['dutyRole'] }),
      description: always,
      signature: always,
      dutyPercent: always,
      hoursPerYear: always,
      ...dated,
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  groups: {
    fields: {
      id: always,
      displayName: alwaysRead({ sortkeys: ['DisplayNameAsc'] }),
      ...dated,
      groupType: alwaysRead({ params: ['groupType'] }),
      schoolType: alwaysRead({ params: ['schoolTypes'] }),
      organisation: alwaysRead({ params: ['organisation'] }),
      groupMemberships: rule('membershipsAtStudentUnits'),
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  activities: {
    fields: {
      id: always,
      displayName: alwaysRead({ sortkeys: ['DisplayNameAsc'] }),
      calendarEventsRequired: always,
      ...dated,
      activityType: always,
      comment: always,
      minutesPlanned: always,
      groups: alwaysRead({ params: ['group'] }),
      teachers: rule('teachersAtStaffUnits', { params: ['teacher'], lookups: ['teachers'] }),
      syllabus: always,
      organisation: alwaysRead({ params: ['organisation'] }),
      parentActivity: always,
    },
    // member / members read groups' memberships: gated in the filter itself to groups at student units.
    scoped: { params: ['member'], lookups: ['members'], sortkeys: ['ModifiedDesc'] },
  },
  syllabuses: {
    fields: {
      id: always,
      schoolType: always,
      subjectCode: alwaysRead({ sortkeys: ['SubjectCodeAsc', 'SubjectCodeDesc'] }),
      subjectName: alwaysRead({ sortkeys: ['SubjectNameAsc', 'SubjectNameDesc'] }),
      subjectDesignation: alwaysRead({ sortkeys: ['SubjectDesignationAsc', 'SubjectDesignationDesc'] }),
      courseCode: alwaysRead({ sortkeys: ['CourseCodeAsc', 'CourseCodeDesc'] }),
      courseName: alwaysRead({ sortkeys: ['CourseNameAsc', 'CourseNameDesc'] }),
      startSchoolYear: always,
      endSchoolYear: always,
      points: always,
      curriculum: always,
      languageCode: always,
      specialisationCourseContent: always,
      official: always,
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  programmes: {
    fields: {
      id: always,
      name: alwaysRead({ sortkeys: ['NameAsc'] }),
      type: always,
      parentProgramme: alwaysRead({ params: ['parentProgramme'] }),
      schoolType: alwaysRead({ params: ['schoolType'] }),
      code: alwaysRead({ params: ['code'], sortkeys: ['CodeAsc'] }),
      content: always,
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  studyplans: {
    fields: {
      id: always,
      student: alwaysRead({ params: ['student'] }),
      content: always,
      notes: always,
      ...dated,
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  // The timetable (issue 17): records of the units granted under the timetable API. What they say
  // about persons (a pupil's or a teacher's exception to a lesson) is the students' or the staff
  // API's data at that unit, released by the same kind of rule as groups' members and activities' teachers.
  rooms: {
    fields: {
      id: always,
      displayName: alwaysRead({ sortkeys: ['DisplayNameAsc'] }),
      seats: always,
      owner: alwaysRead({ params: ['organisation'] }),
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  resources: {
    fields: {
      id: always,
      displayName: alwaysRead({ sortkeys: ['DisplayNameAsc'] }),
      description: always,
      owner: alwaysRead({ params: ['organisation'] }),
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  schoolUnitOfferings: {
    fields: {
      id: always,
      ...dated,
      offeredAt: alwaysRead({ params: ['organisation'] }),
      offeredSyllabuses: always,
      offeredProgrammes: always,
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
  calendarEvents: {
    fields: {
      id: always,
      activity: alwaysRead({ params: ['activity', 'group'], lookups: ['activities'] }),
      startTime: alwaysRead({ params: ['startTime.onOrAfter', 'startTime.onOrBefore'], sortkeys: ['StartTimeAsc', 'StartTimeDesc'] }),
      endTime: alwaysRead({ params: ['endTime.onOrBefore', 'endTime.onOrAfter'] }),
      cancelled: always,
      teachingLengthTeacher: always,
      teachingLengthStudent: always,
      comment: always,
      // The student filter and lookup also read the activity's groups' memberships: gated with it.
      studentExceptions: rule('studentExceptionsAtStudentUnits', { params: ['student'], lookups: ['student'] }),
      teacherExceptions: rule('teachersAtStaffUnits', { params: ['teacher'], lookups: ['teacher'] }),
      rooms: always,
      resources: always,
    },
    // organisation: the unit of the lesson and the elements above it, which the scope decides.
    scoped: { params: ['organisation'], sortkeys: ['ModifiedDesc'] },
  },
  // Attendance (issue 17): a pupil's records, released under the catalog API `attendance` only where
  // the pupil's own data may be seen at that school (`pupilRecord`); absences are a sensitive data
  // category of their own, and so is the reason given for an absence in a lesson's attendance.
  attendances: {
    fields: {
      id: always,
      calendarEvent: alwaysRead({ params: ['calendarEvent'], lookups: ['calendareEvents'] }),
      student: alwaysRead({ params: ['student'], lookups: ['students'] }),
      reporter: always,
      isReported: always,
      attendanceMinutes: always,
      validAbsenceMinutes: always,
      invalidAbsenceMinutes: always,
      otherAttendanceMinutes: always,
      absenceReason: rule('absenceReasonWithAbsences', undefined, 'absences'),
      reportedTimestamp: always,
    },
    // organisation: the lesson's unit (scope); activities: the lesson's activity (scope).
    scoped: { params: ['organisation'], lookups: ['activities'], sortkeys: ['ModifiedDesc'] },
    pupilRecord: { api: 'attendance', studentColumn: 'student_id', withheldUnder: SHIELDED },
  },
  absences: {
    fields: {
      id: always,
      startTime: alwaysRead({ params: ['startTime.onOrBefore', 'startTime.onOrAfter'], sortkeys: ['StartTimeAsc', 'StartTimeDesc'] }),
      endTime: alwaysRead({ params: ['endTime.onOrBefore', 'endTime.onOrAfter'] }),
      type: alwaysRead({ params: ['type'] }),
      student: alwaysRead({ params: ['student'] }),
      organisation: alwaysRead({ params: ['organisation'] }),
      registeredBy: alwaysRead({ params: ['registeredBy'] }),
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
    pupilRecord: { api: 'attendance', studentColumn: 'student_id', withheldUnder: SHIELDED, category: 'absences' },
  },
  attendanceEvents: {
    fields: {
      id: always,
      time: always,
      eventType: always,
      person: alwaysRead({ params: ['person'], lookups: ['person'] }),
      registeredBy: always,
      group: alwaysRead({ params: ['group'], lookups: ['group'] }),
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
    pupilRecord: { api: 'attendance', studentColumn: 'person_id', withheldUnder: SHIELDED },
  },
  attendanceSchedules: {
    fields: {
      id: always,
      placement: alwaysRead({ params: ['placement'], lookups: ['placement'] }),
      numberOfWeeks: always,
      ...dated,
      temporary: always,
      state: always,
      scheduleEntries: always,
    },
    // group: the placement's group (copied from the placement, which the scope decides with the record).
    scoped: { params: ['group'], sortkeys: ['ModifiedDesc'] },
    pupilRecord: { api: 'attendance', studentColumn: 'student_id', withheldUnder: SHIELDED },
  },
  // Grades (issue 17): records of the units granted under the grades API, of pupils who are students
  // there and not under protected identity (the scope, `visibleSql`). What the grade says is the
  // sensitive category `grades`; who, where, when and in which course is released with the record.
  grades: {
    fields: {
      id: always,
      student: alwaysRead({ params: ['student'] }),
      organisation: alwaysRead({ params: ['organisation'] }),
      registeredBy: alwaysRead({ params: ['registeredBy'] }),
      gradingTeacher: alwaysRead({ params: ['gradingTeacher'] }),
      group: always,
      registeredDate: alwaysRead({ params: ['registeredDate.onOrAfter', 'registeredDate.onOrBefore'], sortkeys: ['registeredDateAsc', 'registeredDateDesc'] }),
      gradeValue: category('grades'),
      finalGrade: category('grades'),
      trial: category('grades'),
      adaptedStudyPlan: category('grades'),
      remark: category('grades'),
      converted: category('grades'),
      correctionType: category('grades'),
      semester: always,
      year: always,
      syllabus: always,
      diplomaProject: category('grades'),
    },
    scoped: { sortkeys: ['ModifiedDesc'] },
  },
};

// ---------------------------------------------------------------------------------------------
// Stored release parts

/** A stored part of an entity's JSON: a column holding `, "key": value` (or the core object). */
export interface ReleasePart {
  /** Column name in the entity's table. */
  column: string;
  /** The field it holds (absent for the core). */
  field?: string;
  /** `all`: every element the person's marking allows; `school`: without the private elements. */
  variant?: 'all' | 'school';
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The stored column of a field's part (`json_civic_no`; the school-only variant `json_school_emails`). */
export const partColumn = (field: string, variant: 'all' | 'school' = 'all') => (variant === 'school' ? `json_school_${snake(field)}` : `json_${snake(field)}`);

/** The parts stored per row of `type`: the core (every always-released field) and one per other field. */
export function partsOf(type: EntityType): ReleasePart[] {
  const parts: ReleasePart[] = [{ column: 'json_core' }];
  for (const [field, f] of Object.entries(releasePolicy[type].fields)) {
    if (f.privateElements) {
      parts.push({ column: partColumn(field), field, variant: 'all' }, { column: partColumn(field, 'school'), field, variant: 'school' });
    } else if (f.release.by !== 'always') parts.push({ column: partColumn(field), field });
  }
  return parts;
}

const member = (key: string, value: unknown) => `, ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
const isEmptyList = (v: unknown) => Array.isArray(v) && v.length === 0;

/**
 * The release parts of one entity as it is stored: the column values to write beside its body.
 * `entity` is the body as parsed by its input schema (unknown members, nested too, already
 * stripped); members that no declaration names are left out here whatever the body holds.
 * A member withheld under the entity's own security marking is NULL.
 */
export function releaseParts(type: EntityType, entity: Record<string, unknown>): Record<string, string | null> {
  const marking = typeof entity.securityMarking === 'string' ? (entity.securityMarking as SecurityMarking) : undefined;
  const withheld = (under: readonly SecurityMarking[] | undefined) => !!marking && !!under?.includes(marking);
  const fields = releasePolicy[type].fields;
  const core: Record<string, unknown> = {};
  const out: Record<string, string | null> = {};
  for (const [field, f] of Object.entries(fields)) {
    const value = entity[field];
    const hidden = withheld(f.withheldUnder);
    if (f.privateElements) {
      const { match, withheldUnder } = f.privateElements;
      const list = Array.isArray(value) && !hidden ? (value as Record<string, unknown>[]) : [];
      const isPrivate = (e: Record<string, unknown>) => e?.[match.key] === match.value;
      const all = list.filter((e) => !isPrivate(e) || !withheld(withheldUnder));
      const school = list.filter((e) => !isPrivate(e));
      out[partColumn(field)] = all.length ? member(field, all) : null;
      out[partColumn(field, 'school')] = school.length ? member(field, school) : null;
      continue;
    }
    if (f.release.by === 'always') {
      if (value !== undefined && !hidden) core[field] = value;
      continue;
    }
    out[partColumn(field)] = value === undefined || hidden || (f.omitEmpty && isEmptyList(value)) ? null : member(field, value);
  }
  out.json_core = JSON.stringify(core);
  return out;
}

/**
 * A digest of the declaration's effect on stored parts: when it differs from the one recorded with
 * the stored rows, every row's parts are computed again (`release-store.ts`).
 */
export const releasePolicyDigest = createHash('sha256')
  .update(JSON.stringify(releasePolicy, (_k, v) => (typeof v === 'function' ? String(v) : v)))
  .update(String(releaseParts))
  .digest('base64url');

// ---------------------------------------------------------------------------------------------
// What reads what

/** The field of `type` that a parameter, sort key or lookup reads, or undefined when it reads none. */
export function readsOf(type: EntityType, kind: 'params' | 'sortkeys' | 'lookups', name: string): { field: string; release: FieldRelease } | undefined {
  for (const [field, f] of Object.entries(releasePolicy[type].fields)) {
    if (f.reads?.[kind]?.includes(name) && (f.release.by !== 'always' || f.withheldUnder?.length)) return { field, release: f };
  }
  return undefined;
}

/** The categories a field needs (empty: released with the entity), for OpenAPI and register texts. */
function gateOf(f: FieldRelease | undefined): string[] {
  if (!f) return [];
  if (f.release.by === 'category') return [f.release.category];
  if (f.release.by === 'rule' && f.release.category) return [f.release.category];
  return [];
}

/** Data categories that must be approved for a filter (or lookup key) of `type` to reach a person's field. */
export function paramGate(type: EntityType, param: string): string[] {
  return gateOf((readsOf(type, 'params', param) ?? readsOf(type, 'lookups', param))?.release);
}

/** Data categories that must be approved for a sort key of `type` to order by a person's field. */
export function sortGate(type: EntityType, sortkey: string): string[] {
  return gateOf(readsOf(type, 'sortkeys', sortkey)?.release);
}

/** Markings under which what a parameter / sort key reads is withheld (the OpenAPI says so). */
export function withheldUnder(type: EntityType, kind: 'params' | 'sortkeys' | 'lookups', name: string): readonly SecurityMarking[] {
  return readsOf(type, kind, name)?.release.withheldUnder ?? [];
}

/** The fields a data category releases, per entity (for the purpose register, the catalog and the consent screen). */
export function fieldsOfCategory(c: DataCategory): { entity: EntityType; field: string }[] {
  const out: { entity: EntityType; field: string }[] = [];
  for (const [entity, e] of Object.entries(releasePolicy) as [EntityType, EntityRelease][]) {
    // `identity` is what the person APIs release about anyone they reach: the person's own fields.
    if (c === 'identity' && entity !== 'persons') continue;
    // A record that needs the category as a whole (absences) releases every field of it with it.
    if (e.pupilRecord?.category === c) {
      for (const field of Object.keys(e.fields)) out.push({ entity, field });
      continue;
    }
    for (const [field, f] of Object.entries(e.fields)) {
      const cats = c === 'identity' ? (f.release.by === 'always' ? ['identity'] : []) : gateOf(f);
      if (cats.includes(c) || f.privateElements?.category === c) out.push({ entity, field });
    }
  }
  return out;
}
