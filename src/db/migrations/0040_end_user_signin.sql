-- "Log in with Schoolgate": end users (students, guardians, staff of the SS 12000 store) sign in to
-- partner apps, choose their school, consent per app, and can withdraw that consent.

-- Sign-in credentials of people in the SS 12000 store. A person without a row cannot sign in with a
-- password (they may still sign in through their school board's upstream identity provider).
CREATE TABLE end_user_accounts (
  person_id uuid PRIMARY KEY REFERENCES ss12000_persons (id) ON DELETE CASCADE,
  -- What the person types to sign in (e-mail address or school user name), lower-cased.
  login text NOT NULL UNIQUE CHECK (login = lower(login)),
  -- argon2id; NULL = no password (upstream sign-in only).
  password_hash text,
  language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'nl', 'fr', 'sv')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE end_user_accounts IS 'Sign-in credentials of students, guardians and staff (people of the SS 12000 store).';

-- Browser sessions of end users on Schoolgate itself ("My connected apps"). Kept apart from `sessions`
-- (operators, partners, SIS users): an end user is a person of the school data, not a user account.
CREATE TABLE end_user_sessions (
  token_hash text PRIMARY KEY,
  person_id uuid NOT NULL REFERENCES ss12000_persons (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX end_user_sessions_person_idx ON end_user_sessions (person_id);
COMMENT ON TABLE end_user_sessions IS 'Cookie sessions of end users (people of the SS 12000 store); only the token hash is stored.';

-- A person's consent that one app (its client) may receive their data, given at one school.
CREATE TABLE end_user_consents (
  id uuid PRIMARY KEY,
  person_id uuid NOT NULL REFERENCES ss12000_persons (id) ON DELETE CASCADE,
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  -- The school the person chose; the app reads this person's data only under this school's grant.
  institution_number text NOT NULL REFERENCES institutions (number) ON DELETE CASCADE,
  -- The role the person signed in with at that school, and the API that covers it (students for
  -- students and guardians, staff for staff): the school must hold a grant of that API for the app.
  role text NOT NULL CHECK (role IN ('student', 'guardian', 'staff')),
  api_code text NOT NULL REFERENCES apis (code),
  -- OpenID Connect scopes consented to (openid, profile, email, offline_access …).
  scopes text[] NOT NULL,
  -- The data categories of the app's approved registration that were shown and consented to.
  data_categories text[] NOT NULL,
  -- oidc-provider's Grant id: withdrawal revokes every code and refresh token of it (oidc_payloads.grant_id).
  oidc_grant_id text,
  consented_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- Set when the person withdrew it; a withdrawn consent is history, never reused.
  withdrawn_at timestamptz
);
-- At most one live consent per person, app and school; a withdrawn one stays as history.
CREATE UNIQUE INDEX end_user_consents_live_unique ON end_user_consents (person_id, client_id, institution_number) WHERE withdrawn_at IS NULL;
CREATE INDEX end_user_consents_client_idx ON end_user_consents (client_id, institution_number) WHERE withdrawn_at IS NULL;
COMMENT ON TABLE end_user_consents IS 'Per person × app × school: the scopes and data categories consented to; live until withdrawn.';

-- Public clients (single-page and mobile apps) hold no secret: they use PKCE alone at the token
-- endpoint and cannot use client credentials. Confidential is the default.
ALTER TABLE apps ADD COLUMN client_type text NOT NULL DEFAULT 'confidential' CHECK (client_type IN ('confidential', 'public'));
COMMENT ON COLUMN apps.client_type IS 'confidential: has a secret (client credentials and sign-in); public: sign-in with PKCE only, no secret.';

-- Reads made with an end user's sign-in token name the consent, so "My connected apps" can show
-- the app's reads of that person's data.
ALTER TABLE ss12000_access_log ADD COLUMN consent_id uuid;
CREATE INDEX ss12000_access_log_consent_idx ON ss12000_access_log (consent_id, at) WHERE consent_id IS NOT NULL;

-- Instance-wide secrets generated on first use (e.g. the salt of pairwise subject identifiers), kept
-- in the database so every process agrees.
CREATE TABLE instance_secrets (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE instance_secrets IS 'Secrets every process must share (pairwise subject salt); generated on first use.';
