import type { App, AppStatus } from '../../db/schema.ts';
import type { Queryable } from '../../context.ts';
import { conflict, notFound } from '../../http/errors.ts';
import { allow, authorize, subjectType } from '../access/policies.ts';
import { findApp, lockApp } from './queries.ts';

/** Fields that a new review would have to look at again: locked once the app left draft/rejected. */
export const REVIEWED_FIELDS = ['name', 'redirectUris', 'clientType', 'apis'] as const;

/**
 * What the partner may change in an app of this status:
 * - draft, rejected: everything (editing a rejected app returns it to draft);
 * - submitted, approved, suspended: only description and contact e-mail, the rest was or is being
 *   reviewed and changes need a new review;
 * - archived: nothing.
 */
export function editableFields(status: AppStatus): 'all' | 'description_and_contact' | 'none' {
  if (status === 'draft' || status === 'rejected') return 'all';
  if (status === 'archived') return 'none';
  return 'description_and_contact';
}

const appNotFound = () => notFound('app_not_found', 'No such app among your apps.');

/**
 * A partner's app as a subject: its partner's members read and change it, the operator reads all
 * (the review queue). Anyone else — another partner above all — gets 404 `app_not_found`: an app's
 * existence is not revealed. What may change in which status is `editableFields`' business.
 */
export const AppSubject = subjectType<Pick<App, 'partner_id'>, 'read' | 'update'>('app', { notFound: appNotFound });
allow('partner', ['read', 'update'], AppSubject, (actor, app) => actor.partnerId !== null && actor.partnerId === app.partner_id);
allow('operator', ['read'], AppSubject);

/** The partner's app, or 404 `app_not_found` (also for another partner's app: its existence is not revealed). */
export async function requirePartnerApp(db: Queryable, partnerId: string, appId: string): Promise<App> {
  const app = await findApp(db, appId);
  if (!app) throw appNotFound();
  authorize({ kind: 'partner', partnerId }, 'update', AppSubject, app);
  return app;
}

/** Same, locked for update inside a transaction. */
export async function lockRequiredPartnerApp(db: Queryable, partnerId: string, appId: string): Promise<App> {
  const app = await lockApp(db, appId);
  if (!app) throw appNotFound();
  authorize({ kind: 'partner', partnerId }, 'update', AppSubject, app);
  return app;
}

/** Archived apps are read-only. */
export function assertNotArchived(app: App): void {
  if (app.status === 'archived') throw conflict('app_archived', 'This app is archived and can no longer be changed.', { appStatus: app.status });
}

/** Secrets and invitations exist only for approved apps. */
export function assertApproved(app: App, what: string): void {
  if (app.status !== 'approved') {
    throw conflict('app_not_approved', `Only an approved app can ${what}; this app is ${app.status}.`, { appStatus: app.status });
  }
}
