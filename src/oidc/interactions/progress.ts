import type { Interaction } from 'oidc-provider';
import type { EndUserRole } from '../../db/schema.ts';

/**
 * How far one sign-in got, kept in the oidc-provider Interaction itself (stored in oidc_payloads, so
 * every process sees it) under `result.schoolgate`. oidc-provider only acts on `result.login`,
 * `result.consent` and `result.error`, which are written when the sign-in finishes.
 */
export interface SigninProgress {
  institution?: string;
  personId?: string;
  role?: EndUserRole;
  method?: 'password' | 'upstream';
}

export const progressOf = (interaction: Interaction): SigninProgress => (interaction.result?.schoolgate as SigninProgress | undefined) ?? {};

/** Whether the interaction is finished (login and consent recorded): the page only has to go on. */
export const isFinished = (interaction: Interaction): boolean => Boolean(interaction.result?.login);

/** Stores new progress in the interaction, keeping its expiry. */
export async function saveProgress(interaction: Interaction, progress: SigninProgress, extra: Record<string, unknown> = {}): Promise<void> {
  interaction.result = { ...(interaction.result ?? {}), schoolgate: progress, ...extra };
  await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
}
