-- The access log's `released` is written compactly (issue 11, speed): one element per API × entity
-- type with the records per institution, instead of one element per institution. The per-
-- institution form of 0047 cost PostgreSQL about 1.2 ms per request (a 13 KB jsonb compressed on
-- every write, for a page of persons at seventy schools) against 0.3 ms now. Rows already written
-- keep their shape; both are read through ss12000_access_log_parts (src/db/live/50_access_log_parts.sql).
COMMENT ON COLUMN ss12000_access_log.released IS
  'What the request released. Since migration 0052 one element per api × entity type: {"api": "students" | "staff", "entity": "duties", '
  '"categories": ["identity", ...], "institutions": {"010025": 16, ...}} (records per institution), or for records bound to no institution '
  '(syllabuses, programmes) {"api": null, "entity", "categories", "records": n}; rows written between migrations 0047 and 0052 hold one '
  'element per institution × api × entity type ({"institution", "api", "entity", "records", "categories"}). Read it through '
  'ss12000_access_log_parts(released), which gives the per-institution parts of either shape. records counts each record once per '
  'institution it was released through; embedded records (expand) are elements of their own entity type. Empty for refusals, for HEAD, '
  'for /deletedEntities (ids of deleted records: counted in record_count only) and for rows written before migration 0047.';
