import { facts, link, list, p, type Block } from '../render.ts';
import { grantsChangedBlocks, type GrantsChangedWords } from './grants-changed.ts';
import type { Translation } from '../templates.ts';

const optional = (label: string, value: string | null): Block[] => (value ? [facts([label, value])] : []);

/** The words of a `grants_changed` mail (its shape: `grantsChangedBlocks`). */
const grantsChangedWords: GrantsChangedWords = {
  intro: (appName, apiName) => `L'accès de votre application ${appName} à l'API ${apiName} a été modifié.`,
  added: 'Accès accordé pour :',
  removed: 'Accès retiré pour :',
  levelChanged: "Niveau d'accès modifié pour :",
  at: 'à',
  colon: ' :',
  levels: { read: 'lecture seule', read_write: 'lecture et écriture' },
  fromTo: (from, to) => `de ${from} à ${to}`,
  changedBy: 'Modifié par',
  when: 'Quand',
  reason: 'Motif',
  noReason: '(aucun)',
  removedTakesEffect: 'Un accès retiré prend effet immédiatement : la requête suivante pour ces données est refusée.',
  loweredTakesEffect: "Un niveau abaissé prend effet immédiatement : l'écriture suivante est refusée.",
};
/** Français. */
export const fr: Translation = {
  frame: {
    locale: 'fr-BE',
    greeting: 'Bonjour,',
    signoff: ['Cordialement,', 'Schoolgate'],
    footer: 'Ce message a été envoyé automatiquement ; les réponses ne sont pas lues.',
    colon: ' :',
    apiNames: { students: 'Élèves', staff: 'Personnel', boarders: 'Internes', invoices: 'Factures', pre_enrolments: 'Préinscriptions' },
  },
  templates: {
    signup_existing_account: ({ displayName, signInUrl }) => ({
      greeting: `Bonjour ${displayName},`,
      subject: 'Schoolgate — Quelqu’un a tenté de s’inscrire avec votre adresse',
      blocks: [
        p('Quelqu’un vient d’essayer de créer un compte Schoolgate avec cette adresse e-mail. Vous avez déjà un compte : rien n’a été créé.'),
        link('Se connecter', signInUrl),
        p('Si ce n’était pas vous, vous pouvez ignorer ce message ; votre compte n’a pas changé.'),
      ],
    }),
    email_confirmation: ({ displayName, confirmUrl }) => ({
      subject: 'Schoolgate – Confirmez votre adresse e-mail',
      greeting: `Bonjour ${displayName},`,
      blocks: [
        p('Bienvenue sur Schoolgate. Confirmez que cette adresse e-mail vous appartient pour activer votre compte partenaire.'),
        link('Confirmer mon adresse e-mail', confirmUrl),
        p('Si vous ne vous êtes pas inscrit sur Schoolgate, vous pouvez ignorer ce message.'),
      ],
    }),
    app_approved: ({ appName, partnerName, clientId, appUrl, notes }) => ({
      subject: `Schoolgate – Votre application ${appName} a été approuvée`,
      blocks: [
        p(`Bonne nouvelle : l'application ${appName} de ${partnerName} a été approuvée et son client OAuth a été créé.`),
        facts(['Identifiant client', clientId]),
        p("Le secret client ne s'affiche qu'une seule fois, dans le portail partenaire ; il n'est jamais envoyé par e-mail."),
        ...optional("Remarques d'accréditation", notes),
        link("Ouvrir l'application", appUrl),
        p(
          "Les écoles peuvent maintenant accorder l'accès à votre application : invitez leurs administrateurs depuis la page de l'application. " +
            "Tant qu'aucune école n'a accordé l'accès, l'application ne reçoit aucune donnée.",
        ),
      ],
    }),
    app_rejected: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Votre application ${appName} n'a pas été approuvée`,
      blocks: [
        p(`L'application ${appName} de ${partnerName} n'a pas été approuvée.`),
        facts(['Motif', reason]),
        p("Vous pouvez modifier l'application et la soumettre à nouveau."),
      ],
    }),
    app_suspended: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Votre application ${appName} a été suspendue`,
      blocks: [
        p(
          `L'application ${appName} de ${partnerName} a été suspendue. Elle ne reçoit plus de jetons d'accès ni de données scolaires ; les autorisations des écoles sont conservées.`,
        ),
        ...optional('Motif', reason),
        p("Contactez l'opérateur si vous avez des questions."),
      ],
    }),
    app_reapproved: ({ appName, partnerName, notes }) => ({
      subject: `Schoolgate – Votre application ${appName} est de nouveau active`,
      blocks: [
        p(
          `L'application ${appName} de ${partnerName} a été approuvée à nouveau. Elle peut de nouveau obtenir des jetons d'accès et lit les données que les écoles ont autorisées.`,
        ),
        ...optional('Remarques', notes),
      ],
    }),
    app_archived: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate – Votre application ${appName} a été archivée`,
      blocks: [
        p(`L'application ${appName} de ${partnerName} a été archivée. Elle ne reçoit plus de jetons d'accès ni de données scolaires.`),
        ...optional('Motif', reason),
      ],
    }),
    invitation: ({ appName, partnerName, link: url, expiresAt, apis, apiCodes, purposes }, f) => ({
      subject: `Schoolgate – Accès aux données pour l'application ${appName}`,
      blocks: [
        p(`${partnerName} demande à votre école d'accorder à son application ${appName} l'accès à des données.`),
        ...(apis.length
          ? [
              list(
                'API demandées :',
                apis.map((name, i) => (purposes?.[i] ? `${f.api(apiCodes?.[i], name)} : ${purposes[i]}` : f.api(apiCodes?.[i], name))),
              ),
            ]
          : []),
        p(
          "Ouvrez la page de l'application dans le back-office de l'école pour examiner la demande et décider quels établissements partagent quelles données. " +
            "Il vous faut l'accès à la gestion des utilisateurs et le droit d'administrateur correspondant.",
        ),
        link("Ouvrir la page de l'application", url),
        p(`Ce lien est valable jusqu'au ${f.dateTime(expiresAt)}.`),
        p(
          "Si vous n'attendiez pas cette demande, vous pouvez ignorer ce message : rien n'est partagé tant qu'un administrateur de l'école n'accorde pas l'accès.",
        ),
      ],
    }),
    grants_changed: (d, f) => ({
      subject: `Schoolgate – Accès aux données de ${d.appName} modifié (${d.apiName})`,
      blocks: grantsChangedBlocks(grantsChangedWords, d, f),
    }),
    app_switched_off: ({ appName, grants, changedBy, reason, at }, f) => ({
      subject: `Schoolgate – ${appName} désactivée par une école`,
      blocks: [
        p(`Un administrateur d'école a désactivé votre application ${appName} pour ses établissements. Son accès y est interrompu.`),
        list(
          'Accès interrompu pour :',
          grants.map((g) => `${f.api(g.apiCode, g.apiName)} : ${g.target}`),
        ),
        facts(['Désactivée par', changedBy], ['Quand', f.dateTime(at)], ['Motif', reason ?? '(aucun)']),
        p("La requête suivante pour ces données est refusée. Si l'école réactive l'application, exactement cet accès revient."),
      ],
    }),
    app_switched_on: ({ appName, grants, changedBy, reason, at }, f) => ({
      subject: `Schoolgate – ${appName} réactivée par une école`,
      blocks: [
        p(`Un administrateur d'école a réactivé votre application ${appName} pour ses établissements. Son accès y est rétabli.`),
        list(
          'Accès rétabli pour :',
          grants.map((g) => `${f.api(g.apiCode, g.apiName)} : ${g.target}`),
        ),
        facts(['Réactivée par', changedBy], ['Quand', f.dateTime(at)], ['Motif', reason ?? '(aucun)']),
      ],
    }),
    secret_rotated: ({ appName, previousSecretExpiresAt }, f) => ({
      subject: `Schoolgate – Nouveau secret client pour ${appName}`,
      blocks: [
        p(
          `Un nouveau secret client a été créé pour votre application ${appName}. Il a été affiché une seule fois à la personne qui l'a créé et n'est pas envoyé par e-mail.`,
        ),
        p(
          previousSecretExpiresAt
            ? `L'ancien secret reste valable jusqu'au ${f.dateTime(previousSecretExpiresAt)} ; passez au nouveau avant cette date.`
            : "L'ancien secret ne fonctionne plus.",
        ),
        p("Si ce n'est pas vous, contactez immédiatement l'opérateur."),
      ],
    }),
    consent_withdrawn: ({ appName, partnerName, institution, role, at, eventsUrl }, f) => ({
      subject: `Schoolgate – Un utilisateur a retiré son consentement pour ${appName}`,
      blocks: [
        p(
          `Un ${{ student: 'élève', guardian: 'parent', staff: 'membre du personnel' }[role]} de ${institution} a retiré le consentement donné à l'application ${appName} de ${partnerName} pour recevoir ses données.`,
        ),
        facts(['École', institution], ['Quand', f.dateTime(at)]),
        p(
          "Les jetons de rafraîchissement de l'application pour cet utilisateur ne fonctionnent plus et ses jetons d'accès pour lui sont refusés. Supprimez les données reçues grâce à ce consentement, ou cessez de les utiliser, comme le prévoit votre accord avec l'école.",
        ),
        p("L'utilisateur concerné (l'identifiant subject reçu par votre application à la connexion) figure dans l'événement consent.withdrawn :"),
        link("Événements de l'application (API partenaire)", eventsUrl),
      ],
    }),
  },
};
