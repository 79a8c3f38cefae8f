-- The default API catalog (Informat's). Data categories beyond "identity" are withheld unless approved.
INSERT INTO apis (code, name, grant_target, required_rights, data_categories, sort_order) VALUES
  ('students', 'Students', 'institution', '{iBasis,iLeerlingen}',
   '{identity,civic_number,birth_date,sex,addresses,phone_numbers,private_email,photo,guardians}', 1),
  ('staff', 'Staff', 'institution', '{iPersoneel}',
   '{identity,civic_number,birth_date,sex,addresses,phone_numbers,private_email,photo}', 2),
  ('boarders', 'Boarders', 'institution', '{iInternen}',
   '{identity,civic_number,birth_date,sex,addresses,phone_numbers,private_email,photo,guardians}', 3),
  ('invoices', 'Invoices', 'access_group', '{invoicing_admin}',
   '{identity,addresses,invoices}', 4),
  ('pre_enrolments', 'Pre-enrolments', 'institution', '{iBasis,iLeerlingen}',
   '{identity,birth_date,addresses,guardians}', 5);
