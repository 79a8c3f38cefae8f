-- A page's cost follows what the client may see, not the size of the world (issue 16). A page of
-- /persons in id order was found by walking every person in id order and testing its relations, so
-- a partner granted 10 of 1,000 schools read about 100 persons per person it returned. The page's ids
-- now come from the scope's side when the scope is small (`visiblePersonIdsSql` in
-- src/modules/ss12000/present.ts): for each granted unit, its persons in id order from the keyset
-- bound on, which this index serves as an index-only scan (kind included to check the relation's
-- role there without visiting the table).
CREATE INDEX ss12000_person_relations_org_person_idx ON ss12000_person_relations (organisation_id, person_id, kind);
-- Superseded by the index above (same leading column): one index fewer to keep up on ingestion.
DROP INDEX ss12000_person_relations_org_idx;
-- The same statement chooses between that way and the walk by the share of the world's school units
-- the scope holds: it counts the school units on every such page, from this index alone.
CREATE INDEX ss12000_organisations_type_idx ON ss12000_organisations (organisation_type);
