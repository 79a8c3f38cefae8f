import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../../src/context.ts';
import { newId } from '../../../src/lib/ids.ts';
import { insertUser } from '../../../src/seed/builders.ts';
import type { Harness } from '../../support/harness.ts';
import { createSchool } from '../signin/support.ts';
import { storedBody } from '../../support/stored.ts';

/** An SS 12000 organisation row (a board or a school) with the columns the sign-in reads. */
async function insertOrganisation(ctx: AppContext, o: { name: string; type: string; parentId?: string }) {
  const id = newId();
  const now = new Date();
  await ctx.db
    .insertInto('ss12000_organisations')
    .values({
      id,
      ...storedBody('organisations', { id, displayName: o.name, organisationType: o.type, ...(o.parentId ? { parentOrganisation: { id: o.parentId } } : {}) }),
      hash: randomBytes(8).toString('hex'),
      created_at: now,
      modified_at: now,
      display_name: o.name,
      organisation_type: o.type,
      parent_id: o.parentId ?? null,
    })
    .execute();
  return id;
}

/**
 * A school board (Huvudman) with a school unit two levels down (Huvudman → Skola → Skolenhet), as
 * in SS 12000 data: the unit reaches its board only through parent_id.
 */
export async function createBoardWithSchool(ctx: AppContext, boardName: string) {
  const boardId = await insertOrganisation(ctx, { name: boardName, type: 'Huvudman' });
  const skolaId = await insertOrganisation(ctx, { name: `${boardName} skola`, type: 'Skola', parentId: boardId });
  const school = await createSchool(ctx, `${boardName} skolenhet`);
  await ctx.db.updateTable('ss12000_organisations').set({ parent_id: skolaId }).where('id', '=', school.unitId).execute();
  return { boardId, skolaId, school };
}

let operators = 0;

/** A signed-in operator's browser (the operator API needs a staff session and its CSRF token). */
export async function operatorClient(h: Harness) {
  const email = `operator-${++operators}-${newId().slice(0, 8)}@vendor.example`;
  await insertUser(h.ctx.db, { email, password: 'operator password', displayName: 'Olga Operator', kind: 'operator' });
  const client = h.client();
  const login = await client.login(email, 'operator password');
  if (login.status !== 200) throw new Error(`operator login: ${login.status}`);
  return client;
}
