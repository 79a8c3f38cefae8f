-- The access log's institution index (GIN, migration 0010) takes new entries into its pending list
-- and merges the list into the index once it outgrows gin_pending_list_limit (4 MB by default) —
-- inside whichever INSERT crosses it. The log's group commit is on every read's path (a read is
-- answered only once its row is committed, src/modules/ss12000/access-log.ts), so that one merge held
-- every read waiting for it: rows of eight reads with 28 institutions each, inserted 3,000 times on
-- the bench world's database, took 0.6 ms at the median and up to 48–57 ms at the merges. With a
-- 128 kB list the merges come 32 times as often and cost as much in all (1.9–2.0 s for the 3,000
-- inserts either way), and none took more than 5.6 ms. Turning the pending list off instead
-- (fastupdate = off) doubled the inserts' time.
ALTER INDEX ss12000_access_log_institutions_idx SET (gin_pending_list_limit = 128);
COMMENT ON INDEX ss12000_access_log_institutions_idx IS
  'Reads by institution (a school admin''s view of the log). Pending list capped at 128 kB (migration 0080): its merge runs inside an access-log INSERT, on the path of every read.';
