-- What a client's grants reach, per scope version, as rows the data API's statements join (issue 16).
-- Before, every SS 12000 statement carried the client's school units as array parameters: an app
-- granted 500 schools sent (and PostgreSQL parsed and compared against each relation row) three
-- lists of 500 ids per page, a cost that grew with the app's grant count on every request. Now a
-- statement names the client and the scope version it was authorized at, and reaches the units
-- through the primary key below. Rows of one version never change; ss12000_authorize writes them
-- the first time a version is read (src/db/live/40_ss12000_authorize.sql) and drops versions older
-- than the one before. Logged (not UNLOGGED): a streaming replica answers pages with them.
CREATE TABLE ss12000_scope_units (
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  scope_version bigint NOT NULL,
  unit_id uuid NOT NULL,
  students boolean NOT NULL,
  staff boolean NOT NULL,
  PRIMARY KEY (client_id, scope_version, unit_id)
);
COMMENT ON TABLE ss12000_scope_units IS
  'The school units (ss12000_organisations.id) a client''s grants reach at one clients.scope_version: granted under the students API, '
  'the staff API or both. Written once per version by ss12000_authorize, from the same statement that read the version; a row with the '
  'nil uuid and neither API marks a version as written (also when it reaches no unit). Read by the SS 12000 statements of a client '
  'token (src/modules/ss12000/scope.ts, `inUnits`). Never the authority: grant_reach is; this is its copy per version.';
