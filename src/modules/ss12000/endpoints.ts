import { sql, type RawBuilder } from 'kysely';
import { absenceTypes, dutyRoles, groupTypes, organisationTypes, schoolTypes, type EntityType } from './schemas.ts';
import { personVisibleSql, texts, unitIds, uuids, type Scope } from './scope.ts';
import { releasedSql } from './present.ts';
import { readsOf } from './release.ts';
import { GUARDIAN_KINDS, STAFF_KINDS, STUDENT_KINDS } from './model.ts';

/**
 * The read endpoints of the SS 12000 facade, described as data: their query parameters (each with
 * how it filters), sort keys (each a keyset-paginable column) and expands. Routes, validation, the
 * pageToken, and the facade's OpenAPI are all generated from this one table.
 */

export type ParamKind = 'uuid' | 'uuid[]' | 'string' | 'string[]' | 'date' | 'datetime' | 'boolean' | 'enum' | 'enum[]';

export interface ParamDef {
  kind: ParamKind;
  values?: readonly string[];
  description: string;
  /** The spec requires it on a list request (`startTime.onOrAfter`/`onOrBefore` of /calendarEvents): absent, a 400. */
  required?: boolean;
  /** SQL condition on alias `t` for a validated value (absent for params handled elsewhere). */
  where?: (value: any, scope: Scope) => RawBuilder<unknown>;
}

export interface SortDef {
  /** SQL expression on alias `t`, never NULL (coalesced) so that keyset comparisons hold. */
  expr: string;
  cast: 'text' | 'date' | 'timestamptz';
  desc: boolean;
}

export interface EndpointDef {
  type: EntityType;
  /** Path segment under /ss12000/v2.0. */
  path: string;
  table: string;
  params: Record<string, ParamDef>;
  sortkeys: Record<string, SortDef>;
  expand: readonly string[];
  /** Whether the entity has startDate/endDate columns (the spec's date filters). */
  dated: boolean;
  /** Lookup body fields besides `ids`. */
  lookup: Record<string, { description: string; where: (values: string[], scope: Scope) => RawBuilder<unknown> }>;
}

const modifiedDesc: SortDef = { expr: 't.modified_at', cast: 'timestamptz', desc: true };
const startAsc: SortDef = { expr: 't.start_date', cast: 'date', desc: false };
const startDesc: SortDef = { ...startAsc, desc: true };
const endAsc: SortDef = { expr: `coalesce(t.end_date, '9999-12-31'::date)`, cast: 'date', desc: false };
const endDesc: SortDef = { ...endAsc, desc: true };
const text = (col: string, desc = false): SortDef => ({ expr: `coalesce(${col}, '')`, cast: 'text', desc });

const RELATION_TYPES = [
  'enrolment',
  'duty',
  'placement.child',
  'placement.owner',
  'responsibleFor.enrolment',
  'responsibleFor.placement',
  'groupMembership',
] as const;

export const endpoints: EndpointDef[] = [
  {
    type: 'organisations',
    path: 'organisations',
    table: 'ss12000_organisations',
    dated: true,
    expand: [],
    params: {
      parent: { kind: 'uuid[]', description: 'Only organisations whose parent is one of these.', where: (v) => sql`t.parent_id = ANY(${uuids(v)})` },
      schoolUnitCode: { kind: 'string[]', description: 'Only school units with one of these codes.', where: (v) => sql`t.school_unit_code = ANY(${texts(v)})` },
      organisationCode: {
        kind: 'string[]',
        description: 'Only organisations with one of these codes.',
        where: (v) => sql`t.organisation_code = ANY(${texts(v)})`,
      },
      municipalityCode: { kind: 'string', description: 'Only organisations in this municipality.', where: (v) => sql`t.municipality_code = ${v}` },
      type: {
        kind: 'enum[]',
        values: organisationTypes,
        description: 'Only these organisation types.',
        where: (v) => sql`t.organisation_type = ANY(${texts(v)})`,
      },
      schoolTypes: {
        kind: 'enum[]',
        values: schoolTypes,
        description: 'Only organisations with one of these school types.',
        where: (v) => sql`t.school_types && ${texts(v)}`,
      },
    },
    sortkeys: { ModifiedDesc: modifiedDesc, DisplayNameAsc: text('t.display_name') },
    lookup: {
      schoolUnitCodes: { description: 'School unit codes.', where: (v) => sql`t.school_unit_code = ANY(${texts(v)})` },
      organisationCodes: { description: 'Organisation codes.', where: (v) => sql`t.organisation_code = ANY(${texts(v)})` },
    },
  },
  {
    type: 'persons',
    path: 'persons',
    table: 'ss12000_persons',
    dated: false,
    expand: ['duties', 'responsibleFor', 'placements', 'ownedPlacements', 'groupMemberships'],
    params: {
      nameContains: {
        kind: 'string[]',
        description: 'Only persons whose name contains all of these strings (case-insensitive).',
        where: (v: string[]) =>
          sql.join(
            v.map((s) => sql`strpos(t.search_name, ${s.toLowerCase()}) > 0`),
            sql` AND `,
          ),
      },
      civicNo: { kind: 'string', description: 'Only the person with this civic number.', where: (v) => sql`t.civic_no = ${v}` },
      eduPersonPrincipalName: { kind: 'string', description: 'Only persons with this EPPN.', where: (v) => sql`${v} = ANY(t.eppns)` },
      'identifier.value': {
        kind: 'string',
        description: 'Only persons with an external identifier of this value.',
        where: (v) => sql`t.body->'externalIdentifiers' @> ${JSON.stringify([{ value: v }])}::jsonb`,
      },
      'identifier.context': {
        kind: 'string',
        description: 'Only persons with an external identifier in this context.',
        where: (v) => sql`t.body->'externalIdentifiers' @> ${JSON.stringify([{ context: v }])}::jsonb`,
      },
      'relationship.entity.type': {
        kind: 'enum',
        values: RELATION_TYPES,
        description: 'Only persons with a relation of this type (combine with the other relationship.* filters).',
      },
      'relationship.organisation': { kind: 'uuid', description: 'Only persons with a relation to this organisation.' },
      'relationship.startDate.onOrBefore': { kind: 'date', description: 'Relation started on or before this date.' },
      'relationship.startDate.onOrAfter': { kind: 'date', description: 'Relation started on or after this date.' },
      'relationship.endDate.onOrBefore': { kind: 'date', description: 'Relation ended on or before this date.' },
      'relationship.endDate.onOrAfter': { kind: 'date', description: 'Relation ends on or after this date (open-ended relations included).' },
    },
    sortkeys: {
      DisplayNameAsc: text('t.display_name'),
      GivenNameAsc: text('t.given_name'),
      GivenNameDesc: text('t.given_name', true),
      FamilyNameAsc: text('t.family_name'),
      FamilyNameDesc: text('t.family_name', true),
      CivicNoAsc: text('t.civic_no'),
      CivicNoDesc: text('t.civic_no', true),
      ModifiedDesc: modifiedDesc,
    },
    lookup: { civicNos: { description: 'Civic numbers.', where: (v) => sql`t.civic_no = ANY(${texts(v)})` } },
  },
  {
    type: 'placements',
    path: 'placements',
    table: 'ss12000_placements',
    dated: true,
    expand: ['child', 'owners'],
    params: {
      organisation: { kind: 'uuid', description: 'Only placements at this unit.', where: (v) => sql`t.organisation_id = ${v}` },
      group: { kind: 'uuid', description: 'Only placements in this group.', where: (v) => sql`t.group_id = ${v}` },
      child: { kind: 'uuid', description: 'Only placements of this child.', where: (v) => sql`t.child_id = ${v}` },
      owner: {
        kind: 'uuid',
        description: 'Only placements owned by this person.',
        where: (v, s) => (s.guardians ? sql`${v}::uuid = ANY(t.owner_ids)` : sql`false`),
      },
    },
    sortkeys: { StartDateAsc: startAsc, StartDateDesc: startDesc, EndDateAsc: endAsc, EndDateDesc: endDesc, ModifiedDesc: modifiedDesc },
    lookup: {
      // Owners only where they are released (guardians): otherwise a lookup would reveal who owns a placement.
      personIds: {
        description: 'Children or owners.',
        where: (v, s) => (s.guardians ? sql`(t.child_id = ANY(${uuids(v)}) OR t.owner_ids && ${uuids(v)})` : sql`t.child_id = ANY(${uuids(v)})`),
      },
    },
  },
  {
    type: 'duties',
    path: 'duties',
    table: 'ss12000_duties',
    dated: true,
    expand: ['person'],
    params: {
      organisation: { kind: 'uuid', description: 'Only duties at this unit.', where: (v) => sql`t.organisation_id = ${v}` },
      dutyRole: { kind: 'enum', values: dutyRoles, description: 'Only duties with this role.', where: (v) => sql`t.duty_role = ${v}` },
      person: { kind: 'uuid', description: 'Only duties of this person.', where: (v) => sql`t.person_id = ${v}` },
    },
    sortkeys: { StartDateDesc: startDesc, StartDateAsc: startAsc, ModifiedDesc: modifiedDesc },
    lookup: {},
  },
  {
    type: 'groups',
    path: 'groups',
    table: 'ss12000_groups',
    dated: true,
    expand: ['assignmentRoles'],
    params: {
      groupType: { kind: 'enum[]', values: groupTypes, description: 'Only groups of these types.', where: (v) => sql`t.group_type = ANY(${texts(v)})` },
      schoolTypes: {
        kind: 'enum[]',
        values: schoolTypes,
        description: 'Only groups of these school types.',
        where: (v) => sql`t.school_type = ANY(${texts(v)})`,
      },
      organisation: { kind: 'uuid[]', description: 'Only groups of these units.', where: (v) => sql`t.organisation_id = ANY(${uuids(v)})` },
    },
    sortkeys: {
      ModifiedDesc: modifiedDesc,
      DisplayNameAsc: text('t.display_name'),
      StartDateAsc: startAsc,
      StartDateDesc: startDesc,
      EndDateAsc: endAsc,
      EndDateDesc: endDesc,
    },
    lookup: {},
  },
  {
    type: 'activities',
    path: 'activities',
    table: 'ss12000_activities',
    dated: true,
    expand: ['groups', 'teachers', 'syllabus'],
    params: {
      member: {
        kind: 'uuid',
        description: 'Only activities of groups this person is a member of.',
        where: (v, s) =>
          sql`t.group_ids && ARRAY(SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ${v} AND r.kind = 'groupMembership' AND ${membershipReleased(s)})`,
      },
      teacher: {
        kind: 'uuid',
        description: 'Only activities with this duty among the teachers.',
        where: (v, s) => sql`${v}::uuid = ANY(t.teacher_duty_ids) AND t.organisation_id = ANY(${unitIds(s.staffUnits)})`,
      },
      organisation: { kind: 'uuid', description: 'Only activities of this unit.', where: (v) => sql`t.organisation_id = ${v}` },
      group: { kind: 'uuid', description: 'Only activities of this group.', where: (v) => sql`${v}::uuid = ANY(t.group_ids)` },
    },
    sortkeys: { ModifiedDesc: modifiedDesc, DisplayNameAsc: text('t.display_name') },
    lookup: {
      teachers: { description: 'Duty ids of teachers.', where: (v) => sql`t.teacher_duty_ids && ${uuids(v)}` },
      members: {
        description: 'Person ids of group members.',
        where: (v, s) =>
          sql`t.group_ids && ARRAY(SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ANY(${uuids(v)}) AND r.kind = 'groupMembership' AND ${membershipReleased(s)})`,
      },
    },
  },
  {
    type: 'syllabuses',
    path: 'syllabuses',
    table: 'ss12000_syllabuses',
    dated: false,
    expand: [],
    params: {},
    sortkeys: {
      ModifiedDesc: modifiedDesc,
      SubjectNameAsc: text('t.subject_name'),
      SubjectNameDesc: text('t.subject_name', true),
      SubjectCodeAsc: text('t.subject_code'),
      SubjectCodeDesc: text('t.subject_code', true),
      CourseNameAsc: text('t.course_name'),
      CourseNameDesc: text('t.course_name', true),
      CourseCodeAsc: text('t.course_code'),
      CourseCodeDesc: text('t.course_code', true),
      SubjectDesignationAsc: text('t.subject_designation'),
      SubjectDesignationDesc: text('t.subject_designation', true),
    },
    lookup: {},
  },
  {
    type: 'programmes',
    path: 'programmes',
    table: 'ss12000_programmes',
    dated: false,
    expand: [],
    params: {
      schoolType: {
        kind: 'enum[]',
        values: schoolTypes,
        description: 'Only programmes of these school types.',
        where: (v) => sql`t.school_type = ANY(${texts(v)})`,
      },
      code: { kind: 'string', description: 'Only the programme with this code.', where: (v) => sql`t.code = ${v}` },
      parentProgramme: { kind: 'uuid', description: 'Only sub-programmes of this programme.', where: (v) => sql`t.parent_id = ${v}` },
    },
    sortkeys: { NameAsc: text('t.name'), CodeAsc: text('t.code'), ModifiedDesc: modifiedDesc },
    lookup: {},
  },
  // The timetable (issue 17): rooms, resources and offerings of a unit, and its lessons.
  {
    type: 'rooms',
    path: 'rooms',
    table: 'ss12000_rooms',
    dated: false,
    expand: [],
    params: { organisation: { kind: 'uuid', description: 'Only rooms owned by this organisation element.', where: (v) => sql`t.organisation_id = ${v}` } },
    sortkeys: { ModifiedDesc: modifiedDesc, DisplayNameAsc: text('t.display_name') },
    lookup: {},
  },
  {
    type: 'resources',
    path: 'resources',
    table: 'ss12000_resources',
    dated: false,
    expand: [],
    params: {
      organisation: { kind: 'uuid', description: 'Only resources owned by this organisation element.', where: (v) => sql`t.organisation_id = ${v}` },
    },
    sortkeys: { ModifiedDesc: modifiedDesc, DisplayNameAsc: text('t.display_name') },
    lookup: {},
  },
  {
    type: 'schoolUnitOfferings',
    path: 'schoolUnitOfferings',
    table: 'ss12000_school_unit_offerings',
    // The spec gives offerings dates but no date filters; its sort keys include the dates.
    dated: false,
    expand: [],
    params: { organisation: { kind: 'uuid', description: 'Only offerings of this school unit.', where: (v) => sql`t.organisation_id = ${v}` } },
    sortkeys: {
      ModifiedDesc: modifiedDesc,
      StartDateAsc: { expr: `coalesce(t.start_date, '0001-01-01'::date)`, cast: 'date', desc: false },
      StartDateDesc: { expr: `coalesce(t.start_date, '0001-01-01'::date)`, cast: 'date', desc: true },
      EndDateAsc: endAsc,
      EndDateDesc: endDesc,
    },
    lookup: {},
  },
  {
    type: 'calendarEvents',
    path: 'calendarEvents',
    table: 'ss12000_calendar_events',
    dated: false,
    // `attendance`: the lesson's attendance records, as /attendances releases them (issue 17).
    expand: ['activity', 'attendance'],
    params: {
      'startTime.onOrAfter': {
        kind: 'datetime',
        required: true,
        description: 'Only events starting at or after this moment (required).',
        where: (v) => sql`t.start_time >= ${v}::timestamptz`,
      },
      'startTime.onOrBefore': {
        kind: 'datetime',
        required: true,
        description: 'Only events starting at or before this moment (required).',
        where: (v) => sql`t.start_time <= ${v}::timestamptz`,
      },
      'endTime.onOrBefore': {
        kind: 'datetime',
        description: 'Only events ending at or before this moment.',
        where: (v) => sql`t.end_time <= ${v}::timestamptz`,
      },
      'endTime.onOrAfter': { kind: 'datetime', description: 'Only events ending at or after this moment.', where: (v) => sql`t.end_time >= ${v}::timestamptz` },
      activity: { kind: 'uuid', description: 'Only events of this activity.', where: (v) => sql`t.activity_id = ${v}` },
      student: {
        kind: 'uuid',
        description: 'Only events of activities whose groups have this person as a member, or naming the person in `studentExceptions`.',
        where: (v, s) =>
          sql`(${v}::uuid = ANY(t.student_ids) OR t.activity_id IN (SELECT a.id FROM ss12000_activities a WHERE ${activitiesOfMembers(sql`${v}::uuid`, s)}))`,
      },
      teacher: {
        kind: 'uuid',
        description: 'Only events of activities with this duty among the teachers, or naming the duty in `teacherExceptions`.',
        where: (v) =>
          sql`(${v}::uuid = ANY(t.teacher_duty_ids) OR t.activity_id IN (SELECT a.id FROM ss12000_activities a WHERE ${v}::uuid = ANY(a.teacher_duty_ids)))`,
      },
      organisation: {
        kind: 'uuid',
        description: 'Only events at this organisation element or the elements below it.',
        where: (v) =>
          sql`t.organisation_id IN (WITH RECURSIVE below(id) AS (SELECT ${v}::uuid UNION SELECT o.id FROM ss12000_organisations o JOIN below b ON o.parent_id = b.id) SELECT id FROM below)`,
      },
      group: {
        kind: 'uuid',
        description: 'Only events of activities of this group.',
        where: (v) => sql`t.activity_id IN (SELECT a.id FROM ss12000_activities a WHERE ${v}::uuid = ANY(a.group_ids))`,
      },
    },
    sortkeys: {
      ModifiedDesc: modifiedDesc,
      StartTimeAsc: { expr: 't.start_time', cast: 'timestamptz', desc: false },
      StartTimeDesc: { expr: 't.start_time', cast: 'timestamptz', desc: true },
    },
    lookup: {
      activities: { description: 'Activity ids.', where: (v) => sql`t.activity_id = ANY(${uuids(v)})` },
      student: {
        description: 'Person ids: events of their groups’ activities, or naming them in `studentExceptions`.',
        where: (v, s) =>
          sql`(t.student_ids && ${uuids(v)} OR t.activity_id IN (SELECT a.id FROM ss12000_activities a WHERE ${activitiesOfMembers(sql`ANY(${uuids(v)})`, s)}))`,
      },
      teacher: {
        description: 'Duty ids: events of their activities, or naming them in `teacherExceptions`.',
        where: (v) =>
          sql`(t.teacher_duty_ids && ${uuids(v)} OR t.activity_id IN (SELECT a.id FROM ss12000_activities a WHERE a.teacher_duty_ids && ${uuids(v)}))`,
      },
    },
  },
  {
    type: 'studyplans',
    path: 'studyplans',
    table: 'ss12000_studyplans',
    dated: true,
    expand: [],
    params: {
      student: { kind: 'uuid[]', description: 'Only study plans of these students.', where: (v) => sql`t.student_id = ANY(${uuids(v)})` },
    },
    sortkeys: { ModifiedDesc: modifiedDesc, StartDateAsc: startAsc, StartDateDesc: startDesc, EndDateAsc: endAsc, EndDateDesc: endDesc },
    lookup: {},
  },
  // Attendance (issue 17): a pupil's records under the attendance API (visibility: scope.ts,
  // `pupilRecordSql`, from the release policy's `pupilRecord`).
  {
    type: 'attendances',
    path: 'attendances',
    table: 'ss12000_attendances',
    dated: false,
    expand: [],
    params: {
      student: { kind: 'uuid', description: 'Only the attendance of this pupil.', where: (v) => sql`t.student_id = ${v}::uuid` },
      organisation: { kind: 'uuid', description: 'Only attendance at lessons of this organisation element or the elements below it.', where: (v) => below(v) },
      calendarEvent: { kind: 'uuid', description: 'Only the attendance at this lesson (calendar event).', where: (v) => sql`t.calendar_event_id = ${v}::uuid` },
    },
    // The spec gives /attendances no sortkey; ModifiedDesc, which every list has, is an extension.
    sortkeys: { ModifiedDesc: modifiedDesc },
    lookup: {
      activities: { description: 'Activity ids: the attendance at their lessons.', where: (v) => sql`t.activity_id = ANY(${uuids(v)})` },
      students: { description: 'Person ids: their attendance.', where: (v) => sql`t.student_id = ANY(${uuids(v)})` },
      // Spelt as the spec spells it.
      calendareEvents: { description: 'Calendar event ids: the attendance at these lessons.', where: (v) => sql`t.calendar_event_id = ANY(${uuids(v)})` },
    },
  },
  {
    type: 'absences',
    path: 'absences',
    table: 'ss12000_absences',
    dated: false,
    expand: [],
    params: {
      organisation: { kind: 'uuid', description: 'Only absences reported to this organisation element or the elements below it.', where: (v) => below(v) },
      student: { kind: 'uuid', description: 'Only absences of this pupil.', where: (v) => sql`t.student_id = ${v}::uuid` },
      registeredBy: { kind: 'uuid', description: 'Only absences registered by this person.', where: (v) => sql`t.registered_by_id = ${v}::uuid` },
      type: { kind: 'enum', values: absenceTypes, description: 'Only absences of this type.', where: (v) => sql`t.type = ${v}` },
      'startTime.onOrBefore': {
        kind: 'datetime',
        description: 'Only absences starting at or before this moment.',
        where: (v) => sql`t.start_time <= ${v}::timestamptz`,
      },
      // The spec calls the "after" bounds exclusive in their descriptions and onOrAfter in their names: the name wins.
      'startTime.onOrAfter': {
        kind: 'datetime',
        description: 'Only absences starting at or after this moment.',
        where: (v) => sql`t.start_time >= ${v}::timestamptz`,
      },
      'endTime.onOrBefore': {
        kind: 'datetime',
        description: 'Only absences ending at or before this moment.',
        where: (v) => sql`t.end_time <= ${v}::timestamptz`,
      },
      'endTime.onOrAfter': {
        kind: 'datetime',
        description: 'Only absences ending at or after this moment.',
        where: (v) => sql`t.end_time >= ${v}::timestamptz`,
      },
    },
    sortkeys: {
      ModifiedDesc: modifiedDesc,
      StartTimeAsc: { expr: 't.start_time', cast: 'timestamptz', desc: false },
      StartTimeDesc: { expr: 't.start_time', cast: 'timestamptz', desc: true },
    },
    lookup: {},
  },
  {
    type: 'attendanceEvents',
    path: 'attendanceEvents',
    table: 'ss12000_attendance_events',
    dated: false,
    expand: ['person', 'group', 'registeredBy'],
    params: {
      group: { kind: 'uuid[]', description: 'Only check-ins and check-outs at these groups.', where: (v) => sql`t.group_id = ANY(${uuids(v)})` },
      person: { kind: 'uuid', description: 'Only check-ins and check-outs of this pupil.', where: (v) => sql`t.person_id = ${v}::uuid` },
    },
    // The spec gives /attendanceEvents no sortkey; ModifiedDesc, which every list has, is an extension.
    sortkeys: { ModifiedDesc: modifiedDesc },
    lookup: {
      person: { description: 'Person ids: their check-ins and check-outs.', where: (v) => sql`t.person_id = ANY(${uuids(v)})` },
      group: { description: 'Group ids: check-ins and check-outs at these groups.', where: (v) => sql`t.group_id = ANY(${uuids(v)})` },
    },
  },
  {
    type: 'attendanceSchedules',
    // The spec's path is singular.
    path: 'attendanceSchedule',
    table: 'ss12000_attendance_schedules',
    dated: true,
    expand: [],
    params: {
      placement: { kind: 'uuid', description: 'Only the schedules of this placement.', where: (v) => sql`t.placement_id = ${v}::uuid` },
      group: { kind: 'uuid', description: 'Only the schedules of placements in this group.', where: (v) => sql`t.group_id = ${v}::uuid` },
    },
    // The spec gives /attendanceSchedule no sortkey; ModifiedDesc, which every list has, is an extension.
    sortkeys: { ModifiedDesc: modifiedDesc },
    lookup: { placement: { description: 'Placement ids: their schedules.', where: (v) => sql`t.placement_id = ANY(${uuids(v)})` } },
  },
  // Grades (issue 17): the spec's filters and sort keys (lower-case `registeredDate…` as it writes
  // them); its lookup takes ids only, and it has no expand.
  {
    type: 'grades',
    path: 'grades',
    table: 'ss12000_grades',
    dated: false,
    expand: [],
    params: {
      organisation: { kind: 'uuid', description: 'Only grades registered at this school unit.', where: (v) => sql`t.organisation_id = ${v}` },
      student: { kind: 'uuid', description: 'Only grades of this pupil.', where: (v) => sql`t.student_id = ${v}` },
      registeredBy: { kind: 'uuid', description: 'Only grades registered by this person.', where: (v) => sql`t.registered_by_id = ${v}` },
      gradingTeacher: { kind: 'uuid', description: 'Only grades this teacher is responsible for.', where: (v) => sql`t.grading_teacher_id = ${v}` },
      'registeredDate.onOrAfter': {
        kind: 'date',
        description: 'Only grades registered on or after this date (RFC 3339, e.g. "2016-10-15"); inclusive.',
        where: (v) => sql`t.registered_date >= ${v}::date`,
      },
      'registeredDate.onOrBefore': {
        kind: 'date',
        description: 'Only grades registered on or before this date (RFC 3339, e.g. "2016-10-15"); inclusive.',
        where: (v) => sql`t.registered_date <= ${v}::date`,
      },
    },
    sortkeys: {
      registeredDateAsc: { expr: 't.registered_date', cast: 'date', desc: false },
      registeredDateDesc: { expr: 't.registered_date', cast: 'date', desc: true },
      ModifiedDesc: modifiedDesc,
    },
    lookup: {},
  },
];

/** Rows (alias `t`) whose unit is organisation element `v` or one below it. */
function below(v: string): RawBuilder<unknown> {
  return sql`t.organisation_id IN (WITH RECURSIVE below(id) AS (SELECT ${v}::uuid UNION SELECT o.id FROM ss12000_organisations o JOIN below b ON o.parent_id = b.id) SELECT id FROM below)`;
}

/**
 * A group membership (relation `r`) is student data: a filter may read it only where the membership
 * is released — groups at units granted under the students API (an end user: their own groups).
 */
function membershipReleased(scope: Scope): RawBuilder<unknown> {
  return sql`r.organisation_id = ANY(${uuids(scope.endUser ? scope.allUnits : scope.studentUnits)})`;
}

/**
 * Activities (alias `a`) of groups that `person` (an SQL uuid, or `ANY(uuid[])`) is a member of, where
 * the membership is released (`membershipReleased`): the calendar events' student filter.
 */
function activitiesOfMembers(person: RawBuilder<unknown>, scope: Scope): RawBuilder<unknown> {
  return sql`a.group_ids && ARRAY(SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ${person} AND r.kind = 'groupMembership' AND ${membershipReleased(scope)})`;
}

/**
 * Every filter and lookup key that reads a withheld-able field gets the release policy's gate
 * (`releasedSql`): it matches only rows where that field is released to the reader, so no filter
 * finds a person by a civic number, EPPN or identifier the reader may not see (protected identity
 * included). Applied here, once, to the whole table; sort keys are gated in `listPage`.
 */
for (const def of endpoints) {
  for (const [name, p] of Object.entries(def.params)) {
    const reads = readsOf(def.type, 'params', name);
    const where = p.where;
    if (reads && where) p.where = (v, scope) => sql`(${where(v, scope)} AND ${releasedSql(def.type, reads.release, scope)})`;
  }
  for (const [name, l] of Object.entries(def.lookup)) {
    const reads = readsOf(def.type, 'lookups', name);
    const where = l.where;
    if (reads && name !== 'personIds') l.where = (v, scope) => sql`(${where(v, scope)} AND ${releasedSql(def.type, reads.release, scope)})`;
  }
}

export const endpointByType = Object.fromEntries(endpoints.map((e) => [e.type, e])) as Record<EntityType, EndpointDef>;

/** The spec's relationship.* filters of /persons, as one EXISTS over the derived relations. */
export function relationshipSql(q: Record<string, any>, scope: Scope): RawBuilder<unknown> | null {
  const keys = Object.keys(q).filter((k) => k.startsWith('relationship.'));
  if (!keys.length) return null;
  const conds: RawBuilder<unknown>[] = [sql`r.person_id = t.id`];
  if (q['relationship.entity.type']) conds.push(sql`r.kind = ${q['relationship.entity.type']}`);
  if (q['relationship.organisation']) conds.push(sql`r.organisation_id = ${q['relationship.organisation']}`);
  if (q['relationship.startDate.onOrBefore']) conds.push(sql`r.start_date <= ${q['relationship.startDate.onOrBefore']}::date`);
  if (q['relationship.startDate.onOrAfter']) conds.push(sql`r.start_date >= ${q['relationship.startDate.onOrAfter']}::date`);
  if (q['relationship.endDate.onOrBefore']) conds.push(sql`r.end_date <= ${q['relationship.endDate.onOrBefore']}::date`);
  if (q['relationship.endDate.onOrAfter']) conds.push(sql`(r.end_date IS NULL OR r.end_date >= ${q['relationship.endDate.onOrAfter']}::date)`);
  // Only relations the app may see count, or a filter could reveal a relation to a unit not granted,
  // or one of a kind the app may not see there (a guardianship without the guardians category, a
  // staff member's duty under the students API, a membership in a group whose memberships are withheld).
  const s = uuids(scope.studentUnits);
  // An end user's token sees only that person, in their own relations at the consent's school.
  if (scope.endUser) conds.push(sql`r.organisation_id = ANY(${uuids(scope.allUnits)})`);
  else
    conds.push(sql`((r.kind = ANY(${texts([...STUDENT_KINDS, 'groupMembership'])}) AND r.organisation_id = ANY(${s}))
    OR (r.kind = ANY(${texts(STAFF_KINDS)}) AND r.organisation_id = ANY(${uuids(scope.staffUnits)}))
    ${scope.guardians ? sql`OR (r.kind = ANY(${texts(GUARDIAN_KINDS)}) AND r.organisation_id = ANY(${s}))` : sql``})`);
  return sql`EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE ${sql.join(conds, sql` AND `)})`;
}

export { personVisibleSql };
