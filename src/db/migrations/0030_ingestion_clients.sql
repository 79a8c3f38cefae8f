-- Ingestion clients (issue 3): OAuth clients of the SIS side that may only load SS 12000 data
-- through /api/v1/ingestion. They authenticate like every client (client credentials, hashed
-- secrets) but belong to no app, hold no grants and read no school data.
ALTER TABLE clients DROP CONSTRAINT clients_origin_check;
ALTER TABLE clients ADD CONSTRAINT clients_origin_check CHECK (origin IN ('app', 'legacy', 'ingestion'));
-- An ingestion client is never an app's client: a partner cannot link it, admins cannot grant it.
ALTER TABLE clients ADD CONSTRAINT clients_ingestion_without_app CHECK (origin <> 'ingestion' OR app_id IS NULL);
COMMENT ON COLUMN clients.origin IS
  '''app'': created on approval; ''legacy'': created by the operator or imported before the consent system; '
  '''ingestion'': created by the operator for the SIS side, may only load data (no app, no grants).';

-- Grants give read access to school data, which an ingestion client must never have. A CHECK
-- cannot look at another table, so a trigger refuses such a grant whichever code path tries.
CREATE FUNCTION grants_refuse_ingestion_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM clients WHERE id = NEW.client_id AND origin = 'ingestion') THEN
    RAISE EXCEPTION 'client % is an ingestion client and cannot hold grants', NEW.client_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER grants_refuse_ingestion_client BEFORE INSERT OR UPDATE OF client_id ON grants
  FOR EACH ROW EXECUTE FUNCTION grants_refuse_ingestion_client();
