import { listGrantsOfClient } from '../apps/queries.ts';

/** A client's grants with the names a person recognises (API, institution, access group). */
export const listClientGrants = listGrantsOfClient;

export type ClientGrantRow = Awaited<ReturnType<typeof listClientGrants>>[number];
