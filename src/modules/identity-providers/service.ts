import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../context.ts';
import type { ActorKind } from '../../db/schema.ts';
import { conflict, invalidField, notFound } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { discover, issuerProblem } from '../../oidc/upstream/client.ts';
import { recordAudit } from '../audit/record.ts';
import type { CreateIdentityProviderInput, UpdateIdentityProviderInput } from './schemas.ts';

type Who = { id: string | null; label: string; kind: ActorKind };

/** A provider row with its board's name; the secret column is not selected, so it cannot leak. */
export async function listProviderRows(db: Queryable, id?: string) {
  let q = db
    .selectFrom('upstream_identity_providers as p')
    .innerJoin('ss12000_organisations as b', 'b.id', 'p.board_organisation_id')
    .select([
      'p.id',
      'p.board_organisation_id',
      'b.display_name as board_name',
      'p.display_name',
      'p.issuer',
      'p.client_id',
      'p.person_claim',
      'p.password_allowed',
      'p.created_at',
      'p.updated_at',
    ])
    .orderBy('p.display_name')
    .orderBy('p.id');
  if (id) q = q.where('p.id', '=', id);
  return q.execute();
}
export type ProviderRow = Awaited<ReturnType<typeof listProviderRows>>[number];

/**
 * The institution numbers of the school units under each board (any depth below it, stopping at
 * another board), keyed by board id.
 */
export async function institutionsUnder(db: Queryable, boardIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(boardIds.map((id) => [id, []]));
  if (!boardIds.length) return out;
  const rows = await sql<{ root: string; code: string }>`
    WITH RECURSIVE down (id, organisation_type, organisation_code, root, depth) AS (
      SELECT id, organisation_type, organisation_code, id, 0 FROM ss12000_organisations WHERE id IN (${sql.join(boardIds)})
      UNION ALL
      SELECT o.id, o.organisation_type, o.organisation_code, down.root, down.depth + 1
        FROM ss12000_organisations o JOIN down ON o.parent_id = down.id
       WHERE o.organisation_type <> 'Huvudman' AND down.depth < 16
    )
    SELECT DISTINCT root, organisation_code AS code FROM down
     WHERE organisation_type = 'Skolenhet' AND organisation_code IS NOT NULL
     ORDER BY code`.execute(db);
  for (const r of rows.rows) out.get(r.root)?.push(r.code);
  return out;
}

/** Every school board (Huvudman) of the SS 12000 data, with its schools and its provider if any. */
export async function listBoards(db: Queryable) {
  const boards = await db
    .selectFrom('ss12000_organisations as b')
    .leftJoin('upstream_identity_providers as p', 'p.board_organisation_id', 'b.id')
    .select(['b.id', 'b.display_name', 'p.id as provider_id'])
    .where('b.organisation_type', '=', 'Huvudman')
    .orderBy('b.display_name')
    .orderBy('b.id')
    .execute();
  const units = await institutionsUnder(
    db,
    boards.map((b) => b.id),
  );
  return boards.map((b) => ({ id: b.id, name: b.display_name, institutionNumbers: units.get(b.id) ?? [], identityProviderId: b.provider_id }));
}

/** 400 unless `boardId` is an SS 12000 organisation of type Huvudman. */
async function checkBoard(db: Queryable, boardId: string): Promise<void> {
  const board = await db.selectFrom('ss12000_organisations').select('organisation_type').where('id', '=', boardId).executeTakeFirst();
  if (!board) throw invalidField('body.boardId', 'board_not_found', 'No SS 12000 organisation has this id.');
  if (board.organisation_type !== 'Huvudman') {
    throw invalidField('body.boardId', 'not_a_school_board', `This organisation is a ${board.organisation_type}, not a school board (Huvudman).`);
  }
}

/** 409 when the board already has a provider (one per board: a school shows one button). */
async function checkBoardFree(db: Queryable, boardId: string, except?: string): Promise<void> {
  let q = db.selectFrom('upstream_identity_providers').select('id').where('board_organisation_id', '=', boardId);
  if (except) q = q.where('id', '<>', except);
  if (await q.executeTakeFirst()) {
    throw conflict('board_has_identity_provider', 'This school board already has an identity provider; change that one instead.', { field: 'body.boardId' });
  }
}

/**
 * Checks the issuer's form, then that Schoolgate can discover it, so that a typo is caught by the
 * operator now rather than by a student at the sign-in page. The client id and secret are not
 * tested: an upstream only judges them at the token endpoint, after a person signed in.
 */
async function checkIssuer(ctx: Pick<AppContext, 'config' | 'log'>, issuer: string, clientId: string, clientSecret: string): Promise<void> {
  const problem = issuerProblem(ctx.config, issuer);
  if (problem) throw invalidField('body.issuer', 'invalid_issuer', `The issuer ${problem}.`);
  try {
    await discover(issuer, clientId, clientSecret);
  } catch (error) {
    ctx.log.info({ err: error, issuer }, 'upstream discovery failed');
    throw invalidField('body.issuer', 'issuer_discovery_failed', `Could not read ${issuer}/.well-known/openid-configuration: ${(error as Error).message}`);
  }
}

/** What the audit log keeps of a provider: everything but the secret. */
const auditView = (p: {
  board_organisation_id: string;
  display_name: string;
  issuer: string;
  client_id: string;
  person_claim: string;
  password_allowed: boolean;
}) => ({
  boardId: p.board_organisation_id,
  displayName: p.display_name,
  issuer: p.issuer,
  clientId: p.client_id,
  personClaim: p.person_claim,
  passwordAllowed: p.password_allowed,
});

const isUniqueViolation = (error: unknown) => (error as { code?: unknown }).code === '23505';

/** The operator adds an upstream provider for a school board; audited in the same transaction. */
export async function createIdentityProvider(ctx: AppContext, who: Who, input: CreateIdentityProviderInput): Promise<string> {
  const issuer = input.issuer.replace(/\/+$/, '');
  await checkBoard(ctx.db, input.boardId);
  await checkBoardFree(ctx.db, input.boardId);
  await checkIssuer(ctx, issuer, input.clientId, input.clientSecret);
  const now = ctx.clock.now();
  const id = newId();
  const row = {
    id,
    board_organisation_id: input.boardId,
    display_name: input.displayName,
    issuer,
    client_id: input.clientId,
    client_secret: input.clientSecret,
    person_claim: input.personClaim,
    password_allowed: input.passwordAllowed,
    created_at: now,
    updated_at: now,
  };
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('upstream_identity_providers').values(row).execute();
      await recordAudit(trx, now, who, {
        action: 'identity_provider.created',
        subjectType: 'identity_provider',
        subjectId: id,
        institutionNumbers: (await institutionsUnder(trx, [input.boardId])).get(input.boardId),
        after: auditView(row),
      });
    });
  } catch (error) {
    // Two operators adding one board at once: the unique board key decides, the loser gets the 409.
    if (isUniqueViolation(error)) await checkBoardFree(ctx.db, input.boardId);
    throw error;
  }
  return id;
}

/** The operator changes a provider; omitted fields (and an omitted secret) stay as they are. */
export async function updateIdentityProvider(ctx: AppContext, who: Who, id: string, input: UpdateIdentityProviderInput): Promise<void> {
  const before = await ctx.db.selectFrom('upstream_identity_providers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!before) throw notFound('identity_provider_not_found', 'No identity provider has this id.');
  const after = {
    board_organisation_id: input.boardId ?? before.board_organisation_id,
    display_name: input.displayName ?? before.display_name,
    issuer: input.issuer?.replace(/\/+$/, '') ?? before.issuer,
    client_id: input.clientId ?? before.client_id,
    client_secret: input.clientSecret ?? before.client_secret,
    person_claim: input.personClaim ?? before.person_claim,
    password_allowed: input.passwordAllowed ?? before.password_allowed,
  };
  if (after.board_organisation_id !== before.board_organisation_id) {
    await checkBoard(ctx.db, after.board_organisation_id);
    await checkBoardFree(ctx.db, after.board_organisation_id, id);
  }
  if (after.issuer !== before.issuer || after.client_id !== before.client_id || after.client_secret !== before.client_secret) {
    await checkIssuer(ctx, after.issuer, after.client_id, after.client_secret);
  }
  const now = ctx.clock.now();
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('upstream_identity_providers')
        .set({ ...after, updated_at: now })
        .where('id', '=', id)
        .executeTakeFirst();
      if (!updated.numUpdatedRows) throw notFound('identity_provider_not_found', 'No identity provider has this id.');
      const boards = [...new Set([before.board_organisation_id, after.board_organisation_id])];
      const units = await institutionsUnder(trx, boards);
      await recordAudit(trx, now, who, {
        action: 'identity_provider.updated',
        subjectType: 'identity_provider',
        subjectId: id,
        institutionNumbers: [...new Set(boards.flatMap((b) => units.get(b) ?? []))],
        before: auditView(before),
        after: { ...auditView(after), secretChanged: after.client_secret !== before.client_secret },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) await checkBoardFree(ctx.db, after.board_organisation_id, id);
    throw error;
  }
}

/** The operator removes a provider: its schools go back to password sign-in at once. */
export async function deleteIdentityProvider(ctx: AppContext, who: Who, id: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const before = await trx.deleteFrom('upstream_identity_providers').where('id', '=', id).returningAll().executeTakeFirst();
    if (!before) throw notFound('identity_provider_not_found', 'No identity provider has this id.');
    await recordAudit(trx, now, who, {
      action: 'identity_provider.deleted',
      subjectType: 'identity_provider',
      subjectId: id,
      institutionNumbers: (await institutionsUnder(trx, [before.board_organisation_id])).get(before.board_organisation_id),
      before: auditView(before),
    });
  });
}
