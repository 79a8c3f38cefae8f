-- Release as an allowlist (issue: one access core). Every SS 12000 entity is now served from parts
-- stored beside its body and computed by the server from the one release policy
-- (src/modules/ss12000/release.ts): `json_core` holds only the fields the policy releases with the
-- entity (a field nobody declared is not in it, whatever the body holds), and one column per field
-- that a data category or a consent rule releases. They replace migration 0045's generated columns,
-- whose expressions were a second, hand-written copy of the rules (and a blocklist: EPPNs and
-- external identifiers of protected persons passed through them).
--
-- The columns are filled by ingestion and, for rows stored before (and whenever the policy changes),
-- by the server at start (`applyReleasePolicy`, src/modules/ss12000/release-store.ts), which compares
-- the policy's digest with the one recorded in ss12000_release_state.
ALTER TABLE ss12000_persons
  DROP COLUMN json_core, DROP COLUMN json_civic_no, DROP COLUMN json_birth_date, DROP COLUMN json_sex,
  DROP COLUMN json_phone_numbers, DROP COLUMN json_addresses, DROP COLUMN json_photo, DROP COLUMN json_responsibles,
  DROP COLUMN json_emails, DROP COLUMN json_work_emails, DROP COLUMN json_enrolments;
ALTER TABLE ss12000_persons
  ADD COLUMN json_core text, ADD COLUMN json_civic_no text, ADD COLUMN json_birth_date text, ADD COLUMN json_sex text,
  ADD COLUMN json_emails text, ADD COLUMN json_school_emails text, ADD COLUMN json_phone_numbers text,
  ADD COLUMN json_addresses text, ADD COLUMN json_photo text, ADD COLUMN json_enrolments text, ADD COLUMN json_responsibles text;
COMMENT ON COLUMN ss12000_persons.json_core IS 'JSON object of the fields released with the person (release policy), withheld ones left out under the person''s marking.';
COMMENT ON COLUMN ss12000_persons.json_civic_no IS '`, "civicNo": …` (civic_number); NULL under Skyddad folkbokföring or Sekretessmarkering.';
COMMENT ON COLUMN ss12000_persons.json_birth_date IS '`, "birthDate": …` (birth_date).';
COMMENT ON COLUMN ss12000_persons.json_sex IS '`, "sex": …` (sex).';
COMMENT ON COLUMN ss12000_persons.json_emails IS '`, "emails": …` every address the marking allows (readers approved for private_email).';
COMMENT ON COLUMN ss12000_persons.json_school_emails IS '`, "emails": …` without the private (`Privat`) addresses (other readers).';
COMMENT ON COLUMN ss12000_persons.json_phone_numbers IS '`, "phoneNumbers": …` (phone_numbers); NULL under either marking.';
COMMENT ON COLUMN ss12000_persons.json_addresses IS '`, "addresses": …` (addresses); NULL under either marking.';
COMMENT ON COLUMN ss12000_persons.json_photo IS '`, "photo": …` (photo); NULL under Skyddad folkbokföring.';
COMMENT ON COLUMN ss12000_persons.json_enrolments IS '`, "enrolments": …` (a student''s, at the reader''s student units).';
COMMENT ON COLUMN ss12000_persons.json_responsibles IS '`, "responsibles": …` (guardians, students only).';

ALTER TABLE ss12000_groups DROP COLUMN json_core, DROP COLUMN json_memberships;
ALTER TABLE ss12000_groups ADD COLUMN json_core text, ADD COLUMN json_group_memberships text;
COMMENT ON COLUMN ss12000_groups.json_core IS 'JSON object of the fields released with the group (release policy).';
COMMENT ON COLUMN ss12000_groups.json_group_memberships IS '`, "groupMemberships": …` (student data: groups at units granted under the students API).';

ALTER TABLE ss12000_placements ADD COLUMN json_core text, ADD COLUMN json_owners text;
COMMENT ON COLUMN ss12000_placements.json_core IS 'JSON object of the fields released with the placement (release policy).';
COMMENT ON COLUMN ss12000_placements.json_owners IS '`, "owners": …` (guardians category).';
ALTER TABLE ss12000_activities ADD COLUMN json_core text, ADD COLUMN json_teachers text;
COMMENT ON COLUMN ss12000_activities.json_core IS 'JSON object of the fields released with the activity (release policy).';
COMMENT ON COLUMN ss12000_activities.json_teachers IS '`, "teachers": …` (staff data: activities at units granted under the staff API).';
ALTER TABLE ss12000_organisations ADD COLUMN json_core text;
COMMENT ON COLUMN ss12000_organisations.json_core IS 'JSON object of the fields released with the organisation (release policy).';
ALTER TABLE ss12000_duties ADD COLUMN json_core text;
COMMENT ON COLUMN ss12000_duties.json_core IS 'JSON object of the fields released with the duty (release policy).';
ALTER TABLE ss12000_syllabuses ADD COLUMN json_core text;
COMMENT ON COLUMN ss12000_syllabuses.json_core IS 'JSON object of the fields released with the syllabus (release policy).';
ALTER TABLE ss12000_programmes ADD COLUMN json_core text;
COMMENT ON COLUMN ss12000_programmes.json_core IS 'JSON object of the fields released with the programme (release policy).';
ALTER TABLE ss12000_studyplans ADD COLUMN json_core text;
COMMENT ON COLUMN ss12000_studyplans.json_core IS 'JSON object of the fields released with the study plan (release policy).';

-- The policy digest the stored parts were computed with (one row).
CREATE TABLE ss12000_release_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  policy_digest text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ss12000_release_state IS 'Digest of the release policy that the stored release parts (json_* columns) were computed with.';
