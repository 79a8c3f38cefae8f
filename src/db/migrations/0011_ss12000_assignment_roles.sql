-- Assignment roles (mentor, …) of duties, one row per (duty, group), derived on ingestion from the
-- duty's body: /groups?expand=assignmentRoles reads them by group through a btree index instead of
-- testing every duty's group array.
CREATE TABLE ss12000_assignment_roles (
  duty_id uuid NOT NULL,
  group_id uuid NOT NULL,
  -- dutyAt of the duty: the staff API's grant on this unit decides visibility.
  organisation_id uuid NOT NULL,
  assignment_role_type text NOT NULL,
  start_date date,
  end_date date,
  -- Position in the duty's assignmentRole list, to keep the source order.
  ordinal integer NOT NULL
);
CREATE INDEX ss12000_assignment_roles_group_idx ON ss12000_assignment_roles (group_id);
CREATE INDEX ss12000_assignment_roles_duty_idx ON ss12000_assignment_roles (duty_id);
COMMENT ON TABLE ss12000_assignment_roles IS 'Duty assignment roles per group, derived from ss12000_duties for the groups expand.';

INSERT INTO ss12000_assignment_roles (duty_id, group_id, organisation_id, assignment_role_type, start_date, end_date, ordinal)
SELECT d.id, (a.role->'group'->>'id')::uuid, d.organisation_id, a.role->>'assignmentRoleType',
       (a.role->>'startDate')::date, (a.role->>'endDate')::date, a.ordinal::integer
FROM ss12000_duties d
CROSS JOIN LATERAL jsonb_array_elements(coalesce(d.body->'assignmentRole', '[]'::jsonb)) WITH ORDINALITY AS a(role, ordinal);
