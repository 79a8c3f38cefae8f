import type { AppContext } from '../context.ts';
import type { ZodApp } from '../http/types.ts';
import authRoutes from './auth/routes.ts';
import partnersRoutes from './partners/routes.ts';
import appsRoutes from './apps/routes.ts';
import catalogRoutes from './catalog/routes.ts';
import reviewRoutes from './review/routes.ts';
import schoolRoutes from './school/routes.ts';
import auditRoutes from './audit/routes.ts';
import meRoutes from './me/routes.ts';
import devRoutes from './dev/routes.ts';
import publicRoutes from './public/routes.ts';
import readoutRoutes from '../readout/routes.ts';
import identityProviderRoutes from './identity-providers/routes.ts';
import endUserRoutes from './end-users/routes.ts';
import disclosureRoutes from './disclosures/routes.ts';
import clientReportAdminRoutes from './client-reports/routes.ts';
import developerRoutes from './developers/routes.ts';
import sandboxRoutes from './sandbox/routes.ts';
import statsRoutes from './stats/routes.ts';
import appWebhookRoutes from './app-webhooks/routes.ts';

/** Every module's routes, mounted under /api/v1. */
export const apiModules: ((app: ZodApp, ctx: AppContext) => Promise<void>)[] = [
  authRoutes,
  partnersRoutes,
  appsRoutes,
  catalogRoutes,
  reviewRoutes,
  schoolRoutes,
  auditRoutes,
  meRoutes,
  devRoutes,
  publicRoutes,
  readoutRoutes,
  identityProviderRoutes,
  endUserRoutes,
  disclosureRoutes,
  clientReportAdminRoutes,
  developerRoutes,
  sandboxRoutes,
  statsRoutes,
  appWebhookRoutes,
];
