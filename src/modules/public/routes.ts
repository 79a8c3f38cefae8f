import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the public module (being built). */
export default async function publicRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
