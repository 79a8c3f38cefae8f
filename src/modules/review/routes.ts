import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the review module (being built). */
export default async function reviewRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
