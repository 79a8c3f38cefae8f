import type { Selectable } from 'kysely';
import type { AuditLogTable } from '../../db/schema.ts';

export type AuditRow = Selectable<AuditLogTable>;

// Keys that must never leave in a log entry, whatever a writer put in `before`/`after`.
const SECRET_KEYS = new Set([
  'secret',
  'clientsecret',
  'client_secret',
  'secrethash',
  'secret_hash',
  'password',
  'passwordhash',
  'password_hash',
  'tokenhash',
  'token_hash',
]);

/** Deep copy of a JSON value without secret-looking members. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !SECRET_KEYS.has(k.toLowerCase()))
        .map(([k, v]) => [k, withoutSecrets(v)]),
    );
  }
  return value;
}

/**
 * The part of the school structure a reader may see in an audit entry; `null` = everything
 * (operator, or a partner reading its own apps' entries).
 */
export interface ReaderScope {
  institutions: Set<string>;
  accessGroups: Set<string>;
}

const inScope = (scope: ReaderScope, target: { institutionNumber?: unknown; accessGroupId?: unknown }): boolean =>
  (typeof target.institutionNumber === 'string' && scope.institutions.has(target.institutionNumber)) ||
  (typeof target.accessGroupId === 'string' && scope.accessGroups.has(target.accessGroupId));

/**
 * Removes from a before/after document every institution and access group the reader has no right
 * on, so that one school's admin never learns another school's grants from a shared entry.
 */
export function redactForScope(value: unknown, scope: ReaderScope | null): unknown {
  if (scope === null || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactForScope(v, scope));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'institutionNumbers' && Array.isArray(v)) out[key] = v.filter((x) => scope.institutions.has(String(x)));
    else if (key === 'accessGroupIds' && Array.isArray(v)) out[key] = v.filter((x) => scope.accessGroups.has(String(x)));
    // The read-write targets of a grant change (write grants): institutions and access groups alike.
    else if (key === 'readWrite' && Array.isArray(v)) out[key] = v.filter((x) => scope.institutions.has(String(x)) || scope.accessGroups.has(String(x)));
    else if (key === 'grants' && Array.isArray(v)) {
      out[key] = v.filter((g) => g !== null && typeof g === 'object' && inScope(scope, g as Record<string, unknown>));
    } else if ((key === 'institutionNumber' || key === 'accessGroupId') && typeof v === 'string') {
      // A single target outside the scope is hidden rather than shown.
      out[key] = inScope(scope, { [key]: v }) ? v : null;
    } else out[key] = redactForScope(v, scope);
  }
  return out;
}

/** One audit row as the API shows it to a reader with the given scope. */
export function presentAuditEntry(row: AuditRow, scope: ReaderScope | null) {
  return {
    id: String(row.id),
    at: row.at,
    actor: { userId: row.actor_user_id, label: row.actor_label, kind: row.actor_kind },
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    partnerId: row.partner_id,
    appId: row.app_id,
    clientId: row.client_id,
    institutionNumbers: scope ? row.institution_numbers.filter((n) => scope.institutions.has(n)) : row.institution_numbers,
    accessGroupIds: scope ? row.access_group_ids.filter((n) => scope.accessGroups.has(n)) : row.access_group_ids,
    reason: row.reason,
    before: redactForScope(withoutSecrets(row.before ?? null), scope),
    after: redactForScope(withoutSecrets(row.after ?? null), scope),
  };
}

export interface GrantChange {
  change: 'added' | 'removed';
  apiCode: string;
  institutionNumber: string | null;
  accessGroupId: string | null;
}

type GrantKey = { apiCode: string; institutionNumber: string | null; accessGroupId: string | null };

/** The grants a before/after document describes, for both shapes the grant actions write. */
function grantsOf(doc: unknown): GrantKey[] {
  if (!doc || typeof doc !== 'object') return [];
  const d = doc as Record<string, unknown>;
  if (Array.isArray(d.grants)) {
    return d.grants.map((g: Record<string, unknown>) => ({
      apiCode: String(g.apiCode),
      institutionNumber: typeof g.institutionNumber === 'string' ? g.institutionNumber : null,
      accessGroupId: typeof g.accessGroupId === 'string' ? g.accessGroupId : null,
    }));
  }
  const apiCode = typeof d.apiCode === 'string' ? d.apiCode : '';
  const inst = Array.isArray(d.institutionNumbers) ? d.institutionNumbers.map((n) => ({ apiCode, institutionNumber: String(n), accessGroupId: null })) : [];
  const groups = Array.isArray(d.accessGroupIds) ? d.accessGroupIds.map((n) => ({ apiCode, institutionNumber: null, accessGroupId: String(n) })) : [];
  return [...inst, ...groups];
}

/** Added and removed grants of a grant-change entry, restricted to the reader's scope. */
export function grantChanges(row: Pick<AuditRow, 'before' | 'after'>, scope: ReaderScope | null): GrantChange[] {
  const key = (g: GrantKey) => `${g.apiCode}|${g.institutionNumber ?? ''}|${g.accessGroupId ?? ''}`;
  const before = grantsOf(row.before);
  const after = grantsOf(row.after);
  const beforeKeys = new Set(before.map(key));
  const afterKeys = new Set(after.map(key));
  const visible = (g: GrantKey) => scope === null || inScope(scope, g);
  return [
    ...after.filter((g) => !beforeKeys.has(key(g)) && visible(g)).map((g) => ({ change: 'added' as const, ...g })),
    ...before.filter((g) => !afterKeys.has(key(g)) && visible(g)).map((g) => ({ change: 'removed' as const, ...g })),
  ];
}
