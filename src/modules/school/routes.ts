import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the school module (being built). */
export default async function schoolRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
