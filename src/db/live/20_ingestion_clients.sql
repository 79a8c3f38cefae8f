-- Grants give read access to school data, which an ingestion client must never have. A CHECK
-- cannot look at another table, so a trigger refuses such a grant whichever code path tries
-- (first created by migration 0030).
CREATE OR REPLACE FUNCTION grants_refuse_ingestion_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM clients WHERE id = NEW.client_id AND origin = 'ingestion') THEN
    RAISE EXCEPTION 'client % is an ingestion client and cannot hold grants', NEW.client_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

-- Re-created so that this file alone says when the check runs.
DROP TRIGGER IF EXISTS grants_refuse_ingestion_client ON grants;
CREATE TRIGGER grants_refuse_ingestion_client BEFORE INSERT OR UPDATE OF client_id ON grants
  FOR EACH ROW EXECUTE FUNCTION grants_refuse_ingestion_client();
