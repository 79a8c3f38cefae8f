-- Issue 17: SS 12000 v2.1 /grades, served under the catalog API `grades` (per institution) and
-- released by the release policy (src/modules/ss12000/release.ts): the grade's content under the
-- sensitive data category `grades`, one stored part per such field.

CREATE TABLE ss12000_grades (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  raw_hash text,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  json_core text,
  -- `, "key": value` of each field released under the data category `grades` (NULL: absent).
  json_grade_value text,
  json_final_grade text,
  json_trial text,
  json_adapted_study_plan text,
  json_remark text,
  json_converted text,
  json_correction_type text,
  json_diploma_project text,
  -- The school unit where the pupil was taught (`organisation`): what the scope and the filter read.
  organisation_id uuid NOT NULL,
  -- The pupil: released only while the pupil is a student at organisation_id and not protected.
  student_id uuid NOT NULL,
  registered_by_id uuid NOT NULL,
  grading_teacher_id uuid,
  registered_date date NOT NULL
);
-- A page of a school's grades (the scope's units) in id or registration order.
CREATE INDEX ss12000_grades_org_idx ON ss12000_grades (organisation_id, id);
CREATE INDEX ss12000_grades_org_date_idx ON ss12000_grades (organisation_id, registered_date, id);
CREATE INDEX ss12000_grades_student_idx ON ss12000_grades (student_id);
COMMENT ON TABLE ss12000_grades IS 'SS 12000 Grade: a grade registered for a pupil in a subject or course at a school unit.';

-- Deletions of grades are seen by apps granted the grades API at the unit.
ALTER TABLE ss12000_deleted_entities ADD COLUMN grades_units uuid[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN ss12000_deleted_entities.grades_units IS 'School units under the grades API through which the deleted grade was visible.';

-- Issue 17, point 4: write grants. An app requests each API at a level — `read`, or `read_write`
-- for the spec's writes (POST/DELETE of attendances, attendance events and schedules, POST of
-- absences) — the operator approves the request with its level, and a school admin grants it at a
-- level, read-write only as a deliberate choice where the app asked for it. The write endpoints ask
-- the access core (src/modules/access/write-access.ts) whether the live grants say read-write.
ALTER TABLE app_api_requests ADD COLUMN access_level text NOT NULL DEFAULT 'read'
  CHECK (access_level IN ('read', 'read_write'));
COMMENT ON COLUMN app_api_requests.access_level IS 'What the app asks for this API: read, or read_write (the data API''s writes too).';
ALTER TABLE grants ADD COLUMN access_level text NOT NULL DEFAULT 'read'
  CHECK (access_level IN ('read', 'read_write'));
COMMENT ON COLUMN grants.access_level IS 'What the school granted: read, or read_write (only where the app''s approved request asks for it).';
-- A switched-off grant keeps its level, so switching it on restores exactly what was granted.
ALTER TABLE suspended_grants ADD COLUMN access_level text NOT NULL DEFAULT 'read'
  CHECK (access_level IN ('read', 'read_write'));
COMMENT ON COLUMN suspended_grants.access_level IS 'The level of the grant while it is switched off (grants.access_level).';
