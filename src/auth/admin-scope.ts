import type { AppContext, Queryable } from '../context.ts';
import type { Api, ModuleRight, User } from '../db/schema.ts';
import { currentSchoolYear } from '../lib/school-year.ts';

/**
 * What a school admin may see and change, decided from their admin rights in the *current* school
 * year only (rights set up for the coming year count from its first day; in July/August the
 * previous year's rights still apply). Institutions must also be active in that school year.
 */
export interface AdminScope {
  schoolYear: number;
  /** Institution number → its name and the admin's module rights there. */
  institutions: Map<string, { name: string; rights: Set<ModuleRight> }>;
  /** Access group id → its name and the admin's module rights there (invoicing admin groups). */
  accessGroups: Map<string, { name: string; rights: Set<ModuleRight> }>;
}

/** Loads the admin scope of `user` at the clock's current school year. */
export async function loadAdminScope(ctx: AppContext, db: Queryable, user: User): Promise<AdminScope> {
  const schoolYear = currentSchoolYear(ctx.clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: ctx.config.TZ });
  const institutionRights = await db
    .selectFrom('admin_rights as r')
    .innerJoin('institutions as i', 'i.number', 'r.institution_number')
    .select(['r.module_right', 'i.number', 'i.name'])
    .where('r.user_id', '=', user.id)
    .where('r.school_year', '=', schoolYear)
    .where('i.active_from_year', '<=', schoolYear)
    .where((eb) => eb.or([eb('i.active_until_year', 'is', null), eb('i.active_until_year', '>=', schoolYear)]))
    // The developer sandbox is no school: no admin administers it, whatever rights a SIS import holds.
    .where('i.sandbox', '=', false)
    .execute();
  const groupRights = await db
    .selectFrom('admin_rights as r')
    .innerJoin('access_groups as g', 'g.id', 'r.access_group_id')
    .select(['r.module_right', 'g.id', 'g.name'])
    .where('r.user_id', '=', user.id)
    .where('r.school_year', '=', schoolYear)
    .execute();
  const institutions: AdminScope['institutions'] = new Map();
  for (const r of institutionRights) {
    const entry = institutions.get(r.number) ?? { name: r.name, rights: new Set<ModuleRight>() };
    entry.rights.add(r.module_right);
    institutions.set(r.number, entry);
  }
  const accessGroups: AdminScope['accessGroups'] = new Map();
  for (const r of groupRights) {
    const entry = accessGroups.get(r.id) ?? { name: r.name, rights: new Set<ModuleRight>() };
    entry.rights.add(r.module_right);
    accessGroups.set(r.id, entry);
  }
  return { schoolYear, institutions, accessGroups };
}

/** Institution numbers where the admin holds any right this school year. */
export const scopeInstitutionNumbers = (scope: AdminScope): string[] => [...scope.institutions.keys()].sort();

/** Access group ids where the admin holds any right this school year. */
export const scopeAccessGroupIds = (scope: AdminScope): string[] => [...scope.accessGroups.keys()].sort();

/** Whether the admin's scope is empty (an admin with user-management access but no rights this year). */
export const scopeIsEmpty = (scope: AdminScope): boolean => scope.institutions.size === 0 && scope.accessGroups.size === 0;

/**
 * The grant targets (institution numbers or access group ids, per the API's target kind) on which the
 * admin holds one of the rights `api` requires: the only targets they may grant or revoke.
 */
export function editableTargets(scope: AdminScope, api: Pick<Api, 'grant_target' | 'required_rights'>): string[] {
  const source = api.grant_target === 'institution' ? scope.institutions : scope.accessGroups;
  return [...source.entries()]
    .filter(([, v]) => api.required_rights.some((r) => v.rights.has(r)))
    .map(([k]) => k)
    .sort();
}

/** Whether a grant target lies within the admin's scope at all (any right): what they may see. */
export function targetVisible(scope: AdminScope, target: { institution_number: string | null; access_group_id: string | null }): boolean {
  if (target.institution_number !== null) return scope.institutions.has(target.institution_number);
  if (target.access_group_id !== null) return scope.accessGroups.has(target.access_group_id);
  return false;
}
