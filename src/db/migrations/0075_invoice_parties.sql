-- Two read paths of invoices. The per-person disclosure report (src/modules/disclosures/queries.ts) finds the invoices naming a
-- person — as the pupil invoiced or as the debtor — by the SS 12000 person ids the invoicing module
-- records in the invoice (student.personId, debtor.personId). Without these indexes each report
-- would read every invoice of the deployment.
CREATE INDEX invoices_student_person_idx ON invoices ((body -> 'student' ->> 'personId'));
CREATE INDEX invoices_debtor_person_idx ON invoices ((body -> 'debtor' ->> 'personId'));

-- A page of invoices starts from the access groups a reader's grants reach and reads each group's
-- invoices in id order from the page cursor (src/modules/invoices/queries.ts): about a page per group,
-- instead of every invoice of the group sorted.
CREATE INDEX invoices_group_idx ON invoices (access_group_id, id);
