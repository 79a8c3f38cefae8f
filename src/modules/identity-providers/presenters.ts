import type { Config } from '../../config.ts';
import { upstreamCallbackUrl } from '../../oidc/upstream/client.ts';
import type { ProviderRow } from './service.ts';

/** A provider row → the API shape. The secret is never selected, so it cannot be presented. */
export function presentIdentityProvider(config: Pick<Config, 'PUBLIC_URL'>, row: ProviderRow, institutionNumbers: string[]) {
  return {
    id: row.id,
    board: { id: row.board_organisation_id, name: row.board_name },
    displayName: row.display_name,
    issuer: row.issuer,
    clientId: row.client_id,
    hasSecret: true as const,
    personClaim: row.person_claim,
    passwordAllowed: row.password_allowed,
    redirectUri: upstreamCallbackUrl(config),
    institutionNumbers,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
