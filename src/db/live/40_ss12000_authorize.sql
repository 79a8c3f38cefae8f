-- The live authorization of one SS 12000 read as database functions (first written in migrations
-- 0043 and 0046). Planning the one-statement check took about as long as running it (2–10 ms under
-- load, per request); PL/pgSQL keeps the plans of its statements for the life of the connection, so
-- a request pays for one trivial call. Nothing is cached between requests here: every call reads
-- the live rows (the server's copy of the scope is guarded by clients.scope_version, 30_scope_version.sql).

-- The end-user consent an access token names, with its live checks, as JSON (NULL when unknown or of
-- another client). `granted`: the client reaches that institution under the consent's API
-- (grant_reach). `has_role`: the person still has a relation of the consented role with that school
-- unit (the role kinds of src/modules/access/literals.ts).
CREATE OR REPLACE FUNCTION end_user_consent_state(p_consent uuid, p_client uuid) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
      'id', e.id, 'person_id', e.person_id, 'institution_number', e.institution_number, 'role', e.role, 'api_code', e.api_code,
      'data_categories', e.data_categories, 'withdrawn', e.withdrawn_at IS NOT NULL, 'tokens_revoked_before', e.tokens_revoked_before,
      'granted', EXISTS (SELECT 1 FROM grant_reach r
                          WHERE r.client_id = e.client_id AND r.api_code = e.api_code AND r.institution_number = e.institution_number),
      'has_role', EXISTS (SELECT 1 FROM ss12000_organisations o JOIN ss12000_person_relations r ON r.organisation_id = o.id
                           WHERE o.organisation_type = 'Skolenhet' AND o.organisation_code = e.institution_number
                             AND r.person_id = e.person_id
                             AND r.kind = ANY (CASE e.role WHEN 'student' THEN {{STUDENT_KINDS}}
                                                           WHEN 'staff' THEN {{STAFF_KINDS}}
                                                           ELSE {{GUARDIAN_KINDS}} END)))
    FROM end_user_consents e WHERE e.id = p_consent AND e.client_id = p_client
$$;
COMMENT ON FUNCTION end_user_consent_state(uuid, uuid) IS 'Live state of an end-user consent for the bearer check (withdrawn, tokens revoked before, granted, has_role).';

-- Everything one SS 12000 read needs, read live: the client and its app, the consent (end-user
-- tokens), the rate count of this minute (the request is counted here, in shard p_shard), the rate
-- limit, the client's scope version and — only when `p_known_version` is not that version — the
-- scope: its grants, its app's approved categories, and per API the school units its grants reach
-- (grant_reach joined to the units of those institutions). The version and the scope are read in
-- one statement, so they always belong together. NULL for an unknown client (nothing counted).
CREATE OR REPLACE FUNCTION ss12000_authorize(p_client uuid, p_consent uuid, p_window timestamptz, p_shard smallint, p_known_version bigint) RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  own integer;
  total integer;
BEGIN
  -- The request's count is the only thing this writes, and it is a rate limit's count, not a record:
  -- its commit need not wait for the WAL to reach the disk (a crash of PostgreSQL may forget the
  -- last moment's counts; nothing else is written here, and the access log commits synchronously).
  -- Local to this transaction: the caller runs this function in a statement of its own
  -- (src/modules/ss12000/access.ts). Measured at 64 connections on a school's week of lessons
  -- (`npm run bench -- api`): PostgreSQL CPU per read 0.81–1.11 ms with the wait, 0.74–0.85 without.
  PERFORM set_config('synchronous_commit', 'off', true);
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
        'units', (SELECT coalesce(json_agg(json_build_object('api_code', u.api_code, 'institution_number', u.institution_number, 'id', u.id)), '[]'::json)
                    FROM (SELECT DISTINCT r.api_code, r.institution_number, o.id
                            FROM grant_reach r
                            JOIN ss12000_organisations o ON o.organisation_type = 'Skolenhet' AND o.organisation_code = r.institution_number
                           WHERE r.client_id = p_client) u)) END)
      FROM clients cl LEFT JOIN apps a ON a.id = cl.app_id WHERE cl.id = p_client);
END
$$;
COMMENT ON FUNCTION ss12000_authorize(uuid, uuid, timestamptz, smallint, bigint) IS 'One SS 12000 read: live client state, consent, rate count, and the scope (grants, approved categories, reached school units per API) when the caller''s copy is not of the live scope version (see src/modules/ss12000/access.ts).';
