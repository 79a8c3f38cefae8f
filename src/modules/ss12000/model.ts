import type {
  Absence,
  Activity,
  Attendance,
  AttendanceEvent,
  AttendanceSchedule,
  CalendarEvent,
  Duty,
  EntityType,
  Grade,
  Group,
  Organisation,
  Person,
  Placement,
  Programme,
  Resource,
  Room,
  SchoolUnitOffering,
  StudyPlan,
  Syllabus,
} from './schemas.ts';

/**
 * What Schoolgate derives from an SS 12000 entity body: the references it makes to other entities
 * (checked on ingestion, named on `expandReferenceNames`), the typed columns it is filtered and
 * sorted by, and the person ↔ school-unit relations that drive consent scoping.
 */

export const tableOf = {
  organisations: 'ss12000_organisations',
  persons: 'ss12000_persons',
  placements: 'ss12000_placements',
  duties: 'ss12000_duties',
  groups: 'ss12000_groups',
  activities: 'ss12000_activities',
  syllabuses: 'ss12000_syllabuses',
  programmes: 'ss12000_programmes',
  studyplans: 'ss12000_studyplans',
  rooms: 'ss12000_rooms',
  resources: 'ss12000_resources',
  schoolUnitOfferings: 'ss12000_school_unit_offerings',
  calendarEvents: 'ss12000_calendar_events',
  attendances: 'ss12000_attendances',
  absences: 'ss12000_absences',
  attendanceEvents: 'ss12000_attendance_events',
  attendanceSchedules: 'ss12000_attendance_schedules',
  grades: 'ss12000_grades',
} as const satisfies Record<EntityType, string>;

export interface Ref {
  /** Path inside the entity, e.g. `enrolments.0.enroledAt`. */
  path: (string | number)[];
  target: EntityType;
  id: string;
}

type AnyEntity = Record<string, any>;

/** Every reference an entity makes, with where it sits and what it points at. */
export function referencesOf(type: EntityType, e: AnyEntity): Ref[] {
  const out: Ref[] = [];
  const add = (path: (string | number)[], target: EntityType, ref: AnyEntity | undefined) => {
    if (ref?.id) out.push({ path, target, id: ref.id });
  };
  switch (type) {
    case 'organisations':
      add(['parentOrganisation'], 'organisations', e.parentOrganisation);
      break;
    case 'persons':
      (e.enrolments ?? []).forEach((en: AnyEntity, i: number) => {
        add(['enrolments', i, 'enroledAt'], 'organisations', en.enroledAt);
        add(['enrolments', i, 'programme'], 'programmes', en.programme);
      });
      (e.responsibles ?? []).forEach((r: AnyEntity, i: number) => add(['responsibles', i, 'person'], 'persons', r.person));
      break;
    case 'placements':
      add(['placedAt'], 'organisations', e.placedAt);
      add(['group'], 'groups', e.group);
      add(['child'], 'persons', e.child);
      (e.owners ?? []).forEach((o: AnyEntity, i: number) => add(['owners', i], 'persons', o));
      break;
    case 'duties':
      add(['person'], 'persons', e.person);
      add(['dutyAt'], 'organisations', e.dutyAt);
      (e.assignmentRole ?? []).forEach((a: AnyEntity, i: number) => add(['assignmentRole', i, 'group'], 'groups', a.group));
      break;
    case 'groups':
      add(['organisation'], 'organisations', e.organisation);
      (e.groupMemberships ?? []).forEach((m: AnyEntity, i: number) => add(['groupMemberships', i, 'person'], 'persons', m.person));
      break;
    case 'activities':
      (e.groups ?? []).forEach((g: AnyEntity, i: number) => add(['groups', i], 'groups', g));
      (e.teachers ?? []).forEach((t: AnyEntity, i: number) => add(['teachers', i, 'duty'], 'duties', t.duty));
      add(['syllabus'], 'syllabuses', e.syllabus);
      add(['organisation'], 'organisations', e.organisation);
      add(['parentActivity'], 'activities', e.parentActivity);
      break;
    case 'programmes':
      add(['parentProgramme'], 'programmes', e.parentProgramme);
      (e.content ?? []).forEach((c: AnyEntity, i: number) =>
        (c.content ?? []).forEach((s: AnyEntity, j: number) => add(['content', i, 'content', j], 'syllabuses', s)),
      );
      break;
    case 'studyplans':
      add(['student'], 'persons', e.student);
      (e.content ?? []).forEach((c: AnyEntity, i: number) =>
        (c.syllabuses ?? []).forEach((s: AnyEntity, j: number) => add(['content', i, 'syllabuses', j, 'syllabus'], 'syllabuses', s.syllabus)),
      );
      break;
    case 'rooms':
    case 'resources':
      add(['owner'], 'organisations', e.owner);
      break;
    case 'schoolUnitOfferings':
      add(['offeredAt'], 'organisations', e.offeredAt);
      (e.offeredSyllabuses ?? []).forEach((s: AnyEntity, i: number) => add(['offeredSyllabuses', i], 'syllabuses', s));
      (e.offeredProgrammes ?? []).forEach((p: AnyEntity, i: number) => add(['offeredProgrammes', i], 'programmes', p));
      break;
    case 'calendarEvents':
      add(['activity'], 'activities', e.activity);
      (e.studentExceptions ?? []).forEach((x: AnyEntity, i: number) => add(['studentExceptions', i, 'student'], 'persons', x.student));
      (e.teacherExceptions ?? []).forEach((x: AnyEntity, i: number) => add(['teacherExceptions', i, 'duty'], 'duties', x.duty));
      (e.rooms ?? []).forEach((r: AnyEntity, i: number) => add(['rooms', i], 'rooms', r));
      (e.resources ?? []).forEach((r: AnyEntity, i: number) => add(['resources', i], 'resources', r));
      break;
    case 'grades':
      add(['student'], 'persons', e.student);
      add(['organisation'], 'organisations', e.organisation);
      add(['registeredBy'], 'persons', e.registeredBy);
      add(['gradingTeacher'], 'persons', e.gradingTeacher);
      add(['group'], 'groups', e.group);
      add(['syllabus'], 'syllabuses', e.syllabus);
      break;
    case 'syllabuses':
      break;
    case 'attendances':
      add(['calendarEvent'], 'calendarEvents', e.calendarEvent);
      add(['student'], 'persons', e.student);
      add(['reporter'], 'persons', e.reporter);
      break;
    case 'absences':
      add(['student'], 'persons', e.student);
      add(['organisation'], 'organisations', e.organisation);
      add(['registeredBy'], 'persons', e.registeredBy);
      break;
    case 'attendanceEvents':
      add(['person'], 'persons', e.person);
      add(['registeredBy'], 'persons', e.registeredBy);
      add(['group'], 'groups', e.group);
      break;
    case 'attendanceSchedules':
      add(['placement'], 'placements', e.placement);
      (e.state ?? []).forEach((s: AnyEntity, i: number) => add(['state', i, 'registeredBy'], 'persons', s.registeredBy));
      break;
  }
  return out;
}

/**
 * Removes `displayName` from every reference of a parsed entity, in place. The store keeps references
 * as ids only: it is the authority for names, which `expandReferenceNames` fills in from the named
 * entity (and only where the app may see it), so a name the SIS copied into a reference is never shown.
 */
export function stripReferenceNames(type: EntityType, e: AnyEntity): void {
  for (const ref of referencesOf(type, e)) {
    const target = ref.path.reduce<any>((o, k) => (o == null ? undefined : o[k]), e);
    if (target && typeof target === 'object' && 'displayName' in target) delete target.displayName;
  }
}

const nz = (v: string | undefined | null) => (v === undefined || v === '' ? null : v);

/** The typed columns of one entity's row (besides id, body, hash and meta). */
export function columnsOf(type: EntityType, e: AnyEntity): Record<string, unknown> {
  switch (type) {
    case 'organisations': {
      const o = e as Organisation;
      return {
        display_name: o.displayName,
        organisation_type: o.organisationType,
        organisation_code: nz(o.organisationCode),
        school_unit_code: nz(o.schoolUnitCode),
        school_types: o.schoolTypes ?? [],
        municipality_code: nz(o.municipalityCode),
        parent_id: o.parentOrganisation?.id ?? null,
        start_date: o.startDate ?? null,
        end_date: o.endDate ?? null,
      };
    }
    case 'persons': {
      const p = e as Person;
      return {
        given_name: p.givenName,
        family_name: p.familyName,
        display_name: `${p.givenName} ${p.familyName}`,
        search_name: [p.givenName, p.middleName, p.familyName].filter(Boolean).join(' ').toLowerCase(),
        civic_no: p.civicNo?.value ?? null,
        eppns: p.eduPersonPrincipalNames ?? [],
        security_marking: p.securityMarking ?? null,
      };
    }
    case 'placements': {
      const p = e as Placement;
      return {
        organisation_id: p.placedAt.id,
        group_id: p.group?.id ?? null,
        child_id: p.child.id,
        owner_ids: (p.owners ?? []).map((o) => o.id),
        start_date: p.startDate,
        end_date: p.endDate ?? null,
      };
    }
    case 'duties': {
      const d = e as Duty;
      return {
        organisation_id: d.dutyAt.id,
        person_id: d.person?.id ?? null,
        duty_role: d.dutyRole,
        group_ids: [...new Set((d.assignmentRole ?? []).map((a) => a.group.id))],
        start_date: d.startDate,
        end_date: d.endDate ?? null,
      };
    }
    case 'groups': {
      const g = e as Group;
      return {
        organisation_id: g.organisation.id,
        display_name: g.displayName,
        group_type: g.groupType,
        school_type: g.schoolType ?? null,
        start_date: g.startDate,
        end_date: g.endDate ?? null,
      };
    }
    case 'activities': {
      const a = e as Activity;
      return {
        organisation_id: a.organisation.id,
        display_name: a.displayName,
        group_ids: a.groups.map((g) => g.id),
        teacher_duty_ids: (a.teachers ?? []).map((t) => t.duty.id),
        syllabus_id: a.syllabus?.id ?? null,
        start_date: a.startDate,
        end_date: a.endDate ?? null,
      };
    }
    case 'syllabuses': {
      const s = e as Syllabus;
      return {
        subject_name: s.subjectName,
        subject_code: nz(s.subjectCode),
        subject_designation: nz(s.subjectDesignation),
        course_name: nz(s.courseName),
        course_code: nz(s.courseCode),
      };
    }
    case 'programmes': {
      const p = e as Programme;
      return { name: p.name, code: nz(p.code), school_type: p.schoolType, parent_id: p.parentProgramme?.id ?? null };
    }
    case 'studyplans': {
      const s = e as StudyPlan;
      return { student_id: s.student.id, start_date: s.startDate, end_date: s.endDate ?? null };
    }
    case 'rooms':
    case 'resources': {
      const r = e as Room | Resource;
      return { organisation_id: r.owner.id.toLowerCase(), display_name: r.displayName };
    }
    case 'schoolUnitOfferings': {
      const o = e as SchoolUnitOffering;
      return { organisation_id: o.offeredAt.id.toLowerCase(), start_date: o.startDate ?? null, end_date: o.endDate ?? null };
    }
    case 'calendarEvents': {
      // organisation_id is the activity's unit, copied by ingestion (`syncCalendarEventUnits`).
      const c = e as CalendarEvent;
      const lower = (list: { id: string }[] | undefined) => [...new Set((list ?? []).map((x) => x.id.toLowerCase()))];
      return {
        activity_id: c.activity.id.toLowerCase(),
        start_time: c.startTime,
        end_time: c.endTime,
        student_ids: lower((c.studentExceptions ?? []).map((x) => x.student)),
        teacher_duty_ids: lower((c.teacherExceptions ?? []).map((x) => x.duty)),
        room_ids: lower(c.rooms),
        resource_ids: lower(c.resources),
      };
    }
    case 'attendances': {
      // activity_id and organisation_id are the lesson's, copied by ingestion (`syncAttendanceUnits`).
      const a = e as Attendance;
      return { calendar_event_id: a.calendarEvent.id.toLowerCase(), student_id: a.student.id.toLowerCase(), reporter_id: a.reporter?.id.toLowerCase() ?? null };
    }
    case 'absences': {
      const a = e as Absence;
      return {
        student_id: a.student.id.toLowerCase(),
        organisation_id: a.organisation?.id.toLowerCase() ?? null,
        registered_by_id: a.registeredBy?.id.toLowerCase() ?? null,
        type: a.type,
        start_time: a.startTime,
        end_time: a.endTime,
      };
    }
    case 'attendanceEvents': {
      // organisation_id is the group's, copied by ingestion (`syncAttendanceUnits`).
      const a = e as AttendanceEvent;
      return {
        person_id: a.person.id.toLowerCase(),
        group_id: a.group.id.toLowerCase(),
        registered_by_id: a.registeredBy?.id.toLowerCase() ?? null,
        time: a.time,
      };
    }
    case 'attendanceSchedules': {
      // organisation_id, student_id and group_id are the placement's, copied by ingestion (`syncAttendanceUnits`).
      const a = e as AttendanceSchedule;
      return { placement_id: a.placement.id.toLowerCase(), start_date: a.startDate, end_date: a.endDate ?? null };
    }
    case 'grades': {
      const g = e as Grade;
      return {
        organisation_id: g.organisation.id.toLowerCase(),
        student_id: g.student.id.toLowerCase(),
        registered_by_id: g.registeredBy.id.toLowerCase(),
        grading_teacher_id: g.gradingTeacher?.id.toLowerCase() ?? null,
        registered_date: g.registeredDate,
      };
    }
  }
}

export type RelationKind =
  'enrolment' | 'duty' | 'placement.child' | 'placement.owner' | 'responsibleFor.enrolment' | 'responsibleFor.placement' | 'groupMembership';

export interface Relation {
  person_id: string;
  kind: RelationKind;
  organisation_id: string;
  start_date: string | null;
  end_date: string | null;
  source_type: EntityType;
  source_id: string;
}

/** Person ↔ school-unit relations an entity states (persons, placements, duties and groups do). */
export function relationsOf(type: EntityType, e: AnyEntity): Relation[] {
  const out: Relation[] = [];
  const rel = (person: string, kind: RelationKind, org: string, start?: string | null, end?: string | null) =>
    out.push({ person_id: person, kind, organisation_id: org, start_date: start ?? null, end_date: end ?? null, source_type: type, source_id: e.id });
  switch (type) {
    case 'persons': {
      const p = e as Person;
      for (const en of p.enrolments ?? []) {
        rel(p.id, 'enrolment', en.enroledAt.id, en.startDate, en.endDate);
        for (const r of p.responsibles ?? []) rel(r.person.id, 'responsibleFor.enrolment', en.enroledAt.id, en.startDate, en.endDate);
      }
      break;
    }
    case 'placements': {
      const p = e as Placement;
      rel(p.child.id, 'placement.child', p.placedAt.id, p.startDate, p.endDate);
      for (const o of p.owners ?? []) {
        rel(o.id, 'placement.owner', p.placedAt.id, p.startDate, p.endDate);
        rel(o.id, 'responsibleFor.placement', p.placedAt.id, p.startDate, p.endDate);
      }
      break;
    }
    case 'duties': {
      const d = e as Duty;
      if (d.person) rel(d.person.id, 'duty', d.dutyAt.id, d.startDate, d.endDate);
      break;
    }
    case 'groups': {
      const g = e as Group;
      for (const m of g.groupMemberships ?? []) rel(m.person.id, 'groupMembership', g.organisation.id, m.startDate ?? g.startDate, m.endDate ?? g.endDate);
      break;
    }
    default:
      break;
  }
  return out;
}

/**
 * Relation kinds through which the students API reaches a person, the staff API, and guardianship.
 * Written once in `src/modules/access/literals.ts`, which the live SQL uses too.
 */
export { GUARDIAN_KINDS, STAFF_KINDS, STUDENT_KINDS } from '../access/literals.ts';
