import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { CsvError, parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { AppContext, Queryable } from '../../context.ts';
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

/**
 * One admin-right row. Which rights exist, and whether a right is held on an institution or on an
 * access group, is the API catalog's (`apis.required_rights` and `grant_target`), checked against the
 * catalog tables when the rights are written (`catalogRightProblems`); here only the shape.
 */
export const adminRightRow = z
  .object({
    sisUserId: z.string().trim().min(1),
    moduleRight: z
      .string({ error: 'must be an admin right the API catalog names, e.g. iLeerlingen' })
      .trim()
      .regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,62}$/, 'must be an admin right the API catalog names, e.g. iLeerlingen'),
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
  .refine((r) => (r.institutionNumber === undefined) !== (r.accessGroupId === undefined), {
    message: 'give either institutionNumber (a right on an institution) or accessGroupId (a right on an access group), not both',
    path: ['institutionNumber'],
  });

/** The rights the catalog names, per grant target of the APIs naming them, with those APIs' codes. */
export async function catalogRights(db: Queryable): Promise<Record<'institution' | 'access_group', Map<string, string[]>>> {
  const apis = await db.selectFrom('apis').select(['code', 'grant_target', 'required_rights']).orderBy('sort_order').orderBy('code').execute();
  const out = { institution: new Map<string, string[]>(), access_group: new Map<string, string[]>() };
  for (const a of apis) for (const r of a.required_rights) out[a.grant_target].set(r, [...(out[a.grant_target].get(r) ?? []), a.code]);
  return out;
}

/**
 * What is wrong with the rights of `rows` by the API catalog: a right no API names, or a right held
 * on the other kind of target than the APIs naming it are granted to. One problem per bad row.
 */
export function catalogRightProblems(
  rows: { moduleRight: string; institutionNumber?: string | undefined; accessGroupId?: string | undefined }[],
  rights: Record<'institution' | 'access_group', Map<string, string[]>>,
): Omit<ImportProblem, 'where'>[] {
  const known = [...new Set([...rights.institution.keys(), ...rights.access_group.keys()])].sort();
  const problems: Omit<ImportProblem, 'where'>[] = [];
  rows.forEach((r, i) => {
    const onInstitution = rights.institution.get(r.moduleRight);
    const onGroup = rights.access_group.get(r.moduleRight);
    if (!onInstitution && !onGroup) {
      problems.push({
        row: i + 1,
        field: 'moduleRight',
        message: `"${r.moduleRight}" is not an admin right of the API catalog; its rights are: ${known.join(', ')}`,
      });
    } else if (r.institutionNumber !== undefined && !onInstitution) {
      problems.push({
        row: i + 1,
        field: 'moduleRight',
        message: `"${r.moduleRight}" grants the API ${onGroup!.join(', ')}, granted per access group: give accessGroupId, not institutionNumber`,
      });
    } else if (r.accessGroupId !== undefined && !onGroup) {
      problems.push({
        row: i + 1,
        field: 'moduleRight',
        message: `"${r.moduleRight}" grants the API ${onInstitution!.join(', ')}, granted per institution: give institutionNumber, not accessGroupId`,
      });
    }
  });
  return problems;
}

/** One refused row of an import: `row` counts the file's records from 1; `where` says where it is in the file (line 3, item 2). */
export interface ImportProblem {
  row: number;
  field: string;
  message: string;
  where?: string;
}

/**
 * An import refused as a whole, with every problem found. Its message is what the CLI prints: one
 * line for one problem (or a file that cannot be read), a count and one line per problem otherwise.
 * It never quotes a password or its hash.
 */
export class ImportError extends Error {
  constructor(
    readonly problems: ImportProblem[],
    message?: string,
  ) {
    const at = (p: ImportProblem) => `${p.where ?? `row ${p.row}`}, ${p.field}: ${p.message}`;
    super(message ?? (problems.length === 1 ? at(problems[0]!) : `${problems.length} invalid rows:\n${problems.map((p) => `  ${at(p)}`).join('\n')}`));
    this.name = 'ImportError';
  }

  /** The file itself cannot be read as an import (missing, not UTF-8, not JSON, ragged CSV). */
  static file(path: string, message: string): ImportError {
    return new ImportError([{ row: 0, field: '(file)', message }], `${path}: ${message}`);
  }
}

/** How an importer names a record's place in its file; by default "row N" (records counted from 1). */
export interface ImportOptions {
  locate?: (row: number) => string;
}

/** An import file read into records, with where each record sits in the file. */
export interface ImportFile {
  records: Record<string, unknown>[];
  /** "line N" of a CSV record (the header is line 1), "item N" of a JSON array's element. */
  locate: (row: number) => string;
}

/**
 * Reads a CSV (header row) or JSON (array) import file. A file that cannot be read as one — missing,
 * not UTF-8, truncated or invalid JSON, a CSV row whose field count differs from the header's — is
 * refused with one line naming the file and, where there is one, the line.
 */
export function readImportFile(path: string): ImportFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw ImportError.file(path, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? 'error'})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw ImportError.file(path, 'is not UTF-8 text');
  }
  if (extname(path).toLowerCase() === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw ImportError.file(path, `is not valid JSON (truncated or damaged?): ${(error as Error).message}`);
    }
    if (!Array.isArray(data) || !data.every((d) => d !== null && typeof d === 'object' && !Array.isArray(d))) {
      throw ImportError.file(path, 'a JSON import is an array of objects');
    }
    return { records: data as Record<string, unknown>[], locate: (row) => `item ${row}` };
  }
  let parsed: { record: Record<string, unknown>; info: { lines: number } }[];
  try {
    parsed = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true }) as typeof parsed;
  } catch (error) {
    if (error instanceof CsvError) {
      const e = error as CsvError & { lines?: number; record?: unknown[]; columns?: unknown[] };
      if (e.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' || e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
        throw ImportError.file(
          path,
          `line ${e.lines} has ${e.record?.length ?? 'a different number of'} fields; the header has ${e.columns?.length ?? 'another number'}`,
        );
      }
      throw ImportError.file(path, `is not valid CSV: ${e.message}`);
    }
    throw error;
  }
  // info.lines is the line a record ends on; a quoted field may span lines, so keep each record's own.
  const lines = parsed.map((p) => p.info.lines);
  return { records: parsed.map((p) => p.record), locate: (row) => `line ${lines[row - 1] ?? row + 1}` };
}

/** Reads a CSV (header row) or JSON (array) file into plain records (see `readImportFile`). */
export function readRecords(path: string): Record<string, unknown>[] {
  return readImportFile(path).records;
}

/**
 * A NUL or a lone surrogate in any field: PostgreSQL cannot store either in text, and the row would
 * fail deep inside the database. Refused here, naming the row and field.
 */
function badCharacters(records: Record<string, unknown>[]): Omit<ImportProblem, 'where'>[] {
  const problems: Omit<ImportProblem, 'where'>[] = [];
  records.forEach((record, index) => {
    for (const [field, value] of Object.entries(record)) {
      if (typeof value !== 'string') continue;
      if (value.includes('\u0000')) problems.push({ row: index + 1, field, message: 'contains a NUL character' });
      else if (/\p{Surrogate}/u.test(value)) problems.push({ row: index + 1, field, message: 'contains an invalid code point (a lone surrogate)' });
    }
  });
  return problems;
}

/** Rows that repeat a key another row of the same file has: a file decides one value per key, not the last row. */
function duplicates<T>(rows: T[], key: (row: T) => string | undefined, field: string, locate: (row: number) => string): ImportProblem[] {
  const first = new Map<string, number>();
  const problems: ImportProblem[] = [];
  rows.forEach((row, index) => {
    const k = key(row);
    if (k === undefined) return;
    const seen = first.get(k);
    if (seen === undefined) first.set(k, index + 1);
    else problems.push({ row: index + 1, field, message: `${k} is in the file twice (first on ${locate(seen)})` });
  });
  return problems;
}

const locateOf = (options: ImportOptions) => options.locate ?? ((row: number) => `row ${row}`);

/** Throws the problems, each placed in its file, if there are any. */
function refuse(problems: Omit<ImportProblem, 'where'>[], options: ImportOptions): void {
  if (!problems.length) return;
  const locate = locateOf(options);
  throw new ImportError(problems.map((p) => ({ ...p, where: locate(p.row) })));
}

function validateAll<T extends z.ZodType>(schema: T, records: Record<string, unknown>[], options: ImportOptions): z.output<T>[] {
  refuse(badCharacters(records), options);
  const problems: Omit<ImportProblem, 'where'>[] = [];
  const rows = records.map((record, index) => {
    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ row: index + 1, field: issue.path.join('.') || '(row)', message: issue.message });
      return undefined;
    }
    return parsed.data;
  });
  refuse(problems, options);
  return rows as z.output<T>[];
}

/**
 * Upserts SIS users by sisUserId (email, name, language, user-management access; password if given).
 * A `password` column is hashed (argon2id) and never echoed, neither it nor its hash. A sisUserId or
 * an e-mail address twice in one file, or an address that belongs to another account, refuses the file.
 */
export async function importUsers(
  ctx: AppContext,
  records: Record<string, unknown>[],
  options: ImportOptions = {},
): Promise<{ created: number; updated: number }> {
  const rows = validateAll(sisUserRow, records, options);
  const locate = locateOf(options);
  refuse([...duplicates(rows, (r) => r.sisUserId, 'sisUserId', locate), ...duplicates(rows, (r) => r.email, 'email', locate)], options);
  const hashes = await Promise.all(rows.map((r) => (r.password ? hashPassword(r.password) : Promise.resolve(null))));
  let created = 0;
  let updated = 0;
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    for (const [i, r] of rows.entries()) {
      const existing = await trx.selectFrom('users').select(['id', 'kind']).where('sis_user_id', '=', r.sisUserId).executeTakeFirst();
      if (existing) {
        const clash = await trx.selectFrom('users').select('id').where('email', '=', r.email).where('id', '!=', existing.id).executeTakeFirst();
        if (clash) refuse([{ row: i + 1, field: 'email', message: `${r.email} belongs to another account` }], options);
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
        if (clash) refuse([{ row: i + 1, field: 'email', message: `${r.email} belongs to another account` }], options);
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
 * How `importRights` treats the rights a user already holds:
 * - `replace` (the default): for every (user, school year) in the file, that user's rights of that
 *   school year become exactly the file's, so a right removed in the SIS disappears here too (the
 *   file is the SIS's full list for those users and years);
 * - `merge`: the file's rights are added; nothing is removed (a file of additions).
 * Users and school years the file does not name are never touched.
 */
export type RightsImportMode = 'replace' | 'merge';
/** The modes `rights import --mode` takes; the first is the default. */
export const RIGHTS_IMPORT_MODES = ['replace', 'merge'] as const;

/** Imports admin rights, replacing or merging each named user's rights of each named school year (see `RightsImportMode`). */
export async function importRights(
  ctx: AppContext,
  records: Record<string, unknown>[],
  options: ImportOptions & { mode?: RightsImportMode } = {},
): Promise<{ mode: RightsImportMode; users: number; rights: number; removed: number }> {
  const mode = options.mode ?? 'replace';
  const rows = validateAll(adminRightRow, records, options);
  let removed = 0;
  const now = ctx.clock.now();
  const touched = new Set<string>();
  await ctx.db.transaction().execute(async (trx) => {
    // The rights of the API catalog as the database holds it (the catalog file synchronised at start).
    const problems: Omit<ImportProblem, 'where'>[] = catalogRightProblems(rows, await catalogRights(trx));
    const userIds = new Map<string, string>();
    for (const [i, r] of rows.entries()) {
      if (!userIds.has(r.sisUserId)) {
        const u = await trx.selectFrom('users').select('id').where('sis_user_id', '=', r.sisUserId).executeTakeFirst();
        if (!u) problems.push({ row: i + 1, field: 'sisUserId', message: 'unknown SIS user (import users first)' });
        else userIds.set(r.sisUserId, u.id);
      }
      if (r.institutionNumber) {
        const inst = await trx.selectFrom('institutions').select(['number', 'sandbox']).where('number', '=', r.institutionNumber).executeTakeFirst();
        if (!inst) problems.push({ row: i + 1, field: 'institutionNumber', message: 'unknown institution' });
        // The developer sandbox is no school: nobody administers it.
        else if (inst.sandbox) problems.push({ row: i + 1, field: 'institutionNumber', message: 'the developer sandbox, not a school' });
      }
      if (r.accessGroupId) {
        const g = await trx.selectFrom('access_groups').select('id').where('id', '=', r.accessGroupId).executeTakeFirst();
        if (!g) problems.push({ row: i + 1, field: 'accessGroupId', message: 'unknown access group' });
      }
    }
    refuse(problems, options);
    for (const r of rows) touched.add(`${userIds.get(r.sisUserId)}|${r.schoolYear}`);
    const fileRights = new Set(
      rows.map((r) => `${userIds.get(r.sisUserId)}|${r.schoolYear}|${r.moduleRight}|${r.institutionNumber ?? ''}|${r.accessGroupId ?? ''}`),
    );
    if (mode === 'replace') {
      for (const key of touched) {
        const [userId, year] = key.split('|') as [string, string];
        const held = await trx.selectFrom('admin_rights').selectAll().where('user_id', '=', userId).where('school_year', '=', Number(year)).execute();
        removed += held.filter(
          (h) => !fileRights.has(`${h.user_id}|${h.school_year}|${h.module_right}|${h.institution_number ?? ''}|${h.access_group_id ?? ''}`),
        ).length;
        await trx.deleteFrom('admin_rights').where('user_id', '=', userId).where('school_year', '=', Number(year)).execute();
      }
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
      after: { mode, users: touched.size, rights: rows.length, removed },
    });
  });
  return { mode, users: new Set([...touched].map((k) => k.split('|')[0])).size, rights: rows.length, removed };
}

/** One institution row of an import: number, name, town, activeFromYear, activeUntilYear. */
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

/** Upserts institutions by number; a number twice in one file refuses the file, naming both lines (not last-wins). */
export async function importInstitutions(ctx: AppContext, records: Record<string, unknown>[], options: ImportOptions = {}): Promise<{ upserted: number }> {
  const rows = validateAll(institutionRow, records, options);
  refuse(
    duplicates(rows, (r) => r.number, 'number', locateOf(options)),
    options,
  );
  await ctx.db.transaction().execute(async (trx) => {
    // A school with the developer sandbox's number would become the sandbox: refused, naming the rows.
    const sandbox = await trx.selectFrom('institutions').select('number').where('sandbox', '=', true).executeTakeFirst();
    refuse(
      rows.flatMap((r, i) =>
        sandbox && r.number === sandbox.number ? [{ row: i + 1, field: 'number', message: "the developer sandbox's number (remove the sandbox first)" }] : [],
      ),
      options,
    );
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
