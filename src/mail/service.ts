import type { Queryable } from '../context.ts';
import type { AccessLevel, Language } from '../db/schema.ts';

/** One grant of an on/off switch: the API (its code names it in the mail's language) and the institution or access group. */
export interface SwitchedGrantLine {
  apiCode: string;
  apiName: string;
  target: string;
}

/**
 * One grant a `grants_changed` mail names: the API (its code names it in the mail's language), the
 * institution or access group, and the level it has (issue 17, write grants): what was granted, or
 * what a removed grant had.
 */
export interface GrantLine {
  apiCode: string;
  apiName: string;
  target: string;
  accessLevel: AccessLevel;
}

/** A kept grant whose level a change moved (read ↔ read-write): `accessLevel` is the new one. */
export interface GrantLevelLine extends GrantLine {
  from: AccessLevel;
}

/** Every mail Schoolgate sends, with the parameters its template needs. */
export interface MailTemplates {
  email_confirmation: { displayName: string; confirmUrl: string };
  /** Somebody signed up with an address that has an account already: its owner is told, the sign-up answer is the same. */
  signup_existing_account: { displayName: string; signInUrl: string };
  app_approved: { appName: string; partnerName: string; clientId: string; appUrl: string; notes: string | null };
  app_rejected: { appName: string; partnerName: string; reason: string };
  app_suspended: { appName: string; partnerName: string; reason: string | null };
  app_reapproved: { appName: string; partnerName: string; notes: string | null };
  app_archived: { appName: string; partnerName: string; reason: string | null };
  invitation: {
    appName: string;
    partnerName: string;
    link: string;
    expiresAt: Date;
    /** The catalog's names of the APIs asked for, with their codes (absent in mails queued before the codes were sent). */
    apis: string[];
    apiCodes?: string[];
    /** Per API (same order), the purpose the app was approved for, in the recipient's language (absent in older mails). */
    purposes?: string[];
  };
  grants_changed: {
    appName: string;
    apiName: string;
    added: GrantLine[];
    removed: GrantLine[];
    /** Grants kept at another level than before (the grant editor's read-write tick box). */
    levelChanged: GrantLevelLine[];
    changedBy: string;
    reason: string | null;
    at: Date;
  };
  /** A school admin switched the app off in their institutions (issue 14): the grants that stopped, who, why. */
  app_switched_off: { appName: string; grants: SwitchedGrantLine[]; changedBy: string; reason: string | null; at: Date };
  /** A school admin switched the app back on: exactly the grants that return. */
  app_switched_on: { appName: string; grants: SwitchedGrantLine[]; changedBy: string; reason: string | null; at: Date };
  secret_rotated: { appName: string; previousSecretExpiresAt: Date | null };
  /** A person withdrew their sign-in consent for the app at one school (issue 5). No person data: the event has the pairwise sub. */
  consent_withdrawn: { appName: string; partnerName: string; institution: string; role: 'student' | 'guardian' | 'staff'; at: Date; eventsUrl: string };
}

export type MailTemplateName = keyof MailTemplates;

export interface OutgoingMail<T extends MailTemplateName = MailTemplateName> {
  to: string;
  language: Language;
  template: T;
  params: MailTemplates[T];
}

/** Renders and queues mail. The row is written in `trx`; delivery happens after commit, by a job. */
export interface MailService {
  enqueue<T extends MailTemplateName>(trx: Queryable, mail: OutgoingMail<T>): Promise<string>;
}
