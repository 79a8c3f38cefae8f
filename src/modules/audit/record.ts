import type { Queryable } from '../../context.ts';
import type { ActorKind } from '../../db/schema.ts';
import type { Actor } from '../../auth/actor.ts';

/** What one audit row says. Written with `recordAudit` in the transaction of the change. */
export interface AuditEntry {
  action: string;
  subjectType: string;
  subjectId: string;
  partnerId?: string | null;
  appId?: string | null;
  clientId?: string | null;
  institutionNumbers?: string[];
  accessGroupIds?: string[];
  reason?: string | null;
  before?: unknown;
  after?: unknown;
}

/** Who did it, as the audit log names them. */
export function auditActor(actor: Actor): { id: string | null; label: string; kind: ActorKind } {
  if (actor.kind === 'anonymous') return { id: null, label: 'anonymous', kind: 'system' };
  return { id: actor.user.id, label: `${actor.user.display_name} <${actor.user.email}>`, kind: actor.kind };
}

export const systemActor = { id: null, label: 'Schoolgate', kind: 'system' as const };

/** Appends one audit row. Call it inside the transaction that makes the change. */
export async function recordAudit(trx: Queryable, at: Date, who: { id: string | null; label: string; kind: ActorKind }, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      at,
      actor_user_id: who.id,
      actor_label: who.label,
      actor_kind: who.kind,
      action: entry.action,
      subject_type: entry.subjectType,
      subject_id: entry.subjectId,
      partner_id: entry.partnerId ?? null,
      app_id: entry.appId ?? null,
      client_id: entry.clientId ?? null,
      institution_numbers: entry.institutionNumbers ?? [],
      access_group_ids: entry.accessGroupIds ?? [],
      reason: entry.reason ?? null,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .execute();
}
