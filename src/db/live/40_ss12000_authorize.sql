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

-- A client's request counter for the SS 12000 rate limit: the sequence ss12000_rate_<client id
-- without dashes>, created on its first use (migration 0081 says why a sequence). Unlogged like the
-- window rows. Two first reads at once: the advisory lock makes the second wait for the first's
-- commit, and IF NOT EXISTS then finds the sequence (the two-key lock, class 12000, shares no key
-- with the one-key locks of migrations and jobs).
CREATE OR REPLACE FUNCTION ss12000_rate_counter(p_client uuid) RETURNS regclass
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  seq_name text := 'ss12000_rate_' || replace(p_client::text, '-', '');
  seq regclass := to_regclass(seq_name);
BEGIN
  IF seq IS NULL THEN
    PERFORM pg_advisory_xact_lock(12000, hashtext(seq_name));
    EXECUTE format('CREATE UNLOGGED SEQUENCE IF NOT EXISTS %I', seq_name);
    seq := to_regclass(seq_name);
  END IF;
  RETURN seq;
END
$$;
COMMENT ON FUNCTION ss12000_rate_counter(uuid) IS 'The SS 12000 rate-limit request counter (a sequence) of a client, created on first use.';

-- Counts one request of a client in the rate window starting p_window and returns the window's
-- count. Only the first request(s) of a client's minute write a row (the window's start, where the
-- counter stood); every other one reads that row and takes nextval, which leaves no dead row
-- version (migration 0081 has the measurements). ss12000_authorize does the reading and nextval
-- itself and calls this function only when it finds no row for the minute. The first requests of a
-- window race to insert the row: the loser's INSERT waits for the winner's commit and then reads
-- its row. The base is read before the inserting request's own nextval, and every request of the
-- window takes nextval only after the row exists, so no request of the window is missed. A request
-- of the previous minute that takes its nextval after that is counted in both minutes, which only
-- makes the limit stricter at the turn of a minute. The winner forgets the client's older windows.
CREATE OR REPLACE FUNCTION ss12000_rate_count(p_client uuid, p_window timestamptz) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  seq regclass;
  start bigint;
BEGIN
  SELECT w.counter, w.base INTO seq, start FROM ss12000_rate_window_starts w WHERE w.client_id = p_client AND w.window_start = p_window;
  IF NOT FOUND THEN
    -- A rate limit's count, not a record: its commit need not wait for the WAL (it writes none, the
    -- table being unlogged, but the commit record of the row's transaction would be flushed).
    PERFORM set_config('synchronous_commit', 'off', true);
    seq := ss12000_rate_counter(p_client);
    INSERT INTO ss12000_rate_window_starts (client_id, window_start, counter, base)
      VALUES (p_client, p_window, seq, coalesce(pg_sequence_last_value(seq), 0))
      ON CONFLICT (client_id, window_start) DO NOTHING;
    IF FOUND THEN
      DELETE FROM ss12000_rate_window_starts WHERE client_id = p_client AND window_start < p_window;
    END IF;
    SELECT w.counter, w.base INTO seq, start FROM ss12000_rate_window_starts w WHERE w.client_id = p_client AND w.window_start = p_window;
  END IF;
  RETURN (nextval(seq) - start)::integer;
END
$$;
COMMENT ON FUNCTION ss12000_rate_count(uuid, timestamptz) IS 'Counts one SS 12000 request of a client in the rate window starting p_window; returns the window''s count so far.';

-- The rate counts per client and minute, as the table of migrations 0010–0013 held them (the latest
-- minute's count is the counter now; an older minute's runs to the next minute's start).
CREATE OR REPLACE VIEW ss12000_rate_windows AS
  SELECT w.client_id, w.window_start,
         (coalesce(lead(w.base) OVER (PARTITION BY w.client_id ORDER BY w.window_start), pg_sequence_last_value(w.counter), w.base) - w.base)::integer AS count
    FROM ss12000_rate_window_starts w;
COMMENT ON VIEW ss12000_rate_windows IS 'Requests per client and minute counted for the SS 12000 API rate limit (from ss12000_rate_window_starts and the clients'' counters).';

-- Forgets a deleted client's request counter and windows.
CREATE OR REPLACE FUNCTION ss12000_rate_counter_drop() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM ss12000_rate_window_starts WHERE client_id = OLD.id;
  EXECUTE format('DROP SEQUENCE IF EXISTS %I', 'ss12000_rate_' || replace(OLD.id::text, '-', ''));
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION ss12000_rate_counter_drop() IS 'Drops the SS 12000 rate-limit counter and windows of a deleted client.';
DROP TRIGGER IF EXISTS ss12000_rate_counter_drop ON clients;
CREATE TRIGGER ss12000_rate_counter_drop AFTER DELETE ON clients FOR EACH ROW EXECUTE FUNCTION ss12000_rate_counter_drop();

-- What a client's grants reach, as ss12000_authorize sends it when the caller's copy is of another
-- scope version: its grants, its app's approved categories, and per API the school units its grants
-- reach (grant_reach joined to the units of those institutions). A function of its own so that the
-- plan of ss12000_authorize's statement holds none of these tables: a cached plan locks every table
-- of its range table and sets up every subplan each time it runs, whether the CASE that needs them
-- is taken or not. With them inside, the call cost ~15 µs more of PostgreSQL's CPU on every read
-- (one connection; more with ten at once), though the scope is sent only when its version changed.
CREATE OR REPLACE FUNCTION ss12000_client_scope(p_client uuid, p_app uuid) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN json_build_object(
    'grants', (SELECT coalesce(json_agg(json_build_object('api_code', g.api_code, 'institution_number', g.institution_number, 'access_group_id', g.access_group_id)), '[]'::json)
                 FROM grants g WHERE g.client_id = p_client),
    'requests', (SELECT coalesce(json_agg(json_build_object('api_code', r.api_code, 'data_categories', r.data_categories)), '[]'::json)
                   FROM app_api_requests r WHERE r.app_id = p_app),
    'units', (SELECT coalesce(json_agg(json_build_object('api_code', u.api_code, 'institution_number', u.institution_number, 'id', u.id)), '[]'::json)
                FROM (SELECT DISTINCT r.api_code, r.institution_number, o.id
                        FROM grant_reach r
                        JOIN ss12000_organisations o ON o.organisation_type = 'Skolenhet' AND o.organisation_code = r.institution_number
                       WHERE r.client_id = p_client) u));
END
$$;
COMMENT ON FUNCTION ss12000_client_scope(uuid, uuid) IS 'The scope of an SS 12000 client as ss12000_authorize sends it: grants, the app''s approved categories, and the school units the grants reach per API.';

-- Everything one SS 12000 read needs, read live: the client and its app, the consent (end-user
-- tokens), the rate count of this minute (the request is counted here), the rate limit, the client's
-- scope version and — only when `p_known_version` is not that version — the scope
-- (ss12000_client_scope). The version and the scope are read in one statement, so they always
-- belong together. NULL for an unknown client (nothing counted).
--
-- One statement, whose plan PL/pgSQL keeps for the connection's life. The count takes nextval of the
-- client's counter from the window's row in that statement; only a request that finds no row for its
-- minute yet calls ss12000_rate_count, which writes it (COALESCE evaluates its second argument only
-- then). Written as three statements and a nested call, the function cost ~95 µs of PostgreSQL's CPU
-- per read in the statement that reads the records: PL/pgSQL sets up each of its simple expressions
-- again in every transaction, and every read is a transaction of its own (issue 17's bench).
CREATE OR REPLACE FUNCTION ss12000_authorize(p_client uuid, p_consent uuid, p_window timestamptz, p_known_version bigint) RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  answer json;
BEGIN
  SELECT json_build_object(
      'id', cl.id, 'name', cl.name, 'app_id', cl.app_id, 'origin', cl.origin, 'app_name', a.name, 'app_status', a.status, 'partner_id', a.partner_id,
      'consent', CASE WHEN p_consent IS NULL THEN NULL ELSE end_user_consent_state(p_consent, p_client) END,
      'count', coalesce((SELECT (nextval(w.counter) - w.base)::integer FROM ss12000_rate_window_starts w
                          WHERE w.client_id = p_client AND w.window_start = p_window),
                        ss12000_rate_count(p_client, p_window)),
      'lim', (SELECT l.requests_per_minute FROM ss12000_rate_limits l WHERE l.app_id = cl.app_id),
      'scope_version', cl.scope_version,
      'scope', CASE WHEN cl.scope_version = p_known_version THEN NULL ELSE ss12000_client_scope(p_client, cl.app_id) END)
    INTO answer
    FROM clients cl LEFT JOIN apps a ON a.id = cl.app_id WHERE cl.id = p_client;
  RETURN answer;
END
$$;
COMMENT ON FUNCTION ss12000_authorize(uuid, uuid, timestamptz, bigint) IS 'One SS 12000 read: live client state, consent, rate count, and the scope (ss12000_client_scope) when the caller''s copy is not of the live scope version (see src/modules/ss12000/access.ts).';
