-- The integrator's readout (issue 6): run records and per-customer state for deltas.
-- The readout is a partner-side tool; these tables hold no grants and are not read by the API.

CREATE TABLE readout_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The customer's key in the readout configuration file.
  customer_key text NOT NULL,
  -- Who started it: the CLI (`readout run`) or the scheduler (`readout serve`).
  trigger text NOT NULL CHECK (trigger IN ('cli', 'schedule')),
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  -- full: everything read; incremental: meta.modified.after + /deletedEntities applied to the stored source state.
  mode text CHECK (mode IN ('full', 'incremental')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  -- Kept/excluded per category and rule, and the delta counts (the report's numbers).
  counts jsonb,
  -- The whole JSON report as written next to the files.
  report jsonb,
  -- Why a failed run failed, in words an operator can act on.
  error text,
  -- The directory the run's files were published to (succeeded runs only).
  output_path text,
  CHECK ((status = 'running') = (finished_at IS NULL))
);
COMMENT ON TABLE readout_runs IS 'One row per readout run of one customer: start, end, status, counts, error.';
-- At most one run per customer at a time.
CREATE UNIQUE INDEX readout_runs_one_running ON readout_runs (customer_key) WHERE status = 'running';
CREATE INDEX readout_runs_customer ON readout_runs (customer_key, started_at DESC);

CREATE TABLE readout_state (
  customer_key text PRIMARY KEY,
  -- The last succeeded run; the state below is what that run published.
  last_run_id bigint NOT NULL REFERENCES readout_runs (id),
  -- When that run began reading the source: the next run asks for meta.modified.after this instant.
  source_watermark timestamptz NOT NULL,
  -- gzip'd JSON of the source records as last read (the base incremental reads are applied to).
  source_snapshot bytea NOT NULL,
  -- gzip'd JSON of the OneRoster rows last published (the base the next delta is computed against).
  published_rows bytea NOT NULL,
  updated_at timestamptz NOT NULL
);
COMMENT ON TABLE readout_state IS 'Per readout customer: what the last succeeded run read and published, for the next run''s delta. Written only when a run succeeds.';
