import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { hashPassword, passwordProblem } from '../../auth/passwords.ts';
import { newId } from '../../lib/ids.ts';
import { recordAudit, systemActor } from '../audit/record.ts';

/**
 * Imports of SIS users and their admin rights from CSV or JSON files: what a SIS vendor runs to mirror
 * its own users into Schoolgate. Every file is validated whole first; a bad row names its line and
 * field and nothing is written.
 */

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'TRUE', 'FALSE', ''])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes' || v === 'TRUE');

export const sisUserRow = z.object({
  sisUserId: z.string().trim().min(1).max(100),
  email: z.email().transform((e) => e.toLowerCase()),
  displayName: z.string().trim().min(1).max(200),
  language: z.enum(['en', 'nl', 'fr', 'sv']).default('nl'),
  userManagementAccess: bool.default(false),
  /** Optional initial password; SIS users without one cannot sign in until one is set. */
  password: z
    .string()
    .optional()
    .transform((p) => (p === '' ? undefined : p))
    .refine((p) => p === undefined || passwordProblem(p) === null, 'password too weak (at least 10 characters)'),
});

export const adminRightRow = z
  .object({
    sisUserId: z.string().trim().min(1),
    moduleRight: z.enum(['iBasis', 'iLeerlingen', 'iPersoneel', 'iInternen', 'invoicing_admin']),
    institutionNumber: z
      .string()
      .optional()
      .transform((v) => (v ? v : undefined))
      .refine((v) => v === undefined || /^\d{6}$/.test(v), 'must be a six-digit institution number'),
    accessGroupId: z
      .string()
      .optional()
      .transform((v) => (v ? v : undefined))
      .refine((v) => v === undefined || z.uuid().safeParse(v).success, 'must be a GUID'),
    schoolYear: z.coerce.number().int().min(2000).max(2100),
  })
  .refine(
    (r) => (r.moduleRight === 'invoicing_admin') === (r.accessGroupId !== undefined) && (r.institutionNumber === undefined) !== (r.accessGroupId === undefined),
    {
      message: 'invoicing_admin needs accessGroupId; every other right needs institutionNumber',
      path: ['moduleRight'],
    },
  );

export class ImportError extends Error {
  constructor(readonly problems: { row: number; field: string; message: string }[]) {
    super(`${problems.length} invalid row(s):\n${problems.map((p) => `  row ${p.row}, ${p.field}: ${p.message}`).join('\n')}`);
  }
}

/** Reads a CSV (header row) or JSON (array) file into plain records. */
export function readRecords(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8');
  if (extname(path).toLowerCase() === '.json') {
    const data: unknown = JSON.parse(text);
    if (!Array.isArray(data)) throw new ImportError([{ row: 0, field: '(file)', message: 'a JSON import is an array of objects' }]);
    return data as Record<string, unknown>[];
  }
  return parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, unknown>[];
}

function validateAll<T extends z.ZodType>(schema: T, records: Record<string, unknown>[]): z.output<T>[] {
  const problems: { row: number; field: string; message: string }[] = [];
  const rows = records.map((record, index) => {
    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ row: index + 1, field: issue.path.join('.') || '(row)', message: issue.message });
      return undefined;
    }
    return parsed.data;
  });
  if (problems.length) throw new ImportError(problems);
  return rows as z.output<T>[];
}

/** Upserts SIS users by sisUserId (email, name, language, user-management access; password if given). */
export async function importUsers(ctx: AppContext, records: Record<string, unknown>[]): Promise<{ created: number; updated: number }> {
  const rows = validateAll(sisUserRow, records);
  const hashes = await Promise.all(rows.map((r) => (r.password ? hashPassword(r.password) : Promise.resolve(null))));
  let created = 0;
  let updated = 0;
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    for (const [i, r] of rows.entries()) {
      const existing = await trx.selectFrom('users').select(['id', 'kind']).where('sis_user_id', '=', r.sisUserId).executeTakeFirst();
      if (existing) {
        await trx
          .updateTable('users')
          .set({
            email: r.email,
            display_name: r.displayName,
            language: r.language,
            user_management_access: r.userManagementAccess,
            ...(hashes[i] ? { password_hash: hashes[i] } : {}),
            updated_at: now,
          })
          .where('id', '=', existing.id)
          .execute();
        updated++;
      } else {
        const clash = await trx.selectFrom('users').select('id').where('email', '=', r.email).executeTakeFirst();
        if (clash) throw new ImportError([{ row: i + 1, field: 'email', message: 'belongs to another account' }]);
        await trx
          .insertInto('users')
          .values({
            id: newId(),
            email: r.email,
            display_name: r.displayName,
            kind: 'school',
            language: r.language,
            user_management_access: r.userManagementAccess,
            password_hash: hashes[i] ?? null,
            sis_user_id: r.sisUserId,
            email_verified_at: now,
            created_at: now,
            updated_at: now,
          })
          .execute();
        created++;
      }
    }
    await recordAudit(trx, now, systemActor, { action: 'sis.users_imported', subjectType: 'import', subjectId: 'users', after: { created, updated } });
  });
  return { created, updated };
}

/**
 * Imports admin rights. For every (user, school year) present in the file the user's rights of that
 * school year are replaced by the file's, so a right removed in the SIS disappears here too.
 */
export async function importRights(ctx: AppContext, records: Record<string, unknown>[]): Promise<{ users: number; rights: number }> {
  const rows = validateAll(adminRightRow, records);
  const now = ctx.clock.now();
  const touched = new Set<string>();
  await ctx.db.transaction().execute(async (trx) => {
    const problems: { row: number; field: string; message: string }[] = [];
    const userIds = new Map<string, string>();
    for (const [i, r] of rows.entries()) {
      if (!userIds.has(r.sisUserId)) {
        const u = await trx.selectFrom('users').select('id').where('sis_user_id', '=', r.sisUserId).executeTakeFirst();
        if (!u) problems.push({ row: i + 1, field: 'sisUserId', message: 'unknown SIS user (import users first)' });
        else userIds.set(r.sisUserId, u.id);
      }
      if (r.institutionNumber) {
        const inst = await trx.selectFrom('institutions').select('number').where('number', '=', r.institutionNumber).executeTakeFirst();
        if (!inst) problems.push({ row: i + 1, field: 'institutionNumber', message: 'unknown institution' });
      }
      if (r.accessGroupId) {
        const g = await trx.selectFrom('access_groups').select('id').where('id', '=', r.accessGroupId).executeTakeFirst();
        if (!g) problems.push({ row: i + 1, field: 'accessGroupId', message: 'unknown access group' });
      }
    }
    if (problems.length) throw new ImportError(problems);
    for (const r of rows) touched.add(`${userIds.get(r.sisUserId)}|${r.schoolYear}`);
    for (const key of touched) {
      const [userId, year] = key.split('|') as [string, string];
      await trx.deleteFrom('admin_rights').where('user_id', '=', userId).where('school_year', '=', Number(year)).execute();
    }
    for (const r of rows) {
      await trx
        .insertInto('admin_rights')
        .values({
          user_id: userIds.get(r.sisUserId)!,
          module_right: r.moduleRight,
          institution_number: r.institutionNumber ?? null,
          access_group_id: r.accessGroupId ?? null,
          school_year: r.schoolYear,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    await recordAudit(trx, now, systemActor, {
      action: 'sis.rights_imported',
      subjectType: 'import',
      subjectId: 'admin_rights',
      institutionNumbers: [...new Set(rows.flatMap((r) => (r.institutionNumber ? [r.institutionNumber] : [])))],
      after: { users: touched.size, rights: rows.length },
    });
  });
  return { users: new Set([...touched].map((k) => k.split('|')[0])).size, rights: rows.length };
}

/** Upserts institutions (number, name, town, activeFromYear, activeUntilYear). */
export const institutionRow = z.object({
  number: z.string().regex(/^\d{6}$/, 'must be a six-digit institution number'),
  name: z.string().trim().min(1),
  town: z.string().optional(),
  activeFromYear: z.coerce.number().int().min(1900).max(2100),
  activeUntilYear: z
    .union([z.coerce.number().int().min(1900).max(2100), z.literal('')])
    .optional()
    .transform((v) => (v === '' || v === undefined ? null : v)),
});

export async function importInstitutions(ctx: AppContext, records: Record<string, unknown>[]): Promise<{ upserted: number }> {
  const rows = validateAll(institutionRow, records);
  await ctx.db.transaction().execute(async (trx) => {
    for (const r of rows) {
      await trx
        .insertInto('institutions')
        .values({ number: r.number, name: r.name, town: r.town ?? null, active_from_year: r.activeFromYear, active_until_year: r.activeUntilYear })
        .onConflict((oc) =>
          oc.column('number').doUpdateSet({ name: r.name, town: r.town ?? null, active_from_year: r.activeFromYear, active_until_year: r.activeUntilYear }),
        )
        .execute();
    }
    await recordAudit(trx, ctx.clock.now(), systemActor, {
      action: 'sis.institutions_imported',
      subjectType: 'import',
      subjectId: 'institutions',
      after: { upserted: rows.length },
    });
  });
  return { upserted: rows.length };
}
