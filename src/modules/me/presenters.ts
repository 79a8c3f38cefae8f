import type { ClientGrantRow } from './queries.ts';

export const presentClientGrant = (row: ClientGrantRow, dataCategories: Record<string, string[]>) => ({
  id: row.id,
  api: { code: row.api_code, name: row.api_name },
  institution: row.institution_number ? { number: row.institution_number, name: row.institution_name ?? '', sandbox: row.institution_sandbox === true } : null,
  accessGroup: row.access_group_id ? { id: row.access_group_id, name: row.access_group_name ?? '' } : null,
  dataCategories: dataCategories[row.api_code] ?? [],
  grantedAt: row.granted_at,
});
