/**
 * The release declaration and the served schema name the same members (a member in the schema that
 * no declaration names would never be served; a declared one the schema lacks would be undocumented),
 * and ingestion keeps nothing the declaration cannot place: every input member is declared, except
 * the pupil's own marking, which only withholds.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { declaredPaths } from './release.ts';
import { invoiceInput, invoiceSchema } from './schemas.ts';

/** Member paths of an object schema, `a.b` for objects and `a[].b` for lists of objects. */
function pathsOf(schema: z.ZodType, prefix = ''): string[] {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodArray) return pathsOf(s.element as z.ZodType, `${prefix}[]`);
  if (!(s instanceof z.ZodObject)) return [];
  return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([key, member]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...pathsOf(member, path)];
  });
}

/** Objects the declaration releases whole (their members are not declared one by one). */
const whole = (p: string) => p.startsWith('meta.') || p.startsWith('institution.') || p.startsWith('accessGroup.') || p.includes('invoiceAddress.');

describe('the invoices release declaration', () => {
  it('names exactly the members the served schema has', () => {
    const declared = declaredPaths().map((p) => p.path);
    expect(
      pathsOf(invoiceSchema)
        .filter((p) => !whole(p))
        .sort(),
    ).toEqual(declared.sort());
  });

  it('places every member ingestion keeps, except the pupil’s marking', () => {
    const declared = new Set(declaredPaths().map((p) => p.path));
    const kept = pathsOf(invoiceInput).filter((p) => !whole(p));
    expect(kept.filter((p) => !declared.has(p))).toEqual(['student.securityMarking']);
  });

  it('releases the invoice address only with the addresses category and never under a marking; amounts only with invoices', () => {
    const byPath = new Map(declaredPaths().map((p) => [p.path, p]));
    expect(byPath.get('debtor.invoiceAddress')).toMatchObject({ categories: ['addresses'], withheldUnder: ['Skyddad folkbokföring', 'Sekretessmarkering'] });
    for (const p of ['status', 'totalGross', 'lines', 'lines[].net', 'reminders[].sentDate', 'dueDate', 'paidDate']) {
      expect(byPath.get(p)?.categories, p).toEqual(['invoices']);
    }
  });
});
