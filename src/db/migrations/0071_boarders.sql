-- Boarders (Informat: Internen): residents of a boarding school, served by the boarders data API
-- (src/modules/boarders/) under the same consent as SS 12000: what a client reads follows its live
-- grants of the catalog's API served by `boarders`, per institution. What each field releases is
-- that module's release declaration (release.ts); the stored body is the record as ingested, with
-- unknown members dropped. The boarder is a person of the SS 12000 store: their name and their
-- security marking are read from there at every read, never copied here.
CREATE TABLE boarders (
  id uuid PRIMARY KEY,
  -- The boarding school (its institution number): the grant target that decides who may read the stay.
  institution_number text NOT NULL REFERENCES institutions (number) ON DELETE CASCADE,
  -- The SS 12000 person boarding. No foreign key: the SS 12000 store is loaded and deleted on its own
  -- schedule; a boarder whose person is gone is served as if protected (release.ts).
  person_id uuid NOT NULL,
  -- The period of the stay; end_date NULL while open-ended.
  start_date date NOT NULL,
  end_date date,
  -- The record as ingested (canonical JSON, unknown members dropped), presented through release.ts.
  body jsonb NOT NULL,
  -- sha256 of the canonical body: a batch that loads the same record again changes nothing.
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX boarders_institution_idx ON boarders (institution_number, id);
CREATE INDEX boarders_person_idx ON boarders (person_id);
CREATE INDEX boarders_modified_idx ON boarders (modified_at);
COMMENT ON TABLE boarders IS
  'Stays of boarders at a boarding school (Internen): the SS 12000 person, boarding house, room or group, period, nights and weekends, guardians to contact; read through the boarders data API.';

-- Deleted stays, for the data API's deletions feed: a client sees the ids deleted at the
-- institutions it reaches when it asks.
CREATE TABLE boarder_deletions (
  id uuid NOT NULL,
  institution_number text NOT NULL,
  deleted_at timestamptz NOT NULL,
  PRIMARY KEY (id, deleted_at)
);
CREATE INDEX boarder_deletions_at_idx ON boarder_deletions (deleted_at, id);
COMMENT ON TABLE boarder_deletions IS 'Boarders deleted by ingestion, with the institution they were at (the deletions feed of the boarders API).';

-- Informat's default catalog (catalog/informat.yaml) now serves its Boarders API, with the
-- categories the boarders release declaration can release: a freshly migrated database matches the
-- default file, as migrations 0060 and 0067 made it for the rest. Where an app request or a live
-- consent still names a category no longer offered, nothing is changed here: the catalog sync then
-- refuses the start and says what to do (src/modules/catalog/sync.ts), instead of a silent change.
UPDATE apis SET served_by = 'boarders', data_categories = '{identity,addresses,phone_numbers,private_email,guardians}'
  WHERE code = 'boarders' AND served_by IS NULL
    AND NOT EXISTS (
      SELECT 1 FROM app_api_requests r
       WHERE r.api_code = 'boarders' AND r.data_categories && '{civic_number,birth_date,sex,photo}'::text[])
    AND NOT EXISTS (
      SELECT 1 FROM end_user_consents c
       WHERE c.api_code = 'boarders' AND c.withdrawn_at IS NULL AND c.data_categories && '{civic_number,birth_date,sex,photo}'::text[]);
