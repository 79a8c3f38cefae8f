-- Webhook signing secrets at rest (issue 17): a subscription's and an app endpoint's signing secret are
-- stored sealed with AES-256-GCM under the deployment key (SECRETS_KEY, else DATA_DIR/secrets.key), never
-- in the clear (src/modules/webhooks/secrets.ts). The key is not in the database, so the rows written
-- before this migration cannot be sealed here: every start seals the secrets still in the clear, and
-- re-seals those under a retired key, before it serves (sealStoredSecrets). From now on the database
-- refuses a secret in the clear: the checks below hold for every row written or changed (NOT VALID: the
-- rows of before are sealed by that start, which then satisfies them too).

ALTER TABLE ss12000_subscriptions
  ADD CONSTRAINT ss12000_subscriptions_secret_sealed CHECK (secret LIKE 'sg1.%') NOT VALID;
COMMENT ON COLUMN ss12000_subscriptions.secret IS
  'The signing secret (whsec_…), sealed: sg1.<key id>.<iv>.<ciphertext>.<tag>, AES-256-GCM under the deployment key, bound to this row''s id. Shown in the clear once, when created.';

ALTER TABLE app_webhooks
  ADD CONSTRAINT app_webhooks_secret_sealed CHECK (secret LIKE 'sg1.%') NOT VALID;
COMMENT ON COLUMN app_webhooks.secret IS
  'The signing secret (whsec_…), sealed: sg1.<key id>.<iv>.<ciphertext>.<tag>, AES-256-GCM under the deployment key, bound to this app''s id. Shown in the clear once, when made.';
