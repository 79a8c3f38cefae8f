import type { Queryable } from '../context.ts';
import type { Language } from '../db/schema.ts';

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
  };
  grants_changed: {
    appName: string;
    apiName: string;
    added: string[];
    removed: string[];
    changedBy: string;
    reason: string | null;
    at: Date;
  };
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
