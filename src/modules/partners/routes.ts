import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the partners module (being built). */
export default async function partnersRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
