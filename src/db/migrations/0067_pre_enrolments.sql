-- Pre-enrolments (Informat: Voorinschrijvingen): applications for a coming school year at an
-- institution, served by the pre-enrolments data API (src/modules/pre-enrolments/) under the same
-- consent as SS 12000: what a client reads follows its live grants of the catalog's API served by
-- `pre_enrolments`, per institution. What each field releases is that module's release declaration
-- (release.ts); the stored body is the record as ingested, with unknown members dropped.
CREATE TABLE pre_enrolments (
  id uuid PRIMARY KEY,
  -- The institution applied to: the grant target that decides who may read the application.
  institution_number text NOT NULL REFERENCES institutions (number) ON DELETE CASCADE,
  -- The school year applied for, by the calendar year it starts in (2027: 2027–2028).
  school_year integer NOT NULL,
  status text NOT NULL CHECK (status IN ('submitted', 'accepted', 'refused', 'withdrawn')),
  -- The record as ingested (canonical JSON, unknown members dropped), presented through release.ts.
  body jsonb NOT NULL,
  -- sha256 of the canonical body: a batch that loads the same record again changes nothing.
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL
);
CREATE INDEX pre_enrolments_institution_idx ON pre_enrolments (institution_number, id);
CREATE INDEX pre_enrolments_modified_idx ON pre_enrolments (modified_at);
COMMENT ON TABLE pre_enrolments IS
  'Applications for a coming school year (Voorinschrijvingen), one per child and institution applied to; read through the pre-enrolments data API.';

-- Deleted applications, for the data API's deletions feed: a client sees the ids deleted at the
-- institutions it reaches when it asks.
CREATE TABLE pre_enrolment_deletions (
  id uuid NOT NULL,
  institution_number text NOT NULL,
  deleted_at timestamptz NOT NULL,
  PRIMARY KEY (id, deleted_at)
);
CREATE INDEX pre_enrolment_deletions_at_idx ON pre_enrolment_deletions (deleted_at, id);
COMMENT ON TABLE pre_enrolment_deletions IS 'Pre-enrolments deleted by ingestion, with the institution they were at (the deletions feed of the pre-enrolments API).';

-- Informat's default catalog (catalog/informat.yaml) now serves its pre-enrolments API: a freshly
-- migrated database matches the default file, as migration 0060 made it for the rest.
UPDATE apis SET served_by = 'pre_enrolments' WHERE code = 'pre_enrolments' AND served_by IS NULL;
