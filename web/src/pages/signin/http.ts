/**
 * Requests of the end-user screens. The sign-in steps talk to `/signin/:uid/*` (outside /api/v1, so
 * the browser sends oidc-provider's interaction cookie, whose path is `/signin/<uid>`), and "My
 * connected apps" carries its own CSRF token: the shared client's token belongs to the staff session
 * and must not be overwritten by the end user's.
 */
// One fetch for the whole web app: the end-user screens pass their own CSRF token.
export { callJson } from '../../api/client.ts';
