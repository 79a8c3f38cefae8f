import type { RelationKind } from '../ss12000/model.ts';
import type { securityMarkings } from '../ss12000/schemas.ts';

type SecurityMarking = (typeof securityMarkings)[number];

/**
 * The domain's literals that both TypeScript and the live SQL (`src/db/live/`) use, written once.
 *
 * TypeScript imports them from here (`src/modules/ss12000/model.ts` re-exports the role kinds under
 * their old names). Live SQL names them as placeholders — `{{STUDENT_KINDS}}`, `{{PROTECTED_IDENTITY}}`,
 * … — which the migration runner replaces by SQL literals before it hashes and applies a file (see
 * `sqlLiterals` and `src/db/migrate.ts`). So a changed literal changes the text of every live file
 * that uses it, and that file is applied again on the next start: SQL and TypeScript cannot drift.
 *
 * Migrations are history and do not use placeholders: a literal baked into the schema changes only
 * through a new migration that rebuilds what it computed.
 */

/** Relation kinds (ss12000_person_relations.kind) through which the students API reaches a person. */
export const STUDENT_KINDS: RelationKind[] = ['enrolment', 'placement.child'];
/** Relation kinds through which the staff API reaches a person. */
export const STAFF_KINDS: RelationKind[] = ['duty'];
/** Relation kinds that make a person a guardian at a school unit (seen under the students API's `guardians` category). */
export const GUARDIAN_KINDS: RelationKind[] = ['responsibleFor.enrolment', 'responsibleFor.placement', 'placement.owner'];

/**
 * The SS 12000 `securityMarking` of a person with protected identity (`Skyddad folkbokföring`,
 * DOMAIN §4): never releases civic number, address or contact data, and cannot be found by them.
 * What each marking withholds field by field is the release policy's (src/modules/ss12000/release.ts).
 */
export const PROTECTED_IDENTITY = 'Skyddad folkbokföring' satisfies SecurityMarking;

/** `Sekretessmarkering`: the population register marks the person's data as possibly secret (see release.ts). */
export const CONFIDENTIALITY_MARKING = 'Sekretessmarkering' satisfies SecurityMarking;
/** The markings under which the release policy withholds some field (which field: release.ts). */
export const PROTECTING_MARKINGS: readonly SecurityMarking[] = [PROTECTED_IDENTITY, CONFIDENTIALITY_MARKING];

/**
 * Data-category codes an app may be approved for (the catalog's `apis.data_categories`,
 * `app_api_requests.data_categories`); `identity` is what always flows. What each releases is the
 * release policy's (src/modules/ss12000/release.ts).
 */
export const DATA_CATEGORIES = [
  'identity',
  'civic_number',
  'birth_date',
  'sex',
  'addresses',
  'phone_numbers',
  'private_email',
  'photo',
  'guardians',
  // The attendance API's sensitive category (issue 17): a pupil's absences and the reasons given for them.
  'absences',
  // A pupil's grades (issue 17): a sensitive category of its own, offered by the grades API only.
  'grades',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

const textLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
const textArray = (values: readonly string[]) => `ARRAY[${values.map(textLiteral).join(', ')}]::text[]`;

/**
 * The placeholders a live SQL file may use, each with the SQL literal it stands for. The runner
 * replaces `{{NAME}}` by the value; an unknown `{{NAME}}` is an error at start, not a silent typo.
 */
export function sqlLiterals(): Record<string, string> {
  return {
    STUDENT_KINDS: textArray(STUDENT_KINDS),
    STAFF_KINDS: textArray(STAFF_KINDS),
    GUARDIAN_KINDS: textArray(GUARDIAN_KINDS),
    PROTECTED_IDENTITY: textLiteral(PROTECTED_IDENTITY),
    PROTECTING_MARKINGS: textArray(PROTECTING_MARKINGS),
    DATA_CATEGORIES: textArray(DATA_CATEGORIES),
  };
}
