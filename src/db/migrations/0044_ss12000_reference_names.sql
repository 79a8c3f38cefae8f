-- References in stored SS 12000 bodies keep only their ids (and a person reference's security
-- marking): the store is the authority for names, filled in from the named entity on
-- `expandReferenceNames`, so a name the SIS copied into a reference was never shown and is now not
-- kept either (ingestion strips it, see stripReferenceNames in src/modules/ss12000/model.ts). This
-- lets the API pass the stored JSON through without walking every reference on every read.
--
-- The paths below are those of referencesOf() in model.ts; '*' stands for every element of an array.
CREATE FUNCTION ss12000_strip_reference_name(doc jsonb, path text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF doc IS NULL THEN
    RETURN NULL;
  END IF;
  IF cardinality(path) = 0 THEN
    RETURN CASE WHEN jsonb_typeof(doc) = 'object' THEN doc - 'displayName' ELSE doc END;
  END IF;
  IF path[1] = '*' THEN
    IF jsonb_typeof(doc) <> 'array' THEN
      RETURN doc;
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(ss12000_strip_reference_name(e, path[2:]) ORDER BY i), '[]'::jsonb)
              FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(e, i));
  END IF;
  IF jsonb_typeof(doc) <> 'object' OR NOT doc ? path[1] THEN
    RETURN doc;
  END IF;
  RETURN jsonb_set(doc, ARRAY[path[1]], ss12000_strip_reference_name(doc -> path[1], path[2:]));
END
$$;

CREATE FUNCTION ss12000_strip_reference_names(doc jsonb, paths text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  p text;
BEGIN
  FOREACH p IN ARRAY paths LOOP
    doc := ss12000_strip_reference_name(doc, string_to_array(p, '.'));
  END LOOP;
  RETURN doc;
END
$$;

UPDATE ss12000_organisations SET body = ss12000_strip_reference_names(body, ARRAY['parentOrganisation'])
 WHERE body::text LIKE '%displayName%' AND body <> ss12000_strip_reference_names(body, ARRAY['parentOrganisation']);
UPDATE ss12000_persons SET body = ss12000_strip_reference_names(body, ARRAY['enrolments.*.enroledAt', 'enrolments.*.programme', 'responsibles.*.person'])
 WHERE body::text LIKE '%displayName%' AND body <> ss12000_strip_reference_names(body, ARRAY['enrolments.*.enroledAt', 'enrolments.*.programme', 'responsibles.*.person']);
UPDATE ss12000_placements SET body = ss12000_strip_reference_names(body, ARRAY['placedAt', 'group', 'child', 'owners.*'])
 WHERE body::text LIKE '%displayName%' AND body <> ss12000_strip_reference_names(body, ARRAY['placedAt', 'group', 'child', 'owners.*']);
UPDATE ss12000_duties SET body = ss12000_strip_reference_names(body, ARRAY['person', 'dutyAt', 'assignmentRole.*.group'])
 WHERE body::text LIKE '%displayName%' AND body <> ss12000_strip_reference_names(body, ARRAY['person', 'dutyAt', 'assignmentRole.*.group']);
UPDATE ss12000_groups SET body = ss12000_strip_reference_names(body, ARRAY['organisation', 'groupMemberships.*.person'])
 WHERE body::text LIKE '%displayName%' AND body <> ss12000_strip_reference_names(body, ARRAY['organisation', 'groupMemberships.*.person']);
UPDATE ss12000_activities SET body = ss12000_strip_reference_names(body, ARRAY['groups.*', 'teachers.*.duty', 'syllabus', 'organisation', 'parentActivity'])
 WHERE body::text LIKE '%displayName%' AND body <> ss12000_strip_reference_names(body, ARRAY['groups.*', 'teachers.*.duty', 'syllabus', 'organisation', 'parentActivity']);
UPDATE ss12000_programmes SET body = ss12000_strip_reference_names(body, ARRAY['parentProgramme', 'content.*.content.*'])
 WHERE body::text LIKE '%displayName%' AND body <> ss12000_strip_reference_names(body, ARRAY['parentProgramme', 'content.*.content.*']);
UPDATE ss12000_studyplans SET body = ss12000_strip_reference_names(body, ARRAY['student', 'content.*.syllabuses.*.syllabus'])
 WHERE body::text LIKE '%displayName%' AND body <> ss12000_strip_reference_names(body, ARRAY['student', 'content.*.syllabuses.*.syllabus']);

DROP FUNCTION ss12000_strip_reference_names(jsonb, text[]);
DROP FUNCTION ss12000_strip_reference_name(jsonb, text[]);
