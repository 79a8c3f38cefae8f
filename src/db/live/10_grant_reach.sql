-- The one definition of what a grant reaches (issue 11): the institution a grant names, or every
-- member of the access group it names, at the moment of reading. Everything that asks "does this
-- client reach that institution under that API" reads this view — the SS 12000 authorization
-- (ss12000_authorize, end_user_consent_state), the scope-version triggers, the sign-in's school
-- picker, My connected apps and the school back-office (through src/modules/access/reach.ts).
--
-- One row per (grant, institution reached); an institution both granted directly and through an
-- access group appears once per grant. A grant of an access group without members reaches nothing
-- and has no row. Grants carry no school year: a grant counts from the moment it exists until it
-- is removed, whatever the year.
--
-- CREATE OR REPLACE VIEW may only add columns at the end; renaming or dropping one needs a
-- DROP VIEW here first (the functions below read it by name at call time, so they survive that).
CREATE OR REPLACE VIEW grant_reach AS
  SELECT g.id AS grant_id, g.client_id, c.app_id, g.api_code, g.institution_number, NULL::uuid AS access_group_id
    FROM grants g
    JOIN clients c ON c.id = g.client_id
   WHERE g.institution_number IS NOT NULL
  UNION ALL
  SELECT g.id, g.client_id, c.app_id, g.api_code, m.institution_number, g.access_group_id
    FROM grants g
    JOIN clients c ON c.id = g.client_id
    JOIN access_group_institutions m ON m.access_group_id = g.access_group_id;
COMMENT ON VIEW grant_reach IS 'What each grant reaches: (grant, client, app, API, institution, access group it was reached through or NULL). The one definition; see src/modules/access/reach.ts.';
