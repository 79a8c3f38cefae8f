-- The API catalog becomes the deployment's configuration (a file, CATALOG_FILE, synchronised into these
-- tables at start by src/modules/catalog/sync.ts): names and descriptions in the four languages of the
-- web app, where each API's data is served, and the data categories as rows of their own.
ALTER TABLE apis
  ADD COLUMN names jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN descriptions jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN served_by text;
COMMENT ON COLUMN apis.names IS 'The API''s name per language ({"en","nl","fr","sv"}); apis.name is the English one.';
COMMENT ON COLUMN apis.descriptions IS 'What the API holds, per language ({"en","nl","fr","sv"}).';
COMMENT ON COLUMN apis.served_by IS 'The data API of this server that serves its records (ss12000), or NULL when no data is served yet; the values are DATA_APIS in src/modules/catalog/file.ts.';

CREATE TABLE data_categories (
  code text PRIMARY KEY,
  names jsonb NOT NULL,
  descriptions jsonb NOT NULL,
  sort_order integer NOT NULL
);
COMMENT ON TABLE data_categories IS 'The catalog''s data categories with their names and descriptions per language; apis.data_categories names them.';

-- Informat's catalog as catalog/informat.yaml declares it, so that a database migrated from before the
-- catalog file finds nothing to change at its first start with the default file.
INSERT INTO data_categories (code, names, descriptions, sort_order) VALUES
  ('identity',
   '{"en":"Identity (name, class, school)","nl":"Identiteit (naam, klas, school)","fr":"Identité (nom, classe, école)","sv":"Identitet (namn, klass, skola)"}'::jsonb,
   '{"en":"Name, school e-mail and identifiers the school issued, class and school. Every app that is granted an API receives it.","nl":"Naam, school-e-mail en identificatoren die de school uitgaf, klas en school. Elke app die een API toegekend krijgt, ontvangt dit.","fr":"Nom, e-mail scolaire et identifiants attribués par l''école, classe et école. Toute app à qui une API est accordée le reçoit.","sv":"Namn, skolans e-postadress och identifierare som skolan utfärdat, klass och skola. Varje app som får tillgång till ett API får detta."}'::jsonb, 1),
  ('civic_number',
   '{"en":"Civic number","nl":"Rijksregisternummer","fr":"Numéro national","sv":"Personnummer"}'::jsonb,
   '{"en":"The national identification number of the population register.","nl":"Het nationaal identificatienummer uit het rijksregister.","fr":"Le numéro d''identification du registre national.","sv":"Det nationella identitetsnumret i folkbokföringen."}'::jsonb, 2),
  ('birth_date',
   '{"en":"Date of birth","nl":"Geboortedatum","fr":"Date de naissance","sv":"Födelsedatum"}'::jsonb,
   '{"en":"The person''s date of birth.","nl":"De geboortedatum van de persoon.","fr":"La date de naissance de la personne.","sv":"Personens födelsedatum."}'::jsonb, 3),
  ('sex',
   '{"en":"Sex","nl":"Geslacht","fr":"Sexe","sv":"Kön"}'::jsonb,
   '{"en":"The sex recorded by the school.","nl":"Het geslacht zoals de school het registreerde.","fr":"Le sexe enregistré par l''école.","sv":"Könet som skolan har registrerat."}'::jsonb, 4),
  ('addresses',
   '{"en":"Addresses","nl":"Adressen","fr":"Adresses","sv":"Adresser"}'::jsonb,
   '{"en":"Home and postal addresses.","nl":"Woon- en postadressen.","fr":"Adresses de domicile et postales.","sv":"Folkbokförings- och postadresser."}'::jsonb, 5),
  ('phone_numbers',
   '{"en":"Phone numbers","nl":"Telefoonnummers","fr":"Numéros de téléphone","sv":"Telefonnummer"}'::jsonb,
   '{"en":"Private and mobile phone numbers.","nl":"Privé- en gsm-nummers.","fr":"Numéros de téléphone privés et mobiles.","sv":"Privata telefon- och mobilnummer."}'::jsonb, 6),
  ('private_email',
   '{"en":"Private e-mail","nl":"Privé-e-mail","fr":"E-mail privé","sv":"Privat e-post"}'::jsonb,
   '{"en":"E-mail addresses the person gave outside the school.","nl":"E-mailadressen die de persoon buiten de school opgaf.","fr":"Adresses e-mail données par la personne en dehors de l''école.","sv":"E-postadresser som personen har angett utanför skolan."}'::jsonb, 7),
  ('photo',
   '{"en":"Photo","nl":"Foto","fr":"Photo","sv":"Foto"}'::jsonb,
   '{"en":"The school photo of the person.","nl":"De schoolfoto van de persoon.","fr":"La photo scolaire de la personne.","sv":"Personens skolfoto."}'::jsonb, 8),
  ('guardians',
   '{"en":"Guardians","nl":"Ouders en voogden","fr":"Responsables légaux","sv":"Vårdnadshavare"}'::jsonb,
   '{"en":"Who is responsible for a pupil (parents, guardians) and their relation to the pupil.","nl":"Wie verantwoordelijk is voor een leerling (ouders, voogden) en hun relatie tot de leerling.","fr":"Qui est responsable d''un élève (parents, tuteurs) et leur lien avec l''élève.","sv":"Vem som är ansvarig för en elev (föräldrar, vårdnadshavare) och deras relation till eleven."}'::jsonb, 9),
  ('invoices',
   '{"en":"Invoices","nl":"Rekeningen","fr":"Factures","sv":"Fakturor"}'::jsonb,
   '{"en":"School invoices with their lines, amounts, due dates and payment status.","nl":"Schoolrekeningen met hun lijnen, bedragen, vervaldagen en betaalstatus.","fr":"Factures scolaires avec leurs lignes, montants, échéances et statut de paiement.","sv":"Skolans fakturor med rader, belopp, förfallodagar och betalningsstatus."}'::jsonb, 10);

UPDATE apis SET names = '{"en":"Students","nl":"Leerlingen","fr":"Élèves","sv":"Elever"}'::jsonb,
  descriptions = '{"en":"Pupils of an institution with their enrolments, classes and groups.","nl":"Leerlingen van een instelling met hun inschrijvingen, klassen en groepen.","fr":"Élèves d''un établissement avec leurs inscriptions, classes et groupes.","sv":"Elever vid en skola med deras inskrivningar, klasser och grupper."}'::jsonb,
  served_by = 'ss12000'
  WHERE code = 'students';
UPDATE apis SET names = '{"en":"Staff","nl":"Personeel","fr":"Personnel","sv":"Personal"}'::jsonb,
  descriptions = '{"en":"Staff of an institution with their duties and the activities they teach.","nl":"Personeelsleden van een instelling met hun opdrachten en de activiteiten die ze geven.","fr":"Membres du personnel d''un établissement avec leurs fonctions et les activités qu''ils enseignent.","sv":"Personal vid en skola med deras tjänstgöringar och de aktiviteter de undervisar."}'::jsonb,
  served_by = 'ss12000'
  WHERE code = 'staff';
UPDATE apis SET names = '{"en":"Boarders","nl":"Internen","fr":"Internes","sv":"Internatelever"}'::jsonb,
  descriptions = '{"en":"Residents of a boarding school, their boarding house and arrangements.","nl":"Internen van een internaat, hun internaat en regelingen.","fr":"Internes d''un internat, leur internat et leurs arrangements.","sv":"Elever som bor på internat, deras elevhem och överenskommelser."}'::jsonb,
  served_by = NULL
  WHERE code = 'boarders';
UPDATE apis SET names = '{"en":"Invoices","nl":"Rekeningen","fr":"Factures","sv":"Fakturor"}'::jsonb,
  descriptions = '{"en":"Debtors and invoices of the invoicing module, per access group.","nl":"Debiteuren en rekeningen van de rekeningenmodule, per toegangsgroep.","fr":"Débiteurs et factures du module de facturation, par groupe d''accès.","sv":"Betalare och fakturor i faktureringsmodulen, per behörighetsgrupp."}'::jsonb,
  served_by = NULL
  WHERE code = 'invoices';
UPDATE apis SET names = '{"en":"Pre-enrolments","nl":"Voorinschrijvingen","fr":"Préinscriptions","sv":"Förhandsanmälningar"}'::jsonb,
  descriptions = '{"en":"Applications for a coming school year, with the child, guardians and status.","nl":"Aanmeldingen voor een volgend schooljaar, met het kind, de ouders en de status.","fr":"Demandes d''inscription pour une prochaine année scolaire, avec l''enfant, les responsables et le statut.","sv":"Ansökningar inför ett kommande läsår, med barnet, vårdnadshavarna och status."}'::jsonb,
  served_by = NULL
  WHERE code = 'pre_enrolments';
