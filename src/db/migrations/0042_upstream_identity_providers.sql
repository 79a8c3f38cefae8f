-- Sign-in through a school board's own OpenID Connect provider: the operator configures, per school
-- board (SS 12000 organisation of type 'Huvudman'), an upstream provider that people of that board's
-- schools may sign in with instead of (or besides) a Schoolgate password.

CREATE TABLE upstream_identity_providers (
  id uuid PRIMARY KEY,
  -- The school board. A school unit (Skolenhet, whose organisation_code is the institution number)
  -- reaches its board through parent_id. One provider per board, so a school has at most one button.
  -- Cascade: a board removed from the SS 12000 data has no schools left to sign in to.
  board_organisation_id uuid NOT NULL UNIQUE REFERENCES ss12000_organisations (id) ON DELETE CASCADE,
  -- Shown on the sign-in button: "Sign in with <display_name>".
  display_name text NOT NULL,
  -- The upstream's issuer identifier; its metadata is discovered at <issuer>/.well-known/openid-configuration.
  issuer text NOT NULL,
  client_id text NOT NULL,
  -- In plain on purpose: Schoolgate presents this secret to the upstream's token endpoint
  -- (client_secret_basic), so it must be able to read it back; a hash cannot be presented. It is
  -- never returned by the API (only `hasSecret`), and the audit log never records it.
  client_secret text NOT NULL,
  -- Which claim of the upstream's ID token / userinfo names the person, and where we look for it:
  -- eppn → ss12000_persons.eppns, email → an e-mail address in the SS 12000 person body, civic_no →
  -- ss12000_persons.civic_no.
  person_claim text NOT NULL CHECK (person_claim IN ('eppn', 'email', 'civic_no')),
  -- false: people of this board's schools may only sign in through the upstream provider.
  password_allowed boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
COMMENT ON TABLE upstream_identity_providers IS 'Per school board: an upstream OpenID Connect provider its people may sign in with (operator-configured).';
COMMENT ON COLUMN upstream_identity_providers.client_secret IS 'Plain: it is presented to the upstream token endpoint, so it cannot be hashed; never returned by the API.';

-- Upstream sign-in finds the person by the configured claim; without these, one sign-in would scan
-- every person of the store.
CREATE INDEX ss12000_persons_eppns_idx ON ss12000_persons USING gin (eppns);

-- The lower-cased e-mail addresses of an SS 12000 person body (emails[].value). IMMUTABLE so it can
-- be indexed (an index expression cannot hold a subquery); lower-cased so that the upstream's
-- spelling of an address does not matter.
CREATE FUNCTION ss12000_person_emails(body jsonb) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT COALESCE(array_agg(lower(e ->> 'value')), '{}') FROM jsonb_array_elements(COALESCE(body -> 'emails', '[]'::jsonb)) e $$;
CREATE INDEX ss12000_persons_emails_idx ON ss12000_persons USING gin (ss12000_person_emails(body));
