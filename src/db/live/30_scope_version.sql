-- What a client's grants reach (grant_reach, the school units of those institutions, its app's
-- approved categories) changes rarely but is needed on every SS 12000 request. Every change to any
-- of it bumps clients.scope_version (column of migration 0046) in the same transaction, by the
-- triggers below; a server process keeps what it last read with the version it read it at, and
-- ss12000_authorize sends it again only when the live version differs. The version itself is read
-- live on every request, so a revoked grant is refused on the next request in every process.
--
-- A new table or column that changes what a grant reaches needs a trigger here and a case in
-- test/ss12000/live-scope.test.ts that fails without it.

-- The triggers below name the clients a change touches; this bumps them. (In a row trigger OLD is
-- NULL on INSERT and NEW on DELETE, so `ARRAY[OLD.x, NEW.x]` covers every operation.)
CREATE OR REPLACE FUNCTION bump_client_scopes(client_ids uuid[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
  UPDATE clients SET scope_version = scope_version + 1 WHERE id = ANY (client_ids)
$$;

-- A grant added, removed or changed: its client (both, should a grant move between clients).
CREATE OR REPLACE FUNCTION bump_scope_on_grant() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_client_scopes(ARRAY[OLD.client_id, NEW.client_id]);
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS grants_bump_scope ON grants;
CREATE TRIGGER grants_bump_scope AFTER INSERT OR UPDATE OR DELETE ON grants
  FOR EACH ROW EXECUTE FUNCTION bump_scope_on_grant();

-- An institution joining or leaving an access group: the clients granted that group. (Not through
-- grant_reach: on DELETE the member row is already gone from it.)
CREATE OR REPLACE FUNCTION bump_scope_on_access_group_member() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_client_scopes(ARRAY(SELECT g.client_id FROM grants g WHERE g.access_group_id IN (OLD.access_group_id, NEW.access_group_id)));
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS access_group_institutions_bump_scope ON access_group_institutions;
CREATE TRIGGER access_group_institutions_bump_scope AFTER INSERT OR UPDATE OR DELETE ON access_group_institutions
  FOR EACH ROW EXECUTE FUNCTION bump_scope_on_access_group_member();

-- An app's approved data categories: its client.
CREATE OR REPLACE FUNCTION bump_scope_on_api_request() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_client_scopes(ARRAY(SELECT c.id FROM clients c WHERE c.app_id IN (OLD.app_id, NEW.app_id)));
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS app_api_requests_bump_scope ON app_api_requests;
CREATE TRIGGER app_api_requests_bump_scope AFTER INSERT OR UPDATE OR DELETE ON app_api_requests
  FOR EACH ROW EXECUTE FUNCTION bump_scope_on_api_request();

-- A school unit appearing, going, or changing its code or type changes which units a grant reaches:
-- the clients that reach its institution (old or new code).
CREATE OR REPLACE FUNCTION bump_scope_on_organisation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_client_scopes(ARRAY(
    SELECT r.client_id FROM grant_reach r WHERE r.institution_number IN (OLD.organisation_code, NEW.organisation_code)));
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS ss12000_organisations_bump_scope ON ss12000_organisations;
CREATE TRIGGER ss12000_organisations_bump_scope AFTER INSERT OR DELETE ON ss12000_organisations
  FOR EACH ROW EXECUTE FUNCTION bump_scope_on_organisation();
-- Updates touch school units all the time (every ingestion); only a new code or type matters.
DROP TRIGGER IF EXISTS ss12000_organisations_bump_scope_on_update ON ss12000_organisations;
CREATE TRIGGER ss12000_organisations_bump_scope_on_update AFTER UPDATE ON ss12000_organisations
  FOR EACH ROW WHEN (OLD.organisation_code IS DISTINCT FROM NEW.organisation_code OR OLD.organisation_type IS DISTINCT FROM NEW.organisation_type)
  EXECUTE FUNCTION bump_scope_on_organisation();

-- A client linked to another app gets that app's approved categories.
CREATE OR REPLACE FUNCTION bump_scope_on_client_app() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.scope_version := OLD.scope_version + 1;
  RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS clients_bump_scope ON clients;
CREATE TRIGGER clients_bump_scope BEFORE UPDATE OF app_id ON clients
  FOR EACH ROW WHEN (OLD.app_id IS DISTINCT FROM NEW.app_id) EXECUTE FUNCTION bump_scope_on_client_app();
