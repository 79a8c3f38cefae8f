-- The per-person disclosure report (src/modules/disclosures/queries.ts) finds the invoices naming a
-- person — as the pupil invoiced or as the debtor — by the SS 12000 person ids the invoicing module
-- records in the invoice (student.personId, debtor.personId). Without these indexes each report
-- would read every invoice of the deployment.
CREATE INDEX invoices_student_person_idx ON invoices ((body -> 'student' ->> 'personId'));
CREATE INDEX invoices_debtor_person_idx ON invoices ((body -> 'debtor' ->> 'personId'));
