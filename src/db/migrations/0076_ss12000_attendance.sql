-- Issue 17: the attendance half of SS 12000 v2.1 — a pupil's attendance per lesson, reported absences
-- and leave, and check-in/check-out events. Served under the catalog API `attendance` (per
-- institution), only where the pupil's own data may be seen at that school (the release policy,
-- src/modules/ss12000/release.ts, `pupilRecord`); absences are a data category of their own.
-- Every table has the columns every SS 12000 entity table has (body, digests, meta, the released
-- core) and the typed columns its filters, sort keys and scope read.

CREATE TABLE ss12000_attendances (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  -- `, "absenceReason": …` (the reason given for an absence: category `absences`).
  json_absence_reason text,
  calendar_event_id uuid NOT NULL,
  student_id uuid NOT NULL,
  reporter_id uuid,
  -- The lesson's activity and unit, copied at ingestion whenever the attendance, its lesson or the
  -- lesson's activity is stored (the body names only the lesson). NULL while unknown: visible to nobody.
  activity_id uuid,
  organisation_id uuid
);
CREATE INDEX ss12000_attendances_org_idx ON ss12000_attendances (organisation_id, id);
CREATE INDEX ss12000_attendances_event_idx ON ss12000_attendances (calendar_event_id);
CREATE INDEX ss12000_attendances_student_idx ON ss12000_attendances (student_id);
CREATE INDEX ss12000_attendances_activity_idx ON ss12000_attendances (activity_id, student_id);
COMMENT ON TABLE ss12000_attendances IS 'SS 12000 Attendance: one pupil''s attendance at one lesson (calendar event): minutes present, absent with and without leave, and the reason given.';

CREATE TABLE ss12000_absences (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  student_id uuid NOT NULL,
  -- The school unit the absence is reported to; NULL when the body names none: visible to nobody.
  organisation_id uuid,
  registered_by_id uuid,
  -- Beviljad ledighet (leave granted) or Anmäld frånvaro (absence reported).
  type text NOT NULL,
  start_time timestamptz NOT NULL,
  end_time timestamptz NOT NULL
);
CREATE INDEX ss12000_absences_org_time_idx ON ss12000_absences (organisation_id, start_time, id);
CREATE INDEX ss12000_absences_student_idx ON ss12000_absences (student_id);
COMMENT ON TABLE ss12000_absences IS 'SS 12000 Absence: leave granted to a pupil or an absence reported for them, over a period (sensitive: category absences).';

CREATE TABLE ss12000_attendance_events (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  person_id uuid NOT NULL,
  group_id uuid NOT NULL,
  registered_by_id uuid,
  -- The group's unit, copied at ingestion whenever the event or its group is stored. NULL while the
  -- group is unknown: visible to nobody.
  organisation_id uuid,
  time timestamptz NOT NULL
);
CREATE INDEX ss12000_attendance_events_org_idx ON ss12000_attendance_events (organisation_id, id);
CREATE INDEX ss12000_attendance_events_person_idx ON ss12000_attendance_events (person_id);
CREATE INDEX ss12000_attendance_events_group_idx ON ss12000_attendance_events (group_id);
COMMENT ON TABLE ss12000_attendance_events IS 'SS 12000 AttendanceEvent: a pupil checked in to or out of a group (leisure-time centre, pre-school), with the moment.';

CREATE TABLE ss12000_attendance_schedules (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  placement_id uuid NOT NULL,
  -- The placement's unit, child and group, copied at ingestion whenever the schedule or its placement
  -- is stored (the body names only the placement). NULL while the placement is unknown: visible to nobody.
  organisation_id uuid,
  student_id uuid,
  group_id uuid,
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX ss12000_attendance_schedules_org_idx ON ss12000_attendance_schedules (organisation_id, id);
CREATE INDEX ss12000_attendance_schedules_placement_idx ON ss12000_attendance_schedules (placement_id);
COMMENT ON TABLE ss12000_attendance_schedules IS 'SS 12000 AttendanceSchedule: the weekly hours a child of a placement (preschool, leisure-time centre) is to attend, with its approval state.';

-- Deletions of attendance records are seen by apps granted the attendance API at the unit.
ALTER TABLE ss12000_deleted_entities ADD COLUMN attendance_units uuid[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN ss12000_deleted_entities.attendance_units IS 'School units under the attendance API through which the deleted entity (attendance, absence, attendance event, attendance schedule) was visible.';
