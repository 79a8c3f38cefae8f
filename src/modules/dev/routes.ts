import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the dev module (being built). */
export default async function devRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
