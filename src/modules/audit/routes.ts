import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';

/** Routes of the audit module (being built). */
export default async function auditRoutes(_app: ZodApp, _ctx: AppContext): Promise<void> {}
