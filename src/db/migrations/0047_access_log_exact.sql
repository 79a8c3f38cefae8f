-- The access log becomes exact and durable (issue 11, points 4 and 5): still one row per request,
-- but each request now records, per institution, API and entity type, the records actually
-- released and their data categories, and the row is committed before the response is sent
-- (src/modules/ss12000/access-log.ts). Rows written before this migration keep released = '[]'
-- and, in institution_numbers, every institution the client could reach at the time.
ALTER TABLE ss12000_access_log
  ADD COLUMN request_id text,
  ADD COLUMN released jsonb NOT NULL DEFAULT '[]';

COMMENT ON COLUMN ss12000_access_log.request_id IS
  'The X-Request-Id the response carried (a random UUID per request, nothing taken from the client): matches an answered read with its row.';
COMMENT ON COLUMN ss12000_access_log.released IS
  'What the request released, one element per institution × api × entity type: {"institution": "010025" | null, "api": "students" | "staff" | null, '
  '"entity": "duties", "records": 16, "categories": ["identity", ...]}. institution and api are null for records bound to no institution '
  '(syllabuses, programmes); records counts each record once per institution it was released through; embedded records (expand) are '
  'elements of their own entity type. Empty for refusals, for HEAD, for /deletedEntities (ids of deleted records: counted in record_count only) '
  'and for rows written before migration 0047.';
COMMENT ON COLUMN ss12000_access_log.institution_numbers IS
  'Institutions whose records the request actually released (the institutions of released); before migration 0047: every institution the client could reach.';
COMMENT ON COLUMN ss12000_access_log.record_count IS
  'Records the response released in total, embedded ones included, each counted once (0 for a refusal).';
COMMENT ON COLUMN ss12000_access_log.endpoint IS 'Route pattern of the read, e.g. /persons/{id}.';
COMMENT ON COLUMN ss12000_access_log.status IS 'HTTP status of the response (refusals are logged too).';
COMMENT ON COLUMN ss12000_access_log.consent_id IS 'The end user''s consent when the read used an end user''s sign-in token.';
COMMENT ON TABLE ss12000_access_log IS
  'One row per client request to the SS 12000 API, committed before the response leaves: app, endpoint, status, and per institution the records and data categories released.';

-- The daily aggregate of an operator and a per-institution query over a time range (with the GIN
-- index on institution_numbers); a partner's view; support looking up one request.
CREATE INDEX ss12000_access_log_at_idx ON ss12000_access_log (at);
CREATE INDEX ss12000_access_log_partner_idx ON ss12000_access_log (partner_id, at);
CREATE INDEX ss12000_access_log_request_idx ON ss12000_access_log (request_id) WHERE request_id IS NOT NULL;
