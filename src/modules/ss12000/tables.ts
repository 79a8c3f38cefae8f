import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely's view of the SS 12000 tables (`migrations/0010_ss12000_store.sql`), merged into `DB` in
 * `src/db/schema.ts`.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DateCol = ColumnType<string, string, string>;
type DateColNullable = ColumnType<string | null, string | null | undefined, string | null>;
type Body = ColumnType<Record<string, any>, string, string>;
type UuidArray = ColumnType<string[], string[] | undefined, string[]>;

interface EntityBase {
  id: string;
  body: Body;
  hash: string;
  /** Digest of the record's JSON as the loader sent it (migration 0069); NULL when unknown. */
  raw_hash: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  modified_at: Timestamp;
  /** The fields released with the entity, as JSON text (release policy, migration 0049: see `release.ts`). */
  json_core: string | null;
}

export interface Ss12000OrganisationsTable extends EntityBase {
  display_name: string;
  organisation_type: string;
  organisation_code: string | null;
  school_unit_code: string | null;
  school_types: UuidArray;
  municipality_code: string | null;
  parent_id: string | null;
  start_date: DateColNullable;
  end_date: DateColNullable;
}
export interface Ss12000PersonsTable extends EntityBase {
  given_name: string;
  family_name: string;
  display_name: string;
  search_name: string;
  civic_no: string | null;
  eppns: UuidArray;
  security_marking: string | null;
  /** The person's JSON split by what it releases (release policy, migration 0049): see `release.ts`. */
  json_civic_no: string | null;
  json_birth_date: string | null;
  json_sex: string | null;
  json_emails: string | null;
  json_school_emails: string | null;
  json_phone_numbers: string | null;
  json_addresses: string | null;
  json_photo: string | null;
  json_enrolments: string | null;
  json_responsibles: string | null;
}
export interface Ss12000PlacementsTable extends EntityBase {
  organisation_id: string;
  group_id: string | null;
  child_id: string;
  owner_ids: UuidArray;
  json_owners: string | null;
  start_date: DateCol;
  end_date: DateColNullable;
}
export interface Ss12000DutiesTable extends EntityBase {
  organisation_id: string;
  person_id: string | null;
  duty_role: string;
  group_ids: UuidArray;
  start_date: DateCol;
  end_date: DateColNullable;
}
export interface Ss12000GroupsTable extends EntityBase {
  organisation_id: string;
  display_name: string;
  group_type: string;
  school_type: string | null;
  start_date: DateCol;
  end_date: DateColNullable;
  /** `, "groupMemberships": …` (release policy, migration 0049). */
  json_group_memberships: string | null;
}
export interface Ss12000ActivitiesTable extends EntityBase {
  organisation_id: string;
  display_name: string;
  group_ids: UuidArray;
  teacher_duty_ids: UuidArray;
  syllabus_id: string | null;
  json_teachers: string | null;
  start_date: DateCol;
  end_date: DateColNullable;
}
export interface Ss12000SyllabusesTable extends EntityBase {
  subject_name: string;
  subject_code: string | null;
  subject_designation: string | null;
  course_name: string | null;
  course_code: string | null;
}
export interface Ss12000ProgrammesTable extends EntityBase {
  name: string;
  code: string | null;
  school_type: string;
  parent_id: string | null;
}
export interface Ss12000StudyplansTable extends EntityBase {
  student_id: string;
  start_date: DateCol;
  end_date: DateColNullable;
}
export interface Ss12000RoomsTable extends EntityBase {
  organisation_id: string;
  display_name: string;
}
export interface Ss12000ResourcesTable extends EntityBase {
  organisation_id: string;
  display_name: string;
}
export interface Ss12000SchoolUnitOfferingsTable extends EntityBase {
  organisation_id: string;
  start_date: DateColNullable;
  end_date: DateColNullable;
}
export interface Ss12000CalendarEventsTable extends EntityBase {
  activity_id: string;
  /** The activity's unit, copied at ingestion (migration 0074); NULL while unknown. */
  organisation_id: string | null;
  start_time: Timestamp;
  end_time: Timestamp;
  student_ids: UuidArray;
  teacher_duty_ids: UuidArray;
  room_ids: UuidArray;
  resource_ids: UuidArray;
  /** `, "studentExceptions": …` / `, "teacherExceptions": …` (release policy). */
  json_student_exceptions: string | null;
  json_teacher_exceptions: string | null;
}
/** Attendance (migration 0076). */
export interface Ss12000AttendancesTable extends EntityBase {
  calendar_event_id: string;
  student_id: string;
  reporter_id: string | null;
  /** The lesson's activity and unit, copied at ingestion; NULL while the lesson is unknown. */
  activity_id: string | null;
  organisation_id: string | null;
  /** `, "absenceReason": …` (category `absences`). */
  json_absence_reason: string | null;
}
export interface Ss12000AbsencesTable extends EntityBase {
  student_id: string;
  organisation_id: string | null;
  registered_by_id: string | null;
  type: string;
  start_time: Timestamp;
  end_time: Timestamp;
}
export interface Ss12000AttendanceEventsTable extends EntityBase {
  person_id: string;
  group_id: string;
  registered_by_id: string | null;
  /** The group's unit, copied at ingestion; NULL while the group is unknown. */
  organisation_id: string | null;
  time: Timestamp;
}
export interface Ss12000AttendanceSchedulesTable extends EntityBase {
  placement_id: string;
  /** The placement's unit, child and group, copied at ingestion; NULL while the placement is unknown. */
  organisation_id: string | null;
  student_id: string | null;
  group_id: string | null;
  start_date: DateCol;
  end_date: DateColNullable;
}
/** A registered grade (issue 17, migration 0077); its content is released under the data category `grades`. */
export interface Ss12000GradesTable extends EntityBase {
  organisation_id: string;
  student_id: string;
  registered_by_id: string;
  grading_teacher_id: string | null;
  registered_date: DateCol;
  json_grade_value: string | null;
  json_final_grade: string | null;
  json_trial: string | null;
  json_adapted_study_plan: string | null;
  json_remark: string | null;
  json_converted: string | null;
  json_correction_type: string | null;
  json_diploma_project: string | null;
}
export interface Ss12000PersonRelationsTable {
  person_id: string;
  kind: string;
  organisation_id: string;
  start_date: DateColNullable;
  end_date: DateColNullable;
  source_type: string;
  source_id: string;
}
export interface Ss12000AssignmentRolesTable {
  duty_id: string;
  group_id: string;
  organisation_id: string;
  assignment_role_type: string;
  start_date: DateColNullable;
  end_date: DateColNullable;
  ordinal: number;
}
export interface Ss12000DeletedEntitiesTable {
  id: Generated<string>;
  entity_type: string;
  entity_id: string;
  deleted_at: Timestamp;
  student_units: UuidArray;
  staff_units: UuidArray;
  guardian_units: UuidArray;
  /** Units under the timetable API (migration 0074). */
  timetable_units: UuidArray;
  /** Units under the attendance API (migration 0076). */
  attendance_units: UuidArray;
  /** Units under the grades API (migration 0077). */
  grades_units: UuidArray;
  any_grant: ColumnType<boolean, boolean | undefined, boolean>;
}
export interface Ss12000AccessLogTable {
  id: Generated<string>;
  at: Timestamp;
  client_id: string | null;
  app_id: string | null;
  partner_id: string | null;
  method: string;
  endpoint: string;
  /** Institutions whose records the request released (migration 0047; before it: all the client could reach). */
  institution_numbers: UuidArray;
  /** Records released in total, embedded ones included, each once. */
  record_count: number;
  status: number;
  /** Set when the read was made with an end user's sign-in token (end_user_consents.id). */
  consent_id: string | null;
  /** The response's X-Request-Id. */
  request_id: string | null;
  /**
   * What was released, per API × entity type with the records per institution (migration 0052;
   * rows of 0047–0052 hold `ReleasedPart`s); written as JSON text. Read it as parts through
   * `ss12000_access_log_parts(released)` (src/db/live/50_access_log_parts.sql).
   */
  released: ColumnType<(ReleasedGroup | ReleasedPart)[], string | undefined, string>;
  /**
   * For a write (issue 17, point 4: src/modules/ss12000/writes.ts): what the client wrote — the
   * operation, entity type, id, institution and, for a create, the record as stored (migration 0079).
   * NULL for reads and refused writes. Written as JSON text.
   */
  written: ColumnType<WrittenRecord | null, string | null | undefined, string | null>;
}

/** What one write through the SS 12000 API wrote, as its access-log row keeps it (`ss12000_access_log.written`). */
export interface WrittenRecord {
  operation: 'create' | 'delete';
  entity: 'attendances' | 'absences' | 'attendanceEvents' | 'attendanceSchedules';
  id: string;
  /** The institution of the school unit the record is at, derived from the store (never from the body alone). */
  institution: string;
  /** For a create: the record as stored. */
  record?: Record<string, unknown>;
}

/** One element of `ss12000_access_log.released` as written since migration 0052: the records of one entity type released under one API. */
export interface ReleasedGroup {
  /**
   * The catalog API the records were released under (`students`, `staff` through SS 12000; also
   * `pre_enrolments`, src/modules/pre-enrolments/); null for records bound to no institution (then
   * `records`, no `institutions`).
   */
  api: string | null;
  /** Entity type (the endpoint's path name), e.g. `duties`. */
  entity: string;
  /** Data categories released with them, `identity` first. */
  categories: string[];
  /** Records released per institution number (each once per institution, though one may also count at another). */
  institutions?: Record<string, number>;
  /** Records bound to no institution (syllabuses, programmes): only with `api` null. */
  records?: number;
  /**
   * The access group the records were released through (an API granted per access group, such as
   * the invoices API, src/modules/invoices/): one element per access group, its records per
   * institution. Absent for APIs granted per institution.
   */
  accessGroup?: string;
}

/**
 * One part of what a request released, as `ss12000_access_log_parts(released)` gives it: the records
 * of one entity type released at one institution under one API (the stored shape of migration 0047).
 */
export interface ReleasedPart {
  /** Institution number; null for records bound to no institution (syllabuses, programmes). */
  institution: string | null;
  /** The catalog API the records were released under; null with `institution`. */
  api: string | null;
  /** Entity type (the endpoint's path name), e.g. `duties`. */
  entity: string;
  /** Records of this institution released (each once, though one may also count at another institution). */
  records: number;
  /** Data categories released with them, `identity` first. */
  categories: string[];
  /** The access group they were released through, for an API granted per access group (else absent). */
  accessGroup?: string;
}
/** The view of the rate counts per client and minute (src/db/live/40_ss12000_authorize.sql): read only. */
export interface Ss12000RateWindowsTable {
  client_id: ColumnType<string, never, never>;
  window_start: ColumnType<Timestamp, never, never>;
  count: ColumnType<number, never, never>;
}
export interface Ss12000RateLimitsTable {
  app_id: string;
  requests_per_minute: number;
}

/** The SS 12000 part of the database. */
export interface Ss12000Tables {
  ss12000_organisations: Ss12000OrganisationsTable;
  ss12000_persons: Ss12000PersonsTable;
  ss12000_placements: Ss12000PlacementsTable;
  ss12000_duties: Ss12000DutiesTable;
  ss12000_groups: Ss12000GroupsTable;
  ss12000_activities: Ss12000ActivitiesTable;
  ss12000_syllabuses: Ss12000SyllabusesTable;
  ss12000_programmes: Ss12000ProgrammesTable;
  ss12000_studyplans: Ss12000StudyplansTable;
  ss12000_rooms: Ss12000RoomsTable;
  ss12000_resources: Ss12000ResourcesTable;
  ss12000_school_unit_offerings: Ss12000SchoolUnitOfferingsTable;
  ss12000_calendar_events: Ss12000CalendarEventsTable;
  ss12000_attendances: Ss12000AttendancesTable;
  ss12000_absences: Ss12000AbsencesTable;
  ss12000_attendance_events: Ss12000AttendanceEventsTable;
  ss12000_attendance_schedules: Ss12000AttendanceSchedulesTable;
  ss12000_grades: Ss12000GradesTable;
  ss12000_person_relations: Ss12000PersonRelationsTable;
  ss12000_assignment_roles: Ss12000AssignmentRolesTable;
  ss12000_deleted_entities: Ss12000DeletedEntitiesTable;
  ss12000_access_log: Ss12000AccessLogTable;
  ss12000_rate_windows: Ss12000RateWindowsTable;
  ss12000_rate_limits: Ss12000RateLimitsTable;
}
