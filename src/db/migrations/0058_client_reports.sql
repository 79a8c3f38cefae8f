-- Client reports (issue 17, point 6): what SS 12000 clients send to POST /log and POST /statistics.
-- A client reports what went wrong on its side (a value it could not map, a record it refused) and
-- how many records a synchronisation created, changed and deleted; the operator and the school
-- admins of the institutions a report concerns read them (src/modules/client-reports/).

CREATE TABLE client_reports (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The client that sent it: its reports go with it.
  client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  -- 'log': POST /log (a LogEntry); 'statistics': POST /statistics (a StatisticsEntry).
  kind text NOT NULL CHECK (kind IN ('log', 'statistics')),
  -- When the server received it (the server's clock), as opposed to occurred_at, the client's word.
  received_at timestamptz NOT NULL,
  -- The X-Request-Id of the request that carried it: the same as its row in ss12000_access_log.
  request_id text NOT NULL,
  -- The entity type the report is about (the spec's EndPointsEnum: Person, Activity, ...).
  resource_type text,
  -- The id of the entity the report is about, as the client names it (not checked against the store).
  resource_id uuid,
  -- The request of ours the report is about, as the client wrote it.
  resource_url text,
  -- The spec's timeOfOccurance: when it happened at the client, as the client says.
  occurred_at timestamptz,
  -- log: Info, Warning or Error.
  severity_level text CHECK (severity_level IN ('Info', 'Warning', 'Error')),
  -- log: the client's own id of the kind of message.
  message_type text,
  -- log: the message itself.
  message text,
  -- statistics: the records the synchronisation created, changed and deleted at the client.
  new_count bigint CHECK (new_count >= 0),
  updated_count bigint CHECK (updated_count >= 0),
  deleted_count bigint CHECK (deleted_count >= 0),
  CHECK (kind <> 'log' OR (message IS NOT NULL AND severity_level IS NOT NULL)),
  CHECK (kind <> 'statistics' OR (resource_type IS NOT NULL AND new_count IS NOT NULL AND updated_count IS NOT NULL AND deleted_count IS NOT NULL))
);
CREATE INDEX client_reports_client_idx ON client_reports (client_id, received_at DESC);
CREATE INDEX client_reports_received_idx ON client_reports (received_at DESC);
COMMENT ON TABLE client_reports IS
  'What SS 12000 clients reported through POST /log (kind log: severity, message) and POST /statistics (kind statistics: counts of a '
  'synchronisation), one row per accepted report, with the client that sent it. Read by the operator and by the school admins of the '
  'institutions in client_report_institutions.';

CREATE TABLE client_report_institutions (
  report_id bigint NOT NULL REFERENCES client_reports (id) ON DELETE CASCADE,
  institution_number text NOT NULL REFERENCES institutions (number) ON DELETE CASCADE,
  PRIMARY KEY (report_id, institution_number)
);
CREATE INDEX client_report_institutions_institution_idx ON client_report_institutions (institution_number, report_id);
COMMENT ON TABLE client_report_institutions IS
  'The institutions a client report concerns, decided when it was received from the client''s scope at that moment: the institution '
  'of each school unit the report names (resourceId of an Organisation, organisation= in resourceUrl), each within the scope; a report '
  'naming no school unit concerns every institution the scope covered. Their school admins may read the report.';
