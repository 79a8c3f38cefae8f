import { facts, link, list, p, type Block } from '../render.ts';
import { grantsChangedBlocks, type GrantsChangedWords } from './grants-changed.ts';
import type { Translation } from '../templates.ts';

const optional = (label: string, value: string | null): Block[] => (value ? [facts([label, value])] : []);

/** The words of a `grants_changed` mail (its shape: `grantsChangedBlocks`). */
const grantsChangedWords: GrantsChangedWords = {
  intro: (appName, apiName) => `Åtkomsten för din app ${appName} till API:et ${apiName} har ändrats.`,
  added: 'Åtkomst given för:',
  removed: 'Åtkomst borttagen för:',
  levelChanged: 'Åtkomstnivå ändrad för:',
  at: 'vid',
  colon: ':',
  levels: { read: 'endast läsa', read_write: 'läsa och skriva' },
  fromTo: (from, to) => `från ${from} till ${to}`,
  changedBy: 'Ändrad av',
  when: 'När',
  reason: 'Motivering',
  noReason: '(ingen angiven)',
  removedTakesEffect: 'Borttagen åtkomst gäller omedelbart: nästa begäran om de data nekas.',
  loweredTakesEffect: 'En sänkt nivå gäller omedelbart: nästa skrivning nekas.',
};
/** Svenska. */
export const sv: Translation = {
  frame: {
    locale: 'sv-SE',
    greeting: 'Hej!',
    signoff: ['Vänliga hälsningar', 'Schoolgate'],
    footer: 'Det här meddelandet skickades automatiskt; svar läses inte.',
    colon: ':',
    apiNames: { students: 'Elever', staff: 'Personal', boarders: 'Internatelever', invoices: 'Fakturor', pre_enrolments: 'Förhandsanmälningar' },
  },
  templates: {
    signup_existing_account: ({ displayName, signInUrl }) => ({
      greeting: `Hej ${displayName},`,
      subject: 'Schoolgate — Någon försökte registrera sig med din adress',
      blocks: [
        p('Någon försökte just skapa ett Schoolgate-konto med den här e-postadressen. Du har redan ett konto, så inget skapades.'),
        link('Logga in', signInUrl),
        p('Om det inte var du kan du bortse från meddelandet; ditt konto är oförändrat.'),
      ],
    }),
    email_confirmation: ({ displayName, confirmUrl }) => ({
      subject: 'Schoolgate – Bekräfta din e-postadress',
      greeting: `Hej ${displayName}!`,
      blocks: [
        p('Välkommen till Schoolgate. Bekräfta att den här e-postadressen är din för att aktivera ditt partnerkonto.'),
        link('Bekräfta min e-postadress', confirmUrl),
        p('Om du inte har registrerat dig på Schoolgate kan du bortse från det här meddelandet.'),
      ],
    }),
    app_approved: ({ appName, partnerName, clientId, appUrl, notes }) => ({
      subject: `Schoolgate – Din app ${appName} har godkänts`,
      blocks: [
        p(`Goda nyheter: appen ${appName} från ${partnerName} har godkänts och dess OAuth-klient har skapats.`),
        facts(['Klient-ID', clientId]),
        p('Klienthemligheten visas bara en gång, i partnerportalen; den skickas aldrig med e-post.'),
        ...optional('Anteckningar om ackrediteringen', notes),
        link('Öppna appen', appUrl),
        p('Skolor kan nu ge din app åtkomst: bjud in deras administratörer från appens sida. Så länge ingen skola har gett åtkomst får appen inga data.'),
      ],
    }),
    app_rejected: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Din app ${appName} har inte godkänts`,
      blocks: [p(`Appen ${appName} från ${partnerName} har inte godkänts.`), facts(['Motivering', reason]), p('Du kan ändra appen och skicka in den igen.')],
    }),
    app_suspended: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Din app ${appName} har stängts av tillfälligt`,
      blocks: [
        p(
          `Appen ${appName} från ${partnerName} har stängts av tillfälligt. Den får inte längre några åtkomsttoken eller skoldata; skolornas behörigheter finns kvar.`,
        ),
        ...optional('Motivering', reason),
        p('Kontakta operatören om du har frågor.'),
      ],
    }),
    app_reapproved: ({ appName, partnerName, notes }) => ({
      subject: `Schoolgate – Din app ${appName} är aktiv igen`,
      blocks: [
        p(`Appen ${appName} från ${partnerName} har godkänts igen. Den kan åter få åtkomsttoken och läser de data som skolorna har gett åtkomst till.`),
        ...optional('Anteckningar', notes),
      ],
    }),
    app_archived: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Din app ${appName} har arkiverats`,
      blocks: [
        p(`Appen ${appName} från ${partnerName} har arkiverats. Den får inte längre några åtkomsttoken eller skoldata.`),
        ...optional('Motivering', reason),
      ],
    }),
    invitation: ({ appName, partnerName, link: url, expiresAt, apis, apiCodes, purposes }, f) => ({
      subject: `Schoolgate – Dataåtkomst för applikationen ${appName}`,
      blocks: [
        p(`${partnerName} ber din skola att ge applikationen ${appName} åtkomst till data.`),
        ...(apis.length
          ? [
              list(
                'Begärda API:er:',
                apis.map((name, i) => (purposes?.[i] ? `${f.api(apiCodes?.[i], name)}: ${purposes[i]}` : f.api(apiCodes?.[i], name))),
              ),
            ]
          : []),
        p(
          'Öppna applikationens sida i skolans administrationsgränssnitt för att granska begäran och bestämma vilka skolenheter som delar vilka data. ' +
            'Du behöver åtkomst till användarhanteringen och motsvarande administratörsbehörighet.',
        ),
        link('Öppna applikationens sida', url),
        p(`Länken gäller till ${f.dateTime(expiresAt)}.`),
        p('Om du inte väntade dig den här begäran kan du bortse från meddelandet: ingenting delas förrän en skoladministratör ger åtkomst.'),
      ],
    }),
    grants_changed: (d, f) => ({
      subject: `Schoolgate – Dataåtkomsten för ${d.appName} har ändrats (${d.apiName})`,
      blocks: grantsChangedBlocks(grantsChangedWords, d, f),
    }),
    app_switched_off: ({ appName, grants, changedBy, reason, at }, f) => ({
      subject: `Schoolgate – ${appName} avstängd av en skola`,
      blocks: [
        p(`En skoladministratör har stängt av din app ${appName} för sina skolor. Åtkomsten där har upphört.`),
        list(
          'Åtkomst stoppad för:',
          grants.map((g) => `${f.api(g.apiCode, g.apiName)}: ${g.target}`),
        ),
        facts(['Avstängd av', changedBy], ['När', f.dateTime(at)], ['Motivering', reason ?? '(ingen angiven)']),
        p('Nästa begäran om de data nekas. När skolan slår på appen igen kommer exakt denna åtkomst tillbaka.'),
      ],
    }),
    app_switched_on: ({ appName, grants, changedBy, reason, at }, f) => ({
      subject: `Schoolgate – ${appName} påslagen igen av en skola`,
      blocks: [
        p(`En skoladministratör har slagit på din app ${appName} igen för sina skolor. Åtkomsten där är tillbaka.`),
        list(
          'Åtkomst återställd för:',
          grants.map((g) => `${f.api(g.apiCode, g.apiName)}: ${g.target}`),
        ),
        facts(['Påslagen av', changedBy], ['När', f.dateTime(at)], ['Motivering', reason ?? '(ingen angiven)']),
      ],
    }),
    secret_rotated: ({ appName, previousSecretExpiresAt }, f) => ({
      subject: `Schoolgate – Ny klienthemlighet för ${appName}`,
      blocks: [
        p(`En ny klienthemlighet har skapats för din app ${appName}. Den visades en gång för den som skapade den och skickas inte med e-post.`),
        p(
          previousSecretExpiresAt
            ? `Den tidigare hemligheten gäller till ${f.dateTime(previousSecretExpiresAt)}; byt till den nya innan dess.`
            : 'Den tidigare hemligheten fungerar inte längre.',
        ),
        p('Om det inte var du, kontakta operatören genast.'),
      ],
    }),
    consent_withdrawn: ({ appName, partnerName, institution, role, at, eventsUrl }, f) => ({
      subject: `Schoolgate – En användare har återkallat sitt samtycke för ${appName}`,
      blocks: [
        p(
          `En ${{ student: 'elev', guardian: 'vårdnadshavare', staff: 'anställd' }[role]} på ${institution} har återkallat samtycket som gav appen ${appName} från ${partnerName} rätt att ta emot hens uppgifter.`,
        ),
        facts(['Skola', institution], ['När', f.dateTime(at)]),
        p(
          'Appens uppdateringstoken för användaren slutade fungera direkt, och dess åtkomsttoken för användaren nekas. Radera eller sluta använda de uppgifter ni fått genom samtycket, så som ert avtal med skolan kräver.',
        ),
        p('Vilken användare det gäller (den subject-identifierare appen fick vid inloggningen) står i händelsen consent.withdrawn:'),
        link('Appens händelser (partner-API)', eventsUrl),
      ],
    }),
  },
};
