import type { AppContext, Queryable } from '../../context.ts';
import type { AccessLevel, Api, Language, Purposes, User } from '../../db/schema.ts';
import { badRequest, conflict, forbidden, gone, notFound } from '../../http/errors.ts';
import { purposeIn } from '../../lib/purposes.ts';
import { replaceGrants as replaceClientGrants, restoreGrants, suspendGrants, type GrantTarget } from '../access/grants.ts';
import { listAuditEntries } from '../audit/queries.ts';
import { can, Grant } from '../access/policies.ts';
import { findApi } from '../catalog/queries.ts';
import { editableTargets, notEditableReason, targetVisible, type AdminScope } from './policies.ts';
import {
  appVisibleByGrants,
  clientGrants,
  clientSuspendedGrants,
  clientVisibleByGrants,
  findAppWithClient,
  findClientWithApp,
  findInvitation,
  requestedApis,
  targetNames,
} from './queries.ts';

const appNotFound = () => notFound('app_not_found', 'No such app among the apps you can see.');

/**
 * Finds an app the admin may open: its client holds a grant in the admin's scope (live or switched
 * off), the admin holds the partner's invitation link for it (valid at most one month), or it is
 * accredited (approved): any school admin may look an accredited app up and enable it without an
 * invitation (issue 14, Magister's flow).
 *
 * An invitation is bound to its addressee: it opens the app only for the account whose e-mail
 * address it was sent to. A colleague the link was forwarded to (still needing their own rights to
 * grant anything) gets 403 `invitation_for_another_address` and asks the partner for an invitation
 * of their own; so what a partner's invitation opens, and to whom, is what the partner chose and
 * what the audit log's `invitation.created` rows say. A link that is given is checked even for an
 * accredited app, so that a forwarded or expired link says so rather than opening silently.
 */
export async function openAppForAdmin(ctx: AppContext, db: Queryable, scope: AdminScope, user: Pick<User, 'email'>, appId: string, invitation?: string) {
  const app = await findAppWithClient(db, appId);
  if (!app) throw appNotFound();
  if (await appVisibleByGrants(db, scope, appId)) return app;
  if (invitation) {
    const inv = await findInvitation(db, appId, invitation);
    // A wrong token looks like a missing app: the link must not reveal which apps exist.
    if (!inv) throw appNotFound();
    // Checked before expiry: whether someone else's invitation is still valid is not this admin's to know.
    if (inv.email.toLowerCase() !== user.email.toLowerCase()) {
      throw forbidden(
        'invitation_for_another_address',
        'This invitation link was sent to another e-mail address and opens the app only for that account; ask the partner to invite you.',
      );
    }
    if (inv.expires_at <= ctx.clock.now()) {
      throw gone('invitation_expired', 'This invitation link has expired; ask the partner for a new one.');
    }
    return app;
  }
  if (app.status === 'approved') return app;
  throw appNotFound();
}

/** Finds a client the admin may look at: it holds a grant in the admin's scope. */
export async function openClientForAdmin(db: Queryable, scope: AdminScope, clientId: string) {
  const client = await findClientWithApp(db, clientId);
  if (!client || !(await clientVisibleByGrants(db, scope, clientId))) {
    throw notFound('client_not_found', 'No such client among the clients you can see.');
  }
  return client;
}

export interface TargetItem {
  institutionNumber: string | null;
  accessGroupId: string | null;
  name: string;
}

const item = (api: Pick<Api, 'grant_target'>, id: string, names: Map<string, string>): TargetItem => ({
  institutionNumber: api.grant_target === 'institution' ? id : null,
  accessGroupId: api.grant_target === 'access_group' ? id : null,
  name: names.get(id) ?? id,
});

/**
 * The API access tab of a client (of an app or a legacy client): per API, whether the admin can
 * edit it and why not, the targets they could still grant (left) and those with access (right).
 * Only targets inside the admin's scope appear.
 */
export async function apiAccessView(
  db: Queryable,
  scope: AdminScope,
  subject: { appId: string | null; appStatus: string | null; clientId: string | null },
  language: Language = 'en',
) {
  const requested = subject.appId ? await requestedApis(db, subject.appId) : [];
  const grants = subject.clientId ? (await clientGrants(db, subject.clientId)).filter((g) => targetVisible(scope, g)) : [];
  const suspended = subject.clientId ? (await clientSuspendedGrants(db, subject.clientId)).filter((g) => targetVisible(scope, g)) : [];
  const apis = new Map<string, Api & { requested: boolean; approvedCategories: string[]; purposes: Purposes; requestedLevel: AccessLevel }>();
  for (const r of requested)
    apis.set(r.code, { ...r, requested: true, approvedCategories: r.requested_categories, purposes: r.purposes, requestedLevel: r.requested_level });
  for (const code of new Set(grants.map((g) => g.api_code))) {
    if (!apis.has(code)) {
      const api = await findApi(db, code);
      if (api) apis.set(code, { ...api, requested: false, approvedCategories: [], purposes: {}, requestedLevel: 'read' });
    }
  }
  const ids = [...grants, ...suspended].flatMap((g) => [g.institution_number, g.access_group_id]).filter((x): x is string => x !== null);
  const names = await targetNames(
    db,
    ids.filter((x) => /^\d{6}$/.test(x)),
    ids.filter((x) => !/^\d{6}$/.test(x)),
  );
  for (const [k, v] of scope.institutions) names.set(k, v.name);
  for (const [k, v] of scope.accessGroups) names.set(k, v.name);

  return [...apis.values()]
    .sort((a, b) => a.sort_order - b.sort_order)
    .map((api) => {
      const editable = editableTargets(scope, api);
      const levelOf = new Map<string, AccessLevel>();
      const grantedIds = grants
        .filter((g) => g.api_code === api.code)
        .map((g) => {
          const id = api.grant_target === 'institution' ? g.institution_number : g.access_group_id;
          if (id !== null) levelOf.set(id, g.access_level);
          return id;
        })
        .filter((x): x is string => x !== null)
        .sort();
      let reason: ReturnType<typeof notEditableReason> | 'api_not_requested' = notEditableReason(scope, api, {
        appStatus: subject.appStatus,
        hasApp: subject.appId !== null,
      });
      if (reason === null && !api.requested) reason = 'api_not_requested';
      const purpose = purposeIn(api.purposes, language);
      return {
        apiCode: api.code,
        apiName: api.name,
        dataCategories: api.approvedCategories,
        purposes: api.purposes,
        purpose: api.requested ? purpose.text : null,
        requestedAccessLevel: api.requestedLevel,
        suspended: suspended
          .filter((g) => g.api_code === api.code)
          .map((g) => ({
            ...item(api, (api.grant_target === 'institution' ? g.institution_number : g.access_group_id) ?? '', names),
            suspendedAt: g.suspended_at,
            reason: g.suspension_reason,
          })),
        grantTarget: api.grant_target,
        requiredRights: api.required_rights,
        editable: reason === null,
        notEditableReason: reason,
        available: subject.appId ? editable.filter((id) => !grantedIds.includes(id)).map((id) => item(api, id, names)) : [],
        granted: grantedIds.map((id) => ({
          ...item(api, id, names),
          changeable: reason === null && editable.includes(id),
          accessLevel: levelOf.get(id) ?? 'read',
        })),
      };
    });
}

export interface ReplaceGrantsInput {
  institutionNumbers?: string[] | undefined;
  accessGroupIds?: string[] | undefined;
  reason?: string | undefined;
  confirmRemoval?: boolean | undefined;
  /**
   * The level of every target this change grants: the admin's explicit choice (absent: new grants
   * are read, existing ones keep theirs). read_write only where the app's approved request asks for it.
   */
  accessLevel?: AccessLevel | undefined;
}

/**
 * Replaces the granted set of one API of an app within the admin's scope, in one transaction: the
 * client row is locked first and the diff computed under the lock, so two admins saving at once
 * both land, in order, each with its own audit row. Grants outside the admin's scope stay as they are.
 */
export async function replaceGrants(
  ctx: AppContext,
  user: User,
  scope: AdminScope,
  appId: string,
  apiCode: string,
  input: ReplaceGrantsInput,
  invitation?: string,
) {
  const reason = input.reason?.length ? input.reason : null;
  return ctx.db.transaction().execute(async (trx) => {
    await openAppForAdmin(ctx, trx, scope, user, appId, invitation);
    const api = await findApi(trx, apiCode);
    if (!api) throw notFound('api_not_found', `There is no API "${apiCode}".`);
    // FOR SHARE: an operator suspending the app at the same moment waits for this change (or vice versa).
    const app = await trx.selectFrom('apps').selectAll().where('id', '=', appId).forShare().executeTakeFirstOrThrow();
    const client = await trx.selectFrom('clients').select(['id', 'name', 'origin']).where('app_id', '=', appId).forUpdate().executeTakeFirst();
    if (app.status !== 'approved') {
      throw conflict('app_not_approved', 'Access can only be changed for an approved app.', { appStatus: app.status });
    }
    if (!client) throw conflict('app_without_client', 'This app has no client yet.');
    const requested = await trx
      .selectFrom('app_api_requests')
      .select(['api_code', 'access_level'])
      .where('app_id', '=', appId)
      .where('api_code', '=', apiCode)
      .executeTakeFirst();
    if (!requested) {
      throw conflict('api_not_requested', `The app did not ask for the ${api.name} API.`, { field: 'params.apiCode' });
    }
    // Write access only as the operator approved it: never more than the app asked for.
    if (input.accessLevel === 'read_write' && requested.access_level !== 'read_write') {
      throw conflict('access_level_not_requested', `The app asked to read the ${api.name} API only; it cannot be granted read-write.`, {
        field: 'body.accessLevel',
      });
    }
    const editable = editableTargets(scope, api);
    if (editable.length === 0) {
      throw forbidden('insufficient_rights', `Granting the ${api.name} API needs one of these admin rights: ${api.required_rights.join(', ')}.`, {
        requiredRights: api.required_rights,
      });
    }
    const byInstitution = api.grant_target === 'institution';
    const wanted = byInstitution ? 'institutionNumbers' : 'accessGroupIds';
    const other = byInstitution ? 'accessGroupIds' : 'institutionNumbers';
    if (input[other] !== undefined) {
      throw badRequest('wrong_grant_target', `The ${api.name} API is granted per ${byInstitution ? 'institution' : 'access group'}; send ${wanted}.`, {
        field: `body.${other}`,
      });
    }
    const desiredList = input[wanted];
    if (desiredList === undefined) {
      throw badRequest('grant_targets_missing', `Send ${wanted}: the complete set that should have access.`, { field: `body.${wanted}` });
    }
    const admin = { kind: 'school' as const, user, scope };
    desiredList.forEach((id, index) => {
      const grant = {
        api,
        clientOrigin: client.origin,
        app: { status: app.status },
        institution_number: byInstitution ? id : null,
        access_group_id: byInstitution ? null : id,
      };
      if (!can(admin, 'change', Grant, grant)) {
        throw forbidden('institution_outside_rights', `You hold no right for the ${api.name} API on ${id} in the current school year.`, {
          field: `body.${wanted}.${index}`,
          [byInstitution ? 'institutionNumber' : 'accessGroupId']: id,
          requiredRights: api.required_rights,
        });
      }
    });

    // The diff, the rows, the audit row and the partner's mail belong to the grants' one owner;
    // grants outside the admin's editable targets are left out of the change.
    const change = await replaceClientGrants(trx, ctx, {
      clientId: client.id,
      apiCode: api.code,
      targets: desiredList,
      within: editable,
      actor: { id: user.id, label: `${user.display_name} <${user.email}>`, kind: 'school', name: user.display_name },
      reason,
      action: 'grants.replaced',
      confirmRemoval: input.confirmRemoval ?? false,
      accessLevel: input.accessLevel,
    });
    const idOf = (g: GrantTarget) => (byInstitution ? g.institutionNumber : g.accessGroupId) ?? '';
    const names = change.names;
    const result = {
      apiCode: api.code,
      changed: change.changed,
      added: change.added.map((g) => item(api, idOf(g), names)),
      removed: change.removed.map((g) => item(api, idOf(g), names)),
      granted: change.after.map((g) => item(api, idOf(g), names)),
    };
    return result;
  });
}

/** An app's on/off switch as one admin sees it: over the targets where they hold the granting right. */
export type SwitchState = 'on' | 'off' | 'partly_off' | 'not_granted';

/**
 * The switch state of each client for this admin: `on` when its grants in the admin's grantable
 * targets are all live, `off` when all are switched off, `partly_off` when both, `not_granted`
 * when it holds none there.
 */
export async function switchStates(db: Queryable, scope: AdminScope, clientIds: string[]): Promise<Map<string, SwitchState>> {
  const states = new Map<string, SwitchState>();
  if (clientIds.length === 0) return states;
  const apis = new Map((await db.selectFrom('apis').selectAll().execute()).map((a) => [a.code, a]));
  const editable = new Map([...apis.values()].map((a) => [a.code, new Set(editableTargets(scope, a))]));
  const mine = (g: { api_code: string; institution_number: string | null; access_group_id: string | null }) =>
    editable.get(g.api_code)?.has(g.institution_number ?? g.access_group_id ?? '') ?? false;
  const count = async (table: 'grants' | 'suspended_grants') => {
    const rows = await db
      .selectFrom(table)
      .select(['client_id', 'api_code', 'institution_number', 'access_group_id'])
      .where('client_id', 'in', clientIds)
      .execute();
    const n = new Map<string, number>();
    for (const r of rows.filter(mine)) n.set(r.client_id, (n.get(r.client_id) ?? 0) + 1);
    return n;
  };
  const live = await count('grants');
  const off = await count('suspended_grants');
  for (const id of clientIds) {
    const l = live.get(id) ?? 0;
    const o = off.get(id) ?? 0;
    states.set(id, o === 0 ? (l === 0 ? 'not_granted' : 'on') : l === 0 ? 'off' : 'partly_off');
  }
  return states;
}

/** The latest on/off switch of an app that touched the admin's institutions: who, when, why. */
export async function lastSwitch(db: Queryable, scope: AdminScope, appId: string) {
  const { rows } = await listAuditEntries(
    db,
    { kind: 'scope', institutionNumbers: [...scope.institutions.keys()], accessGroupIds: [...scope.accessGroups.keys()] },
    { appId, actions: ['grants.suspended', 'grants.restored'] },
    { limit: 1 },
  );
  const row = rows[0];
  return row ? { on: row.action === 'grants.restored', at: row.at, by: row.actor_label, reason: row.reason } : null;
}

/**
 * Switches an app off or on in the admin's institutions (where they hold the right each API needs):
 * one transaction, through the grants' one owner (suspend or restore exactly those grants, audit
 * row, the partner's mail). Switching on needs an approved app; switching off never does.
 */
export async function switchApp(ctx: AppContext, user: User, scope: AdminScope, appId: string, input: { on: boolean; reason?: string | undefined }) {
  const reason = input.reason?.length ? input.reason : null;
  return ctx.db.transaction().execute(async (trx) => {
    await openAppForAdmin(ctx, trx, scope, user, appId);
    // FOR SHARE: an operator suspending the app at the same moment waits for this change (or vice versa).
    const app = await trx.selectFrom('apps').select(['id', 'status']).where('id', '=', appId).forShare().executeTakeFirstOrThrow();
    if (input.on && app.status !== 'approved') {
      throw conflict('app_not_approved', 'Only an approved app can be switched on.', { appStatus: app.status });
    }
    const client = await trx.selectFrom('clients').select('id').where('app_id', '=', appId).executeTakeFirst();
    if (!client) throw conflict('app_without_client', 'This app has no client yet.');
    const apis = await trx.selectFrom('apis').selectAll().execute();
    const within = new Map(apis.map((a) => [a.code, editableTargets(scope, a)] as const).filter(([, ids]) => ids.length > 0));
    if (within.size === 0) {
      throw forbidden('insufficient_rights', 'Switching an app needs an admin right that lets you grant one of its APIs.');
    }
    const actor = { id: user.id, label: `${user.display_name} <${user.email}>`, kind: 'school' as const, name: user.display_name };
    const change = input.on
      ? await restoreGrants(trx, ctx, { clientId: client.id, within, actor, reason })
      : await suspendGrants(trx, ctx, { clientId: client.id, within, actor, reason });
    const byId = new Map(apis.map((a) => [a.code, a]));
    return {
      on: input.on,
      grants: change.grants.map((g) => {
        const api = byId.get(g.apiCode)!;
        return { apiCode: g.apiCode, ...item(api, g.institutionNumber ?? g.accessGroupId ?? '', change.names) };
      }),
    };
  });
}
