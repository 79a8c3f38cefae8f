import type { Actor } from '../../auth/actor.ts';
import type { AppContext } from '../../context.ts';
import { forbidden, unauthorized } from '../../http/errors.ts';
import { loadAdminScope, scopeAccessGroupIds, scopeInstitutionNumbers } from '../../auth/admin-scope.ts';
import type { AuditVisibility } from './queries.ts';
import type { ReaderScope } from './presenters.ts';

/**
 * Who reads which audit entries: the operator all of them; a partner member those of its partner;
 * a school admin those touching an institution or access group where they hold a right in the
 * current school year (with other schools' targets blanked out); an ordinary SIS user nothing.
 */
export async function auditReaderFor(ctx: AppContext, actor: Actor): Promise<{ visibility: AuditVisibility; scope: ReaderScope | null }> {
  switch (actor.kind) {
    case 'anonymous':
      throw unauthorized();
    case 'operator':
      return { visibility: { kind: 'all' }, scope: null };
    case 'partner':
      if (!actor.user.email_verified_at) throw forbidden('email_not_confirmed', 'Confirm your e-mail address first.');
      if (!actor.partnerId) throw forbidden('partner_profile_missing', 'Create your partner profile first.');
      return { visibility: { kind: 'partner', partnerId: actor.partnerId }, scope: null };
    case 'school': {
      if (!actor.user.user_management_access) {
        throw forbidden('no_access', 'You have no access to user management, so the API portal is not available to you.');
      }
      const scope = await loadAdminScope(ctx, ctx.db, actor.user);
      const institutionNumbers = scopeInstitutionNumbers(scope);
      const accessGroupIds = scopeAccessGroupIds(scope);
      return {
        visibility: { kind: 'scope', institutionNumbers, accessGroupIds },
        scope: { institutions: new Set(institutionNumbers), accessGroups: new Set(accessGroupIds) },
      };
    }
  }
}
