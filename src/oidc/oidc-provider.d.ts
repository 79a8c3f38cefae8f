/**
 * The slice of oidc-provider 9's API that Schoolgate uses (the package ships no types and the
 * DefinitelyTyped package lags behind version 9). Only documented members are declared.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface AdapterPayload {
    [key: string]: unknown;
    grantId?: string;
    userCode?: string;
    uid?: string;
    consumed?: number;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface KoaContextWithOIDC {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
    oidc?: { params?: Record<string, unknown>; route?: string; client?: { clientId: string } };
    [key: string]: unknown;
  }

  export type Configuration = Record<string, unknown>;

  class OIDCProviderError extends Error {
    constructor(description?: string, detail?: string);
    status: number;
    statusCode: number;
    expose: boolean;
    error: string;
    error_description?: string;
    error_detail?: string;
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    InvalidClient: typeof OIDCProviderError;
    InvalidClientAuth: typeof OIDCProviderError;
    InvalidTarget: typeof OIDCProviderError;
    InvalidRequest: typeof OIDCProviderError;
    InvalidGrant: typeof OIDCProviderError;
    AccessDenied: typeof OIDCProviderError;
    // Named on the developer portal's description of the OAuth endpoints (src/modules/developers/).
    UnauthorizedClient: typeof OIDCProviderError;
    UnsupportedGrantType: typeof OIDCProviderError;
    UnsupportedResponseType: typeof OIDCProviderError;
    InvalidScope: typeof OIDCProviderError;
    InvalidToken: typeof OIDCProviderError;
    InsufficientScope: typeof OIDCProviderError;
    LoginRequired: typeof OIDCProviderError;
    ConsentRequired: typeof OIDCProviderError;
    InteractionRequired: typeof OIDCProviderError;
  };

  class Check {
    constructor(reason: string, description: string, check: (ctx: any) => boolean | Promise<boolean>);
    static REQUEST_PROMPT: true;
    static NO_NEED_TO_PROMPT: false;
  }
  interface Prompt {
    name: string;
    checks: Check[];
  }
  interface Policy extends Array<Prompt> {
    get(name: string): Prompt | undefined;
  }
  export const interactionPolicy: { base(): Policy; Check: typeof Check };

  /** An interaction (one visit of the sign-in page): documented members only. */
  export interface Interaction {
    uid: string;
    exp: number;
    returnTo: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown> & { client_id: string; scope?: string; redirect_uri?: string; prompt?: string };
    session?: { accountId?: string; uid?: string };
    grantId?: string;
    result?: Record<string, any>;
    lastSubmission?: Record<string, any>;
    save(ttl: number): Promise<string>;
  }

  /** A grant: what an account allowed a client (documented API of the Grant model). */
  export interface Grant {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    rejectOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(ttl?: number): Promise<string>;
    destroy(): Promise<void>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void> | void): this;
    on(event: string, listener: (...args: any[]) => void): this;
    /** The per-provider Client model; its prototype's `compareClientSecret` may be replaced. */
    readonly Client: { prototype: { compareClientSecret(this: { clientId: string }, actual: string): boolean | Promise<boolean> } };
    static get ctx(): KoaContextWithOIDC | undefined;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    readonly Interaction: { find(uid: string): Promise<Interaction | undefined> };
    readonly Grant: { new (init: { accountId: string; clientId: string }): Grant; find(id: string): Promise<Grant | undefined> };
  }
}
