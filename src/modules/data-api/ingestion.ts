import type { FastifyRequest, FastifySchema } from 'fastify';
import type { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { hasBearer } from '../../auth/session.ts';
import { authenticateIngestionClient, installBearerChallenge, type IngestionPrincipal } from '../access/tokens/bearer.ts';
import { auditActor } from '../audit/record.ts';
import type { IngestionActor } from '../ss12000/ingest.ts';

/**
 * The ingestion route of a data API (`POST /api/v1/ingestion/<name>`): the operator's session, or
 * the bearer token of an ingestion client, authenticated before the body is read (an unknown caller
 * must not get that far); the batch's change runs in `ingest` with the audit actor it names.
 */
export async function registerIngestionRoute<Body extends z.ZodType, Result extends z.ZodType>(
  app: ZodApp,
  ctx: AppContext,
  route: {
    /** Below /api/v1/ingestion/, e.g. `boarders`. */
    path: string;
    summary: string;
    body: Body;
    result: Result;
    bodyLimit: number;
    ingest: (body: z.output<Body>, who: IngestionActor) => Promise<z.input<Result>>;
  },
): Promise<void> {
  const ingestionClients = new WeakMap<FastifyRequest, IngestionPrincipal>();
  await app.register(async (api) => {
    installBearerChallenge(api);
    api.post(
      `/api/v1/ingestion/${route.path}`,
      {
        // The operator's session, or the bearer token of an ingestion client (checked below).
        config: { access: 'ingestion' },
        bodyLimit: route.bodyLimit,
        onRequest: async (request) => {
          if (hasBearer(request)) ingestionClients.set(request, await authenticateIngestionClient(ctx, request));
        },
        // Typed as a plain schema: the generic body and result would leave the handler's reply type unresolved.
        schema: {
          tags: ['ingestion'],
          summary: route.summary,
          description: 'For the operator (session) or an ingestion client (bearer access token from client credentials).',
          security: [{ session: [] }, { bearer: [] }],
          body: route.body,
          response: { 200: route.result },
        } as FastifySchema,
      },
      async (request) => {
        const client = ingestionClients.get(request);
        const body = request.body as z.output<Body>;
        if (client) {
          const who = { id: null, label: `ingestion client "${client.name}" (${client.clientId})`, kind: 'client' as const, clientId: client.clientId };
          return route.ingest(body, who);
        }
        if (hasBearer(request)) throw new Error('ingestion client not authenticated');
        // No bearer token: the session hook has let only the operator through.
        return route.ingest(body, auditActor(request.actor));
      },
    );
  });
}

/**
 * Counts, per path (`a.b`, `a[].b`), the members of `raw` that parsing `raw` into `parsed` dropped
 * (members the schema does not know): never stored, never served, reported back to the loader.
 */
export function droppedMembers(raw: unknown, parsed: unknown, out: Record<string, number>, path = ''): void {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    raw.forEach((r, i) => droppedMembers(r, parsed[i], out, `${path}[]`));
    return;
  }
  if (!raw || typeof raw !== 'object' || !parsed || typeof parsed !== 'object') return;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === undefined || key === 'meta') continue;
    const at = path ? `${path}.${key}` : key;
    if (!(key in (parsed as Record<string, unknown>))) out[at] = (out[at] ?? 0) + 1;
    else droppedMembers(value, (parsed as Record<string, unknown>)[key], out, at);
  }
}
