import type { Api } from '../../db/schema.ts';
import { editableTargets, type AdminScope } from '../../auth/admin-scope.ts';

/*
 * The rules for grants and institutions (`Grant`, `Institution`) are declared in
 * src/modules/access/policies.ts, their one owner; the admin scope they read lives in
 * src/auth/admin-scope.ts and is re-exported for this module's files and older importers.
 * What stays here explains a refusal.
 */
export {
  editableTargets,
  loadAdminScope,
  scopeAccessGroupIds,
  scopeInstitutionNumbers,
  scopeIsEmpty,
  targetVisible,
  type AdminScope,
} from '../../auth/admin-scope.ts';

/** Why an API's grants of a client cannot be edited by this admin, or null when they can. */
export function notEditableReason(
  scope: AdminScope,
  api: Pick<Api, 'grant_target' | 'required_rights'>,
  subject: { appStatus: string | null; hasApp: boolean },
): 'client_without_app' | 'app_not_approved' | 'insufficient_rights' | null {
  if (!subject.hasApp) return 'client_without_app';
  if (subject.appStatus !== 'approved') return 'app_not_approved';
  if (editableTargets(scope, api).length === 0) return 'insufficient_rights';
  return null;
}
