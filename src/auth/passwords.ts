import argon2 from 'argon2';

/** argon2id with OWASP's minimum parameters (19 MiB, t=2, p=1): sign-in stays well under 100 ms. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => argon2.hash(password, OPTIONS);

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) {
    // Spend comparable time so that unknown accounts are not told apart by timing.
    await argon2.hash(password, OPTIONS);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A password policy a person can understand: 10+ characters, not all the same. */
export function passwordProblem(password: string): string | null {
  if (password.length < 10) return 'Use at least 10 characters.';
  if (password.length > 256) return 'Use at most 256 characters.';
  if (new Set(password).size < 4) return 'Use more different characters.';
  return null;
}
