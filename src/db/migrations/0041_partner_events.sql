-- Events for partners (issue 5: "the partner is notified (mail and an event)"). The first type is
-- `consent.withdrawn`: a person withdrew their consent for one of the partner's apps at one school.
-- Partners read them with GET /api/v1/partner/apps/:appId/events; the table is shaped for signed
-- webhooks later (stable public id for idempotent delivery, insertion order, delivery bookkeeping).
CREATE TABLE partner_events (
  -- Insertion order: the cursor a reader (or a webhook sender) resumes from.
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Public id of the event, so a receiver can drop duplicates of a retried delivery.
  id uuid NOT NULL UNIQUE,
  partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  app_id uuid REFERENCES apps (id) ON DELETE CASCADE,
  type text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  -- What the partner may know: never a Schoolgate person id or name, only the pairwise `sub` the
  -- app got at sign-in.
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  -- Webhook delivery (not built yet): when it was delivered, NULL until then.
  delivered_at timestamptz
);
CREATE INDEX partner_events_app_idx ON partner_events (app_id, seq);
COMMENT ON TABLE partner_events IS 'Events for a partner about its apps (consent.withdrawn …), read through the partner API; webhook-ready.';

-- A person (student, guardian, staff of the SS 12000 store) is now an actor of the audit log: they
-- give and withdraw consent. They have no `users` row, so actor_user_id stays NULL for them.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
  CHECK (actor_kind IN ('operator', 'partner', 'school', 'system', 'client', 'person'));
