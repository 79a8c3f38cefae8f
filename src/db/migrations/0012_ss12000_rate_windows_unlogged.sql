-- Rate-limit counters are written on every SS 12000 request. They need no crash safety (losing a
-- minute's counts after a crash is harmless), so the table skips the write-ahead log: no WAL flush
-- per request.
ALTER TABLE ss12000_rate_windows SET UNLOGGED;
COMMENT ON TABLE ss12000_rate_windows IS 'Request counters per client and minute for the SS 12000 API rate limit (unlogged: lost on a crash, by design).';
