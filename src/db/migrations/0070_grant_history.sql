-- The grant history (issue 14 point 9): one row per period a grant was in force, so "grants over
-- time" is exact for every past day, also for grants removed or switched off since. `grants` keeps
-- only what is in force now; a removed grant leaves no row there. The rows are written by the
-- triggers of src/db/live/60_grant_history.sql on `grants` and `suspended_grants`, so no code path
-- can forget them; this migration creates the table and fills it from what the database still knows.
CREATE TABLE grant_history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The grant's id (kept across switching off and on). NULL only for periods this migration
  -- rebuilt from the audit log, which names a grant by its target, not by its id.
  grant_id uuid,
  -- No foreign keys: the history outlives the client, API, institution or access group it names.
  client_id uuid NOT NULL,
  api_code text NOT NULL,
  institution_number text,
  access_group_id uuid,
  -- Whether the grant was to the developer sandbox institution, as it was when the period began:
  -- the sandbox institution is deleted when the operator removes it, so this cannot be looked up later.
  sandbox boolean NOT NULL DEFAULT false,
  started_at timestamptz NOT NULL,
  -- granted: a new grant; switched_on: a switched-off grant back in force (same grant id).
  start_kind text NOT NULL CHECK (start_kind IN ('granted', 'switched_on')),
  -- NULL while in force.
  ended_at timestamptz,
  -- removed: the grant is deleted (an editor, the operator, a cascade); switched_off: a school
  -- admin's switch moved it to suspended_grants.
  end_kind text CHECK (end_kind IN ('removed', 'switched_off')),
  -- True for periods this migration rebuilt rather than the triggers wrote as they happened.
  reconstructed boolean NOT NULL DEFAULT false,
  CHECK ((institution_number IS NULL) <> (access_group_id IS NULL)),
  CHECK ((ended_at IS NULL) = (end_kind IS NULL)),
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
-- A grant is in force at most once at a time.
CREATE UNIQUE INDEX grant_history_open_unique ON grant_history (grant_id) WHERE ended_at IS NULL;
CREATE INDEX grant_history_grant_idx ON grant_history (grant_id);
CREATE INDEX grant_history_started_idx ON grant_history (started_at);
CREATE INDEX grant_history_ended_idx ON grant_history (ended_at);
COMMENT ON TABLE grant_history IS 'One row per period a grant (client, API, institution or access group) was in force: when it started (given, switched on) and ended (removed, switched off). Written only by triggers on grants and suspended_grants (src/db/live/60_grant_history.sql).';
COMMENT ON COLUMN grant_history.grant_id IS 'The grant''s id, the same across switching off and on; NULL for a period rebuilt from the audit log by migration 0070.';
COMMENT ON COLUMN grant_history.sandbox IS 'A grant to the developer sandbox institution (as it was when the period began); no school''s grant, left out of the counts.';
COMMENT ON COLUMN grant_history.reconstructed IS 'Rebuilt by migration 0070 from grants, suspended_grants and the audit log, not written as it happened.';

-- Backfill. What it can know:
--  * every grant in force now (`grants`): its period, from its granted_at, or from the time the
--    audit log shows it switched on again (`grants.restored`) when that is later;
--  * every switched-off grant (`suspended_grants`): its period up to its suspended_at;
--  * from the audit log, periods of grants removed since: a grant added (`grants.replaced`,
--    `legacy_client.grants_replaced`: in `after`, not in `before`; `legacy_client.created`;
--    `grants.sandbox_granted`) or switched on (`grants.restored`) up to its removal (in `before`,
--    not in `after`; `grants.sandbox_revoked`) or switch-off (`grants.suspended`), at the audit
--    rows' times, which are the times the change wrote.
-- What it cannot know (those days stay lower bounds):
--  * a removed grant whose start the log does not show (written by a seed or builder without an
--    audit row, before the audit log recorded grants) is left out, unless a grant of the same
--    target is still on record (grants, suspended_grants) with a granted_at before the removal;
--  * a grant the log shows given but that vanished without an audited removal (a cascade from a
--    deleted client, institution or access group) is counted until this migration ran, as the log
--    does not say when it went;
--  * grant ids of removed grants (grant_id NULL), and a change in the same instant as another of
--    the same target is ordered by audit row id.
CREATE TEMP TABLE grant_history_targets ON COMMIT DROP AS
WITH changes AS (
  SELECT a.id, a.at, a.action, a.client_id, s.side, s.doc
    FROM audit_log a
   CROSS JOIN LATERAL (VALUES ('before', a.before), ('after', a.after)) AS s (side, doc)
   WHERE a.client_id IS NOT NULL
     AND a.action IN ('grants.replaced', 'legacy_client.grants_replaced', 'legacy_client.created', 'grants.sandbox_granted',
                      'grants.sandbox_revoked', 'grants.suspended', 'grants.restored')
     AND jsonb_typeof(s.doc) = 'object'
),
arr AS (
  -- One list of the document, or an empty one when the member is missing or not a list.
  SELECT c.*, (CASE WHEN jsonb_typeof(c.doc -> 'grants') = 'array' THEN c.doc -> 'grants' ELSE '[]' END) AS grants,
         (CASE WHEN jsonb_typeof(c.doc -> 'institutionNumbers') = 'array' THEN c.doc -> 'institutionNumbers' ELSE '[]' END) AS institution_ids,
         (CASE WHEN jsonb_typeof(c.doc -> 'accessGroupIds') = 'array' THEN c.doc -> 'accessGroupIds' ELSE '[]' END) AS group_ids,
         (CASE WHEN jsonb_typeof(c.doc -> 'apiCodes') = 'array' THEN c.doc -> 'apiCodes' ELSE '[]' END) AS api_codes
    FROM changes c
),
listed AS (
  -- {grants: [{apiCode, institutionNumber, accessGroupId}]}: a whole client's change, a switch, a legacy client's creation.
  SELECT a.id, a.at, a.action, a.client_id, a.side, g ->> 'apiCode' AS api_code, g ->> 'institutionNumber' AS institution_number,
         g ->> 'accessGroupId' AS access_group_id
    FROM arr a CROSS JOIN LATERAL jsonb_array_elements(a.grants) AS g
   WHERE jsonb_typeof(g) = 'object'
  UNION ALL
  -- {apiCode, institutionNumbers | accessGroupIds}: one API's change.
  SELECT a.id, a.at, a.action, a.client_id, a.side, a.doc ->> 'apiCode', i, NULL
    FROM arr a CROSS JOIN LATERAL jsonb_array_elements_text(a.institution_ids) AS i
  UNION ALL
  SELECT a.id, a.at, a.action, a.client_id, a.side, a.doc ->> 'apiCode', NULL, ag
    FROM arr a CROSS JOIN LATERAL jsonb_array_elements_text(a.group_ids) AS ag
  UNION ALL
  -- {institutionNumber, apiCodes}: the developer sandbox.
  SELECT a.id, a.at, a.action, a.client_id, a.side, code, a.doc ->> 'institutionNumber', NULL
    FROM arr a CROSS JOIN LATERAL jsonb_array_elements_text(a.api_codes) AS code
)
SELECT id, at, action, client_id, side, api_code, institution_number, access_group_id::uuid AS access_group_id
  FROM listed
 WHERE api_code IS NOT NULL
   AND (institution_number IS NULL) <> (access_group_id IS NULL)
   AND (access_group_id IS NULL OR access_group_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$');

-- A target on one side of a change and not on the other is a start (after) or an end (before).
CREATE TEMP TABLE grant_history_events ON COMMIT DROP AS
SELECT DISTINCT t.id, t.at, t.client_id, t.api_code, t.institution_number, t.access_group_id,
       CASE
         WHEN t.side = 'after' AND t.action = 'grants.restored' THEN 'switched_on'
         WHEN t.side = 'after' THEN 'granted'
         WHEN t.action = 'grants.suspended' THEN 'switched_off'
         ELSE 'removed'
       END AS kind,
       t.action LIKE 'grants.sandbox_%' AS sandbox
  FROM grant_history_targets t
 WHERE NOT (t.side = 'after' AND t.action IN ('grants.sandbox_revoked', 'grants.suspended'))
   AND NOT (t.side = 'before' AND t.action IN ('legacy_client.created', 'grants.sandbox_granted', 'grants.restored'))
   AND NOT EXISTS (
     SELECT 1 FROM grant_history_targets o
      WHERE o.id = t.id AND o.side <> t.side AND o.api_code = t.api_code
        AND o.institution_number IS NOT DISTINCT FROM t.institution_number AND o.access_group_id IS NOT DISTINCT FROM t.access_group_id);

-- Periods still open at the end of the log, per target.
CREATE TEMP TABLE grant_history_open ON COMMIT DROP AS
SELECT client_id, api_code, institution_number, access_group_id, at AS started_at, kind AS start_kind, sandbox
  FROM grant_history_events WITH NO DATA;

-- Replays each target's starts and ends in order: a start opens a period (a second start while one
-- is open changes nothing), an end closes the open one.
DO $$
DECLARE
  e record;
  opened record;
  is_open boolean := false;
  prev text := NULL;
  known timestamptz;
BEGIN
  FOR e IN
    SELECT ev.*, concat_ws('|', ev.client_id, ev.api_code, ev.institution_number, ev.access_group_id) AS k
      FROM grant_history_events ev
     ORDER BY k, ev.at, ev.id
  LOOP
    IF prev IS DISTINCT FROM e.k THEN
      IF is_open THEN
        INSERT INTO grant_history_open VALUES (opened.client_id, opened.api_code, opened.institution_number, opened.access_group_id, opened.at, opened.kind, opened.sandbox);
      END IF;
      is_open := false;
      prev := e.k;
    END IF;
    IF e.kind IN ('granted', 'switched_on') THEN
      IF NOT is_open THEN
        opened := e;
        is_open := true;
      END IF;
    ELSIF is_open THEN
      INSERT INTO grant_history (client_id, api_code, institution_number, access_group_id, sandbox, started_at, start_kind, ended_at, end_kind, reconstructed)
      VALUES (e.client_id, e.api_code, e.institution_number, e.access_group_id, opened.sandbox OR e.sandbox, opened.at, opened.kind, e.at, e.kind, true);
      is_open := false;
    ELSE
      -- An end whose start the log does not show: the target's grant still on record says when it
      -- was given (only for the target's first period: a later one's start would be in the log).
      SELECT min(g.granted_at) INTO known
        FROM (SELECT client_id, api_code, institution_number, access_group_id, granted_at FROM grants
              UNION ALL
              SELECT client_id, api_code, institution_number, access_group_id, granted_at FROM suspended_grants) g
       WHERE g.client_id = e.client_id AND g.api_code = e.api_code
         AND g.institution_number IS NOT DISTINCT FROM e.institution_number AND g.access_group_id IS NOT DISTINCT FROM e.access_group_id
         AND g.granted_at <= e.at;
      IF known IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM grant_history h
         WHERE h.client_id = e.client_id AND h.api_code = e.api_code
           AND h.institution_number IS NOT DISTINCT FROM e.institution_number AND h.access_group_id IS NOT DISTINCT FROM e.access_group_id)
      THEN
        INSERT INTO grant_history (client_id, api_code, institution_number, access_group_id, sandbox, started_at, start_kind, ended_at, end_kind, reconstructed)
        VALUES (e.client_id, e.api_code, e.institution_number, e.access_group_id, e.sandbox, known, 'granted', e.at, e.kind, true);
      END IF;
    END IF;
  END LOOP;
  IF is_open THEN
    INSERT INTO grant_history_open VALUES (opened.client_id, opened.api_code, opened.institution_number, opened.access_group_id, opened.at, opened.kind, opened.sandbox);
  END IF;
END
$$;

-- A switched-off grant: its last period is the one the log ended at its suspended_at; it takes the
-- grant's id, so switching it on continues its history. Without such a row (a switch the log does
-- not show), the period from its granted_at.
UPDATE grant_history h
   SET grant_id = s.id
  FROM suspended_grants s
 WHERE h.grant_id IS NULL AND h.client_id = s.client_id AND h.api_code = s.api_code
   AND h.institution_number IS NOT DISTINCT FROM s.institution_number AND h.access_group_id IS NOT DISTINCT FROM s.access_group_id
   AND h.ended_at = s.suspended_at AND h.end_kind = 'switched_off';
INSERT INTO grant_history (grant_id, client_id, api_code, institution_number, access_group_id, sandbox, started_at, start_kind, ended_at, end_kind, reconstructed)
SELECT s.id, s.client_id, s.api_code, s.institution_number, s.access_group_id, coalesce(i.sandbox, false),
       least(s.granted_at, s.suspended_at), 'granted', s.suspended_at, 'switched_off', true
  FROM suspended_grants s
  LEFT JOIN institutions i ON i.number = s.institution_number
 WHERE NOT EXISTS (SELECT 1 FROM grant_history h WHERE h.grant_id = s.id);

-- A grant in force now: open since its granted_at, or since the log's switch-on when that is later.
INSERT INTO grant_history (grant_id, client_id, api_code, institution_number, access_group_id, sandbox, started_at, start_kind, reconstructed)
SELECT g.id, g.client_id, g.api_code, g.institution_number, g.access_group_id, coalesce(i.sandbox, false) OR coalesce(o.sandbox, false),
       CASE WHEN o.start_kind = 'switched_on' AND o.started_at > g.granted_at THEN o.started_at ELSE g.granted_at END,
       CASE WHEN o.start_kind = 'switched_on' AND o.started_at > g.granted_at THEN 'switched_on' ELSE 'granted' END,
       true
  FROM grants g
  LEFT JOIN institutions i ON i.number = g.institution_number
  LEFT JOIN grant_history_open o
    ON o.client_id = g.client_id AND o.api_code = g.api_code
   AND o.institution_number IS NOT DISTINCT FROM g.institution_number AND o.access_group_id IS NOT DISTINCT FROM g.access_group_id;

-- A period the log left open whose grant is gone without an audited end (see above): counted until now.
INSERT INTO grant_history (client_id, api_code, institution_number, access_group_id, sandbox, started_at, start_kind, ended_at, end_kind, reconstructed)
SELECT o.client_id, o.api_code, o.institution_number, o.access_group_id, o.sandbox OR coalesce(i.sandbox, false), o.started_at, o.start_kind,
       greatest(o.started_at, now()), 'removed', true
  FROM grant_history_open o
  LEFT JOIN institutions i ON i.number = o.institution_number
 WHERE NOT EXISTS (
   SELECT 1 FROM grants g
    WHERE g.client_id = o.client_id AND g.api_code = o.api_code
      AND g.institution_number IS NOT DISTINCT FROM o.institution_number AND g.access_group_id IS NOT DISTINCT FROM o.access_group_id);

-- Rebuilt periods of the sandbox institution while it still exists.
UPDATE grant_history h SET sandbox = true FROM institutions i WHERE i.number = h.institution_number AND i.sandbox AND NOT h.sandbox;
