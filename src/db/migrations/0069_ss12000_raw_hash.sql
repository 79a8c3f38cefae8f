-- Issue 16: re-loading an unchanged world must cost a comparison of digests, not a validation of
-- every document. `hash` is the digest of the record as validated and canonicalised (parsing it is
-- most of a load's work); `raw_hash` is the digest of the record's JSON text as the loader sent it
-- (without the SIS's own `meta`) together with a digest of the input schemas, taken before any
-- parsing. A record sent again with the same raw digest is the one stored, so it is neither validated
-- nor written again (src/modules/ss12000/ingest.ts); after an upgrade whose schemas differ, every
-- record takes the full path once.
-- NULL: not known yet (rows loaded before this column), or the record had members the schemas do not
-- know (those are reported to the loader on every load, so such a record always takes the full path).
ALTER TABLE ss12000_organisations ADD COLUMN raw_hash text;
ALTER TABLE ss12000_persons ADD COLUMN raw_hash text;
ALTER TABLE ss12000_placements ADD COLUMN raw_hash text;
ALTER TABLE ss12000_duties ADD COLUMN raw_hash text;
ALTER TABLE ss12000_groups ADD COLUMN raw_hash text;
ALTER TABLE ss12000_activities ADD COLUMN raw_hash text;
ALTER TABLE ss12000_syllabuses ADD COLUMN raw_hash text;
ALTER TABLE ss12000_programmes ADD COLUMN raw_hash text;
ALTER TABLE ss12000_studyplans ADD COLUMN raw_hash text;
COMMENT ON COLUMN ss12000_persons.raw_hash IS 'SHA-256 (base64url) of the record''s JSON as the loader sent it, minus meta; NULL when unknown or when the record had unknown members. A load skips records whose raw digest is stored (see migration 0069).';
