-- Observability (issue 12, "Operable").

-- The mail backlog (/metrics: pending mails and the age of the oldest) is read on every scrape; the
-- outbox keeps every mail ever sent, so without this index each scrape scans it whole (measured:
-- ~1.2 s at 300,000 mails on PostgreSQL 15, ~3 ms with it). Pending mails are few, so it stays small.
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (created_at) WHERE status = 'pending';
COMMENT ON INDEX mail_outbox_pending_idx IS 'Mails waiting for delivery, oldest first: the backlog metric.';

-- Since this change the request id is the server's one per request (src/observability/request-id.ts):
-- a random UUID, or the well-formed X-Request-Id of a proxy listed in TRUST_PROXY.
COMMENT ON COLUMN ss12000_access_log.request_id IS
  'The X-Request-Id the response carried, the id of the request''s log lines: a random UUID per request, or the id a trusted proxy (TRUST_PROXY) sent; never one a client chose. Matches an answered read with its row.';
