import type { AppContext } from '../../src/context.ts';
import { STAFF_KINDS, STUDENT_KINDS } from '../../src/modules/ss12000/model.ts';
import { insertApp, insertClient, insertEndUserAccount, insertGrant, insertPartner } from '../../src/seed/builders.ts';
import type { World } from '../../src/generator/index.ts';
import { PASSWORD, unitId } from './fixtures.ts';

/** A person of the SS 12000 store with a Schoolgate end-user account. */
export interface EndUser {
  personId: string;
  login: string;
  givenName: string;
  familyName: string;
  /** Display names of the classes (groups of type Klass) the person belongs to at the school. */
  classes: string[];
}

/**
 * The `n`-th person (by id) related to the school unit of `institution` through one of `kinds`,
 * given an end-user account with the test password.
 */
async function endUserAt(ctx: AppContext, world: World, institution: string, kinds: readonly string[], n: number, login: string): Promise<EndUser> {
  const unit = unitId(world, institution);
  const people = await ctx.db
    .selectFrom('ss12000_person_relations as r')
    .innerJoin('ss12000_persons as p', 'p.id', 'r.person_id')
    .select(['p.id', 'p.given_name', 'p.family_name'])
    .where('r.organisation_id', '=', unit)
    .where('r.kind', 'in', [...kinds])
    .distinct()
    .orderBy('p.id')
    .execute();
  const person = people[n];
  if (!person) throw new Error(`no person #${n} of ${kinds.join('/')} at ${institution}`);
  const classes = await ctx.db
    .selectFrom('ss12000_person_relations as r')
    .innerJoin('ss12000_groups as g', 'g.id', 'r.source_id')
    .select('g.display_name')
    .where('r.person_id', '=', person.id)
    .where('r.kind', '=', 'groupMembership')
    .where('g.group_type', '=', 'Klass')
    .where('g.organisation_id', '=', unit)
    .execute();
  await insertEndUserAccount(ctx.db, { personId: person.id, login, password: PASSWORD });
  return { personId: person.id, login, givenName: person.given_name, familyName: person.family_name, classes: classes.map((c) => c.display_name) };
}

/** A student of the school with an account (the `n`-th, so two tests get two different students). */
export const studentAt = (ctx: AppContext, world: World, institution: string, n: number, login: string) =>
  endUserAt(ctx, world, institution, STUDENT_KINDS, n, login);

/** A staff member of the school with an account. */
export const staffAt = (ctx: AppContext, world: World, institution: string, n: number, login: string) =>
  endUserAt(ctx, world, institution, STAFF_KINDS, n, login);

/**
 * The partner "Homework Heroes" with its approved "Homework App" (students API: identity, for
 * homework planning), a client with a known secret and the given redirect URI, granted at `grantedAt`.
 */
export async function seedHomeworkApp(
  ctx: AppContext,
  redirectUri: string,
  grantedAt: string[],
): Promise<{ appId: string; partnerId: string; clientId: string; secret: string }> {
  const partnerId = await insertPartner(ctx.db, { name: 'Homework Heroes', contactEmail: 'contact@homework.example', memberUserIds: [] });
  const appId = await insertApp(ctx.db, {
    partnerId,
    name: 'Homework App',
    status: 'approved',
    redirectUris: [redirectUri],
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Plans homework per class.' }],
  });
  const { clientId, secret } = await insertClient(ctx.db, { appId, name: 'Homework App' });
  for (const n of grantedAt) await insertGrant(ctx.db, { clientId, apiCode: 'students', institutionNumber: n, reason: 'Seeded' });
  return { appId, partnerId, clientId, secret };
}
