-- Issue 14, points 3 and 4: a school admin's on/off switch for an app in their institutions, and
-- purposes written per language.

-- Grants a school admin switched off. A switched-off grant is moved here out of `grants`, so that
-- it reaches nothing by construction: every reader of what a grant reaches (grant_reach,
-- ss12000_authorize, the sign-in's school picker, consents) reads `grants` only, and the delete
-- bumps the client's scope version (30_scope_version.sql) so an SS 12000 client loses access on
-- its next request. Switching on moves exactly these rows back, with their own id, grant time,
-- granter and reason. Written only by src/modules/access/grants.ts.
CREATE TABLE suspended_grants (
  -- The grant's own id, kept so that switching on restores the very grant that was switched off.
  id uuid PRIMARY KEY,
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  api_code text NOT NULL REFERENCES apis (code),
  institution_number text REFERENCES institutions (number) ON DELETE CASCADE,
  access_group_id uuid REFERENCES access_groups (id) ON DELETE CASCADE,
  -- The grant as it was: who granted it, when and why.
  granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  granted_at timestamptz NOT NULL,
  reason text,
  -- The switch: who turned the app off here, when, and the optional reason they gave.
  suspended_by uuid REFERENCES users (id) ON DELETE SET NULL,
  suspended_at timestamptz NOT NULL,
  suspension_reason text,
  CHECK ((institution_number IS NULL) <> (access_group_id IS NULL))
);
CREATE UNIQUE INDEX suspended_grants_institution_unique ON suspended_grants (client_id, api_code, institution_number) WHERE institution_number IS NOT NULL;
CREATE UNIQUE INDEX suspended_grants_access_group_unique ON suspended_grants (client_id, api_code, access_group_id) WHERE access_group_id IS NOT NULL;
CREATE INDEX suspended_grants_institution_idx ON suspended_grants (institution_number);
COMMENT ON TABLE suspended_grants IS 'Grants a school admin switched off for an app in their institutions: they reach nothing until switched on, when exactly these rows return to grants.';

-- Purposes per language: {"en": "...", "nl": "..."}, at least one. The single-language purpose
-- becomes the partner's language: that of the app's contact, else of the partner's first member,
-- else English.
ALTER TABLE app_api_requests ADD COLUMN purposes jsonb;
UPDATE app_api_requests r
   SET purposes = jsonb_build_object(
     coalesce(
       (SELECT u.language FROM apps a JOIN users u ON u.email = lower(a.contact_email) WHERE a.id = r.app_id),
       (SELECT u.language FROM apps a JOIN partner_members m ON m.partner_id = a.partner_id JOIN users u ON u.id = m.user_id
         WHERE a.id = r.app_id ORDER BY m.created_at, u.id LIMIT 1),
       'en'),
     r.purpose);
ALTER TABLE app_api_requests ALTER COLUMN purposes SET NOT NULL;
ALTER TABLE app_api_requests ADD CONSTRAINT app_api_requests_purposes_languages
  CHECK (jsonb_typeof(purposes) = 'object' AND purposes <> '{}'::jsonb AND (purposes - ARRAY['en', 'nl', 'fr', 'sv']) = '{}'::jsonb);
COMMENT ON COLUMN app_api_requests.purposes IS 'Why the app needs this data, per language (en, nl, fr, sv; at least one); readers take their own language, else another given one.';
-- `purpose` stays for readers that show one text: derived, English first, never written.
ALTER TABLE app_api_requests DROP COLUMN purpose;
ALTER TABLE app_api_requests ADD COLUMN purpose text NOT NULL
  GENERATED ALWAYS AS (coalesce(purposes ->> 'en', purposes ->> 'nl', purposes ->> 'fr', purposes ->> 'sv')) STORED;
COMMENT ON COLUMN app_api_requests.purpose IS 'One purpose text for readers without a language: the English one, else another given (derived from purposes).';
