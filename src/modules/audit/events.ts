import type { Language } from '../../db/schema.ts';

/*
 * The audit log in words: ONE declaration per action that `recordAudit` writes, from which the
 * server renders the sentence in the reader's language (`sentences.ts`). A new action needs its
 * declaration here: `events.test.ts` scans the source for the recorded actions and fails until it has one.
 */

/** What a sentence may name, resolved by the renderer from the row and the names it looked up. */
export interface SentenceParts {
  /** Who did it, in the reader's language ("Anna Admin", "Schoolgate", "End user Xy…"). */
  actor: string;
  /** The app's name, or '' when the entry is not about an app. */
  app: string;
  /** The client's name when the entry is about a client without an app (legacy, ingestion), else ''. */
  client: string;
  /** The partner's name, or ''. */
  partner: string;
  /** The institutions and access groups the reader may see, as "Name (number), …", or ''. */
  places: string;
  /** The API the change is about, in the reader's language, or ''. */
  api: string;
  /** The entry's `before` and `after`, for action-specific details (counts, e-mail, names). */
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

type Say = (p: SentenceParts) => string;

/** One action: its short name (a column, a tag) and its sentence in every language. */
export interface AuditEventDeclaration {
  label: Record<Language, string>;
  say: Record<Language, Say>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** A list of names ("Person, Duty"), or '' when it is not one. */
const list = (v: unknown): string => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(', ') : '');
/** The sum of a count or of a per-entity count record (ingestion reports counts per entity type). */
const total = (v: unknown): number =>
  typeof v === 'number' ? v : v && typeof v === 'object' ? Object.values(v).reduce<number>((s, x) => s + (typeof x === 'number' ? x : 0), 0) : 0;

// "the app X" / "the client Y" per language, for actions about an app or a client that has none.
const target: Record<Language, (p: SentenceParts) => string> = {
  en: (p) => (p.app ? `the app ${p.app}` : `the client ${p.client}`),
  nl: (p) => (p.app ? `de app ${p.app}` : `de client ${p.client}`),
  fr: (p) => (p.app ? `l’application ${p.app}` : `le client ${p.client}`),
  sv: (p) => (p.app ? `appen ${p.app}` : `klienten ${p.client}`),
};
// "of the app X" (French needs "du client", not "de le client").
const ofTarget: Record<Language, (p: SentenceParts) => string> = {
  en: (p) => `of ${target.en(p)}`,
  nl: (p) => `van ${target.nl(p)}`,
  fr: (p) => (p.app ? `de l’application ${p.app}` : `du client ${p.client}`),
  sv: (p) => `för ${target.sv(p)}`,
};
const ofPartner: Record<Language, (p: SentenceParts) => string> = {
  en: (p) => (p.partner ? ` of ${p.partner}` : ''),
  nl: (p) => (p.partner ? ` van ${p.partner}` : ''),
  fr: (p) => (p.partner ? ` de ${p.partner}` : ''),
  sv: (p) => (p.partner ? ` från ${p.partner}` : ''),
};
const atPlaces: Record<Language, (p: SentenceParts) => string> = {
  en: (p) => (p.places ? ` at ${p.places}` : ''),
  nl: (p) => (p.places ? ` bij ${p.places}` : ''),
  fr: (p) => (p.places ? ` pour ${p.places}` : ''),
  sv: (p) => (p.places ? ` vid ${p.places}` : ''),
};
const clientName = (p: SentenceParts) => p.client || str(p.after.name) || str(p.before.name);
const providerName = (p: SentenceParts) => str(p.after.displayName) || str(p.before.displayName);
const limit = (p: SentenceParts) => (typeof p.after.requestsPerMinute === 'number' ? p.after.requestsPerMinute : null);
/** The code of a catalog API or data category (the catalog's audit rows hold its row before and after). */
const catalogCode = (p: SentenceParts) => str(p.after.code) || str(p.before.code);
const email = (p: SentenceParts) => str(p.after.email) || str(p.before.email);

/** Every action `recordAudit` writes, with its sentence in English, Dutch, French and Swedish. */
export const AUDIT_EVENTS = {
  'app.created': {
    label: { en: 'App registered', nl: 'App geregistreerd', fr: 'Application enregistrée', sv: 'App registrerad' },
    say: {
      en: (p) => `${p.actor} registered the app ${p.app}${ofPartner.en(p)}.`,
      nl: (p) => `${p.actor} heeft de app ${p.app}${ofPartner.nl(p)} geregistreerd.`,
      fr: (p) => `${p.actor} a enregistré l’application ${p.app}${ofPartner.fr(p)}.`,
      sv: (p) => `${p.actor} registrerade appen ${p.app}${ofPartner.sv(p)}.`,
    },
  },
  'app.updated': {
    label: { en: 'App changed', nl: 'App gewijzigd', fr: 'Application modifiée', sv: 'App ändrad' },
    say: {
      en: (p) => `${p.actor} changed the app ${p.app}.`,
      nl: (p) => `${p.actor} heeft de app ${p.app} gewijzigd.`,
      fr: (p) => `${p.actor} a modifié l’application ${p.app}.`,
      sv: (p) => `${p.actor} ändrade appen ${p.app}.`,
    },
  },
  'app.submitted': {
    label: { en: 'App submitted for review', nl: 'App ingediend ter beoordeling', fr: 'Application soumise pour examen', sv: 'App inskickad för granskning' },
    say: {
      en: (p) => `${p.actor} submitted the app ${p.app} for review.`,
      nl: (p) => `${p.actor} heeft de app ${p.app} ter beoordeling ingediend.`,
      fr: (p) => `${p.actor} a soumis l’application ${p.app} pour examen.`,
      sv: (p) => `${p.actor} skickade in appen ${p.app} för granskning.`,
    },
  },
  'app.approved': {
    label: { en: 'App approved', nl: 'App goedgekeurd', fr: 'Application approuvée', sv: 'App godkänd' },
    say: {
      en: (p) => `${p.actor} approved the app ${p.app}${ofPartner.en(p)}.`,
      nl: (p) => `${p.actor} heeft de app ${p.app}${ofPartner.nl(p)} goedgekeurd.`,
      fr: (p) => `${p.actor} a approuvé l’application ${p.app}${ofPartner.fr(p)}.`,
      sv: (p) => `${p.actor} godkände appen ${p.app}${ofPartner.sv(p)}.`,
    },
  },
  'app.rejected': {
    label: { en: 'App rejected', nl: 'App afgewezen', fr: 'Application refusée', sv: 'App avslagen' },
    say: {
      en: (p) => `${p.actor} rejected the app ${p.app}${ofPartner.en(p)}.`,
      nl: (p) => `${p.actor} heeft de app ${p.app}${ofPartner.nl(p)} afgewezen.`,
      fr: (p) => `${p.actor} a refusé l’application ${p.app}${ofPartner.fr(p)}.`,
      sv: (p) => `${p.actor} avslog appen ${p.app}${ofPartner.sv(p)}.`,
    },
  },
  'app.suspended': {
    label: { en: 'App suspended', nl: 'App geschorst', fr: 'Application suspendue', sv: 'App tillfälligt avstängd' },
    say: {
      en: (p) => `${p.actor} suspended the app ${p.app}${ofPartner.en(p)}.`,
      nl: (p) => `${p.actor} heeft de app ${p.app}${ofPartner.nl(p)} geschorst.`,
      fr: (p) => `${p.actor} a suspendu l’application ${p.app}${ofPartner.fr(p)}.`,
      sv: (p) => `${p.actor} stängde tillfälligt av appen ${p.app}${ofPartner.sv(p)}.`,
    },
  },
  'app.reapproved': {
    label: { en: 'App approved again', nl: 'App opnieuw goedgekeurd', fr: 'Application de nouveau approuvée', sv: 'App godkänd igen' },
    say: {
      en: (p) => `${p.actor} approved the app ${p.app} again.`,
      nl: (p) => `${p.actor} heeft de app ${p.app} opnieuw goedgekeurd.`,
      fr: (p) => `${p.actor} a de nouveau approuvé l’application ${p.app}.`,
      sv: (p) => `${p.actor} godkände appen ${p.app} igen.`,
    },
  },
  'app.archived': {
    label: { en: 'App archived', nl: 'App gearchiveerd', fr: 'Application archivée', sv: 'App arkiverad' },
    say: {
      en: (p) => `${p.actor} archived the app ${p.app}.`,
      nl: (p) => `${p.actor} heeft de app ${p.app} gearchiveerd.`,
      fr: (p) => `${p.actor} a archivé l’application ${p.app}.`,
      sv: (p) => `${p.actor} arkiverade appen ${p.app}.`,
    },
  },
  'app.rate_limit_set': {
    label: { en: 'Rate limit set', nl: 'Limiet ingesteld', fr: 'Limite de débit fixée', sv: 'Anropsgräns satt' },
    say: {
      en: (p) =>
        limit(p) === null
          ? `${p.actor} set the rate limit of the app ${p.app} back to the default.`
          : `${p.actor} set the rate limit of the app ${p.app} to ${limit(p)} requests per minute.`,
      nl: (p) =>
        limit(p) === null
          ? `${p.actor} heeft de limiet van de app ${p.app} teruggezet op de standaard.`
          : `${p.actor} heeft de limiet van de app ${p.app} op ${limit(p)} verzoeken per minuut gezet.`,
      fr: (p) =>
        limit(p) === null
          ? `${p.actor} a rétabli la limite par défaut de l’application ${p.app}.`
          : `${p.actor} a fixé la limite de l’application ${p.app} à ${limit(p)} requêtes par minute.`,
      sv: (p) =>
        limit(p) === null
          ? `${p.actor} återställde standardgränsen för appen ${p.app}.`
          : `${p.actor} satte gränsen för appen ${p.app} till ${limit(p)} anrop per minut.`,
    },
  },
  'client.secret_created': {
    label: { en: 'Client secret created', nl: 'Clientgeheim aangemaakt', fr: 'Secret client créé', sv: 'Klienthemlighet skapad' },
    say: {
      en: (p) => `${p.actor} created a client secret for ${target.en(p)}.`,
      nl: (p) => `${p.actor} heeft een clientgeheim aangemaakt voor ${target.nl(p)}.`,
      fr: (p) => `${p.actor} a créé un secret client pour ${target.fr(p)}.`,
      sv: (p) => `${p.actor} skapade en klienthemlighet för ${target.sv(p)}.`,
    },
  },
  'client.secret_rotated': {
    label: { en: 'Client secret rotated', nl: 'Clientgeheim vervangen', fr: 'Secret client remplacé', sv: 'Klienthemlighet bytt' },
    say: {
      en: (p) => `${p.actor} replaced the client secret ${ofTarget.en(p)}; the previous one keeps working for a while.`,
      nl: (p) => `${p.actor} heeft het clientgeheim ${ofTarget.nl(p)} vervangen; het vorige blijft nog even werken.`,
      fr: (p) => `${p.actor} a remplacé le secret client ${ofTarget.fr(p)}\u202f; l’ancien reste valable quelque temps.`,
      sv: (p) => `${p.actor} bytte klienthemligheten ${ofTarget.sv(p)}; den förra fungerar en tid till.`,
    },
  },
  'subscription.created': {
    label: { en: 'Subscription created', nl: 'Abonnement aangemaakt', fr: 'Abonnement créé', sv: 'Prenumeration skapad' },
    say: {
      en: (p) => `${p.actor} subscribed ${target.en(p)} to changes of ${list(p.after.resourceTypes)} (notifications to ${str(p.after.target)}).`,
      nl: (p) => `${p.actor} heeft ${target.nl(p)} geabonneerd op wijzigingen van ${list(p.after.resourceTypes)} (meldingen naar ${str(p.after.target)}).`,
      fr: (p) => `${p.actor} a abonné ${target.fr(p)} aux modifications de ${list(p.after.resourceTypes)} (notifications vers ${str(p.after.target)}).`,
      sv: (p) => `${p.actor} prenumererade ${target.sv(p)} på ändringar av ${list(p.after.resourceTypes)} (notiser till ${str(p.after.target)}).`,
    },
  },
  'subscription.renewed': {
    label: { en: 'Subscription renewed', nl: 'Abonnement verlengd', fr: 'Abonnement renouvelé', sv: 'Prenumeration förnyad' },
    say: {
      en: (p) => `${p.actor} renewed a subscription ${ofTarget.en(p)} until ${str(p.after.expires)}.`,
      nl: (p) => `${p.actor} heeft een abonnement ${ofTarget.nl(p)} verlengd tot ${str(p.after.expires)}.`,
      fr: (p) => `${p.actor} a renouvelé un abonnement ${ofTarget.fr(p)} jusqu’au ${str(p.after.expires)}.`,
      sv: (p) => `${p.actor} förnyade en prenumeration ${ofTarget.sv(p)} till ${str(p.after.expires)}.`,
    },
  },
  'subscription.deleted': {
    label: { en: 'Subscription deleted', nl: 'Abonnement verwijderd', fr: 'Abonnement supprimé', sv: 'Prenumeration borttagen' },
    say: {
      en: (p) => `${p.actor} deleted the subscription “${str(p.before.name)}” ${ofTarget.en(p)}.`,
      nl: (p) => `${p.actor} heeft het abonnement “${str(p.before.name)}” ${ofTarget.nl(p)} verwijderd.`,
      fr: (p) => `${p.actor} a supprimé l’abonnement « ${str(p.before.name)} » ${ofTarget.fr(p)}.`,
      sv: (p) => `${p.actor} tog bort prenumerationen ”${str(p.before.name)}” ${ofTarget.sv(p)}.`,
    },
  },
  'app.webhook_configured': {
    label: { en: 'Webhook endpoint set', nl: 'Webhook-endpoint ingesteld', fr: 'Point de terminaison webhook défini', sv: 'Webhook-mottagare angiven' },
    say: {
      en: (p) => `${p.actor} set the webhook endpoint ${ofTarget.en(p)} to ${str(p.after.target)}.`,
      nl: (p) => `${p.actor} heeft het webhook-endpoint ${ofTarget.nl(p)} ingesteld op ${str(p.after.target)}.`,
      fr: (p) => `${p.actor} a défini le point de terminaison webhook ${ofTarget.fr(p)} sur ${str(p.after.target)}.`,
      sv: (p) => `${p.actor} angav webhook-mottagaren ${ofTarget.sv(p)} till ${str(p.after.target)}.`,
    },
  },
  'app.webhook_removed': {
    label: {
      en: 'Webhook endpoint removed',
      nl: 'Webhook-endpoint verwijderd',
      fr: 'Point de terminaison webhook supprimé',
      sv: 'Webhook-mottagare borttagen',
    },
    say: {
      en: (p) => `${p.actor} removed the webhook endpoint ${ofTarget.en(p)}.`,
      nl: (p) => `${p.actor} heeft het webhook-endpoint ${ofTarget.nl(p)} verwijderd.`,
      fr: (p) => `${p.actor} a supprimé le point de terminaison webhook ${ofTarget.fr(p)}.`,
      sv: (p) => `${p.actor} tog bort webhook-mottagaren ${ofTarget.sv(p)}.`,
    },
  },
  'webhook.replayed': {
    label: { en: 'Webhook sent again', nl: 'Webhook opnieuw verzonden', fr: 'Webhook renvoyé', sv: 'Webhook skickad igen' },
    say: {
      en: (p) => `${p.actor} sent a webhook message ${ofTarget.en(p)} again.`,
      nl: (p) => `${p.actor} heeft een webhookbericht ${ofTarget.nl(p)} opnieuw verzonden.`,
      fr: (p) => `${p.actor} a renvoyé un message webhook ${ofTarget.fr(p)}.`,
      sv: (p) => `${p.actor} skickade ett webhook-meddelande ${ofTarget.sv(p)} igen.`,
    },
  },
  'client.secret_expired': {
    label: { en: 'Old client secret ended', nl: 'Oud clientgeheim beëindigd', fr: 'Ancien secret client clos', sv: 'Gammal klienthemlighet avslutad' },
    say: {
      en: (p) => `${p.actor} ended the previous client secret (…${str(p.before.hint)}) ${ofTarget.en(p)}.`,
      nl: (p) => `${p.actor} heeft het vorige clientgeheim (…${str(p.before.hint)}) ${ofTarget.nl(p)} beëindigd.`,
      fr: (p) => `${p.actor} a mis fin à l’ancien secret client (…${str(p.before.hint)}) ${ofTarget.fr(p)}.`,
      sv: (p) => `${p.actor} avslutade den förra klienthemligheten (…${str(p.before.hint)}) ${ofTarget.sv(p)}.`,
    },
  },
  'client.linked': {
    label: { en: 'Legacy client linked', nl: 'Bestaande client gekoppeld', fr: 'Client existant lié', sv: 'Befintlig klient kopplad' },
    say: {
      en: (p) => `${p.actor} linked the existing client ${str(p.after.name)} to the app ${p.app}.`,
      nl: (p) => `${p.actor} heeft de bestaande client ${str(p.after.name)} aan de app ${p.app} gekoppeld.`,
      fr: (p) => `${p.actor} a lié le client existant ${str(p.after.name)} à l’application ${p.app}.`,
      sv: (p) => `${p.actor} kopplade den befintliga klienten ${str(p.after.name)} till appen ${p.app}.`,
    },
  },
  'grants.replaced': {
    label: { en: 'API access changed', nl: 'API-toegang gewijzigd', fr: 'Accès aux API modifié', sv: 'API-åtkomst ändrad' },
    say: {
      en: (p) => `${p.actor} changed the ${p.api ? `${p.api} ` : ''}API access ${ofTarget.en(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de toegang tot ${p.api ? `de API ${p.api}` : 'de API’s'} ${ofTarget.nl(p)} gewijzigd${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a modifié l’accès ${p.api ? `à l’API ${p.api}` : 'aux API'} ${ofTarget.fr(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} ändrade åtkomsten till ${p.api ? `API:et ${p.api}` : 'API:erna'} ${ofTarget.sv(p)}${atPlaces.sv(p)}.`,
    },
  },
  'legacy_client.created': {
    label: { en: 'Legacy client created', nl: 'Bestaande koppeling aangemaakt', fr: 'Ancien client créé', sv: 'Äldre klient skapad' },
    say: {
      en: (p) => `${p.actor} created the legacy client ${clientName(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de bestaande koppeling ${clientName(p)} aangemaakt${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a créé l’ancien client ${clientName(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} skapade den äldre klienten ${clientName(p)}${atPlaces.sv(p)}.`,
    },
  },
  'legacy_client.grants_replaced': {
    label: {
      en: 'Legacy client scopes changed',
      nl: 'Toegang van bestaande koppeling gewijzigd',
      fr: 'Accès de l’ancien client modifié',
      sv: 'Den äldre klientens åtkomst ändrad',
    },
    say: {
      en: (p) => `${p.actor} changed the API access ${ofTarget.en(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de API-toegang ${ofTarget.nl(p)} gewijzigd${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a modifié l’accès aux API ${ofTarget.fr(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} ändrade API-åtkomsten ${ofTarget.sv(p)}${atPlaces.sv(p)}.`,
    },
  },
  'invitation.created': {
    label: { en: 'Invitation sent', nl: 'Uitnodiging verstuurd', fr: 'Invitation envoyée', sv: 'Inbjudan skickad' },
    say: {
      en: (p) => `${p.actor} invited ${email(p)} to give the app ${p.app} access.`,
      nl: (p) => `${p.actor} heeft ${email(p)} uitgenodigd om de app ${p.app} toegang te geven.`,
      fr: (p) => `${p.actor} a invité ${email(p)} à donner accès à l’application ${p.app}.`,
      sv: (p) => `${p.actor} bjöd in ${email(p)} att ge appen ${p.app} åtkomst.`,
    },
  },
  'invitation.expired': {
    label: { en: 'Invitation expired', nl: 'Uitnodiging verlopen', fr: 'Invitation expirée', sv: 'Inbjudan utgången' },
    say: {
      en: (p) => `${p.actor} closed the expired invitation to ${email(p)} for the app ${p.app}.`,
      nl: (p) => `${p.actor} heeft de verlopen uitnodiging aan ${email(p)} voor de app ${p.app} afgesloten.`,
      fr: (p) => `${p.actor} a clôturé l’invitation expirée de ${email(p)} pour l’application ${p.app}.`,
      sv: (p) => `${p.actor} stängde den utgångna inbjudan till ${email(p)} för appen ${p.app}.`,
    },
  },
  'partner.created': {
    label: { en: 'Partner profile created', nl: 'Partnerprofiel aangemaakt', fr: 'Profil partenaire créé', sv: 'Partnerprofil skapad' },
    say: {
      en: (p) => `${p.actor} created the partner profile ${p.partner}.`,
      nl: (p) => `${p.actor} heeft het partnerprofiel ${p.partner} aangemaakt.`,
      fr: (p) => `${p.actor} a créé le profil partenaire ${p.partner}.`,
      sv: (p) => `${p.actor} skapade partnerprofilen ${p.partner}.`,
    },
  },
  'partner.updated': {
    label: { en: 'Partner profile changed', nl: 'Partnerprofiel gewijzigd', fr: 'Profil partenaire modifié', sv: 'Partnerprofil ändrad' },
    say: {
      en: (p) => `${p.actor} changed the partner profile ${p.partner}.`,
      nl: (p) => `${p.actor} heeft het partnerprofiel ${p.partner} gewijzigd.`,
      fr: (p) => `${p.actor} a modifié le profil partenaire ${p.partner}.`,
      sv: (p) => `${p.actor} ändrade partnerprofilen ${p.partner}.`,
    },
  },
  'user.signed_up': {
    label: { en: 'Signed up', nl: 'Account aangemaakt', fr: 'Compte créé', sv: 'Konto skapat' },
    say: {
      en: (p) => `${p.actor} created an account.`,
      nl: (p) => `${p.actor} heeft een account aangemaakt.`,
      fr: (p) => `${p.actor} a créé un compte.`,
      sv: (p) => `${p.actor} skapade ett konto.`,
    },
  },
  'user.email_confirmed': {
    label: { en: 'E-mail address confirmed', nl: 'E-mailadres bevestigd', fr: 'Adresse e-mail confirmée', sv: 'E-postadress bekräftad' },
    say: {
      en: (p) => `${p.actor} confirmed their e-mail address.`,
      nl: (p) => `${p.actor} heeft het e-mailadres bevestigd.`,
      fr: (p) => `${p.actor} a confirmé son adresse e-mail.`,
      sv: (p) => `${p.actor} bekräftade sin e-postadress.`,
    },
  },
  'end_user_consent.given': {
    label: { en: 'Consent given', nl: 'Toestemming gegeven', fr: 'Consentement donné', sv: 'Samtycke givet' },
    say: {
      en: (p) => `${p.actor} gave the app ${p.app} consent${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de app ${p.app} toestemming gegeven${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a donné son consentement à l’application ${p.app}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} gav appen ${p.app} sitt samtycke${atPlaces.sv(p)}.`,
    },
  },
  'end_user_consent.updated': {
    label: { en: 'Consent changed', nl: 'Toestemming gewijzigd', fr: 'Consentement modifié', sv: 'Samtycke ändrat' },
    say: {
      en: (p) => `${p.actor} changed their consent for the app ${p.app}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de toestemming voor de app ${p.app} gewijzigd${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a modifié son consentement pour l’application ${p.app}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} ändrade sitt samtycke för appen ${p.app}${atPlaces.sv(p)}.`,
    },
  },
  'consent.withdrawn': {
    label: { en: 'Consent withdrawn', nl: 'Toestemming ingetrokken', fr: 'Consentement retiré', sv: 'Samtycke återkallat' },
    say: {
      en: (p) => `${p.actor} withdrew their consent for the app ${p.app}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de toestemming voor de app ${p.app} ingetrokken${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a retiré son consentement à l’application ${p.app}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} återkallade sitt samtycke för appen ${p.app}${atPlaces.sv(p)}.`,
    },
  },
  'ss12000.data_loaded': {
    label: { en: 'School data loaded', nl: 'Schoolgegevens geladen', fr: 'Données scolaires chargées', sv: 'Skoldata inläst' },
    say: {
      en: (p) =>
        `${p.actor} loaded school data: ${total(p.after.created)} new, ${total(p.after.updated)} changed and ${total(p.after.deleted)} removed records.`,
      nl: (p) =>
        `${p.actor} heeft schoolgegevens geladen: ${total(p.after.created)} nieuwe, ${total(p.after.updated)} gewijzigde en ${total(p.after.deleted)} verwijderde records.`,
      fr: (p) =>
        `${p.actor} a chargé des données scolaires\u202f: ${total(p.after.created)} nouveaux, ${total(p.after.updated)} modifiés et ${total(p.after.deleted)} supprimés.`,
      sv: (p) =>
        `${p.actor} läste in skoldata: ${total(p.after.created)} nya, ${total(p.after.updated)} ändrade och ${total(p.after.deleted)} borttagna poster.`,
    },
  },
  'ingestion_client.created': {
    label: { en: 'Data delivery client created', nl: 'Aanleverclient aangemaakt', fr: 'Client de chargement créé', sv: 'Inläsningsklient skapad' },
    say: {
      en: (p) => `${p.actor} created the data delivery client ${clientName(p)}.`,
      nl: (p) => `${p.actor} heeft de aanleverclient ${clientName(p)} aangemaakt.`,
      fr: (p) => `${p.actor} a créé le client de chargement ${clientName(p)}.`,
      sv: (p) => `${p.actor} skapade inläsningsklienten ${clientName(p)}.`,
    },
  },
  'ingestion_client.secret_rotated': {
    label: {
      en: 'Data delivery secret replaced',
      nl: 'Geheim van aanleverclient vervangen',
      fr: 'Secret du client de chargement remplacé',
      sv: 'Inläsningsklientens hemlighet bytt',
    },
    say: {
      en: (p) => `${p.actor} replaced the secret of the data delivery client ${clientName(p)}.`,
      nl: (p) => `${p.actor} heeft het geheim van de aanleverclient ${clientName(p)} vervangen.`,
      fr: (p) => `${p.actor} a remplacé le secret du client de chargement ${clientName(p)}.`,
      sv: (p) => `${p.actor} bytte hemligheten för inläsningsklienten ${clientName(p)}.`,
    },
  },
  'ingestion_client.revoked': {
    label: { en: 'Data delivery client revoked', nl: 'Aanleverclient ingetrokken', fr: 'Client de chargement révoqué', sv: 'Inläsningsklient återkallad' },
    say: {
      en: (p) => `${p.actor} revoked the data delivery client ${clientName(p)}.`,
      nl: (p) => `${p.actor} heeft de aanleverclient ${clientName(p)} ingetrokken.`,
      fr: (p) => `${p.actor} a révoqué le client de chargement ${clientName(p)}.`,
      sv: (p) => `${p.actor} återkallade inläsningsklienten ${clientName(p)}.`,
    },
  },
  'sis.users_imported': {
    label: { en: 'Users imported', nl: 'Gebruikers geïmporteerd', fr: 'Utilisateurs importés', sv: 'Användare importerade' },
    say: {
      en: (p) => `${p.actor} imported users from the school administration: ${total(p.after.created)} new, ${total(p.after.updated)} changed.`,
      nl: (p) =>
        `${p.actor} heeft gebruikers uit de leerlingenadministratie geïmporteerd: ${total(p.after.created)} nieuw, ${total(p.after.updated)} gewijzigd.`,
      fr: (p) =>
        `${p.actor} a importé des utilisateurs de l’administration scolaire\u202f: ${total(p.after.created)} nouveaux, ${total(p.after.updated)} modifiés.`,
      sv: (p) => `${p.actor} importerade användare från skoladministrationen: ${total(p.after.created)} nya, ${total(p.after.updated)} ändrade.`,
    },
  },
  'sis.rights_imported': {
    label: {
      en: 'Admin rights imported',
      nl: 'Beheerrechten geïmporteerd',
      fr: 'Droits d’administration importés',
      sv: 'Administratörsrättigheter importerade',
    },
    say: {
      en: (p) =>
        `${p.actor} imported ${total(p.after.rights)} admin rights of ${total(p.after.users)} users (${total(p.after.removed)} removed)${atPlaces.en(p)}.`,
      nl: (p) =>
        `${p.actor} heeft ${total(p.after.rights)} beheerrechten van ${total(p.after.users)} gebruikers geïmporteerd (${total(p.after.removed)} verwijderd)${atPlaces.nl(p)}.`,
      fr: (p) =>
        `${p.actor} a importé ${total(p.after.rights)} droits d’administration de ${total(p.after.users)} utilisateurs (${total(p.after.removed)} retirés)${atPlaces.fr(p)}.`,
      sv: (p) =>
        `${p.actor} importerade ${total(p.after.rights)} administratörsrättigheter för ${total(p.after.users)} användare (${total(p.after.removed)} borttagna)${atPlaces.sv(p)}.`,
    },
  },
  'sis.institutions_imported': {
    label: { en: 'Institutions imported', nl: 'Instellingen geïmporteerd', fr: 'Établissements importés', sv: 'Enheter importerade' },
    say: {
      en: (p) => `${p.actor} imported ${total(p.after.upserted)} institutions from the school administration.`,
      nl: (p) => `${p.actor} heeft ${total(p.after.upserted)} instellingen uit de leerlingenadministratie geïmporteerd.`,
      fr: (p) => `${p.actor} a importé ${total(p.after.upserted)} établissements de l’administration scolaire.`,
      sv: (p) => `${p.actor} importerade ${total(p.after.upserted)} enheter från skoladministrationen.`,
    },
  },
  'signing_key.created': {
    label: { en: 'Signing key created', nl: 'Ondertekeningssleutel aangemaakt', fr: 'Clé de signature créée', sv: 'Signeringsnyckel skapad' },
    say: {
      en: (p) => `${p.actor} created the signing key ${str(p.after.kid)}.`,
      nl: (p) => `${p.actor} heeft de ondertekeningssleutel ${str(p.after.kid)} aangemaakt.`,
      fr: (p) => `${p.actor} a créé la clé de signature ${str(p.after.kid)}.`,
      sv: (p) => `${p.actor} skapade signeringsnyckeln ${str(p.after.kid)}.`,
    },
  },
  'signing_key.rotated': {
    label: { en: 'Signing keys rotated', nl: 'Ondertekeningssleutels vervangen', fr: 'Clés de signature renouvelées', sv: 'Signeringsnycklar bytta' },
    say: {
      en: (p) => `${p.actor} rotated the signing keys: ${str((p.after.active as unknown[] | undefined)?.[0])} signs from now on.`,
      nl: (p) => `${p.actor} heeft de ondertekeningssleutels vervangen: ${str((p.after.active as unknown[] | undefined)?.[0])} ondertekent voortaan.`,
      fr: (p) => `${p.actor} a renouvelé les clés de signature\u202f: ${str((p.after.active as unknown[] | undefined)?.[0])} signe désormais.`,
      sv: (p) => `${p.actor} bytte signeringsnycklar: ${str((p.after.active as unknown[] | undefined)?.[0])} signerar från och med nu.`,
    },
  },
  'database.restored': {
    label: { en: 'Database restored', nl: 'Database hersteld', fr: 'Base de données restaurée', sv: 'Databasen återställd' },
    say: {
      en: (p) => `${p.actor} restored the database from the backup ${str(p.after.file)}.`,
      nl: (p) => `${p.actor} heeft de database hersteld uit de back-up ${str(p.after.file)}.`,
      fr: (p) => `${p.actor} a restauré la base de données depuis la sauvegarde ${str(p.after.file)}.`,
      sv: (p) => `${p.actor} återställde databasen från säkerhetskopian ${str(p.after.file)}.`,
    },
  },
  'identity_provider.created': {
    label: { en: 'Sign-in provider added', nl: 'Aanmeldprovider toegevoegd', fr: 'Fournisseur de connexion ajouté', sv: 'Inloggningstjänst tillagd' },
    say: {
      en: (p) => `${p.actor} added the sign-in provider ${providerName(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de aanmeldprovider ${providerName(p)} toegevoegd${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a ajouté le fournisseur de connexion ${providerName(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} lade till inloggningstjänsten ${providerName(p)}${atPlaces.sv(p)}.`,
    },
  },
  'identity_provider.updated': {
    label: { en: 'Sign-in provider changed', nl: 'Aanmeldprovider gewijzigd', fr: 'Fournisseur de connexion modifié', sv: 'Inloggningstjänst ändrad' },
    say: {
      en: (p) => `${p.actor} changed the sign-in provider ${providerName(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de aanmeldprovider ${providerName(p)} gewijzigd${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a modifié le fournisseur de connexion ${providerName(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} ändrade inloggningstjänsten ${providerName(p)}${atPlaces.sv(p)}.`,
    },
  },
  'identity_provider.deleted': {
    label: { en: 'Sign-in provider removed', nl: 'Aanmeldprovider verwijderd', fr: 'Fournisseur de connexion supprimé', sv: 'Inloggningstjänst borttagen' },
    say: {
      en: (p) => `${p.actor} removed the sign-in provider ${providerName(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de aanmeldprovider ${providerName(p)} verwijderd${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a supprimé le fournisseur de connexion ${providerName(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} tog bort inloggningstjänsten ${providerName(p)}${atPlaces.sv(p)}.`,
    },
  },
  'grants.suspended': {
    label: { en: 'App switched off', nl: 'App uitgeschakeld', fr: 'Application désactivée', sv: 'App avstängd' },
    say: {
      en: (p) => `${p.actor} switched off ${target.en(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft ${target.nl(p)} uitgeschakeld${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a désactivé ${target.fr(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} stängde av ${target.sv(p)}${atPlaces.sv(p)}.`,
    },
  },
  'grants.restored': {
    label: { en: 'App switched on again', nl: 'App weer ingeschakeld', fr: 'Application réactivée', sv: 'App påslagen igen' },
    say: {
      en: (p) => `${p.actor} switched ${target.en(p)} on again${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft ${target.nl(p)} weer ingeschakeld${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a réactivé ${target.fr(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} slog på ${target.sv(p)} igen${atPlaces.sv(p)}.`,
    },
  },
  'grants.sandbox_granted': {
    label: { en: 'Sandbox access granted', nl: 'Toegang tot de sandbox gegeven', fr: 'Accès au bac à sable accordé', sv: 'Åtkomst till sandlådan beviljad' },
    say: {
      en: (p) => `${p.actor} gave ${target.en(p)} access to the developer sandbox${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft ${target.nl(p)} toegang gegeven tot de ontwikkelaarssandbox${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a donné à ${target.fr(p)} l’accès au bac à sable des développeurs${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} gav ${target.sv(p)} åtkomst till utvecklarsandlådan${atPlaces.sv(p)}.`,
    },
  },
  'grants.sandbox_revoked': {
    label: {
      en: 'Sandbox access removed',
      nl: 'Toegang tot de sandbox ingetrokken',
      fr: 'Accès au bac à sable retiré',
      sv: 'Åtkomst till sandlådan borttagen',
    },
    say: {
      en: (p) => `${p.actor} removed the developer sandbox access ${ofTarget.en(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft de toegang tot de ontwikkelaarssandbox ${ofTarget.nl(p)} ingetrokken${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a retiré l’accès au bac à sable des développeurs ${ofTarget.fr(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} tog bort åtkomsten till utvecklarsandlådan ${ofTarget.sv(p)}${atPlaces.sv(p)}.`,
    },
  },
  'catalog.api_added': {
    label: { en: 'API added to the catalog', nl: 'API aan de catalogus toegevoegd', fr: 'API ajoutée au catalogue', sv: 'API tillagt i katalogen' },
    say: {
      en: (p) => `${p.actor} added to the API catalog the API ${catalogCode(p)}.`,
      nl: (p) => `${p.actor} heeft de API ${catalogCode(p)} aan de API-catalogus toegevoegd.`,
      fr: (p) => `${p.actor} a ajouté au catalogue l’API ${catalogCode(p)}.`,
      sv: (p) => `${p.actor} lade till API:et ${catalogCode(p)}.`,
    },
  },
  'catalog.api_changed': {
    label: { en: 'Catalog API changed', nl: 'API in de catalogus gewijzigd', fr: 'API du catalogue modifiée', sv: 'API i katalogen ändrat' },
    say: {
      en: (p) => `${p.actor} changed in the API catalog the API ${catalogCode(p)}.`,
      nl: (p) => `${p.actor} heeft de API ${catalogCode(p)} in de API-catalogus gewijzigd.`,
      fr: (p) => `${p.actor} a modifié dans le catalogue l’API ${catalogCode(p)}.`,
      sv: (p) => `${p.actor} ändrade i katalogen API:et ${catalogCode(p)}.`,
    },
  },
  'catalog.api_removed': {
    label: { en: 'API removed from the catalog', nl: 'API uit de catalogus verwijderd', fr: 'API retirée du catalogue', sv: 'API borttaget ur katalogen' },
    say: {
      en: (p) => `${p.actor} removed from the API catalog the API ${catalogCode(p)}.`,
      nl: (p) => `${p.actor} heeft de API ${catalogCode(p)} uit de API-catalogus verwijderd.`,
      fr: (p) => `${p.actor} a retiré du catalogue l’API ${catalogCode(p)}.`,
      sv: (p) => `${p.actor} tog bort ur katalogen API:et ${catalogCode(p)}.`,
    },
  },
  'catalog.category_added': {
    label: { en: 'Data category added', nl: 'Gegevenscategorie toegevoegd', fr: 'Catégorie de données ajoutée', sv: 'Datakategori tillagd' },
    say: {
      en: (p) => `${p.actor} added to the API catalog the data category ${catalogCode(p)}.`,
      nl: (p) => `${p.actor} heeft de gegevenscategorie ${catalogCode(p)} aan de API-catalogus toegevoegd.`,
      fr: (p) => `${p.actor} a ajouté au catalogue la catégorie de données ${catalogCode(p)}.`,
      sv: (p) => `${p.actor} lade till i katalogen datakategorin ${catalogCode(p)}.`,
    },
  },
  'catalog.category_changed': {
    label: { en: 'Data category changed', nl: 'Gegevenscategorie gewijzigd', fr: 'Catégorie de données modifiée', sv: 'Datakategori ändrad' },
    say: {
      en: (p) => `${p.actor} changed in the API catalog the data category ${catalogCode(p)}.`,
      nl: (p) => `${p.actor} heeft de gegevenscategorie ${catalogCode(p)} in de API-catalogus gewijzigd.`,
      fr: (p) => `${p.actor} a modifié dans le catalogue la catégorie de données ${catalogCode(p)}.`,
      sv: (p) => `${p.actor} ändrade i katalogen datakategorin ${catalogCode(p)}.`,
    },
  },
  'catalog.category_removed': {
    label: { en: 'Data category removed', nl: 'Gegevenscategorie verwijderd', fr: 'Catégorie de données retirée', sv: 'Datakategori borttagen' },
    say: {
      en: (p) => `${p.actor} removed from the API catalog the data category ${catalogCode(p)}.`,
      nl: (p) => `${p.actor} heeft de gegevenscategorie ${catalogCode(p)} uit de API-catalogus verwijderd.`,
      fr: (p) => `${p.actor} a retiré du catalogue la catégorie de données ${catalogCode(p)}.`,
      sv: (p) => `${p.actor} tog bort ur katalogen datakategorin ${catalogCode(p)}.`,
    },
  },
  'sandbox.created': {
    label: { en: 'Developer sandbox created', nl: 'Ontwikkelaarssandbox aangemaakt', fr: 'Bac à sable des développeurs créé', sv: 'Utvecklarsandlåda skapad' },
    say: {
      en: (p) => `${p.actor} created the developer sandbox${atPlaces.en(p)}, with generated data every approved app may read.`,
      nl: (p) => `${p.actor} heeft de ontwikkelaarssandbox aangemaakt${atPlaces.nl(p)}, met gegenereerde gegevens die elke goedgekeurde app mag lezen.`,
      fr: (p) => `${p.actor} a créé le bac à sable des développeurs${atPlaces.fr(p)}, avec des données générées que toute application approuvée peut lire.`,
      sv: (p) => `${p.actor} skapade utvecklarsandlådan${atPlaces.sv(p)}, med genererade data som varje godkänd app får läsa.`,
    },
  },
  'sandbox.removed': {
    label: {
      en: 'Developer sandbox removed',
      nl: 'Ontwikkelaarssandbox verwijderd',
      fr: 'Bac à sable des développeurs supprimé',
      sv: 'Utvecklarsandlåda borttagen',
    },
    say: {
      en: (p) => `${p.actor} removed the developer sandbox${atPlaces.en(p)} and every app's access to it.`,
      nl: (p) => `${p.actor} heeft de ontwikkelaarssandbox${atPlaces.nl(p)} verwijderd, met de toegang van elke app ertoe.`,
      fr: (p) => `${p.actor} a supprimé le bac à sable des développeurs${atPlaces.fr(p)} et l’accès de chaque application.`,
      sv: (p) => `${p.actor} tog bort utvecklarsandlådan${atPlaces.sv(p)} och varje apps åtkomst till den.`,
    },
  },
  // Issue 17 leftovers: the subscription sweep (src/modules/ss12000/subscription-sweep.ts).
  'subscription.expired': {
    label: {
      en: 'Expired subscription removed',
      nl: 'Verlopen abonnement verwijderd',
      fr: 'Abonnement expiré supprimé',
      sv: 'Utgången prenumeration borttagen',
    },
    say: {
      en: (p) => `${p.actor} removed the subscription “${str(p.before.name)}” ${ofTarget.en(p)}, expired on ${str(p.before.expires)} and not renewed.`,
      nl: (p) => `${p.actor} heeft het abonnement “${str(p.before.name)}” ${ofTarget.nl(p)} verwijderd, verlopen op ${str(p.before.expires)} en niet verlengd.`,
      fr: (p) => `${p.actor} a supprimé l’abonnement « ${str(p.before.name)} » ${ofTarget.fr(p)}, expiré le ${str(p.before.expires)} et non renouvelé.`,
      sv: (p) => `${p.actor} tog bort prenumerationen ”${str(p.before.name)}” ${ofTarget.sv(p)}, som gick ut ${str(p.before.expires)} utan att förnyas.`,
    },
  },
  // Issue 17, point 4: a client's write through the SS 12000 API (src/modules/ss12000/writes.ts).
  'ss12000.record_written': {
    label: {
      en: 'School data written by an app',
      nl: 'Schoolgegevens geschreven door een app',
      fr: 'Données scolaires écrites par une application',
      sv: 'Skoldata skrivna av en app',
    },
    say: {
      en: (p) => `${p.actor} wrote a record (${str(p.after.entity)}) through ${target.en(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft een record (${str(p.after.entity)}) geschreven via ${target.nl(p)}${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a écrit un enregistrement (${str(p.after.entity)}) par ${target.fr(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} skrev en post (${str(p.after.entity)}) genom ${target.sv(p)}${atPlaces.sv(p)}.`,
    },
  },
  'ss12000.record_deleted': {
    label: {
      en: 'School data deleted by an app',
      nl: 'Schoolgegevens verwijderd door een app',
      fr: 'Données scolaires supprimées par une application',
      sv: 'Skoldata borttagna av en app',
    },
    say: {
      en: (p) => `${p.actor} deleted a record (${str(p.before.entity)}) through ${target.en(p)}${atPlaces.en(p)}.`,
      nl: (p) => `${p.actor} heeft een record (${str(p.before.entity)}) verwijderd via ${target.nl(p)}${atPlaces.nl(p)}.`,
      fr: (p) => `${p.actor} a supprimé un enregistrement (${str(p.before.entity)}) par ${target.fr(p)}${atPlaces.fr(p)}.`,
      sv: (p) => `${p.actor} tog bort en post (${str(p.before.entity)}) genom ${target.sv(p)}${atPlaces.sv(p)}.`,
    },
  },
} satisfies Record<string, AuditEventDeclaration>;

/** An action that has a declaration. */
export type AuditAction = keyof typeof AUDIT_EVENTS;

/** Whether `action` is declared (rows written before a declaration existed still render, generically). */
export const isDeclaredAction = (action: string): action is AuditAction => Object.hasOwn(AUDIT_EVENTS, action);

/** Sentence for a row whose action has no declaration (an old row): still words, naming the code. */
export const UNDECLARED: Record<Language, (p: SentenceParts, action: string) => string> = {
  en: (p, action) => `${p.actor}: ${action}${p.app ? ` (app ${p.app})` : ''}.`,
  nl: (p, action) => `${p.actor}: ${action}${p.app ? ` (app ${p.app})` : ''}.`,
  fr: (p, action) => `${p.actor}\u202f: ${action}${p.app ? ` (application ${p.app})` : ''}.`,
  sv: (p, action) => `${p.actor}: ${action}${p.app ? ` (appen ${p.app})` : ''}.`,
};

/** The words around a sentence, per language. */
export const FRAME: Record<
  Language,
  {
    reason: (r: string) => string;
    places: (places: string) => string;
    endUser: (sub: string) => string;
    andMore: (n: number) => string;
    yes: string;
    no: string;
    none: string;
    /** "label: value" (French puts a narrow no-break space before the colon). */
    labelled: (label: string, value: string) => string;
  }
> = {
  en: {
    reason: (r) => `Reason: ${r}`,
    places: (x) => `Institutions concerned: ${x}.`,
    endUser: (sub) => `End user ${sub}`,
    andMore: (n) => `and ${n} more`,
    yes: 'yes',
    no: 'no',
    none: '—',
    labelled: (l, v) => `${l}: ${v}`,
  },
  nl: {
    reason: (r) => `Reden: ${r}`,
    places: (x) => `Betrokken instellingen: ${x}.`,
    endUser: (sub) => `Eindgebruiker ${sub}`,
    andMore: (n) => `en nog ${n}`,
    yes: 'ja',
    no: 'nee',
    none: '—',
    labelled: (l, v) => `${l}: ${v}`,
  },
  fr: {
    reason: (r) => `Motif\u202f: ${r}`,
    places: (x) => `Établissements concernés\u202f: ${x}.`,
    endUser: (sub) => `L’utilisateur final ${sub}`,
    andMore: (n) => `et ${n} autres`,
    yes: 'oui',
    no: 'non',
    none: '—',
    labelled: (l, v) => `${l}\u202f: ${v}`,
  },
  sv: {
    reason: (r) => `Anledning: ${r}`,
    places: (x) => `Berörda enheter: ${x}.`,
    endUser: (sub) => `Slutanvändare ${sub}`,
    andMore: (n) => `och ${n} till`,
    yes: 'ja',
    no: 'nej',
    none: '—',
    labelled: (l, v) => `${l}: ${v}`,
  },
};

/**
 * Labels of the fields a before/after document holds, per language; a field without a label shows
 * its key. Secrets never reach a diff (`withoutSecrets`).
 */
export const FIELD_LABELS: Record<Language, Record<string, string>> = {
  en: {
    name: 'Name',
    description: 'Description',
    contactEmail: 'Contact e-mail',
    status: 'Status',
    redirectUris: 'Redirect URIs',
    clientType: 'Client type',
    apis: 'APIs',
    website: 'Website',
    public: 'Public',
    firstMember: 'First member',
    institutionNumbers: 'Institutions',
    accessGroupIds: 'Access groups',
    apiCode: 'API',
    grants: 'Grants',
    requestsPerMinute: 'Requests per minute',
    role: 'Role',
    scopes: 'Scopes',
    dataCategories: 'Data categories',
    readWrite: 'Read-write at',
    accessLevel: 'Access',
    withdrawnAt: 'Withdrawn at',
    revokedOidcRecords: 'Sign-in records ended',
    oidcGrantId: 'Sign-in grant',
    email: 'E-mail',
    displayName: 'Name',
    expiresAt: 'Expires',
    createdAt: 'Created',
    lastUsedAt: 'Last used',
    link: 'Link',
    hint: 'Secret ends in',
    secretId: 'Secret',
    liveSecrets: 'Live secrets',
    newSecret: 'New secret',
    previousSecret: 'Previous secret',
    endedNow: 'Ended now',
    created: 'New',
    updated: 'Changed',
    deleted: 'Removed',
    users: 'Users',
    rights: 'Rights',
    removed: 'Removed',
    mode: 'Mode',
    upserted: 'Institutions',
    kid: 'Key',
    active: 'Signing keys',
    retired: 'Retired keys',
    verifiesUntil: 'Still verifies until',
    boardId: 'School board',
    issuer: 'Issuer',
    clientId: 'Client',
    personClaim: 'Person claim',
    passwordAllowed: 'Password sign-in allowed',
    secretChanged: 'Secret changed',
    file: 'File',
    backupCreatedAt: 'Backup made',
    lastMigration: 'Last migration',
    sessionsEnded: 'Sessions ended',
    origin: 'Origin',
    appId: 'App',
    appName: 'App',
    notes: 'Notes',
  },
  nl: {
    name: 'Naam',
    description: 'Beschrijving',
    contactEmail: 'Contact-e-mail',
    status: 'Status',
    redirectUris: 'Redirect-URI’s',
    clientType: 'Soort client',
    apis: 'API’s',
    website: 'Website',
    public: 'Openbaar',
    firstMember: 'Eerste lid',
    institutionNumbers: 'Instellingen',
    accessGroupIds: 'Toegangsgroepen',
    apiCode: 'API',
    grants: 'Toegang',
    requestsPerMinute: 'Verzoeken per minuut',
    role: 'Rol',
    scopes: 'Scopes',
    dataCategories: 'Gegevenscategorieën',
    readWrite: 'Lezen en schrijven in',
    accessLevel: 'Toegang',
    withdrawnAt: 'Ingetrokken op',
    revokedOidcRecords: 'Beëindigde aanmeldgegevens',
    oidcGrantId: 'Aanmeldtoestemming',
    email: 'E-mail',
    displayName: 'Naam',
    expiresAt: 'Verloopt',
    createdAt: 'Aangemaakt',
    lastUsedAt: 'Laatst gebruikt',
    link: 'Link',
    hint: 'Geheim eindigt op',
    secretId: 'Geheim',
    liveSecrets: 'Geldige geheimen',
    newSecret: 'Nieuw geheim',
    previousSecret: 'Vorig geheim',
    endedNow: 'Nu beëindigd',
    created: 'Nieuw',
    updated: 'Gewijzigd',
    deleted: 'Verwijderd',
    users: 'Gebruikers',
    rights: 'Rechten',
    removed: 'Verwijderd',
    mode: 'Modus',
    upserted: 'Instellingen',
    kid: 'Sleutel',
    active: 'Ondertekeningssleutels',
    retired: 'Buiten gebruik gestelde sleutels',
    verifiesUntil: 'Controleert nog tot',
    boardId: 'Schoolbestuur',
    issuer: 'Uitgever',
    clientId: 'Client',
    personClaim: 'Persoonsclaim',
    passwordAllowed: 'Aanmelden met wachtwoord toegestaan',
    secretChanged: 'Geheim gewijzigd',
    file: 'Bestand',
    backupCreatedAt: 'Back-up gemaakt',
    lastMigration: 'Laatste migratie',
    sessionsEnded: 'Beëindigde sessies',
    origin: 'Herkomst',
    appId: 'App',
    appName: 'App',
    notes: 'Opmerkingen',
  },
  fr: {
    name: 'Nom',
    description: 'Description',
    contactEmail: 'E-mail de contact',
    status: 'Statut',
    redirectUris: 'URI de redirection',
    clientType: 'Type de client',
    apis: 'API',
    website: 'Site web',
    public: 'Public',
    firstMember: 'Premier membre',
    institutionNumbers: 'Établissements',
    accessGroupIds: 'Groupes d’accès',
    apiCode: 'API',
    grants: 'Accès',
    requestsPerMinute: 'Requêtes par minute',
    role: 'Rôle',
    scopes: 'Portées',
    dataCategories: 'Catégories de données',
    readWrite: 'Lecture-écriture à',
    accessLevel: 'Accès',
    withdrawnAt: 'Retiré le',
    revokedOidcRecords: 'Données de connexion supprimées',
    oidcGrantId: 'Autorisation de connexion',
    email: 'E-mail',
    displayName: 'Nom',
    expiresAt: 'Expire le',
    createdAt: 'Créé le',
    lastUsedAt: 'Dernière utilisation',
    link: 'Lien',
    hint: 'Le secret se termine par',
    secretId: 'Secret',
    liveSecrets: 'Secrets valables',
    newSecret: 'Nouveau secret',
    previousSecret: 'Ancien secret',
    endedNow: 'Clos maintenant',
    created: 'Nouveaux',
    updated: 'Modifiés',
    deleted: 'Supprimés',
    users: 'Utilisateurs',
    rights: 'Droits',
    removed: 'Retirés',
    mode: 'Mode',
    upserted: 'Établissements',
    kid: 'Clé',
    active: 'Clés de signature',
    retired: 'Clés retirées',
    verifiesUntil: 'Vérifie encore jusqu’au',
    boardId: 'Pouvoir organisateur',
    issuer: 'Émetteur',
    clientId: 'Client',
    personClaim: 'Attribut de la personne',
    passwordAllowed: 'Connexion par mot de passe autorisée',
    secretChanged: 'Secret modifié',
    file: 'Fichier',
    backupCreatedAt: 'Sauvegarde faite le',
    lastMigration: 'Dernière migration',
    sessionsEnded: 'Sessions fermées',
    origin: 'Origine',
    appId: 'Application',
    appName: 'Application',
    notes: 'Remarques',
  },
  sv: {
    name: 'Namn',
    description: 'Beskrivning',
    contactEmail: 'Kontaktadress',
    status: 'Status',
    redirectUris: 'Omdirigerings-URI:er',
    clientType: 'Klienttyp',
    apis: 'API:er',
    website: 'Webbplats',
    public: 'Offentlig',
    firstMember: 'Första medlem',
    institutionNumbers: 'Enheter',
    accessGroupIds: 'Åtkomstgrupper',
    apiCode: 'API',
    grants: 'Åtkomst',
    requestsPerMinute: 'Anrop per minut',
    role: 'Roll',
    scopes: 'Omfång',
    dataCategories: 'Datakategorier',
    readWrite: 'Läsa och skriva vid',
    accessLevel: 'Åtkomst',
    withdrawnAt: 'Återkallat',
    revokedOidcRecords: 'Avslutade inloggningsposter',
    oidcGrantId: 'Inloggningsmedgivande',
    email: 'E-post',
    displayName: 'Namn',
    expiresAt: 'Går ut',
    createdAt: 'Skapad',
    lastUsedAt: 'Senast använd',
    link: 'Länk',
    hint: 'Hemligheten slutar på',
    secretId: 'Hemlighet',
    liveSecrets: 'Giltiga hemligheter',
    newSecret: 'Ny hemlighet',
    previousSecret: 'Förra hemligheten',
    endedNow: 'Avslutad nu',
    created: 'Nya',
    updated: 'Ändrade',
    deleted: 'Borttagna',
    users: 'Användare',
    rights: 'Rättigheter',
    removed: 'Borttagna',
    mode: 'Läge',
    upserted: 'Enheter',
    kid: 'Nyckel',
    active: 'Signeringsnycklar',
    retired: 'Pensionerade nycklar',
    verifiesUntil: 'Verifierar till',
    boardId: 'Huvudman',
    issuer: 'Utfärdare',
    clientId: 'Klient',
    personClaim: 'Personattribut',
    passwordAllowed: 'Inloggning med lösenord tillåten',
    secretChanged: 'Hemligheten ändrad',
    file: 'Fil',
    backupCreatedAt: 'Säkerhetskopia gjord',
    lastMigration: 'Senaste migrering',
    sessionsEnded: 'Avslutade sessioner',
    origin: 'Ursprung',
    appId: 'App',
    appName: 'App',
    notes: 'Anteckningar',
  },
};

/** Words for coded values in a before/after (app status, client origin and type, import mode). */
export const VALUE_LABELS: Record<Language, Record<string, string>> = {
  en: {
    draft: 'Draft',
    submitted: 'Submitted',
    approved: 'Approved',
    rejected: 'Rejected',
    suspended: 'Suspended',
    archived: 'Archived',
    app: 'app',
    legacy: 'legacy',
    ingestion: 'data delivery',
    confidential: 'confidential (with a secret)',
    public: 'public (PKCE, no secret)',
    replace: 'replace',
    merge: 'add',
  },
  nl: {
    draft: 'Concept',
    submitted: 'Ingediend',
    approved: 'Goedgekeurd',
    rejected: 'Afgekeurd',
    suspended: 'Geschorst',
    archived: 'Gearchiveerd',
    app: 'app',
    legacy: 'bestaande koppeling',
    ingestion: 'aanlevering',
    confidential: 'vertrouwelijk (met geheim)',
    public: 'openbaar (PKCE, zonder geheim)',
    replace: 'vervangen',
    merge: 'toevoegen',
  },
  fr: {
    draft: 'Brouillon',
    submitted: 'Soumise',
    approved: 'Approuvée',
    rejected: 'Refusée',
    suspended: 'Suspendue',
    archived: 'Archivée',
    app: 'application',
    legacy: 'ancien client',
    ingestion: 'chargement de données',
    confidential: 'confidentiel (avec secret)',
    public: 'public (PKCE, sans secret)',
    replace: 'remplacer',
    merge: 'ajouter',
  },
  sv: {
    draft: 'Utkast',
    submitted: 'Inskickad',
    approved: 'Godkänd',
    rejected: 'Avslagen',
    suspended: 'Tillfälligt avstängd',
    archived: 'Arkiverad',
    app: 'app',
    legacy: 'äldre klient',
    ingestion: 'inläsning',
    confidential: 'konfidentiell (med hemlighet)',
    public: 'publik (PKCE, utan hemlighet)',
    replace: 'ersätt',
    merge: 'lägg till',
  },
};

/** Column headers of the CSV export, per language (same order as `csvRow` in csv.ts). */
export const CSV_HEADERS: Record<Language, readonly string[]> = {
  en: ['When (UTC)', 'Who', 'Action', 'What happened', 'App', 'Partner', 'Institutions', 'Reason', 'Changes'],
  nl: ['Wanneer (UTC)', 'Wie', 'Actie', 'Wat er gebeurde', 'App', 'Partner', 'Instellingen', 'Reden', 'Wijzigingen'],
  fr: ['Quand (UTC)', 'Qui', 'Action', 'Ce qui s’est passé', 'Application', 'Partenaire', 'Établissements', 'Motif', 'Modifications'],
  sv: ['När (UTC)', 'Vem', 'Åtgärd', 'Vad som hände', 'App', 'Partner', 'Enheter', 'Anledning', 'Ändringar'],
};
