-- The grant history (table grant_history, migration 0070): one row per period a grant was in force.
-- Written here, by triggers on the two tables a grant lives in, so that no code path — an editor,
-- the operator, a switch, a cascade from a deleted client or institution — can change grants
-- without its history. Read by the operator dashboard's "grants over time" (grantsByDay,
-- src/modules/access/queries.ts).
--
-- A period starts when a row enters `grants`: at its granted_at for a new grant, at the time of
-- the change for a grant switched on again (it returns with its own id and its first granted_at).
-- It ends when the row leaves `grants`: at its suspended_at when switched off (the row enters
-- `suspended_grants` first, grants.ts), else at the time of the change (removed).

-- The time of the grant change under way. The application's clock (`ctx.clock`) when the writer
-- told it (`stampGrantChange`, src/modules/access/grants.ts: a setting local to the transaction),
-- else the transaction's start: a row does not say when it was deleted, and the tests' clock is not
-- the database's.
CREATE OR REPLACE FUNCTION grant_change_time() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('schoolgate.grant_change_at', true), '')::timestamptz, now())
$$;

-- Whether an institution is the developer sandbox (no school's: not counted), as it is now.
CREATE OR REPLACE FUNCTION grant_history_sandbox(institution text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT i.sandbox FROM institutions i WHERE i.number = institution), false)
$$;

-- A grant given, removed or changed.
CREATE OR REPLACE FUNCTION grant_history_on_grants() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  change_at timestamptz := grant_change_time();
BEGIN
  IF TG_OP = 'UPDATE' THEN
    -- Nothing updates a grant today; should something move one, its open period follows it.
    UPDATE grant_history
       SET grant_id = NEW.id, client_id = NEW.client_id, api_code = NEW.api_code, institution_number = NEW.institution_number,
           access_group_id = NEW.access_group_id, sandbox = grant_history_sandbox(NEW.institution_number)
     WHERE grant_id = OLD.id AND ended_at IS NULL;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    -- Already ended when switched off (the row entered suspended_grants first): nothing is open then.
    UPDATE grant_history SET ended_at = greatest(started_at, change_at), end_kind = 'removed'
     WHERE grant_id = OLD.id AND ended_at IS NULL;
    RETURN NULL;
  END IF;
  -- A grant id with a history is a switched-off grant switched on again: in force from now, not
  -- from when it was first given.
  IF EXISTS (SELECT 1 FROM grant_history h WHERE h.grant_id = NEW.id) THEN
    INSERT INTO grant_history (grant_id, client_id, api_code, institution_number, access_group_id, sandbox, started_at, start_kind)
    VALUES (NEW.id, NEW.client_id, NEW.api_code, NEW.institution_number, NEW.access_group_id, grant_history_sandbox(NEW.institution_number),
            greatest(change_at, (SELECT max(h.ended_at) FROM grant_history h WHERE h.grant_id = NEW.id)), 'switched_on');
  ELSE
    INSERT INTO grant_history (grant_id, client_id, api_code, institution_number, access_group_id, sandbox, started_at, start_kind)
    VALUES (NEW.id, NEW.client_id, NEW.api_code, NEW.institution_number, NEW.access_group_id, grant_history_sandbox(NEW.institution_number),
            NEW.granted_at, 'granted');
  END IF;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS grants_history ON grants;
CREATE TRIGGER grants_history AFTER INSERT OR UPDATE OR DELETE ON grants
  FOR EACH ROW EXECUTE FUNCTION grant_history_on_grants();

-- A grant switched off: its period ends at the switch's time. (Leaving suspended_grants changes
-- nothing here: switched on, the row's return to grants starts a period; superseded by a new grant
-- of the same target, it stays ended.)
CREATE OR REPLACE FUNCTION grant_history_on_suspended_grants() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE grant_history SET ended_at = greatest(started_at, NEW.suspended_at), end_kind = 'switched_off'
   WHERE grant_id = NEW.id AND ended_at IS NULL;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS suspended_grants_history ON suspended_grants;
CREATE TRIGGER suspended_grants_history AFTER INSERT ON suspended_grants
  FOR EACH ROW EXECUTE FUNCTION grant_history_on_suspended_grants();
