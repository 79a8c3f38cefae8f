-- What a client's grants reach (its grants, the members of the access groups they name, the school
-- units of those institutions, its app's approved categories) changes rarely but was read and written
-- out as JSON on every SS 12000 request: in the bench world (200 grants, 100 units) that was ~0.75 ms
-- of PostgreSQL time per request, five times the rest of the authorization. Now every change to any
-- of these bumps the client's `scope_version`, in the same transaction, by the triggers below; a
-- server process keeps what it last read with the version it read it at, and `ss12000_authorize`
-- sends it again only when the live version differs. The version is still read live on every
-- request, so a revoked grant is refused on the next request in every process, as before.

ALTER TABLE clients ADD COLUMN scope_version bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN clients.scope_version IS 'Bumped (by trigger) whenever what the client''s grants reach changes: grants, access group members, school units of granted institutions, the app''s approved categories, the app it belongs to.';

-- The triggers below name the clients a change touches; this bumps them. (In a row trigger OLD is
-- NULL on INSERT and NEW on DELETE, so `ARRAY[OLD.x, NEW.x]` covers every operation.)
CREATE FUNCTION bump_client_scopes(client_ids uuid[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
  UPDATE clients SET scope_version = scope_version + 1 WHERE id = ANY (client_ids)
$$;

CREATE FUNCTION bump_scope_on_grant() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_client_scopes(ARRAY[OLD.client_id, NEW.client_id]);
  RETURN NULL;
END
$$;
CREATE TRIGGER grants_bump_scope AFTER INSERT OR UPDATE OR DELETE ON grants
  FOR EACH ROW EXECUTE FUNCTION bump_scope_on_grant();

-- An institution joining or leaving an access group: the clients granted that group.
CREATE FUNCTION bump_scope_on_access_group_member() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_client_scopes(ARRAY(SELECT g.client_id FROM grants g WHERE g.access_group_id IN (OLD.access_group_id, NEW.access_group_id)));
  RETURN NULL;
END
$$;
CREATE TRIGGER access_group_institutions_bump_scope AFTER INSERT OR UPDATE OR DELETE ON access_group_institutions
  FOR EACH ROW EXECUTE FUNCTION bump_scope_on_access_group_member();

-- An app's approved data categories: its client.
CREATE FUNCTION bump_scope_on_api_request() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_client_scopes(ARRAY(SELECT c.id FROM clients c WHERE c.app_id IN (OLD.app_id, NEW.app_id)));
  RETURN NULL;
END
$$;
CREATE TRIGGER app_api_requests_bump_scope AFTER INSERT OR UPDATE OR DELETE ON app_api_requests
  FOR EACH ROW EXECUTE FUNCTION bump_scope_on_api_request();

-- A school unit appearing, going, or changing its code or type changes which units a grant reaches:
-- the clients granted its institution, directly or through an access group.
CREATE FUNCTION bump_scope_on_organisation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_client_scopes(ARRAY(
    SELECT g.client_id FROM grants g
     WHERE g.institution_number IN (OLD.organisation_code, NEW.organisation_code)
        OR g.access_group_id IN (SELECT i.access_group_id FROM access_group_institutions i
                                  WHERE i.institution_number IN (OLD.organisation_code, NEW.organisation_code))));
  RETURN NULL;
END
$$;
CREATE TRIGGER ss12000_organisations_bump_scope AFTER INSERT OR DELETE ON ss12000_organisations
  FOR EACH ROW EXECUTE FUNCTION bump_scope_on_organisation();
CREATE TRIGGER ss12000_organisations_bump_scope_on_update AFTER UPDATE ON ss12000_organisations
  FOR EACH ROW WHEN (OLD.organisation_code IS DISTINCT FROM NEW.organisation_code OR OLD.organisation_type IS DISTINCT FROM NEW.organisation_type)
  EXECUTE FUNCTION bump_scope_on_organisation();

-- A client linked to another app gets that app's approved categories.
CREATE FUNCTION bump_scope_on_client_app() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.scope_version := OLD.scope_version + 1;
  RETURN NEW;
END
$$;
CREATE TRIGGER clients_bump_scope BEFORE UPDATE OF app_id ON clients
  FOR EACH ROW WHEN (OLD.app_id IS DISTINCT FROM NEW.app_id) EXECUTE FUNCTION bump_scope_on_client_app();

-- As migration 0043's function, but the scope (grants, approved categories, access group members,
-- school units) is returned only when `p_known_version` is not the client's live scope version;
-- the version and the scope are read in one statement, so they always belong together.
DROP FUNCTION ss12000_authorize(uuid, uuid, timestamptz, smallint);
CREATE FUNCTION ss12000_authorize(p_client uuid, p_consent uuid, p_window timestamptz, p_shard smallint, p_known_version bigint) RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  own integer;
  total integer;
BEGIN
  PERFORM 1 FROM clients WHERE id = p_client;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  INSERT INTO ss12000_rate_windows AS w (client_id, window_start, shard, count) VALUES (p_client, p_window, p_shard, 1)
    ON CONFLICT (client_id, window_start, shard) DO UPDATE SET count = w.count + 1
    RETURNING w.count INTO own;
  SELECT own + coalesce(sum(w.count), 0)::integer INTO total
    FROM ss12000_rate_windows w WHERE w.client_id = p_client AND w.window_start = p_window AND w.shard <> p_shard;
  RETURN (
    SELECT json_build_object(
      'id', cl.id, 'name', cl.name, 'app_id', cl.app_id, 'origin', cl.origin, 'app_name', a.name, 'app_status', a.status, 'partner_id', a.partner_id,
      'consent', CASE WHEN p_consent IS NULL THEN NULL ELSE end_user_consent_state(p_consent, p_client) END,
      'own', own,
      'count', total,
      'lim', (SELECT l.requests_per_minute FROM ss12000_rate_limits l WHERE l.app_id = cl.app_id),
      'scope_version', cl.scope_version,
      'scope', CASE WHEN cl.scope_version = p_known_version THEN NULL ELSE json_build_object(
        'grants', (SELECT coalesce(json_agg(json_build_object('api_code', g.api_code, 'institution_number', g.institution_number, 'access_group_id', g.access_group_id)), '[]'::json)
                     FROM grants g WHERE g.client_id = p_client),
        'requests', (SELECT coalesce(json_agg(json_build_object('api_code', r.api_code, 'data_categories', r.data_categories)), '[]'::json)
                       FROM app_api_requests r WHERE r.app_id = cl.app_id),
        'via', (SELECT coalesce(json_agg(json_build_object('access_group_id', i.access_group_id, 'institution_number', i.institution_number)), '[]'::json)
                  FROM access_group_institutions i WHERE i.access_group_id IN (SELECT g.access_group_id FROM grants g WHERE g.client_id = p_client)),
        'units', (SELECT coalesce(json_agg(json_build_object('id', o.id, 'organisation_code', o.organisation_code)), '[]'::json)
                    FROM ss12000_organisations o
                   WHERE o.organisation_type = 'Skolenhet'
                     AND o.organisation_code IN (SELECT g.institution_number FROM grants g WHERE g.client_id = p_client AND g.institution_number IS NOT NULL
                                                 UNION
                                                 SELECT i.institution_number FROM access_group_institutions i
                                                  WHERE i.access_group_id IN (SELECT g.access_group_id FROM grants g WHERE g.client_id = p_client)))) END)
      FROM clients cl LEFT JOIN apps a ON a.id = cl.app_id WHERE cl.id = p_client);
END
$$;
COMMENT ON FUNCTION ss12000_authorize(uuid, uuid, timestamptz, smallint, bigint) IS 'One SS 12000 read: live client state, consent, rate count, and the scope when the caller''s copy is not of the live scope version (see src/modules/ss12000/access.ts).';
