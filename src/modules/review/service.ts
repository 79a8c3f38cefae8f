import type { AppContext, Queryable } from '../../context.ts';
import type { User } from '../../db/schema.ts';
import { badRequest, conflict, notFound } from '../../http/errors.ts';
import type { OutgoingMail } from '../../mail/service.ts';
import { recordAudit } from '../audit/record.ts';
import { queuePartnerEvent } from '../webhooks/delivery.ts';
import { recipientLanguage } from '../../mail/recipients.ts';
import { createClient } from '../access/clients.ts';
import { grantTargetsOfClient, insertGrants, replaceGrants, touchedTargets, type GrantTarget } from '../access/grants.ts';
import { grantSandboxToApp } from '../sandbox/service.ts';
import { mayTransition, REVIEW_TRANSITIONS, type ReviewAction } from './policies.ts';

const operatorActor = (user: User) => ({ id: user.id, label: `${user.display_name} <${user.email}>`, kind: 'operator' as const });

/**
 * One review decision on an app: approve (the accreditation; creates the app's client without a
 * secret unless a legacy client is already linked), reject, suspend, re-approve or archive. The
 * status change, the audit row and the mails to the app and partner contacts are one transaction.
 * Suspension and archiving take effect at once because tokens and data reads check the live status.
 */
export async function changeAppStatus(
  ctx: AppContext,
  user: User,
  appId: string,
  action: ReviewAction,
  input: { notes?: string | undefined; reason?: string | undefined },
) {
  const now = ctx.clock.now();
  const t = REVIEW_TRANSITIONS[action];
  await ctx.db.transaction().execute(async (trx) => {
    const app = await trx.selectFrom('apps').selectAll().where('id', '=', appId).forUpdate().executeTakeFirst();
    if (!app) throw notFound('app_not_found', 'No such app.');
    if (!mayTransition(action, app.status)) {
      throw conflict('invalid_status_transition', `An app that is ${app.status} cannot be ${t.to}.`, { from: app.status, to: t.to });
    }
    const partner = await trx.selectFrom('partners').select(['name', 'contact_email']).where('id', '=', app.partner_id).executeTakeFirstOrThrow();
    let client = await trx.selectFrom('clients').select(['id', 'origin']).where('app_id', '=', appId).forUpdate().executeTakeFirst();
    const notes = input.notes?.length ? input.notes : null;
    const reason = input.reason?.length ? input.reason : null;

    switch (action) {
      case 'approve':
        await trx
          .updateTable('apps')
          .set({
            status: 'approved',
            approved_at: now,
            approved_by: user.id,
            accreditation_notes: notes,
            status_reason: null,
            rejection_reason: null,
            updated_at: now,
          })
          .where('id', '=', appId)
          .execute();
        break;
      case 'reject':
        await trx
          .updateTable('apps')
          .set({ status: 'rejected', rejection_reason: reason, status_reason: reason, updated_at: now })
          .where('id', '=', appId)
          .execute();
        break;
      case 'suspend':
      case 'archive':
        await trx.updateTable('apps').set({ status: t.to, status_reason: reason, updated_at: now }).where('id', '=', appId).execute();
        break;
      case 'reapprove':
        await trx.updateTable('apps').set({ status: 'approved', status_reason: null, updated_at: now }).where('id', '=', appId).execute();
        break;
    }
    if (t.to === 'approved' && !client) {
      // No secret here: the partner takes it, once, from its own endpoint.
      const created = await createClient(trx, ctx, { origin: 'app', appId, name: app.name });
      client = { id: created.clientId, origin: 'app' };
    }
    if (t.to === 'approved' && client) {
      // The developer sandbox at once, so the partner builds before any school grants (issue 14).
      await grantSandboxToApp(trx, now, { appId, clientId: client.id, actor: operatorActor(user) });
    }

    const targets = await grantTargetsOfClient(trx, client?.id ?? null);
    await recordAudit(trx, now, operatorActor(user), {
      action: t.action,
      subjectType: 'app',
      subjectId: appId,
      partnerId: app.partner_id,
      appId,
      clientId: client?.id ?? null,
      // School admins whose schools granted the app see that it was suspended, archived, …
      institutionNumbers: targets.institutionNumbers,
      accessGroupIds: targets.accessGroupIds,
      reason: reason ?? notes,
      before: { status: app.status },
      after: { status: t.to, ...(action === 'approve' ? { clientId: client?.id, notes } : {}), ...(action === 'reapprove' ? { notes } : {}) },
    });

    const recipients = [...new Set([app.contact_email, partner.contact_email].map((e) => e.toLowerCase()))];
    for (const to of recipients) {
      const base = { to, language: await recipientLanguage(trx, to) };
      let mail: OutgoingMail;
      switch (action) {
        case 'approve':
          mail = {
            ...base,
            template: 'app_approved',
            params: { appName: app.name, partnerName: partner.name, clientId: client!.id, appUrl: `${ctx.config.PUBLIC_URL}/partner/apps/${appId}`, notes },
          };
          break;
        case 'reject':
          mail = { ...base, template: 'app_rejected', params: { appName: app.name, partnerName: partner.name, reason: reason ?? '' } };
          break;
        case 'suspend':
          mail = { ...base, template: 'app_suspended', params: { appName: app.name, partnerName: partner.name, reason } };
          break;
        case 'reapprove':
          mail = { ...base, template: 'app_reapproved', params: { appName: app.name, partnerName: partner.name, notes } };
          break;
        case 'archive':
          mail = { ...base, template: 'app_archived', params: { appName: app.name, partnerName: partner.name, reason } };
          break;
      }
      await ctx.mail.enqueue(trx, mail);
    }
    // The same news as a signed webhook, where the partner configured an endpoint for the app.
    await queuePartnerEvent(trx, ctx, {
      appId,
      type: 'app.status_changed',
      data: { appId, from: app.status, to: t.to, reason, at: now.toISOString() },
    });
  });
}

export interface GrantInput {
  apiCode: string;
  institutionNumber?: string | undefined;
  accessGroupId?: string | undefined;
}

const keyOf = (g: GrantTarget) => `${g.apiCode}|${g.institutionNumber ?? ''}|${g.accessGroupId ?? ''}`;
const sortGrants = (gs: GrantTarget[]) => [...gs].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

/** Checks grant inputs against the catalog and the school structure; 400 naming the entry at fault. */
async function validateGrants(db: Queryable, grants: GrantInput[]): Promise<GrantTarget[]> {
  const apis = new Map((await db.selectFrom('apis').select(['code', 'grant_target']).execute()).map((a) => [a.code, a.grant_target]));
  const institutions = [...new Set(grants.map((g) => g.institutionNumber).filter((x): x is string => x !== undefined))];
  const groups = [...new Set(grants.map((g) => g.accessGroupId).filter((x): x is string => x !== undefined))];
  const knownInstitutions = new Set(
    institutions.length ? (await db.selectFrom('institutions').select('number').where('number', 'in', institutions).execute()).map((r) => r.number) : [],
  );
  const knownGroups = new Set(groups.length ? (await db.selectFrom('access_groups').select('id').where('id', 'in', groups).execute()).map((r) => r.id) : []);
  const out = new Map<string, GrantTarget>();
  grants.forEach((g, i) => {
    const target = apis.get(g.apiCode);
    if (!target) throw badRequest('unknown_api', `There is no API "${g.apiCode}".`, { field: `body.grants.${i}.apiCode` });
    if (target === 'institution') {
      if (g.institutionNumber === undefined || g.accessGroupId !== undefined) {
        throw badRequest('wrong_grant_target', `The ${g.apiCode} API is granted per institution: send institutionNumber only.`, { field: `body.grants.${i}` });
      }
      if (!knownInstitutions.has(g.institutionNumber)) {
        throw badRequest('unknown_institution', `There is no institution ${g.institutionNumber}.`, { field: `body.grants.${i}.institutionNumber` });
      }
    } else {
      if (g.accessGroupId === undefined || g.institutionNumber !== undefined) {
        throw badRequest('wrong_grant_target', `The ${g.apiCode} API is granted per access group: send accessGroupId only.`, { field: `body.grants.${i}` });
      }
      if (!knownGroups.has(g.accessGroupId)) {
        throw badRequest('unknown_access_group', `There is no access group ${g.accessGroupId}.`, { field: `body.grants.${i}.accessGroupId` });
      }
    }
    const key = { apiCode: g.apiCode, institutionNumber: g.institutionNumber ?? null, accessGroupId: g.accessGroupId ?? null };
    out.set(keyOf(key), key);
  });
  return sortGrants([...out.values()]);
}

/**
 * The operator issues a legacy client (a client without an app, as before the consent system) with
 * its scopes. The secret is returned once; only its SHA-256 and a hint are stored.
 */
export async function createLegacyClient(ctx: AppContext, user: User, input: { name: string; grants: GrantInput[] }) {
  const now = ctx.clock.now();
  const { clientId, secret, grants } = await ctx.db.transaction().execute(async (trx) => {
    const grants = await validateGrants(trx, input.grants);
    const { clientId, secret } = await createClient(trx, ctx, { origin: 'legacy', name: input.name });
    // The client's first grants are part of its creation: its audit row lists them.
    await insertGrants(trx, clientId, grants, { grantedBy: user.id, reason: 'Issued by the operator', at: now });
    await recordAudit(trx, now, operatorActor(user), {
      action: 'legacy_client.created',
      subjectType: 'client',
      subjectId: clientId,
      clientId,
      ...touchedTargets(grants),
      after: { name: input.name, grants },
    });
    return { clientId, secret: secret!, grants };
  });
  return { clientId, name: input.name, secret, grants };
}

/**
 * The operator replaces all scopes of a legacy client (allowed whether or not an app has claimed it;
 * school admins may not while it has no app). Locked like the admins' edits so they serialize.
 */
export async function replaceLegacyGrants(ctx: AppContext, user: User, clientId: string, input: { grants: GrantInput[]; reason: string }) {
  return ctx.db.transaction().execute(async (trx) => {
    const client = await trx.selectFrom('clients').select('id').where('id', '=', clientId).where('origin', '=', 'legacy').forUpdate().executeTakeFirst();
    if (!client) throw notFound('client_not_found', 'No such legacy client.');
    const desired = await validateGrants(trx, input.grants);
    const change = await replaceGrants(trx, ctx, {
      clientId,
      grants: desired,
      actor: { ...operatorActor(user), name: user.display_name },
      reason: input.reason,
      action: 'legacy_client.grants_replaced',
    });
    return { changed: change.changed, grants: desired };
  });
}
