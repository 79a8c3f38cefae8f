import { facts, link, list, p, type Block } from '../render.ts';
import { grantsChangedBlocks, type GrantsChangedWords } from './grants-changed.ts';
import type { Translation } from '../templates.ts';

const optional = (label: string, value: string | null): Block[] => (value ? [facts([label, value])] : []);

/** The words of a `grants_changed` mail (its shape: `grantsChangedBlocks`). */
const grantsChangedWords: GrantsChangedWords = {
  intro: (appName, apiName) => `De datatoegang van je app ${appName} tot de API ${apiName} is gewijzigd.`,
  added: 'Toegang verleend voor:',
  removed: 'Toegang ingetrokken voor:',
  levelChanged: 'Toegangsniveau gewijzigd voor:',
  at: 'bij',
  colon: ':',
  levels: { read: 'alleen lezen', read_write: 'lezen en schrijven' },
  fromTo: (from, to) => `van ${from} naar ${to}`,
  changedBy: 'Gewijzigd door',
  when: 'Wanneer',
  reason: 'Reden',
  noReason: '(geen opgegeven)',
  removedTakesEffect: 'Ingetrokken toegang geldt meteen: de volgende aanvraag voor die gegevens wordt geweigerd.',
  loweredTakesEffect: 'Een verlaagd niveau geldt meteen: de volgende schrijfaanvraag wordt geweigerd.',
};
/** Nederlands (Vlaams). */
export const nl: Translation = {
  frame: {
    locale: 'nl-BE',
    greeting: 'Hallo,',
    signoff: ['Met vriendelijke groeten,', 'Schoolgate'],
    footer: 'Dit bericht werd automatisch verstuurd; antwoorden worden niet gelezen.',
    colon: ':',
    apiNames: { students: 'Leerlingen', staff: 'Personeel', boarders: 'Internen', invoices: 'Rekeningen', pre_enrolments: 'Voorinschrijvingen' },
  },
  templates: {
    signup_existing_account: ({ displayName, signInUrl }) => ({
      greeting: `Beste ${displayName},`,
      subject: 'Schoolgate — Iemand probeerde zich met uw adres te registreren',
      blocks: [
        p('Iemand probeerde zojuist een Schoolgate-account aan te maken met dit e-mailadres. U hebt al een account, dus er is niets aangemaakt.'),
        link('Aanmelden', signInUrl),
        p('Was u het niet, dan kunt u dit bericht negeren; uw account is ongewijzigd.'),
      ],
    }),
    email_confirmation: ({ displayName, confirmUrl }) => ({
      subject: 'Schoolgate – Bevestig je e-mailadres',
      greeting: `Hallo ${displayName},`,
      blocks: [
        p('Welkom bij Schoolgate. Bevestig dat dit e-mailadres van jou is om je partneraccount te activeren.'),
        link('Mijn e-mailadres bevestigen', confirmUrl),
        p('Heb je je niet aangemeld bij Schoolgate? Dan mag je dit bericht negeren.'),
      ],
    }),
    app_approved: ({ appName, partnerName, clientId, appUrl, notes }) => ({
      subject: `Schoolgate – Je app ${appName} is goedgekeurd`,
      blocks: [
        p(`Goed nieuws: de app ${appName} van ${partnerName} is goedgekeurd en de OAuth-client is aangemaakt.`),
        facts(['Client-ID', clientId]),
        p('Het clientgeheim wordt maar één keer getoond, in het partnerportaal; het wordt nooit per e-mail verstuurd.'),
        ...optional('Opmerkingen bij de accreditatie', notes),
        link('De app openen', appUrl),
        p(
          'Scholen kunnen je app nu datatoegang verlenen: nodig hun beheerders uit vanaf de pagina van de app. Zolang een school geen toegang verleent, krijgt de app geen gegevens.',
        ),
      ],
    }),
    app_rejected: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Je app ${appName} is niet goedgekeurd`,
      blocks: [p(`De app ${appName} van ${partnerName} is niet goedgekeurd.`), facts(['Reden', reason]), p('Je kunt de app aanpassen en opnieuw indienen.')],
    }),
    app_suspended: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Je app ${appName} is opgeschort`,
      blocks: [
        p(
          `De app ${appName} van ${partnerName} is opgeschort. Vanaf nu krijgt ze geen toegangstokens en geen schoolgegevens meer; de toegangsrechten van de scholen blijven bewaard.`,
        ),
        ...optional('Reden', reason),
        p('Neem contact op met de beheerder als je vragen hebt.'),
      ],
    }),
    app_reapproved: ({ appName, partnerName, notes }) => ({
      subject: `Schoolgate – Je app ${appName} is opnieuw actief`,
      blocks: [
        p(
          `De app ${appName} van ${partnerName} is opnieuw goedgekeurd. Ze kan weer toegangstokens krijgen en leest de gegevens waarvoor de scholen toegang verleend hebben.`,
        ),
        ...optional('Opmerkingen', notes),
      ],
    }),
    app_archived: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Je app ${appName} is gearchiveerd`,
      blocks: [
        p(`De app ${appName} van ${partnerName} is gearchiveerd. Ze krijgt geen toegangstokens en geen schoolgegevens meer.`),
        ...optional('Reden', reason),
      ],
    }),
    invitation: ({ appName, partnerName, link: url, expiresAt, apis, apiCodes, purposes }, f) => ({
      subject: `Schoolgate – Datatoegang voor applicatie ${appName}`,
      blocks: [
        p(`${partnerName} vraagt je school om de applicatie ${appName} toegang te verlenen tot gegevens.`),
        ...(apis.length
          ? [
              list(
                "Gevraagde API's:",
                apis.map((name, i) => (purposes?.[i] ? `${f.api(apiCodes?.[i], name)}: ${purposes[i]}` : f.api(apiCodes?.[i], name))),
              ),
            ]
          : []),
        p(
          'Open de pagina van de applicatie in de back-office van de school om de aanvraag te bekijken en te beslissen welke instellingen welke gegevens delen. ' +
            'Je hebt toegang tot Gebruikersbeheer en het passende beheerdersrecht nodig.',
        ),
        link('Klik hier om de applicatiepagina te openen', url),
        p(`Deze link is geldig tot ${f.dateTime(expiresAt)}.`),
        p('Verwachtte je deze aanvraag niet? Dan mag je dit bericht negeren: er wordt niets gedeeld zolang een schoolbeheerder geen toegang verleent.'),
      ],
    }),
    grants_changed: (d, f) => ({
      subject: `Schoolgate – Datatoegang van ${d.appName} gewijzigd (${d.apiName})`,
      blocks: grantsChangedBlocks(grantsChangedWords, d, f),
    }),
    app_switched_off: ({ appName, grants, changedBy, reason, at }, f) => ({
      subject: `Schoolgate – ${appName} uitgezet door een school`,
      blocks: [
        p(`Een schoolbeheerder heeft je app ${appName} uitgezet voor zijn of haar instellingen. De toegang daar is gestopt.`),
        list(
          'Toegang gestopt voor:',
          grants.map((g) => `${f.api(g.apiCode, g.apiName)}: ${g.target}`),
        ),
        facts(['Uitgezet door', changedBy], ['Wanneer', f.dateTime(at)], ['Reden', reason ?? '(geen opgegeven)']),
        p('De volgende aanvraag voor die gegevens wordt geweigerd. Zet de school de app weer aan, dan komt precies deze toegang terug.'),
      ],
    }),
    app_switched_on: ({ appName, grants, changedBy, reason, at }, f) => ({
      subject: `Schoolgate – ${appName} weer aangezet door een school`,
      blocks: [
        p(`Een schoolbeheerder heeft je app ${appName} weer aangezet voor zijn of haar instellingen. De toegang daar is terug.`),
        list(
          'Toegang hersteld voor:',
          grants.map((g) => `${f.api(g.apiCode, g.apiName)}: ${g.target}`),
        ),
        facts(['Aangezet door', changedBy], ['Wanneer', f.dateTime(at)], ['Reden', reason ?? '(geen opgegeven)']),
      ],
    }),
    secret_rotated: ({ appName, previousSecretExpiresAt }, f) => ({
      subject: `Schoolgate – Nieuw clientgeheim voor ${appName}`,
      blocks: [
        p(
          `Er is een nieuw clientgeheim aangemaakt voor je app ${appName}. Het werd één keer getoond aan wie het aanmaakte en wordt niet per e-mail verstuurd.`,
        ),
        p(
          previousSecretExpiresAt
            ? `Het vorige geheim blijft geldig tot ${f.dateTime(previousSecretExpiresAt)}; schakel je app vóór dan over op het nieuwe.`
            : 'Het vorige geheim werkt niet meer.',
        ),
        p('Heb jij dit niet gedaan? Neem dan meteen contact op met de beheerder.'),
      ],
    }),
    consent_withdrawn: ({ appName, partnerName, institution, role, at, eventsUrl }, f) => ({
      subject: `Schoolgate – Een gebruiker heeft de toestemming voor ${appName} ingetrokken`,
      blocks: [
        p(
          `Een ${{ student: 'leerling', guardian: 'ouder', staff: 'personeelslid' }[role]} van ${institution} heeft de toestemming ingetrokken die de app ${appName} van ${partnerName} kreeg om zijn of haar gegevens te ontvangen.`,
        ),
        facts(['School', institution], ['Wanneer', f.dateTime(at)]),
        p(
          'De verversingstokens van de app voor deze gebruiker werken meteen niet meer en zijn toegangstokens voor die gebruiker worden geweigerd. Verwijder de gegevens die je via deze toestemming ontving of gebruik ze niet meer, zoals je overeenkomst met de school vraagt.',
        ),
        p('Om welke gebruiker het gaat (de subject-identifier die je app bij het aanmelden kreeg), staat in het event consent.withdrawn:'),
        link('Events van de app (partner-API)', eventsUrl),
      ],
    }),
  },
};
