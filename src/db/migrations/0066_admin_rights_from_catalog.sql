-- Admin rights come from the deployment's API catalog (CATALOG_FILE), not from Informat's five: a
-- Magister- or IST-like catalog names other rights (LeerlingAdministratie, Elevadministration, …),
-- and an admin must be able to hold them to grant its APIs. The CHECKs of migration 0001 that fixed
-- the five rights, and tied invoicing_admin to access groups, go. Which rights are valid — the
-- union of the rights the catalog's APIs name — and whether a right is held on an institution or on
-- an access group (the grant target of the APIs naming it) is checked where rights are written, the
-- SIS rights import (src/modules/sis/import.ts), against the catalog tables.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN
    SELECT conname FROM pg_constraint
     WHERE conrelid = 'admin_rights'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%module_right%'
  LOOP
    EXECUTE format('ALTER TABLE admin_rights DROP CONSTRAINT %I', c.conname);
  END LOOP;
END
$$;
COMMENT ON COLUMN admin_rights.module_right IS
  'A right one of the catalog''s APIs names (apis.required_rights), checked by the SIS rights import; held on an institution or an access group as the grant target of the APIs naming it says.';
