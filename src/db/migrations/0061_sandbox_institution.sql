-- The developer sandbox (issue 14, point 7): an institution with generated SS 12000 data that every
-- approved app may read at once, so a partner builds before any school grants. It is a real row of
-- `institutions` (grants, grant_reach, the access log and ss12000_authorize work on it unchanged),
-- told apart by this flag, which every list and count of real schools excludes.
ALTER TABLE institutions ADD COLUMN sandbox boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN institutions.sandbox IS
  'The developer sandbox: generated data, granted automatically to every approved app; never listed or counted with real schools. Created by the server (src/modules/sandbox/), removable by the operator.';

-- At most one sandbox: the server finds it by this flag.
CREATE UNIQUE INDEX institutions_one_sandbox_idx ON institutions (sandbox) WHERE sandbox;
COMMENT ON INDEX institutions_one_sandbox_idx IS 'At most one sandbox institution.';

-- Whether the sandbox is wanted: the operator's removal must outlast a restart (the server creates
-- the sandbox at start unless the operator removed it), and creating it again is the operator's call.
CREATE TABLE developer_sandbox (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- NULL: the sandbox is wanted (created at start, granted on approval); set: removed by the operator.
  removed_at timestamptz,
  removed_by uuid REFERENCES users (id) ON DELETE SET NULL,
  changed_at timestamptz NOT NULL
);
COMMENT ON TABLE developer_sandbox IS 'One row: whether the operator removed the developer sandbox (then the server does not create it again at start).';
