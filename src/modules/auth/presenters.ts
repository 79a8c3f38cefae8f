import type { Actor } from '../../auth/actor.ts';
import type { User } from '../../db/schema.ts';

export function presentSessionUser(user: User, partnerId: string | null) {
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    kind: user.kind,
    language: user.language,
    emailConfirmed: user.email_verified_at !== null,
    partnerId,
    userManagementAccess: user.user_management_access,
  };
}

export const partnerIdOf = (actor: Actor): string | null => (actor.kind === 'partner' ? actor.partnerId : null);
