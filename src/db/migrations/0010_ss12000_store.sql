-- SS 12000 (v2.1) school data as the SIS delivers it. Each entity keeps its whole body as jsonb (what
-- the read API returns, after consent filtering) plus typed columns for the filters, sort keys and
-- keyset pagination of /ss12000/v2.0. meta.created/modified are ours, not the SIS's: `hash` is a digest
-- of the body so that re-loading identical input changes nothing.

CREATE TABLE ss12000_organisations (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  -- SHA-256 of the canonical body; an upsert with the same hash is a no-op (idempotent ingestion).
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  display_name text NOT NULL,
  organisation_type text NOT NULL,
  -- For a Skolenhet: equals institutions.number, which is how grants reach school data.
  organisation_code text,
  school_unit_code text,
  school_types text[] NOT NULL DEFAULT '{}',
  municipality_code text,
  parent_id uuid,
  start_date date,
  end_date date
);
CREATE INDEX ss12000_organisations_code_idx ON ss12000_organisations (organisation_code);
CREATE INDEX ss12000_organisations_parent_idx ON ss12000_organisations (parent_id);
COMMENT ON TABLE ss12000_organisations IS 'SS 12000 Organisation tree (Huvudman → Skola → Skolenhet).';

CREATE TABLE ss12000_persons (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  given_name text NOT NULL,
  family_name text NOT NULL,
  display_name text NOT NULL,
  -- Lower-cased "given middle family" for nameContains.
  search_name text NOT NULL,
  civic_no text,
  eppns text[] NOT NULL DEFAULT '{}',
  security_marking text
);
CREATE INDEX ss12000_persons_civic_idx ON ss12000_persons (civic_no);
CREATE INDEX ss12000_persons_modified_idx ON ss12000_persons (modified_at, id);
COMMENT ON TABLE ss12000_persons IS 'SS 12000 Person: students, guardians and staff alike (with enrolments and responsibles).';

CREATE TABLE ss12000_placements (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  -- placedAt: the school unit.
  organisation_id uuid NOT NULL,
  group_id uuid,
  child_id uuid NOT NULL,
  owner_ids uuid[] NOT NULL DEFAULT '{}',
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX ss12000_placements_org_idx ON ss12000_placements (organisation_id);
CREATE INDEX ss12000_placements_child_idx ON ss12000_placements (child_id);
COMMENT ON TABLE ss12000_placements IS 'SS 12000 Placement of a child in preschool or leisure-time centre.';

CREATE TABLE ss12000_duties (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  -- dutyAt: the school unit.
  organisation_id uuid NOT NULL,
  person_id uuid,
  duty_role text NOT NULL,
  -- Groups named in assignmentRole, for the expand=assignmentRoles of /groups.
  group_ids uuid[] NOT NULL DEFAULT '{}',
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX ss12000_duties_org_idx ON ss12000_duties (organisation_id);
CREATE INDEX ss12000_duties_person_idx ON ss12000_duties (person_id);
CREATE INDEX ss12000_duties_groups_idx ON ss12000_duties USING gin (group_ids);
COMMENT ON TABLE ss12000_duties IS 'SS 12000 Duty: a staff member''s employment role at a school unit, with assignment roles (e.g. mentor).';

CREATE TABLE ss12000_groups (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  organisation_id uuid NOT NULL,
  display_name text NOT NULL,
  group_type text NOT NULL,
  school_type text,
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX ss12000_groups_org_idx ON ss12000_groups (organisation_id);
COMMENT ON TABLE ss12000_groups IS 'SS 12000 Group (class, teaching group, mentor group …) with its groupMemberships in the body.';

CREATE TABLE ss12000_activities (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  organisation_id uuid NOT NULL,
  display_name text NOT NULL,
  group_ids uuid[] NOT NULL DEFAULT '{}',
  -- Duty ids of the teachers.
  teacher_duty_ids uuid[] NOT NULL DEFAULT '{}',
  syllabus_id uuid,
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX ss12000_activities_org_idx ON ss12000_activities (organisation_id);
CREATE INDEX ss12000_activities_groups_idx ON ss12000_activities USING gin (group_ids);
CREATE INDEX ss12000_activities_teachers_idx ON ss12000_activities USING gin (teacher_duty_ids);
COMMENT ON TABLE ss12000_activities IS 'SS 12000 Activity: ties groups, teachers (duties) and a syllabus together.';

CREATE TABLE ss12000_syllabuses (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  subject_name text NOT NULL,
  subject_code text,
  subject_designation text,
  course_name text,
  course_code text
);
COMMENT ON TABLE ss12000_syllabuses IS 'SS 12000 Syllabus: a subject or course.';

CREATE TABLE ss12000_programmes (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  name text NOT NULL,
  code text,
  school_type text NOT NULL,
  parent_id uuid
);
COMMENT ON TABLE ss12000_programmes IS 'SS 12000 Programme (national programmes of upper secondary school etc.).';

CREATE TABLE ss12000_studyplans (
  id uuid PRIMARY KEY,
  body jsonb NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  student_id uuid NOT NULL,
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX ss12000_studyplans_student_idx ON ss12000_studyplans (student_id);
COMMENT ON TABLE ss12000_studyplans IS 'SS 12000 StudyPlan of one student.';

-- Derived on ingestion from persons, placements, duties and groups: every relation that ties a person
-- to a school unit. It answers both consent scoping (who may be seen under which grant) and the
-- relationship.* filters of /persons.
CREATE TABLE ss12000_person_relations (
  person_id uuid NOT NULL,
  -- enrolment | duty | placement.child | placement.owner | responsibleFor.enrolment |
  -- responsibleFor.placement | groupMembership (the spec's relationship.entity.type values).
  kind text NOT NULL,
  organisation_id uuid NOT NULL,
  start_date date,
  end_date date,
  -- The entity the relation was read from; replaced whenever that entity changes.
  source_type text NOT NULL,
  source_id uuid NOT NULL
);
CREATE INDEX ss12000_person_relations_person_idx ON ss12000_person_relations (person_id, kind, organisation_id);
CREATE INDEX ss12000_person_relations_org_idx ON ss12000_person_relations (organisation_id, kind);
CREATE INDEX ss12000_person_relations_source_idx ON ss12000_person_relations (source_id);
COMMENT ON TABLE ss12000_person_relations IS 'Person ↔ school unit relations derived from the SS 12000 entities; drives consent scoping.';

CREATE TABLE ss12000_deleted_entities (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- organisations, persons, placements, duties, groups, activities, syllabuses, programmes, studyplans
  entity_type text NOT NULL,
  entity_id uuid NOT NULL,
  deleted_at timestamptz NOT NULL,
  -- Scope of the entity when it was deleted, so that an app only learns of deletions it could have seen:
  -- school units under the students API, under the staff API, and units reached through guardianship.
  student_units uuid[] NOT NULL DEFAULT '{}',
  staff_units uuid[] NOT NULL DEFAULT '{}',
  guardian_units uuid[] NOT NULL DEFAULT '{}',
  -- Syllabuses and programmes are visible to any app with a grant.
  any_grant boolean NOT NULL DEFAULT false
);
CREATE INDEX ss12000_deleted_entities_at_idx ON ss12000_deleted_entities (deleted_at);
COMMENT ON TABLE ss12000_deleted_entities IS 'Deletions recorded for /deletedEntities, with the scope the entity had.';

-- Every read by a client through /ss12000 (the access log of DOMAIN §2).
CREATE TABLE ss12000_access_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  client_id uuid,
  app_id uuid,
  partner_id uuid,
  method text NOT NULL,
  -- Route pattern, e.g. /persons/{id}.
  endpoint text NOT NULL,
  -- Granted institutions the request was answered for.
  institution_numbers text[] NOT NULL DEFAULT '{}',
  record_count integer NOT NULL,
  status integer NOT NULL
);
CREATE INDEX ss12000_access_log_app_idx ON ss12000_access_log (app_id, at);
CREATE INDEX ss12000_access_log_institutions_idx ON ss12000_access_log USING gin (institution_numbers);
COMMENT ON TABLE ss12000_access_log IS 'One row per client request to the SS 12000 API: app, endpoint, institutions, records, time.';

-- Fixed one-minute windows per client, counted in the database so the limit holds across processes.
CREATE TABLE ss12000_rate_windows (
  client_id uuid NOT NULL,
  window_start timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (client_id, window_start)
);
COMMENT ON TABLE ss12000_rate_windows IS 'Request counters per client and minute for the SS 12000 API rate limit.';

CREATE TABLE ss12000_rate_limits (
  app_id uuid PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
  requests_per_minute integer NOT NULL CHECK (requests_per_minute > 0)
);
COMMENT ON TABLE ss12000_rate_limits IS 'Per-app override of the SS 12000 API rate limit set by the operator (default 1,200/min).';
