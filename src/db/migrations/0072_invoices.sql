-- Invoices (Informat: Rekeningen): school invoices of the invoicing module, each issued within one
-- access group (toegangsgroep) for a pupil at one of its member institutions, to a debtor (a
-- guardian, or the pupil when adult). Served by the invoices data API (src/modules/invoices/) under
-- the same consent as SS 12000: a client reads an invoice while it holds a live grant of the
-- catalog's API served by `invoices` on the invoice's access group and the invoice's institution is
-- a member of that group (the view grant_reach). An institution in several access groups shows each
-- group's invoices only under that group's grant. What each field releases is that module's release
-- declaration (release.ts); the stored body is the record as ingested, with unknown members dropped.
CREATE TABLE invoices (
  id uuid PRIMARY KEY,
  -- The access group the invoice was issued in: the grant target that decides who may read it.
  access_group_id uuid NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
  -- The institution of the pupil invoiced; read only while it is a member of the access group.
  institution_number text NOT NULL REFERENCES institutions (number) ON DELETE CASCADE,
  -- The debtor's stable id (the same across their invoices), for the debtor filter.
  debtor_id uuid NOT NULL,
  -- The school year invoiced, by the calendar year it starts in (2026: 2026–2027).
  school_year integer NOT NULL,
  -- The record as ingested (canonical JSON, unknown members dropped), presented through release.ts.
  body jsonb NOT NULL,
  -- sha256 of the canonical body: a batch that loads the same record again changes nothing.
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL
);
-- A page is read per (access group, institution) pairs the grants reach, in id order.
CREATE INDEX invoices_reach_idx ON invoices (access_group_id, institution_number, id);
CREATE INDEX invoices_modified_idx ON invoices (modified_at);
CREATE INDEX invoices_debtor_idx ON invoices (debtor_id);
COMMENT ON TABLE invoices IS
  'School invoices (Rekeningen) per access group, with debtor, lines, amounts, VAT, dates, payment status and reminders; read through the invoices data API.';

-- Deleted invoices, for the data API's deletions feed: a client sees the ids deleted in the access
-- groups and institutions it reaches when it asks.
CREATE TABLE invoice_deletions (
  id uuid NOT NULL,
  access_group_id uuid NOT NULL,
  institution_number text NOT NULL,
  deleted_at timestamptz NOT NULL,
  PRIMARY KEY (id, deleted_at)
);
CREATE INDEX invoice_deletions_at_idx ON invoice_deletions (deleted_at, id);
COMMENT ON TABLE invoice_deletions IS 'Invoices deleted by ingestion, with the access group and institution they were in (the deletions feed of the invoices API).';

-- Informat's default catalog (catalog/informat.yaml) now serves its invoices API: a freshly migrated
-- database matches the default file, as migrations 0060 and 0067 made it for the rest.
UPDATE apis SET served_by = 'invoices' WHERE code = 'invoices' AND served_by IS NULL;
