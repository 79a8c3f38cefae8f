import type { AppContext, Queryable } from '../../context.ts';
import type { User } from '../../db/schema.ts';
import { badRequest, conflict, notFound } from '../../http/errors.ts';
import { newId, randomToken, sha256 } from '../../lib/ids.ts';
import type { OutgoingMail } from '../../mail/service.ts';
import { recordAudit } from '../audit/record.ts';
import { recipientLanguage } from '../school/queries.ts';
import { mayTransition, REVIEW_TRANSITIONS, type ReviewAction } from './policies.ts';

const operatorActor = (user: User) => ({ id: user.id, label: `${user.display_name} <${user.email}>`, kind: 'operator' as const });

/** Institutions and access groups where a client holds grants: who should read an entry about it. */
async function grantTargetsOf(db: Queryable, clientId: string | null) {
  if (!clientId) return { institutionNumbers: [], accessGroupIds: [] };
  const rows = await db.selectFrom('grants').select(['institution_number', 'access_group_id']).where('client_id', '=', clientId).execute();
  return {
    institutionNumbers: [...new Set(rows.map((r) => r.institution_number).filter((x): x is string => x !== null))].sort(),
    accessGroupIds: [...new Set(rows.map((r) => r.access_group_id).filter((x): x is string => x !== null))].sort(),
  };
}

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
          .set({ status: 'approved', approved_at: now, approved_by: user.id, accreditation_notes: notes, status_reason: null, rejection_reason: null, updated_at: now })
          .where('id', '=', appId)
          .execute();
        break;
      case 'reject':
        await trx.updateTable('apps').set({ status: 'rejected', rejection_reason: reason, status_reason: reason, updated_at: now }).where('id', '=', appId).execute();
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
      client = { id: newId(), origin: 'app' };
      await trx.insertInto('clients').values({ id: client.id, app_id: appId, name: app.name, origin: 'app', linked_at: null, created_at: now }).execute();
    }

    const targets = await grantTargetsOf(trx, client?.id ?? null);
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
  });
}

export interface GrantInput {
  apiCode: string;
  institutionNumber?: string | undefined;
  accessGroupId?: string | undefined;
}

type GrantKey = { apiCode: string; institutionNumber: string | null; accessGroupId: string | null };
const keyOf = (g: GrantKey) => `${g.apiCode}|${g.institutionNumber ?? ''}|${g.accessGroupId ?? ''}`;
const sortGrants = (gs: GrantKey[]) => [...gs].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

/** Checks grant inputs against the catalog and the school structure; 400 naming the entry at fault. */
async function validateGrants(db: Queryable, grants: GrantInput[]): Promise<GrantKey[]> {
  const apis = new Map((await db.selectFrom('apis').select(['code', 'grant_target']).execute()).map((a) => [a.code, a.grant_target]));
  const institutions = [...new Set(grants.map((g) => g.institutionNumber).filter((x): x is string => x !== undefined))];
  const groups = [...new Set(grants.map((g) => g.accessGroupId).filter((x): x is string => x !== undefined))];
  const knownInstitutions = new Set(
    institutions.length ? (await db.selectFrom('institutions').select('number').where('number', 'in', institutions).execute()).map((r) => r.number) : [],
  );
  const knownGroups = new Set(groups.length ? (await db.selectFrom('access_groups').select('id').where('id', 'in', groups).execute()).map((r) => r.id) : []);
  const out = new Map<string, GrantKey>();
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

const touchedTargets = (gs: GrantKey[]) => ({
  institutionNumbers: [...new Set(gs.map((g) => g.institutionNumber).filter((x): x is string => x !== null))].sort(),
  accessGroupIds: [...new Set(gs.map((g) => g.accessGroupId).filter((x): x is string => x !== null))].sort(),
});

/**
 * The operator issues a legacy client (a client without an app, as before the consent system) with
 * its scopes. The secret is returned once; only its SHA-256 and a hint are stored.
 */
export async function createLegacyClient(ctx: AppContext, user: User, input: { name: string; grants: GrantInput[] }) {
  const now = ctx.clock.now();
  const clientId = newId();
  const secret = randomToken();
  const grants = await ctx.db.transaction().execute(async (trx) => {
    const grants = await validateGrants(trx, input.grants);
    await trx.insertInto('clients').values({ id: clientId, app_id: null, name: input.name, origin: 'legacy', linked_at: null, created_at: now }).execute();
    await trx
      .insertInto('client_secrets')
      .values({ id: newId(), client_id: clientId, secret_hash: sha256(secret), hint: secret.slice(-4), created_at: now })
      .execute();
    if (grants.length) {
      await trx
        .insertInto('grants')
        .values(
          grants.map((g) => ({
            id: newId(),
            client_id: clientId,
            api_code: g.apiCode,
            institution_number: g.institutionNumber,
            access_group_id: g.accessGroupId,
            granted_by: user.id,
            granted_at: now,
            reason: 'Issued by the operator',
          })),
        )
        .execute();
    }
    await recordAudit(trx, now, operatorActor(user), {
      action: 'legacy_client.created',
      subjectType: 'client',
      subjectId: clientId,
      clientId,
      ...touchedTargets(grants),
      after: { name: input.name, grants },
    });
    return grants;
  });
  return { clientId, name: input.name, secret, grants };
}

/**
 * The operator replaces all scopes of a legacy client (allowed whether or not an app has claimed it;
 * school admins may not while it has no app). Locked like the admins' edits so they serialize.
 */
export async function replaceLegacyGrants(ctx: AppContext, user: User, clientId: string, input: { grants: GrantInput[]; reason: string }) {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const client = await trx.selectFrom('clients').selectAll().where('id', '=', clientId).where('origin', '=', 'legacy').forUpdate().executeTakeFirst();
    if (!client) throw notFound('client_not_found', 'No such legacy client.');
    const desired = await validateGrants(trx, input.grants);
    const current = sortGrants(
      (await trx.selectFrom('grants').select(['id', 'api_code', 'institution_number', 'access_group_id']).where('client_id', '=', clientId).execute()).map(
        (g) => ({ apiCode: g.api_code, institutionNumber: g.institution_number, accessGroupId: g.access_group_id, id: g.id }),
      ),
    ) as (GrantKey & { id: string })[];
    const desiredKeys = new Set(desired.map(keyOf));
    const currentKeys = new Set(current.map(keyOf));
    const removed = current.filter((g) => !desiredKeys.has(keyOf(g)));
    const added = desired.filter((g) => !currentKeys.has(keyOf(g)));
    const strip = (gs: GrantKey[]) => gs.map((g) => ({ apiCode: g.apiCode, institutionNumber: g.institutionNumber, accessGroupId: g.accessGroupId }));
    if (removed.length === 0 && added.length === 0) return { changed: false, grants: desired };
    if (removed.length) await trx.deleteFrom('grants').where('id', 'in', removed.map((g) => g.id)).execute();
    if (added.length) {
      await trx
        .insertInto('grants')
        .values(
          added.map((g) => ({
            id: newId(),
            client_id: clientId,
            api_code: g.apiCode,
            institution_number: g.institutionNumber,
            access_group_id: g.accessGroupId,
            granted_by: user.id,
            granted_at: now,
            reason: input.reason,
          })),
        )
        .execute();
    }
    const app = client.app_id
      ? await trx.selectFrom('apps').select(['id', 'name', 'partner_id', 'contact_email']).where('id', '=', client.app_id).executeTakeFirst()
      : undefined;
    await recordAudit(trx, now, operatorActor(user), {
      action: 'legacy_client.grants_replaced',
      subjectType: 'client',
      subjectId: clientId,
      clientId,
      appId: app?.id ?? null,
      partnerId: app?.partner_id ?? null,
      ...touchedTargets([...added, ...removed]),
      reason: input.reason,
      before: { grants: strip(current) },
      after: { grants: strip(desired) },
    });
    if (app) {
      const apiNames = new Map((await trx.selectFrom('apis').select(['code', 'name']).execute()).map((a) => [a.code, a.name]));
      const label = (g: GrantKey) => `${apiNames.get(g.apiCode) ?? g.apiCode}: ${g.institutionNumber ?? g.accessGroupId}`;
      await ctx.mail.enqueue(trx, {
        to: app.contact_email,
        language: await recipientLanguage(trx, app.contact_email),
        template: 'grants_changed',
        params: {
          appName: app.name,
          apiName: [...new Set([...added, ...removed].map((g) => apiNames.get(g.apiCode) ?? g.apiCode))].join(', '),
          added: added.map(label),
          removed: removed.map(label),
          changedBy: user.display_name,
          reason: input.reason,
          at: now,
        },
      });
    }
    return { changed: true, grants: desired };
  });
}
