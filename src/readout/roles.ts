/**
 * The one staff-title → role table. A duty's title (SS 12000 `dutyRole`) maps to one readout role,
 * and each readout role has exactly one value in SDS v2.1 and one in OneRoster 1.2: both outputs
 * come from the same decision, so a person is never a nurse in one file set and a teacher in the other.
 */
export const STAFF_ROLES = {
  teacher: { sds: 'teacher', oneroster: 'teacher' },
  principal: { sds: 'principal', oneroster: 'principal' },
  administrator: { sds: 'administrator', oneroster: 'administrator' },
  aide: { sds: 'teacherAssistant', oneroster: 'aide' },
  counselor: { sds: 'advisor', oneroster: 'counselor' },
  // OneRoster 1.2 has no generic staff role: aide is the one that grants the least in an LMS.
  staff: { sds: 'staff', oneroster: 'aide' },
} as const;

export type StaffRole = keyof typeof STAFF_ROLES;
/** A title mapped to `exclude` makes no one staff: such duties are skipped (rule `staff.duty.role_excluded`). */
export type StaffRoleChoice = StaffRole | 'exclude';
export const STAFF_ROLE_CHOICES = [...(Object.keys(STAFF_ROLES) as StaffRole[]), 'exclude'] as const;

/** The default table for the SS 12000 v2.1 `dutyRole` values; a customer's `mapping.staffRoles` entries override it. */
export const DEFAULT_STAFF_ROLES: Record<string, StaffRoleChoice> = {
  Lärare: 'teacher',
  Förskollärare: 'teacher',
  Förstelärare: 'teacher',
  'Speciallärare/specialpedagog': 'teacher',
  Fritidspedagog: 'teacher',
  'Övrig pedagogisk personal': 'teacher',
  Rektor: 'principal',
  Förskolechef: 'principal',
  'Övrig arbetsledning': 'administrator',
  Skoladministratör: 'administrator',
  Lärarassistent: 'aide',
  Barnskötare: 'aide',
  Kurator: 'counselor',
  Skolpsykolog: 'counselor',
  'Studie- och yrkesvägledare': 'counselor',
  Skolsköterska: 'staff',
  Skolläkare: 'staff',
  Bibliotekarie: 'staff',
  'Annan personal': 'staff',
};

/** How titles are mapped for one customer: the table and what an unknown (or absent) title becomes. */
export interface RoleMapping {
  table: Record<string, StaffRoleChoice>;
  unknown: StaffRoleChoice;
}

export const DEFAULT_ROLE_MAPPING: RoleMapping = { table: DEFAULT_STAFF_ROLES, unknown: 'staff' };

/** The readout role of a title, and whether the title was in the table. */
export function staffRoleOf(title: string | undefined, m: RoleMapping): { role: StaffRoleChoice; known: boolean } {
  const hit = title === undefined ? undefined : m.table[title];
  return hit ? { role: hit, known: true } : { role: m.unknown, known: false };
}
