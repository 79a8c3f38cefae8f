-- What one access-log row released, one part per institution × API × entity type: the one reading
-- of `ss12000_access_log.released`, used by the daily aggregate, the access-log views and the
-- disclosure report (src/modules/ss12000/access-routes.ts, src/modules/disclosures/queries.ts).
--
-- Since migration 0052 a row stores one element per API × entity type with its records per
-- institution ({"api", "entity", "categories", "institutions": {"<number>": n}}), or, for records
-- bound to no institution, {"api": null, "entity", "categories", "records": n}: a page of persons
-- spread over seventy schools is then about 1 KB instead of 13 KB, which PostgreSQL no longer
-- compresses on every write (the write is on the hot path of every read, before the answer leaves).
-- Rows of migration 0047's shape (one element per institution, with "institution" and "records")
-- are read as they are. Both come out in that shape:
-- {"institution": "<number>" | null, "api", "entity", "records", "categories"}, plus
-- "accessGroup" when the element names the access group it was released through (an API granted
-- per access group, src/modules/invoices/); parts of other elements do not carry the key at all.
CREATE OR REPLACE FUNCTION ss12000_access_log_parts(p_released jsonb) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p.part
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_released) = 'array' THEN p_released ELSE '[]'::jsonb END) AS e(el)
   CROSS JOIN LATERAL (
     SELECT jsonb_build_object('institution', i.key, 'api', e.el->'api', 'entity', e.el->'entity', 'records', i.value, 'categories', e.el->'categories')
            || CASE WHEN e.el ? 'accessGroup' THEN jsonb_build_object('accessGroup', e.el->'accessGroup') ELSE '{}'::jsonb END
       FROM jsonb_each(CASE WHEN jsonb_typeof(e.el->'institutions') = 'object' THEN e.el->'institutions' ELSE '{}'::jsonb END) AS i
     UNION ALL
     SELECT jsonb_build_object('institution', e.el->'institution', 'api', e.el->'api', 'entity', e.el->'entity', 'records', e.el->'records', 'categories', e.el->'categories')
      WHERE NOT e.el ? 'institutions') AS p(part)
$$;
COMMENT ON FUNCTION ss12000_access_log_parts(jsonb) IS
  'The parts of ss12000_access_log.released, one per institution × API × entity type ({institution, api, entity, records, categories}, and accessGroup where released through one), from either stored shape (migrations 0047 and 0052).';
