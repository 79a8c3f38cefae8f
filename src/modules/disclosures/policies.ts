import type { Actor } from '../../auth/actor.ts';
import type { AppContext, Queryable } from '../../context.ts';
import { forbidden, notFound, unauthorized } from '../../http/errors.ts';
import { institutionsOfScope } from '../end-users/queries.ts';
import { loadAdminScope } from '../school/policies.ts';
import { findPerson, relationsOfPerson } from './queries.ts';

/**
 * Who reads disclosure reports in the back-office, and of which institutions: the operator every
 * institution; a school admin the institutions where they hold a right (directly or through an
 * access group) in the current school year — each school answers for what its own grants released;
 * nobody else.
 */
export interface DisclosureReader {
  /** null: every institution (the operator). */
  institutions: string[] | null;
}

/** The back-office reader of disclosure reports, or 401/403 as the school back-office answers. */
export async function disclosureReaderFor(ctx: AppContext, actor: Actor): Promise<DisclosureReader> {
  switch (actor.kind) {
    case 'anonymous':
      throw unauthorized();
    case 'operator':
      return { institutions: null };
    case 'partner':
      throw forbidden('school_only', 'Only school administrators can do this.');
    case 'school': {
      if (!actor.user.user_management_access) {
        throw forbidden('no_access', 'You have no access to user management, so the API portal is not available to you.');
      }
      return { institutions: await institutionsOfScope(ctx.db, await loadAdminScope(ctx, ctx.db, actor.user)) };
    }
  }
}

/**
 * The person, when they have a relation (at any time) at one of the reader's institutions; a 404
 * otherwise, so that an admin cannot learn whether a person exists at another school.
 */
export async function requirePersonForReader(db: Queryable, reader: DisclosureReader, personId: string) {
  const person = await findPerson(db, personId);
  if (person && (reader.institutions === null || (await relationsOfPerson(db, personId, reader.institutions)).length > 0)) return person;
  throw notFound('person_not_found', 'No such person at your institutions.');
}
