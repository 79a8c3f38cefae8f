/**
 * The boarders release declaration and the served schema name the same members (a member in the
 * schema that no declaration names would never be served; a declared one the schema lacks would be
 * undocumented), and ingestion keeps nothing the declaration cannot place: every input member is
 * declared, except the guardians' own marking, which only withholds. The person's name is declared
 * but not ingested: it is read from the SS 12000 store.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { declaredPaths } from './release.ts';
import { boarderInput, boarderSchema } from './schemas.ts';

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

const skip = (p: string) => p.startsWith('institution.') || p.includes('address.');

describe('the boarders release declaration', () => {
  it('names exactly the members the served schema has', () => {
    const declared = declaredPaths().map((p) => p.path);
    expect(
      pathsOf(boarderSchema)
        .filter((p) => !p.startsWith('meta.') && !skip(p))
        .sort(),
    ).toEqual(declared.sort());
  });

  it('places every member ingestion keeps, except the guardians’ markings', () => {
    const declared = new Set(declaredPaths().map((p) => p.path));
    const kept = pathsOf(boarderInput).filter((p) => !skip(p));
    expect(kept.filter((p) => !declared.has(p))).toEqual(['guardians[].securityMarking']);
  });
});
