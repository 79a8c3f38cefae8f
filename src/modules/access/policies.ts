import type { Actor } from '../../auth/actor.ts';
import type { AppContext, Queryable } from '../../context.ts';
import { editableTargets, loadAdminScope, targetVisible, type AdminScope } from '../../auth/admin-scope.ts';
import type { Api, AppStatus, ClientOrigin, User } from '../../db/schema.ts';
import { ApiError, forbidden, notFound } from '../../http/errors.ts';

export {
  editableTargets,
  loadAdminScope,
  scopeAccessGroupIds,
  scopeInstitutionNumbers,
  scopeIsEmpty,
  targetVisible,
  type AdminScope,
} from '../../auth/admin-scope.ts';

/**
 * Who may do what to which subject, declared once per subject type, in the spirit of Outline's
 * `server/policies`:
 *
 *     allow('partner', ['read', 'update'], App, (actor, app) => actor.partnerId === app.partner_id);
 *     authorize(actor, 'update', App, app); // 404 when the actor may not even read it, else 403
 *
 * The route gate (`config: { access }`) still decides who may call a route at all; these rules
 * decide about one loaded subject (this app, this grant, this institution). Rules are synchronous
 * and read only what the actor and subject carry, so a table test can prove them.
 *
 * A school admin's scope (their admin rights in the current school year), which the rules read,
 * lives in src/auth/admin-scope.ts, below every module, and is re-exported here.
 */

// ---------------------------------------------------------------------------------------------
// The machinery

/**
 * The actor as the rules see it: what of the session's `Actor` a rule may look at, and for a school
 * admin their scope this school year (loaded once per request by `policyActor`). Narrower than
 * `Actor` so a caller that knows only the partner (a service given a partner id) can ask too.
 */
export type PolicyActor =
  | { kind: 'anonymous' }
  | { kind: 'operator' }
  | { kind: 'partner'; partnerId: string | null }
  | { kind: 'school'; user: Pick<User, 'user_management_access'>; scope: AdminScope }
  /** An OAuth client calling a data API (no human session): asks only about its own grants (write-access.ts). */
  | { kind: 'client'; clientId: string };

/** The kinds of actor a rule can name. */
export type ActorKindName = PolicyActor['kind'];

/** Loads what the rules need about `actor` (a school admin's scope). */
export async function policyActor(ctx: AppContext, db: Queryable, actor: Actor): Promise<PolicyActor> {
  if (actor.kind !== 'school') return actor;
  return { kind: 'school', user: actor.user, scope: await loadAdminScope(ctx, db, actor.user) };
}

type Condition<K extends ActorKindName, S> = (actor: Extract<PolicyActor, { kind: K }>, subject: S) => boolean;

interface Rule<S> {
  kinds: ReadonlySet<ActorKindName>;
  actions: ReadonlySet<string>;
  condition: ((actor: PolicyActor, subject: S) => boolean) | undefined;
}

/**
 * A kind of subject that rules are declared for. `A` names its actions; `read` is the one that
 * decides whether the actor may know the subject exists at all.
 */
export interface SubjectType<S, A extends string> {
  readonly name: string;
  /** The error for an actor who may not read the subject: it does not exist for them. */
  readonly notFound: () => ApiError;
  /** The error for an actor who may read the subject but not take `action` on it. */
  readonly forbidden: (action: A) => ApiError;
  /** @internal the declared rules, in order. */
  readonly rules: Rule<S>[];
  /** @internal phantom for the action names. */
  readonly actions?: A;
}

/** Declares a subject type with its errors; the rules follow with `allow`. */
export function subjectType<S, A extends string = 'read' | 'update'>(
  name: string,
  errors: { notFound: () => ApiError; forbidden?: (action: A) => ApiError },
): SubjectType<S, A> {
  return {
    name,
    notFound: errors.notFound,
    forbidden: errors.forbidden ?? ((action) => forbidden('forbidden', `You may not ${action} this ${name}.`)),
    rules: [],
  };
}

/**
 * Allows actors of `kinds` to take `actions` on subjects of `type`, when `condition` (if given)
 * holds. Nothing is allowed that no rule allows.
 */
export function allow<S, A extends string, K extends ActorKindName>(
  kinds: K | readonly K[],
  actions: readonly A[],
  type: SubjectType<S, A>,
  condition?: Condition<K, S>,
): void {
  type.rules.push({
    kinds: new Set<ActorKindName>(typeof kinds === 'string' ? [kinds] : kinds),
    actions: new Set<string>(actions),
    condition: condition as Rule<S>['condition'],
  });
}

/** Whether `actor` may take `action` on `subject`. */
export function can<S, A extends string>(actor: PolicyActor, action: A, type: SubjectType<S, A>, subject: S): boolean {
  return type.rules.some((r) => r.kinds.has(actor.kind) && r.actions.has(action) && (r.condition === undefined || r.condition(actor, subject)));
}

/**
 * Throws unless `actor` may take `action` on `subject`: the subject type's not-found error when
 * the actor may not even read it (another partner's app is a 404, not a 403), else its forbidden
 * error.
 */
export function authorize<S, A extends string>(actor: PolicyActor, action: A | 'read', type: SubjectType<S, A | 'read'>, subject: S): void {
  if (!can(actor, 'read', type, subject)) throw type.notFound();
  if (action !== 'read' && !can(actor, action, type, subject)) throw type.forbidden(action);
}

// ---------------------------------------------------------------------------------------------
// Institutions and grants: the rules the school back-office and the operator share

/** An institution or access group as a subject: a grant target. */
export interface TargetSubject {
  institution_number: string | null;
  access_group_id: string | null;
}

/** Institutions and access groups: a school admin sees those where they hold any right this school year. */
export const Institution = subjectType<TargetSubject, 'read'>('institution', {
  notFound: () => notFound('institution_not_found', 'No such institution among yours.'),
});
allow('operator', ['read'], Institution);
allow('school', ['read'], Institution, (actor, target) => actor.user.user_management_access && targetVisible(actor.scope, target));

/** One grant (existing or wanted) of a client: the API, the target, and the client's app if any. */
export interface GrantSubject extends TargetSubject {
  api: Pick<Api, 'grant_target' | 'required_rights'>;
  /** Where the client came from: the operator keeps the grants of legacy clients. */
  clientOrigin: ClientOrigin;
  /** The client's app; null for a client without one (a legacy client nobody linked). */
  app: { status: AppStatus } | null;
}

/** What can be done with a grant: see it, or create or remove it. */
export type GrantAction = 'read' | 'change';

/**
 * Grants: a school admin sees those on their targets and changes them where they hold a right the
 * API requires, only for an approved app (a client without an app is the operator's); the
 * operator sees all and changes those of legacy clients, linked to an app or not (the
 * legacy-client editor), never an app's own client's: those are the schools' decision.
 */
export const Grant = subjectType<GrantSubject, GrantAction>('grant', {
  notFound: () => notFound('grant_not_found', 'No such grant among the grants you can see.'),
  forbidden: () => forbidden('insufficient_rights', 'You may not change this grant.'),
});
allow('operator', ['read'], Grant);
allow('operator', ['change'], Grant, (_actor, grant) => grant.clientOrigin === 'legacy');
allow('school', ['read'], Grant, (actor, grant) => can(actor, 'read', Institution, grant));
allow(
  'school',
  ['change'],
  Grant,
  (actor, grant) =>
    can(actor, 'read', Institution, grant) &&
    grant.app !== null &&
    grant.app.status === 'approved' &&
    editableTargets(actor.scope, grant.api).includes((grant.api.grant_target === 'institution' ? grant.institution_number : grant.access_group_id) ?? ''),
);
