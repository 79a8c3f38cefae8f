import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A new random UUID (v4), used for client ids and other public identifiers. */
export const newId = (): string => randomUUID();

/** A URL-safe random token with `bytes` bytes of entropy (default 32 = 256 bits). */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/**
 * SHA-256 of a high-entropy secret, hex. Client secrets and session/confirmation tokens are random
 * 256-bit values, so a fast hash is safe and keeps token issuance cheap; human passwords use argon2id.
 */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
