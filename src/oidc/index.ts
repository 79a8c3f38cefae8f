import type { AppContext } from '../context.ts';
import type { ZodApp } from '../http/types.ts';

/** Mounts the OAuth 2.0 / OpenID Connect provider under /oidc (being built). */
export async function registerOidc(_app: ZodApp, _ctx: AppContext): Promise<void> {}
