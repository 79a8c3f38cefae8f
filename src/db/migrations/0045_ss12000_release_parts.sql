-- A person's JSON text split, once when it is stored, into the part every reader may see and the
-- members that depend on the reader's approval, so that a page of persons is put together by joining
-- stored text (src/modules/ss12000/present.ts) instead of trimming every body's jsonb and writing it
-- out again on every read. Measured on the bench world (pgbench, 8 clients, one page of 100 persons,
-- 2 CPUs): the statement went from ~430–490 to ~830–865 pages per second — faster than the plain
-- select of the stored bodies (~600–770), which has to write each jsonb out as text.
--
-- The rule that a person with protected identity (`Skyddad folkbokföring`) never releases civic
-- number, addresses, phone numbers or e-mail addresses is encoded here: for such a person those parts
-- are NULL, whatever the reader is approved for. The columns are generated: they cannot drift from
-- the body, and ingestion stays as it was.
--
-- Each member part is the text `, "key": value` (to be appended after the object's other members) or
-- NULL when the body has no such member.
ALTER TABLE ss12000_persons
  ADD COLUMN json_core text GENERATED ALWAYS AS (
    (body - ARRAY['civicNo', 'birthDate', 'sex', 'phoneNumbers', 'addresses', 'photo', 'responsibles', 'emails', 'enrolments'])::text) STORED,
  ADD COLUMN json_civic_no text GENERATED ALWAYS AS (
    CASE WHEN security_marking IS DISTINCT FROM 'Skyddad folkbokföring' THEN ', "civicNo": ' || (body -> 'civicNo')::text END) STORED,
  ADD COLUMN json_birth_date text GENERATED ALWAYS AS (', "birthDate": ' || (body -> 'birthDate')::text) STORED,
  ADD COLUMN json_sex text GENERATED ALWAYS AS (', "sex": ' || (body -> 'sex')::text) STORED,
  ADD COLUMN json_phone_numbers text GENERATED ALWAYS AS (
    CASE WHEN security_marking IS DISTINCT FROM 'Skyddad folkbokföring' THEN ', "phoneNumbers": ' || (body -> 'phoneNumbers')::text END) STORED,
  ADD COLUMN json_addresses text GENERATED ALWAYS AS (
    CASE WHEN security_marking IS DISTINCT FROM 'Skyddad folkbokföring' THEN ', "addresses": ' || (body -> 'addresses')::text END) STORED,
  ADD COLUMN json_photo text GENERATED ALWAYS AS (', "photo": ' || (body -> 'photo')::text) STORED,
  ADD COLUMN json_responsibles text GENERATED ALWAYS AS (', "responsibles": ' || (body -> 'responsibles')::text) STORED,
  ADD COLUMN json_emails text GENERATED ALWAYS AS (
    CASE WHEN security_marking IS DISTINCT FROM 'Skyddad folkbokföring' AND jsonb_typeof(body -> 'emails') = 'array' AND body -> 'emails' <> '[]'::jsonb
         THEN ', "emails": ' || (body -> 'emails')::text END) STORED,
  ADD COLUMN json_work_emails text GENERATED ALWAYS AS (
    CASE WHEN security_marking IS DISTINCT FROM 'Skyddad folkbokföring' AND jsonb_typeof(body -> 'emails') = 'array'
              AND jsonb_path_query_array(body -> 'emails', '$[*] ? (!(@.type == "Privat"))') <> '[]'::jsonb
         THEN ', "emails": ' || jsonb_path_query_array(body -> 'emails', '$[*] ? (!(@.type == "Privat"))')::text END) STORED,
  ADD COLUMN json_enrolments text GENERATED ALWAYS AS (
    CASE WHEN jsonb_typeof(body -> 'enrolments') = 'array' AND body -> 'enrolments' <> '[]'::jsonb
         THEN ', "enrolments": ' || (body -> 'enrolments')::text END) STORED;

COMMENT ON COLUMN ss12000_persons.json_core IS 'JSON text of the body without the members below (what every reader that may see the person gets).';
COMMENT ON COLUMN ss12000_persons.json_civic_no IS '`, "civicNo": …` (civic_number category); NULL under protected identity.';
COMMENT ON COLUMN ss12000_persons.json_birth_date IS '`, "birthDate": …` (birth_date category).';
COMMENT ON COLUMN ss12000_persons.json_sex IS '`, "sex": …` (sex category).';
COMMENT ON COLUMN ss12000_persons.json_phone_numbers IS '`, "phoneNumbers": …` (phone_numbers category); NULL under protected identity.';
COMMENT ON COLUMN ss12000_persons.json_addresses IS '`, "addresses": …` (addresses category); NULL under protected identity.';
COMMENT ON COLUMN ss12000_persons.json_photo IS '`, "photo": …` (photo category).';
COMMENT ON COLUMN ss12000_persons.json_responsibles IS '`, "responsibles": …` (guardians category, students only).';
COMMENT ON COLUMN ss12000_persons.json_emails IS '`, "emails": …` all addresses (private_email category); NULL under protected identity or when there are none.';
COMMENT ON COLUMN ss12000_persons.json_work_emails IS '`, "emails": …` without the private (`Privat`) addresses; NULL under protected identity or when none is left.';
COMMENT ON COLUMN ss12000_persons.json_enrolments IS '`, "enrolments": …` all enrolments (students, when every one is at a unit the reader may see); NULL when there are none.';

-- Groups the same way: their memberships are student data, shown only for groups at units granted
-- under the students API, so the body's text is stored without them and the member beside it.
ALTER TABLE ss12000_groups
  ADD COLUMN json_core text GENERATED ALWAYS AS ((body - 'groupMemberships')::text) STORED,
  ADD COLUMN json_memberships text GENERATED ALWAYS AS (', "groupMemberships": ' || (body -> 'groupMemberships')::text) STORED;

COMMENT ON COLUMN ss12000_groups.json_core IS 'JSON text of the body without groupMemberships.';
COMMENT ON COLUMN ss12000_groups.json_memberships IS '`, "groupMemberships": …` (student data: groups at units granted under the students API).';
