-- Subscriptions and signed notifications (issue 17, point 5): SS 12000 clients subscribe to changes
-- of resource types (POST /subscriptions of the data API) and are told, at a target URL, which types
-- changed; partners get the events of their apps (grant changes, app status, consent withdrawn) at an
-- endpoint they configure per app. Both go through one delivery machinery: a delivery row per message,
-- a pg-boss job that sends it signed (Standard Webhooks) and retries it for more than 24 hours, and one
-- row per attempt (src/modules/webhooks/).

CREATE TABLE ss12000_subscriptions (
  -- The spec's Subscription.id (a uuid); also what the client names in GET/PATCH/DELETE /subscriptions/{id}.
  id uuid PRIMARY KEY,
  -- The SS 12000 client that subscribed: only it sees, renews and deletes the subscription, and what it
  -- is told is decided from this client's live grants. Its subscriptions go with it.
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  -- The spec's CreateSubscription.name: the client's own label.
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- The spec's EndPointsEnum values the client subscribed to (Person, Organisation, ...).
  resource_types text[] NOT NULL CHECK (cardinality(resource_types) >= 1),
  -- Where notifications are posted; checked when stored and again, address by address, on every attempt
  -- (https only and no private, loopback or link-local address in production: src/modules/webhooks/targets.ts).
  target text NOT NULL,
  -- The signing secret (`whsec_` + base64 of 32 random bytes). Kept as it is, not as a digest: every
  -- delivery is signed with it (HMAC), so the server must be able to use it. Shown once, when created.
  secret text NOT NULL,
  created_at timestamptz NOT NULL,
  -- After this moment nothing is sent; PATCH /subscriptions/{id} moves it forward (the spec's renewal).
  expires_at timestamptz NOT NULL
);
CREATE INDEX ss12000_subscriptions_client_idx ON ss12000_subscriptions (client_id, created_at, id);
COMMENT ON TABLE ss12000_subscriptions IS
  'SS 12000 subscriptions (POST /subscriptions): a client, the resource types it wants to hear about, the target URL and the signing secret; notified only about entities within its live grants.';

CREATE TABLE ss12000_entity_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- One ingestion (one transaction) writes its changes under one load id; the fan-out job of that load reads them.
  load_id uuid NOT NULL,
  -- The store's collection (persons, organisations, ...).
  entity_type text NOT NULL,
  entity_id uuid NOT NULL,
  -- True: the entity was deleted (who could see it is then read from ss12000_deleted_entities).
  deleted boolean NOT NULL,
  changed_at timestamptz NOT NULL
);
CREATE INDEX ss12000_entity_changes_load_idx ON ss12000_entity_changes (load_id, entity_type);
COMMENT ON TABLE ss12000_entity_changes IS
  'Entities an ingestion created, changed or deleted, written only while a subscription exists, in the load''s transaction; the fan-out job turns them into notifications for the subscribers that see them and deletes them.';

CREATE TABLE app_webhooks (
  -- One endpoint per app, configured by the app's partner in the partner portal.
  app_id uuid PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
  -- Where the app's partner events are posted (same target rules as subscriptions).
  target text NOT NULL,
  -- The signing secret (`whsec_` + base64), kept usable for the same reason as a subscription's; shown once.
  secret text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
COMMENT ON TABLE app_webhooks IS
  'The endpoint a partner configured for one app''s events (grant changes, app status, consent withdrawn), with its signing secret.';

CREATE TABLE webhook_deliveries (
  -- The Standard Webhooks message id (`webhook-id`): the same on every attempt and on a replay's own row
  -- a new one, so a receiver can drop duplicates of a retried message.
  id uuid PRIMARY KEY,
  -- 'subscription': an SS 12000 notification; 'partner': an event of an app for its partner.
  kind text NOT NULL CHECK (kind IN ('subscription', 'partner')),
  subscription_id uuid REFERENCES ss12000_subscriptions (id) ON DELETE CASCADE,
  -- The app the delivery belongs to (a subscription's client's app, NULL for a client without one):
  -- what the partner portal lists per app.
  app_id uuid REFERENCES apps (id) ON DELETE CASCADE,
  -- 'ss12000.notification' or the partner event type (grant.changed, app.status_changed, consent.withdrawn).
  event_type text NOT NULL CHECK (event_type ~ '^[a-z0-9_]+\.[a-z_]+$'),
  -- The body sent. A notification holds only what the spec's notice holds (modifiedEntites, deletedEntities).
  payload jsonb NOT NULL,
  -- A notification only: the entity ids behind the notice, per type, so that each attempt re-checks that
  -- the subscriber still sees at least one of them. Never sent.
  entity_refs jsonb,
  -- pending: queued or being retried; delivered: a 2xx came back; failed: every attempt failed;
  -- withheld: at delivery the subscriber no longer saw any of the entities (or its client may not read,
  -- or the subscription expired, or the app's endpoint was removed), so nothing was sent.
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'withheld')),
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  -- A replay (the partner's "send again") is a new delivery of the same payload; this names the original.
  replay_of uuid REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
  CHECK ((kind = 'subscription') = (subscription_id IS NOT NULL)),
  CHECK (kind <> 'partner' OR app_id IS NOT NULL)
);
CREATE INDEX webhook_deliveries_app_idx ON webhook_deliveries (app_id, created_at DESC);
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at DESC);
COMMENT ON TABLE webhook_deliveries IS
  'One signed webhook message (an SS 12000 notification or a partner event) and where its delivery stands; sent and retried by the pg-boss job webhook.deliver.';

CREATE TABLE webhook_delivery_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempted_at timestamptz NOT NULL,
  -- The URL posted to (a subscription's or app's target at the time of the attempt).
  target text NOT NULL,
  -- The receiver's HTTP status; NULL when no answer came (refused target, DNS, connection, timeout).
  status_code integer,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  -- Why the attempt did not succeed (a non-2xx status, a network error, a refused address); NULL on success.
  error text
);
CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id);
COMMENT ON TABLE webhook_delivery_attempts IS
  'Every attempt to deliver a webhook message: when, to which URL, the status that came back, how long it took and what went wrong.';
