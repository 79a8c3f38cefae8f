import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the auth module (being built). */
export default async function authRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
