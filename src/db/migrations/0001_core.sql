-- Schoolgate core schema: people, partners, apps, clients, school structure, grants, audit, mail.
-- PostgreSQL 15 syntax only (production and CI run 15; the embedded PGlite is newer).

-- Human accounts of every kind. One table so that sign-in, sessions and throttling are one path.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  -- argon2id; NULL for SIS users who have not been given a password (they cannot sign in).
  password_hash text,
  display_name text NOT NULL,
  -- operator: the SIS vendor's staff; partner: a partner member; school: a SIS user (admin or not).
  kind text NOT NULL CHECK (kind IN ('operator', 'partner', 'school')),
  -- Preferred language for mail and UI.
  language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'nl', 'fr', 'sv')),
  -- Partner sign-ups must confirm their address before they can act; SIS and operator users are trusted.
  email_verified_at timestamptz,
  -- SIS users only: access to user management ("Gebruikersbeheer"). Without it a user sees "no access".
  user_management_access boolean NOT NULL DEFAULT false,
  -- SIS users only: the SIS's own key for the person, so that imports are idempotent.
  sis_user_id text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'Human accounts: operators, partner members and SIS users (school admins and ordinary users).';

-- Signed-in browser sessions. The cookie carries a random token; only its hash is stored.
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Synchronizer token for CSRF protection of state-changing requests.
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
COMMENT ON TABLE sessions IS 'Cookie sessions of humans; stateless processes share them through this table.';

-- Failed sign-in counters per account and per IP, shared by all processes.
CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);
COMMENT ON TABLE login_throttle IS 'Sign-in throttling: key is "account:<email>" or "ip:<address>".';

CREATE TABLE email_confirmations (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
COMMENT ON TABLE email_confirmations IS 'One-time links that confirm a partner member''s e-mail address.';

CREATE TABLE partners (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  website text,
  contact_email text NOT NULL,
  -- Whether the partner is listed in the public directory (only once it has an approved app).
  public boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE partners IS 'Organisations that build software on school data.';

CREATE TABLE partner_members (
  partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  -- A user belongs to at most one partner.
  user_id uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partner_id, user_id)
);

-- The catalog of data APIs that can be granted.
CREATE TABLE apis (
  code text PRIMARY KEY,
  name text NOT NULL,
  -- What a grant of this API points at: one institution, or one access group (invoices).
  grant_target text NOT NULL CHECK (grant_target IN ('institution', 'access_group')),
  -- Any one of these module rights lets an admin grant the API (iBasis OR iLeerlingen for students).
  required_rights text[] NOT NULL,
  -- Data categories an app may ask for under this API.
  data_categories text[] NOT NULL,
  sort_order integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE apis IS 'API catalog: what can be granted, to what, and which admin right that needs.';

CREATE TABLE apps (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  contact_email text NOT NULL,
  status text NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'suspended', 'archived')),
  -- Exact-match redirect URIs for end-user sign-in (OpenID Connect); empty when not used.
  redirect_uris text[] NOT NULL DEFAULT '{}',
  submitted_at timestamptz,
  -- The accreditation: who approved, when, with which notes.
  approved_at timestamptz,
  approved_by uuid REFERENCES users (id) ON DELETE SET NULL,
  accreditation_notes text,
  rejection_reason text,
  status_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX apps_partner_idx ON apps (partner_id);
CREATE INDEX apps_status_idx ON apps (status);
COMMENT ON TABLE apps IS 'A partner''s product asking for data; only an approved app can be granted, invite or get tokens.';

-- What an app asks for, per API: the data categories and why (its purpose).
CREATE TABLE app_api_requests (
  app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  api_code text NOT NULL REFERENCES apis (code),
  data_categories text[] NOT NULL,
  purpose text NOT NULL,
  PRIMARY KEY (app_id, api_code)
);
COMMENT ON TABLE app_api_requests IS 'Per app and API: requested data categories and purpose (the public purpose register once approved).';

CREATE TABLE clients (
  -- OAuth client_id.
  id uuid PRIMARY KEY,
  -- An app has at most one client and a client belongs to at most one app (UNIQUE). NULL = legacy
  -- client not yet linked to an app: admins see its grants but only the operator may change them.
  app_id uuid UNIQUE REFERENCES apps (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- 'app': created on approval; 'legacy': created by the operator or imported before the consent system.
  origin text NOT NULL CHECK (origin IN ('app', 'legacy')),
  linked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE clients IS 'OAuth clients. Grants hang on the client, so legacy clients'' scopes and apps'' grants are one thing.';

CREATE TABLE client_secrets (
  id uuid PRIMARY KEY,
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  -- SHA-256 (hex) of a 256-bit random secret; the secret itself is shown once and never stored.
  secret_hash text NOT NULL UNIQUE,
  -- Last characters of the secret, so the partner can tell two live secrets apart.
  hint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Set when a newer secret replaced this one: valid until then (the rotation overlap).
  expires_at timestamptz,
  last_used_at timestamptz
);
CREATE INDEX client_secrets_client_idx ON client_secrets (client_id);

CREATE TABLE institutions (
  -- Six-digit institution number; equals the SS 12000 organisationCode of the school unit.
  number text PRIMARY KEY CHECK (number ~ '^[0-9]{6}$'),
  name text NOT NULL,
  town text,
  -- School years (starting calendar year) in which the institution is active; NULL = open-ended.
  active_from_year integer NOT NULL,
  active_until_year integer,
  CHECK (active_until_year IS NULL OR active_until_year >= active_from_year)
);
COMMENT ON TABLE institutions IS 'Schools known to the SIS, identified by institution number.';

CREATE TABLE access_groups (
  id uuid PRIMARY KEY,
  name text NOT NULL
);
COMMENT ON TABLE access_groups IS 'Invoicing access groups (toegangsgroepen): a GUID spanning one or more institutions.';

CREATE TABLE access_group_institutions (
  access_group_id uuid NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
  institution_number text NOT NULL REFERENCES institutions (number) ON DELETE CASCADE,
  PRIMARY KEY (access_group_id, institution_number)
);

-- Admin rights of SIS users: (user, module right, institution | access group, school year).
CREATE TABLE admin_rights (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- iBasis, iLeerlingen, iPersoneel, iInternen (institution) or invoicing_admin (access group).
  module_right text NOT NULL CHECK (module_right IN ('iBasis', 'iLeerlingen', 'iPersoneel', 'iInternen', 'invoicing_admin')),
  institution_number text REFERENCES institutions (number) ON DELETE CASCADE,
  access_group_id uuid REFERENCES access_groups (id) ON DELETE CASCADE,
  school_year integer NOT NULL,
  CHECK ((module_right = 'invoicing_admin') = (access_group_id IS NOT NULL)),
  CHECK ((institution_number IS NULL) <> (access_group_id IS NULL))
);
CREATE UNIQUE INDEX admin_rights_unique ON admin_rights
  (user_id, module_right, coalesce(institution_number, ''), coalesce(access_group_id::text, ''), school_year);
CREATE INDEX admin_rights_user_year_idx ON admin_rights (user_id, school_year);
COMMENT ON TABLE admin_rights IS 'Module rights per school year; only the current school year''s rights count.';

-- A grant ("scope"): the client of an app may read one API for one institution or access group.
CREATE TABLE grants (
  id uuid PRIMARY KEY,
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  api_code text NOT NULL REFERENCES apis (code),
  institution_number text REFERENCES institutions (number) ON DELETE CASCADE,
  access_group_id uuid REFERENCES access_groups (id) ON DELETE CASCADE,
  granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  reason text,
  CHECK ((institution_number IS NULL) <> (access_group_id IS NULL))
);
CREATE UNIQUE INDEX grants_institution_unique ON grants (client_id, api_code, institution_number) WHERE institution_number IS NOT NULL;
CREATE UNIQUE INDEX grants_access_group_unique ON grants (client_id, api_code, access_group_id) WHERE access_group_id IS NOT NULL;
CREATE INDEX grants_institution_idx ON grants (institution_number);
COMMENT ON TABLE grants IS 'Live consent of a school: effective the moment it exists, gone the moment it is deleted.';

CREATE TABLE invitations (
  id uuid PRIMARY KEY,
  app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  email text NOT NULL,
  -- Random token in the link; kept readable because the partner may copy the link again from the log.
  token text NOT NULL UNIQUE,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  mail_id uuid
);
CREATE INDEX invitations_app_idx ON invitations (app_id);
COMMENT ON TABLE invitations IS 'Requests from a partner to school admins to grant its approved app; valid at most one month.';

-- Every change, written in the transaction of the change it records.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  -- Kept even if the user is deleted: who it was at the time.
  actor_label text NOT NULL,
  actor_kind text NOT NULL CHECK (actor_kind IN ('operator', 'partner', 'school', 'system', 'client')),
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text NOT NULL,
  -- Scoping for readers: partners see their apps' entries, school admins their institutions'.
  partner_id uuid,
  app_id uuid,
  client_id uuid,
  institution_numbers text[] NOT NULL DEFAULT '{}',
  access_group_ids uuid[] NOT NULL DEFAULT '{}',
  reason text,
  before jsonb,
  after jsonb
);
CREATE INDEX audit_log_app_idx ON audit_log (app_id, id);
CREATE INDEX audit_log_partner_idx ON audit_log (partner_id, id);
CREATE INDEX audit_log_institutions_idx ON audit_log USING gin (institution_numbers);
COMMENT ON TABLE audit_log IS 'Append-only record of every change: actor, time, reason, before/after.';

-- Outgoing mail. The row is the truth; a job carries its id; delivery is idempotent.
CREATE TABLE mail_outbox (
  id uuid PRIMARY KEY,
  to_address text NOT NULL,
  language text NOT NULL,
  template text NOT NULL,
  subject text NOT NULL,
  body_text text NOT NULL,
  body_html text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- pending → sent | kept (no SMTP configured: kept for the dev mailbox) | failed (gave up)
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'kept', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  sent_at timestamptz,
  message_id text
);
CREATE INDEX mail_outbox_to_idx ON mail_outbox (to_address, created_at);
COMMENT ON TABLE mail_outbox IS 'Every mail Schoolgate sends, delivered by a job that reads the row.';

-- OpenID Connect signing keys, generated on first start and rotatable; shared by all processes.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  private_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- A retired key still verifies tokens it signed but no longer signs new ones.
  retired_at timestamptz
);

-- oidc-provider's stored artefacts (sessions, codes, refresh tokens …) through its adapter interface.
CREATE TABLE oidc_payloads (
  id text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (type, id)
);
CREATE INDEX oidc_payloads_grant_idx ON oidc_payloads (grant_id);
CREATE INDEX oidc_payloads_uid_idx ON oidc_payloads (uid);
