import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the me module (being built). */
export default async function meRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
