import type { User } from '../db/schema.ts';

/**
 * Who is making a request. Decided per request from the session cookie (humans) — clients with a
 * bearer token are handled by `src/modules/access/tokens/bearer.ts` and never carry an Actor.
 */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'operator'; user: User; sessionId: string }
  | { kind: 'partner'; user: User; sessionId: string; /** NULL until the partner profile exists. */ partnerId: string | null }
  | { kind: 'school'; user: User; sessionId: string };

export type SignedIn = Exclude<Actor, { kind: 'anonymous' }>;

/**
 * The coarse gate every route declares (`config.access`). Fine-grained decisions about one subject
 * (this app, this institution) are made by the module's policies.
 * - public: anyone
 * - signed_in: any human with a session
 * - partner: a partner member with a confirmed e-mail (profile may be missing)
 * - partner_member: a partner member whose partner profile exists
 * - operator: the SIS vendor's staff
 * - school_admin: a SIS user with user-management access (rights are checked per institution later)
 * - client: an OAuth client with a bearer access token
 * - ingestion: the operator (session), or an ingestion client with a bearer access token, which the
 *   handler checks; a request carrying `Authorization: Bearer` is never resolved from a session
 * - dev: operator, and only outside production
 * - end_user: a person of the SS 12000 store with an `sg_person` session ("My connected apps"); the
 *   staff session is not resolved at all, the handler checks the end-user session and its CSRF token
 *   (src/modules/end-users/session.ts `requireEndUser`)
 */
export type Access = 'public' | 'signed_in' | 'partner' | 'partner_member' | 'operator' | 'school_admin' | 'client' | 'ingestion' | 'dev' | 'end_user';
