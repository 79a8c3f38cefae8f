/**
 * Errors a client can cause, rendered as `application/problem+json` with a stable `code`.
 * Handlers throw these; nothing else should reach a client as a 4xx.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** Stable machine-readable code, e.g. `app_not_approved`. Never change one once published. */
    readonly code: string,
    message: string,
    /** Extra members of the problem document (e.g. `field`, `requiredRights`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) => new ApiError(400, code, message, details);
export const unauthorized = (code = 'unauthenticated', message = 'Sign in first.') => new ApiError(401, code, message);
export const forbidden = (code: string, message: string, details?: Record<string, unknown>) => new ApiError(403, code, message, details);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) => new ApiError(409, code, message, details);
export const gone = (code: string, message: string) => new ApiError(410, code, message);

/** A 400 that names the offending field. */
export const invalidField = (field: string, code: string, message: string) => new ApiError(400, code, message, { field, errors: [{ field, code, message }] });
