/**
 * Request and response types taken from the generated OpenAPI description (schema.d.ts, produced by
 * `npm run api-types` from the server's own zod schemas), so no shape is written twice.
 */
import type { paths } from './schema';

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;

type Unknown = any;

/**
 * The 200/201 JSON body of `method path`. A path that is not (yet) in the generated document is
 * loosely typed; run `npm run api-types` when the API grows.
 */
export type Res<P extends string, M extends 'get' | 'post' | 'put' | 'patch' | 'delete' = 'get'> = P extends keyof paths ? ResOf<P, M> : Unknown;

type ResOf<P extends keyof paths, M extends string> = M extends keyof paths[P]
  ? paths[P][M] extends {
      responses: infer R;
    }
    ? R extends { 200: infer O }
      ? Json<O>
      : R extends { 201: infer C }
        ? Json<C>
        : never
    : never
  : Unknown;

/** The JSON request body of `method path`. */
export type Body<P extends string, M extends 'post' | 'put' | 'patch'> = P extends keyof paths
  ? M extends keyof paths[P]
    ? paths[P][M] extends { requestBody?: infer B }
      ? Json<NonNullable<B>>
      : never
    : Unknown
  : Unknown;

/** The list inside an answer `{ data: [] }` (the API's list convention) or a bare array. */
export function itemsOf<T>(answer: T): Item<T>[] {
  if (Array.isArray(answer)) return answer as Item<T>[];
  const a = answer as { data?: unknown } | null | undefined;
  return a && Array.isArray(a.data) ? (a.data as Item<T>[]) : [];
}

/** An element of an array type, or of a `{ data: [] }` answer. */
export type Item<T> = T extends readonly (infer E)[] ? E : T extends { data: readonly (infer E)[] } ? E : Unknown;
