-- The rate count moves from updated rows to one sequence per client (created by ss12000_authorize on
-- the client's first read, src/db/live/40_ss12000_authorize.sql) and a row per client and minute
-- holding the sequence's value before that minute's first read. Counting a read was an UPDATE of one
-- of 8 shard rows on one heap page: each left a dead row version, pruned only when a backend got the
-- page to itself, and never while an older snapshot was open (a long ingestion). A steady client of
-- ~1,000 reads/s then made every read walk the window's dead versions: ss12000_authorize's PostgreSQL
-- CPU per call grew 136 → 258 µs over 15,000 calls of one minute, and 128 → 564 µs over 40,000 while
-- another session's transaction held back the horizon. nextval is not transactional and leaves no
-- row version behind; the window row is written once per client and minute. Measured with 12
-- connections calling ss12000_authorize for one client, 40,000 calls in one minute, PostgreSQL CPU
-- per call per 5,000 calls (a 2-core machine busy with other work): rows 194–292 µs at first,
-- 818–1,130 at the last 5,000 with a snapshot held open (and up to 1,166 without, in 2 runs of 3);
-- the sequence 94–118 µs from the second 5,000 to the last, with or without it. One connection,
-- 20,000 calls: 112–130 µs (rows, when they did not grow) against 84–96.
DROP FUNCTION ss12000_authorize(uuid, uuid, timestamptz, smallint, bigint);
DROP TABLE ss12000_rate_windows;

-- Unlogged, as the table it replaces (0012): a crash forgets the minute's counts, and its sequences
-- (unlogged too) start again, so the two are lost together.
CREATE UNLOGGED TABLE ss12000_rate_window_starts (
  client_id uuid NOT NULL,
  window_start timestamptz NOT NULL,
  -- The client's request counter: the sequence ss12000_rate_<client id without dashes>.
  counter regclass NOT NULL,
  -- The counter's last value before the window's first request: the window's count is the
  -- counter's value minus this.
  base bigint NOT NULL,
  PRIMARY KEY (client_id, window_start)
);
COMMENT ON TABLE ss12000_rate_window_starts IS 'Per client and minute of the SS 12000 API rate limit, where its request counter (a sequence) stood before the minute''s first request (unlogged: lost on a crash, by design). The view ss12000_rate_windows gives the counts.';
