import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the apps module (being built). */
export default async function appsRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
