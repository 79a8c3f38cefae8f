import { releaseParts } from '../../src/modules/ss12000/release.ts';
import type { EntityType } from '../../src/modules/ss12000/schemas.ts';

/**
 * The body of an SS 12000 row a test inserts directly (not through ingestion), with the release
 * parts ingestion would store beside it (see src/modules/ss12000/release.ts).
 */
export function storedBody(type: EntityType, body: Record<string, unknown>) {
  return { body: JSON.stringify(body), ...releaseParts(type, body) };
}
