import type { Api } from '../../db/schema.ts';

export const presentApi = (api: Api) => ({
  code: api.code,
  name: api.name,
  grantTarget: api.grant_target,
  requiredRights: api.required_rights,
  dataCategories: api.data_categories,
});
