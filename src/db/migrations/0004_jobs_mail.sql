-- Background jobs and mail: what the expiry job and the dev mailbox need.
-- pg-boss keeps its own tables in a schema of its own (pgboss, or <schema>_boss), installed by
-- pg-boss itself at start; nothing of it lives here.

-- When the expiry job recorded the invitation's expiry in the audit log; NULL while it is live or
-- not swept yet. Makes "invitation.expired" appear exactly once per invitation.
ALTER TABLE invitations ADD COLUMN expiry_recorded_at timestamptz;
COMMENT ON COLUMN invitations.expiry_recorded_at IS 'Set when the expiry job wrote the invitation.expired audit row (once per invitation).';
CREATE INDEX invitations_unrecorded_expiry_idx ON invitations (expires_at) WHERE expiry_recorded_at IS NULL;

-- Secrets replaced by a rotation carry expires_at; the expiry job deletes them once it has passed.
CREATE INDEX client_secrets_expires_idx ON client_secrets (expires_at) WHERE expires_at IS NOT NULL;

-- Insertion order of mail: created_at comes from the application clock and may tie (several mails in
-- one change, or a test clock standing still), so the dev mailbox sorts on this instead.
ALTER TABLE mail_outbox ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
COMMENT ON COLUMN mail_outbox.seq IS 'Monotonic insertion order (newest first in the dev mailbox).';
CREATE UNIQUE INDEX mail_outbox_seq_idx ON mail_outbox (seq);
CREATE INDEX mail_outbox_template_idx ON mail_outbox (template, seq);
