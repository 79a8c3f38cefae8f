import { facts, link, list, p, type Block } from '../render.ts';
import { grantsChangedBlocks, type GrantsChangedWords } from './grants-changed.ts';
import type { Translation } from '../templates.ts';

const optional = (label: string, value: string | null): Block[] => (value ? [facts([label, value])] : []);

/** The words of a `grants_changed` mail (its shape: `grantsChangedBlocks`). */
const grantsChangedWords: GrantsChangedWords = {
  intro: (appName, apiName) => `The data access of your app ${appName} to the API ${apiName} has changed.`,
  added: 'Access granted for:',
  removed: 'Access removed for:',
  levelChanged: 'Access level changed for:',
  at: 'at',
  colon: ':',
  levels: { read: 'read only', read_write: 'read and write' },
  fromTo: (from, to) => `from ${from} to ${to}`,
  changedBy: 'Changed by',
  when: 'When',
  reason: 'Reason',
  noReason: '(none given)',
  removedTakesEffect: 'Removed access takes effect immediately: the next request for that data is refused.',
  loweredTakesEffect: 'A lowered level takes effect immediately: the next write is refused.',
};
/** English. */
export const en: Translation = {
  frame: {
    locale: 'en-GB',
    greeting: 'Hello,',
    signoff: ['Kind regards,', 'Schoolgate'],
    footer: 'This message was sent automatically; replies are not read.',
    colon: ':',
    apiNames: { students: 'Students', staff: 'Staff', boarders: 'Boarders', invoices: 'Invoices', pre_enrolments: 'Pre-enrolments' },
  },
  templates: {
    signup_existing_account: ({ displayName, signInUrl }) => ({
      greeting: `Hello ${displayName},`,
      subject: 'Schoolgate — Somebody tried to sign up with your address',
      blocks: [
        p('Somebody just tried to create a Schoolgate account with this e-mail address. You have an account already, so nothing was created.'),
        link('Sign in', signInUrl),
        p('If it was not you, you can ignore this message; your account is unchanged.'),
      ],
    }),
    email_confirmation: ({ displayName, confirmUrl }) => ({
      subject: 'Schoolgate — Confirm your e-mail address',
      greeting: `Hello ${displayName},`,
      blocks: [
        p('Welcome to Schoolgate. Please confirm that this e-mail address is yours to activate your partner account.'),
        link('Confirm my e-mail address', confirmUrl),
        p('If you did not sign up for Schoolgate, you can ignore this message.'),
      ],
    }),
    app_approved: ({ appName, partnerName, clientId, appUrl, notes }) => ({
      subject: `Schoolgate — Your app ${appName} has been approved`,
      blocks: [
        p(`Good news: the app ${appName} of ${partnerName} has been approved and its OAuth client has been created.`),
        facts(['Client ID', clientId]),
        p('The client secret is shown only once, in the partner portal; it is never sent by e-mail.'),
        ...optional('Accreditation notes', notes),
        link('Open the app', appUrl),
        p("Schools can now grant your app access: invite their administrators from the app's page. Until a school grants access, the app receives no data."),
      ],
    }),
    app_rejected: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate — Your app ${appName} was not approved`,
      blocks: [p(`The app ${appName} of ${partnerName} was not approved.`), facts(['Reason', reason]), p('You can change the app and submit it again.')],
    }),
    app_suspended: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate — Your app ${appName} has been suspended`,
      blocks: [
        p(`The app ${appName} of ${partnerName} has been suspended. From now on it gets no access tokens and no school data; the schools' grants are kept.`),
        ...optional('Reason', reason),
        p('Contact the operator if you have any questions.'),
      ],
    }),
    app_reapproved: ({ appName, partnerName, notes }) => ({
      subject: `Schoolgate — Your app ${appName} is active again`,
      blocks: [
        p(`The app ${appName} of ${partnerName} has been approved again. It can get access tokens again and reads the data the schools have granted.`),
        ...optional('Notes', notes),
      ],
    }),
    app_archived: ({ appName, partnerName, reason }) => ({
      subject: `Schoolgate — Your app ${appName} has been archived`,
      blocks: [p(`The app ${appName} of ${partnerName} has been archived. It no longer gets access tokens or school data.`), ...optional('Reason', reason)],
    }),
    invitation: ({ appName, partnerName, link: url, expiresAt, apis, apiCodes, purposes }, f) => ({
      subject: `Schoolgate — Data access for application ${appName}`,
      blocks: [
        p(`${partnerName} asks your school to grant its application ${appName} access to data.`),
        ...(apis.length
          ? [
              list(
                'Requested APIs:',
                apis.map((name, i) => (purposes?.[i] ? `${f.api(apiCodes?.[i], name)}: ${purposes[i]}` : f.api(apiCodes?.[i], name))),
              ),
            ]
          : []),
        p(
          "Open the application's page in the school back-office to review the request and decide which institutions share which data. " +
            'You need access to user management and the matching admin right.',
        ),
        link('Open the application page', url),
        p(`This link is valid until ${f.dateTime(expiresAt)}.`),
        p('If you did not expect this request, you can ignore this message: nothing is shared unless a school administrator grants access.'),
      ],
    }),
    grants_changed: (d, f) => ({
      subject: `Schoolgate — Data access of ${d.appName} changed (${d.apiName})`,
      blocks: grantsChangedBlocks(grantsChangedWords, d, f),
    }),
    app_switched_off: ({ appName, grants, changedBy, reason, at }, f) => ({
      subject: `Schoolgate — ${appName} switched off by a school`,
      blocks: [
        p(`A school administrator switched your app ${appName} off for their institutions. Its access there has stopped.`),
        list(
          'Access stopped for:',
          grants.map((g) => `${f.api(g.apiCode, g.apiName)}: ${g.target}`),
        ),
        facts(['Switched off by', changedBy], ['When', f.dateTime(at)], ['Reason', reason ?? '(none given)']),
        p('The next request for that data is refused. When the school switches the app on again, exactly this access returns.'),
      ],
    }),
    app_switched_on: ({ appName, grants, changedBy, reason, at }, f) => ({
      subject: `Schoolgate — ${appName} switched on again by a school`,
      blocks: [
        p(`A school administrator switched your app ${appName} on again for their institutions. Its access there is back.`),
        list(
          'Access restored for:',
          grants.map((g) => `${f.api(g.apiCode, g.apiName)}: ${g.target}`),
        ),
        facts(['Switched on by', changedBy], ['When', f.dateTime(at)], ['Reason', reason ?? '(none given)']),
      ],
    }),
    secret_rotated: ({ appName, previousSecretExpiresAt }, f) => ({
      subject: `Schoolgate — New client secret for ${appName}`,
      blocks: [
        p(`A new client secret was created for your app ${appName}. It was shown once to whoever created it and is not sent by e-mail.`),
        p(
          previousSecretExpiresAt
            ? `The previous secret stays valid until ${f.dateTime(previousSecretExpiresAt)}; switch your app to the new one before then.`
            : 'The previous secret no longer works.',
        ),
        p('If you did not do this, contact the operator at once.'),
      ],
    }),
    consent_withdrawn: ({ appName, partnerName, institution, role, at, eventsUrl }, f) => ({
      subject: `Schoolgate — A user withdrew their consent for ${appName}`,
      blocks: [
        p(
          `A ${{ student: 'student', guardian: 'guardian', staff: 'staff member' }[role]} of ${institution} withdrew the consent they gave the app ${appName} of ${partnerName} to receive their data.`,
        ),
        facts(['School', institution], ['When', f.dateTime(at)]),
        p(
          "The app's refresh tokens for this user stopped working at once, and its access tokens for them are refused. Delete or stop using the data you received through this consent as your agreement with the school requires.",
        ),
        p('Which user it was (the subject identifier your app received at sign-in) is in the consent.withdrawn event:'),
        link('Events of the app (partner API)', eventsUrl),
      ],
    }),
  },
};
