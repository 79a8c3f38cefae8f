-- Issue 17: the timetable half of SS 12000 v2.1 — rooms, resources, school unit offerings and calendar
-- events (lessons). Served under the catalog API `timetable` (per institution), which the release
-- policy (src/modules/ss12000/release.ts) names; every table has the columns every SS 12000 entity
-- table has (body, digests, meta, the released core) and the typed columns its filters, sort keys
-- and scope read.

CREATE TABLE ss12000_rooms (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  -- The room's owner (an organisation element): what the scope and the `organisation` filter read.
  organisation_id uuid NOT NULL,
  display_name text NOT NULL
);
CREATE INDEX ss12000_rooms_org_idx ON ss12000_rooms (organisation_id);
COMMENT ON TABLE ss12000_rooms IS 'SS 12000 Room: a room or place a lesson can be booked in, owned by an organisation element.';

CREATE TABLE ss12000_resources (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  -- The resource's owner (an organisation element).
  organisation_id uuid NOT NULL,
  display_name text NOT NULL
);
CREATE INDEX ss12000_resources_org_idx ON ss12000_resources (organisation_id);
COMMENT ON TABLE ss12000_resources IS 'SS 12000 Resource: something bookable for a lesson that is not a room (a projector, a bus).';

CREATE TABLE ss12000_school_unit_offerings (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  -- offeredAt: the school unit making the offer.
  organisation_id uuid NOT NULL,
  start_date date,
  end_date date
);
CREATE INDEX ss12000_school_unit_offerings_org_idx ON ss12000_school_unit_offerings (organisation_id);
COMMENT ON TABLE ss12000_school_unit_offerings IS 'SS 12000 SchoolUnitOffering: the programmes and syllabuses a school unit offers over a period.';

CREATE TABLE ss12000_calendar_events (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  -- `, "studentExceptions": …` (student data: only at units granted under the students API).
  json_student_exceptions text,
  -- `, "teacherExceptions": …` (staff data: only at units granted under the staff API).
  json_teacher_exceptions text,
  activity_id uuid NOT NULL,
  -- The unit of the event's activity, copied at ingestion whenever the event or its activity is
  -- stored (the body names only the activity). NULL while the activity is unknown: visible to nobody.
  organisation_id uuid,
  start_time timestamptz NOT NULL,
  end_time timestamptz NOT NULL,
  -- Persons named in studentExceptions and duties named in teacherExceptions (the student/teacher filters).
  student_ids uuid[] NOT NULL DEFAULT '{}',
  teacher_duty_ids uuid[] NOT NULL DEFAULT '{}',
  room_ids uuid[] NOT NULL DEFAULT '{}',
  resource_ids uuid[] NOT NULL DEFAULT '{}'
);
-- A week of a school's lessons: the unit's events in the startTime window (the list's required filter).
CREATE INDEX ss12000_calendar_events_org_time_idx ON ss12000_calendar_events (organisation_id, start_time, id);
CREATE INDEX ss12000_calendar_events_activity_idx ON ss12000_calendar_events (activity_id, start_time);
CREATE INDEX ss12000_calendar_events_students_idx ON ss12000_calendar_events USING gin (student_ids);
CREATE INDEX ss12000_calendar_events_teachers_idx ON ss12000_calendar_events USING gin (teacher_duty_ids);
COMMENT ON TABLE ss12000_calendar_events IS 'SS 12000 CalendarEvent: one lesson (or other occasion) of an activity, with its rooms, resources and exceptions.';

-- Deletions of timetable records are seen by apps granted the timetable API at the unit.
ALTER TABLE ss12000_deleted_entities ADD COLUMN timetable_units uuid[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN ss12000_deleted_entities.timetable_units IS 'School units under the timetable API through which the deleted entity (room, resource, offering, calendar event) was visible.';
