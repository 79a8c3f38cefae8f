import { sql } from 'kysely';
import type { Database } from '../../db/index.ts';
import type { Queryable } from '../../context.ts';
import { tableOf } from './model.ts';
import { partsOf, releaseParts, releasePolicy, releasePolicyDigest } from './release.ts';
import { entityTypes, inputSchemas, type EntityType } from './schemas.ts';

/**
 * Keeps the stored release parts (the json_* columns, see `release.ts`) in step with the release
 * policy: ingestion writes them with each row; this recomputes them for rows stored before, and for
 * every row whenever the policy's digest differs from the one recorded in ss12000_release_state.
 */

// Advisory lock keys: 727361 migrations, 727362 signing keys, 727363 this, 727364 ingestion.
const LOCK = 727363;
const BATCH = 2000;

/**
 * A stored body as its input schema reads it: unknown members (nested too) dropped. A body that no
 * longer passes as a whole (stored by an older version) keeps each declared member that passes on
 * its own, so a bad member costs only itself.
 */
export function normalizeStored(type: EntityType, body: Record<string, unknown>): Record<string, unknown> {
  const schema = inputSchemas[type];
  const whole = schema.safeParse(body);
  if (whole.success) return whole.data as Record<string, unknown>;
  const shape = (schema as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }> }).shape;
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(releasePolicy[type].fields)) {
    if (body[field] === undefined || !shape[field]) continue;
    const r = shape[field].safeParse(body[field]);
    if (r.success) out[field] = r.data;
  }
  return out;
}

/** Recomputes the release parts of rows of `type` (all, or those with the given ids). Returns the count. */
export async function refreshReleaseParts(db: Queryable, type: EntityType, ids?: string[]): Promise<number> {
  const table = tableOf[type];
  const columns = partsOf(type).map((p) => p.column);
  let after = '00000000-0000-0000-0000-000000000000';
  let count = 0;
  for (;;) {
    const rows = await sql<{ id: string; body: Record<string, unknown> }>`
      SELECT id, body FROM ${sql.table(table)}
      WHERE id > ${after}::uuid ${ids ? sql`AND id = ANY(${ids}::uuid[])` : sql``}
      ORDER BY id LIMIT ${BATCH}`.execute(db);
    if (!rows.rows.length) break;
    const values = rows.rows.map((r) => releaseParts(type, normalizeStored(type, r.body)));
    const arrays = columns.map((c) => sql`${values.map((v) => v[c] ?? null)}::text[]`);
    await sql`
      UPDATE ${sql.table(table)} t SET ${sql.join(columns.map((c) => sql`${sql.ref(c)} = u.${sql.ref(c)}`))}
      FROM unnest(${rows.rows.map((r) => r.id)}::uuid[], ${sql.join(arrays)}) AS u(id, ${sql.join(columns.map((c) => sql.ref(c)))})
      WHERE t.id = u.id`.execute(db);
    count += rows.rows.length;
    after = rows.rows[rows.rows.length - 1]!.id;
  }
  return count;
}

/**
 * Brings every row's release parts in line with the current policy when its digest differs from the
 * recorded one (first start after migration 0049, or a changed policy), in one transaction under an
 * advisory lock so that processes starting together do it once. Returns the rows recomputed.
 */
export async function applyReleasePolicy(database: Database): Promise<number> {
  let total = 0;
  await database.db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${LOCK})`.execute(conn);
    try {
      const state = await sql<{ policy_digest: string }>`SELECT policy_digest FROM ss12000_release_state`.execute(conn);
      if (state.rows[0]?.policy_digest === releasePolicyDigest) return;
      await conn.transaction().execute(async (trx) => {
        for (const type of entityTypes) total += await refreshReleaseParts(trx, type);
        await sql`INSERT INTO ss12000_release_state (singleton, policy_digest, applied_at) VALUES (true, ${releasePolicyDigest}, now())
                  ON CONFLICT (singleton) DO UPDATE SET policy_digest = excluded.policy_digest, applied_at = excluded.applied_at`.execute(trx);
      });
    } finally {
      await sql`SELECT pg_advisory_unlock(${LOCK})`.execute(conn);
    }
  });
  return total;
}
