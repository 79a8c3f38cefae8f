import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../context.ts';
import { queuePartnerEvent } from '../webhooks/delivery.ts';
import type { AccessLevel, ActorKind } from '../../db/schema.ts';
import { conflict, notFound } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { recipientLanguage } from '../../mail/recipients.ts';
import { textIn, type Texts } from '../../lib/purposes.ts';
import { recordAudit } from '../audit/record.ts';

/**
 * The one owner of the `grants` table: every grant that is created or removed goes through this
 * file, so what a change writes (the rows, its audit row, the partner's mail) is the same whoever
 * makes it — a school admin's editor, the operator's legacy-client editor, seeding.
 */

/**
 * Tells the grant history's triggers (`src/db/live/60_grant_history.sql`) the time of the change
 * under way, by the application's clock, for the rest of the caller's transaction: a removal or a
 * switch-on is recorded at this time. (A change that does not say it is recorded at the
 * transaction's start, which is the same time outside tests.)
 */
export async function stampGrantChange(trx: Queryable, at: Date): Promise<void> {
  await sql`SELECT set_config('schoolgate.grant_change_at', ${at.toISOString()}, true)`.execute(trx);
}

/** One grant as a change names it: an API on an institution or on an access group. */
export interface GrantTarget {
  apiCode: string;
  institutionNumber: string | null;
  accessGroupId: string | null;
}

/** One grant as a partner's `grants.changed` webhook names it: with its level (issue 17, write grants). */
export interface LevelledGrant extends GrantTarget {
  /** What the grant allows: `read_write` only where a school admin ticked it. For a removed grant, what it allowed. */
  accessLevel: AccessLevel;
}

/**
 * The `data` of the partner's `grants.changed` webhook (documented in the webhook route's
 * description, `src/modules/app-webhooks/routes.ts`). `change: 'replaced'` — a grant editor's change:
 * `added`, `removed`, and `levelChanged` (a kept grant moved between read and read-write, `from` the
 * old level); `'suspended'`/`'restored'` — a school's on/off switch: the `grants` it covers.
 */
export type GrantsChangedEvent =
  | {
      appId: string;
      change: 'replaced';
      added: LevelledGrant[];
      removed: LevelledGrant[];
      levelChanged: (LevelledGrant & { from: AccessLevel })[];
      reason: string | null;
      at: string;
    }
  | { appId: string; change: 'suspended' | 'restored'; grants: LevelledGrant[]; reason: string | null; at: string };

/** Who changes grants: their audit identity, and the name the partner's mail gives them. */
export interface GrantActor {
  id: string | null;
  label: string;
  kind: ActorKind;
  /** "Changed by" in the partner's mail. */
  name: string;
}

const keyOf = (g: GrantTarget) => `${g.apiCode}|${g.institutionNumber ?? ''}|${g.accessGroupId ?? ''}`;
const sortTargets = <T extends GrantTarget>(gs: T[]): T[] => [...gs].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
const strip = (gs: GrantTarget[]): GrantTarget[] =>
  gs.map((g) => ({ apiCode: g.apiCode, institutionNumber: g.institutionNumber, accessGroupId: g.accessGroupId }));

/** The institutions and access groups a set of grants touches: who should read an audit entry about it. */
export function touchedTargets(gs: GrantTarget[]): { institutionNumbers: string[]; accessGroupIds: string[] } {
  return {
    institutionNumbers: [...new Set(gs.map((g) => g.institutionNumber).filter((x): x is string => x !== null))].sort(),
    accessGroupIds: [...new Set(gs.map((g) => g.accessGroupId).filter((x): x is string => x !== null))].sort(),
  };
}

/** The institutions and access groups where a client holds grants now (none for no client). */
export async function grantTargetsOfClient(db: Queryable, clientId: string | null): Promise<{ institutionNumbers: string[]; accessGroupIds: string[] }> {
  if (!clientId) return { institutionNumbers: [], accessGroupIds: [] };
  const rows = await db.selectFrom('grants').select(['api_code', 'institution_number', 'access_group_id']).where('client_id', '=', clientId).execute();
  return touchedTargets(rows.map((r) => ({ apiCode: r.api_code, institutionNumber: r.institution_number, accessGroupId: r.access_group_id })));
}

/**
 * `{ readWrite: [target ids] }` of the grants at `read_write` (an audit row's before/after), or
 * nothing when none is: a read-only change's audit row reads as it always did.
 */
function readWriteOf(gs: GrantTarget[], level: (g: GrantTarget) => AccessLevel | undefined): { readWrite?: string[] } {
  const rw = gs.filter((g) => level(g) === 'read_write').map((g) => g.institutionNumber ?? g.accessGroupId ?? '');
  return rw.length ? { readWrite: rw } : {};
}

/**
 * Writes grant rows as they are, without audit or mail: for a change that records the grants in its
 * own audit row (a legacy client issued with its scopes) and for test and seed builders. Anything
 * that changes the grants of an existing client uses `replaceGrants`.
 */
export async function insertGrants(
  db: Queryable,
  clientId: string,
  targets: GrantTarget[],
  by: { grantedBy: string | null; reason: string | null; at?: Date | undefined; accessLevel?: AccessLevel | undefined },
): Promise<string[]> {
  if (targets.length === 0) return [];
  const rows = targets.map((g) => ({
    id: newId(),
    client_id: clientId,
    api_code: g.apiCode,
    institution_number: g.institutionNumber,
    access_group_id: g.accessGroupId,
    granted_by: by.grantedBy,
    reason: by.reason,
    // Read unless the caller says otherwise: read-write is never implied (issue 17, write grants).
    access_level: by.accessLevel ?? 'read',
    // Without a time the database's now() applies (builders that have no clock).
    ...(by.at ? { granted_at: by.at } : {}),
  }));
  await db.insertInto('grants').values(rows).execute();
  return rows.map((r) => r.id);
}

interface ReplaceGrantsCommon {
  clientId: string;
  actor: GrantActor;
  /** Stored as the grants' `granted_by`; the actor's id unless given (seeding names the admin it plays). */
  grantedBy?: string | null | undefined;
  reason: string | null;
  /**
   * The audit action: `grants.replaced` (a school admin's editor) or `legacy_client.grants_replaced`
   * (the operator's editor). Published in the log and its filters, so each caller keeps its own.
   */
  action: 'grants.replaced' | 'legacy_client.grants_replaced';
  /**
   * When a boolean, a change that removes grants needs it true (409 `removal_not_confirmed`
   * otherwise): the school admin's editor warns before access stops. Absent: no confirmation.
   */
  confirmRemoval?: boolean | undefined;
  /** Whether the app's contact is e-mailed (default true); seeding tells nobody. */
  notify?: boolean | undefined;
}

/**
 * One API's grants of a client, by target id (institution numbers or access group ids, per the
 * API's grant target). `within` limits the change to the targets the actor may change (a school
 * admin's editable targets); grants elsewhere stay as they are and are not named in the change.
 */
export interface ReplaceApiGrants extends ReplaceGrantsCommon {
  apiCode: string;
  targets: string[];
  within?: readonly string[] | undefined;
  /**
   * The level of every target this change grants (issue 17, write grants): the grant editor's
   * explicit choice. Absent: new grants are `read` and the existing ones keep theirs.
   */
  accessLevel?: AccessLevel | undefined;
}

/** All grants of a client across APIs (the operator's legacy-client editor). */
export interface ReplaceAllGrants extends ReplaceGrantsCommon {
  apiCode?: undefined;
  grants: GrantTarget[];
}

/** What a replacement did; `names` maps every target id it names to the institution's or group's name. */
export interface ReplacedGrants {
  changed: boolean;
  before: GrantTarget[];
  after: GrantTarget[];
  added: GrantTarget[];
  removed: GrantTarget[];
  names: Map<string, string>;
}

async function targetNames(db: Queryable, institutionNumbers: string[], accessGroupIds: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (institutionNumbers.length) {
    for (const r of await db.selectFrom('institutions').select(['number', 'name']).where('number', 'in', institutionNumbers).execute())
      names.set(r.number, r.name);
  }
  if (accessGroupIds.length) {
    for (const r of await db.selectFrom('access_groups').select(['id', 'name']).where('id', 'in', accessGroupIds).execute()) names.set(r.id, r.name);
  }
  return names;
}

/**
 * Replaces a client's grants — one API's (optionally within the targets the actor may change) or
 * all of them — inside the caller's transaction: the client row is locked first and the difference
 * computed under the lock, so two editors saving at once both land, in order, each with its own
 * audit row. Writes the removed and added rows, one audit row with before/after, and, when the
 * client has an app, the `grants_changed` mail to the app's contact. Nothing is written when
 * nothing changes. The caller validates the targets (catalog, school structure, rights).
 */
export async function replaceGrants(
  trx: Queryable,
  ctx: Pick<AppContext, 'clock' | 'mail' | 'jobs'>,
  input: ReplaceApiGrants | ReplaceAllGrants,
): Promise<ReplacedGrants> {
  const now = ctx.clock.now();
  const client = await trx.selectFrom('clients').select(['id', 'app_id']).where('id', '=', input.clientId).forUpdate().executeTakeFirst();
  if (!client) throw notFound('client_not_found', 'No such client.');

  let api: { code: string; name: string; grant_target: 'institution' | 'access_group' } | undefined;
  let desired: GrantTarget[];
  if (input.apiCode !== undefined) {
    api = await trx.selectFrom('apis').select(['code', 'name', 'grant_target']).where('code', '=', input.apiCode).executeTakeFirst();
    if (!api) throw notFound('api_not_found', `There is no API "${input.apiCode}".`);
    const byInstitution = api.grant_target === 'institution';
    desired = [...new Set(input.targets)].map((id) => ({
      apiCode: input.apiCode!,
      institutionNumber: byInstitution ? id : null,
      accessGroupId: byInstitution ? null : id,
    }));
  } else {
    desired = [...new Map(input.grants.map((g) => [keyOf(g), strip([g])[0]!])).values()];
  }
  desired = sortTargets(desired);

  const targetOf = (g: GrantTarget) => g.institutionNumber ?? g.accessGroupId ?? '';
  const inPlay = (g: GrantTarget) =>
    input.apiCode === undefined || (g.apiCode === input.apiCode && (input.within === undefined || input.within.includes(targetOf(g))));
  const rows = await trx
    .selectFrom('grants')
    .select(['id', 'api_code', 'institution_number', 'access_group_id', 'access_level'])
    .where('client_id', '=', client.id)
    .execute();
  const current = sortTargets(
    rows.map((r) => ({ id: r.id, apiCode: r.api_code, institutionNumber: r.institution_number, accessGroupId: r.access_group_id })).filter(inPlay),
  );
  const desiredKeys = new Set(desired.map(keyOf));
  const currentKeys = new Set(current.map(keyOf));
  const removed = current.filter((g) => !desiredKeys.has(keyOf(g)));
  const added = desired.filter((g) => !currentKeys.has(keyOf(g)));
  // Write grants: the level asked for applies to every target kept or added; a kept grant at another level changes.
  const wantedLevel = input.apiCode !== undefined ? input.accessLevel : undefined;
  const levelBefore = new Map(
    rows.map((r) => [keyOf({ apiCode: r.api_code, institutionNumber: r.institution_number, accessGroupId: r.access_group_id }), r.access_level]),
  );
  const relevelled = wantedLevel === undefined ? [] : current.filter((g) => desiredKeys.has(keyOf(g)) && levelBefore.get(keyOf(g)) !== wantedLevel);
  const levelAfter = (g: GrantTarget) => wantedLevel ?? levelBefore.get(keyOf(g)) ?? 'read';

  const named = touchedTargets([...added, ...removed, ...desired]);
  const names = await targetNames(trx, named.institutionNumbers, named.accessGroupIds);
  const result: ReplacedGrants = {
    changed: added.length + removed.length + relevelled.length > 0,
    before: strip(current),
    after: desired,
    added,
    removed: strip(removed),
    names,
  };

  if (removed.length && input.confirmRemoval === false) {
    const wanted = api?.grant_target === 'access_group' ? 'accessGroupIds' : 'institutionNumbers';
    throw conflict('removal_not_confirmed', 'Removing access stops the app from reading that data at once; confirm with confirmRemoval: true.', {
      field: 'body.confirmRemoval',
      [wanted]: removed.map(targetOf),
    });
  }
  if (!result.changed) return result;

  await stampGrantChange(trx, now);
  if (removed.length)
    await trx
      .deleteFrom('grants')
      .where(
        'id',
        'in',
        removed.map((g) => g.id),
      )
      .execute();
  if (relevelled.length)
    await trx
      .updateTable('grants')
      .set({ access_level: wantedLevel! })
      .where(
        'id',
        'in',
        relevelled.map((g) => g.id),
      )
      .execute();
  await insertGrants(trx, client.id, added, {
    grantedBy: input.grantedBy === undefined ? input.actor.id : input.grantedBy,
    reason: input.reason,
    at: now,
    accessLevel: wantedLevel,
  });
  // A target granted afresh while switched off there: the new grant supersedes the switched-off one,
  // so switching on later cannot bring back a second copy.
  await deleteSuspendedTwins(trx, client.id, added);

  const app = client.app_id
    ? await trx.selectFrom('apps').select(['id', 'name', 'partner_id', 'contact_email']).where('id', '=', client.app_id).executeTakeFirst()
    : undefined;
  const byInstitution = api?.grant_target === 'institution';
  const wanted = byInstitution ? 'institutionNumbers' : 'accessGroupIds';
  await recordAudit(trx, now, input.actor, {
    action: input.action,
    subjectType: 'client',
    subjectId: client.id,
    partnerId: app?.partner_id ?? null,
    appId: app?.id ?? null,
    clientId: client.id,
    ...touchedTargets([...added, ...removed]),
    reason: input.reason,
    // One API's change names the API and its target ids (and which of them are read-write, when any
    // is before or after); a whole-client change lists the grants.
    before: api
      ? { apiCode: api.code, [wanted]: current.map(targetOf), ...readWriteOf(current, (g) => levelBefore.get(keyOf(g))) }
      : { grants: strip(current) },
    after: api ? { apiCode: api.code, [wanted]: desired.map(targetOf), ...readWriteOf(desired, levelAfter) } : { grants: desired },
  });

  if (app && input.notify !== false) {
    const language = await recipientLanguage(trx, app.contact_email);
    // The catalog's names in the partner's language (the mail's frame knows only the first APIs').
    const apiNames = new Map(
      (await trx.selectFrom('apis').select(['code', 'name', 'names']).execute()).map((a) => [a.code, textIn(a.names as Texts, language).text || a.name]),
    );
    const nameOf = (code: string) => apiNames.get(code) ?? code;
    const target = (g: GrantTarget) =>
      g.institutionNumber ? `${g.institutionNumber} - ${names.get(g.institutionNumber) ?? ''}` : (names.get(targetOf(g)) ?? targetOf(g));
    const line = (g: GrantTarget, accessLevel: AccessLevel) => ({ apiCode: g.apiCode, apiName: nameOf(g.apiCode), target: target(g), accessLevel });
    const before = (g: GrantTarget) => levelBefore.get(keyOf(g)) ?? 'read';
    await ctx.mail.enqueue(trx, {
      to: app.contact_email,
      language,
      template: 'grants_changed',
      params: {
        appName: app.name,
        apiName: api ? nameOf(api.code) : [...new Set([...added, ...removed, ...relevelled].map((g) => nameOf(g.apiCode)))].join(', '),
        added: added.map((g) => line(g, levelAfter(g))),
        removed: removed.map((g) => line(g, before(g))),
        levelChanged: relevelled.map((g) => ({ ...line(g, levelAfter(g)), from: before(g) })),
        changedBy: input.actor.name,
        reason: input.reason,
        at: now,
      },
    });
    // The same news as a signed webhook, where the partner configured an endpoint for the app.
    const data: GrantsChangedEvent = {
      appId: app.id,
      change: 'replaced',
      added: added.map((g) => ({ ...strip([g])[0]!, accessLevel: levelAfter(g) })),
      removed: removed.map((g) => ({ ...strip([g])[0]!, accessLevel: before(g) })),
      levelChanged: relevelled.map((g) => ({ ...strip([g])[0]!, from: before(g), accessLevel: levelAfter(g) })),
      reason: input.reason ?? null,
      at: now.toISOString(),
    };
    await queuePartnerEvent(trx, ctx, { appId: app.id, type: 'grants.changed', data });
  }
  return result;
}

/**
 * The developer sandbox's grants (src/modules/sandbox/): an approved app is granted, at once and
 * without any school, the sandbox institution for each of the `apiCodes` it was approved for that is
 * granted per institution. Grants the client already holds there stay; one audit row names the
 * added ones (action `grants.sandbox_granted`, subject the client) so the partner's app log shows
 * them. No mail: the approval mail tells the partner. Returns the API codes newly granted.
 */
export async function grantSandbox(
  trx: Queryable,
  at: Date,
  input: { clientId: string; institutionNumber: string; apiCodes: string[]; actor: { id: string | null; label: string; kind: ActorKind } },
): Promise<string[]> {
  const client = await trx.selectFrom('clients').select(['id', 'app_id']).where('id', '=', input.clientId).forUpdate().executeTakeFirst();
  if (!client) throw notFound('client_not_found', 'No such client.');
  const sandbox = await trx
    .selectFrom('institutions')
    .select('number')
    .where('number', '=', input.institutionNumber)
    .where('sandbox', '=', true)
    .executeTakeFirst();
  // Only ever the sandbox: a real school's grant is the school's decision.
  if (!sandbox) throw notFound('sandbox_not_found', 'There is no sandbox institution.');
  const perInstitution = input.apiCodes.length
    ? (await trx.selectFrom('apis').select('code').where('code', 'in', input.apiCodes).where('grant_target', '=', 'institution').execute()).map((a) => a.code)
    : [];
  const held = new Set(
    (await trx.selectFrom('grants').select('api_code').where('client_id', '=', client.id).where('institution_number', '=', sandbox.number).execute()).map(
      (g) => g.api_code,
    ),
  );
  const added = [...new Set(perInstitution)].filter((code) => !held.has(code)).sort();
  if (!added.length) return [];
  await insertGrants(
    trx,
    client.id,
    added.map((apiCode) => ({ apiCode, institutionNumber: sandbox.number, accessGroupId: null })),
    { grantedBy: input.actor.id, reason: 'Developer sandbox', at },
  );
  const app = client.app_id ? await trx.selectFrom('apps').select(['id', 'partner_id']).where('id', '=', client.app_id).executeTakeFirst() : undefined;
  await recordAudit(trx, at, input.actor, {
    action: 'grants.sandbox_granted',
    subjectType: 'client',
    subjectId: client.id,
    partnerId: app?.partner_id ?? null,
    appId: app?.id ?? null,
    clientId: client.id,
    institutionNumbers: [sandbox.number],
    reason: 'Developer sandbox',
    after: { institutionNumber: sandbox.number, apiCodes: added },
  });
  return added;
}

/**
 * Removes every grant at the sandbox institution (the operator removes the sandbox), with one audit
 * row per client that lost some (action `grants.sandbox_revoked`) so each partner's app log says
 * why its sandbox reads stop. Reads stop at the next request: the scope-version trigger bumps each
 * client in this transaction. Returns how many grants were removed.
 */
export async function revokeSandboxGrants(
  trx: Queryable,
  at: Date,
  input: { institutionNumber: string; actor: { id: string | null; label: string; kind: ActorKind }; reason: string | null },
): Promise<number> {
  const sandbox = await trx
    .selectFrom('institutions')
    .select('number')
    .where('number', '=', input.institutionNumber)
    .where('sandbox', '=', true)
    .executeTakeFirst();
  if (!sandbox) throw notFound('sandbox_not_found', 'There is no sandbox institution.');
  await stampGrantChange(trx, at);
  const rows = await trx.deleteFrom('grants').where('institution_number', '=', sandbox.number).returning(['client_id', 'api_code']).execute();
  const byClient = new Map<string, string[]>();
  for (const r of rows) byClient.set(r.client_id, [...(byClient.get(r.client_id) ?? []), r.api_code]);
  for (const [clientId, apiCodes] of [...byClient].sort(([a], [b]) => a.localeCompare(b))) {
    const client = await trx
      .selectFrom('clients as c')
      .leftJoin('apps as a', 'a.id', 'c.app_id')
      .select(['a.id as app_id', 'a.partner_id'])
      .where('c.id', '=', clientId)
      .executeTakeFirst();
    await recordAudit(trx, at, input.actor, {
      action: 'grants.sandbox_revoked',
      subjectType: 'client',
      subjectId: clientId,
      partnerId: client?.partner_id ?? null,
      appId: client?.app_id ?? null,
      clientId,
      institutionNumbers: [sandbox.number],
      reason: input.reason,
      before: { institutionNumber: sandbox.number, apiCodes: apiCodes.sort() },
      after: { institutionNumber: sandbox.number, apiCodes: [] },
    });
  }
  return rows.length;
}

/** Removes the switched-off grants of the same client, API and target as any of `gs` (one statement per API). */
async function deleteSuspendedTwins(trx: Queryable, clientId: string, gs: GrantTarget[]): Promise<void> {
  for (const apiCode of new Set(gs.map((g) => g.apiCode))) {
    const ofApi = gs.filter((g) => g.apiCode === apiCode);
    const institutions = ofApi.flatMap((g) => (g.institutionNumber !== null ? [g.institutionNumber] : []));
    const groups = ofApi.flatMap((g) => (g.accessGroupId !== null ? [g.accessGroupId] : []));
    await trx
      .deleteFrom('suspended_grants')
      .where('client_id', '=', clientId)
      .where('api_code', '=', apiCode)
      .where((eb) => {
        const parts = [];
        if (institutions.length) parts.push(eb('institution_number', 'in', institutions));
        if (groups.length) parts.push(eb('access_group_id', 'in', groups));
        return parts.length ? eb.or(parts) : eb.val(false);
      })
      .execute();
  }
}

/**
 * What a school admin's switch covers: per API code, the target ids (institution numbers or access
 * group ids, per the API's grant target) where the admin holds the granting right. Grants elsewhere
 * — another school's — are never touched.
 */
export type SwitchWithin = ReadonlyMap<string, readonly string[]>;

/** One app's switch in the caller's transaction: who, why, and which targets it covers. */
export interface SwitchGrantsInput {
  clientId: string;
  within: SwitchWithin;
  actor: GrantActor;
  reason: string | null;
}

/** What a switch did: the grants switched off (or back on), with target names for labels. */
export interface SwitchedGrants {
  grants: GrantTarget[];
  names: Map<string, string>;
}

const targetIdOf = (g: { institution_number: string | null; access_group_id: string | null }) => g.institution_number ?? g.access_group_id ?? '';

/**
 * Switches an app off in the actor's institutions: every grant of the client whose target is in
 * `within` for its API moves to `suspended_grants` (with who, when and why), in the caller's
 * transaction, with one audit row (`grants.suspended`, before: those grants, after: none) and the
 * `app_switched_off` mail to the app's contact. Deleting the rows from `grants` is what makes them
 * reach nothing (grant_reach, ss12000_authorize) and bumps the client's scope version.
 * 409 `nothing_to_switch_off` when the client holds no such grant.
 */
export async function suspendGrants(trx: Queryable, ctx: Pick<AppContext, 'clock' | 'mail' | 'jobs'>, input: SwitchGrantsInput): Promise<SwitchedGrants> {
  const now = ctx.clock.now();
  const client = await trx.selectFrom('clients').select(['id', 'app_id']).where('id', '=', input.clientId).forUpdate().executeTakeFirst();
  if (!client) throw notFound('client_not_found', 'No such client.');
  const live = (await trx.selectFrom('grants').selectAll().where('client_id', '=', client.id).execute()).filter((g) =>
    (input.within.get(g.api_code) ?? []).includes(targetIdOf(g)),
  );
  if (live.length === 0) {
    throw conflict('nothing_to_switch_off', 'The app has no access in your institutions to switch off.');
  }
  const targets = sortTargets(live.map((g) => ({ apiCode: g.api_code, institutionNumber: g.institution_number, accessGroupId: g.access_group_id })));
  // The history's periods end at suspended_at (below); stamped for any trigger that reads the time.
  await stampGrantChange(trx, now);
  // A grant switched off before, granted afresh and switched off again: the latest one is kept.
  await deleteSuspendedTwins(trx, client.id, targets);
  await trx
    .insertInto('suspended_grants')
    .values(
      live.map((g) => ({
        id: g.id,
        client_id: g.client_id,
        api_code: g.api_code,
        institution_number: g.institution_number,
        access_group_id: g.access_group_id,
        granted_by: g.granted_by,
        granted_at: g.granted_at,
        reason: g.reason,
        access_level: g.access_level,
        suspended_by: input.actor.id,
        suspended_at: now,
        suspension_reason: input.reason,
      })),
    )
    .execute();
  await trx
    .deleteFrom('grants')
    .where(
      'id',
      'in',
      live.map((g) => g.id),
    )
    .execute();
  const levels = new Map(
    live.map((g) => [keyOf({ apiCode: g.api_code, institutionNumber: g.institution_number, accessGroupId: g.access_group_id }), g.access_level]),
  );
  return finishSwitch(trx, ctx, client, targets, levels, input, 'off', now);
}

/**
 * Switches an app back on in the actor's institutions: exactly the grants switched off there (in
 * `within`) return to `grants` with their own id, grant time, granter and reason — one audit row
 * (`grants.restored`) and the `app_switched_on` mail. A target granted again meanwhile keeps its
 * newer grant. 409 `nothing_to_switch_on` when nothing is switched off there.
 */
export async function restoreGrants(trx: Queryable, ctx: Pick<AppContext, 'clock' | 'mail' | 'jobs'>, input: SwitchGrantsInput): Promise<SwitchedGrants> {
  const now = ctx.clock.now();
  const client = await trx.selectFrom('clients').select(['id', 'app_id']).where('id', '=', input.clientId).forUpdate().executeTakeFirst();
  if (!client) throw notFound('client_not_found', 'No such client.');
  const suspended = (await trx.selectFrom('suspended_grants').selectAll().where('client_id', '=', client.id).execute()).filter((g) =>
    (input.within.get(g.api_code) ?? []).includes(targetIdOf(g)),
  );
  if (suspended.length === 0) {
    throw conflict('nothing_to_switch_on', 'The app is not switched off in any of your institutions.');
  }
  const liveKeys = new Set(
    (await trx.selectFrom('grants').select(['api_code', 'institution_number', 'access_group_id']).where('client_id', '=', client.id).execute()).map(
      (g) => `${g.api_code}|${targetIdOf(g)}`,
    ),
  );
  const back = suspended.filter((g) => !liveKeys.has(`${g.api_code}|${targetIdOf(g)}`));
  // The grants return with their first granted_at; their history's new period starts now.
  await stampGrantChange(trx, now);
  await trx
    .deleteFrom('suspended_grants')
    .where(
      'id',
      'in',
      suspended.map((g) => g.id),
    )
    .execute();
  if (back.length) {
    await trx
      .insertInto('grants')
      .values(
        back.map((g) => ({
          id: g.id,
          client_id: g.client_id,
          api_code: g.api_code,
          institution_number: g.institution_number,
          access_group_id: g.access_group_id,
          granted_by: g.granted_by,
          granted_at: g.granted_at,
          reason: g.reason,
          // Switched on again at the level it was granted at.
          access_level: g.access_level as AccessLevel,
        })),
      )
      .execute();
  }
  const targets = sortTargets(back.map((g) => ({ apiCode: g.api_code, institutionNumber: g.institution_number, accessGroupId: g.access_group_id })));
  const levels = new Map(
    back.map((g) => [keyOf({ apiCode: g.api_code, institutionNumber: g.institution_number, accessGroupId: g.access_group_id }), g.access_level as AccessLevel]),
  );
  return finishSwitch(trx, ctx, client, targets, levels, input, 'on', now);
}

/** The audit row and the partner's mail of a switch. */
async function finishSwitch(
  trx: Queryable,
  ctx: Pick<AppContext, 'clock' | 'mail' | 'jobs'>,
  client: { id: string; app_id: string | null },
  targets: GrantTarget[],
  /** The level of each target's grant, by `keyOf`: the partner's webhook names it. */
  levels: ReadonlyMap<string, AccessLevel>,
  input: SwitchGrantsInput,
  to: 'on' | 'off',
  now: Date,
): Promise<SwitchedGrants> {
  const touched = touchedTargets(targets);
  const names = await targetNames(trx, touched.institutionNumbers, touched.accessGroupIds);
  const app = client.app_id
    ? await trx.selectFrom('apps').select(['id', 'name', 'partner_id', 'contact_email']).where('id', '=', client.app_id).executeTakeFirst()
    : undefined;
  await recordAudit(trx, now, input.actor, {
    action: to === 'off' ? 'grants.suspended' : 'grants.restored',
    subjectType: 'client',
    subjectId: client.id,
    partnerId: app?.partner_id ?? null,
    appId: app?.id ?? null,
    clientId: client.id,
    ...touched,
    reason: input.reason,
    before: { grants: to === 'off' ? strip(targets) : [] },
    after: { grants: to === 'off' ? [] : strip(targets) },
  });
  if (app) {
    const apiNames = new Map((await trx.selectFrom('apis').select(['code', 'name']).execute()).map((a) => [a.code, a.name]));
    await ctx.mail.enqueue(trx, {
      to: app.contact_email,
      language: await recipientLanguage(trx, app.contact_email),
      template: to === 'off' ? 'app_switched_off' : 'app_switched_on',
      params: {
        appName: app.name,
        grants: targets.map((g) => {
          const id = g.institutionNumber ?? g.accessGroupId ?? '';
          return {
            apiCode: g.apiCode,
            apiName: apiNames.get(g.apiCode) ?? g.apiCode,
            target: g.institutionNumber ? `${id} - ${names.get(id) ?? ''}` : (names.get(id) ?? id),
          };
        }),
        changedBy: input.actor.name,
        reason: input.reason,
        at: now,
      },
    });
    const data: GrantsChangedEvent = {
      appId: app.id,
      change: to === 'off' ? 'suspended' : 'restored',
      grants: strip(targets).map((g) => ({ ...g, accessLevel: levels.get(keyOf(g)) ?? 'read' })),
      reason: input.reason ?? null,
      at: now.toISOString(),
    };
    await queuePartnerEvent(trx, ctx, { appId: app.id, type: 'grants.changed', data });
  }
  return { grants: targets, names };
}
