-- One counter row per client and minute made every request of a busy client wait for the previous
-- one's row lock. The count is now spread over a few shards per (client, minute) and summed.
ALTER TABLE ss12000_rate_windows ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE ss12000_rate_windows DROP CONSTRAINT ss12000_rate_windows_pkey;
ALTER TABLE ss12000_rate_windows ADD PRIMARY KEY (client_id, window_start, shard);
COMMENT ON COLUMN ss12000_rate_windows.shard IS 'Which of the (client, minute) counters a request incremented; the window''s count is their sum.';
